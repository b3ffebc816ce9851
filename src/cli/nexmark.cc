// `runnel nexmark`: the Nexmark benchmark's events (nexmark_gen.h) as JSON
// records, one topic per event type (<prefix>person, <prefix>auction,
// <prefix>bid: runnel SQL has no ROW type for Flink's combined event
// column), or JSON lines on stdout with an "event_type" field. Bounded by
// --events; as fast as possible or at --rate events/s of wall time.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "cli/bench_load.h"
#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/nexmark_gen.h"

namespace runnel::cli {

namespace {

using bench::now_ns;

struct nexmark_options {
  client_flags client;
  uint64_t events = 100000;
  uint64_t seed = 0;
  double rate = 0;  // events/s of wall time; 0: as fast as possible
  double event_rate = 10000;
  int64_t base_time_ms = nexmark::config{}.base_time_ms;
  std::string topic_prefix = "nexmark-";
  int32_t partitions = 1;
  std::string acks = "1";
  std::string output = "kafka";
  bool json = false;
};

struct delivery_counts {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<delivery_counts*>(opaque);
  if (m->err) {
    if (d->failed++ == 0) d->first_error = rd_kafka_err2str(m->err);
  } else {
    ++d->delivered;
  }
}

// Creates the topic if it is missing; an existing one is kept (and appended to).
bool ensure_topic(const CLI::App& cmd, client::admin& admin, const std::string& name,
                  int32_t partitions, int timeout_ms) {
  auto info = admin.describe_topic(name);
  if (info && !info.value().partitions.empty()) return true;
  client::new_topic t;
  t.name = name;
  t.partitions = partitions;
  auto made = admin.create_topic(t);
  const int64_t deadline = now_ns() + int64_t(timeout_ms) * 1'000'000;
  do {  // metadata reaches every broker a moment after creation
    info = admin.describe_topic(name);
    if (info && !info.value().partitions.empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (now_ns() < deadline);
  fail(cmd, fmt::format("topic {}: {}", name,
                        made ? std::string("created but not visible") : made.error().message));
  return false;
}

void sleep_for_rate(const nexmark_options& o, int64_t start, uint64_t i) {
  if (o.rate <= 0) return;
  const auto due = start + int64_t(double(i) * 1e9 / o.rate);
  if (due > now_ns() + 1'000'000) bench::sleep_until_ns(due);
}

int run_stdout(const nexmark_options& o, const nexmark::generator& g) {
  std::string line;
  const int64_t start = now_ns();
  for (uint64_t i = 0; i < o.events && !bench::stop_requested(); ++i) {
    sleep_for_rate(o, start, i);
    line.clear();
    g.append_json(i, line, true);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int run_kafka(const CLI::App& cmd, const nexmark_options& o, const nexmark::generator& g) {
  const std::string names[3] = {o.topic_prefix + "person", o.topic_prefix + "auction",
                                o.topic_prefix + "bid"};
  {
    auto admin = make_admin(o.client, cmd);
    if (!admin) return 1;
    for (const auto& n : names)
      if (!ensure_topic(cmd, *admin, n, o.partitions, o.client.request_timeout_ms)) return 1;
  }
  bench::load_options lo;
  lo.client = o.client;
  lo.acks = o.acks;
  lo.linger_ms = 5;
  rd_kafka_conf_t* conf = bench::make_producer_conf(cmd, lo);
  if (!conf) return 1;
  delivery_counts counts;
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &counts);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return fail(cmd, std::string("cannot create a producer: ") + err);
  }
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> owner(rk, rd_kafka_destroy);
  rd_kafka_topic_t* topics[3] = {};
  for (int k = 0; k < 3; ++k) topics[k] = rd_kafka_topic_new(rk, names[k].c_str(), nullptr);
  uint64_t per_kind[3] = {0, 0, 0};
  uint64_t bytes = 0;
  std::string value;
  std::string send_error;
  const int64_t start = now_ns();
  uint64_t sent = 0;
  for (; sent < o.events && !bench::stop_requested(); ++sent) {
    sleep_for_rate(o, start, sent);
    value.clear();
    const int k = int(g.append_json(sent, value));
    // A full queue waits for deliveries, for at most the request timeout.
    const int64_t give_up = now_ns() + int64_t(o.client.request_timeout_ms) * 1'000'000;
    for (;;) {
      if (rd_kafka_produce(topics[k], RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value.data(),
                           value.size(), nullptr, 0, nullptr) == 0)
        break;
      const rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || now_ns() > give_up) {
        send_error = rd_kafka_err2str(e);
        break;
      }
      rd_kafka_poll(rk, 10);
    }
    if (!send_error.empty()) break;
    ++per_kind[k];
    bytes += value.size();
    if (sent % 1024 == 0) rd_kafka_poll(rk, 0);
  }
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, o.client.request_timeout_ms);
  const double seconds = double(now_ns() - start) / 1e9;
  for (auto* t : topics) rd_kafka_topic_destroy(t);
  if (!send_error.empty()) return fail(cmd, "cannot queue an event: " + send_error);
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(cmd, fmt::format("{} events not delivered in {} ms", sent - counts.delivered,
                                 o.client.request_timeout_ms));
  if (counts.failed)
    return fail(cmd, fmt::format("{} events not delivered: {}", counts.failed, counts.first_error));
  if (o.json) {
    nlohmann::ordered_json j = {{"events", sent},
                                {"persons", per_kind[0]},
                                {"auctions", per_kind[1]},
                                {"bids", per_kind[2]},
                                {"bytes", bytes},
                                {"seconds", seconds},
                                {"events_per_second", seconds > 0 ? double(sent) / seconds : 0.0},
                                {"topics", std::vector<std::string>(names, names + 3)},
                                {"seed", o.seed},
                                {"first_date_time_ms", g.timestamp_ms(0)},
                                {"last_date_time_ms", sent ? g.timestamp_ms(sent - 1) : 0}};
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print(
        "{} events ({} persons, {} auctions, {} bids, {:.1f} MB) to {}, {}, {} in {:.2f} s: "
        "{:.0f} events/s\n",
        sent, per_kind[0], per_kind[1], per_kind[2], double(bytes) / 1e6, names[0], names[1],
        names[2], seconds, seconds > 0 ? double(sent) / seconds : 0.0);
  }
  return 0;
}

int run_nexmark(const CLI::App& cmd, const nexmark_options& o) {
  nexmark::config c;
  c.seed = o.seed;
  c.event_rate = o.event_rate;
  c.base_time_ms = o.base_time_ms;
  const nexmark::generator g(c);
  bench::install_stop_handler();
  if (o.output == "stdout") return run_stdout(o, g);
  return run_kafka(cmd, o, g);
}

}  // namespace

void add_nexmark(CLI::App& app) {
  auto o = std::make_shared<nexmark_options>();
  auto* c = app.add_subcommand(
      "nexmark",
      "Generate the Nexmark benchmark's persons, auctions and bids (1:3:46) as JSON records into "
      "the topics <prefix>person, <prefix>auction and <prefix>bid (docs/sql/nexmark.md)");
  c->add_option("--events", o->events, "How many events in all (persons + auctions + bids)")
      ->capture_default_str()
      ->check(at_least(1));
  c->add_option("--seed", o->seed, "The same seed and flags give the same events")
      ->capture_default_str();
  c->add_option("--rate", o->rate, "Events per second of wall time (default: as fast as possible)")
      ->check(positive());
  c->add_option("--event-rate", o->event_rate,
                "Events per second of event time: event n's date_time is --base-time-ms + "
                "n * 1000 / this (Beam's firstEventRate)")
      ->capture_default_str()
      ->check(positive());
  c->add_option(
       "--base-time-ms", o->base_time_ms,
       "date_time of the first event, ms since the epoch (default 2024-01-01 00:00:00 UTC)")
      ->capture_default_str();
  c->add_option("--topic-prefix", o->topic_prefix,
                "Topic names: PREFIXperson, PREFIXauction, PREFIXbid (created if missing)")
      ->capture_default_str();
  c->add_option("--partitions", o->partitions, "Partitions of each topic if it has to be created")
      ->capture_default_str()
      ->check(between(1, 1 << 20));
  c->add_option("--acks", o->acks, "all: wait until durable; 1: until written; 0: do not wait")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "-1", "1", "0"}));
  c->add_option("--output", o->output,
                "kafka: the three topics; stdout: JSON lines with an event_type field (0 person, "
                "1 auction, 2 bid), nothing sent")
      ->capture_default_str()
      ->check(CLI::IsMember({"kafka", "stdout"}));
  c->add_flag("--json", o->json, "Print the summary as one JSON object");
  add_client_flags(*c, o->client);
  c->callback([c, o] { set_exit_code(run_nexmark(*c, *o)); });
}

}  // namespace runnel::cli
