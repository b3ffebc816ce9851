// catalog_log: the durable catalog of a SQL process — one compacted topic
// (one partition) whose record key is a relation's name and whose value is
// what re-creates it: its id, its CREATE statement, and for a Kafka source
// the offsets it started reading at, so that a restarted process rebuilds
// every source, table, view and sink over exactly the same input. DROP
// writes a tombstone. The format is in docs/format/sql-catalog.md.
//
// Thread-safety: one thread at a time (the engine's, under its mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/client/config.h"
#include "sql/error.h"

namespace runnel::sql {

class fenced_writer;

struct catalog_entry {
  std::string name;
  uint64_t id = 0;  // creation order: replayed in it, so a view after what it reads
  std::string sql;  // the CREATE statement as the client wrote it
  std::vector<std::pair<int32_t, int64_t>> start_offsets;  // a source's (partition, offset)
};

// One record of the catalog topic: an entry, or a name's tombstone.
struct catalog_record {
  std::string name;
  std::optional<catalog_entry> entry;  // nullopt: DROP
};

class catalog_log {
 public:
  // Opens (creating it, compacted, if missing) `topic` and reads every
  // entry in it. Errors: the cluster cannot be reached, or an entry is not
  // one this version can read (never skipped silently: a catalog that
  // loses a view would be worse than one that refuses to start).
  static result<std::unique_ptr<catalog_log>> open(const client::client_config& cluster,
                                                   const std::string& topic);
  ~catalog_log();

  // The live entries, by id.
  const std::vector<catalog_entry>& entries() const;
  // Writes an entry (or replaces the one of that name) and waits until the
  // cluster has it (acks=all).
  result<void> put(const catalog_entry& e);
  // Writes the name's tombstone and waits for it.
  result<void> remove(const std::string& name);
  // ALTER ... RENAME: writes `puts` (the renamed relation under its new
  // name with its id, and its dependants' rewritten statements), then the
  // tombstones of `removes` (the old name), all sent before one wait, so
  // that they usually land in one batch. If the process dies between the
  // new entry and the old name's tombstone, both names hold the same id;
  // open() keeps the later one, so a rename is never half-done for the
  // relation itself.
  result<void> replace(const std::vector<catalog_entry>& puts,
                       const std::vector<std::string>& removes);

  // --share: only the group's leader writes, each write one transaction
  // of set_writer()'s fenced_writer (transactional id
  // leader_transactional_id(topic)), which a new leader's fences; without
  // one a write fails with errc::unavailable (57P03). Readers (open(),
  // catalog_follower) read committed records only.
  static std::string leader_transactional_id(const std::string& topic);
  void share();
  // nullptr: not the leader (any more).
  void set_writer(std::unique_ptr<fenced_writer> w);
  // A writer, not fenced.
  bool writes() const;
  // A writer, fenced by a newer leader.
  bool fenced() const;

  // The offset after the last record open() read: where a follower of
  // the topic (catalog_follower) starts.
  int64_t end_offset() const;
  // A record another process wrote (catalog_follower): entries() as if
  // this process had written it.
  void absorb(const catalog_record& r);

  struct impl;

 private:
  explicit catalog_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// Reads the catalog topic on from an offset, for a process that shares the
// work with others (`runnel sql --share`): every CREATE and DROP any of
// them writes — this process's own too — in the order of the topic.
//
// Thread-safety: one thread (the engine's group thread), without the
// engine's mutex: poll() waits.
class catalog_follower {
 public:
  static result<std::unique_ptr<catalog_follower>> open(const client::client_config& cluster,
                                                        const std::string& topic, int64_t from);
  ~catalog_follower();
  // What was written since the last poll, waiting up to `wait` for the
  // first record. `at_end` is set when the topic's end was reached. A
  // record this version cannot read is an error (never skipped).
  result<std::vector<catalog_record>> poll(std::chrono::milliseconds wait, bool& at_end);

  struct impl;

 private:
  explicit catalog_follower(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
