// The messages of PostgreSQL's built-in logical decoding plugin, pgoutput
// (protocol version 1, PostgreSQL 10 and later; "Logical Replication
// Message Formats" in the PostgreSQL manual), decoded from the bytes of one
// XLogData payload.
//
// pgoutput sends a Relation message before the first change of a table in
// a session and again whenever the table's definition changes, so change
// messages carry only the relation's OID: relation_cache keeps the latest
// definition of each and is what turns a change into named columns.
//
// Column values arrive in PostgreSQL's text output format ('t'), as SQL
// NULL ('n'), or as "unchanged TOASTed value" ('u': an update that did not
// touch a large out-of-line value does not send it again). The three are
// kept apart here, so that the change-event builder can mark an unchanged
// value rather than silently turn it into NULL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "connect/api/error.h"

namespace runnel::connect::postgres {

// A WAL position. Printed and parsed as PostgreSQL does: two hexadecimal
// halves, "16/B374D848".
struct lsn {
  std::uint64_t value = 0;

  friend auto operator<=>(const lsn&, const lsn&) = default;
  std::string to_string() const;
  static std::optional<lsn> parse(std::string_view text);
};

// Microseconds since 2000-01-01 00:00:00 UTC, PostgreSQL's epoch.
struct pg_timestamp {
  std::int64_t micros_since_2000 = 0;

  // Milliseconds since the Unix epoch (Debezium's ts_ms).
  std::int64_t unix_millis() const;
  std::int64_t unix_micros() const;
};

enum class replica_identity : char {
  default_ = 'd',  // the primary key
  nothing = 'n',
  full = 'f',
  index = 'i',
};

struct column_def {
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
  bool part_of_key = false;  // of the replica identity
};

struct relation {
  std::uint32_t oid = 0;
  std::string schema;  // namespace; "pg_catalog" is sent as ""
  std::string name;
  replica_identity identity = replica_identity::default_;
  std::vector<column_def> columns;
};

struct value {
  enum class kind : char { null = 'n', unchanged_toast = 'u', text = 't', binary = 'b' };
  kind what = kind::null;
  std::string data;  // for text and binary
};

using tuple = std::vector<value>;

struct begin_msg {
  lsn final_lsn;
  pg_timestamp commit_time;
  std::uint32_t xid = 0;
};

struct commit_msg {
  std::uint8_t flags = 0;
  lsn commit_lsn;
  lsn end_lsn;
  pg_timestamp commit_time;
};

struct origin_msg {
  lsn origin_lsn;
  std::string name;
};

struct type_msg {
  std::uint32_t oid = 0;
  std::string schema;
  std::string name;
};

struct insert_msg {
  std::uint32_t relation_oid = 0;
  tuple new_tuple;
};

struct update_msg {
  std::uint32_t relation_oid = 0;
  // 'K': the old key columns (the key changed, identity default or index),
  // 'O': the whole old row (REPLICA IDENTITY FULL); absent otherwise.
  char old_kind = 0;
  std::optional<tuple> old_tuple;
  tuple new_tuple;
};

struct delete_msg {
  std::uint32_t relation_oid = 0;
  char old_kind = 'K';  // 'K' or 'O', as for update_msg
  tuple old_tuple;
};

struct truncate_msg {
  bool cascade = false;
  bool restart_identity = false;
  std::vector<std::uint32_t> relation_oids;
};

// pg_logical_emit_message(): Debezium's signal channel uses it too.
struct logical_msg {
  bool transactional = false;
  lsn message_lsn;
  std::string prefix;
  std::string content;
};

using message = std::variant<begin_msg, commit_msg, origin_msg, relation, type_msg, insert_msg,
                             update_msg, delete_msg, truncate_msg, logical_msg>;

// Decodes one pgoutput message; a truncated or unknown message is an
// errc::data error naming what was wrong and where.
result<message> decode(std::span<const std::byte> bytes);

// The latest definition of each relation the stream has described.
class relation_cache {
 public:
  void put(relation r);
  const relation* find(std::uint32_t oid) const;

 private:
  std::unordered_map<std::uint32_t, relation> by_oid_;
};

}  // namespace runnel::connect::postgres
