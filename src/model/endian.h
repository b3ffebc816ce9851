// Big-endian loads and stores for the wire and on-disk formats. Callers check
// bounds; these only copy bytes.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace runnel::model {

namespace detail {
template <class U>
constexpr U bswap(U v) {
  if constexpr (sizeof(U) == 2)
    return __builtin_bswap16(v);
  else if constexpr (sizeof(U) == 4)
    return __builtin_bswap32(v);
  else if constexpr (sizeof(U) == 8)
    return __builtin_bswap64(v);
  else
    return v;
}
}  // namespace detail

template <class T>
requires std::is_integral_v<T>
inline T load_be(const std::byte* p) {
  std::make_unsigned_t<T> v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = detail::bswap(v);
  return static_cast<T>(v);
}

template <class T>
requires std::is_integral_v<T>
inline void store_be(std::byte* p, T value) {
  auto v = static_cast<std::make_unsigned_t<T>>(value);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = detail::bswap(v);
  std::memcpy(p, &v, sizeof v);
}

}  // namespace runnel::model
