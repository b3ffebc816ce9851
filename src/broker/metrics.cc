#include "broker/metrics.h"

#include <array>
#include <atomic>

#include "kafka/error_code.h"

namespace runnel::broker {

namespace {

// API keys are small (Kafka's highest is under 100); the tables index by them.
constexpr size_t max_api_key = 128;
// Error codes -1 .. max_error_code - 2 have a slot; others share the last.
constexpr size_t max_error_code = 130;

struct api_series {
  observe::counter* requests = nullptr;
  observe::histogram* latency = nullptr;
};

auto& requests_family() {
  static auto& f = observe::metrics().counter_family("runnel_requests_total",
                                                     "Kafka requests handled, by API.", {"api"});
  return f;
}

// Built once, before the first request is counted: afterwards lookups are
// an index.
const std::array<api_series, max_api_key>& api_table() {
  static const auto table = [] {
    std::array<api_series, max_api_key> t{};
    auto& latency = observe::metrics().histogram_family(
        "runnel_request_latency_seconds",
        "Time from a request's arrival to its response being ready, by API (a long-polling "
        "Fetch includes its wait).",
        {"api"}, observe::latency_buckets());
    for (const auto& a : kafka::supported_apis()) {
      const auto k = size_t(a.key);
      if (k >= max_api_key) continue;
      t[k].requests = &requests_family().with({a.name});
      t[k].latency = &latency.with({a.name});
    }
    return t;
  }();
  return table;
}

// Error series are created on first use (most pairs never occur), then
// found by index.
std::array<std::array<std::atomic<observe::counter*>, max_error_code>, max_api_key> error_table{};

size_t error_slot(int16_t code) {
  const int slot = int(code) + 1;
  return slot >= 0 && size_t(slot) < max_error_code - 1 ? size_t(slot) : max_error_code - 1;
}

std::string error_label(int16_t code, size_t slot) {
  if (slot == max_error_code - 1) return "OTHER";
  const char* n = kafka::error_name(code);
  return n ? n : "CODE_" + std::to_string(code);
}

}  // namespace

std::shared_ptr<topic_io> make_topic_io(const std::string& topic) {
  static auto& rin = observe::metrics().counter_family(
      "runnel_topic_records_in_total", "Records appended to the topic by producers.", {"topic"});
  static auto& bin = observe::metrics().counter_family(
      "runnel_topic_bytes_in_total", "Bytes of record batches appended to the topic.", {"topic"});
  static auto& rout = observe::metrics().counter_family(
      "runnel_topic_records_out_total",
      "Records sent to consumers (offsets past each fetch's position).", {"topic"});
  static auto& bout = observe::metrics().counter_family(
      "runnel_topic_bytes_out_total", "Bytes of record batches sent to consumers.", {"topic"});
  auto io = std::make_shared<topic_io>();
  io->records_in = rin.scoped_with({topic});
  io->bytes_in = bin.scoped_with({topic});
  io->records_out = rout.scoped_with({topic});
  io->bytes_out = bout.scoped_with({topic});
  return io;
}

void record_request(const kafka::api_info& api, std::chrono::steady_clock::duration elapsed,
                    bool malformed) {
  const auto k = size_t(api.key);
  if (k >= max_api_key) return;
  const auto& s = api_table()[k];
  if (!s.requests) return;
  s.requests->inc();
  s.latency->observe(elapsed);
  if (malformed) count_error(api, kafka::code(kafka::error_code::invalid_request));
}

void count_error(const kafka::api_info& api, int16_t code) {
  static auto& errors = observe::metrics().counter_family(
      "runnel_request_errors_total",
      "Error codes in responses, by API and Kafka error name (one request can carry several, "
      "one per partition); a malformed request that closed its connection counts as "
      "INVALID_REQUEST.",
      {"api", "error"});
  const auto k = size_t(api.key);
  if (k >= max_api_key) return;
  const size_t slot = error_slot(code);
  auto& cell = error_table[k][slot];
  auto* c = cell.load(std::memory_order_acquire);
  if (!c) {
    // Racing threads get the same series from with(); either store is fine.
    c = &errors.with({api.name, error_label(code, slot)});
    cell.store(c, std::memory_order_release);
  }
  c->inc();
}

void count_connection() {
  static auto& opened =
      observe::metrics().counter("runnel_connections_opened_total", "Client connections accepted.");
  opened.inc();
}

}  // namespace runnel::broker
