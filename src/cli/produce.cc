// `runnel produce TOPIC`: one message per line of stdin, optionally with a
// key before a separator, headers and a fixed partition. Exits non-zero if
// any message was not delivered, after one line saying why.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "runnel/client/producer.h"

namespace runnel::cli {

namespace {

struct produce_options {
  client_flags client;
  std::string topic;
  std::string key_separator;
  std::vector<std::string> headers;
  std::optional<int32_t> partition;
  std::string acks = "all";
  std::string compression = "none";
  int timeout_ms = 30000;
};

// Counts failures and keeps the first reason: a thousand failed messages
// give one line, not a thousand.
struct failures {
  uint64_t count = 0;
  std::string first;
  void add(std::string why) {
    if (count++ == 0) first = std::move(why);
  }
};

int run_produce(const CLI::App& cmd, const produce_options& o) {
  std::vector<client::header> headers;
  for (const auto& h : o.headers) {
    auto kv = split_key_value(h);
    if (!kv) return fail(cmd, "--header expects name=value, got '" + h + "'");
    headers.push_back({kv->first, kv->second});
  }
  auto config = make_client_config(o.client, cmd);
  if (!config) return 1;

  failures failed;
  uint64_t delivered = 0;
  client::producer_options po;
  po.client = std::move(*config);
  po.acks = o.acks;
  po.compression = o.compression;
  po.delivery_timeout = std::chrono::milliseconds(o.timeout_ms);
  po.on_delivery = [&](const client::delivery_report& r) {
    if (r.error) {
      failed.add(r.error->message);
    } else {
      ++delivered;
    }
  };
  auto created = client::producer::create(po);
  if (!created) return fail(cmd, created.error().message);
  auto& producer = created.value();

  client::outgoing_message m;
  m.topic = o.topic;
  m.headers = std::move(headers);
  if (o.partition) m.partition = model::partition_id{*o.partition};
  uint64_t lines = 0;
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
    m.tag = lines;
    if (auto r = producer.send(m); !r) {
      failed.add(r.error().message);
      // An unknown partition or topic will fail every other line the same way.
      if (!client::is_transient(r.error())) break;
    }
    producer.poll(std::chrono::milliseconds(0));
  }
  // Every queued message gets its report within the delivery timeout.
  auto flushed = producer.flush(std::chrono::milliseconds(o.timeout_ms) + std::chrono::seconds(5));
  if (!flushed) failed.add(flushed.error().message);
  if (failed.count > 0) {
    const uint64_t total = std::max(lines, delivered + failed.count);
    return fail(cmd,
                fmt::format("{} of {} messages failed: {}", failed.count, total, failed.first));
  }
  return 0;
}

}  // namespace

void add_produce(CLI::App& app) {
  auto o = std::make_shared<produce_options>();
  auto* c = app.add_subcommand("produce", "Send each line of stdin as one message");
  c->add_option("TOPIC", o->topic, "The topic to write to")->required();
  c->add_option("-K,--key-separator", o->key_separator,
                "Split each line at the first SEP: the key before, the value after");
  c->add_option("-H,--header", o->headers, "A header for every message, name=value (repeatable)");
  c->add_option("-p,--partition", o->partition,
                "Write to this partition (default: by key hash, or spread when keyless)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--acks", o->acks, "all: wait until durable; 1: until written; 0: do not wait")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "-1", "1", "0"}));
  c->add_option("-z,--compression", o->compression, "Batch compression")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  c->add_option("--timeout-ms", o->timeout_ms,
                "Give up on a message not delivered within this time (retries included)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_client_flags(*c, o->client);
  c->callback([c, o] { set_exit_code(run_produce(*c, *o)); });
}

}  // namespace runnel::cli
