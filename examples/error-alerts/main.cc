// Error alerts: an alert when one application logs N or more errors within
// 5 minutes — a count over sliding windows of event time, per application.
//
//   input  logs   (key: anything, value: LogLine JSON)
//   output alerts (key: app, value: Alert JSON)
//
// Every error at time t closes a window [t - 5 min, t]; the count of the
// app's errors in it is final once stream time passes t + grace. Windows
// are emitted only then (emit::on_window_close), so each window that holds
// N or more errors gives exactly one alert, even when late lines or several
// lines with the same timestamp update it (README.md explains the choice).
#include <chrono>
#include <cstdint>
#include <string>

#include "example_args.h"
#include "runnel/stream.h"

struct LogLine {
  std::string app;
  std::string level;
  std::string message;
  int64_t ts = 0;  // event time, ms since the epoch
};
RUNNEL_JSON(LogLine, app, level, message, ts)

struct Alert {
  std::string app;
  int64_t errors = 0;
  int64_t window_start = 0;  // ms, inclusive
  int64_t window_end = 0;    // ms, exclusive
};
RUNNEL_JSON(Alert, app, errors, window_start, window_end)

int main(int argc, char** argv) {
  int64_t threshold = 5;
  int64_t grace_ms = 5000;
  auto args = examples::parse_args(
      argc, argv, "error-alerts",
      "An alert when an app logs N or more errors within 5 minutes: logs -> alerts.",
      [&](CLI::App& cli) {
        cli.add_option("--threshold", threshold, "errors within 5 minutes that raise an alert")
            ->check(CLI::Range(1, 1000000))
            ->capture_default_str();
        cli.add_option("--grace-ms", grace_ms,
                       "how long to wait for out-of-order log lines before a window is final")
            ->capture_default_str();
      });
  if (!args) return args.exit_code;
  namespace rs = runnel::stream;
  using namespace std::chrono_literals;

  rs::consumed<std::string, LogLine> from_logs;
  from_logs.timestamp_extractor = [](const std::string&, const LogLine& l, int64_t) {
    return l.ts;
  };

  rs::builder b;
  b.stream<std::string, LogLine>(args.input("logs"), from_logs)
      .filter([](const LogLine& l) { return l.level == "ERROR"; })
      .group_by([](const LogLine& l) { return l.app; })
      .windowed_by(rs::sliding_window(5min).grace(std::chrono::milliseconds(grace_ms)))
      .emit(rs::emit::on_window_close)
      .count()
      .to_stream()
      .filter([threshold](const rs::windowed<std::string>&, int64_t errors) {
        return errors >= threshold;
      })
      .map([](const rs::windowed<std::string>& w, int64_t errors) {
        return rs::kv(w.key, Alert{w.key, errors, w.start, w.end});
      })
      .to(args.output("alerts"));
  return examples::run(b.build(), args);
}
