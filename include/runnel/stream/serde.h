// Serdes: how the keys and values of a stream become bytes and back.
//
// A serde<T> is a plain struct of std::functions, so any code can make one
// (docs/stream/serdes.md shows how); serdes:: has the built-in ones, byte
// compatible with Kafka's Java serializers, and default_serde<T> picks the
// natural one for a type when the DSL is given none.
//
// A serde is copied into every task that uses it and its functions are
// called from the threads that run those tasks, possibly at the same time:
// they must be safe to call concurrently (all built-in ones are; they keep
// no mutable state).
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runnel/stream/json.h"

namespace runnel::stream {

// How values of T become bytes and back. Copyable, cheap to copy.
template <class T>
struct serde {
  // Appends the encoding of v to out (the caller clears `out` before;
  // appending lets it reuse the buffer).
  std::function<void(const T& v, std::string& out)> serialize;
  // nullopt: the bytes are not a valid T (the runtime applies its error
  // policy; `why`, when not null, may be set to a one-line reason).
  std::function<std::optional<T>(std::string_view bytes, std::string* why)> deserialize;
  // What a Kafka null (absent key or value) becomes; unset: a null is
  // refused like malformed bytes.
  std::function<std::optional<T>()> from_null;
  std::string name;  // for error messages, e.g. "json<PageView>", "int64"
  // Optional: when set and true for a value, the runtime writes a Kafka null
  // instead of calling serialize (nullable() sets it for nullopt).
  std::function<bool(const T& v)> is_null;
};

namespace detail {

template <class U>
void append_big_endian(std::string& out, U u) {
  char bytes[sizeof(U)];
  for (size_t i = 0; i < sizeof(U); ++i) {
    bytes[i] = static_cast<char>(u >> (8 * (sizeof(U) - 1 - i)));
  }
  out.append(bytes, sizeof bytes);
}

// `bytes` must hold exactly sizeof(U) bytes.
template <class U>
U read_big_endian(std::string_view bytes) {
  U u = 0;
  for (size_t i = 0; i < sizeof(U); ++i) {
    u = static_cast<U>(u << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return u;
}

inline bool has_size(std::string_view bytes, size_t want, std::string_view type, std::string* why) {
  if (bytes.size() == want) return true;
  if (why) {
    *why = std::string(type) + ": expected " + std::to_string(want) + " bytes, got " +
           std::to_string(bytes.size());
  }
  return false;
}

// A fixed-size big-endian number serde: T's bits as the unsigned U.
template <class T, class U>
serde<T> big_endian(std::string name) {
  static_assert(sizeof(T) == sizeof(U));
  serde<T> s;
  s.serialize = [](const T& v, std::string& out) { append_big_endian(out, std::bit_cast<U>(v)); };
  s.deserialize = [name](std::string_view bytes, std::string* why) -> std::optional<T> {
    if (!has_size(bytes, sizeof(U), name, why)) return std::nullopt;
    return std::bit_cast<T>(read_big_endian<U>(bytes));
  };
  s.name = std::move(name);
  return s;
}

inline serde<std::string> text(std::string name) {
  serde<std::string> s;
  s.serialize = [](const std::string& v, std::string& out) { out.append(v); };
  s.deserialize = [](std::string_view bytes, std::string*) -> std::optional<std::string> {
    return std::string(bytes);
  };
  s.from_null = []() -> std::optional<std::string> { return std::string(); };
  s.name = std::move(name);
  return s;
}

}  // namespace detail

namespace serdes {

// UTF-8 text as is (not validated, like Kafka's StringDeserializer); null -> "".
inline serde<std::string> string() {
  return detail::text("string");
}
// Raw bytes; null -> "".
inline serde<std::string> bytes() {
  return detail::text("bytes");
}
// 8 bytes big-endian two's complement, like Kafka's LongSerializer.
inline serde<int64_t> int64() {
  return detail::big_endian<int64_t, uint64_t>("int64");
}
// 4 bytes big-endian two's complement, like Kafka's IntegerSerializer.
inline serde<int32_t> int32() {
  return detail::big_endian<int32_t, uint32_t>("int32");
}
// 8 bytes big-endian IEEE-754, like Kafka's DoubleSerializer.
inline serde<double> float64() {
  return detail::big_endian<double, uint64_t>("float64");
}

// JSON text of a RUNNEL_JSON struct (json.h); a null is refused.
template <class T>
serde<T> json() {
  serde<T> s;
  s.serialize = [](const T& v, std::string& out) { json::write(out, v); };
  s.deserialize = [](std::string_view bytes, std::string* why) {
    return json::parse<T>(bytes, why);
  };
  if constexpr (json::described<T>) {
    s.name = "json<" + std::string(json::type_name<T>()) + ">";
  } else {
    s.name = "json";
  }
  return s;
}

// Kafka null <-> nullopt; other bytes go through `inner`.
template <class T>
serde<std::optional<T>> nullable(serde<T> inner) {
  serde<std::optional<T>> s;
  s.name = "nullable<" + inner.name + ">";
  s.serialize = [ser = inner.serialize](const std::optional<T>& v, std::string& out) {
    if (v) ser(*v, out);
  };
  s.deserialize = [de = std::move(inner.deserialize)](
                      std::string_view bytes, std::string* why) -> std::optional<std::optional<T>> {
    std::optional<T> v = de(bytes, why);
    if (!v) return std::nullopt;
    return std::optional<std::optional<T>>(std::in_place, std::move(v));
  };
  s.from_null = [] { return std::optional<std::optional<T>>(std::in_place, std::nullopt); };
  s.is_null = [](const std::optional<T>& v) { return !v.has_value(); };
  return s;
}

}  // namespace serdes

// The serde the DSL uses for T when given none: get() returns it. Types
// without one need an explicit serde; specialize this for your own type to
// give it a default.
template <class T>
struct default_serde;

template <>
struct default_serde<std::string> {
  static serde<std::string> get() { return serdes::string(); }
};
template <>
struct default_serde<int64_t> {
  static serde<int64_t> get() { return serdes::int64(); }
};
template <>
struct default_serde<int32_t> {
  static serde<int32_t> get() { return serdes::int32(); }
};
template <>
struct default_serde<double> {
  static serde<double> get() { return serdes::float64(); }
};
template <json::described T>
struct default_serde<T> {
  static serde<T> get() { return serdes::json<T>(); }
};

template <class T>
concept has_default_serde = requires {
  { default_serde<T>::get() } -> std::same_as<serde<T>>;
};

template <has_default_serde T>
struct default_serde<std::optional<T>> {
  static serde<std::optional<T>> get() { return serdes::nullable(default_serde<T>::get()); }
};

namespace serdes {

// The natural serde for T (default_serde<T>).
template <class T>
requires has_default_serde<T> serde<T> of() {
  return default_serde<T>::get();
}

}  // namespace serdes

}  // namespace runnel::stream
