#include "sql/connector/kafka_options.h"

#include <charconv>

namespace runnel::sql {

namespace {

// The options every Kafka connector reads: connector, topic, the cluster
// and librdkafka properties. Returns false for an option it does not know.
result<bool> common_option(const std::string& key, const std::string& value, int pos,
                           std::string& topic, client::client_config& c) {
  if (key == "connector") {
    if (value != "kafka")
      return make_error(errc::feature_not_supported, pos,
                        "connector '{}' is not supported: only 'kafka' is", value);
    return true;
  }
  if (key == "topic") {
    topic = value;
    return true;
  }
  if (key == "properties.bootstrap.server" || key == "properties.bootstrap.servers") {
    c.brokers = value;
    return true;
  }
  if (key.starts_with("properties.")) {
    // Any librdkafka property: security.protocol, sasl.mechanism, ...
    c.properties.emplace_back(key.substr(std::string_view("properties.").size()), value);
    return true;
  }
  return false;
}

// FORMAT and ENCODE, and the ENCODE's options; `rest` gets the options it
// does not know (a sink's force_append_only), in order.
result<kafka_encoding> read_encode(const format_spec& f, bool sink,
                                   std::vector<std::pair<std::string, std::string>>& rest) {
  if (!f.format.empty() && f.format != "plain" && f.format != "upsert")
    return make_error(errc::feature_not_supported, f.position,
                      "FORMAT {} is not supported: use FORMAT PLAIN or FORMAT UPSERT", f.format);
  kafka_encoding e;
  if (f.encode == "csv") {
    e.what = kafka_encoding::kind::csv;
  } else if (f.encode == "bytes" && !sink) {
    e.what = kafka_encoding::kind::bytes;
  } else if (!f.encode.empty() && f.encode != "json") {
    return make_error(errc::feature_not_supported, f.position,
                      "ENCODE {} is not supported for Kafka {}s: use ENCODE JSON, CSV{}", f.encode,
                      sink ? "sink" : "source", sink ? "" : " or BYTES");
  }
  for (const auto& [k, v] : f.options.items) {
    if (e.what == kafka_encoding::kind::csv && k == "delimiter") {
      // One byte; '\t' spelled out for a tab, as in RisingWave's examples.
      std::string d = v == "\\t" ? "\t" : v;
      if (d.size() != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
        return make_error(errc::invalid_parameter, f.position,
                          "delimiter is one character (not a quote or a line break), not '{}'", v);
      e.delimiter = d[0];
    } else if (e.what == kafka_encoding::kind::csv && k == "without_header") {
      if (v != "true" && v != "false")
        return make_error(errc::invalid_parameter, f.position,
                          "without_header is 'true' or 'false', not '{}'", v);
      e.header = v == "false";
    } else {
      rest.emplace_back(k, v);
    }
  }
  return e;
}

std::string encode_name(const kafka_encoding& e) {
  switch (e.what) {
    case kafka_encoding::kind::csv:
      return "CSV";
    case kafka_encoding::kind::bytes:
      return "BYTES";
    default:
      return "JSON";
  }
}

}  // namespace

result<kafka_source_options> read_source_options(const statement& s,
                                                 const std::string& default_brokers) {
  kafka_source_options o;
  o.client.brokers = default_brokers;
  o.client.client_id = "runnel-sql";
  int pos = s.with.position;
  if (!s.with.get("connector"))
    return make_error(errc::invalid_parameter, pos, "WITH (connector = 'kafka', ...) is required");
  bool has_timestamp = false;
  std::string mode = "earliest";
  for (const auto& [k, v] : s.with.items) {
    BOOST_OUTCOME_TRY(bool known, common_option(k, v, pos, o.topic, o.client));
    if (known) continue;
    if (k == "scan.startup.mode") {
      mode = v;
    } else if (k == "scan.startup.timestamp.millis" || k == "scan.startup.timestamp_millis") {
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), o.startup_timestamp_ms);
      if (ec != std::errc() || p != v.data() + v.size())
        return make_error(errc::invalid_parameter, pos,
                          "{} wants milliseconds since the epoch, not '{}'", k, v);
      has_timestamp = true;
    } else {
      return make_error(errc::invalid_parameter, pos, "unknown option \"{}\" for a Kafka source",
                        k);
    }
  }
  if (o.topic.empty())
    return make_error(errc::invalid_parameter, pos, "a Kafka source needs topic = '...'");
  if (mode == "earliest") {
    o.startup = kafka_source_options::start::earliest;
  } else if (mode == "latest") {
    o.startup = kafka_source_options::start::latest;
  } else if (mode == "timestamp") {
    o.startup = kafka_source_options::start::timestamp;
  } else {
    return make_error(errc::invalid_parameter, pos,
                      "scan.startup.mode is 'earliest', 'latest' or 'timestamp', not '{}'", mode);
  }
  if (has_timestamp) o.startup = kafka_source_options::start::timestamp;
  if (o.startup == kafka_source_options::start::timestamp && !has_timestamp)
    return make_error(errc::invalid_parameter, pos,
                      "scan.startup.mode = 'timestamp' needs scan.startup.timestamp.millis");
  std::vector<std::pair<std::string, std::string>> rest;
  BOOST_OUTCOME_TRY(o.encode, read_encode(s.format, false, rest));
  o.upsert = s.format.format == "upsert";
  if (!rest.empty())
    return make_error(errc::invalid_parameter, s.format.position,
                      "unknown option \"{}\" of ENCODE {}", rest[0].first, encode_name(o.encode));
  return o;
}

result<bool> sink_upsert(const std::string& type, const format_spec& format, bool force_append_only,
                         int pos) {
  // The older WITH (type = 'append-only' | 'upsert') spelling and FORMAT
  // PLAIN | UPSERT say the same; they must not disagree.
  if (!type.empty() && type != "append-only" && type != "upsert")
    return make_error(errc::invalid_parameter, pos, "type is 'append-only' or 'upsert', not '{}'",
                      type);
  bool format_upsert = format.format == "upsert";
  if (!type.empty() && !format.format.empty() && (type == "upsert") != format_upsert)
    return make_error(errc::invalid_parameter, pos, "type = '{}' contradicts FORMAT {}", type,
                      format.format);
  bool upsert = format_upsert || type == "upsert";
  if (upsert && force_append_only)
    return make_error(errc::invalid_parameter, pos,
                      "force_append_only is for append-only sinks, not upsert ones");
  return upsert;
}

result<kafka_sink_options> read_sink_options(const statement& s,
                                             const std::string& default_brokers) {
  kafka_sink_options o;
  o.client.brokers = default_brokers;
  o.client.client_id = "runnel-sql";
  int pos = s.with.position;
  if (!s.with.get("connector"))
    return make_error(errc::invalid_parameter, pos, "WITH (connector = 'kafka', ...) is required");
  std::string type;
  auto flag = [&](const std::string& k, const std::string& v) -> result<bool> {
    if (v == "true") return true;
    if (v == "false") return false;
    return make_error(errc::invalid_parameter, pos, "{} is 'true' or 'false', not '{}'", k, v);
  };
  for (const auto& [k, v] : s.with.items) {
    BOOST_OUTCOME_TRY(bool known, common_option(k, v, pos, o.topic, o.client));
    if (known) continue;
    if (k == "type") {
      type = v;
    } else if (k == "primary_key") {
      o.primary_key = v;
    } else if (k == "force_append_only") {
      BOOST_OUTCOME_TRY(o.force_append_only, flag(k, v));
    } else if (k == "is_exactly_once") {
      BOOST_OUTCOME_TRY(o.exactly_once, flag(k, v));
    } else {
      return make_error(errc::invalid_parameter, pos, "unknown option \"{}\" for a Kafka sink", k);
    }
  }
  if (o.topic.empty())
    return make_error(errc::invalid_parameter, pos, "a Kafka sink needs topic = '...'");
  std::vector<std::pair<std::string, std::string>> rest;
  BOOST_OUTCOME_TRY(o.encode, read_encode(s.format, true, rest));
  for (const auto& [k, v] : rest) {
    if (k == "force_append_only") {
      BOOST_OUTCOME_TRY(o.force_append_only, flag(k, v));
    } else {
      return make_error(errc::invalid_parameter, s.format.position,
                        "unknown option \"{}\" of ENCODE {}", k, encode_name(o.encode));
    }
  }
  BOOST_OUTCOME_TRY(o.upsert, sink_upsert(type, s.format, o.force_append_only, pos));
  return o;
}

}  // namespace runnel::sql
