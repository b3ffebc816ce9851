// decimal: SQL numeric as a 128-bit scaled integer — exact, with up to 38
// significant digits (PostgreSQL's numeric is arbitrary-precision; past 38
// digits runnel reports "numeric field overflow" instead).
//
// Scales follow PostgreSQL so that results print the same: + and - keep the
// larger scale, * adds them, / picks PostgreSQL's select_div_scale (at least
// 16 significant digits), and rounding is half away from zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::sql {

// GCC's 128-bit integers (__extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

struct decimal {
  int128 v = 0;       // the unscaled value
  int16_t scale = 0;  // digits after the point, 0..max_scale

  static constexpr int max_digits = 38;
  static constexpr int max_scale = 38;
};

namespace dec {

std::optional<decimal> parse(std::string_view s);
std::string to_string(const decimal& d);

decimal from_int(int64_t x);
// As PostgreSQL converts float8 to numeric: 15 significant digits.
std::optional<decimal> from_double(double x, int significant = 15);
double to_double(const decimal& d);
// Rounded half away from zero; nullopt if out of int64's range.
std::optional<int64_t> to_int(const decimal& d);

// Arithmetic; nullopt on overflow (more than 38 digits) or division by zero
// (callers tell the two apart by checking the divisor).
std::optional<decimal> add(const decimal& a, const decimal& b);
std::optional<decimal> sub(const decimal& a, const decimal& b);
std::optional<decimal> mul(const decimal& a, const decimal& b);
std::optional<decimal> div(const decimal& a, const decimal& b);
std::optional<decimal> mod(const decimal& a, const decimal& b);
decimal neg(const decimal& a);
decimal abs(const decimal& a);
int sign(const decimal& a);

// Three-way comparison by value (1.5 == 1.50).
int cmp(const decimal& a, const decimal& b);

// To `scale` digits after the point, rounding half away from zero (or
// truncating); nullopt on overflow.
std::optional<decimal> rescale(const decimal& d, int scale, bool truncate = false);
std::optional<decimal> floor(const decimal& d);
std::optional<decimal> ceil(const decimal& d);
// numeric(precision, scale): rescale, then check the integer digits fit.
std::optional<decimal> fit(const decimal& d, int precision, int scale);

// The same value with trailing fractional zeros removed (equality and keys).
decimal normalized(const decimal& d);

// 10^n for 0 <= n <= 38.
int128 pow10(int n);
// The number of decimal digits of |v| (0 for 0).
int digits(int128 v);

}  // namespace dec
}  // namespace runnel::sql
