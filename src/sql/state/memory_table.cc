#include <map>
#include <vector>

#include "sql/state/state_table.h"

namespace runnel::sql {

std::string prefix_end(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

void state_table::delete_range(std::string_view from, std::string_view to) {
  std::vector<std::string> keys;
  scan(from, to, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (const auto& k : keys) del(k);
}

void state_table::scan_prefix(std::string_view prefix, const state_visitor& fn) {
  std::string end = prefix_end(prefix);
  scan(prefix, end, fn);
}

void state_table::delete_prefix(std::string_view prefix) {
  std::string end = prefix_end(prefix);
  delete_range(prefix, end);
}

namespace {

class memory_table : public state_table {
 public:
  std::optional<std::string> get(std::string_view key) override {
    auto it = seek(key);
    if (!last_found_) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    auto it = seek(key);
    if (!last_found_) {
      bytes_ += static_cast<int64_t>(key.size() + value.size());
      last_it_ = map_.emplace_hint(it, std::string(key), std::string(value));
      last_found_ = true;  // the cache now holds the new row
    } else {
      bytes_ += static_cast<int64_t>(value.size()) - static_cast<int64_t>(it->second.size());
      it->second.assign(value);
    }
  }
  void del(std::string_view key) override {
    auto it = seek(key);
    if (!last_found_) return;
    bytes_ -= static_cast<int64_t>(it->first.size() + it->second.size());
    map_.erase(it);
    cached_ = false;
  }
  void scan(std::string_view from, std::string_view to, const state_visitor& fn) override {
    for (auto it = map_.lower_bound(from); it != map_.end(); ++it) {
      if (!to.empty() && std::string_view(it->first) >= to) break;
      if (!fn(it->first, it->second)) break;
    }
  }
  void scan_reverse(std::string_view from, std::string_view to, const state_visitor& fn) override {
    auto it = to.empty() ? map_.end() : map_.lower_bound(to);
    while (it != map_.begin()) {
      --it;
      if (std::string_view(it->first) < from) break;
      if (!fn(it->first, it->second)) break;
    }
  }
  int64_t bytes() override { return bytes_; }

 private:
  using map_type = std::map<std::string, std::string, std::less<>>;

  // The position of `key`: the row's, or where it would go. The last one is
  // kept, so the put or del that follows a get of the same key (an
  // aggregate's state, a count of copies) does not search the tree again:
  // with many rows each search compares long shared key prefixes down
  // every level. An insert of another key or any erase drops the cache.
  map_type::iterator seek(std::string_view key) {
    if (cached_ && last_key_ == key) return last_it_;
    last_it_ = map_.lower_bound(key);
    last_found_ = last_it_ != map_.end() && last_it_->first == key;
    last_key_.assign(key);
    cached_ = true;
    return last_it_;
  }

  map_type map_;
  int64_t bytes_ = 0;
  bool cached_ = false;
  bool last_found_ = false;
  std::string last_key_;
  map_type::iterator last_it_;
};

}  // namespace

std::unique_ptr<state_table> make_memory_table() {
  return std::make_unique<memory_table>();
}

}  // namespace runnel::sql
