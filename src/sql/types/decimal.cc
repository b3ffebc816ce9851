#include "sql/types/decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace runnel::sql::dec {

namespace {

using uint128 = uint128;

constexpr int128 make_pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

struct pow_table {
  int128 p[39];
  constexpr pow_table() : p() {
    for (int i = 0; i <= 38; ++i) p[i] = make_pow10(i);
  }
};
constexpr pow_table pows;

// 10^38: the first value with 39 digits.
constexpr int128 limit = make_pow10(38);

bool fits(int128 v) {
  return v < limit && v > -limit;
}

uint128 magnitude(int128 v) {
  return v < 0 ? uint128(0) - uint128(v) : uint128(v);
}

// v * 10^n, nullopt on overflow.
std::optional<int128> scale_up(int128 v, int n) {
  if (n == 0) return v;
  if (n > 38) return v == 0 ? std::optional<int128>(0) : std::nullopt;
  int128 r;
  if (__builtin_mul_overflow(v, pows.p[n], &r) || !fits(r)) return std::nullopt;
  return r;
}

// v / 10^n rounded half away from zero (or truncated).
int128 scale_down(int128 v, int n, bool truncate) {
  if (n == 0) return v;
  if (n > 38) return 0;
  int128 q = v / pows.p[n];
  int128 r = v % pows.p[n];
  if (!truncate) {
    int128 half = pows.p[n] / 2;
    if (r >= half) ++q;
    if (r <= -half) --q;
  }
  return q;
}

// PostgreSQL's base-10000 weight and first digit of a nonzero value: the
// value is firstdigit * 10000^weight + (smaller digits).
void nbase_weight(const decimal& d, int& weight, int& first) {
  uint128 m = magnitude(d.v);
  int nd = digits(d.v);      // digits of the unscaled value
  int p = nd - 1 - d.scale;  // position of the most significant digit: 10^p
  weight = p >= 0 ? p / 4 : -((-p + 3) / 4);
  int shift = d.scale + 4 * weight;  // first = floor(m / 10^shift)
  if (shift >= 0) {
    first = static_cast<int>(m / uint128(pows.p[shift]));
  } else {
    first = static_cast<int>(m * uint128(pows.p[-shift]));
  }
}

}  // namespace

int128 pow10(int n) {
  return pows.p[std::clamp(n, 0, 38)];
}

int digits(int128 v) {
  uint128 m = magnitude(v);
  int n = 0;
  while (m != 0) {
    m /= 10;
    ++n;
  }
  return n;
}

std::optional<decimal> parse(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  int128 v = 0;
  int scale = 0;
  int ndigits = 0;
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (v == 0 && c == '0' && !point) continue;  // leading zeros
      if (ndigits >= 38) {
        // Past 38 digits: only zeros after the point can be dropped.
        if (point && c == '0') continue;
        return std::nullopt;
      }
      v = v * 10 + (c - '0');
      if (v != 0) ++ndigits;
      if (point) ++scale;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    int exp = 0;
    auto r = std::from_chars(s.data() + i + 1 + (s[i + 1] == '+'), s.data() + s.size(), exp);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    scale -= exp;
    if (scale < 0) {
      auto up = scale_up(v, -scale);
      if (!up) return std::nullopt;
      v = *up;
      scale = 0;
    }
  }
  if (scale > decimal::max_scale) {
    v = scale_down(v, scale - decimal::max_scale, false);
    scale = decimal::max_scale;
  }
  if (!fits(v)) return std::nullopt;
  return decimal{negative ? -v : v, static_cast<int16_t>(scale)};
}

std::string to_string(const decimal& d) {
  uint128 m = magnitude(d.v);
  char buf[64];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + int(m % 10));
    m /= 10;
  } while (m != 0);
  while (n <= d.scale) buf[n++] = '0';  // at least one digit before the point
  std::string out;
  out.reserve(n + 2);
  if (d.v < 0) out.push_back('-');
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(buf[i]);
    if (i == d.scale && i != 0) out.push_back('.');
  }
  return out;
}

decimal from_int(int64_t x) {
  return decimal{x, 0};
}

std::optional<decimal> from_double(double x, int significant) {
  if (!std::isfinite(x)) return std::nullopt;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, x);
  return parse(buf);
}

double to_double(const decimal& d) {
  // Via text: exact to the nearest double, as PostgreSQL's numeric_float8.
  auto s = to_string(d);
  double out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

std::optional<int64_t> to_int(const decimal& d) {
  int128 v = scale_down(d.v, d.scale, false);
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<decimal> add(const decimal& a, const decimal& b) {
  int s = std::max(a.scale, b.scale);
  auto x = scale_up(a.v, s - a.scale);
  auto y = scale_up(b.v, s - b.scale);
  if (!x || !y) return std::nullopt;
  int128 r = *x + *y;
  if (!fits(r)) return std::nullopt;
  return decimal{r, static_cast<int16_t>(s)};
}

std::optional<decimal> sub(const decimal& a, const decimal& b) {
  return add(a, neg(b));
}

std::optional<decimal> mul(const decimal& a, const decimal& b) {
  int128 r;
  int s = a.scale + b.scale;
  if (__builtin_mul_overflow(a.v, b.v, &r)) return std::nullopt;
  // Too many fractional digits: round them away, as PostgreSQL caps the
  // display scale at 1000 (ours at 38).
  if (s > decimal::max_scale) {
    r = scale_down(r, s - decimal::max_scale, false);
    s = decimal::max_scale;
  }
  if (!fits(r)) return std::nullopt;
  return decimal{r, static_cast<int16_t>(s)};
}

std::optional<decimal> div(const decimal& a, const decimal& b) {
  if (b.v == 0) return std::nullopt;
  // select_div_scale (PostgreSQL's numeric.c); a zero has weight 0, first digit 0.
  int w1 = 0, f1 = 0, w2, f2;
  if (a.v != 0) nbase_weight(a, w1, f1);
  nbase_weight(b, w2, f2);
  int qweight = w1 - w2;
  if (f1 <= f2) --qweight;
  int rscale = std::max<int>({16 - qweight * 4, int(a.scale), int(b.scale), 0});
  rscale = std::min(rscale, int(decimal::max_scale));
  // q = a.v * 10^(rscale - a.scale + b.scale) / b.v, by long division so that
  // the intermediate never needs more than 128 bits.
  bool negative = (a.v < 0) != (b.v < 0);
  uint128 x = magnitude(a.v), y = magnitude(b.v);
  int k = rscale - a.scale + b.scale;  // decimal digits to append
  if (k < 0) {
    // Divide x further by 10^-k: scale y up instead.
    for (int i = 0; i < -k; ++i) {
      if (y > (~uint128(0)) / 10) return decimal{0, static_cast<int16_t>(rscale)};
      y *= 10;
    }
    k = 0;
  }
  uint128 q = x / y, r = x % y;
  const uint128 qlimit = uint128(limit);
  for (int i = 0; i < k; ++i) {
    if (r > (~uint128(0)) / 10) return std::nullopt;
    r *= 10;
    q = q * 10 + r / y;
    r %= y;
    if (q >= qlimit) return std::nullopt;
  }
  // Round half away from zero on the next digit.
  if (r > (~uint128(0)) / 10) return std::nullopt;
  if ((r * 10) / y >= 5) ++q;
  if (q >= qlimit) return std::nullopt;
  int128 v = static_cast<int128>(q);
  return decimal{negative ? -v : v, static_cast<int16_t>(rscale)};
}

std::optional<decimal> mod(const decimal& a, const decimal& b) {
  if (b.v == 0) return std::nullopt;
  int s = std::max(a.scale, b.scale);
  auto x = scale_up(a.v, s - a.scale);
  auto y = scale_up(b.v, s - b.scale);
  if (!x || !y) return std::nullopt;
  return decimal{*x % *y, static_cast<int16_t>(s)};
}

decimal neg(const decimal& a) {
  return decimal{-a.v, a.scale};
}

decimal abs(const decimal& a) {
  return decimal{a.v < 0 ? -a.v : a.v, a.scale};
}

int sign(const decimal& a) {
  return a.v > 0 ? 1 : (a.v < 0 ? -1 : 0);
}

int cmp(const decimal& a, const decimal& b) {
  if (a.scale == b.scale) return a.v < b.v ? -1 : (a.v > b.v ? 1 : 0);
  int s = std::max(a.scale, b.scale);
  auto x = scale_up(a.v, s - a.scale);
  auto y = scale_up(b.v, s - b.scale);
  if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  // Scaling overflowed: the value with more integer digits is larger.
  double dx = to_double(a), dy = to_double(b);
  return dx < dy ? -1 : (dx > dy ? 1 : 0);
}

std::optional<decimal> rescale(const decimal& d, int scale, bool truncate) {
  if (scale == d.scale) return d;
  if (scale > d.scale) {
    auto v = scale_up(d.v, scale - d.scale);
    if (!v) return std::nullopt;
    return decimal{*v, static_cast<int16_t>(scale)};
  }
  if (scale >= 0)
    return decimal{scale_down(d.v, d.scale - scale, truncate), static_cast<int16_t>(scale)};
  // Negative scale: round to tens, hundreds, ... and show no fraction.
  int128 v = scale_down(d.v, d.scale - scale, truncate);
  auto up = scale_up(v, -scale);
  if (!up) return std::nullopt;
  return decimal{*up, 0};
}

std::optional<decimal> floor(const decimal& d) {
  if (d.scale > decimal::max_scale) return std::nullopt;
  int128 q = scale_down(d.v, d.scale, true);
  if (d.v < 0 && q * pow10(d.scale) != d.v) --q;
  return decimal{q, 0};
}

std::optional<decimal> ceil(const decimal& d) {
  if (d.scale > decimal::max_scale) return std::nullopt;
  int128 q = scale_down(d.v, d.scale, true);
  if (d.v > 0 && q * pow10(d.scale) != d.v) ++q;
  return decimal{q, 0};
}

std::optional<decimal> fit(const decimal& d, int precision, int scale) {
  auto r = rescale(d, scale);
  if (!r) return std::nullopt;
  if (precision > 0 && digits(r->v) > precision) return std::nullopt;
  return r;
}

decimal normalized(const decimal& d) {
  decimal r = d;
  while (r.scale > 0 && r.v % 10 == 0) {
    r.v /= 10;
    --r.scale;
  }
  if (r.v == 0) r.scale = 0;
  return r;
}

}  // namespace runnel::sql::dec
