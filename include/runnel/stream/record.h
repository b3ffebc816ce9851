// record: one key/value pair flowing through a topology, with its event time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace runnel::stream {

// Event time in milliseconds since the epoch: the input record's timestamp,
// or what the source's timestamp extractor made of it.
template <class K, class V>
struct record {
  K key;
  V value;
  int64_t timestamp = 0;
};

// A key/value pair returned by map, flat_map and select_key style lambdas.
template <class K, class V>
struct key_value {
  K key;
  V value;
};

template <class K, class V>
key_value<K, V> kv(K k, V v) {
  return {std::move(k), std::move(v)};
}

// Where the record being processed came from: the input topic, partition
// and offset (of the record that started this chain of calls).
struct record_origin {
  const std::string* topic = nullptr;
  int32_t partition = -1;
  int64_t offset = -1;
};

}  // namespace runnel::stream
