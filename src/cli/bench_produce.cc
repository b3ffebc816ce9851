// `runnel bench produce`: --producers clients write fixed-size messages as
// fast as they can or at --rate, for --duration or --count, and report
// throughput and the latency from intended send to delivery report.
#include <memory>
#include <thread>

#include <fmt/core.h>

#include "cli/bench_load.h"
#include "cli/bench_producer.h"
#include "cli/commands.h"

namespace runnel::cli {

namespace {

using namespace bench;

int run_bench_produce(const CLI::App& cmd, const load_options& o) {
  auto topic = bench_topic::open(cmd, o, true);
  if (!topic) return 1;
  auto producers = make_producers(cmd, o);
  if (producers.empty()) return 1;
  install_stop_handler();

  // Without --count or --duration: 10 s.
  const int64_t duration =
      o.count ? 0 : parse_duration(o.duration.empty() ? "10s" : o.duration)->count();
  std::vector<live_counters*> live;
  for (auto& p : producers) live.push_back(&p->live);
  progress_line progress(!duration || duration > 2'000'000'000, {{"acked", live}});

  const int64_t start = now_ns();
  start_producers(producers, o, start, duration ? start + duration : 0, false);
  for (auto& p : producers) {
    while (!p->finished()) {
      progress.tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const auto t = join_producers(producers);
  // Transactions: the data counts once its commit has returned.
  const int64_t last = std::max(t.last_delivery_ns, t.last_commit_ns);
  const int64_t end = last ? last : now_ns();

  load_report r;
  r.bench = "produce";
  r.count = t.delivered;
  r.bytes = t.bytes;
  r.seconds = double(end - start) / 1e9;
  r.latency = &t.latency;
  r.latency_label = o.rate > 0 ? "latency from schedule slot to ack" : "latency from send to ack";
  const bool txn = !o.transactional_id.empty();
  r.extra = {{"sent", t.sent},
             {"errors", t.failed},
             {"topic", o.topic},
             {"partitions", topic->partitions()},
             {"topic_created", topic->created()},
             {"message_bytes", o.message_bytes},
             {"producers", o.producers},
             {"acks", o.idempotence || txn ? "all" : o.acks},
             {"compression", o.compression},
             {"idempotence", o.idempotence || txn},
             {"transactions", t.transactions},
             {"transaction_duration_ms",
              txn ? nlohmann::ordered_json(o.transaction_duration_ms) : nullptr},
             {"rate", o.rate > 0 ? nlohmann::ordered_json(o.rate) : nullptr}};
  print_report(r, o.json);
  // Close the clients before the topic may be deleted under them (a
  // consumer closing on a deleted topic waits for it).
  producers.clear();
  topic->finish(t.delivered, t.bytes);
  if (t.failed > 0) {
    return fail(cmd, fmt::format("{} of {} messages failed: {}", t.failed, t.delivered + t.failed,
                                 t.first_error));
  }
  if (t.delivered == 0) return fail(cmd, "no message was delivered");
  return 0;
}

}  // namespace

void add_bench_produce(CLI::App& bench) {
  auto o = std::make_shared<load_options>();
  auto* c = bench.add_subcommand(
      "produce", "Producer throughput and latency against any Kafka-protocol cluster");
  add_load_flags(*c, *o, producer_flags);
  c->callback([c, o] { set_exit_code(run_bench_produce(*c, *o)); });
}

}  // namespace runnel::cli
