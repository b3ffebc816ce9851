// kafka_source: one topic of a Kafka-protocol cluster read into row changes
// — the running part of CREATE SOURCE / CREATE TABLE ... WITH (connector =
// 'kafka'). A thread of its own polls a consumer (every partition, assigned
// without a group, from scan.startup.mode), decodes each record value as a
// JSON row (json_row.h), adds the INCLUDEd Kafka metadata columns and hands
// each polled batch to `deliver` as changes:
//  - FORMAT PLAIN without a primary key: every record inserts a row;
//  - FORMAT PLAIN with a primary key (a table): a record replaces the row
//    with the same key (a delete of the old row and an insert of the new);
//  - FORMAT UPSERT: the record's Kafka key names the row; a value replaces
//    it and a null value (a tombstone) deletes it.
// A record that cannot be decoded is skipped, counted and logged, never the
// end of the source.
//
// Thread-safety: `deliver` runs on the source's thread. The destructor
// stops and joins that thread, so it must not run while something
// `deliver` waits for is held: stop() first, destroy later.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sql/connector/kafka_options.h"
#include "sql/exec/row_batch.h"
#include "sql/plan/logical.h"

namespace runnel::sql {

struct kafka_source_layout {
  std::vector<plan_column> columns;  // the value's columns first, then the INCLUDEd ones
  size_t value_columns = 0;          // how many come from the JSON value
  // For each INCLUDEd column (after the value's): "key", "partition",
  // "offset", "timestamp" or "header" (with its name).
  std::vector<std::pair<std::string, std::string>> includes;
  std::vector<int> primary_key;  // FORMAT PLAIN with a key: replace by key
};

// What one delivered batch moved, besides its rows: what the engine
// commits with the state it produced, so that a restart resumes exactly
// after it (engine.cc, "Durable state").
struct source_progress {
  // The next offset to read of each partition the batch read from.
  std::vector<std::pair<int32_t, int64_t>> next_offsets;
  // A keyed source (FORMAT UPSERT, or a primary key): each key whose
  // current row changed, in order, with its new row encoded (encode_row),
  // or nullopt where the key's row was deleted. With
  // kafka_source_options::reader_keeps_rows, every keyed record (a
  // tombstone of a key never seen too): the batch's rows are these alone.
  std::vector<std::pair<std::string, std::optional<std::string>>> keys;
  // With kafka_source_options::hold_at: every record before those offsets
  // has been delivered (this batch is the last before them, maybe empty);
  // the source delivers nothing more until release().
  bool at_hold = false;
};

class kafka_source {
 public:
  using deliver_fn = std::function<void(row_batch changes, source_progress progress)>;

  // Checks that the topic exists (an error if it does not, or if the
  // cluster cannot be reached) and starts reading.
  static result<std::unique_ptr<kafka_source>> start(const kafka_source_options& options,
                                                     kafka_source_layout layout,
                                                     deliver_fn deliver);
  ~kafka_source();

  // Asks the thread to stop after its current batch; returns at once.
  void stop();
  // With kafka_source_options::hold_at: reading goes on past those
  // offsets (after the batch flagged at_hold, or at once). Returns at once.
  void release();
  // Whether records replace rows by key (FORMAT UPSERT, or a primary key).
  bool keyed() const;
  // Where it started in each partition: (partition, offset).
  const std::vector<std::pair<int32_t, int64_t>>& start_offsets() const;
  // Records read, and those skipped because they could not be decoded.
  uint64_t records() const;
  // Where reading has got to in each partition: the next offset to read,
  // counted once what came before it was delivered (FLUSH waits on it).
  std::map<int32_t, int64_t> read_to() const;
  // The topic's end offset of each partition now, asking the cluster.
  result<std::map<int32_t, int64_t>> end_offsets() const;
  uint64_t bad_records() const;
  // Whether it has delivered every partition up to where the partition
  // ended when it started (it may have read on since): a view over it
  // is then no longer partly built (`runnel sql --share` answers no query
  // over a pipeline that is still catching up).
  bool caught_up() const;

  struct impl;

 private:
  explicit kafka_source(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
