// Which serde an operator uses when the user gave none: the one the stream
// carries (set at the source or by the last operator that named one), else
// the natural serde of the type (serdes::of<T>()).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runnel/stream/serde.h"
#include "runnel/stream/windows.h"

namespace runnel::stream::serdes {

// Kafka Streams' time-windowed key layout: the inner key's bytes, then the
// window start as 8 bytes big-endian. The end is start + window size, which
// the reader must know.
template <class K>
serde<windowed<K>> windowed_key(serde<K> inner, int64_t window_size) {
  serde<windowed<K>> s;
  s.name = "windowed<" + inner.name + ">";
  s.serialize = [inner](const windowed<K>& w, std::string& out) {
    inner.serialize(w.key, out);
    auto u = static_cast<uint64_t>(w.start);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  };
  s.deserialize = [inner, window_size](std::string_view b,
                                       std::string* why) -> std::optional<windowed<K>> {
    if (b.size() < 8) {
      if (why) *why = "a windowed key needs at least 8 bytes";
      return std::nullopt;
    }
    auto k = inner.deserialize(b.substr(0, b.size() - 8), why);
    if (!k) return std::nullopt;
    uint64_t u = 0;
    for (size_t i = b.size() - 8; i < b.size(); ++i)
      u = (u << 8) | static_cast<unsigned char>(b[i]);
    auto start = static_cast<int64_t>(u);
    return windowed<K>{std::move(*k), start, start + window_size};
  };
  return s;
}

}  // namespace runnel::stream::serdes

namespace runnel::stream::detail {

template <class T>
struct is_windowed : std::false_type {};
template <class K>
struct is_windowed<windowed<K>> : std::true_type {};

template <class T>
std::shared_ptr<const serde<T>> serde_or_default(const std::shared_ptr<const serde<T>>& given) {
  if (given) return given;
  if constexpr (is_windowed<T>::value) {
    // Windowed keys need the window size; the aggregation sets the serde.
    return nullptr;
  } else {
    return std::make_shared<const serde<T>>(serdes::of<T>());
  }
}

template <class T>
std::shared_ptr<const serde<T>> share(std::optional<serde<T>> s) {
  if (!s) return nullptr;
  return std::make_shared<const serde<T>>(std::move(*s));
}

}  // namespace runnel::stream::detail
