// One captured table as Debezium's PostgreSQL connector describes it: the
// topic its changes go to (`<topic.prefix>.<schema>.<table>`), the Connect
// schemas of its key (`….Key`: the primary-key columns), of its rows
// (`….Value`) and of its change-event envelope (`….Envelope`), and the
// conversion of a pgoutput tuple into those structs.
//
// pgoutput's Relation message names the columns and their types but not
// whether they are nullable, and it flags the replica identity's columns,
// which are not the primary key under REPLICA IDENTITY FULL or INDEX. The
// catalog says the rest (table_catalog, read by the connector from
// pg_attribute and pg_index); without it, a column is optional unless it is
// flagged as a key column, and the key is the flagged columns (none under
// FULL: a table without a known key has null record keys, as in Debezium).
//
// A table_schema is immutable once made; a new Relation message (the table
// changed) makes a new one.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "connect/api/data.h"
#include "connect/api/error.h"
#include "connect/postgres/pgoutput.h"

namespace runnel::connect::postgres {

// What the catalog knows about a table that pgoutput does not send.
struct table_catalog {
  std::vector<std::string> primary_key;  // in key order; empty: none
  std::unordered_set<std::string> not_null;
};

class table_schema {
 public:
  static table_schema make(const relation& r, const std::string& topic_prefix,
                           const std::optional<table_catalog>& catalog);

  const relation& rel() const { return rel_; }
  // `<prefix>.<schema>.<table>`, characters Kafka refuses in topic names
  // replaced by '_'.
  const std::string& topic() const { return topic_; }
  schema_ptr key_schema() const { return key_schema_; }  // null: no key
  schema_ptr value_schema() const { return value_schema_; }
  schema_ptr envelope_schema() const { return envelope_schema_; }
  bool has_key() const { return key_schema_ != nullptr; }

  // The row struct of a tuple. A column the tuple does not carry (null in a
  // key-only old tuple under REPLICA IDENTITY DEFAULT, or an unchanged
  // TOASTed value with no earlier value in `fallback`) becomes null when
  // optional, else the zero of its type (what Debezium puts there), and an
  // unchanged TOASTed value becomes the unavailable-value placeholder.
  // `fallback` is an old tuple of the same row: its value of an unchanged
  // TOASTed column is the current value (the update did not touch it).
  result<data> row(const tuple& t, const tuple* fallback = nullptr) const;

  // The key struct of a tuple (null when the table has no key).
  result<data> key(const tuple& t) const;

 private:
  relation rel_;
  std::string topic_;
  std::vector<bool> optional_;     // per column
  std::vector<std::size_t> keys_;  // column indexes, in key order
  schema_ptr key_schema_;
  schema_ptr value_schema_;
  schema_ptr envelope_schema_;
};

// A topic name with every character outside [a-zA-Z0-9._-] replaced by '_'.
std::string sanitize_topic(std::string_view name);

}  // namespace runnel::connect::postgres
