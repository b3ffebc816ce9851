// `runnel bench consume`: --consumers clients read an existing topic from
// the beginning (optionally written first with --prepare-count) until they
// have caught up with its end as it was at the start, or for --count
// messages or --duration, and report the catch-up throughput.
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

// Writes --prepare-count messages as fast as possible with the producer flags.
bool prepare(const CLI::App& cmd, const load_options& o) {
  load_options p = o;
  p.count = o.prepare_count;
  p.rate = 0;
  auto producers = make_producers(cmd, p);
  if (producers.empty()) return false;
  start_producers(producers, p, now_ns(), 0, false);
  const auto t = join_producers(producers);
  if (t.failed > 0 || t.delivered < o.prepare_count) {
    fail(cmd, fmt::format("--prepare-count: {} of {} messages failed: {}", t.failed,
                          o.prepare_count, t.first_error));
    return false;
  }
  fmt::print(stderr, "prepared {} messages of {} B in {}\n", t.delivered, o.message_bytes, o.topic);
  return true;
}

int run_bench_consume(const CLI::App& cmd, const load_options& o) {
  auto topic = bench_topic::open(cmd, o, o.prepare_count > 0);
  if (!topic) return 1;
  const int32_t partitions = topic->partitions();
  install_stop_handler();
  if (o.prepare_count > 0 && !prepare(cmd, o)) return 1;

  auto admin = make_admin(o.client, cmd);
  if (!admin) return 1;
  auto offsets = admin->offsets(o.topic);
  if (!offsets) return fail(cmd, offsets.error().message);
  uint64_t backlog = 0;
  for (const auto& p : offsets.value()) backlog += uint64_t(p.end() - p.start());

  const int64_t duration = o.duration.empty() ? 0 : parse_duration(o.duration)->count();
  consume_goal goal;
  goal.target = o.count ? *o.count : duration ? UINT64_MAX : backlog;
  if (goal.target == 0) return fail(cmd, "topic " + o.topic + " is empty");
  for (int32_t p = 0; p < partitions; ++p) goal.start_offsets[p] = RD_KAFKA_OFFSET_BEGINNING;

  const int64_t start = now_ns();
  if (duration) goal.deadline_ns = start + duration;
  auto consumers = start_consumers(cmd, o, partitions, goal);
  if (consumers.empty()) return 1;
  std::vector<live_counters*> live;
  for (auto& c : consumers) live.push_back(&c->live);
  progress_line progress(!duration || duration > 2'000'000'000, {{"read", live}});
  const bool idle = watch_consumers(consumers, o, goal, progress);
  const auto t = join_consumers(consumers);

  load_report r;
  r.bench = "consume";
  r.count = t.received;
  r.bytes = t.bytes;
  // From the first message on: connecting (and joining a group) is not
  // reading.
  r.seconds = t.first_ns ? double(t.last_ns - t.first_ns) / 1e9 : 0;
  // No latency: the messages were written before the read began, so their
  // age at receipt says how old the backlog was, not how fast it was read.
  r.latency = nullptr;
  r.extra = {{"topic", o.topic},
             {"partitions", partitions},
             {"consumers", int(consumers.size())},
             {"group",
              o.group.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.group)},
             {"backlog", backlog},
             {"first_message_ms", t.first_ns ? double(t.first_ns - start) / 1e6 : 0.0},
             {"errors", t.errors}};
  print_report(r, o.json);
  // Close the clients before the topic may be deleted under them (a
  // consumer closing on a deleted topic waits for it).
  consumers.clear();
  topic->finish(o.prepare_count, o.prepare_count * o.message_bytes);
  const bool finite = o.count || !duration;
  if (finite && t.received < goal.target && !stop_requested()) {
    std::string why = idle ? fmt::format("no message for {} ms", o.timeout_ms) : "stopped";
    if (!t.first_error.empty()) why += "; " + t.first_error;
    return fail(cmd,
                fmt::format("received {} of {} messages: {}", t.received, goal.target.load(), why));
  }
  return 0;
}

}  // namespace

void add_bench_consume(CLI::App& bench) {
  auto o = std::make_shared<load_options>();
  auto* c = bench.add_subcommand(
      "consume",
      "Catch-up read throughput of a topic from its beginning, on any Kafka-protocol cluster");
  add_load_flags(*c, *o, producer_flags | consumer_flags);
  c->add_option("--prepare-count", o->prepare_count,
                "First write this many messages (with the producer flags) to the topic, "
                "creating it if needed");
  c->callback([c, o] { set_exit_code(run_bench_consume(*c, *o)); });
}

}  // namespace runnel::cli
