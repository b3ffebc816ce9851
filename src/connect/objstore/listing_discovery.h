// Discovery by listing: which objects of a store are new, found by listing
// it — never by a bare "highest key seen" cursor, which loses a slow upload
// whose key sorts before keys that appeared first.
//
// A full listing reads every key under the prefix. An incremental listing
// starts after a cursor that trails the keys seen: the cursor passes a key
// only once it was first seen more than `grace` ago, and never passes an
// object that was too young to take. So an object is still found when it
// becomes visible within `grace` of the next greater key's first sighting
// (a slow upload, a store whose listing lags), and the periodic full
// listing (`full_every`) finds anything later than that.
//
// `min_age`: an object modified less than this long ago waits for a later
// listing (a file still being written in place, clock skew between writer
// and store).
//
// Threading: one task thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "connect/objstore/blob_store.h"
#include "connect/objstore/file_progress.h"

namespace runnel::connect::objstore {

struct listing_options {
  std::string prefix;
  std::chrono::milliseconds min_age{0};
  std::chrono::milliseconds grace{std::chrono::minutes(5)};
  // How often the listing is full; zero: always.
  std::chrono::milliseconds full_every{std::chrono::hours(1)};
  int page_size = 1000;
};

class listing_discovery {
 public:
  using time_point = std::chrono::system_clock::time_point;

  explicit listing_discovery(listing_options o) : opts_(std::move(o)) {}

  // Every object listed now that is old enough and whose version is not
  // done (dedup), in key order.
  result<std::vector<object_info>> scan(blob_store& store, dedup_store& dedup, time_point now);

  const std::string& cursor() const { return cursor_; }
  bool last_scan_was_full() const { return last_full_scan_; }

 private:
  listing_options opts_;
  std::string cursor_;                      // "" : from the start
  std::map<std::string, time_point> seen_;  // keys above the cursor: first sighting
  time_point last_full_{};
  bool last_full_scan_ = false;
};

}  // namespace runnel::connect::objstore
