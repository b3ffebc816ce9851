#include "storage/errc.h"

#include <string>

namespace runnel::storage {

namespace {

class storage_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "runnel.storage"; }

  std::string message(int ev) const override {
    switch (static_cast<storage_errc>(ev)) {
      case storage_errc::unexpected_eof:
        return "file is shorter than its metadata says";
      case storage_errc::log_failed:
        return "an fsync failed earlier; the log must be reopened";
      case storage_errc::offset_out_of_range:
        return "offset out of range";
      case storage_errc::corrupt_file:
        return "corrupt file (bad magic, version or checksum)";
      case storage_errc::bad_config:
        return "invalid storage configuration";
      case storage_errc::closed:
        return "the log is closed";
      case storage_errc::injected_fault:
        return "injected fault";
      case storage_errc::unknown_producer_id:
        return "unknown producer id (its state expired or never existed)";
      case storage_errc::out_of_order_sequence:
        return "out-of-order sequence number";
      case storage_errc::invalid_producer_epoch:
        return "producer epoch is older than the partition's (fenced)";
      case storage_errc::stale_view:
        return "the segment changed under a deferred read";
    }
    return "unknown storage error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& storage_category() {
  static const storage_category_impl category;
  return category;
}

std::error_code make_error_code(storage_errc e) {
  return {static_cast<int>(e), storage_category()};
}

}  // namespace runnel::storage
