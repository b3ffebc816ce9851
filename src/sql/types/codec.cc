#include "sql/types/codec.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace runnel::sql::codec {

namespace {

// The null marker sorts after every value (ASC NULLS LAST).
constexpr char not_null_marker = 0x01;
constexpr char null_marker = 0x02;

uint64_t flip_int(int64_t v) {
  return static_cast<uint64_t>(v) ^ (uint64_t(1) << 63);
}
int64_t unflip_int(uint64_t v) {
  return static_cast<int64_t>(v ^ (uint64_t(1) << 63));
}

uint64_t order_double(double d) {
  if (std::isnan(d)) return ~uint64_t(0);  // NaN after everything, as PostgreSQL
  if (d == 0) d = 0;                       // -0 == 0
  uint64_t b = std::bit_cast<uint64_t>(d);
  return (b >> 63) ? ~b : b | (uint64_t(1) << 63);
}
double unorder_double(uint64_t b) {
  if (b == ~uint64_t(0)) return std::nan("");
  return std::bit_cast<double>((b >> 63) ? b & ~(uint64_t(1) << 63) : ~b);
}

void append_escaped(std::string_view s, std::string& out) {
  for (char c : s) {
    out += c;
    if (c == '\0') out += '\xff';
  }
  out += '\0';
  out += '\0';
}

bool read_escaped(std::string_view in, size_t& pos, std::string& out) {
  while (pos < in.size()) {
    char c = in[pos++];
    if (c != '\0') {
      out += c;
      continue;
    }
    if (pos >= in.size()) return false;
    char n = in[pos++];
    if (n == '\0') return true;
    if (n != '\xff') return false;
    out += '\0';
  }
  return false;
}

void append_u128_be(uint128 v, std::string& out) {
  append_u64_be(static_cast<uint64_t>(v >> 64), out);
  append_u64_be(static_cast<uint64_t>(v), out);
}

void append_key_plain(const sql_type& t, const datum& d, std::string& out) {
  switch (t.id) {
    case type_id::boolean:
      out += d.as_bool() ? '\1' : '\0';
      return;
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz:
      append_u64_be(flip_int(d.as_int()), out);
      return;
    case type_id::float32:
    case type_id::float64:
      append_u64_be(order_double(d.as_double()), out);
      return;
    case type_id::numeric: {
      decimal n = dec::normalized(d.as_decimal());
      int s = dec::sign(n);
      if (s == 0) {
        out += '\x01';
        return;
      }
      // Sign, then the exponent (digits before the point), then the digits
      // + 1 with a 0 terminator; negatives invert exponent and digits.
      std::string digits = dec::to_string(dec::abs(n));
      std::string ds;
      int int_digits = 0;
      bool seen_point = false, leading = true;
      for (char c : digits) {
        if (c == '.') {
          seen_point = true;
          continue;
        }
        if (leading && c == '0') {
          if (seen_point) --int_digits;
          continue;
        }
        leading = false;
        if (!seen_point) ++int_digits;
        ds += static_cast<char>(c - '0' + 1);
      }
      while (!ds.empty() && ds.back() == 1) ds.pop_back();  // trailing zeros
      uint16_t e = static_cast<uint16_t>(int_digits + 0x8000);
      std::string body;
      body += static_cast<char>(e >> 8);
      body += static_cast<char>(e & 0xff);
      body += ds;
      body += '\0';
      if (s < 0) {
        out += '\x00';
        for (char& c : body) c = static_cast<char>(~c);
      } else {
        out += '\x02';
      }
      out += body;
      return;
    }
    case type_id::interval: {
      auto iv = d.as_interval();
      append_u128_be(static_cast<uint128>(dt::interval_key(iv)) ^ (static_cast<uint128>(1) << 127),
                     out);
      // The parts themselves, so the key reads back as written.
      append_u32_be(static_cast<uint32_t>(iv.months) ^ 0x80000000u, out);
      append_u32_be(static_cast<uint32_t>(iv.days) ^ 0x80000000u, out);
      append_u64_be(flip_int(iv.micros), out);
      return;
    }
    case type_id::text:
    case type_id::bytea:
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array:
      append_escaped(d.as_text(), out);
      return;
  }
}

bool read_key_plain(const sql_type& t, std::string_view in, size_t& pos, datum& out, arena& a) {
  auto need = [&](size_t n) { return pos + n <= in.size(); };
  switch (t.id) {
    case type_id::boolean:
      if (!need(1)) return false;
      out = datum::of_bool(in[pos++] != 0);
      return true;
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz:
      if (!need(8)) return false;
      out = datum::of_int(unflip_int(read_u64_be(in.data() + pos)));
      pos += 8;
      return true;
    case type_id::float32:
    case type_id::float64:
      if (!need(8)) return false;
      out = datum::of_double(unorder_double(read_u64_be(in.data() + pos)));
      pos += 8;
      return true;
    case type_id::numeric: {
      if (!need(1)) return false;
      char sign = in[pos++];
      if (sign == '\x01') {
        out = datum::of_decimal(decimal{0, 0});
        return true;
      }
      bool negative = sign == '\x00';
      auto byte = [&](size_t i) {
        char c = in[i];
        return static_cast<uint8_t>(negative ? ~c : c);
      };
      if (!need(2)) return false;
      int int_digits = int((uint16_t(byte(pos)) << 8) | byte(pos + 1)) - 0x8000;
      pos += 2;
      std::string ds;
      while (true) {
        if (!need(1)) return false;
        uint8_t c = byte(pos++);
        if (c == 0) break;
        ds += static_cast<char>('0' + c - 1);
      }
      // value = 0.ds * 10^int_digits
      int scale = static_cast<int>(ds.size()) - int_digits;
      std::string text;
      if (scale <= 0) {
        text = ds + std::string(static_cast<size_t>(-scale), '0');
      } else if (int_digits > 0) {
        text = ds.substr(0, static_cast<size_t>(int_digits)) + "." +
               ds.substr(static_cast<size_t>(int_digits));
      } else {
        text = "0." + std::string(static_cast<size_t>(-int_digits), '0') + ds;
      }
      auto v = dec::parse(text);
      if (!v) return false;
      out = datum::of_decimal(negative ? dec::neg(*v) : *v);
      return true;
    }
    case type_id::interval: {
      if (!need(32)) return false;
      pos += 16;
      interval iv;
      iv.months = static_cast<int32_t>(read_u32_be(in.data() + pos) ^ 0x80000000u);
      iv.days = static_cast<int32_t>(read_u32_be(in.data() + pos + 4) ^ 0x80000000u);
      iv.micros = unflip_int(read_u64_be(in.data() + pos + 8));
      pos += 16;
      out = datum::of_interval(iv);
      return true;
    }
    case type_id::text:
    case type_id::bytea:
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array: {
      std::string s;
      if (!read_escaped(in, pos, s)) return false;
      out = datum::of_text(a.copy(s));
      return true;
    }
  }
  return false;
}

}  // namespace

void append_u32_be(uint32_t v, std::string& out) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

uint32_t read_u32_be(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | u[3];
}

void append_u64_be(uint64_t v, std::string& out) {
  append_u32_be(static_cast<uint32_t>(v >> 32), out);
  append_u32_be(static_cast<uint32_t>(v), out);
}

uint64_t read_u64_be(const char* p) {
  return (uint64_t(read_u32_be(p)) << 32) | read_u32_be(p + 4);
}

void append_varint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool read_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in[pos++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

void append_svarint(int64_t v, std::string& out) {
  append_varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

bool read_svarint(std::string_view in, size_t& pos, int64_t& v) {
  uint64_t u;
  if (!read_varint(in, pos, u)) return false;
  v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

void append_key(const sql_type& t, const datum& d, std::string& out, bool descending) {
  size_t start = out.size();
  if (d.is_null()) {
    out += null_marker;
  } else {
    out += not_null_marker;
    append_key_plain(t, d, out);
  }
  if (descending)
    for (size_t i = start; i < out.size(); ++i) out[i] = static_cast<char>(~out[i]);
}

bool read_key(const sql_type& t, std::string_view in, size_t& pos, datum& out, arena& a,
              bool descending) {
  if (!descending) {
    if (pos >= in.size()) return false;
    char m = in[pos++];
    if (m == null_marker) {
      out = datum::null_value();
      return true;
    }
    if (m != not_null_marker) return false;
    return read_key_plain(t, in, pos, out, a);
  }
  // Descending: un-invert the bytes of this value. Its length is only known
  // by reading, so un-invert the rest and map the position back.
  std::string rest(in.substr(pos));
  for (char& c : rest) c = static_cast<char>(~c);
  size_t p = 0;
  bool ok = read_key(t, rest, p, out, a, false);
  pos += p;
  return ok;
}

void append_value(const sql_type& t, const datum& d, std::string& out) {
  switch (t.id) {
    case type_id::boolean:
      out += d.as_bool() ? '\1' : '\0';
      return;
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz:
      append_svarint(d.as_int(), out);
      return;
    case type_id::float32:
    case type_id::float64:
      append_u64_be(std::bit_cast<uint64_t>(d.as_double()), out);
      return;
    case type_id::numeric: {
      auto n = d.as_decimal();
      out += static_cast<char>(n.scale);
      auto u = static_cast<uint128>(n.v);
      append_u64_be(static_cast<uint64_t>(u >> 64), out);
      append_u64_be(static_cast<uint64_t>(u), out);
      return;
    }
    case type_id::interval: {
      auto iv = d.as_interval();
      append_svarint(iv.months, out);
      append_svarint(iv.days, out);
      append_svarint(iv.micros, out);
      return;
    }
    case type_id::text:
    case type_id::bytea:
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array: {
      auto s = d.as_text();
      append_varint(s.size(), out);
      out += s;
      return;
    }
  }
}

bool read_value(const sql_type& t, std::string_view in, size_t& pos, datum& out, arena& a) {
  switch (t.id) {
    case type_id::boolean:
      if (pos >= in.size()) return false;
      out = datum::of_bool(in[pos++] != 0);
      return true;
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
    case type_id::date:
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamptz: {
      int64_t v;
      if (!read_svarint(in, pos, v)) return false;
      out = datum::of_int(v);
      return true;
    }
    case type_id::float32:
    case type_id::float64:
      if (pos + 8 > in.size()) return false;
      out = datum::of_double(std::bit_cast<double>(read_u64_be(in.data() + pos)));
      pos += 8;
      return true;
    case type_id::numeric: {
      if (pos + 17 > in.size()) return false;
      int16_t scale = static_cast<uint8_t>(in[pos]);
      uint128 u = (static_cast<uint128>(read_u64_be(in.data() + pos + 1)) << 64) |
                  read_u64_be(in.data() + pos + 9);
      pos += 17;
      out = datum::of_decimal(decimal{static_cast<int128>(u), scale});
      return true;
    }
    case type_id::interval: {
      int64_t m, d, us;
      if (!read_svarint(in, pos, m) || !read_svarint(in, pos, d) || !read_svarint(in, pos, us))
        return false;
      out = datum::of_interval(interval{static_cast<int32_t>(m), static_cast<int32_t>(d), us});
      return true;
    }
    case type_id::text:
    case type_id::bytea:
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array: {
      uint64_t n;
      if (!read_varint(in, pos, n) || pos + n > in.size()) return false;
      out = datum::of_text(a.copy(in.substr(pos, n)));
      pos += n;
      return true;
    }
  }
  return false;
}

void append_row(std::span<const sql_type> types, const datum* row, std::string& out) {
  size_t n = types.size();
  size_t bitmap = out.size();
  out.append((n + 7) / 8, '\0');
  for (size_t i = 0; i < n; ++i) {
    if (row[i].is_null()) {
      out[bitmap + i / 8] = static_cast<char>(out[bitmap + i / 8] | (1 << (i % 8)));
      continue;
    }
    append_value(types[i], row[i], out);
  }
}

bool read_row(std::span<const sql_type> types, std::string_view in, size_t& pos, datum* row,
              arena& a) {
  size_t n = types.size();
  size_t bitmap = pos;
  pos += (n + 7) / 8;
  if (pos > in.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (in[bitmap + i / 8] & (1 << (i % 8))) {
      row[i] = datum::null_value();
      continue;
    }
    if (!read_value(types[i], in, pos, row[i], a)) return false;
  }
  return true;
}

}  // namespace runnel::sql::codec
