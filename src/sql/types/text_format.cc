#include "sql/types/text_format.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "sql/types/jsonb.h"

namespace runnel::sql {

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

sql_error bad_input(const sql_type& t, std::string_view s) {
  return make_error(errc::invalid_text_representation, -1,
                    "invalid input syntax for type {}: \"{}\"", type_name(t), s);
}

// PostgreSQL's two date/time input errors: a text of the right shape with a
// field out of range ('2024-02-30') is 22008, anything else 22007, named
// as PostgreSQL's input functions name the type ("timestamp", not
// "timestamp without time zone").
sql_error bad_datetime(const sql_type& t, std::string_view s) {
  if (dt::well_formed(s, t.id))
    return make_error(errc::invalid_datetime, -1, "date/time field value out of range: \"{}\"", s);
  std::string name = t.id == type_id::timestamp ? "timestamp"
                     : t.id == type_id::time    ? "time"
                                                : type_name(t);
  return make_error(errc::invalid_datetime_format, -1, "invalid input syntax for type {}: \"{}\"",
                    name, s);
}

// 'infinity' (1) and '-infinity' (-1), as dates and timestamps read them.
std::optional<int> infinity(std::string_view raw) {
  auto s = trim(raw);
  if (iequals_ascii(s, "infinity")) return 1;
  if (iequals_ascii(s, "-infinity")) return -1;
  return std::nullopt;
}

result<datum> parse_int(const sql_type& t, std::string_view raw) {
  auto s = trim(raw);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ptr != s.data() + s.size()) return bad_input(t, raw);
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if (t.id == type_id::int16) lo = INT16_MIN, hi = INT16_MAX;
  if (t.id == type_id::int32) lo = INT32_MIN, hi = INT32_MAX;
  if (t.id == type_id::oid) lo = 0, hi = UINT32_MAX;
  if (r.ec == std::errc::result_out_of_range || v < lo || v > hi)
    return make_error(errc::numeric_out_of_range, -1, "value \"{}\" is out of range for type {}",
                      raw, type_name(t));
  return datum::of_int(v);
}

result<datum> parse_float(const sql_type& t, std::string_view raw) {
  auto s = trim(raw);
  if (iequals_ascii(s, "nan")) return datum::of_double(std::numeric_limits<double>::quiet_NaN());
  if (iequals_ascii(s, "infinity") || iequals_ascii(s, "inf") || iequals_ascii(s, "+infinity") ||
      iequals_ascii(s, "+inf"))
    return datum::of_double(std::numeric_limits<double>::infinity());
  if (iequals_ascii(s, "-infinity") || iequals_ascii(s, "-inf"))
    return datum::of_double(-std::numeric_limits<double>::infinity());
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v = 0;
  std::from_chars_result r;
  if (t.id == type_id::float32) {
    // Read as a float directly, as PostgreSQL's strtof: through a double
    // first would round twice.
    float f = 0;
    r = std::from_chars(s.data(), s.data() + s.size(), f);
    v = f;
  } else {
    r = std::from_chars(s.data(), s.data() + s.size(), v);
  }
  if (s.empty() || r.ptr != s.data() + s.size()) return bad_input(t, raw);
  if (r.ec == std::errc::result_out_of_range)
    return make_error(errc::numeric_out_of_range, -1, "\"{}\" is out of range for type {}", raw,
                      type_name(t));
  return datum::of_double(v);
}

// Whether the decimal `text` (d.ddde±x) is exactly `x`: x written with
// every digit it has (a binary fraction's decimal expansion ends) starts
// with text's digits, then only zeros, at the same exponent.
bool exactly(std::string_view text, long double x) {
  static thread_local std::string buf(1200, '\0');
  int n = std::snprintf(buf.data(), buf.size(), "%.1100Le", x);
  if (n <= 0 || static_cast<size_t>(n) >= buf.size()) return false;
  auto split = [](std::string_view s, std::string& digits) {
    auto e = s.find('e');
    for (char c : s.substr(0, e))
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    return std::stoi(std::string(s.substr(e + 1)));
  };
  std::string a, b;
  if ((text[0] == '-') != (buf[0] == '-')) return false;
  int ea = split(text, a), eb = split(std::string_view(buf.data(), static_cast<size_t>(n)), b);
  return ea == eb && a == b;
}

// PostgreSQL prints the shortest decimal strictly inside the interval of
// values that read back as v (its Ryu is built without STRICTLY_SHORTEST:
// a decimal exactly halfway to a neighbour is never taken, even though
// round-half-even would read it back right). std::to_chars takes such a
// decimal; this says when it did: `text` is the midpoint between v and
// one of its neighbours. Midpoints of floats are exact in double, those
// of doubles in long double, so a decimal that reads back (correctly
// rounded) as a midpoint is checked digit for digit.
bool on_boundary(std::string_view text, double v, bool is_float4) {
  std::string z(text);
  if (is_float4) {
    float f = static_cast<float>(v);
    double d = std::strtod(z.c_str(), nullptr);
    for (float n : {std::nextafter(f, -INFINITY), std::nextafter(f, INFINITY)}) {
      double mid = (static_cast<double>(f) + static_cast<double>(n)) / 2;
      if (std::isfinite(mid) && d == mid) return exactly(text, mid);
    }
    return false;
  }
  long double d = std::strtold(z.c_str(), nullptr);
  for (double n : {std::nextafter(v, -INFINITY), std::nextafter(v, INFINITY)}) {
    long double mid = (static_cast<long double>(v) + static_cast<long double>(n)) / 2;
    if (std::isfinite(mid) && d == mid) return exactly(text, mid);
  }
  return false;
}

// v in scientific notation (d.ddde±x) with PostgreSQL's digits: the
// shortest that reads back as v without lying on a bound of its interval,
// the closest to v of that length.
std::string shortest_scientific(double v, bool is_float4) {
  char buf[64];
  auto write = [&](int precision) {
    std::to_chars_result r =
        is_float4 ? (precision < 0 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                                   std::chars_format::scientific)
                                   : std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                                   std::chars_format::scientific, precision))
                  : (precision < 0
                         ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific)
                         : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific,
                                         precision));
    return std::string(buf, r.ptr);
  };
  std::string sci = write(-1);
  if (!on_boundary(sci, v, is_float4)) return sci;
  auto reads_back = [&](const std::string& t) {
    if (is_float4) return std::strtof(t.c_str(), nullptr) == static_cast<float>(v);
    return std::strtod(t.c_str(), nullptr) == v;
  };
  // One digit more at a time: the correctly rounded decimal of that length,
  // or (where the interval is lopsided, at a power of two) its neighbour.
  size_t digits = 0;
  for (char c : sci.substr(0, sci.find('e')))
    if (std::isdigit(static_cast<unsigned char>(c))) ++digits;
  const int most = is_float4 ? 9 : 17;
  for (int p = static_cast<int>(digits) + 1; p <= most; ++p) {
    std::string t = write(p - 1);
    if (reads_back(t) && !on_boundary(t, v, is_float4)) return t;
    auto e = t.find('e');
    std::string mant = t.substr(0, e);
    int exp = std::stoi(t.substr(e + 1));
    bool neg = mant[0] == '-';
    std::string ds;
    for (char c : mant)
      if (std::isdigit(static_cast<unsigned char>(c))) ds += c;
    for (int step : {1, -1}) {
      std::string md = std::to_string(std::stoull(ds) + static_cast<unsigned long long>(step));
      int x = exp;
      if (md.size() > ds.size()) continue;  // 99..9 + 1: fewer digits, tried already
      if (md.size() < ds.size()) {          // 10..0 - 1: 9.9..9 one power of ten down
        md = std::string(ds.size(), '9');
        --x;
      }
      std::string cand = (neg ? "-" : "") + md.substr(0, 1) + (md.size() > 1 ? "." : "") +
                         md.substr(1) + (x < 0 ? "e-" : "e+") + std::to_string(x < 0 ? -x : x);
      if (reads_back(cand) && !on_boundary(cand, v, is_float4)) return cand;
    }
  }
  return write(most - 1);
}

}  // namespace

std::string format_double(double v, bool is_float4) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  std::string sci = shortest_scientific(v, is_float4);
  // sci is d[.ddd]e±XX: digits and exponent.
  auto epos = sci.find('e');
  int exp = std::stoi(sci.substr(epos + 1));
  std::string mant = sci.substr(0, epos);
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  int threshold = is_float4 ? 6 : 15;
  std::string out = neg ? "-" : "";
  if (exp < -4 || exp >= threshold) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += exp < 0 ? "e-" : "e+";
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  if (exp < 0) {
    out += "0.";
    out += std::string(static_cast<size_t>(-exp - 1), '0');
    out += digits;
  } else if (static_cast<int>(digits.size()) <= exp + 1) {
    out += digits;
    out += std::string(static_cast<size_t>(exp + 1) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exp + 1));
    out += '.';
    out += digits.substr(static_cast<size_t>(exp + 1));
  }
  return out;
}

namespace {

// The byte length of the first n UTF-8 characters of s (all of s if it
// has fewer).
size_t prefix_bytes(std::string_view s, int64_t n) {
  size_t i = 0;
  for (int64_t k = 0; i < s.size(); ++k) {
    if (k == n) return i;
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

size_t char_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string_view fit_text(const sql_type& t, std::string_view s) {
  if (t.id != type_id::text || t.kind == text_kind::text) return s;
  if (t.precision > 0) s = s.substr(0, prefix_bytes(s, t.precision));
  if (t.kind == text_kind::bpchar)
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool too_long(const sql_type& t, std::string_view s) {
  if (t.id != type_id::text || t.kind == text_kind::text || t.precision <= 0) return false;
  return s.substr(prefix_bytes(s, t.precision)).find_first_not_of(' ') != std::string_view::npos;
}

std::string format_bytea(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

bool parse_bytea(std::string_view s, std::string& out) {
  if (s.size() >= 2 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X')) {
    auto val = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (size_t i = 2; i < s.size();) {
      if (std::isspace(static_cast<unsigned char>(s[i]))) {
        ++i;
        continue;
      }
      if (i + 1 >= s.size()) return false;
      int h = val(s[i]), l = val(s[i + 1]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    }
    return true;
  }
  // Escape form: \\ and \ooo octal; everything else as is.
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (i + 3 < s.size()) {
      int v = 0;
      for (int k = 1; k <= 3; ++k) {
        char c = s[i + static_cast<size_t>(k)];
        if (c < '0' || c > '7') return false;
        v = v * 8 + (c - '0');
      }
      out += static_cast<char>(v);
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

void append_text(const sql_type& t, const datum& d, std::string& out) {
  switch (t.id) {
    case type_id::boolean:
      out += d.as_bool() ? 't' : 'f';
      return;
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, d.as_int());
      out.append(buf, r.ptr);
      return;
    }
    case type_id::float32:
    case type_id::float64:
      out += format_double(d.as_double(), t.id == type_id::float32);
      return;
    case type_id::numeric:
      out += dec::to_string(d.as_decimal());
      return;
    case type_id::bytea:
      out += format_bytea(d.as_text());
      return;
    case type_id::date:
      out += dt::format_date(static_cast<int32_t>(d.as_int()));
      return;
    case type_id::time:
      out += dt::format_time(d.as_int());
      return;
    case type_id::timestamp:
      out += dt::format_timestamp(d.as_int(), false);
      return;
    case type_id::timestamptz:
      out += dt::format_timestamp(d.as_int(), true);
      return;
    case type_id::interval:
      out += dt::format_interval(d.as_interval());
      return;
    case type_id::text:
      out += d.as_text();
      if (t.kind == text_kind::bpchar && t.precision > 0) {
        size_t n = char_count(d.as_text());
        if (n < static_cast<size_t>(t.precision))
          out.append(static_cast<size_t>(t.precision) - n, ' ');
      }
      return;
    case type_id::jsonb:
    case type_id::unknown:
    case type_id::text_array:
      out += d.as_text();
      return;
  }
}

std::string to_text(const sql_type& t, const datum& d) {
  std::string s;
  append_text(t, d, s);
  return s;
}

result<datum> from_text(const sql_type& t, std::string_view s, arena& a) {
  switch (t.id) {
    case type_id::boolean: {
      auto v = trim(s);
      for (auto w : {"t", "true", "yes", "y", "on", "1"})
        if (iequals_ascii(v, w)) return datum::of_bool(true);
      for (auto w : {"f", "false", "no", "n", "off", "0"})
        if (iequals_ascii(v, w)) return datum::of_bool(false);
      return bad_input(t, s);
    }
    case type_id::int16:
    case type_id::int32:
    case type_id::int64:
    case type_id::oid:
      return parse_int(t, s);
    case type_id::float32:
    case type_id::float64:
      return parse_float(t, s);
    case type_id::numeric: {
      auto d = dec::parse(s);
      if (!d) {
        // Distinguish "too many digits" from garbage.
        bool digits_only = !trim(s).empty();
        for (char c : trim(s))
          if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+')
            digits_only = false;
        if (digits_only)
          return make_error(errc::numeric_out_of_range, -1,
                            "numeric field overflow: more than {} digits", decimal::max_digits);
        return bad_input(t, s);
      }
      if (t.precision > 0) {
        auto f = dec::fit(*d, t.precision, std::max<int>(0, t.scale));
        if (!f)
          return make_error(
              errc::numeric_out_of_range, -1,
              "numeric field overflow: a field with precision {}, scale {} must round to "
              "an absolute value less than 10^{}",
              t.precision, std::max<int>(0, t.scale), t.precision - std::max<int>(0, t.scale));
        d = f;
      }
      return datum::of_decimal(*d);
    }
    case type_id::bytea: {
      std::string out;
      if (!parse_bytea(s, out)) return bad_input(t, s);
      return datum::of_text(a.copy(out));
    }
    case type_id::date: {
      if (auto inf = infinity(s))
        return datum::of_int(*inf > 0 ? dt::date_infinity : -dt::date_infinity - 1);
      auto v = dt::parse_date(s);
      if (!v) {
        // A timestamp literal is a valid date too: its date part counts.
        if (auto ts = dt::parse_timestamp(s, false)) {
          auto day = (*ts >= 0 ? *ts : *ts - usecs_per_day + 1) / usecs_per_day;
          if (!dt::date_in_range(day))
            return make_error(errc::invalid_datetime, -1, "date out of range: \"{}\"", s);
          return datum::of_int(static_cast<int32_t>(day));
        }
        return bad_datetime(t, s);
      }
      if (!dt::date_in_range(*v))
        return make_error(errc::invalid_datetime, -1, "date out of range: \"{}\"", s);
      return datum::of_int(*v);
    }
    case type_id::time: {
      auto v = dt::parse_time(s);
      if (!v) return bad_datetime(t, s);
      return datum::of_int(*v);
    }
    case type_id::timestamp:
    case type_id::timestamptz: {
      if (auto inf = infinity(s))
        return datum::of_int(*inf > 0 ? dt::timestamp_infinity : -dt::timestamp_infinity - 1);
      auto v = dt::parse_timestamp(s, t.id == type_id::timestamptz);
      if (!v) return bad_datetime(t, s);
      if (!dt::timestamp_in_range(*v))
        return make_error(errc::invalid_datetime, -1, "timestamp out of range: \"{}\"", s);
      return datum::of_int(*v);
    }
    case type_id::interval: {
      auto v = dt::parse_interval(s);
      if (!v) return bad_datetime(t, s);
      return datum::of_interval(*v);
    }
    case type_id::jsonb: {
      auto v = jsonb::normalize(s);
      if (!v)
        return make_error(errc::invalid_text_representation, -1,
                          "invalid input syntax for type json");
      return datum::of_text(a.copy(*v));
    }
    case type_id::text:
      return datum::of_text(a.copy(fit_text(t, s)));
    case type_id::unknown:
    case type_id::text_array:
      return datum::of_text(a.copy(s));
  }
  return bad_input(t, s);
}

}  // namespace runnel::sql
