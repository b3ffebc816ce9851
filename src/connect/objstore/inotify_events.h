// A thin inotify instance with a wakeup: watches added by path with the
// caller's mask, events read in batches, a poll that another thread can
// cut short. Shared by the directory source's watcher (directory_watcher.h)
// and the tail-a-file source (connect/tail_file/), which ask for different
// events and keep their own maps from watch descriptors to paths.
//
// Threading: add/remove/poll from one thread; wakeup() from any.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::objstore {

class inotify_events {
 public:
  static result<std::unique_ptr<inotify_events>> open();
  ~inotify_events();
  inotify_events(const inotify_events&) = delete;
  inotify_events& operator=(const inotify_events&) = delete;

  // The watch descriptor, or -1 (errno set: gone already, or the watch
  // limit; callers fall back to stat/listing). Adding a path that is
  // watched already returns its descriptor (the masks are merged).
  int add(const std::filesystem::path& path, uint32_t mask);
  void remove(int wd);

  struct event {
    int wd = -1;
    uint32_t mask = 0;  // IN_* bits; IN_Q_OVERFLOW with wd -1 when events were lost
    std::string name;   // for a watched directory: the entry's name
  };
  // Waits at most `timeout` for the first event (or wakeup()), then returns
  // every event already queued; empty after a wakeup or the timeout.
  result<std::vector<event>> poll(std::chrono::milliseconds timeout);
  void wakeup();

 private:
  inotify_events(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}
  int fd_;
  int wake_fd_;
};

}  // namespace runnel::connect::objstore
