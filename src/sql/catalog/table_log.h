// table_log: the topic behind a table written with INSERT and DELETE when
// SQL processes share the work (`runnel sql --share`): whichever process
// runs the table appends each statement's changes to it and waits for the
// cluster (acks=all) before the statement returns, so that the process the
// table moves to (its owner died) rebuilds exactly the rows that were
// acknowledged. One partition. Two layouts (docs/format/sql-catalog.md,
// "Table logs"): a table with a primary key gets a compacted topic keyed
// by the key (each record the key's row, a tombstone for a delete), so
// the topic holds about one record per row however often rows change; a
// table without one (or a topic made before keys were used) a log of
// changes without keys, never deleted by retention: each value a change,
// its count (svarint, negative for a delete) and the row (exec/rows.h
// encode_row). open() reads which layout a topic has from its
// cleanup.policy.
//
// Fenced (src/sql/README.md, "Several processes"): open() starts a
// transactional producer whose transactional.id names the topic, which
// fences the process that had the table before; append() is one
// transaction; read_all() reads committed records only.
//
// Thread-safety: one thread at a time (the engine's, under its mutex).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runnel/client/config.h"
#include "sql/error.h"

namespace runnel::sql {

class table_log {
 public:
  // Opens `topic`, creating it if missing (compacted and keyed if `keyed`),
  // and takes over its writes (InitProducerId of transactional_id(topic)).
  static result<std::unique_ptr<table_log>> open(const client::client_config& cluster,
                                                 const std::string& topic, bool keyed);
  ~table_log();
  // Whether records are keyed (a compacted topic), whatever open() asked.
  bool keyed() const;
  struct record {
    std::optional<std::string> key;
    std::optional<std::string> value;  // none: a tombstone
  };
  // Every record in it, in order (read to its end).
  result<std::vector<record>> read_all();
  // Appends records in one transaction and waits until it is committed.
  // errc::unavailable (57P03) once another process opened the topic
  // since (fenced()): nothing of it was written.
  result<void> append(const std::vector<record>& records);
  bool fenced() const;
  static std::string transactional_id(const std::string& topic);
  // Deletes `topic` (DROP TABLE); a topic already gone is not an error.
  static result<void> remove(const client::client_config& cluster, const std::string& topic);

  struct impl;

 private:
  explicit table_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
