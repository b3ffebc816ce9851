#include "storage/fault_file_system.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "storage/errc.h"

namespace runnel::storage {

namespace {

// A file or a directory. The current and the durable namespace both point at
// inodes, as a real file system's directory entries do, so a rename moves a
// name without copying contents and an unlinked file that is still open keeps
// its bytes.
struct inode {
  bool is_directory = false;
  // Files: the bytes as written, and as of the last successful file::sync().
  std::vector<std::byte> data;
  std::vector<std::byte> durable;
  // Directories: the entries now, and as of the last successful
  // sync_directory(). A subdirectory is an entry like a file, so a directory
  // made by create_directories() survives power loss only once its parent
  // has been synced (and then with the entries it had durably).
  std::map<std::string, std::shared_ptr<inode>> children;
  std::map<std::string, std::shared_ptr<inode>> durable_children;
  // open_locked(): the file is locked by a live holder.
  bool locked = false;
};

using inode_ptr = std::shared_ptr<inode>;

struct write_fault {
  std::error_code ec;
  size_t partial_bytes = 0;
};

std::error_code errc(std::errc e) {
  return std::make_error_code(e);
}

inode_ptr make_directory() {
  auto d = std::make_shared<inode>();
  d->is_directory = true;
  return d;
}

// The components of `p` after lexical normalisation. The simulated disk has
// one tree, so "/a" and "a" name the same entry; ".." at the root stays at the
// root, as in POSIX.
std::vector<std::string> split(const std::filesystem::path& p) {
  std::vector<std::string> parts;
  for (const auto& c : p.lexically_normal()) {
    std::string s = c.string();
    if (s.empty() || s == "." || s == "/") continue;
    if (s == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(s));
  }
  return parts;
}

// Resolves `parts` in the current namespace.
result<inode_ptr> lookup(const inode_ptr& root, std::span<const std::string> parts) {
  inode_ptr n = root;
  for (const auto& name : parts) {
    if (!n->is_directory) return errc(std::errc::not_a_directory);
    auto it = n->children.find(name);
    if (it == n->children.end()) return errc(std::errc::no_such_file_or_directory);
    n = it->second;
  }
  return n;
}

// Where an entry lives: its directory and its name there.
struct entry_ref {
  inode_ptr dir;
  std::string name;
};

// The root has no parent; callers turn that into their own POSIX error first.
result<entry_ref> lookup_parent(const inode_ptr& root, std::span<const std::string> parts) {
  if (parts.empty()) return errc(std::errc::invalid_argument);
  RUNNEL_TRY(inode_ptr dir, lookup(root, parts.first(parts.size() - 1)));
  if (!dir->is_directory) return errc(std::errc::not_a_directory);
  return entry_ref{std::move(dir), parts.back()};
}

// Brings a tree back to its durable state. `seen` stops the walk on an inode
// reached twice: a cross-directory rename synced on one side only leaves the
// durable namespace with two names for it (or, in contrived cases, a cycle).
void restore(const inode_ptr& n, std::set<const inode*>& seen) {
  if (!seen.insert(n.get()).second) return;
  if (!n->is_directory) {
    n->data = n->durable;
    return;
  }
  n->children = n->durable_children;
  for (const auto& [name, child] : n->children) restore(child, seen);
}

// Drops every lock: after a power loss no holder is alive.
void unlock_all(const inode_ptr& n, std::set<const inode*>& seen) {
  if (!seen.insert(n.get()).second) return;
  n->locked = false;
  for (const auto& [name, child] : n->children) unlock_all(child, seen);
}

}  // namespace

struct fault_file_system::state {
  std::mutex mu;
  inode_ptr root = make_directory();
  // Bumped by power_loss(); a file opened in an older generation is dead,
  // as a descriptor does not survive a reboot.
  uint64_t generation = 0;
  uint64_t writes = 0;
  uint64_t syncs = 0;
  // Keyed by the absolute operation number (count at arming time + k), so
  // faults armed at different times do not shift each other.
  std::map<uint64_t, write_fault> write_faults;
  std::optional<std::pair<uint64_t, std::error_code>> writes_fail_from;
  std::map<uint64_t, std::error_code> sync_faults;

  // Counts a sync and returns the fault armed for it, if any.
  std::error_code next_sync() {
    uint64_t n = ++syncs;
    auto it = sync_faults.find(n);
    if (it == sync_faults.end()) return {};
    std::error_code ec = it->second;
    sync_faults.erase(it);
    return ec;
  }

  // Counts a write and returns the fault armed for it (and how many of its
  // `size` bytes still reach the file).
  std::pair<std::error_code, size_t> next_write(size_t size) {
    uint64_t n = ++writes;
    if (auto it = write_faults.find(n); it != write_faults.end()) {
      write_fault f = it->second;
      write_faults.erase(it);
      return {f.ec, std::min(f.partial_bytes, size)};
    }
    if (writes_fail_from && n >= writes_fail_from->first) return {writes_fail_from->second, 0};
    return {{}, size};
  }
};

namespace {

using state_ptr = std::shared_ptr<fault_file_system::state>;

class fault_file final : public file {
 public:
  fault_file(state_ptr s, inode_ptr node, bool writable, bool holds_lock = false)
      : state_(std::move(s)),
        node_(std::move(node)),
        generation_(state_->generation),
        writable_(writable),
        holds_lock_(holds_lock) {}

  ~fault_file() override {
    if (!holds_lock_) return;
    std::lock_guard lock(state_->mu);
    if (!stale()) node_->locked = false;
  }

  result<void> write_at(uint64_t pos, std::span<const std::byte> data) override {
    std::lock_guard lock(state_->mu);
    if (stale()) return storage_errc::injected_fault;
    if (!writable_) return errc(std::errc::bad_file_descriptor);
    if (pos > std::numeric_limits<uint64_t>::max() - data.size())
      return errc(std::errc::file_too_large);
    auto [ec, n] = state_->next_write(data.size());
    // A write that reaches the file at all zero-fills any gap before it, as
    // pwrite past the end does; a write that fails outright changes nothing.
    if (n > 0) {
      auto& bytes = node_->data;
      if (bytes.size() < pos + n) bytes.resize(pos + n);
      std::copy_n(data.begin(), n, bytes.begin() + std::ptrdiff_t(pos));
    }
    if (ec) return ec;
    return success();
  }

  result<size_t> read_at(uint64_t pos, std::span<std::byte> out) override {
    std::lock_guard lock(state_->mu);
    if (stale()) return storage_errc::injected_fault;
    const auto& bytes = node_->data;
    if (pos >= bytes.size()) return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), bytes.size() - pos);
    std::copy_n(bytes.begin() + std::ptrdiff_t(pos), n, out.begin());
    return n;
  }

  result<void> sync() override {
    std::lock_guard lock(state_->mu);
    if (stale()) return storage_errc::injected_fault;
    // A failed sync makes nothing durable; the dirty bytes stay in `data`
    // and vanish at the next power loss unless a later sync succeeds.
    if (auto ec = state_->next_sync()) return ec;
    node_->durable = node_->data;
    return success();
  }

  result<void> truncate(uint64_t size) override {
    std::lock_guard lock(state_->mu);
    if (stale()) return storage_errc::injected_fault;
    if (!writable_) return errc(std::errc::bad_file_descriptor);
    node_->data.resize(size);
    return success();
  }

  result<uint64_t> size() override {
    std::lock_guard lock(state_->mu);
    if (stale()) return storage_errc::injected_fault;
    return uint64_t(node_->data.size());
  }

 private:
  bool stale() const { return generation_ != state_->generation; }

  state_ptr state_;
  inode_ptr node_;
  uint64_t generation_;
  bool writable_;
  bool holds_lock_;
};

}  // namespace

fault_file_system::fault_file_system() : state_(std::make_shared<state>()) {}

fault_file_system::~fault_file_system() = default;

result<std::shared_ptr<file>> fault_file_system::open(const std::filesystem::path& p, open_mode m) {
  auto parts = split(p);
  if (parts.empty()) return errc(std::errc::is_a_directory);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(entry_ref ref, lookup_parent(state_->root, parts));
  inode_ptr node;
  if (auto it = ref.dir->children.find(ref.name); it != ref.dir->children.end()) {
    if (m == open_mode::create_new) return errc(std::errc::file_exists);
    if (it->second->is_directory) return errc(std::errc::is_a_directory);
    node = it->second;
  } else {
    if (m == open_mode::read_only || m == open_mode::read_write)
      return errc(std::errc::no_such_file_or_directory);
    node = std::make_shared<inode>();
    ref.dir->children.emplace(ref.name, node);
  }
  bool writable = m != open_mode::read_only;
  return std::shared_ptr<file>(std::make_shared<fault_file>(state_, std::move(node), writable));
}

result<void> fault_file_system::remove(const std::filesystem::path& p) {
  auto parts = split(p);
  if (parts.empty()) return errc(std::errc::is_a_directory);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(entry_ref ref, lookup_parent(state_->root, parts));
  auto it = ref.dir->children.find(ref.name);
  if (it == ref.dir->children.end()) return errc(std::errc::no_such_file_or_directory);
  // Like unlink(2), which the POSIX file system uses.
  if (it->second->is_directory) return errc(std::errc::is_a_directory);
  ref.dir->children.erase(it);
  return success();
}

result<void> fault_file_system::rename(const std::filesystem::path& from,
                                       const std::filesystem::path& to) {
  auto from_parts = split(from);
  auto to_parts = split(to);
  if (from_parts.empty() || to_parts.empty()) return errc(std::errc::device_or_resource_busy);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(entry_ref src, lookup_parent(state_->root, from_parts));
  auto it = src.dir->children.find(src.name);
  if (it == src.dir->children.end()) return errc(std::errc::no_such_file_or_directory);
  RUNNEL_TRY(entry_ref dst, lookup_parent(state_->root, to_parts));
  if (from_parts == to_parts) return success();
  inode_ptr moving = it->second;
  bool into_itself = to_parts.size() > from_parts.size() &&
                     std::equal(from_parts.begin(), from_parts.end(), to_parts.begin());
  if (moving->is_directory && into_itself) return errc(std::errc::invalid_argument);
  if (auto t = dst.dir->children.find(dst.name); t != dst.dir->children.end()) {
    const inode_ptr& target = t->second;
    if (target == moving) return success();  // two names of one inode: rename(2) does nothing
    if (moving->is_directory && !target->is_directory) return errc(std::errc::not_a_directory);
    if (!moving->is_directory && target->is_directory) return errc(std::errc::is_a_directory);
    if (target->is_directory && !target->children.empty())
      return errc(std::errc::directory_not_empty);
  }
  dst.dir->children[dst.name] = moving;
  src.dir->children.erase(src.name);
  return success();
}

result<void> fault_file_system::create_directories(const std::filesystem::path& p) {
  auto parts = split(p);
  std::lock_guard lock(state_->mu);
  inode_ptr dir = state_->root;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto [it, created] = dir->children.try_emplace(parts[i]);
    if (created) it->second = make_directory();
    if (!it->second->is_directory)
      return errc(i + 1 == parts.size() ? std::errc::file_exists : std::errc::not_a_directory);
    dir = it->second;
  }
  return success();
}

result<void> fault_file_system::sync_directory(const std::filesystem::path& dir) {
  auto parts = split(dir);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(inode_ptr d, lookup(state_->root, parts));
  if (!d->is_directory) return errc(std::errc::not_a_directory);
  if (auto ec = state_->next_sync()) return ec;
  d->durable_children = d->children;
  return success();
}

result<std::vector<std::string>> fault_file_system::list(const std::filesystem::path& dir) {
  auto parts = split(dir);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(inode_ptr d, lookup(state_->root, parts));
  if (!d->is_directory) return errc(std::errc::not_a_directory);
  std::vector<std::string> names;
  names.reserve(d->children.size());
  for (const auto& [name, child] : d->children) names.push_back(name);
  return names;
}

result<bool> fault_file_system::exists(const std::filesystem::path& p) {
  auto parts = split(p);
  std::lock_guard lock(state_->mu);
  // A missing entry and a file used as a directory both mean "no such path",
  // as std::filesystem::exists reports them.
  return bool(lookup(state_->root, parts));
}

result<void> fault_file_system::remove_all(const std::filesystem::path& p) {
  auto parts = split(p);
  if (parts.empty()) return errc(std::errc::invalid_argument);
  std::lock_guard lock(state_->mu);
  auto ref = lookup_parent(state_->root, parts);
  if (!ref) return success();  // nothing there, as std::filesystem::remove_all
  // Unlinking the top entry is enough: the subtree goes with it, and comes
  // back whole after power loss unless the parent's removal was synced.
  ref.value().dir->children.erase(ref.value().name);
  return success();
}

result<std::shared_ptr<file>> fault_file_system::open_locked(const std::filesystem::path& p) {
  RUNNEL_TRY(auto f, open(p, open_mode::create));
  auto parts = split(p);
  std::lock_guard lock(state_->mu);
  RUNNEL_TRY(inode_ptr node, lookup(state_->root, parts));
  if (node->locked) return errc(std::errc::resource_unavailable_try_again);
  node->locked = true;
  return std::shared_ptr<file>(std::make_shared<fault_file>(state_, std::move(node), true, true));
}

void fault_file_system::fail_write(uint64_t k, std::error_code ec, size_t partial_bytes) {
  std::lock_guard lock(state_->mu);
  // k = 0 is taken as 1: there is no earlier write left to fail.
  state_->write_faults[state_->writes + std::max<uint64_t>(k, 1)] = {ec, partial_bytes};
}

void fault_file_system::fail_writes_from(uint64_t k, std::error_code ec) {
  std::lock_guard lock(state_->mu);
  state_->writes_fail_from.emplace(state_->writes + std::max<uint64_t>(k, 1), ec);
}

void fault_file_system::fail_sync(uint64_t k, std::error_code ec) {
  std::lock_guard lock(state_->mu);
  state_->sync_faults[state_->syncs + std::max<uint64_t>(k, 1)] = ec;
}

void fault_file_system::clear_faults() {
  std::lock_guard lock(state_->mu);
  state_->write_faults.clear();
  state_->writes_fail_from.reset();
  state_->sync_faults.clear();
}

void fault_file_system::power_loss() {
  std::lock_guard lock(state_->mu);
  ++state_->generation;
  std::set<const inode*> seen;
  restore(state_->root, seen);
  seen.clear();
  unlock_all(state_->root, seen);
}

uint64_t fault_file_system::writes() const {
  std::lock_guard lock(state_->mu);
  return state_->writes;
}

uint64_t fault_file_system::syncs() const {
  std::lock_guard lock(state_->mu);
  return state_->syncs;
}

std::vector<std::byte> fault_file_system::contents(const std::filesystem::path& p) const {
  auto parts = split(p);
  std::lock_guard lock(state_->mu);
  auto node = lookup(state_->root, parts);
  if (!node || node.value()->is_directory) return {};
  return node.value()->data;
}

void fault_file_system::set_contents(const std::filesystem::path& p, std::vector<std::byte> data) {
  auto parts = split(p);
  // This helper has no way to return an error, and a test that names a
  // directory here has a bug worth stopping on.
  if (parts.empty()) throw std::invalid_argument("set_contents: the root is not a file");
  std::lock_guard lock(state_->mu);
  // Missing directories on the way are created, and every entry on the way is
  // made durable, so the file is there after any later power loss.
  inode_ptr dir = state_->root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto [it, created] = dir->children.try_emplace(parts[i]);
    if (created) it->second = make_directory();
    if (!it->second->is_directory)
      throw std::invalid_argument("set_contents: not a directory: " + parts[i]);
    dir->durable_children[parts[i]] = it->second;
    dir = it->second;
  }
  inode_ptr& f = dir->children[parts.back()];
  if (!f) f = std::make_shared<inode>();
  if (f->is_directory) throw std::invalid_argument("set_contents: is a directory: " + p.string());
  f->data = data;
  f->durable = std::move(data);
  dir->durable_children[parts.back()] = f;
}

}  // namespace runnel::storage
