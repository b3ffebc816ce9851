// The file-system interface every storage file access goes through
// (DESIGN.md decision 6), so tests can swap in fault_file_system.
//
// Thread-safety: a file_system and the files it opens may be used from any
// thread; one file may see concurrent read_at/write_at/sync calls (as with
// pread/pwrite/fdatasync). Writers to overlapping ranges must coordinate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/result.h"

namespace runnel::storage {

class file {
 public:
  virtual ~file() = default;

  // Writes all of `data` at `pos`, retrying short writes. On error an
  // unspecified prefix of `data` may have reached the file.
  virtual result<void> write_at(uint64_t pos, std::span<const std::byte> data) = 0;
  // Reads up to out.size() bytes at `pos`; fewer only at end of file.
  virtual result<size_t> read_at(uint64_t pos, std::span<std::byte> out) = 0;
  // Makes everything written so far durable (fdatasync).
  virtual result<void> sync() = 0;
  virtual result<void> truncate(uint64_t size) = 0;
  virtual result<uint64_t> size() = 0;
  // The OS descriptor for zero-copy sends (sendfile), or -1 if there is none.
  virtual int native_handle() const { return -1; }
  // Advice that [pos, pos+len) will be read soon or is no longer needed.
  virtual void advise_sequential() {}
  // [pos, pos+len) if the file is held in memory (memory_file), so it can be
  // sent without a copy; empty otherwise.
  virtual std::span<const std::byte> in_memory(uint64_t, uint64_t) const { return {}; }
};

enum class open_mode {
  read_only,
  read_write,  // must exist
  create,      // open read-write, creating if missing
  create_new,  // create; fails with file_exists if present
};

class file_system {
 public:
  virtual ~file_system() = default;

  virtual result<std::shared_ptr<file>> open(const std::filesystem::path& p, open_mode m) = 0;
  virtual result<void> remove(const std::filesystem::path& p) = 0;
  // Atomically replaces `to` with `from`.
  virtual result<void> rename(const std::filesystem::path& from,
                              const std::filesystem::path& to) = 0;
  virtual result<void> create_directories(const std::filesystem::path& p) = 0;
  // Makes creations, renames and removals inside `dir` durable.
  virtual result<void> sync_directory(const std::filesystem::path& dir) = 0;
  // Names (not paths) of the entries of `dir`.
  virtual result<std::vector<std::string>> list(const std::filesystem::path& dir) = 0;
  virtual result<bool> exists(const std::filesystem::path& p) = 0;
  virtual result<void> remove_all(const std::filesystem::path& p) = 0;
  // Opens `p` read-write (creating it) and takes an exclusive lock on it
  // without waiting, so that one holder at a time owns what it guards (a
  // broker's data directory). The lock lasts while the returned file is
  // open, ends with the process, and excludes a second opener in the same
  // process too. Fails with std::errc::resource_unavailable_try_again while
  // someone else holds it.
  virtual result<std::shared_ptr<file>> open_locked(const std::filesystem::path& p) = 0;
};

// The real POSIX file system. Shared, thread-safe, lives for the process.
file_system& posix_file_system();

// Replaces `target` with `bytes` atomically and durably: writes `tmp`,
// fsyncs it, renames it over `target`, fsyncs the directory. After a crash
// the file holds either the old or the new contents. Blocking.
result<void> write_file_atomically(file_system& fs, const std::filesystem::path& target,
                                   const std::filesystem::path& tmp,
                                   std::span<const std::byte> bytes);

// Creates `dir` and any missing parents, and makes each new one durable in
// its parent (sync_directory), so that files made durable in `dir` later
// survive a power loss too. Blocking.
result<void> create_directories_durably(file_system& fs, const std::filesystem::path& dir);

// Reads exactly out.size() bytes or fails (unexpected end of file is an error).
result<void> read_exact(file& f, uint64_t pos, std::span<std::byte> out);

}  // namespace runnel::storage
