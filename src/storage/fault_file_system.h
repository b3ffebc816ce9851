// An in-memory file_system for tests that simulates what disks and kernels do
// to a storage engine: power loss and failing I/O.
//
// Durability model (deliberately pessimistic, like LevelDB's fault env):
//  - file contents survive power loss only up to what the last successful
//    file::sync() saw; later writes and truncations are lost;
//  - creations, renames and removals of directory entries survive power loss
//    only after sync_directory() of the parent directory (a file that was
//    never made durable in its directory disappears; a removed file whose
//    removal was not made durable comes back with its durable contents).
//
// Faults: each write_at, and each sync / sync_directory, is counted;
// fail_write(k, ec) makes the k-th write from now on (1 = the next one) fail
// with `ec` (after writing `partial_bytes` of it), and likewise fail_sync.
// fail_writes_from(k, ec) makes every write from the k-th on fail (a full
// disk). power_loss() applies the durability model; files opened before it
// return storage_errc::injected_fault from then on.
//
// Thread-safe: one mutex guards everything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>

#include "storage/file_system.h"

namespace runnel::storage {

class fault_file_system final : public file_system {
 public:
  fault_file_system();
  ~fault_file_system() override;

  result<std::shared_ptr<file>> open(const std::filesystem::path& p, open_mode m) override;
  result<void> remove(const std::filesystem::path& p) override;
  result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  result<void> create_directories(const std::filesystem::path& p) override;
  result<void> sync_directory(const std::filesystem::path& dir) override;
  result<std::vector<std::string>> list(const std::filesystem::path& dir) override;
  result<bool> exists(const std::filesystem::path& p) override;
  result<void> remove_all(const std::filesystem::path& p) override;
  // Locks are kept per inode in memory: a second open_locked of the same
  // file fails until the first holder's file is destroyed. Power loss
  // releases them (the holders are gone).
  result<std::shared_ptr<file>> open_locked(const std::filesystem::path& p) override;

  // Fault injection. k counts from 1 = the next operation of that kind.
  void fail_write(uint64_t k, std::error_code ec, size_t partial_bytes = 0);
  void fail_writes_from(uint64_t k, std::error_code ec);
  void fail_sync(uint64_t k, std::error_code ec);
  void clear_faults();

  // Drops everything not yet durable (see above) and invalidates open files.
  void power_loss();

  // Counters since construction, for tests that pick a random fault point.
  uint64_t writes() const;
  uint64_t syncs() const;

  // Direct access for corruption tests: the current contents of a file
  // (empty if missing), and a way to overwrite them (durably).
  std::vector<std::byte> contents(const std::filesystem::path& p) const;
  void set_contents(const std::filesystem::path& p, std::vector<std::byte> data);

  struct state;  // public so the .cc's file class can name it

 private:
  std::shared_ptr<state> state_;
};

}  // namespace runnel::storage
