// Hands out producer ids for InitProducerId, never twice, even across
// crashes: ids come from blocks whose end is made durable in
// <data_dir>/meta/producer_ids before any id of the block is used
// (docs/format/metadata.md). Thread-safe; allocate() may block on fsync when
// it opens a new block, so call it off the shards' event loops.
//
// A damaged file (anything but digits and a newline, as a torn write on a
// file system without atomic rename would leave) fails load(): guessing a
// smaller number would hand out ids already in use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>

#include "model/result.h"
#include "storage/file_system.h"

namespace runnel::broker {

class producer_ids {
 public:
  static constexpr int64_t block_size = 1000;

  producer_ids(storage::file_system& fs, std::filesystem::path data_dir);
  // Reads meta/producer_ids (none: ids start at 0). Blocking.
  result<void> load();
  result<int64_t> allocate();

 private:
  storage::file_system& fs_;
  std::filesystem::path path_;
  std::mutex mu_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;  // durable: no id >= this was ever handed out
};

}  // namespace runnel::broker
