// `runnel bench e2e`: producers and consumers in one process; each message
// carries its intended send time and the consumers report how long it took
// to arrive. Consumers start at the topic's current end (or the group's
// committed offsets) before the first message is sent.
#include <memory>
#include <thread>

#include <fmt/core.h>

#include "cli/bench_consumer.h"
#include "cli/bench_load.h"
#include "cli/bench_producer.h"
#include "cli/commands.h"

namespace runnel::cli {

namespace {

using namespace bench;

int run_bench_e2e(const CLI::App& cmd, const load_options& o) {
  auto topic = bench_topic::open(cmd, o, true);
  if (!topic) return 1;
  const int32_t partitions = topic->partitions();
  install_stop_handler();

  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto offsets = admin->offsets(o.topic);
  if (!offsets) return fail(cmd, offsets.error().message);

  consume_goal goal;
  goal.stamped = true;
  goal.run_start_ns = now_ns();
  for (const auto& p : offsets.value()) goal.start_offsets[p.partition()] = p.end();
  auto consumers = start_consumers(cmd, o, partitions, goal);
  if (consumers.empty()) return 1;
  if (!o.group.empty()) {
    // Nothing may be sent before every partition has a reader, or the first
    // latencies would include the group's rebalance.
    const int64_t deadline = now_ns() + int64_t(o.client.request_timeout_ms) * 2'000'000;
    while (true) {
      int assigned = 0;
      for (auto& c : consumers) assigned += c->assigned.load();
      if (assigned >= partitions) break;
      if (now_ns() > deadline || stop_requested()) {
        return fail(cmd, fmt::format("group {}: {} of {} partitions assigned after {} ms", o.group,
                                     assigned, partitions, 2 * o.client.request_timeout_ms));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  auto producers = make_producers(cmd, o);
  if (producers.empty()) return 1;
  // Without --count or --duration: 10 s.
  const int64_t duration =
      o.count ? 0 : parse_duration(o.duration.empty() ? "10s" : o.duration)->count();
  std::vector<live_counters*> sent_live, read_live;
  for (auto& p : producers) sent_live.push_back(&p->live);
  for (auto& c : consumers) read_live.push_back(&c->live);
  progress_line progress(!duration || duration > 2'000'000'000,
                         {{"acked", sent_live}, {"received", read_live}});

  const int64_t start = now_ns();
  start_producers(producers, o, start, duration ? start + duration : 0, true);
  for (auto& p : producers) {
    while (!p->finished()) {
      progress.tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const auto sent = join_producers(producers);
  // Everything acknowledged should arrive (duplicates from retries aside).
  goal.target = sent.delivered;
  const bool idle = watch_consumers(consumers, o, goal, progress);
  const auto t = join_consumers(consumers);

  load_report r;
  r.bench = "e2e";
  r.count = t.received;
  r.bytes = t.bytes;
  r.seconds = t.last_ns ? double(t.last_ns - start) / 1e9 : 0;
  r.latency = &t.latency;
  r.latency_label =
      o.rate > 0 ? "latency from schedule slot to receipt" : "latency from send to receipt";
  r.extra = {{"sent", sent.sent},
             {"acked", sent.delivered},
             {"received", t.received},
             {"errors", sent.failed + t.errors},
             {"ack_p50_ms", double(sent.latency.percentile(50)) / 1e6},
             {"ack_p99_ms", double(sent.latency.percentile(99)) / 1e6},
             {"topic", o.topic},
             {"partitions", partitions},
             {"message_bytes", o.message_bytes},
             {"producers", o.producers},
             {"consumers", int(consumers.size())},
             {"group",
              o.group.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.group)},
             {"acks", o.idempotence ? "all" : o.acks},
             {"compression", o.compression},
             {"rate", o.rate > 0 ? nlohmann::ordered_json(o.rate) : nullptr}};
  print_report(r, o.json);
  // Close the clients before the topic may be deleted under them (a
  // consumer closing on a deleted topic waits for it).
  consumers.clear();
  producers.clear();
  topic->finish(sent.delivered, sent.delivered * o.message_bytes);
  if (sent.failed > 0) {
    return fail(cmd, fmt::format("{} of {} messages failed: {}", sent.failed,
                                 sent.delivered + sent.failed, sent.first_error));
  }
  if (t.received < sent.delivered && !stop_requested()) {
    std::string why = idle ? fmt::format("no message for {} ms", o.timeout_ms) : "stopped";
    if (!t.first_error.empty()) why += "; " + t.first_error;
    return fail(cmd, fmt::format("received {} of {} acknowledged messages: {}", t.received,
                                 sent.delivered, why));
  }
  if (sent.delivered == 0) return fail(cmd, "no message was delivered");
  return 0;
}

}  // namespace

void add_bench_e2e(CLI::App& bench) {
  auto o = std::make_shared<load_options>();
  auto* c = bench.add_subcommand(
      "e2e", "End-to-end latency, producer to consumer, through any Kafka-protocol cluster");
  add_load_flags(*c, *o, producer_flags | consumer_flags);
  c->callback([c, o] { set_exit_code(run_bench_e2e(*c, *o)); });
}

}  // namespace runnel::cli
