// datum: one SQL value in 24 bytes, without its type (the column's schema
// says what it is). Strings point into memory someone else owns — a
// row_batch's arena, an expression's constants, a decoded state entry —
// which is why batches never outlive the push that carries them
// (exec/row_batch.h).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sql/types/datetime.h"
#include "sql/types/decimal.h"

namespace runnel::sql {

class datum {
 public:
  datum() = default;

  static datum null_value() { return datum(); }
  static datum of_bool(bool v) { return of_bits(v ? 1 : 0, 0); }
  static datum of_int(int64_t v) { return of_bits(static_cast<uint64_t>(v), 0); }
  static datum of_double(double v) { return of_bits(std::bit_cast<uint64_t>(v), 0); }
  // The bytes must outlive every use of the datum.
  static datum of_text(std::string_view v) {
    return of_bits(reinterpret_cast<uint64_t>(v.data()), v.size());
  }
  static datum of_decimal(const decimal& d) {
    datum x = of_bits(static_cast<uint64_t>(static_cast<uint128>(d.v)),
                      static_cast<uint64_t>(static_cast<uint128>(d.v) >> 64));
    x.scale_ = static_cast<uint16_t>(d.scale);
    return x;
  }
  static datum of_interval(const interval& iv) {
    return of_bits(static_cast<uint64_t>(iv.micros),
                   (uint64_t(uint32_t(iv.months)) << 32) | uint32_t(iv.days));
  }

  bool is_null() const { return null_; }
  bool as_bool() const { return a_ != 0; }
  int64_t as_int() const { return static_cast<int64_t>(a_); }
  double as_double() const { return std::bit_cast<double>(a_); }
  std::string_view as_text() const {
    return {reinterpret_cast<const char*>(a_), static_cast<size_t>(b_)};
  }
  decimal as_decimal() const {
    uint128 u = (static_cast<uint128>(b_) << 64) | a_;
    return decimal{static_cast<int128>(u), static_cast<int16_t>(scale_)};
  }
  interval as_interval() const {
    return interval{static_cast<int32_t>(b_ >> 32), static_cast<int32_t>(uint32_t(b_)),
                    static_cast<int64_t>(a_)};
  }

 private:
  static datum of_bits(uint64_t a, uint64_t b) {
    datum x;
    x.a_ = a;
    x.b_ = b;
    x.null_ = false;
    return x;
  }
  uint64_t a_ = 0;
  uint64_t b_ = 0;
  uint16_t scale_ = 0;
  bool null_ = true;
};

static_assert(sizeof(datum) == 24);

}  // namespace runnel::sql
