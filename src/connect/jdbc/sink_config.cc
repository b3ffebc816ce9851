#include "connect/jdbc/sink_config.h"

namespace runnel::connect::jdbc {

const config_def& sink_config_def() {
  static const config_def def = [] {
    using ct = config_type;
    using ci = config_importance;
    using cd = config_default;
    config_def d;
    const std::string conn = "Connection", write = "Writes", ddl = "DDL Support",
                      map = "Data Mapping";
    define_connection_keys(d, conn);
    d.define(make_config_key(
        "insert.mode", ct::string, cd::of("insert"), ci::high,
        "insert: INSERT; upsert: INSERT … ON CONFLICT (primary key) DO UPDATE; update: "
        "UPDATE by primary key.",
        write, validators::one_of({"insert", "upsert", "update"}, true)));
    d.define(make_config_key("delete.enabled", ct::boolean, cd::of("false"), ci::medium,
                             "Delete the row of a tombstone (null value) by its key; needs pk.mode "
                             "record_key. Off: tombstones are skipped.",
                             write));
    d.define(make_config_key(
        "batch.size", ct::int_, cd::of("3000"), ci::medium,
        "Accepted for compatibility: every batch the runtime delivers is one database "
        "transaction.",
        write, validators::at_least(1)));
    d.define(make_config_key("table.name.format", ct::string, cd::of("${topic}"), ci::medium,
                             "The destination table; ${topic} is replaced by the record's topic.",
                             map));
    d.define(make_config_key(
        "pk.mode", ct::string, cd::of("none"), ci::high,
        "none; kafka (columns __connect_topic, __connect_partition, __connect_offset); "
        "record_key (the key's fields, or the key itself as pk.fields' one column); "
        "record_value (pk.fields of the value).",
        map, validators::one_of({"none", "kafka", "record_key", "record_value"}, true)));
    d.define(make_config_key(
        "pk.fields", ct::list, cd::of(""), ci::medium,
        "The primary-key fields (see pk.mode); empty: all of the key's (record_key) or "
        "the value's (record_value) fields.",
        map));
    d.define(make_config_key("fields.whitelist", ct::list, cd::of(""), ci::medium,
                             "Only these value fields are written; empty: all.", map));
    d.define(make_config_key("auto.create", ct::boolean, cd::of("false"), ci::medium,
                             "CREATE TABLE from the record's schema when the table is missing.",
                             ddl));
    d.define(make_config_key("auto.evolve", ct::boolean, cd::of("false"), ci::medium,
                             "ALTER TABLE … ADD COLUMN (nullable) for fields the table lacks.",
                             ddl));
    d.define(
        make_config_key("offsets.table.name", ct::string, cd::of("runnel_connect_offsets"), ci::low,
                        "The table (created if missing) that keeps each partition's next offset, "
                        "written in the same transaction as the rows: exactly-once.",
                        write, validators::non_empty_string()));
    return d;
  }();
  return def;
}

std::string sink_config::table_for(const std::string& topic) const {
  std::string out = table_name_format;
  for (auto at = out.find("${topic}"); at != std::string::npos; at = out.find("${topic}", at)) {
    out.replace(at, 8, topic);
    at += topic.size();
  }
  return out;
}

result<sink_config> sink_config::parse(const config_map& props) {
  CONNECT_TRY(auto p, sink_config_def().parse(props));
  sink_config c;
  CONNECT_TRY(c.connection, parse_connection(p));
  c.connector_name = props.count("name") ? props.at("name") : "";
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  auto im = lower(p.get_string("insert.mode"));
  c.insert = im == "upsert"   ? insert_mode::upsert
             : im == "update" ? insert_mode::update
                              : insert_mode::insert;
  auto pm = lower(p.get_string("pk.mode"));
  c.pk = pm == "kafka"          ? pk_mode::kafka
         : pm == "record_key"   ? pk_mode::record_key
         : pm == "record_value" ? pk_mode::record_value
                                : pk_mode::none;
  c.pk_fields = p.get_list("pk.fields");
  c.fields_whitelist = p.get_list("fields.whitelist");
  c.table_name_format = p.get_string("table.name.format");
  c.auto_create = p.get_bool("auto.create");
  c.auto_evolve = p.get_bool("auto.evolve");
  c.delete_enabled = p.get_bool("delete.enabled");
  c.offsets_table = p.get_string("offsets.table.name");
  if (c.delete_enabled && c.pk != pk_mode::record_key) {
    return make_error(errc::invalid_config,
                      "Deletes are only supported for pk.mode record_key (delete.enabled=true)");
  }
  if (c.insert != insert_mode::insert && c.pk == pk_mode::none) {
    return make_error(errc::invalid_config,
                      "insert.mode " + im + " needs a primary key: set pk.mode");
  }
  return c;
}

}  // namespace runnel::connect::jdbc
