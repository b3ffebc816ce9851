#include "storage/log_config.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage {

namespace {

result<int64_t> parse_int(std::string_view v, int64_t min) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size() || out < min) return storage_errc::bad_config;
  return out;
}

constexpr std::string_view names[] = {
    "segment.bytes",         "segment.ms",
    "retention.ms",          "retention.bytes",
    "cleanup.policy",        "delete.retention.ms",
    "min.compaction.lag.ms", "max.message.bytes",
    "index.interval.bytes",  "flush.ms",
    "flush.bytes",           "message.timestamp.type",
    "compression.type",      "message.format.version",
    "write.caching",
};

// compression.type's values, as Kafka spells them.
struct codec_name {
  std::string_view name;
  std::optional<model::compression> codec;
};
constexpr codec_name codec_names[] = {
    {"producer", std::nullopt},         {"uncompressed", model::compression::none},
    {"gzip", model::compression::gzip}, {"snappy", model::compression::snappy},
    {"lz4", model::compression::lz4},   {"zstd", model::compression::zstd},
};

// Kafka's version strings ("0.10.2", "2.8", "3.0-IV1"): digits and dots,
// optionally followed by "-IV" and digits.
bool looks_like_kafka_version(std::string_view v) {
  const auto iv = v.find("-IV");
  std::string_view num = v.substr(0, iv);
  if (num.empty() || num.front() == '.' || num.back() == '.' || num.find("..") != num.npos)
    return false;
  for (char c : num)
    if (c != '.' && (c < '0' || c > '9')) return false;
  if (num.find('.') == num.npos) return false;
  if (iv == std::string_view::npos) return true;
  std::string_view rest = v.substr(iv + 3);
  if (rest.empty()) return false;
  for (char c : rest)
    if (c < '0' || c > '9') return false;
  return true;
}

// Kafka topic configs whose behaviour runnel has built in. Clients read them
// (and tools copy them into CreateTopics), so they are described and may be
// set, but only to the one value that is true here.
struct fixed_setting {
  std::string_view name;
  std::string_view value;
};
constexpr fixed_setting fixed_settings[] = {
    // One node: the leader is the only in-sync replica there can be.
    {"min.insync.replicas", "1"},
    // No other replica that could be elected.
    {"unclean.leader.election.enable", "false"},
    // Segment files grow as they are written.
    {"preallocate", "false"},
    // Segments roll exactly at segment.ms (needs_roll adds no jitter).
    {"segment.jitter.ms", "0"},
    // No upper bound on how long a record may wait to be compacted.
    {"max.compaction.lag.ms", "9223372036854775807"},
    // Record timestamps are not checked against the broker's clock.
    {"message.timestamp.difference.max.ms", "9223372036854775807"},
};

const fixed_setting* find_fixed(std::string_view name) {
  for (const auto& f : fixed_settings)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

bool log_config::known(std::string_view name) {
  for (auto n : names)
    if (n == name) return true;
  return find_fixed(name) != nullptr;
}

bool log_config::fixed(std::string_view name) {
  return find_fixed(name) != nullptr;
}

result<void> log_config::set(std::string_view name, std::string_view value) {
  if (name == "segment.bytes") {
    // Kafka's minimum is 14 bytes; positions in the index are u32.
    RUNNEL_TRY(segment_bytes, parse_int(value, 14));
    if (uint64_t(segment_bytes) > format::max_segment_bytes) return storage_errc::bad_config;
  } else if (name == "segment.ms") {
    RUNNEL_TRY(segment_ms, parse_int(value, 1));
  } else if (name == "retention.ms") {
    RUNNEL_TRY(retention_ms, parse_int(value, -1));
  } else if (name == "retention.bytes") {
    RUNNEL_TRY(retention_bytes, parse_int(value, -1));
  } else if (name == "cleanup.policy") {
    bool d = false, c = false;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item == "delete")
        d = true;
      else if (item == "compact")
        c = true;
      else
        return storage_errc::bad_config;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!d && !c) return storage_errc::bad_config;
    cleanup_delete = d;
    cleanup_compact = c;
  } else if (name == "delete.retention.ms") {
    RUNNEL_TRY(delete_retention_ms, parse_int(value, 0));
  } else if (name == "min.compaction.lag.ms") {
    RUNNEL_TRY(min_compaction_lag_ms, parse_int(value, 0));
  } else if (name == "max.message.bytes") {
    RUNNEL_TRY(max_message_bytes, parse_int(value, 0));
  } else if (name == "index.interval.bytes") {
    RUNNEL_TRY(index_interval_bytes, parse_int(value, 0));
  } else if (name == "flush.ms") {
    RUNNEL_TRY(flush_ms, parse_int(value, 0));
  } else if (name == "flush.bytes") {
    RUNNEL_TRY(flush_bytes, parse_int(value, 0));
  } else if (name == "write.caching") {
    if (value == "true")
      write_caching = true;
    else if (value == "false")
      write_caching = false;
    else
      return storage_errc::bad_config;
  } else if (name == "message.timestamp.type") {
    if (value == "CreateTime")
      log_append_time = false;
    else if (value == "LogAppendTime")
      log_append_time = true;
    else
      return storage_errc::bad_config;
  } else if (name == "compression.type") {
    const auto* c = std::find_if(std::begin(codec_names), std::end(codec_names),
                                 [&](const codec_name& n) { return n.name == value; });
    if (c == std::end(codec_names)) return storage_errc::bad_config;
    compression = c->codec;
  } else if (name == "message.format.version") {
    if (!looks_like_kafka_version(value)) return storage_errc::bad_config;
    message_format_version = std::string(value);
  } else if (const auto* f = find_fixed(name)) {
    if (value != f->value) return storage_errc::bad_config;
  } else {
    return storage_errc::bad_config;
  }
  return success();
}

result<log_config> log_config::from(const std::map<std::string, std::string>& overrides) {
  log_config c;
  for (const auto& [k, v] : overrides) {
    RUNNEL_TRY(c.set(k, v));
  }
  return c;
}

std::map<std::string, std::string> log_config::describe() const {
  std::map<std::string, std::string> m;
  m["segment.bytes"] = std::to_string(segment_bytes);
  m["segment.ms"] = std::to_string(segment_ms);
  m["retention.ms"] = std::to_string(retention_ms);
  m["retention.bytes"] = std::to_string(retention_bytes);
  m["cleanup.policy"] = cleanup_compact && cleanup_delete ? "compact,delete"
                        : cleanup_compact                 ? "compact"
                                                          : "delete";
  m["delete.retention.ms"] = std::to_string(delete_retention_ms);
  m["min.compaction.lag.ms"] = std::to_string(min_compaction_lag_ms);
  m["max.message.bytes"] = std::to_string(max_message_bytes);
  m["index.interval.bytes"] = std::to_string(index_interval_bytes);
  m["flush.ms"] = std::to_string(flush_ms);
  m["flush.bytes"] = std::to_string(flush_bytes);
  m["message.timestamp.type"] = log_append_time ? "LogAppendTime" : "CreateTime";
  for (const auto& n : codec_names)
    if (n.codec == compression) m["compression.type"] = std::string(n.name);
  m["message.format.version"] = message_format_version;
  m["write.caching"] = write_caching ? "true" : "false";
  for (const auto& f : fixed_settings) m[std::string(f.name)] = std::string(f.value);
  return m;
}

}  // namespace runnel::storage
