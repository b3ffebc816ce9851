// The tail-a-file source (README.md): lines appended to files named by
// paths or globs, across rotation by rename+create and by copytruncate.
//
// A file is known by its identity (device, inode), not by its name. Each
// matched path holds a queue of open files: the files that were at the path
// and were renamed or deleted away (still read to their end) and, last, the
// one at the path now. Records of a path go in that order, under one key
// (the path), so one partition keeps a path's lines in order across
// rotations. The source partition is {"path"}, the offset {"dev",
// "inode", "position"}: the byte after the last line returned of the file
// being read. A restart finds that file at the path, or by its inode among
// the files of the path's directory (renamed by a rotation), continues it
// at the position, and then reads the file at the path from its start.
//
// inotify (objstore/inotify_events.h) on the directories and the open files
// says when to read and when to look again; a stat of every path each
// poll.interval.ms is the backstop for whatever it misses.
//
// Threading: the runtime's task thread; wakeup() from any thread.
#include <fcntl.h>
#include <glob.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connect/api/plugins.h"
#include "connect/api/source_task.h"
#include "connect/objstore/inotify_events.h"
#include "connect/register.h"

namespace runnel::connect {

namespace {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;
using objstore::inotify_events;

const config_def& tail_def() {
  static const config_def d = [] {
    using cd = config_default;
    config_def d;
    d.define(make_config_key(
        "files", config_type::list, cd::required(), config_importance::high,
        "The files to tail: paths or glob patterns (/var/log/app/*.log), "
        "comma-separated. A file that appears later under a pattern is read from its "
        "start.",
        {},
        {[](const data& v) -> std::optional<std::string> {
           if (!v.is_array() || v.empty()) return "at least one path or pattern";
           for (const auto& p : v)
             if (p.get<std::string>().empty()) return "an empty path";
           return std::nullopt;
         },
         "a list of paths or glob patterns"}));
    d.define(make_config_key("topic", config_type::string, cd::required(), config_importance::high,
                             "The topic lines are written to.", {},
                             validators::non_empty_string()));
    d.define(make_config_key(
        "read.from", config_type::string, cd::of("beginning"), config_importance::high,
        "Where to start in the files there at the connector's first start: beginning, "
        "or end (only lines appended later). Files that appear later, and every file "
        "after a restart, are read from their start or their stored position.",
        {}, validators::one_of({"beginning", "end"})));
    d.define(make_config_key(
        "poll.interval.ms", config_type::long_, cd::of("1000"), config_importance::medium,
        "How often every path is stat'ed and the patterns expanded again, as a backstop "
        "for inotify (which tells about appends and rotations at once).",
        {}, validators::at_least(1)));
    d.define(make_config_key("batch.max.lines", config_type::int_, cd::of("2000"),
                             config_importance::low, "At most this many lines per poll.", {},
                             validators::at_least(1)));
    d.define(make_config_key("max.line.bytes", config_type::int_, cd::of("1048576"),
                             config_importance::low,
                             "A line longer than this is split into records of this many bytes.",
                             {}, validators::at_least(1)));
    d.define(make_config_key(
        "idle.flush.ms", config_type::long_, cd::of("0"), config_importance::low,
        "A last line without its newline waits for it; with a value above 0 it is sent "
        "once the file has not grown for this long (what follows then starts a new "
        "line). 0: it waits for its newline, or for its file to be rotated away.",
        {}, validators::at_least(0)));
    d.define(make_config_key(
        "rotated.close.ms", config_type::long_, cd::of("5000"), config_importance::low,
        "A file renamed or deleted away from its path is read to its end and closed "
        "once the new file at the path has data, or once nothing was appended to it "
        "for this long.",
        {}, validators::at_least(0)));
    d.define(make_config_key(
        "file.path.header", config_type::string, cd::of(""), config_importance::low,
        "When set, each record gets a header of this name holding the file's path."));
    return d;
  }();
  return d;
}

struct identity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  auto operator<=>(const identity&) const = default;
};

identity identity_of(const struct stat& st) {
  return {uint64_t(st.st_dev), uint64_t(st.st_ino)};
}

struct tailed {
  identity id;
  int fd = -1;
  int wd = -1;             // inotify watch on the file, or -1
  int64_t position = 0;    // the byte after the last line returned (the offset)
  int64_t read_pos = 0;    // bytes read into `buf`
  std::string buf;         // read, not yet returned (a partial line)
  clock::time_point grew;  // when bytes last came
  bool away = false;       // renamed or deleted away from its path
};

class tail_file_task final : public source_task {
 public:
  result<void> start(const config_map& props, source_task_context& ctx) override {
    CONNECT_TRY(auto c, tail_def().parse(props));
    patterns_ = c.get_list("files");
    topic_ = c.get_string("topic");
    from_end_ = c.get_string("read.from") == "end";
    scan_every_ = std::chrono::milliseconds(c.get_long("poll.interval.ms"));
    batch_ = size_t(c.get_int("batch.max.lines"));
    max_line_ = size_t(c.get_int("max.line.bytes"));
    idle_flush_ = std::chrono::milliseconds(c.get_long("idle.flush.ms"));
    rotated_close_ = std::chrono::milliseconds(c.get_long("rotated.close.ms"));
    path_header_ = c.get_string("file.path.header");
    offsets_ = &ctx.offsets();
    CONNECT_TRY(in_, inotify_events::open());
    started_before_ = offsets_->offset(started_partition()).has_value();
    // Files there now: from their stored position, else per read.from.
    for (const auto& path : expand()) resume(path);
    first_scan_done_ = true;
    next_scan_ = clock::now() + scan_every_;
    return ok();
  }

  result<std::vector<source_record>> poll(std::chrono::milliseconds timeout) override {
    std::vector<source_record> out;
    if (!started_before_) {
      // From now on a file without an offset is one that appeared after
      // the first start: read from its beginning whatever read.from says.
      source_record started;
      started.source_partition = started_partition();
      started.source_offset = data::object({{"started", true}});
      out.push_back(std::move(started));
      started_before_ = true;
    }
    const auto deadline = clock::now() + timeout;
    for (;;) {
      auto now = clock::now();
      if (rescan_ || now >= next_scan_) {
        rescan_ = false;
        scan();
        next_scan_ = clock::now() + scan_every_;
      }
      CONNECT_TRY(read_all(out));
      if (!out.empty() || woken_.exchange(false)) return out;
      now = clock::now();
      if (now >= deadline) return out;
      auto until = std::min({deadline, next_scan_, next_timer()});
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now);
      CONNECT_TRY(auto events, in_->poll(std::max(wait, std::chrono::milliseconds(1))));
      for (const auto& ev : events) {
        // An append is read by read_all; anything else changes which file
        // is at which path.
        if (ev.mask & ~uint32_t(IN_MODIFY | IN_CLOSE_WRITE | IN_IGNORED)) rescan_ = true;
      }
    }
  }

  void wakeup() override {
    woken_.store(true);
    if (in_) in_->wakeup();
  }

  void stop() override {
    for (auto& [path, q] : paths_)
      for (auto& f : q) close_file(f);
    paths_.clear();
  }

 private:
  static data started_partition() { return data{{"path", ""}}; }

  // Every regular file the patterns match now, in order, each once.
  std::vector<std::string> expand() {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& p : patterns_) {
      glob_t g{};
      if (::glob(p.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
        std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
        std::sort(found.begin(), found.end());
        for (auto& f : found) {
          struct stat st;
          if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && seen.insert(f).second)
            out.push_back(std::move(f));
        }
      }
      ::globfree(&g);
      watch_directories(p);
    }
    return out;
  }

  // The directories a pattern's files are in, watched for files created,
  // moved in or out, and appended to.
  void watch_directories(const std::string& pattern) {
    auto dir = fs::path(pattern).parent_path();
    if (dir.empty()) dir = ".";
    glob_t g{};
    if (::glob(dir.c_str(), GLOB_ONLYDIR | GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string d = g.gl_pathv[i];
        if (watched_dirs_.count(d)) continue;
        if (in_->add(d, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                            IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) >= 0)
          watched_dirs_.insert(d);
      }
    }
    ::globfree(&g);
  }

  result<tailed> open_at(const std::string& path, int64_t position) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(errc::not_found, std::strerror(errno));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return make_error(errc::io, std::strerror(errno));
    }
    tailed f;
    f.id = identity_of(st);
    f.fd = fd;
    f.wd = in_->add(path, IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF);
    // A file shorter than the position was truncated (copytruncate): from 0.
    f.position = f.read_pos = position <= int64_t(st.st_size) ? position : 0;
    f.grew = clock::now();
    return f;
  }

  void close_file(tailed& f) {
    if (f.wd >= 0) in_->remove(f.wd);
    if (f.fd >= 0) ::close(f.fd);
    f.fd = f.wd = -1;
  }

  bool tracked(const identity& id) const {
    for (const auto& [path, q] : paths_)
      for (const auto& f : q)
        if (f.id == id) return true;
    return false;
  }

  // A path seen for the first time by this task (start, or a file that
  // appeared): where its stored offset says, else from the beginning (or
  // the end, for the files there at the very first start with
  // read.from=end).
  void resume(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return;
    identity now = identity_of(st);
    if (tracked(now)) return;  // a file we read under another name
    auto& q = paths_[path];
    int64_t from = 0;
    auto stored = offsets_->offset(data{{"path", path}});
    auto stored_id = stored_identity(stored);
    if (auto d = done_.find(now); d != done_.end()) {
      from = d->second;  // finished here under another name, and back
    } else if (stored_id && stored_id->first.ino == now.ino) {
      // The inode alone: a device number may change across reboots.
      from = stored_id->second;
    } else if (stored_id && !done_.count(stored_id->first)) {
      const auto& [id, pos] = *stored_id;
      if (auto rotated = find_by_inode(fs::path(path).parent_path(), id.ino)) {
        // Rotated while we were away: its rest first, then the new file.
        if (auto f = open_at(*rotated, pos); f && f.value().id.ino == id.ino) {
          f.value().away = true;
          spdlog::info("TailFile: {} was rotated to {}; reading it from byte {} first", path,
                       *rotated, f.value().position);
          q.push_back(std::move(f.value()));
          // Rotated again since: those files were never read (they came
          // after the one we were in), oldest first.
          for (const auto& later : rotated_after(path, *rotated)) {
            if (auto g = open_at(later, 0)) {
              if (tracked(g.value().id)) {
                close_file(g.value());
                continue;
              }
              g.value().away = true;
              spdlog::info("TailFile: {} was rotated again to {}; reading it next", path, later);
              q.push_back(std::move(g.value()));
            }
          }
        } else if (f) {
          close_file(f.value());
        }
      } else {
        spdlog::warn(
            "TailFile: the file last read at {} (inode {}) is gone; reading the file there now "
            "from its start",
            path, id.ino);
      }
    } else if (!stored && !started_before_ && from_end_ && !first_scan_done_) {
      from = int64_t(st.st_size);
    }
    if (auto f = open_at(path, from)) {
      q.push_back(std::move(f.value()));
    }
    if (q.empty()) paths_.erase(path);
  }

  // A stored offset's file and position; nullopt when there is none (or
  // it is not of this connector's shape: then the file starts over).
  static std::optional<std::pair<identity, int64_t>> stored_identity(const std::optional<data>& o) {
    if (!o || !o->is_object()) return std::nullopt;
    auto num = [&](const char* k) { return o->contains(k) && (*o)[k].is_number_integer(); };
    if (!num("inode") || !num("position")) return std::nullopt;
    identity id{num("dev") ? (*o)["dev"].get<uint64_t>() : 0, (*o)["inode"].get<uint64_t>()};
    return std::make_pair(id, std::max<int64_t>(0, (*o)["position"].get<int64_t>()));
  }

  // The files of `path`'s directory named after it (app.log.2,
  // app.log-20261204; not compressed ones) modified after `rotated` was:
  // the rotations that followed it, in the order they were written.
  static std::vector<std::string> rotated_after(const std::string& path,
                                                const std::string& rotated) {
    struct stat base;
    if (::stat(rotated.c_str(), &base) != 0) return {};
    return rotated_after(path, base);
  }
  static std::vector<std::string> rotated_after(const std::string& path, const struct stat& base) {
    auto dir = fs::path(path).parent_path();
    auto name = fs::path(path).filename().string();
    std::vector<std::pair<std::pair<int64_t, std::string>, std::string>> found;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      auto f = it->path().filename().string();
      if (f.size() <= name.size() || !f.starts_with(name)) continue;
      auto p = it->path().string();
      bool compressed = false;
      for (const char* ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip"})
        compressed = compressed || f.ends_with(ext);
      struct stat st;
      if (compressed || ::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          st.st_ino == base.st_ino)
        continue;
      auto mtime = [](const struct stat& s) {
        return int64_t(s.st_mtim.tv_sec) * 1000000000 + s.st_mtim.tv_nsec;
      };
      if (mtime(st) < mtime(base)) continue;
      found.push_back({{mtime(st), f}, p});
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& [k, p] : found) out.push_back(std::move(p));
    return out;
  }

  static std::optional<std::string> find_by_inode(const fs::path& dir, uint64_t ino) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      struct stat st;
      if (::stat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_ino) == ino)
        return it->path().string();
    }
    return std::nullopt;
  }

  // Which file is at which path now: rotations, deletions, new files.
  void scan() {
    auto matched = expand();
    std::set<std::string> now_matched(matched.begin(), matched.end());
    for (auto& [path, q] : paths_) {
      auto& current = q.back();
      struct stat st;
      bool there = now_matched.count(path) && ::stat(path.c_str(), &st) == 0;
      if (!there) {
        current.away = true;  // deleted or renamed; read to its end, then closed
        continue;
      }
      identity id = identity_of(st);
      if (id == current.id && !current.away) continue;
      if (id == current.id) {
        current.away = false;  // moved back
        continue;
      }
      if (tracked(id)) continue;
      // Rotated: a new file at the path, read once the old one is finished.
      current.away = true;
      // Rotated twice before we looked: the file between (named after the
      // path, written after the old one) is read in between.
      struct stat old_st;
      if (::fstat(current.fd, &old_st) == 0) {
        for (const auto& between : rotated_after(path, old_st)) {
          if (auto g = open_at(between, 0)) {
            if (g.value().id == id || tracked(g.value().id) || done_.count(g.value().id)) {
              close_file(g.value());
              continue;
            }
            g.value().away = true;
            spdlog::info("TailFile: {} rotated twice; reading {} in between", path, between);
            q.push_back(std::move(g.value()));
          }
        }
      }
      if (auto f = open_at(path, 0); f && f.value().id == id) {
        spdlog::info("TailFile: {} rotated (a new file, inode {})", path, id.ino);
        q.push_back(std::move(f.value()));
      } else if (f) {
        close_file(f.value());
        rescan_ = true;  // replaced again between stat and open
      }
    }
    for (const auto& path : matched)
      if (!paths_.count(path)) resume(path);
  }

  // The soonest time a file's idle flush or close is due.
  clock::time_point next_timer() const {
    auto t = clock::time_point::max();
    for (const auto& [path, q] : paths_) {
      const auto& f = q.front();
      if (f.away) t = std::min(t, f.grew + rotated_close_);
      if (idle_flush_.count() > 0 && !f.buf.empty()) t = std::min(t, f.grew + idle_flush_);
    }
    return t;
  }

  source_record make_record(const std::string& path, const tailed& f, std::string line) const {
    source_record r;
    r.topic = topic_;
    r.key_schema = schemas::string();
    r.key = path;
    r.value_schema = schemas::string();
    r.value = std::move(line);
    r.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    r.source_partition = data{{"path", path}};
    r.source_offset = data{{"dev", f.id.dev}, {"inode", f.id.ino}, {"position", f.position}};
    if (!path_header_.empty()) r.add_header(path_header_, path, schemas::string());
    return r;
  }

  // Complete lines of `f.buf` into `out`, at most up to the batch.
  void take_lines(const std::string& path, tailed& f, std::vector<source_record>& out) {
    size_t start = 0;
    while (out.size() < batch_) {
      auto nl = f.buf.find('\n', start);
      size_t end = nl == std::string::npos ? f.buf.size() : nl;
      if (end - start > max_line_) {
        end = start + max_line_;
        nl = std::string::npos;
      } else if (nl == std::string::npos) {
        break;
      }
      size_t next = nl == std::string::npos ? end : nl + 1;
      size_t len = end - start;
      if (nl != std::string::npos && len > 0 && f.buf[end - 1] == '\r') --len;
      f.position += int64_t(next - start);
      out.push_back(make_record(path, f, f.buf.substr(start, len)));
      start = next;
    }
    f.buf.erase(0, start);
  }

  // The rest without a newline, as the last line.
  void flush_partial(const std::string& path, tailed& f, std::vector<source_record>& out) {
    if (f.buf.empty()) return;
    f.position += int64_t(f.buf.size());
    out.push_back(make_record(path, f, std::move(f.buf)));
    f.buf.clear();
  }

  // Reads every path's front file; finishes rotated files. When the batch
  // fills, the next poll starts at the path that was not read, so one busy
  // file does not starve the others.
  result<void> read_all(std::vector<source_record>& out) {
    std::vector<std::string> order;
    order.reserve(paths_.size());
    auto from = paths_.lower_bound(next_path_);
    for (auto it = from; it != paths_.end(); ++it) order.push_back(it->first);
    for (auto it = paths_.begin(); it != from; ++it) order.push_back(it->first);
    for (const auto& path : order) {
      if (out.size() >= batch_) {
        next_path_ = path;
        return ok();
      }
      auto it = paths_.find(path);
      CONNECT_TRY(read_path(path, it->second, out));
      if (it->second.empty()) paths_.erase(it);
    }
    return ok();
  }

  result<void> read_path(const std::string& path, std::deque<tailed>& q,
                         std::vector<source_record>& out) {
    while (!q.empty() && out.size() < batch_) {
      auto& f = q.front();
      // Whether the writer has moved to the next file, asked before the
      // last read of this one: a line it wrote here before its first line
      // there is then seen by that read.
      bool next_started = false;
      if (q.size() > 1) {
        struct stat st;
        next_started = ::fstat(q[1].fd, &st) == 0 && st.st_size > 0;
      }
      CONNECT_TRY(bool at_end, read_file(path, f, out));
      if (!at_end) return ok();  // the batch is full
      auto now = clock::now();
      if (idle_flush_.count() > 0 && !f.buf.empty() && now - f.grew >= idle_flush_)
        flush_partial(path, f, out);
      if (!f.away || (!next_started && now - f.grew < rotated_close_)) return ok();
      if (out.size() >= batch_ && !f.buf.empty()) return ok();
      // Finished: a last line without its newline is a line now.
      flush_partial(path, f, out);
      done_[f.id] = f.position;
      spdlog::debug("TailFile: finished {} (inode {}) at byte {}", path, f.id.ino, f.position);
      close_file(f);
      q.pop_front();
    }
    return ok();
  }

  // Reads what `f` has now; true at its end, false when the batch filled.
  result<bool> read_file(const std::string& path, tailed& f, std::vector<source_record>& out) {
    struct stat st;
    if (::fstat(f.fd, &st) != 0)
      return make_error(errc::retriable,
                        fmt::format("TailFile: fstat {}: {}", path, std::strerror(errno)));
    if (int64_t(st.st_size) < f.read_pos) {
      spdlog::info("TailFile: {} was truncated (now {} bytes, read {}); reading it from its start",
                   path, int64_t(st.st_size), f.read_pos);
      f.position = f.read_pos = 0;
      f.buf.clear();
      f.grew = clock::now();
    }
    char chunk[64 * 1024];
    for (;;) {
      take_lines(path, f, out);
      if (out.size() >= batch_) return false;
      ssize_t n = ::pread(f.fd, chunk, sizeof chunk, f.read_pos);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(errc::retriable,
                          fmt::format("TailFile: reading {}: {}", path, std::strerror(errno)));
      }
      if (n == 0) return true;
      f.buf.append(chunk, size_t(n));
      f.read_pos += n;
      f.grew = clock::now();
    }
  }

  std::vector<std::string> patterns_;
  std::string topic_;
  bool from_end_ = false;
  std::chrono::milliseconds scan_every_{1000};
  size_t batch_ = 2000;
  size_t max_line_ = 1 << 20;
  std::chrono::milliseconds idle_flush_{0};
  std::chrono::milliseconds rotated_close_{5000};
  std::string path_header_;
  offset_reader* offsets_ = nullptr;
  std::unique_ptr<inotify_events> in_;
  std::set<std::string> watched_dirs_;
  std::map<std::string, std::deque<tailed>> paths_;
  std::map<identity, int64_t> done_;  // files finished and closed → their end
  std::string next_path_;             // where read_all starts
  bool started_before_ = false;
  bool first_scan_done_ = false;
  bool rescan_ = false;
  clock::time_point next_scan_{};
  std::atomic<bool> woken_{false};
};

class tail_file_source final : public source_connector {
 public:
  const config_def& config() const override { return tail_def(); }
  result<void> start(const config_map& props, connector_context&) override {
    CONNECT_TRY(tail_def().parse(props));
    props_ = props;
    return ok();
  }
  // One task: the files' rotations are followed by one reader.
  result<std::vector<config_map>> task_configs(int) override { return std::vector{props_}; }
  void stop() override {}
  std::unique_ptr<source_task> create_task() const override {
    return std::make_unique<tail_file_task>();
  }
  // Each record's offset is the exact byte after its line in an identified
  // file: with records and offsets in one transaction, no line is missed or
  // doubled across a crash.
  exactly_once_support exactly_once(const config_map&) const override {
    return exactly_once_support::supported;
  }
  result<bool> alter_offsets(
      const config_map&,
      const std::vector<std::pair<data, std::optional<data>>>& offsets) override {
    for (const auto& [p, o] : offsets) {
      if (!p.is_object() || !p.contains("path") || !p["path"].is_string())
        return make_error(errc::bad_request, "Partition objects should contain the key 'path'");
      if (o && !(*o).contains("started") &&
          (!o->contains("position") || !(*o)["position"].is_number_integer() ||
           (*o)["position"].get<int64_t>() < 0 || !o->contains("inode") ||
           !(*o)["inode"].is_number_integer() || !o->contains("dev") ||
           !(*o)["dev"].is_number_integer()))
        return make_error(errc::bad_request,
                          "An offset is {\"dev\": …, \"inode\": …, \"position\": …} with "
                          "non-negative integers");
    }
    return true;
  }

 private:
  config_map props_;
};

}  // namespace

void register_tail_file(plugin_registry& r) {
  r.add({.class_name = "runnel.connect.file.TailFileSourceConnector",
         .type = plugin_type::source,
         .version = RUNNEL_VERSION,
         .aliases = {"TailFile"},
         .make = [] { return std::make_unique<tail_file_source>(); }});
}

}  // namespace runnel::connect
