// What a read of a partition log returns: whole batches as byte ranges of
// files (the open active segment for a read at the tail, sent with
// sendfile) or of memory (what an I/O thread read, memory_file).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/strong_types.h"
#include "storage/file_system.h"

namespace runnel::storage {

// A byte range of a segment file, ready for sendfile/pread.
struct file_slice {
  std::shared_ptr<file> f;
  uint64_t pos = 0;
  uint64_t len = 0;
};

struct read_result {
  std::vector<file_slice> slices;  // whole batches, in offset order
  uint64_t bytes = 0;
  model::offset next;  // offset after the last batch returned
};

}  // namespace runnel::storage
