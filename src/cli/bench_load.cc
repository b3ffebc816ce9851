#include "cli/bench_load.h"

#include <time.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include <fmt/core.h>

#include "cli/checks.h"

namespace runnel::cli::bench {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

double ms(uint64_t ns) {
  return double(ns) / 1e6;
}

bool set(const CLI::App& cmd, rd_kafka_conf_t* conf, const std::string& name,
         const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    fail(cmd, fmt::format("client property {}={}: {}", name, value, err));
    return false;
  }
  return true;
}

// The cluster, `settings`, then the user's -X properties (which win).
rd_kafka_conf_t* make_conf(const CLI::App& cmd, const load_options& o,
                           const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  bool ok = set(cmd, conf, "bootstrap.servers", o.client.brokers) &&
            set(cmd, conf, "client.id", "runnel-bench");
  for (const auto& [k, v] : settings) ok = ok && set(cmd, conf, k, v);
  bool debug = false;
  for (const auto& p : o.client.properties) {
    if (!ok) break;
    auto kv = split_key_value(p);
    if (!kv) {
      fail(cmd, "-X expects name=value, got '" + p + "'");
      ok = false;
      break;
    }
    debug = debug || kv->first == "debug";
    ok = set(cmd, conf, kv->first, kv->second);
  }
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  // librdkafka logs connection trouble itself; a benchmark reports failed
  // messages instead, unless -X debug=... asks for the log.
  if (!debug) {
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  }
  return conf;
}

}  // namespace

void add_load_flags(CLI::App& c, load_options& o, unsigned which) {
  c.add_option("--topic", o.topic, "The topic to use")->capture_default_str();
  c.add_option("--partitions", o.partitions, "Partitions of the topic if it has to be created")
      ->capture_default_str()
      ->check(between(1, 1 << 20));
  c.add_option("--replication-factor", o.replication_factor,
               "Replicas of the topic if it has to be created (-1: the broker's default)")
      ->capture_default_str();
  c.add_option("--message-bytes", o.message_bytes, "Bytes in each message value")
      ->capture_default_str()
      ->check(between(8, 67108864));
  auto* count =
      c.add_option("--count", o.count, "Stop after this many messages")->check(at_least(1));
  auto* duration =
      c.add_option("--duration", o.duration, "Stop after this long: 10s, 500ms, 2m")
          ->check([](const std::string& s) -> std::string {
            const auto d = parse_duration(s);
            return d && d->count() > 0 ? "" : "expects a duration such as 10s, 500ms or 2m";
          });
  count->excludes(duration);
  if (which & producer_flags) {
    c.add_option("--rate", o.rate,
                 "Messages per second over all producers, on a fixed schedule (default: as fast "
                 "as possible)")
        ->check(positive());
    c.add_option("--acks", o.acks, "all: wait until durable; 1: until written; 0: do not wait")
        ->capture_default_str()
        ->check(CLI::IsMember({"all", "-1", "1", "0"}));
    c.add_option("--compression", o.compression, "Batch compression")
        ->capture_default_str()
        ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
    c.add_option("--producers", o.producers, "Producer threads, each its own client")
        ->capture_default_str()
        ->check(between(1, 256));
    c.add_option("--linger-ms", o.linger_ms, "linger.ms (default: librdkafka's, 5)")
        ->check(at_least(0));
    c.add_option("--batch-bytes", o.batch_bytes,
                 "batch.size: most bytes in one partition's batch (default: librdkafka's, 1000000)")
        ->check(at_least(1));
    c.add_flag("--idempotence", o.idempotence, "enable.idempotence (implies acks=all)");
    c.add_option("--transactional-id", o.transactional_id,
                 "Produce in transactions: producer n gets transactional.id ID-n (implies "
                 "idempotence)");
    c.add_option("--transaction-duration-ms", o.transaction_duration_ms,
                 "With --transactional-id: commit a transaction this often")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
  }
  if (which & consumer_flags) {
    c.add_option("--consumers", o.consumers, "Consumer threads, each its own client")
        ->capture_default_str()
        ->check(between(1, 256));
    c.add_option("--group", o.group,
                 "Consume as members of this group (default: no group; the partitions are "
                 "divided between the consumers)");
    c.add_option("--timeout-ms", o.timeout_ms, "Give up when no message arrives for this long")
        ->capture_default_str()
        ->check(at_least(1));
  }
  c.add_flag("--keep-topic", o.keep_topic,
             "Keep the topic if this run created it (default: delete it at the end)");
  c.add_flag("--json", o.json, "Also print one JSON object on the last line");
  add_client_flags(c, o.client);
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() || v < 0) return std::nullopt;
  const std::string_view unit(end, s.data() + s.size() - end);
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "m" || unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    return std::nullopt;
  }
  return std::chrono::nanoseconds(int64_t(v * scale));
}

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until_ns(int64_t t) {
  timespec ts{time_t(t / 1'000'000'000), long(t % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    if (g_stop) return;
  }
}

bool stop_requested() {
  return g_stop != 0;
}

void install_stop_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

rd_kafka_conf_t* make_producer_conf(const CLI::App& cmd, const load_options& o) {
  const bool idempotent = o.idempotence || !o.transactional_id.empty();
  std::vector<std::pair<std::string, std::string>> s = {
      {"acks", idempotent ? "all" : o.acks},
      {"compression.codec", o.compression},
      {"enable.idempotence", idempotent ? "true" : "false"},
      // librdkafka's 300 s would hide a dead cluster for five minutes.
      {"message.timeout.ms", "30000"},
  };
  if (o.linger_ms) s.emplace_back("linger.ms", std::to_string(*o.linger_ms));
  if (o.batch_bytes) s.emplace_back("batch.size", std::to_string(*o.batch_bytes));
  return make_conf(cmd, o, s);
}

rd_kafka_conf_t* make_consumer_conf(const CLI::App& cmd, const load_options& o,
                                    const std::string& group) {
  // Without --group the consumers assign() partitions; librdkafka still wants
  // a group.id, which is then never joined nor committed to.
  const bool grouped = !o.group.empty();
  return make_conf(cmd, o,
                   {{"group.id", group},
                    {"enable.auto.commit", grouped ? "true" : "false"},
                    {"auto.offset.reset", "earliest"},
                    {"enable.partition.eof", "false"}});
}

std::optional<bench_topic> bench_topic::open(const CLI::App& cmd, const load_options& o,
                                             bool create) {
  auto admin = make_admin(o.client, cmd);
  if (!admin) return std::nullopt;
  auto info = admin->describe_topic(o.topic);
  bool created = false;
  if (!info && create) {
    client::new_topic t;
    t.name = o.topic;
    t.partitions = o.partitions;
    t.replication_factor = o.replication_factor;
    auto made = admin->create_topic(t);
    // Someone else may have created it meanwhile: describing it decides.
    created = bool(made);
    // Metadata reaches every broker a moment after creation.
    const int64_t deadline = now_ns() + int64_t(o.client.request_timeout_ms) * 1'000'000;
    do {
      info = admin->describe_topic(o.topic);
      if (info && !info.value().partitions.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (now_ns() < deadline);
    if (!info && !made) {
      fail(cmd, made.error().message);
      return std::nullopt;
    }
  }
  if (!info) {
    fail(cmd, info.error().message);
    return std::nullopt;
  }
  const auto n = int32_t(info.value().partitions.size());
  return bench_topic(o, std::move(*admin), n, created);
}

bench_topic::bench_topic(const load_options& o, client::admin admin, int32_t partitions,
                         bool created)
    : name_(o.topic),
      keep_(o.keep_topic),
      admin_(std::move(admin)),
      partitions_(partitions),
      created_(created) {}

bench_topic::bench_topic(bench_topic&& other) noexcept
    : name_(std::move(other.name_)),
      keep_(other.keep_),
      admin_(std::move(other.admin_)),
      partitions_(other.partitions_),
      created_(other.created_) {
  other.created_ = false;
}

bench_topic::~bench_topic() {
  remove();
}

void bench_topic::remove() {
  if (!created_ || keep_ || !admin_) return;
  created_ = false;
  (void)admin_->delete_topic(name_);
}

void bench_topic::finish(uint64_t messages, uint64_t bytes) {
  if (created_ && !keep_) {
    auto r = admin_->delete_topic(name_);
    created_ = false;
    if (r) {
      fmt::print(stderr, "deleted topic {}, created for this run (--keep-topic keeps it)\n", name_);
    } else {
      fmt::print(stderr, "could not delete topic {}, created for this run: {}\n", name_,
                 r.error().message);
    }
  } else if (created_) {
    fmt::print(stderr,
               "kept topic {} ({} messages, {:.1f} MB); `runnel topic delete {}` removes it\n",
               name_, messages, double(bytes) / 1e6, name_);
  } else if (messages > 0) {
    fmt::print(stderr, "wrote {} messages ({:.1f} MB) to topic {}, which existed before this run\n",
               messages, double(bytes) / 1e6, name_);
  }
}

progress_line::progress_line(bool enabled, std::vector<group> groups)
    : enabled_(enabled),
      groups_(std::move(groups)),
      seen_(groups_.size()),
      start_(now_ns()),
      last_(start_) {}

void progress_line::tick() {
  const int64_t now = now_ns();
  if (!enabled_ || now - last_ < 1'000'000'000) return;
  const double secs = double(now - last_) / 1e9;
  std::string line = fmt::format("{:5.0f} s", double(now - start_) / 1e9);
  for (size_t i = 0; i < groups_.size(); ++i) {
    seen total;
    uint64_t max_ns = 0;
    for (auto* w : groups_[i].workers) {
      total.count += w->count.load(std::memory_order_relaxed);
      total.bytes += w->bytes.load(std::memory_order_relaxed);
      total.latency_sum += w->latency_sum_ns.load(std::memory_order_relaxed);
      max_ns = std::max(max_ns, w->latency_max_ns.exchange(0, std::memory_order_relaxed));
    }
    const uint64_t n = total.count - seen_[i].count;
    const double mean = n ? double(total.latency_sum - seen_[i].latency_sum) / double(n) : 0;
    line += fmt::format("  {} {:9.0f} msg/s {:8.1f} MB/s  latency mean {:.2f} max {:.2f} ms",
                        groups_[i].name, double(n) / secs,
                        double(total.bytes - seen_[i].bytes) / 1e6 / secs, mean / 1e6, ms(max_ns));
    seen_[i] = total;
  }
  fmt::print(stderr, "{}\n", line);
  last_ = now;
}

void print_report(const load_report& r, bool json) {
  const double secs = r.seconds > 0 ? r.seconds : 1e-9;
  const double msgs_s = r.count ? double(r.count) / secs : 0;
  const double mb_s = r.count ? double(r.bytes) / 1e6 / secs : 0;
  fmt::print("bench {}: {} messages, {:.1f} MB in {:.2f} s: {:.0f} msg/s, {:.1f} MB/s\n", r.bench,
             r.count, double(r.bytes) / 1e6, r.seconds, msgs_s, mb_s);
  const histogram* h = r.latency;
  if (h) {
    fmt::print("  {} (ms): p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f}\n",
               r.latency_label, ms(h->percentile(50)), ms(h->percentile(90)), ms(h->percentile(99)),
               ms(h->percentile(99.9)), ms(h->max()));
  }
  if (!json) return;
  using json_t = nlohmann::ordered_json;
  auto pct = [h](double p) { return h ? json_t(ms(h->percentile(p))) : json_t(nullptr); };
  json_t j = {{"bench", r.bench},
              {"count", r.count},
              {"bytes", r.bytes},
              {"seconds", r.seconds},
              {"msgs_per_s", msgs_s},
              {"mb_per_s", mb_s},
              {"latency", h ? json_t(r.latency_label) : json_t(nullptr)},
              {"p50_ms", pct(50)},
              {"p90_ms", pct(90)},
              {"p99_ms", pct(99)},
              {"p999_ms", pct(99.9)},
              {"max_ms", h ? json_t(ms(h->max())) : json_t(nullptr)},
              {"min_ms", h ? json_t(ms(h->min())) : json_t(nullptr)},
              {"mean_ms", h ? json_t(h->mean() / 1e6) : json_t(nullptr)}};
  for (const auto& [k, v] : r.extra.items()) j[k] = v;
  fmt::print("{}\n", j.dump());
}

std::vector<char> make_payload(size_t bytes) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> letter('A', 'Z');
  std::vector<char> v(bytes);
  for (auto& c : v) c = char(letter(rng));
  return v;
}

}  // namespace runnel::cli::bench
