#include "connect/objstore/directory_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace runnel::connect::objstore {

namespace fs = std::filesystem;

namespace {

error io_error(std::string_view what, const fs::path& p, int err) {
  errc kind = err == ENOENT ? errc::not_found : errc::io;
  return make_error(kind, fmt::format("{} {}: {}", what, p.string(), std::strerror(err)));
}

std::string etag_of(const struct stat& st) {
  int64_t ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return fmt::format("{:x}-{:x}", uint64_t(st.st_ino), ns);
}

object_info info_of(std::string key, const struct stat& st) {
  object_info o;
  o.key = std::move(key);
  o.size = int64_t(st.st_size);
  o.etag = etag_of(st);
  o.last_modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  return o;
}

result<void> fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("open", p, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", p, err);
  return ok();
}

// Creates the parent directories of `p` and makes each new one durable in
// its own parent.
result<void> make_parents(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) return io_error("mkdir", p.parent_path(), ec.value());
  return ok();
}

}  // namespace

bool is_safe_key(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= key.size()) {
    auto end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    auto seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return true;
}

result<std::unique_ptr<directory_store>> directory_store::open(fs::path root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(errc::not_found, fmt::format("{} is not a directory", root.string()));
  }
  return std::unique_ptr<directory_store>(new directory_store(std::move(root)));
}

result<fs::path> directory_store::path_of(std::string_view key) const {
  if (!is_safe_key(key)) {
    return make_error(errc::bad_request,
                      fmt::format("'{}' is not a relative path inside {}", key, root_text_));
  }
  return root_ / fs::path(std::string(key));
}

result<list_page> directory_store::list(const list_request& req) {
  std::lock_guard lock(walk_mu_);
  bool continued = !req.token.empty() && req.token == walk_token_ && req.prefix == walk_prefix_;
  if (!continued) {
    walk_keys_.clear();
    walk_token_.clear();
    std::error_code ec;
    auto it =
        fs::recursive_directory_iterator(root_, fs::directory_options::skip_permission_denied, ec);
    if (ec) return io_error("list", root_, ec.value());
    ++walks_;
    for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      if (ec) {
        // A directory removed while walking: what is left is still listed.
        ec.clear();
        continue;
      }
      auto name = it->path().filename().string();
      if (name.starts_with(directory_temp_prefix)) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      auto key = it->path().lexically_relative(root_).generic_string();
      if (key.starts_with(req.prefix)) walk_keys_.push_back(std::move(key));
    }
    std::sort(walk_keys_.begin(), walk_keys_.end());
    walk_prefix_ = req.prefix;
  }
  const auto& keys = walk_keys_;
  const std::string& after = req.token.empty() ? req.start_after : req.token;
  auto first = after.empty() ? keys.begin() : std::upper_bound(keys.begin(), keys.end(), after);
  list_page page;
  for (auto k = first; k != keys.end(); ++k) {
    if (int(page.objects.size()) == req.max_keys) {
      page.next_token = page.objects.back().key;
      break;
    }
    struct stat st {};
    if (::stat((root_ / *k).c_str(), &st) != 0) continue;  // removed since the walk
    page.objects.push_back(info_of(*k, st));
  }
  walk_token_ = page.next_token;
  if (walk_token_.empty()) walk_keys_ = {};  // the last page: nothing to keep
  return page;
}

int64_t directory_store::walks() const {
  std::lock_guard lock(walk_mu_);
  return walks_;
}

result<object_info> directory_store::stat(std::string_view key) {
  CONNECT_TRY(auto p, path_of(key));
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return io_error("stat", p, errno);
  if (!S_ISREG(st.st_mode)) return make_error(errc::not_found, p.string() + " is not a file");
  return info_of(std::string(key), st);
}

result<std::string> directory_store::read_bytes(std::string_view key, int64_t offset,
                                                std::optional<int64_t> length,
                                                std::string_view if_etag) {
  CONNECT_TRY(auto p, path_of(key));
  if (offset < 0 || (length && *length < 0)) {
    return make_error(errc::bad_request, "read " + p.string() + ": negative offset or length");
  }
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open", p, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("stat", p, err);
  }
  if (!if_etag.empty() && etag_of(st) != if_etag) {
    ::close(fd);
    return make_error(errc::conflict,
                      fmt::format("read {}: the file changed since it was listed", p.string()));
  }
  int64_t size = int64_t(st.st_size);
  int64_t want = offset >= size ? 0 : size - offset;
  if (length) want = std::min(want, *length);
  std::string out(size_t(want), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, off_t(offset + int64_t(got)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("read", p, err);
    }
    if (n == 0) break;  // truncated under us: what there is
    got += size_t(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

result<std::string> directory_store::write(std::string_view key, std::string_view bytes) {
  CONNECT_TRY(auto p, path_of(key));
  CONNECT_TRY(make_parents(p));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto tmp = p.parent_path() /
             fmt::format("{}{}-{:016x}", directory_temp_prefix, p.filename().string(), rng());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create", tmp, errno);
  auto fail = [&](std::string_view what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_error(what, tmp, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write", errno);
    done += size_t(n);
  }
  if (::fsync(fd) != 0) return fail("fsync", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("stat", errno);
  ::close(fd);
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("rename", p, err);
  }
  CONNECT_TRY(fsync_path(p.parent_path(), O_RDONLY | O_DIRECTORY));
  return etag_of(st);
}

result<void> directory_store::remove(std::string_view key) {
  CONNECT_TRY(auto p, path_of(key));
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("unlink", p, errno);
  return ok();
}

result<void> directory_store::copy(std::string_view from, std::string_view to) {
  CONNECT_TRY(auto bytes, read(from, 0, std::nullopt, {}));
  CONNECT_TRY(write(to, bytes));
  return ok();
}

result<void> directory_store::move(std::string_view from, std::string_view to) {
  CONNECT_TRY(auto src, path_of(from));
  CONNECT_TRY(auto dst, path_of(to));
  CONNECT_TRY(make_parents(dst));
  if (::rename(src.c_str(), dst.c_str()) != 0) return io_error("rename", src, errno);
  CONNECT_TRY(fsync_path(dst.parent_path(), O_RDONLY | O_DIRECTORY));
  if (src.parent_path() != dst.parent_path()) {
    CONNECT_TRY(fsync_path(src.parent_path(), O_RDONLY | O_DIRECTORY));
  }
  return ok();
}

}  // namespace runnel::connect::objstore
