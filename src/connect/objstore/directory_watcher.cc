#include "connect/objstore/directory_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "connect/objstore/directory_store.h"

namespace runnel::connect::objstore {

namespace fs = std::filesystem;

namespace {
constexpr uint32_t watch_mask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
}

result<std::unique_ptr<directory_watcher>> directory_watcher::open(fs::path root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(errc::not_found, fmt::format("{} is not a directory", root.string()));
  }
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return make_error(errc::io, fmt::format("inotify_init1: {}", std::strerror(errno)));
  }
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    int err = errno;
    ::close(fd);
    return make_error(errc::io, fmt::format("eventfd: {}", std::strerror(err)));
  }
  std::unique_ptr<directory_watcher> w(new directory_watcher(std::move(root), fd, wake));
  w->watch_tree(w->root_);
  if (w->dirs_.empty()) {
    return make_error(
        errc::io, fmt::format("inotify_add_watch {}: {}", w->root_.string(), std::strerror(errno)));
  }
  return w;
}

directory_watcher::~directory_watcher() {
  ::close(fd_);
  ::close(wake_fd_);
}

void directory_watcher::watch_tree(const fs::path& dir) {
  int wd = inotify_add_watch(fd_, dir.c_str(), watch_mask);
  if (wd < 0) return;  // gone already, or the watch limit: the listing finds its files
  dirs_[wd] = dir;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec) &&
        !it->path().filename().string().starts_with(directory_temp_prefix)) {
      watch_tree(it->path());
    }
  }
}

void directory_watcher::wakeup() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

result<directory_watcher::events> directory_watcher::poll(std::chrono::milliseconds timeout) {
  events out;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int rc = ::poll(fds, 2, int(timeout.count()));
  if (rc < 0 && errno != EINTR) {
    return make_error(errc::io, fmt::format("poll: {}", std::strerror(errno)));
  }
  if (fds[1].revents & POLLIN) {
    uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
  }
  // Aligned as inotify_event requires.
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: nothing more queued
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        out.needs_listing = true;
        continue;
      }
      if (ev->mask & IN_IGNORED) {
        dirs_.erase(ev->wd);
        continue;
      }
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end() || ev->len == 0) continue;
      std::string name(ev->name);
      if (name.starts_with(directory_temp_prefix)) continue;
      fs::path path = dir->second / name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          watch_tree(path);
          out.needs_listing = true;  // files may have landed before the watch
        }
        continue;
      }
      if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        out.keys.push_back(path.lexically_relative(root_).generic_string());
      }
    }
  }
  return out;
}

}  // namespace runnel::connect::objstore
