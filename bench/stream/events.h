// The benchmark's input: synthetic page-view events as JSON (~170 bytes
// each), and the untimed preload that writes N of them to the input topic.
//
// Event i is a pure function of i (and the base timestamp), so every run
// with the same N has the same data, and the bench knows in advance how many
// records the stateless filter keeps.
#pragma once

#include <cstdint>
#include <string>

#include "runnel/client/error.h"
#include "runnel/stream/json.h"

namespace stream_bench {

struct page_view {
  std::string user;
  std::string page;
  int64_t ts = 0;
  int64_t duration_ms = 0;
  std::string country;
  std::string device;
  std::string referrer;
};

// What the stateless map makes of a page view: a smaller JSON object.
struct visit {
  std::string user;
  std::string page;
  int64_t ts = 0;
};
RUNNEL_JSON(page_view, user, page, ts, duration_ms, country, device, referrer)
RUNNEL_JSON(visit, user, page, ts)

// How record keys are chosen at preload: by page (ready for group_by_key)
// or by user (a count per page must re-key first).
enum class key_by { user, page };

constexpr int64_t users = 100000;
constexpr int64_t pages = 1000;

// Event i's fields; its timestamp is base_ts + i (one event per
// millisecond of event time, so a one-minute window holds 60,000 events).
page_view make_event(int64_t i, int64_t base_ts);
// The stateless filter drops every tenth event (duration_ms % 10 == 0).
bool kept_by_filter(const page_view& v);

struct preload_result {
  double seconds = 0;
  uint64_t bytes = 0;
  bool reused = false;  // the topic already held the events
};

// Creates `topic` with `partitions` partitions and writes events [0, n) to
// it (keys by `by`, record timestamps = event ts), waiting until all are
// acknowledged. A topic that already holds n records is left as it is.
runnel::client::result<preload_result> preload(const std::string& brokers, const std::string& topic,
                                               int32_t partitions, int64_t n, int64_t base_ts,
                                               key_by by);

// Records in `topic` (sum over partitions of end - start).
runnel::client::result<int64_t> topic_records(const std::string& brokers, const std::string& topic);

}  // namespace stream_bench
