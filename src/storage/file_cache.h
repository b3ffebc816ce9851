// A bounded cache of open read-only files, so that thousands of partitions
// with many closed segments each keep a bounded number of descriptors
// (closed segments and their indexes are opened on demand).
//
// Owned by one shard and used only from its thread. Evicting a file only
// drops the cache's reference: a read that still holds the shared_ptr keeps
// the descriptor open until it is done.
#pragma once

#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::storage {

class file_cache {
 public:
  file_cache(file_system& fs, size_t max_open);

  result<std::shared_ptr<file>> get(const std::filesystem::path& p);
  // Forget a path (its file was deleted or replaced).
  void evict(const std::filesystem::path& p);
  // Forget every file.
  void clear();

  size_t size() const { return map_.size(); }
  size_t max_open() const { return max_open_; }
  file_system& fs() { return fs_; }

 private:
  using lru_list = std::list<std::pair<std::string, std::shared_ptr<file>>>;
  file_system& fs_;
  size_t max_open_;
  lru_list lru_;  // front = most recently used
  std::unordered_map<std::string, lru_list::iterator> map_;
};

}  // namespace runnel::storage
