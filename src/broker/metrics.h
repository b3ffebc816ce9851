// The broker's metrics (docs/monitoring.md lists them all).
//
// Recorded as they happen, on the shards, without locks or lookups:
// - per request, in dispatch(): runnel_requests_total{api} and
//   runnel_request_latency_seconds{api}; from the typed response, in
//   respond(), runnel_request_errors_total{api,error} for every non-zero
//   error code it carries;
// - per topic: records and bytes in (on the partition's owner, after the
//   append) and out (on the connection's shard, for what a fetch returns),
//   through the topic's `topic_io`, which topic_info holds, so the series
//   go when the topic does.
//
// Computed at scrape time (attach_metrics): partitions' offsets and sizes
// and consumer groups (one hop to each shard), connections, disk space.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kafka/api.h"
#include "observe/family.h"
#include "observe/registry.h"

namespace runnel::broker {

class server;

// A topic's traffic counters.
struct topic_io {
  observe::scoped<observe::counter> records_in, bytes_in, records_out, bytes_out;
};
std::shared_ptr<topic_io> make_topic_io(const std::string& topic);

// dispatch(): one request of `api` took `elapsed`; `malformed`: it closed
// the connection instead of answering.
void record_request(const kafka::api_info& api, std::chrono::steady_clock::duration elapsed,
                    bool malformed);
// One error code (non-zero) in a response to `api`.
void count_error(const kafka::api_info& api, int16_t code);
// A client connection was accepted.
void count_connection();

namespace detail {

template <class T>
concept vector_of_structs = requires(const T& v) {
  typename T::value_type;
  v.begin();
  requires std::is_class_v<typename T::value_type>;
};

// Walks a response body: every `error_code` field, in the body and in its
// nested topics, partitions, results, groups, members... The response
// structs name these fields alike (src/kafka/messages), so one walker
// serves every API, and a new API needs nothing here.
template <class T, class F>
void for_each_error(const T& m, F& f) {
  if constexpr (requires { m.error_code; }) {
    if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(m.error_code)>>)
      if (m.error_code != 0) f(int16_t(m.error_code));
  }
#define RUNNEL_WALK(field)                                                   \
  if constexpr (requires { m.field; }) {                                     \
    if constexpr (vector_of_structs<std::remove_cvref_t<decltype(m.field)>>) \
      for (const auto& x : m.field) for_each_error(x, f);                    \
  }
  RUNNEL_WALK(topics)
  RUNNEL_WALK(partitions)
  RUNNEL_WALK(responses)
  RUNNEL_WALK(results)
  RUNNEL_WALK(groups)
  RUNNEL_WALK(members)
  RUNNEL_WALK(coordinators)
#undef RUNNEL_WALK
}

}  // namespace detail

template <class M>
void count_errors(const kafka::api_info& api, const M& body) {
  auto f = [&api](int16_t code) { count_error(api, code); };
  detail::for_each_error(body, f);
}

// Registers the scrape-time collectors for `srv` (started); keep the handle
// while srv lives and drop it before srv goes.
[[nodiscard]] observe::collector_handle attach_metrics(server& srv);

}  // namespace runnel::broker
