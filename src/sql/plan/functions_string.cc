// String functions. Lengths and positions count characters (UTF-8), as
// PostgreSQL does with a UTF8 database.
#include <algorithm>
#include <array>
#include <cstring>

#include "sql/plan/functions.h"
#include "sql/types/text_format.h"

namespace runnel::sql {

namespace {

datum fail(eval_context& c, const expr& self, sql_error e) {
  if (e.position < 0) e.position = self.location;
  c.fail(std::move(e));
  return datum::null_value();
}

// Byte offsets of each character start, plus the end.
std::vector<size_t> char_starts(std::string_view s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(s.size());
  return out;
}

int64_t char_len(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Characters [from, from + count) (0-based; count < 0: to the end).
std::string_view char_slice(std::string_view s, int64_t from, int64_t count) {
  auto st = char_starts(s);
  int64_t n = static_cast<int64_t>(st.size()) - 1;
  int64_t b = std::clamp<int64_t>(from, 0, n);
  int64_t e = count < 0 ? n : std::clamp<int64_t>(from + count, b, n);
  return s.substr(st[static_cast<size_t>(b)],
                  st[static_cast<size_t>(e)] - st[static_cast<size_t>(b)]);
}

datum lower_fn(const datum* a, const expr&, eval_context& c) {
  std::string s(a[0].as_text());
  for (auto& ch : s)
    if (static_cast<unsigned char>(ch) < 0x80)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text_result(c, s);
}
datum upper_fn(const datum* a, const expr&, eval_context& c) {
  std::string s(a[0].as_text());
  for (auto& ch : s)
    if (static_cast<unsigned char>(ch) < 0x80)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return text_result(c, s);
}
datum initcap_fn(const datum* a, const expr&, eval_context& c) {
  std::string s(a[0].as_text());
  bool start = true;
  for (auto& ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x80 && std::isalnum(u)) {
      ch = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
      start = false;
    } else {
      start = u < 0x80;
    }
  }
  return text_result(c, s);
}
datum length_fn(const datum* a, const expr& self, eval_context&) {
  if (self.args[0]->type.id == type_id::bytea)
    return datum::of_int(static_cast<int64_t>(a[0].as_text().size()));
  return datum::of_int(char_len(a[0].as_text()));
}
datum octet_length_fn(const datum* a, const expr&, eval_context&) {
  return datum::of_int(static_cast<int64_t>(a[0].as_text().size()));
}
datum substr_fn(const datum* a, const expr& self, eval_context& c) {
  // substr(s, start [, count]): 1-based; a start before 1 eats into count.
  int64_t start = a[1].as_int();
  int64_t count = -1;
  if (self.args.size() > 2) {
    count = a[2].as_int();
    if (count < 0)
      return fail(c, self,
                  make_error(errc::invalid_parameter, -1, "negative substring length not allowed"));
    int64_t end = start + count;  // exclusive, 1-based
    if (start < 1) start = 1;
    count = std::max<int64_t>(0, end - start);
  } else if (start < 1) {
    start = 1;
  }
  auto r = char_slice(a[0].as_text(), start - 1, count);
  return datum::of_text(r);  // a slice of the input: no copy needed
}
datum left_fn(const datum* a, const expr&, eval_context&) {
  auto s = a[0].as_text();
  int64_t n = a[1].as_int();
  int64_t len = char_len(s);
  return datum::of_text(char_slice(s, 0, n >= 0 ? n : std::max<int64_t>(0, len + n)));
}
datum right_fn(const datum* a, const expr&, eval_context&) {
  auto s = a[0].as_text();
  int64_t n = a[1].as_int();
  int64_t len = char_len(s);
  int64_t take = n >= 0 ? std::min(n, len) : std::max<int64_t>(0, len + n);
  return datum::of_text(char_slice(s, len - take, -1));
}

enum trim_side { trim_both, trim_left, trim_right };
template <trim_side S>
datum trim_fn(const datum* a, const expr& self, eval_context&) {
  auto s = a[0].as_text();
  std::string_view chars = self.args.size() > 1 ? a[1].as_text() : std::string_view(" ");
  size_t b = 0, e = s.size();
  if (S != trim_right)
    while (b < e && chars.find(s[b]) != std::string_view::npos) ++b;
  if (S != trim_left)
    while (e > b && chars.find(s[e - 1]) != std::string_view::npos) --e;
  return datum::of_text(s.substr(b, e - b));
}
datum replace_fn(const datum* a, const expr&, eval_context& c) {
  auto s = a[0].as_text(), from = a[1].as_text(), to = a[2].as_text();
  if (from.empty()) return a[0];
  std::string out;
  size_t i = 0;
  while (true) {
    size_t j = s.find(from, i);
    if (j == std::string_view::npos) break;
    out.append(s.substr(i, j - i));
    out.append(to);
    i = j + from.size();
  }
  out.append(s.substr(i));
  return text_result(c, out);
}
datum strpos_fn(const datum* a, const expr&, eval_context&) {
  auto s = a[0].as_text(), sub = a[1].as_text();
  size_t j = s.find(sub);
  if (j == std::string_view::npos) return datum::of_int(0);
  return datum::of_int(char_len(s.substr(0, j)) + 1);
}
datum concat_fn(const datum* a, const expr& self, eval_context& c) {
  std::string out;
  for (size_t i = 0; i < self.args.size(); ++i)
    if (!a[i].is_null()) append_text(self.args[i]->type, a[i], out);
  return text_result(c, out);
}
datum concat_ws_fn(const datum* a, const expr& self, eval_context& c) {
  if (a[0].is_null()) return datum::null_value();
  std::string out;
  bool first = true;
  for (size_t i = 1; i < self.args.size(); ++i) {
    if (a[i].is_null()) continue;
    if (!first) out += a[0].as_text();
    first = false;
    append_text(self.args[i]->type, a[i], out);
  }
  return text_result(c, out);
}
datum split_part_fn(const datum* a, const expr& self, eval_context& c) {
  auto s = a[0].as_text(), d = a[1].as_text();
  int64_t n = a[2].as_int();
  if (n == 0)
    return fail(c, self,
                make_error(errc::invalid_parameter, -1, "field position must not be zero"));
  std::vector<std::string_view> parts;
  if (d.empty()) {
    parts.push_back(s);
  } else {
    size_t i = 0;
    while (true) {
      size_t j = s.find(d, i);
      if (j == std::string_view::npos) {
        parts.push_back(s.substr(i));
        break;
      }
      parts.push_back(s.substr(i, j - i));
      i = j + d.size();
    }
  }
  int64_t idx = n > 0 ? n - 1 : static_cast<int64_t>(parts.size()) + n;
  if (idx < 0 || idx >= static_cast<int64_t>(parts.size())) return datum::of_text("");
  return datum::of_text(parts[static_cast<size_t>(idx)]);
}
template <bool Left>
datum pad_fn(const datum* a, const expr& self, eval_context& c) {
  auto s = a[0].as_text();
  int64_t n = a[1].as_int();
  std::string_view fill = self.args.size() > 2 ? a[2].as_text() : std::string_view(" ");
  int64_t len = char_len(s);
  if (n <= len) return datum::of_text(char_slice(s, 0, std::max<int64_t>(0, n)));
  if (fill.empty()) return a[0];
  auto fs = char_starts(fill);
  size_t fn = fs.size() - 1;
  std::string pad;
  for (int64_t k = 0; k < n - len; ++k) {
    size_t i = static_cast<size_t>(k) % fn;
    pad.append(fill.substr(fs[i], fs[i + 1] - fs[i]));
  }
  return text_result(c, Left ? pad + std::string(s) : std::string(s) + pad);
}
datum starts_with_fn(const datum* a, const expr&, eval_context&) {
  return datum::of_bool(a[0].as_text().starts_with(a[1].as_text()));
}
datum ends_with_fn(const datum* a, const expr&, eval_context&) {
  return datum::of_bool(a[0].as_text().ends_with(a[1].as_text()));
}
datum reverse_fn(const datum* a, const expr&, eval_context& c) {
  auto s = a[0].as_text();
  auto st = char_starts(s);
  std::string out;
  for (size_t i = st.size() - 1; i > 0; --i) out.append(s.substr(st[i - 1], st[i] - st[i - 1]));
  return text_result(c, out);
}
datum repeat_fn(const datum* a, const expr&, eval_context& c) {
  std::string out;
  for (int64_t i = 0; i < a[1].as_int() && out.size() < (1u << 28); ++i) out.append(a[0].as_text());
  return text_result(c, out);
}
datum ascii_fn(const datum* a, const expr&, eval_context&) {
  auto s = a[0].as_text();
  return datum::of_int(s.empty() ? 0 : static_cast<unsigned char>(s[0]));
}
datum chr_fn(const datum* a, const expr& self, eval_context& c) {
  int64_t cp = a[0].as_int();
  if (cp <= 0 || cp > 0x10FFFF)
    return fail(c, self, make_error(errc::invalid_parameter, -1, "requested character too large"));
  std::string out;
  uint32_t u = static_cast<uint32_t>(cp);
  if (u < 0x80) {
    out += static_cast<char>(u);
  } else if (u < 0x800) {
    out += static_cast<char>(0xC0 | (u >> 6));
    out += static_cast<char>(0x80 | (u & 0x3F));
  } else if (u < 0x10000) {
    out += static_cast<char>(0xE0 | (u >> 12));
    out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (u & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (u >> 18));
    out += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (u & 0x3F));
  }
  return text_result(c, out);
}

// MD5 (RFC 1321), for md5(): small enough to keep here.
std::string md5_hex(std::string_view msg) {
  static const uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
      0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
      0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
      0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
      0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
      0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
      0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
      0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
      0xeb86d391};
  static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                            5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                            4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                            6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  uint32_t h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476;
  std::string m(msg);
  uint64_t bits = uint64_t(msg.size()) * 8;
  m += '\x80';
  while (m.size() % 64 != 56) m += '\0';
  for (int i = 0; i < 8; ++i) m += static_cast<char>(bits >> (8 * i));
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(m.data() + off + 4 * i);
      w[i] = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    }
    uint32_t a = h0, b = h1, cc = h2, d = h3;
    for (int i = 0; i < 64; ++i) {
      uint32_t f;
      int g;
      if (i < 16)
        f = (b & cc) | (~b & d), g = i;
      else if (i < 32)
        f = (d & b) | (~d & cc), g = (5 * i + 1) % 16;
      else if (i < 48)
        f = b ^ cc ^ d, g = (3 * i + 5) % 16;
      else
        f = cc ^ (b | ~d), g = (7 * i) % 16;
      uint32_t t = d;
      d = cc;
      cc = b;
      uint32_t x = a + f + k[i] + w[g];
      b = b + ((x << r[i]) | (x >> (32 - r[i])));
      a = t;
    }
    h0 += a, h1 += b, h2 += cc, h3 += d;
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint32_t h : {h0, h1, h2, h3})
    for (int i = 0; i < 4; ++i) {
      unsigned char byte = static_cast<unsigned char>(h >> (8 * i));
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  return out;
}
datum md5_fn(const datum* a, const expr&, eval_context& c) {
  return text_result(c, md5_hex(a[0].as_text()));
}

// Registers name(text, ...) with the given argument kinds ('t' text, 'i'
// integer) and result type.
void text_function(const char* name, std::string kinds, type_id ret, scalar_fn fn,
                   size_t optional = 0) {
  register_function(name, [=](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.size() > kinds.size() || args.size() + optional < kinds.size())
      return no_function(name, args, loc);
    for (size_t i = 0; i < args.size(); ++i) {
      sql_type want = kinds[i] == 'i' ? sql_type(type_id::int32) : sql_type(type_id::text);
      if (kinds[i] == 't' && args[i]->type.id == type_id::bytea &&
          std::string_view(name) == "length")
        continue;
      auto r = coerce(args[i], want, loc);
      if (!r) return no_function(name, args, loc);
      args[i] = r.value();
    }
    return make_fn(name, ret, fn, args, loc);
  });
}

}  // namespace

void register_string_functions() {
  text_function("lower", "t", type_id::text, &lower_fn);
  text_function("upper", "t", type_id::text, &upper_fn);
  text_function("initcap", "t", type_id::text, &initcap_fn);
  for (const char* n : {"length", "char_length", "character_length"})
    text_function(n, "t", type_id::int32, &length_fn);
  text_function("octet_length", "t", type_id::int32, &octet_length_fn);
  text_function("substr", "tii", type_id::text, &substr_fn, 1);
  text_function("substring", "tii", type_id::text, &substr_fn, 1);
  text_function("left", "ti", type_id::text, &left_fn);
  text_function("right", "ti", type_id::text, &right_fn);
  text_function("btrim", "tt", type_id::text, &trim_fn<trim_both>, 1);
  text_function("trim", "tt", type_id::text, &trim_fn<trim_both>, 1);
  text_function("ltrim", "tt", type_id::text, &trim_fn<trim_left>, 1);
  text_function("rtrim", "tt", type_id::text, &trim_fn<trim_right>, 1);
  text_function("replace", "ttt", type_id::text, &replace_fn);
  text_function("strpos", "tt", type_id::int32, &strpos_fn);
  text_function("position", "tt", type_id::int32, &strpos_fn);
  text_function("split_part", "tti", type_id::text, &split_part_fn);
  text_function("lpad", "tit", type_id::text, &pad_fn<true>, 1);
  text_function("rpad", "tit", type_id::text, &pad_fn<false>, 1);
  text_function("starts_with", "tt", type_id::boolean, &starts_with_fn);
  text_function("ends_with", "tt", type_id::boolean, &ends_with_fn);
  text_function("reverse", "t", type_id::text, &reverse_fn);
  text_function("repeat", "ti", type_id::text, &repeat_fn);
  text_function("ascii", "t", type_id::int32, &ascii_fn);
  text_function("chr", "i", type_id::text, &chr_fn);
  text_function("md5", "t", type_id::text, &md5_fn);
  register_function("concat", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    for (auto& a : args)
      if (a->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
      }
    return make_fn("concat", type_id::text, &concat_fn, args, loc, false);
  });
  register_function("concat_ws", [](std::vector<expr_ptr>& args, int loc) -> result<expr_ptr> {
    if (args.empty()) return no_function("concat_ws", args, loc);
    for (auto& a : args)
      if (a->type.id == type_id::unknown) {
        BOOST_OUTCOME_TRY(a, make_cast(a, type_id::text, loc));
      }
    return make_fn("concat_ws", type_id::text, &concat_ws_fn, args, loc, false);
  });
}

}  // namespace runnel::sql
