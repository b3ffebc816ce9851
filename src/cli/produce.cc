// `runnel produce TOPIC`: one message per line of stdin, optionally with a
// key before a separator, headers and a fixed partition; then where the
// messages went (partition and offsets). Exits non-zero if any message was
// not delivered, after one line saying why. The short flags are kcat's
// (-b -t -K -Z -H -p -z).
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "runnel/client/admin.h"
#include "runnel/client/producer.h"

namespace runnel::cli {

namespace {

struct produce_options {
  client_flags client;
  std::string topic;
  std::string topic_flag;  // -t, as kcat
  std::string key_separator;
  bool null_empty = false;  // -Z: an empty value (or key) is sent as null
  std::vector<std::string> headers;
  std::optional<int32_t> partition;
  std::string acks = "all";
  std::string compression = "none";
  int timeout_ms = 30000;
  std::string format = "text";
  bool quiet = false;
};

// Counts failures and keeps the first reason: a thousand failed messages
// give one line, not a thousand.
struct failures {
  uint64_t count = 0;
  std::string first;
  bool too_large = false;  // some message exceeded a size limit
  void add(std::string why) {
    if (count++ == 0) first = std::move(why);
  }
};

// Where the delivered messages of one partition went.
struct placed {
  uint64_t count = 0;
  int64_t first = -1, last = -1;  // offsets; -1: unknown (acks=0)
};

bool is_too_large(const client::error& e) {
  return e.code == std::error_code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, client::kafka_category());
}

// "Message size too large" alone does not say which limit: librdkafka's own
// (message.max.bytes, checked before sending) or the topic's
// (max.message.bytes, checked by the broker per batch).
std::string size_limits(const CLI::App& cmd, const produce_options& o, size_t largest) {
  std::string topic_limit = "its max.message.bytes";
  if (auto admin = make_admin(o.client, cmd)) {
    auto cs = admin->describe_configs({client::config_resource_type::topic, o.topic});
    if (cs) {
      for (const auto& c : cs.value())
        if (c.name == "max.message.bytes" && c.value) topic_limit = "max.message.bytes " + *c.value;
    }
  }
  std::string client_limit = "1000000";
  for (const auto& p : o.client.properties) {
    if (auto kv = split_key_value(p); kv && kv->first == "message.max.bytes")
      client_limit = kv->second;
  }
  return fmt::format(
      "the largest message was {} bytes; the limits are the client's message.max.bytes {} "
      "(-X message.max.bytes=N) and topic {}'s {} (runnel topic alter-config {} --set "
      "max.message.bytes=N)",
      largest, client_limit, o.topic, topic_limit, o.topic);
}

void print_summary(const produce_options& o, uint64_t delivered,
                   const std::map<int32_t, placed>& where) {
  std::string parts;
  for (const auto& [p, w] : where) {
    if (!parts.empty()) parts += ", ";
    if (w.first < 0)
      parts += fmt::format("partition {} ({} at unknown offsets: acks=0)", p, w.count);
    else if (w.first == w.last)
      parts += fmt::format("partition {} offset {}", p, w.first);
    else
      parts += fmt::format("partition {} offsets {}..{}", p, w.first, w.last);
  }
  fmt::print("produced {} message{} to {}{}{}\n", delivered, delivered == 1 ? "" : "s", o.topic,
             parts.empty() ? "" : ": ", parts);
}

int run_produce(const CLI::App& cmd, produce_options o) {
  if (!o.topic_flag.empty()) {
    if (!o.topic.empty() && o.topic != o.topic_flag)
      return fail(cmd, "two topics given (" + o.topic + " and -t " + o.topic_flag + "): give one");
    o.topic = o.topic_flag;
  }
  if (o.topic.empty()) return fail(cmd, "which topic? give it as TOPIC or -t TOPIC");
  std::vector<client::header> headers;
  for (const auto& h : o.headers) {
    auto kv = split_key_value(h);
    if (!kv) return fail(cmd, "--header expects name=value, got '" + h + "'");
    headers.push_back({kv->first, kv->second});
  }
  auto config = make_client_config(o.client, cmd);
  if (!config) return 1;

  const bool as_json = o.format == "json";
  failures failed;
  uint64_t delivered = 0;
  std::map<int32_t, placed> where;
  client::producer_options po;
  po.client = std::move(*config);
  po.acks = o.acks;
  po.compression = o.compression;
  po.delivery_timeout = std::chrono::milliseconds(o.timeout_ms);
  po.on_delivery = [&](const client::delivery_report& r) {
    if (r.error) {
      failed.too_large = failed.too_large || is_too_large(*r.error);
      failed.add(r.error->message);
      return;
    }
    ++delivered;
    auto& w = where[r.partition()];
    ++w.count;
    if (r.offset() >= 0) {
      if (w.first < 0 || r.offset() < w.first) w.first = r.offset();
      w.last = std::max(w.last, r.offset());
    }
    if (as_json && !o.quiet) {
      nlohmann::ordered_json j = {
          {"line", r.tag},
          {"topic", r.topic},
          {"partition", r.partition()},
          {"offset", r.offset() >= 0 ? nlohmann::ordered_json(r.offset()) : nullptr},
          {"timestamp", r.timestamp()}};
      fmt::print("{}\n", j.dump());
    }
  };
  auto created = client::producer::create(po);
  if (!created) return fail(cmd, created.error().message);
  auto& producer = created.value();

  client::outgoing_message m;
  m.topic = o.topic;
  m.headers = std::move(headers);
  if (o.partition) m.partition = runnel::partition_id{*o.partition};
  uint64_t lines = 0;
  size_t largest = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    ++lines;
    if (!o.key_separator.empty()) {
      const auto at = line.find(o.key_separator);
      if (at == std::string::npos) {
        failed.add(fmt::format("line {} has no key separator '{}'", lines, o.key_separator));
        continue;
      }
      m.key = line.substr(0, at);
      m.value = line.substr(at + o.key_separator.size());
    } else {
      m.value = line;
    }
    if (o.null_empty) {
      if (m.key && m.key->empty()) m.key.reset();
      if (m.value->empty()) m.value.reset();
    }
    largest = std::max(largest, line.size());
    m.tag = lines;
    if (auto r = producer.send(m); !r) {
      failed.too_large = failed.too_large || is_too_large(r.error());
      failed.add(fmt::format("line {}: {}", lines, r.error().message));
      // An unknown partition or topic will fail every other line the same way.
      if (!client::is_transient(r.error()) && !is_too_large(r.error())) break;
    }
    producer.poll(std::chrono::milliseconds(0));
  }
  // Every queued message gets its report within the delivery timeout.
  auto flushed = producer.flush(std::chrono::milliseconds(o.timeout_ms) + std::chrono::seconds(5));
  if (!flushed) failed.add(flushed.error().message);
  if (!as_json && !o.quiet && delivered > 0) print_summary(o, delivered, where);
  std::fflush(stdout);
  if (failed.count > 0) {
    const uint64_t total = std::max(lines, delivered + failed.count);
    std::string why = failed.first;
    if (failed.too_large) why += " (" + size_limits(cmd, o, largest) + ")";
    return fail(cmd, fmt::format("{} of {} message{} failed: {}", failed.count, total,
                                 total == 1 ? "" : "s", why));
  }
  return 0;
}

}  // namespace

void add_produce(CLI::App& app) {
  auto o = std::make_shared<produce_options>();
  auto* c = app.add_subcommand("produce",
                               "Send each line of stdin as one message; print where they went");
  c->add_option("TOPIC", o->topic, "The topic to write to");
  c->add_option("-t,--topic", o->topic_flag,
                "The topic to write to (instead of TOPIC, as kcat -t)");
  c->add_option("-K,--key-separator", o->key_separator,
                "Split each line at the first SEP: the key before, the value after");
  c->add_flag("-Z,--null", o->null_empty,
              "Send an empty value as null (a tombstone) and an empty key as no key");
  c->add_option("-H,--header", o->headers, "A header for every message, name=value (repeatable)");
  c->add_option("-p,--partition", o->partition,
                "Write to this partition (default: by the key's murmur2 hash as Kafka's Java "
                "client, or spread when keyless)")
      ->check(at_least(0));
  c->add_option("--acks", o->acks, "all: wait until durable; 1: until written; 0: do not wait")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "-1", "1", "0"}));
  c->add_option("-z,--compression", o->compression, "Batch compression")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  c->add_option("--timeout-ms", o->timeout_ms,
                "Give up on a message not delivered within this time (retries included)")
      ->capture_default_str()
      ->check(at_least(1));
  c->add_option("--format", o->format,
                "text: one summary line (partitions and offsets); json: one object per "
                "delivered message (line, topic, partition, offset, timestamp)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  c->add_flag("-q,--quiet", o->quiet, "Print nothing but errors");
  add_client_flags(*c, o->client);
  c->callback([c, o] { set_exit_code(run_produce(*c, *o)); });
}

}  // namespace runnel::cli
