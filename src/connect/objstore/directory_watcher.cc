#include "connect/objstore/directory_watcher.h"

#include <sys/inotify.h>

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
  CONNECT_TRY(auto in, inotify_events::open());
  std::unique_ptr<directory_watcher> w(new directory_watcher(std::move(root), std::move(in)));
  w->watch_tree(w->root_);
  if (w->dirs_.empty()) {
    return make_error(
        errc::io, fmt::format("inotify_add_watch {}: {}", w->root_.string(), std::strerror(errno)));
  }
  return w;
}

void directory_watcher::watch_tree(const fs::path& dir) {
  int wd = in_->add(dir, watch_mask);
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
  in_->wakeup();
}

result<directory_watcher::events> directory_watcher::poll(std::chrono::milliseconds timeout) {
  events out;
  CONNECT_TRY(auto raw, in_->poll(timeout));
  for (auto& ev : raw) {
    if (ev.mask & IN_Q_OVERFLOW) {
      out.needs_listing = true;
      continue;
    }
    if (ev.mask & IN_IGNORED) {
      dirs_.erase(ev.wd);
      continue;
    }
    auto dir = dirs_.find(ev.wd);
    if (dir == dirs_.end() || ev.name.empty()) continue;
    if (ev.name.starts_with(directory_temp_prefix)) continue;
    fs::path path = dir->second / ev.name;
    if (ev.mask & IN_ISDIR) {
      if (ev.mask & (IN_CREATE | IN_MOVED_TO)) {
        watch_tree(path);
        out.needs_listing = true;  // files may have landed before the watch
      }
      continue;
    }
    if (ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
      out.keys.push_back(path.lexically_relative(root_).generic_string());
    }
  }
  return out;
}

}  // namespace runnel::connect::objstore
