// `runnel bench storage`: appends record batches to a fresh partition log on
// disk and reports throughput, with either no fsync until the end
// (--flush none) or an fsync after every batch (--flush always).
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/commands.h"
#include "model/record_batch_builder.h"
#include "storage/partition_log.h"

namespace runnel::cli {

namespace {

int g_exit_code = 0;

struct bench_storage_options {
  std::string dir;
  size_t record_bytes = 1024;
  size_t batch_bytes = 64 * 1024;
  uint64_t total_bytes = uint64_t{1} << 30;
  std::string flush = "none";
  uint64_t segment_bytes = uint64_t{1} << 30;
  bool json = false;
};

int run_bench_storage(const bench_storage_options& o) {
  using clock = std::chrono::steady_clock;
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(o.dir) / "bench-storage-0";
  std::error_code ec;
  fs::remove_all(dir, ec);

  // One batch of random (incompressible) values, reused for every append:
  // append() only rewrites the base offset, which the CRC does not cover.
  std::mt19937_64 rng(42);
  std::vector<std::byte> value(o.record_bytes);
  model::batch_builder b;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  while (b.count() == 0 || b.records_bytes() + o.record_bytes + 16 <= o.batch_bytes) {
    for (auto& x : value) x = std::byte(rng());
    b.add(std::nullopt, std::span<const std::byte>(value), model::timestamp{now_ms});
  }
  auto built = b.build();
  if (!built) {
    fmt::print(stderr, "runnel bench storage: cannot build a batch: {}\n", built.error().message());
    return 1;
  }
  auto batch = std::move(built).value();
  const int32_t records_per_batch = b.count();

  storage::log_options lo;
  lo.dir = dir;
  lo.config.segment_bytes = int64_t(o.segment_bytes);
  lo.config.max_message_bytes = int64_t(batch.size()) + 1024;
  lo.config.flush_ms = -1;  // the benchmark decides when to fsync
  auto opened = storage::partition_log::open(lo);
  if (!opened) {
    fmt::print(stderr, "runnel bench storage: cannot open {}: {}\n", dir.string(),
               opened.error().message());
    return 1;
  }
  auto& log = *opened.value();
  const bool always = o.flush == "always";

  uint64_t written = 0, batches = 0;
  const auto start = clock::now();
  auto last_report = start;
  while (written < o.total_bytes) {
    auto r = log.append(batch, model::timestamp{now_ms});
    if (!r) {
      fmt::print(stderr, "runnel bench storage: append failed: {}\n", r.error().message());
      return 1;
    }
    if (always) {
      if (auto f = log.flush(); !f) {
        fmt::print(stderr, "runnel bench storage: fsync failed: {}\n", f.error().message());
        return 1;
      }
    }
    written += batch.size();
    ++batches;
    const auto now = clock::now();
    if (!o.json && now - last_report > std::chrono::seconds(1)) {
      const double s = std::chrono::duration<double>(now - start).count();
      fmt::print(stderr, "\r{:.0f} MiB  {:.1f} MB/s", double(written) / (1 << 20),
                 double(written) / 1e6 / s);
      last_report = now;
    }
  }
  if (auto f = log.flush(); !f) {
    fmt::print(stderr, "runnel bench storage: fsync failed: {}\n", f.error().message());
    return 1;
  }
  const double secs = std::chrono::duration<double>(clock::now() - start).count();
  (void)log.close();
  const double mb_s = double(written) / 1e6 / secs;
  const double rec_s = double(batches) * records_per_batch / secs;
  if (!o.json) fmt::print(stderr, "\r");
  fmt::print("bench storage: flush={} record={} B batch={} B ({} records) total={} MiB\n", o.flush,
             o.record_bytes, batch.size(), records_per_batch, written >> 20);
  fmt::print("  {:.1f} MB/s  {:.0f} records/s  {:.0f} batches/s  {:.2f} s\n", mb_s, rec_s,
             double(batches) / secs, secs);
  if (o.json) {
    nlohmann::json j = {{"bench", "storage"},
                        {"flush", o.flush},
                        {"record_bytes", o.record_bytes},
                        {"batch_bytes", batch.size()},
                        {"records_per_batch", records_per_batch},
                        {"total_bytes", written},
                        {"seconds", secs},
                        {"mb_per_s", mb_s},
                        {"records_per_s", rec_s},
                        {"batches_per_s", double(batches) / secs}};
    fmt::print("{}\n", j.dump());
  }
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace

int exit_code() {
  return g_exit_code;
}
void set_exit_code(int code) {
  g_exit_code = code;
}

void add_bench_storage(CLI::App& bench) {
  auto o = std::make_shared<bench_storage_options>();
  auto* c = bench.add_subcommand("storage", "Append throughput of the partition log on disk");
  c->add_option("--dir", o->dir, "Directory to write the benchmark log in")->required();
  c->add_option("--record-bytes", o->record_bytes, "Value bytes per record")
      ->capture_default_str()
      ->check(between(1, 67108864));
  c->add_option("--batch-bytes", o->batch_bytes, "Target bytes per record batch")
      ->capture_default_str()
      ->check(between(128, 268435456));
  c->add_option("--total-bytes", o->total_bytes, "Bytes to append in all")
      ->capture_default_str()
      ->check(at_least(1));
  c->add_option("--flush", o->flush, "none: one fsync at the end; always: fsync every batch")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "always"}));
  c->add_option("--segment-bytes", o->segment_bytes, "segment.bytes of the log")
      ->capture_default_str();
  c->add_flag("--json", o->json, "Also print one JSON object on the last line");
  c->callback([o] { set_exit_code(run_bench_storage(*o)); });
}

}  // namespace runnel::cli
