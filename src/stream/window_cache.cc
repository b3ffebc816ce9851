#include "window_cache.h"

#include <cstring>

namespace runnel::stream::runtime {

namespace {

// Per entry, besides its key and value bytes: the hash node, the strings'
// headers and the dirty-list slot, roughly.
constexpr size_t entry_overhead = 96;
constexpr size_t suffix_bytes = sizeof(int64_t) + sizeof(uint32_t);

}  // namespace

window_cache::window_cache(window_bytes_store& store, size_t max_bytes)
    : store_(store), max_bytes_(max_bytes) {}

const std::string& window_cache::cache_key(std::string_view key, int64_t time, uint32_t seq) {
  scratch_.assign(key);
  char suffix[suffix_bytes];
  std::memcpy(suffix, &time, sizeof time);
  std::memcpy(suffix + sizeof time, &seq, sizeof seq);
  scratch_.append(suffix, sizeof suffix);
  return scratch_;
}

std::optional<std::string> window_cache::get(std::string_view key, int64_t time, uint32_t seq) {
  const auto& ck = cache_key(key, time, seq);
  if (auto it = entries_.find(ck); it != entries_.end()) return it->second.value;
  auto value = store_.get(key, time, seq);
  // Remembered clean, found or not: an aggregation's next step is a put of
  // the same entry, and the records after it read it again.
  bytes_ += ck.size() + (value ? value->size() : 0) + entry_overhead;
  entries_.emplace(ck, entry{value, time, false});
  clear_if_full();
  return value;
}

void window_cache::put(std::string_view key, int64_t time, std::string_view value, uint32_t seq) {
  write(key, time, seq, value);
}

void window_cache::remove(std::string_view key, int64_t time, uint32_t seq) {
  write(key, time, seq, std::nullopt);
}

void window_cache::write(std::string_view key, int64_t time, uint32_t seq,
                         std::optional<std::string_view> value) {
  const auto& ck = cache_key(key, time, seq);
  auto [it, inserted] = entries_.try_emplace(ck);
  entry& e = it->second;
  if (inserted) {
    bytes_ += ck.size() + entry_overhead;
    e.time = time;
  } else if (e.value) {
    bytes_ -= e.value->size();
  }
  if (value) {
    if (e.value)
      e.value->assign(*value);
    else
      e.value.emplace(*value);
    bytes_ += value->size();
  } else {
    e.value.reset();
  }
  if (!e.dirty) {
    e.dirty = true;
    dirty_.push_back(ck);
  }
  clear_if_full();
}

void window_cache::flush() {
  // Taken first: a store write that throws (the app is failing) leaves the
  // rest unflushed, which is what an unclean stop would do anyway.
  auto order = std::move(dirty_);
  dirty_.clear();
  for (const auto& ck : order) {
    auto it = entries_.find(ck);
    if (it == entries_.end() || !it->second.dirty) continue;
    entry& e = it->second;
    e.dirty = false;
    std::string_view key(ck.data(), ck.size() - suffix_bytes);
    uint32_t seq;
    std::memcpy(&seq, ck.data() + ck.size() - sizeof seq, sizeof seq);
    if (e.value)
      store_.put(key, e.time, *e.value, seq);
    else
      store_.remove(key, e.time, seq);
  }
}

void window_cache::clear_if_full() {
  if (bytes_ <= max_bytes_) return;
  flush();
  entries_.clear();
  bytes_ = 0;
}

void window_cache::fetch(
    std::string_view key, int64_t from, int64_t to,
    const std::function<bool(int64_t time, uint32_t seq, std::string_view value)>& fn) {
  flush();
  store_.fetch(key, from, to, fn);
}

void window_cache::fetch_all(int64_t from, int64_t to,
                             const std::function<bool(std::string_view key, int64_t time,
                                                      uint32_t seq, std::string_view value)>& fn) {
  flush();
  store_.fetch_all(from, to, fn);
}

void window_cache::expire(int64_t before) {
  flush();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.time < before) {
      bytes_ -= std::min(bytes_, it->first.size() + entry_overhead +
                                     (it->second.value ? it->second.value->size() : 0));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  store_.expire(before);
}

}  // namespace runnel::stream::runtime
