// The JSON writer's out-of-line parts: string escaping and floating point.
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>

#include "runnel/stream/json.h"

namespace runnel::stream::json {

namespace {

// What each ASCII byte becomes inside a JSON string: 0 = itself, 'u' =
// \u00XX, anything else = a backslash and that letter.
constexpr std::array<char, 128> escapes = [] {
  std::array<char, 128> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['\b'] = 'b';
  table['\f'] = 'f';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

void append_escape(std::string& out, unsigned char c) {
  char e = escapes[c];
  if (e == 'u') {
    constexpr char hex[] = "0123456789abcdef";
    const char text[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    out.append(text, sizeof text);
  } else {
    const char text[] = {'\\', e};
    out.append(text, sizeof text);
  }
}

bool needs_escape(unsigned char c) {
  return c < 0x80 && escapes[c] != 0;
}

// Valid UTF-8: runs of bytes that need no escape are appended whole.
void append_escaped(std::string& out, std::string_view s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + run, i - run);
    append_escape(out, c);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF), or 0 if it is not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto continuation = [&](size_t k) { return i + k < s.size() && (byte(k) & 0xc0) == 0x80; };
  unsigned char b = byte(0);
  if (b >= 0xc2 && b <= 0xdf) return continuation(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
    if (b == 0xed && byte(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b == 0xf0 && byte(1) < 0x90) return 0;   // overlong
    if (b == 0xf4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// Invalid UTF-8 (rare): each byte that does not start a valid sequence
// becomes U+FFFD, so the output is still valid JSON that any reader accepts.
void append_repaired(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (needs_escape(c)) {
        append_escape(out, c);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out.append("\xef\xbf\xbd");
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

template <class F>
void write_floating(std::string& out, F f) {
  if (!std::isfinite(f)) {
    write_null(out);
    return;
  }
  // Shortest text that reads back to the same value (at most 24 chars for a
  // double, e.g. "-2.2250738585072014e-308").
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, f);
  out.append(buffer, result.ptr);
}

}  // namespace

void write_string(std::string& out, std::string_view s) {
  out.push_back('"');
  // Most strings in events are short and plain ASCII: one scan, one append,
  // no call into the UTF-8 validator.
  size_t plain = 0;
  while (plain < s.size() && static_cast<unsigned char>(s[plain]) < 0x80 &&
         !needs_escape(static_cast<unsigned char>(s[plain]))) {
    ++plain;
  }
  if (plain == s.size()) {
    out.append(s);
  } else if (simdjson::validate_utf8(s.data() + plain, s.size() - plain)) {
    out.append(s.data(), plain);
    append_escaped(out, s.substr(plain));
  } else {
    out.append(s.data(), plain);
    append_repaired(out, s.substr(plain));
  }
  out.push_back('"');
}

void write_double(std::string& out, double d) {
  write_floating(out, d);
}
void write_float(std::string& out, float f) {
  write_floating(out, f);
}

}  // namespace runnel::stream::json
