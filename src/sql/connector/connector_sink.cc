#include "sql/connector/connector_sink.h"

#include <cctype>
#include <optional>

namespace runnel::sql {

namespace {

// What the Connect half reads: the SQL half's schemaless JSON.
constexpr const char* json_converter = "org.apache.kafka.connect.json.JsonConverter";

std::string lower(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v;
}

// The file sinks' rotation when the sink names none: a file a second (a
// view that changes rarely would otherwise wait for flush.size records).
void default_rotation(std::map<std::string, std::string>& c) {
  for (const char* k :
       {"flush.size", "rotate.size.bytes", "rotate.interval.ms", "rotate.schedule.interval.ms"})
    if (c.count(k)) return;
  c["rotate.schedule.interval.ms"] = "1000";
}

}  // namespace

bool is_connector_sink(const statement& s) {
  auto c = s.with.get("connector");
  return c && lower(*c) != "kafka";
}

result<connector_sink_options> read_connector_sink_options(const statement& s,
                                                           const std::string& default_brokers) {
  connector_sink_options o;
  int pos = s.with.position;
  o.connector = lower(s.with.get("connector").value_or(""));
  if (o.connector == "file") o.connector = "fs";
  if (o.connector != "jdbc" && o.connector != "s3" && o.connector != "fs" &&
      o.connector != "kafka-connect")
    return make_error(errc::feature_not_supported, pos,
                      "connector '{}' is not supported for sinks: 'kafka', 'jdbc', 's3', 'fs' "
                      "(or 'file') or 'kafka-connect'",
                      o.connector);
  o.kafka.client.brokers = default_brokers;
  o.kafka.client.client_id = "runnel-sql";
  o.kafka.create_topic = true;
  o.connector_name = "sql-" + s.name;
  std::string type;
  std::map<std::string, std::string> rest;  // translated and passed-through keys
  auto flag = [&](const std::string& k, const std::string& v) -> result<bool> {
    if (v == "true") return true;
    if (v == "false") return false;
    return make_error(errc::invalid_parameter, pos, "{} is 'true' or 'false', not '{}'", k, v);
  };
  for (const auto& [k, v] : s.with.items) {
    if (k == "connector") continue;
    if (k == "topic") {
      o.kafka.topic = v;
    } else if (k == "properties.bootstrap.server" || k == "properties.bootstrap.servers") {
      o.kafka.client.brokers = v;
    } else if (k.starts_with("properties.")) {
      o.kafka.client.properties.emplace_back(k.substr(std::string_view("properties.").size()), v);
    } else if (k == "type") {
      type = v;
    } else if (k == "primary_key") {
      o.kafka.primary_key = v;
    } else if (k == "force_append_only") {
      BOOST_OUTCOME_TRY(o.kafka.force_append_only, flag(k, v));
    } else if (k == "name" || k == "topics" || k == "topics.regex") {
      return make_error(errc::invalid_parameter, pos,
                        "\"{}\" is set by the sink (the connector is named sql-{} and reads the "
                        "sink's topic)",
                        k, s.name);
    } else {
      rest[k] = v;
    }
  }
  if (o.kafka.topic.empty()) o.kafka.topic = "_runnel_sql_sink_" + s.name;
  if (!s.format.encode.empty() && s.format.encode != "json")
    return make_error(errc::feature_not_supported, s.format.position,
                      "ENCODE {} is not supported for a {} sink: use ENCODE JSON", s.format.encode,
                      o.connector);
  if (!s.format.format.empty() && s.format.format != "plain" && s.format.format != "upsert")
    return make_error(errc::feature_not_supported, s.format.position,
                      "FORMAT {} is not supported: use FORMAT PLAIN or FORMAT UPSERT",
                      s.format.format);
  if (!s.format.options.items.empty())
    return make_error(errc::invalid_parameter, s.format.position,
                      "unknown option \"{}\" of ENCODE JSON", s.format.options.items[0].first);
  BOOST_OUTCOME_TRY(o.kafka.upsert, sink_upsert(type, s.format, o.kafka.force_append_only, pos));

  auto take = [&](const char* k) -> std::optional<std::string> {
    auto it = rest.find(k);
    if (it == rest.end()) return std::nullopt;
    std::string v = it->second;
    rest.erase(it);
    return v;
  };
  auto required = [&](const char* k) -> result<std::string> {
    auto v = take(k);
    if (!v || v->empty())
      return make_error(errc::invalid_parameter, pos, "a {} sink needs {} = '...'", o.connector, k);
    return *v;
  };
  auto& c = o.config;
  if (o.connector == "jdbc") {
    if (type.empty() && s.format.format.empty())
      return make_error(errc::invalid_parameter, pos,
                        "a jdbc sink needs type = 'upsert' or type = 'append-only'");
    c["connector.class"] = "io.confluent.connect.jdbc.JdbcSinkConnector";
    BOOST_OUTCOME_TRY(c["connection.url"], required("jdbc.url"));
    if (auto v = take("user")) c["connection.user"] = *v;
    if (auto v = take("password")) c["connection.password"] = *v;
    BOOST_OUTCOME_TRY(auto table, required("table.name"));
    if (auto schema = take("schema.name"); schema && !schema->empty())
      table = *schema + "." + table;
    c["table.name.format"] = table;
    if (o.kafka.upsert) {
      c["insert.mode"] = "upsert";
      c["pk.mode"] = "record_key";
      c["delete.enabled"] = "true";
    } else {
      c["insert.mode"] = "insert";
      c["pk.mode"] = "none";
    }
  } else if (o.connector == "s3" || o.connector == "fs") {
    if (o.kafka.upsert)
      return make_error(errc::feature_not_supported, pos,
                        "a {} sink writes files and is append-only: type = 'append-only' (with "
                        "force_append_only = 'true' for an input that updates or deletes rows)",
                        o.connector);
    if (o.connector == "s3") {
      c["connector.class"] = "runnel.connect.objstore.S3SinkConnector";
      BOOST_OUTCOME_TRY(c["s3.bucket.name"], required("s3.bucket_name"));
      if (auto v = take("s3.region_name")) c["s3.region"] = *v;
      if (auto v = take("s3.endpoint_url")) {
        c["store.url"] = *v;
        c["s3.path.style.access.enabled"] = "true";
      }
      if (auto v = take("s3.credentials.access")) c["aws.access.key.id"] = *v;
      if (auto v = take("s3.credentials.secret")) c["aws.secret.access.key"] = *v;
      if (auto v = take("s3.credentials.session_token")) c["aws.session.token"] = *v;
      if (auto v = take("s3.path")) c["topics.dir"] = *v;
    } else {
      c["connector.class"] = "runnel.connect.objstore.DirectorySinkConnector";
      BOOST_OUTCOME_TRY(c["output.path"], required("fs.path"));
    }
    c["format"] = "json";
  } else {  // kafka-connect: the connector's own keys
    BOOST_OUTCOME_TRY(c["connector.class"], required("connector.class"));
  }
  for (auto& [k, v] : rest) c[k] = v;
  if (o.connector == "s3" || o.connector == "fs") default_rotation(c);
  c["topics"] = o.kafka.topic;
  if (!c.count("tasks.max")) c["tasks.max"] = "1";
  if (!c.count("key.converter")) {
    c["key.converter"] = json_converter;
    c["key.converter.schemas.enable"] = "false";
  }
  if (!c.count("value.converter")) {
    c["value.converter"] = json_converter;
    c["value.converter.schemas.enable"] = "false";
  }
  return o;
}

void finish_connector_config(connector_sink_options& o, const std::vector<std::string>& key_names) {
  if (o.connector != "jdbc" || !o.kafka.upsert || o.config.count("pk.fields")) return;
  std::string fields;
  for (const auto& k : key_names) fields += (fields.empty() ? "" : ",") + k;
  o.config["pk.fields"] = fields;
}

}  // namespace runnel::sql
