#include "broker/producer_ids.h"

#include <fstream>
#include <string>

#include "storage/file_system.h"

namespace runnel::broker {

producer_ids::producer_ids(std::filesystem::path data_dir)
    : path_(std::move(data_dir) / "meta" / "producer_ids") {}

result<void> producer_ids::load() {
  std::lock_guard lock(mu_);
  std::ifstream in(path_);
  int64_t end = 0;
  if (in && (in >> end) && end >= 0) {
    next_ = end;
    block_end_ = end;
  }
  return success();
}

result<int64_t> producer_ids::allocate() {
  std::lock_guard lock(mu_);
  if (next_ >= block_end_) {
    const int64_t end = next_ + block_size;
    const std::string text = std::to_string(end) + "\n";
    auto& fs = storage::posix_file_system();
    RUNNEL_TRY(fs.create_directories(path_.parent_path()));
    RUNNEL_TRY(storage::write_file_atomically(
        fs, path_, path_.string() + ".tmp",
        {reinterpret_cast<const std::byte*>(text.data()), text.size()}));
    block_end_ = end;
  }
  return next_++;
}

}  // namespace runnel::broker
