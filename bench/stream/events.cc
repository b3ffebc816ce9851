#include "events.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "runnel/client/admin.h"
#include "runnel/client/producer.h"

namespace stream_bench {

namespace {

using runnel::client::result;

runnel::client::error error_of(std::string message) {
  return runnel::client::error{std::make_error_code(std::errc::io_error), std::move(message)};
}

// A cheap, fixed mixing of i so that users, pages and durations look random
// but are the same on every run.
uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

constexpr const char* countries[] = {"DE", "FR", "US", "GB", "IN", "BR", "JP", "NL"};
constexpr const char* devices[] = {"mobile", "desktop", "tablet"};

runnel::client::client_config client(const std::string& brokers) {
  runnel::client::client_config c;
  c.brokers = brokers;
  c.client_id = "stream-bench";
  return c;
}

}  // namespace

page_view make_event(int64_t i, int64_t base_ts) {
  uint64_t h = mix(static_cast<uint64_t>(i));
  page_view v;
  v.user = fmt::format("u{:06}", h % users);
  v.page = fmt::format("/products/{:04}", (h >> 20) % pages);
  v.ts = base_ts + i;
  v.duration_ms = static_cast<int64_t>((h >> 32) % 30000);
  v.country = countries[(h >> 40) % std::size(countries)];
  v.device = devices[(h >> 48) % std::size(devices)];
  v.referrer = fmt::format("https://search.example/q?id={}", (h >> 8) % 100000);
  return v;
}

bool kept_by_filter(const page_view& v) {
  return v.duration_ms % 10 != 0;
}

result<int64_t> topic_records(const std::string& brokers, const std::string& topic) {
  RUNNEL_TRY(auto admin,
             runnel::client::admin::create({client(brokers), std::chrono::seconds(30)}));
  RUNNEL_TRY(auto offsets, admin.offsets(topic));
  int64_t n = 0;
  for (const auto& o : offsets) n += o.end() - o.start();
  return n;
}

result<preload_result> preload(const std::string& brokers, const std::string& topic,
                               int32_t partitions, int64_t n, int64_t base_ts, key_by by) {
  preload_result out;
  {
    RUNNEL_TRY(auto admin,
               runnel::client::admin::create({client(brokers), std::chrono::seconds(30)}));
    if (auto have = admin.offsets(topic); have) {
      int64_t records = 0;
      for (const auto& o : have.value()) records += o.end() - o.start();
      if (records == n) {
        out.reused = true;
        return out;
      }
      return error_of(fmt::format("topic {} exists with {} records, not {}", topic, records, n));
    }
    runnel::client::new_topic t;
    t.name = topic;
    t.partitions = partitions;
    RUNNEL_TRY(admin.create_topic(t));
  }

  std::atomic<int64_t> failed{0};
  runnel::client::producer_options po;
  po.client = client(brokers);
  // Throughput settings: big batches, no compression (so the app pays for
  // no decompression either), leader acks only.
  po.client.properties = {{"batch.size", "1000000"},
                          {"queue.buffering.max.messages", "1000000"},
                          {"queue.buffering.max.kbytes", "1048576"},
                          {"partitioner", "murmur2_random"}};
  po.acks = "1";
  po.linger = std::chrono::milliseconds(20);
  po.compression = "none";
  po.delivery_timeout = std::chrono::minutes(2);
  po.on_delivery = [&failed](const runnel::client::delivery_report& r) {
    if (r.error) failed.fetch_add(1);
  };
  RUNNEL_TRY(auto producer, runnel::client::producer::create(po));

  auto started = std::chrono::steady_clock::now();
  std::string value;
  for (int64_t i = 0; i < n; ++i) {
    auto v = make_event(i, base_ts);
    value.clear();
    runnel::stream::json::write(value, v);
    runnel::client::message_ref m;
    m.topic = topic;
    m.key = by == key_by::page ? std::string_view(v.page) : std::string_view(v.user);
    m.value = value;
    m.timestamp_ms = v.ts;
    RUNNEL_TRY(producer.send(m));
    out.bytes += value.size();
    if ((i & 1023) == 0) producer.poll(std::chrono::milliseconds(0));
  }
  RUNNEL_TRY(producer.flush(std::chrono::minutes(2)));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed.load() > 0)
    return error_of(fmt::format("{} preload records were not delivered", failed.load()));
  return out;
}

}  // namespace stream_bench
