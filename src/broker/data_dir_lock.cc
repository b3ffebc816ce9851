#include "broker/data_dir_lock.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <string>

#include <spdlog/spdlog.h>

#include "broker/errc.h"

namespace runnel::broker {

namespace {

// The pid the holder wrote, or 0 if the file does not say (it may be
// between its truncate and its write).
long holder_pid(storage::file_system& fs, const std::filesystem::path& p) {
  auto f = fs.open(p, storage::open_mode::read_only);
  if (!f) return 0;
  std::array<std::byte, 24> buf{};
  auto n = f.value()->read_at(0, buf);
  if (!n) return 0;
  const char* s = reinterpret_cast<const char*>(buf.data());
  long pid = 0;
  auto [end, ec] = std::from_chars(s, s + n.value(), pid);
  return ec == std::errc{} && end != s ? pid : 0;
}

}  // namespace

result<std::shared_ptr<storage::file>> lock_data_dir(storage::file_system& fs,
                                                     const std::filesystem::path& data_dir) {
  RUNNEL_TRY(storage::create_directories_durably(fs, data_dir));
  const auto path = data_dir / ".lock";
  auto locked = fs.open_locked(path);
  if (!locked) {
    if (locked.error() != std::errc::resource_unavailable_try_again) {
      spdlog::error("broker: cannot lock {}: {}", path.string(), locked.error().message());
      return locked.error();
    }
    const long pid = holder_pid(fs, path);
    spdlog::error(
        "broker: the data directory {} is in use by another runnel process ({}); one data "
        "directory serves one process: stop that one or choose another --data-dir",
        data_dir.string(), pid > 0 ? "pid " + std::to_string(pid) : "pid unknown");
    return broker_errc::data_dir_locked;
  }
  auto f = std::move(locked).value();
  const std::string text = std::to_string(::getpid()) + "\n";
  // The pid is for people reading the message above; the lock is the flock.
  RUNNEL_TRY(f->truncate(0));
  RUNNEL_TRY(f->write_at(0, {reinterpret_cast<const std::byte*>(text.data()), text.size()}));
  return f;
}

}  // namespace runnel::broker
