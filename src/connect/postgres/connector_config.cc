#include "connect/postgres/connector_config.h"

#include "connect/postgres/incremental_snapshot.h"
#include "connect/postgres/sql_connection.h"

namespace runnel::connect::postgres {

const config_def& connector_config_def() {
  static const config_def def = [] {
    using ct = config_type;
    using ci = config_importance;
    using cd = config_default;
    config_def d;
    const std::string conn = "Connection", repl = "Replication", events = "Events";
    d.define(make_config_key("database.hostname", ct::string, cd::required(), ci::high,
                             "Resolvable hostname or IP address of the PostgreSQL server.", conn));
    d.define(make_config_key("database.port", ct::int_, cd::of("5432"), ci::high,
                             "Port of the PostgreSQL server.", conn,
                             validators::between(1, 65535)));
    d.define(make_config_key(
        "database.user", ct::string, cd::of(""), ci::high,
        "Name of the database user; it needs the REPLICATION attribute (or superuser) "
        "and SELECT on the captured tables.",
        conn));
    d.define(make_config_key("database.password", ct::password, cd::null(), ci::high,
                             "Password of the database user.", conn));
    d.define(make_config_key("database.dbname", ct::string, cd::required(), ci::high,
                             "The database to capture changes from.", conn));
    d.define(
        make_config_key("topic.prefix", ct::string, cd::required(), ci::high,
                        "Logical name of the server: the prefix of every topic "
                        "(<topic.prefix>.<schema>.<table>), source.name in events, and the source "
                        "partition of the offsets. Do not change it once running.",
                        conn, validators::non_empty_string()));
    d.define(make_config_key(
        "plugin.name", ct::string, cd::of("pgoutput"), ci::medium,
        "The logical decoding plugin. Only pgoutput, built into PostgreSQL 10 and later, "
        "is supported.",
        repl, validators::one_of({"pgoutput"})));
    d.define(make_config_key(
        "slot.name", ct::string, cd::of("debezium"), ci::medium,
        "The logical replication slot; created if missing. One slot per connector.", repl));
    d.define(
        make_config_key("slot.drop.on.stop", ct::boolean, cd::of("false"), ci::low,
                        "Drop the slot when the connector stops (for tests; the next start cannot "
                        "continue where this one stopped).",
                        repl));
    d.define(make_config_key("publication.name", ct::string, cd::of("dbz_publication"), ci::medium,
                             "The publication the slot streams.", repl));
    d.define(
        make_config_key("publication.autocreate.mode", ct::string, cd::of("all_tables"), ci::low,
                        "all_tables: create the publication FOR ALL TABLES if missing (needs "
                        "superuser); filtered: create or alter it FOR TABLE the captured tables; "
                        "disabled: it must exist.",
                        repl, validators::one_of({"all_tables", "filtered", "disabled"})));
    d.define(make_config_key(
        "table.include.list", ct::list, cd::of(""), ci::medium,
        "Regular expressions matching the fully-qualified names (schema.table) of the "
        "tables to capture; empty: every table not excluded.",
        events));
    d.define(
        make_config_key("table.exclude.list", ct::list, cd::of(""), ci::medium,
                        "Regular expressions matching the fully-qualified names of tables not to "
                        "capture.",
                        events));
    d.define(make_config_key(
        "snapshot.mode", ct::string, cd::of("initial"), ci::medium,
        "initial: a consistent snapshot of the captured tables when there is no "
        "offset, then streaming; always: a snapshot at every start; no_data (or "
        "never): streaming only; initial_only: the snapshot, then no streaming.",
        events, validators::one_of({"initial", "always", "no_data", "never", "initial_only"})));
    d.define(make_config_key("snapshot.fetch.size", ct::int_, cd::of("10240"), ci::low,
                             "Rows fetched at a time from each table during a snapshot.", events,
                             validators::at_least(1)));
    d.define(make_config_key(
        "heartbeat.interval.ms", ct::int_, cd::of("0"), ci::medium,
        "How often a heartbeat record goes to <topic.heartbeat.prefix>.<topic.prefix> "
        "carrying the current WAL position; 0: none. Without heartbeats the position "
        "still advances (offset-only) while captured tables are quiet.",
        events, validators::at_least(0)));
    d.define(make_config_key("topic.heartbeat.prefix", ct::string, cd::of("__debezium-heartbeat"),
                             ci::low, "The prefix of the heartbeat topic.", events));
    d.define(make_config_key(
        "tombstones.on.delete", ct::boolean, cd::of("true"), ci::medium,
        "Follow each delete event with a tombstone (null value) for log compaction.", events));
    d.define(make_config_key("skipped.operations", ct::list, cd::of("t"), ci::low,
                             "Operations not emitted: c (inserts), u (updates), d (deletes), t "
                             "(truncates), or none.",
                             events));
    d.define(
        make_config_key("status.update.interval.ms", ct::int_, cd::of("10000"), ci::low,
                        "How often the connector reports its position to PostgreSQL (and advances "
                        "the offset while captured tables are quiet).",
                        repl, validators::at_least(1)));
    d.define(make_config_key("max.batch.size", ct::int_, cd::of("2048"), ci::low,
                             "At most this many records per poll.", events,
                             validators::at_least(1)));
    const std::string snap = "Incremental snapshots";
    d.define(make_config_key(
        "signal.data.collection", ct::string, cd::null(), ci::medium,
        "The signal table, <schema>.<table>, with columns id, type and data (text); "
        "rows inserted into it are signals (execute-snapshot, stop-snapshot, "
        "pause-snapshot, resume-snapshot, log), and the connector writes its "
        "incremental snapshot watermarks into it. It must be in the publication "
        "(publication.autocreate.mode all_tables and filtered see to it).",
        snap));
    d.define(make_config_key(
        "signal.enabled.channels", ct::list, cd::of("source"), ci::low,
        "Where signals come from. Only source (the signal table) is supported.", snap));
    d.define(make_config_key(
        "signal.kafka.topic", ct::string, cd::null(), ci::low,
        "The kafka signal channel's topic (that channel is not supported yet).", snap));
    d.define(make_config_key(
        "incremental.snapshot.chunk.size", ct::int_, cd::of("1024"), ci::medium,
        "Rows read per chunk of an incremental snapshot (each chunk is held in memory "
        "between its watermarks).",
        snap, validators::at_least(1)));
    d.define(make_config_key(
        "incremental.snapshot.watermarking.strategy", ct::string, cd::of("insert_insert"), ci::low,
        "How chunk watermarks are written: insert_insert (an open and a close row per "
        "chunk, kept in the signal table). insert_delete is not supported.",
        snap, validators::one_of({"insert_insert"})));
    d.define(make_config_key(
        "incremental.snapshot.allow.schema.changes", ct::boolean, cd::of("false"), ci::low,
        "Debezium's support for schema changes during an incremental snapshot; not "
        "supported (true is refused).",
        snap));
    return d;
  }();
  return def;
}

std::string connector_config::conninfo() const {
  return make_conninfo(hostname, port, user, password, dbname);
}

result<connector_config> connector_config::parse(const config_map& props) {
  CONNECT_TRY(auto p, connector_config_def().parse(props));
  connector_config c;
  c.hostname = p.get_string("database.hostname");
  c.port = p.get_int("database.port");
  c.user = p.get_string("database.user");
  c.password = p.get_optional_string("database.password").value_or("");
  c.dbname = p.get_string("database.dbname");
  c.topic_prefix = p.get_string("topic.prefix");
  c.slot_name = p.get_string("slot.name");
  c.slot_drop_on_stop = p.get_bool("slot.drop.on.stop");
  c.publication_name = p.get_string("publication.name");
  auto autocreate = p.get_string("publication.autocreate.mode");
  c.autocreate = autocreate == "filtered"   ? publication_autocreate::filtered
                 : autocreate == "disabled" ? publication_autocreate::disabled
                                            : publication_autocreate::all_tables;
  c.table_include = p.get_list("table.include.list");
  c.table_exclude = p.get_list("table.exclude.list");
  auto mode = p.get_string("snapshot.mode");
  c.snapshot = mode == "always"                       ? snapshot_mode::always
               : mode == "no_data" || mode == "never" ? snapshot_mode::no_data
               : mode == "initial_only"               ? snapshot_mode::initial_only
                                                      : snapshot_mode::initial;
  c.snapshot_fetch_size = p.get_long("snapshot.fetch.size");
  c.heartbeat_interval = std::chrono::milliseconds(p.get_long("heartbeat.interval.ms"));
  c.heartbeat_topic_prefix = p.get_string("topic.heartbeat.prefix");
  c.tombstones_on_delete = p.get_bool("tombstones.on.delete");
  for (const auto& op : p.get_list("skipped.operations")) {
    if (op == "none") {
      continue;
    }
    if (op.size() != 1 || std::string_view("cudt").find(op[0]) == std::string_view::npos) {
      return make_error(errc::invalid_config,
                        "Invalid value " + op +
                            " for configuration skipped.operations: expected c, u, d, t or none");
    }
    c.skipped_operations += op;
  }
  c.status_update_interval = std::chrono::milliseconds(p.get_long("status.update.interval.ms"));
  c.max_batch_size = p.get_long("max.batch.size");
  if (auto sig = p.get_optional_string("signal.data.collection"); sig && !sig->empty()) {
    auto parts = split_table_name(*sig);
    if (!parts) {
      return make_error(errc::invalid_config,
                        "Invalid value " + *sig +
                            " for configuration signal.data.collection: expected <schema>.<table>");
    }
    c.signal_schema = parts->first;
    c.signal_table = parts->second;
  }
  for (const auto& ch : p.get_list("signal.enabled.channels")) {
    if (ch != "source") {
      return make_error(errc::invalid_config,
                        "Invalid value " + ch +
                            " for configuration signal.enabled.channels: only the source "
                            "channel (the signal table) is supported");
    }
  }
  if (p.get_bool("incremental.snapshot.allow.schema.changes")) {
    return make_error(errc::invalid_config,
                      "incremental.snapshot.allow.schema.changes=true is not supported: an "
                      "incremental snapshot assumes its tables keep their columns while it runs");
  }
  c.incremental_chunk_size = p.get_long("incremental.snapshot.chunk.size");
  return c;
}

}  // namespace runnel::connect::postgres
