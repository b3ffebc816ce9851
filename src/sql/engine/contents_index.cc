#include "sql/engine/contents_index.h"

namespace runnel::sql {

namespace {

bool points_to_string(type_id t) {
  return t == type_id::text || t == type_id::bytea || t == type_id::jsonb ||
         t == type_id::unknown || t == type_id::text_array;
}

// Fewer removals than this never recopy the strings (small relations).
constexpr size_t min_recopy = 4096;

}  // namespace

void contents_index::reset() {
  built_ = false;
  index_.clear();
  entry_node_.clear();
  removed_ = 0;
}

void contents_index::build(row_batch& contents, const schema_types& types) {
  consolidate(contents, types);
  own_strings(contents, types);
  index_.clear();
  index_.reserve(contents.size() * 2);
  entry_node_.assign(contents.size(), nullptr);
  std::string key;
  for (size_t i = 0; i < contents.size(); ++i) {
    key.clear();
    append_row_key(types, contents.row(i), key);
    auto [it, fresh] = index_.emplace(key, i);
    entry_node_[i] = &*it;  // nodes are stable across rehashing
  }
  built_ = true;
  removed_ = 0;
}

void contents_index::remove(row_batch& contents, map::iterator it) {
  const size_t i = it->second;
  const size_t last = contents.size() - 1;
  if (i != last) {
    const datum* from = contents.row(last);
    std::copy(from, from + contents.width(), contents.row(i));
    contents.set_weight(i, contents.weight(last));
    entry_node_[i] = entry_node_[last];
    entry_node_[i]->second = i;
  }
  contents.pop_back();
  entry_node_.pop_back();
  index_.erase(it);
  ++removed_;
}

void contents_index::apply(row_batch& contents, const row_batch& changes,
                           const schema_types& types) {
  if (!built_) {
    bool inserts_only = true;
    for (size_t i = 0; i < changes.size() && inserts_only; ++i)
      inserts_only = changes.weight(i) >= 0;
    if (inserts_only) {
      append_owned(contents, changes, types);
      return;
    }
    build(contents, types);
  }
  std::string key;
  for (size_t i = 0; i < changes.size(); ++i) {
    const int64_t w = changes.weight(i);
    if (w == 0) continue;
    const datum* row = changes.row(i);
    key.clear();
    append_row_key(types, row, key);
    auto it = index_.find(key);
    if (it != index_.end()) {
      const int64_t now = contents.weight(it->second) + w;
      if (now == 0)
        remove(contents, it);
      else
        contents.set_weight(it->second, now);
      continue;
    }
    // A new row (a negative one too, as consolidate() would keep it).
    datum* r = contents.add(w);
    for (size_t c = 0; c < types.size(); ++c)
      r[c] = points_to_string(types[c].id) && !row[c].is_null()
                 ? datum::of_text(contents.strings().copy(row[c].as_text()))
                 : row[c];
    auto [node, fresh] = index_.emplace(std::move(key), contents.size() - 1);
    entry_node_.push_back(&*node);
    key = std::string();
  }
  if (removed_ >= min_recopy && removed_ >= contents.size()) {
    own_strings(contents, types);
    removed_ = 0;
  }
}

}  // namespace runnel::sql
