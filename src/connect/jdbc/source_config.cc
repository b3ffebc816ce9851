#include "connect/jdbc/source_config.h"

namespace runnel::connect::jdbc {

const config_def& source_config_def() {
  static const config_def def = [] {
    using ct = config_type;
    using ci = config_importance;
    using cd = config_default;
    config_def d;
    const std::string db = "Database", mode = "Mode", conn = "Connector";
    define_connection_keys(d, db);
    d.define(
        make_config_key("table.whitelist", ct::list, cd::of(""), ci::medium,
                        "Tables to copy (name or schema.name); empty: every table not blacklisted. "
                        "table.include.list is a synonym.",
                        db));
    d.define(make_config_key("table.include.list", ct::list, cd::of(""), ci::medium,
                             "A synonym of table.whitelist.", db));
    d.define(make_config_key(
        "table.blacklist", ct::list, cd::of(""), ci::medium,
        "Tables not to copy (name or schema.name). table.exclude.list is a synonym.", db));
    d.define(make_config_key("table.exclude.list", ct::list, cd::of(""), ci::medium,
                             "A synonym of table.blacklist.", db));
    d.define(make_config_key(
        "schema.pattern", ct::string, cd::null(), ci::medium,
        "Only tables of this schema; unset: every schema outside the system ones.", db));
    d.define(
        make_config_key("db.timezone", ct::string, cd::of("UTC"), ci::medium,
                        "The zone in which timestamp columns without a zone are written; the safe "
                        "upper bound of timestamp mode is computed in it.",
                        db));
    d.define(make_config_key(
        "mode", ct::string, cd::required(), ci::high,
        "bulk: the whole table at every poll; incrementing: rows with a larger "
        "incrementing.column.name; timestamp: rows with a later timestamp.column.name; "
        "timestamp+incrementing: both, ordered by (timestamp, id).",
        mode, validators::one_of({"bulk", "incrementing", "timestamp", "timestamp+incrementing"})));
    d.define(make_config_key("incrementing.column.name", ct::string, cd::of(""), ci::medium,
                             "The strictly incrementing column (an integer) of incrementing modes.",
                             mode));
    d.define(make_config_key(
        "timestamp.column.name", ct::list, cd::of(""), ci::medium,
        "The timestamp column(s) of timestamp modes; several are COALESCEd in order.", mode));
    d.define(
        make_config_key("timestamp.delay.interval.ms", ct::long_, cd::of("0"), ci::high,
                        "Rows are read only once their timestamp is this much older than the safe "
                        "bound (for timestamps written by clients rather than by the database).",
                        mode, validators::at_least(0)));
    d.define(make_config_key(
        "query", ct::string, cd::of(""), ci::medium,
        "A custom query instead of tables; its rows go to topic.prefix (the topic "
        "name). In incrementing and timestamp modes it is wrapped as a subquery, so it "
        "may have its own WHERE.",
        mode));
    d.define(make_config_key("poll.interval.ms", ct::int_, cd::of("5000"), ci::high,
                             "How often each table is polled for new rows.", conn,
                             validators::at_least(1)));
    d.define(make_config_key(
        "batch.max.rows", ct::int_, cd::of("100"), ci::low,
        "At most this many rows per query; a full batch is followed at once by the next.", conn,
        validators::at_least(1)));
    d.define(make_config_key(
        "topic.prefix", ct::string, cd::required(), ci::high,
        "Prefix of the topic names (<topic.prefix><table>); with query, the topic name.", conn));
    d.define(make_config_key(
        "tables", ct::list, cd::of(""), ci::low,
        "Set by the connector in each task's config: the tables that task copies.", conn));
    return d;
  }();
  return def;
}

result<source_config> source_config::parse(const config_map& props) {
  CONNECT_TRY(auto p, source_config_def().parse(props));
  source_config c;
  CONNECT_TRY(c.connection, parse_connection(p));
  auto m = p.get_string("mode");
  c.mode = m == "incrementing"             ? source_mode::incrementing
           : m == "timestamp"              ? source_mode::timestamp
           : m == "timestamp+incrementing" ? source_mode::timestamp_incrementing
                                           : source_mode::bulk;
  c.incrementing_column = p.get_string("incrementing.column.name");
  c.timestamp_columns = p.get_list("timestamp.column.name");
  c.table_include = p.get_list("table.whitelist");
  for (auto& t : p.get_list("table.include.list")) c.table_include.push_back(t);
  c.table_exclude = p.get_list("table.blacklist");
  for (auto& t : p.get_list("table.exclude.list")) c.table_exclude.push_back(t);
  c.schema_pattern = p.get_optional_string("schema.pattern").value_or("");
  c.db_timezone = p.get_string("db.timezone");
  c.query = p.get_string("query");
  c.topic_prefix = p.get_string("topic.prefix");
  c.poll_interval = std::chrono::milliseconds(p.get_long("poll.interval.ms"));
  c.batch_max_rows = p.get_long("batch.max.rows");
  c.timestamp_delay = std::chrono::milliseconds(p.get_long("timestamp.delay.interval.ms"));
  c.task_tables = p.get_list("tables");
  if (c.uses_incrementing() && c.incrementing_column.empty()) {
    return make_error(errc::invalid_config,
                      "Missing required configuration \"incrementing.column.name\" for mode " + m);
  }
  if (c.uses_timestamp() && c.timestamp_columns.empty()) {
    return make_error(errc::invalid_config,
                      "Missing required configuration \"timestamp.column.name\" for mode " + m);
  }
  if (!c.query.empty() && !c.table_include.empty()) {
    return make_error(errc::invalid_config,
                      "Only one of query and table.whitelist may be set, not both");
  }
  return c;
}

}  // namespace runnel::connect::jdbc
