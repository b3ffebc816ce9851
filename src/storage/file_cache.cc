#include "storage/file_cache.h"

namespace runnel::storage {

file_cache::file_cache(file_system& fs, size_t max_open)
    : fs_(fs), max_open_(max_open == 0 ? 1 : max_open) {}

result<std::shared_ptr<file>> file_cache::get(const std::filesystem::path& p) {
  const std::string key = p.string();
  if (auto it = map_.find(key); it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  RUNNEL_TRY(auto f, fs_.open(p, open_mode::read_only));
  lru_.emplace_front(key, f);
  map_[key] = lru_.begin();
  while (map_.size() > max_open_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return f;
}

void file_cache::evict(const std::filesystem::path& p) {
  if (auto it = map_.find(p.string()); it != map_.end()) {
    lru_.erase(it->second);
    map_.erase(it);
  }
}

void file_cache::clear() {
  map_.clear();
  lru_.clear();
}

}  // namespace runnel::storage
