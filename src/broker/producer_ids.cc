#include "broker/producer_ids.h"

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "broker/errc.h"

namespace runnel::broker {

producer_ids::producer_ids(storage::file_system& fs, std::filesystem::path data_dir)
    : fs_(fs), path_(std::move(data_dir) / "meta" / "producer_ids") {}

namespace {

// "<decimal>\n" and nothing else: a torn "12000\n" ("120", "1200") must not
// read as a smaller number.
std::optional<int64_t> parse_block_end(std::span<const std::byte> bytes) {
  const char* s = reinterpret_cast<const char*>(bytes.data());
  const size_t n = bytes.size();
  if (n < 2 || s[n - 1] != '\n') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s, s + n - 1, v);
  if (ec != std::errc{} || end != s + n - 1 || v < 0) return std::nullopt;
  return v;
}

}  // namespace

result<void> producer_ids::load() {
  std::lock_guard lock(mu_);
  RUNNEL_TRY(bool present, fs_.exists(path_));
  if (!present) return success();
  RUNNEL_TRY(auto f, fs_.open(path_, storage::open_mode::read_only));
  RUNNEL_TRY(uint64_t size, f->size());
  std::vector<std::byte> bytes(std::min<uint64_t>(size, 64));
  RUNNEL_TRY(storage::read_exact(*f, 0, bytes));
  auto end = size <= 64 ? parse_block_end(bytes) : std::nullopt;
  if (!end) {
    spdlog::error(
        "broker: {} is damaged (expected a decimal number and a newline); refusing to start "
        "rather than hand out producer ids twice (docs/operations.md, \"Disk faults\")",
        path_.string());
    return broker_errc::damaged_metadata;
  }
  next_ = *end;
  block_end_ = *end;
  return success();
}

result<int64_t> producer_ids::allocate() {
  std::lock_guard lock(mu_);
  if (next_ >= block_end_) {
    const int64_t end = next_ + block_size;
    const std::string text = std::to_string(end) + "\n";
    RUNNEL_TRY(storage::create_directories_durably(fs_, path_.parent_path()));
    RUNNEL_TRY(storage::write_file_atomically(
        fs_, path_, path_.string() + ".tmp",
        {reinterpret_cast<const std::byte*>(text.data()), text.size()}));
    block_end_ = end;
  }
  return next_++;
}

}  // namespace runnel::broker
