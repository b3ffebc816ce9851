#include "connect/objstore/listing_discovery.h"

namespace runnel::connect::objstore {

result<std::vector<object_info>> listing_discovery::scan(blob_store& store, dedup_store& dedup,
                                                         time_point now) {
  bool full =
      cursor_.empty() || opts_.full_every.count() == 0 || now - last_full_ >= opts_.full_every;
  list_request req;
  req.prefix = opts_.prefix;
  req.max_keys = opts_.page_size;
  if (!full) req.start_after = cursor_;
  std::vector<object_info> found;
  std::string too_young;  // the smallest key skipped for its age: the cursor stops before it
  for (int pages = 0;; ++pages) {
    CONNECT_TRY(auto page, store.list(req));
    for (auto& o : page.objects) {
      // Without a minimum age nothing waits, also not a file whose time is
      // ahead of ours (the writer's clock).
      if (opts_.min_age.count() > 0 && now - o.last_modified < opts_.min_age) {
        if (too_young.empty() || o.key < too_young) too_young = o.key;
        continue;
      }
      if (o.key > cursor_) seen_.emplace(o.key, now);
      if (dedup.start_record(o)) found.push_back(std::move(o));
    }
    if (page.next_token.empty()) break;
    req.token = page.next_token;
  }
  if (full) last_full_ = now;
  last_full_scan_ = full;

  // Move the cursor over keys first seen more than `grace` ago, in order,
  // stopping at the first recent one or an object that was too young.
  auto it = seen_.begin();
  while (it != seen_.end() && now - it->second >= opts_.grace &&
         (too_young.empty() || it->first < too_young)) {
    cursor_ = it->first;
    it = seen_.erase(it);
  }
  return found;
}

}  // namespace runnel::connect::objstore
