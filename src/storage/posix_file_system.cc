#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "observe/registry.h"
#include "storage/errc.h"
#include "storage/file_system.h"

namespace runnel::storage {

namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

// Every fdatasync/fsync the broker does (segments, indexes, checkpoints,
// metadata, directories): the latency acks=all waits on.
observe::histogram& fsync_seconds() {
  static auto& h = observe::metrics().histogram(
      "runnel_storage_fsync_seconds",
      "Time an fdatasync or fsync took (log segments, indexes, checkpoints, metadata).",
      observe::latency_buckets());
  return h;
}

// Times `f` (a sync call) into fsync_seconds.
template <class F>
int timed_sync(F f) {
  const auto start = std::chrono::steady_clock::now();
  const int rc = f();
  fsync_seconds().observe(std::chrono::steady_clock::now() - start);
  return rc;
}

class posix_file final : public file {
 public:
  explicit posix_file(int fd) : fd_(fd) {}
  ~posix_file() override { ::close(fd_); }

  result<void> write_at(uint64_t pos, std::span<const std::byte> data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), off_t(pos));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      data = data.subspan(size_t(n));
      pos += uint64_t(n);
    }
    return success();
  }

  result<size_t> read_at(uint64_t pos, std::span<std::byte> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(pos + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) break;
      done += size_t(n);
    }
    return done;
  }

  result<void> sync() override {
    while (timed_sync([this] { return ::fdatasync(fd_); }) != 0) {
      if (errno != EINTR) return last_error();
    }
    return success();
  }

  result<void> truncate(uint64_t size) override {
    while (::ftruncate(fd_, off_t(size)) != 0) {
      if (errno != EINTR) return last_error();
    }
    return success();
  }

  result<uint64_t> size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return last_error();
    return uint64_t(st.st_size);
  }

  int native_handle() const override { return fd_; }

  void advise_sequential() override { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL); }

 private:
  int fd_;
};

class posix_fs final : public file_system {
 public:
  result<std::shared_ptr<file>> open(const std::filesystem::path& p, open_mode m) override {
    int flags = O_CLOEXEC;
    switch (m) {
      case open_mode::read_only:
        flags |= O_RDONLY;
        break;
      case open_mode::read_write:
        flags |= O_RDWR;
        break;
      case open_mode::create:
        flags |= O_RDWR | O_CREAT;
        break;
      case open_mode::create_new:
        flags |= O_RDWR | O_CREAT | O_EXCL;
        break;
    }
    int fd;
    do {
      fd = ::open(p.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return last_error();
    return std::shared_ptr<file>(std::make_shared<posix_file>(fd));
  }

  result<void> remove(const std::filesystem::path& p) override {
    if (::unlink(p.c_str()) != 0) return last_error();
    return success();
  }

  result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return last_error();
    return success();
  }

  result<void> create_directories(const std::filesystem::path& p) override {
    std::error_code ec;
    std::filesystem::create_directories(p, ec);
    if (ec) return ec;
    return success();
  }

  result<void> sync_directory(const std::filesystem::path& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return last_error();
    int rc = timed_sync([fd] { return ::fsync(fd); });
    auto ec = rc != 0 ? last_error() : std::error_code{};
    ::close(fd);
    if (ec) return ec;
    return success();
  }

  result<std::vector<std::string>> list(const std::filesystem::path& dir) override {
    std::error_code ec;
    std::vector<std::string> out;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      out.push_back(it->path().filename().string());
    if (ec) return ec;
    return out;
  }

  result<bool> exists(const std::filesystem::path& p) override {
    std::error_code ec;
    bool e = std::filesystem::exists(p, ec);
    if (ec) return ec;
    return e;
  }

  result<void> remove_all(const std::filesystem::path& p) override {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
    if (ec) return ec;
    return success();
  }

  // flock(2), not fcntl locks: a flock belongs to the open file description,
  // so a second open in the same process is refused too, and closing some
  // other descriptor of the file does not drop it.
  result<std::shared_ptr<file>> open_locked(const std::filesystem::path& p) override {
    RUNNEL_TRY(auto f, open(p, open_mode::create));
    while (::flock(f->native_handle(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK)
        return std::make_error_code(std::errc::resource_unavailable_try_again);
      return last_error();
    }
    return f;
  }
};

}  // namespace

file_system& posix_file_system() {
  static posix_fs fs;
  return fs;
}

result<void> create_directories_durably(file_system& fs, const std::filesystem::path& dir) {
  std::filesystem::path at;
  for (const auto& part : dir.lexically_normal()) {
    const auto parent = at.empty() ? std::filesystem::path(".") : at;
    at /= part;
    if (part.empty() || part == "/" || part == ".") continue;
    RUNNEL_TRY(bool there, fs.exists(at));
    if (there) continue;
    RUNNEL_TRY(fs.create_directories(at));
    RUNNEL_TRY(fs.sync_directory(parent));
  }
  return success();
}

result<void> write_file_atomically(file_system& fs, const std::filesystem::path& target,
                                   const std::filesystem::path& tmp,
                                   std::span<const std::byte> bytes) {
  {
    RUNNEL_TRY(auto f, fs.open(tmp, open_mode::create));
    RUNNEL_TRY(f->truncate(0));
    RUNNEL_TRY(f->write_at(0, bytes));
    RUNNEL_TRY(f->sync());
  }
  RUNNEL_TRY(fs.rename(tmp, target));
  return fs.sync_directory(target.parent_path());
}

result<void> read_exact(file& f, uint64_t pos, std::span<std::byte> out) {
  RUNNEL_TRY(size_t n, f.read_at(pos, out));
  if (n != out.size()) return storage_errc::unexpected_eof;
  return success();
}

}  // namespace runnel::storage
