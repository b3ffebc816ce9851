// stream_bench: events per second (wall, and per CPU-second of this process)
// that one stream thread of the runnel stream library processes.
//
//   stream_bench --brokers 127.0.0.1:9092 --events 2000000 --workload stateless
//
// Workloads, over JSON page views (events.h):
//   stateless       filter (drops 10%) + map_values to a smaller JSON + to()
//   windowed        input keyed by page; group_by_key, 1-minute tumbling
//                   windows, count, to_stream().to()
//   windowed-rekey  input keyed by user; group_by(page) (a repartition topic
//                   written and read back by the same app), then as windowed
//
// The input topic is preloaded first (untimed). The clock starts when the
// first record reaches the topology and stops when the last one has gone
// through it; CPU time is getrusage over the same span, for the whole
// process (stream thread and librdkafka's threads) and for the stream
// thread alone. The result is one JSON line on stdout.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "events.h"
#include "runnel/stream.h"

namespace {

namespace rs = runnel::stream;
using steady = std::chrono::steady_clock;
using stream_bench::page_view;
using stream_bench::visit;

double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Marks the first and the last record of the run; written on the stream
// thread, read by main after `done` is set.
struct progress {
  int64_t expected = 0;
  int64_t seen = 0;  // at the end of the topology
  bool started = false;
  steady::time_point first, last;
  double cpu_first = 0, cpu_last = 0;
  double thread_cpu_first = 0, thread_cpu_last = 0;
  std::atomic<bool> done{false};

  void start() {
    if (started) return;
    started = true;
    first = steady::now();
    cpu_first = cpu_seconds(RUSAGE_SELF);
    thread_cpu_first = cpu_seconds(RUSAGE_THREAD);
  }
  void count() {
    if (++seen != expected) return;
    last = steady::now();
    cpu_last = cpu_seconds(RUSAGE_SELF);
    thread_cpu_last = cpu_seconds(RUSAGE_THREAD);
    done.store(true);
    done.notify_all();
  }
};

struct options {
  std::string brokers = "127.0.0.1:9092";
  int64_t events = 2000000;
  std::string workload = "stateless";
  int32_t partitions = 1;
  std::string emit = "update";
  std::string input_topic;
  std::string state_dir;
  int64_t commit_interval_ms = -1;  // -1: the library's default for the guarantee
  std::string guarantee = "at_least_once";
  int64_t timeout_s = 600;
  std::vector<std::string> client_properties;  // NAME=VALUE
  bool no_output = false;
  int64_t cache_max_bytes = -1;  // -1: the library's default
};

// The mean size of an input value, over the first thousand events.
double sample_event_bytes() {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    runnel::stream::json::write(text, stream_bench::make_event(i, 1700000000000));
  return static_cast<double>(text.size()) / 1000;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App cli("Throughput of the stream library on one stream thread", "stream_bench");
  cli.add_option("--brokers", o.brokers, "bootstrap servers")->capture_default_str();
  cli.add_option("--events", o.events, "events to preload and process")->capture_default_str();
  cli.add_option("--workload", o.workload, "stateless | windowed | windowed-rekey")
      ->check(CLI::IsMember({"stateless", "windowed", "windowed-rekey"}))
      ->capture_default_str();
  cli.add_option("--partitions", o.partitions, "input topic partitions (= tasks)")
      ->capture_default_str();
  cli.add_option("--emit", o.emit, "windowed: update | close")
      ->check(CLI::IsMember({"update", "close"}))
      ->capture_default_str();
  cli.add_option(
      "--input-topic", o.input_topic,
      "reuse this input topic if it already holds --events records (default: a new one)");
  cli.add_option("--state-dir", o.state_dir,
                 "RocksDB state (default: a new temp dir, removed after)");
  cli.add_option("--commit-interval-ms", o.commit_interval_ms,
                 "app commit interval (default: 1000 at-least-once, 100 exactly-once)");
  cli.add_option("--processing-guarantee", o.guarantee, "at_least_once | exactly_once_v2")
      ->check(CLI::IsMember({"at_least_once", "exactly_once_v2"}))
      ->capture_default_str();
  cli.add_option("--timeout-s", o.timeout_s, "give up after this long")->capture_default_str();
  cli.add_option("--client-property", o.client_properties,
                 "a librdkafka property for the app's clients: NAME=VALUE (repeatable)");
  cli.add_flag(
      "--no-output", o.no_output,
      "stateless: end the topology in for_each instead of to() (isolates the producer's cost)");
  cli.add_option("--cache-max-bytes", o.cache_max_bytes,
                 "app_config::cache_max_bytes, the window stores' write cache (0: off; default: "
                 "the library's)");
  CLI11_PARSE(cli, argc, argv);
  // The library's log lines go to stderr: stdout is the JSON result alone.
  spdlog::set_default_logger(spdlog::stderr_color_mt("stream_bench"));
  if (o.events <= 0 || o.partitions <= 0) {
    fmt::print(stderr, "stream_bench: --events and --partitions must be positive\n");
    return 2;
  }

  const bool windowed = o.workload != "stateless";
  const auto by =
      o.workload == "windowed" ? stream_bench::key_by::page : stream_bench::key_by::user;
  const std::string run_id =
      fmt::format("{}-{}", getpid(), steady::now().time_since_epoch().count());
  // The input's event times end about now, so the broker's time retention
  // keeps them; a reused topic keeps the timestamps it was written with.
  const int64_t base_ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          o.events;
  if (o.input_topic.empty())
    o.input_topic =
        fmt::format("sbench-{}-{}-{}", by == stream_bench::key_by::page ? "bypage" : "byuser",
                    o.events, run_id);
  const std::string output_topic = fmt::format("sbench-out-{}", run_id);

  auto pre = stream_bench::preload(o.brokers, o.input_topic, o.partitions, o.events, base_ts, by);
  if (!pre) {
    fmt::print(stderr, "stream_bench: preload: {}\n", pre.error().message);
    return 1;
  }

  progress p;
  int64_t kept = 0;
  if (o.workload == "stateless") {
    // Known in advance: events are a pure function of their index.
    for (int64_t i = 0; i < o.events; ++i)
      kept += stream_bench::kept_by_filter(stream_bench::make_event(i, 0));
    p.expected = kept;
  } else {
    p.expected = o.events;
  }

  // The end is marked where every input record passes exactly once: after
  // the map (stateless, kept records only) or the count (emit on update),
  // else at the source.
  const bool count_at_source = windowed && o.emit == "close";
  rs::builder b;
  auto source =
      b.stream<std::string, page_view>(o.input_topic).peek([&p, count_at_source](const page_view&) {
        p.start();
        if (count_at_source) p.count();
      });
  if (o.workload == "stateless") {
    auto mapped = source.filter([](const page_view& v) { return stream_bench::kept_by_filter(v); })
                      .map_values([](const page_view& v) {
                        return visit{v.user, v.page, v.ts};
                      });
    if (o.no_output)
      mapped.for_each([&p](const visit&) { p.count(); });
    else
      mapped.peek([&p](const visit&) { p.count(); }).to(output_topic);
  } else {
    auto grouped = o.workload == "windowed"
                       ? source.group_by_key()
                       : source.select_key([](const page_view& v) { return v.page; })
                             .repartition()
                             .group_by_key();
    auto counted = grouped.windowed_by(rs::tumbling_window(std::chrono::minutes(1)))
                       .emit(o.emit == "close" ? rs::emit::on_window_close : rs::emit::on_update)
                       .count()
                       .to_stream();
    if (count_at_source)
      counted.to(output_topic);
    else
      counted.peek([&p](const int64_t&) { p.count(); }).to(output_topic);
  }

  std::filesystem::path state_dir =
      o.state_dir.empty() ? std::filesystem::temp_directory_path() / ("stream-bench-" + run_id)
                          : std::filesystem::path(o.state_dir);
  rs::app_config c;
  c.application_id = "sbench-" + run_id;
  c.brokers = o.brokers;
  c.state_dir = state_dir;
  if (o.commit_interval_ms >= 0)
    c.commit_interval = std::chrono::milliseconds(o.commit_interval_ms);
  if (o.guarantee == "exactly_once_v2") c.guarantee = rs::processing_guarantee::exactly_once_v2;
  c.handle_signals = true;
  if (o.cache_max_bytes >= 0) c.cache_max_bytes = static_cast<size_t>(o.cache_max_bytes);
  for (const auto& prop : o.client_properties) {
    auto eq = prop.find('=');
    if (eq == std::string::npos) {
      fmt::print(stderr, "stream_bench: --client-property wants NAME=VALUE, got {}\n", prop);
      return 2;
    }
    c.client_properties.emplace_back(prop.substr(0, eq), prop.substr(eq + 1));
  }
  rs::app app(b.build(), c);

  auto started = steady::now();
  runnel::client::result<void> run_result = runnel::outcome::success();
  std::thread runner([&] { run_result = app.run(); });
  // Wait (without spinning: main's CPU is counted too) for the last record,
  // or for the app to stop early, or the timeout.
  bool timed_out = false;
  while (!p.done.load()) {
    auto st = app.state();
    if (st == rs::app_state::stopped || st == rs::app_state::failed) break;
    if (steady::now() - started > std::chrono::seconds(o.timeout_s)) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto done_at = steady::now();
  app.stop();
  runner.join();
  double drained_s = std::chrono::duration<double>(steady::now() - done_at).count();
  auto metrics = app.metrics();
  std::error_code ec;
  if (o.state_dir.empty()) std::filesystem::remove_all(state_dir, ec);

  if (!run_result) {
    fmt::print(stderr, "stream_bench: app: {}\n", run_result.error().message);
    return 1;
  }
  if (!p.done.load()) {
    fmt::print(stderr, "stream_bench: {} after {} of {} records\n",
               timed_out ? "timed out" : "app stopped", p.seen, p.expected);
    return 1;
  }
  uint64_t in = 0, out = 0;
  for (const auto& t : metrics.tasks) {
    in += t.records_in;
    out += t.records_out;
  }
  auto outputs = stream_bench::topic_records(o.brokers, output_topic);

  double seconds = std::chrono::duration<double>(p.last - p.first).count();
  double cpu = p.cpu_last - p.cpu_first;
  double thread_cpu = p.thread_cpu_last - p.thread_cpu_first;
  double startup = std::chrono::duration<double>(p.first - started).count();
  auto rate = [&](double s) { return s > 0 ? static_cast<double>(o.events) / s : 0.0; };
  fmt::print(
      "{{\"guarantee\":\"{}\",\"workload\":\"{}\",\"emit\":\"{}\",\"events\":{},\"partitions\":{},"
      "\"event_bytes_avg\":{:"
      ".1f},"
      "\"seconds\":{:.3f},\"events_per_s\":{:.0f},\"cpu_s\":{:.3f},\"events_per_cpu_s\":{:.0f},"
      "\"stream_thread_cpu_s\":{:.3f},\"events_per_stream_thread_cpu_s\":{:.0f},\"startup_s\":{:."
      "3f},"
      "\"drain_s\":{:.3f},\"records_in\":{},\"records_out\":{},\"output_records\":{},\"commits\":{}"
      ","
      "\"preload_s\":{:.3f},\"preload_reused\":{}}}\n",
      o.guarantee, o.workload, windowed ? o.emit : "-", o.events, o.partitions,
      sample_event_bytes(), seconds, rate(seconds), cpu, rate(cpu), thread_cpu, rate(thread_cpu),
      startup, drained_s, in, out, outputs ? outputs.value() : -1, metrics.commits,
      pre.value().seconds, pre.value().reused);
  return 0;
}
