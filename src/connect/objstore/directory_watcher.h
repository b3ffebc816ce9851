// Notices files that land in a directory tree, with inotify: a file closed
// after writing (IN_CLOSE_WRITE) or moved in (IN_MOVED_TO), the two ways a
// writer finishes a file. The notification half of the directory source's
// hybrid discovery; a listing is its backstop, because inotify can drop
// events (queue overflow) and a directory created with files already in it
// is watched only from the moment it is seen. Both cases set
// `needs_listing`.
//
// Threading: poll() from one thread; wakeup() from any.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connect/api/error.h"
#include "connect/objstore/inotify_events.h"

namespace runnel::connect::objstore {

class directory_watcher {
 public:
  static result<std::unique_ptr<directory_watcher>> open(std::filesystem::path root);
  ~directory_watcher() = default;
  directory_watcher(const directory_watcher&) = delete;
  directory_watcher& operator=(const directory_watcher&) = delete;

  struct events {
    std::vector<std::string> keys;  // relative to the root, in arrival order
    bool needs_listing = false;     // events may have been missed
  };

  // Waits at most `timeout` for the first event, then returns every event
  // already queued. Temporary files of directory_store are left out.
  result<events> poll(std::chrono::milliseconds timeout);
  // Ends a waiting poll() early (it returns no events).
  void wakeup();

 private:
  directory_watcher(std::filesystem::path root, std::unique_ptr<inotify_events> in)
      : root_(std::move(root)), in_(std::move(in)) {}
  // Watches `dir` and every directory under it.
  void watch_tree(const std::filesystem::path& dir);

  std::filesystem::path root_;
  std::unique_ptr<inotify_events> in_;
  std::map<int, std::filesystem::path> dirs_;  // watch descriptor → directory
};

}  // namespace runnel::connect::objstore
