// table_log: the topic behind a table written with INSERT and DELETE when
// SQL processes share the work (`runnel sql --share`): whichever process
// runs the table appends each statement's changes to it and waits for the
// cluster (acks=all) before the statement returns, so that the process the
// table moves to (its owner died) rebuilds exactly the rows that were
// acknowledged. One partition, records without keys, never deleted by
// retention; each value is a change: its count (svarint, negative for a
// delete) and the row (exec/rows.h encode_row). Format:
// docs/format/sql-catalog.md, "Table logs".
//
// Thread-safety: one thread at a time (the engine's, under its mutex).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runnel/client/config.h"
#include "sql/error.h"

namespace runnel::sql {

class table_log {
 public:
  // Opens `topic`, creating it if missing.
  static result<std::unique_ptr<table_log>> open(const client::client_config& cluster,
                                                 const std::string& topic);
  ~table_log();
  // Every change in it, in order (read to its end).
  result<std::vector<std::string>> read_all();
  // Appends changes and waits until the cluster has them all.
  result<void> append(const std::vector<std::string>& changes);

  struct impl;

 private:
  explicit table_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::sql
