#include "connect/objstore/inotify_events.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace runnel::connect::objstore {

result<std::unique_ptr<inotify_events>> inotify_events::open() {
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
  return std::unique_ptr<inotify_events>(new inotify_events(fd, wake));
}

inotify_events::~inotify_events() {
  ::close(fd_);
  ::close(wake_fd_);
}

int inotify_events::add(const std::filesystem::path& path, uint32_t mask) {
  return inotify_add_watch(fd_, path.c_str(), mask);
}

void inotify_events::remove(int wd) {
  inotify_rm_watch(fd_, wd);
}

void inotify_events::wakeup() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

result<std::vector<inotify_events::event>> inotify_events::poll(std::chrono::milliseconds timeout) {
  std::vector<event> out;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int rc = ::poll(fds, 2, int(std::max<int64_t>(0, timeout.count())));
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
      out.push_back({ev->wd, ev->mask, ev->len ? std::string(ev->name) : std::string()});
    }
  }
  return out;
}

}  // namespace runnel::connect::objstore
