// How far the source has read each object, as it is stored in the source
// offsets (Kafka Connect's format: one source partition per object) — and
// so the dedup store: an object version (container, key, etag, size) whose
// offset says `done` is never read again, whichever discovery found it
// again (a second listing, a duplicated or late notification, the same
// file re-uploaded unchanged). A new version of the key (another etag or
// size) is read from its start.
//
//   partition {"container": "bucket", "key": "in/a.json"}
//   offset    {"etag": "…", "size": 1234, "records": 17, "done": false}
//
// `records` counts the records already in Kafka: a restart continues at
// record `records` of that version.
//
// Threading: one task thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "connect/api/data.h"
#include "connect/api/offsets.h"
#include "connect/objstore/blob_store.h"

namespace runnel::connect::objstore {

struct file_progress {
  std::string etag;
  int64_t size = 0;
  int64_t records = 0;
  bool done = false;

  bool same_version(const object_info& o) const { return etag == o.etag && size == o.size; }
};

data partition_of(std::string_view container, std::string_view key);
data offset_of(const file_progress& p);
// nullopt when `offset` is not an offset of this shape.
std::optional<file_progress> parse_offset(const data& offset);

class dedup_store {
 public:
  // `stored` reads the committed offsets (null: nothing stored yet).
  dedup_store(std::string container, offset_reader* stored)
      : container_(std::move(container)), stored_(stored) {}

  // Where to start reading `o`: nullopt when this version is done already,
  // else the index of the first record not yet in Kafka.
  std::optional<int64_t> start_record(const object_info& o);
  // A record's offset was committed (or is about to be produced: the
  // in-memory view runs ahead of the stored one so that one task never
  // queues a version twice).
  void update(const std::string& key, const file_progress& p) { known_[key] = p; }
  // Forgets what is not needed in memory (the stored offsets remain).
  void forget(const std::string& key) { known_.erase(key); }
  // Forgets `key` only if what is known of it is version `etag`: a stale
  // version that failed to read (replaced since it was listed or
  // notified) must not erase that a newer version is done — else a
  // listing before the newer version's offset is stored reads it again.
  void forget_version(const std::string& key, const std::string& etag) {
    if (auto it = known_.find(key); it != known_.end() && it->second.etag == etag) known_.erase(it);
  }
  size_t size() const { return known_.size(); }

 private:
  std::string container_;
  offset_reader* stored_;
  std::map<std::string, file_progress, std::less<>> known_;
};

}  // namespace runnel::connect::objstore
