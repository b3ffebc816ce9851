// Event-time windows for grouped streams, and the key of a windowed result.
//
// All windows are half-open, [start, end), in milliseconds of event time.
// A window is *closed* once stream time (the largest timestamp the task has
// seen) reaches end + grace; a record whose every window is closed is late:
// it is dropped, counted (task metric late_records) and, if the app has a
// dead-letter topic, sent there. The default grace is zero.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace runnel::stream {

using std::chrono::milliseconds;

// Fixed-size, non-overlapping windows: [k*size, (k+1)*size).
struct tumbling_window {
  milliseconds size;
  milliseconds grace_period{0};
  explicit tumbling_window(milliseconds s) : size(s) {}
  tumbling_window grace(milliseconds g) const {
    auto w = *this;
    w.grace_period = g;
    return w;
  }
};

// Fixed-size windows starting every `advance`: a record belongs to
// size/advance of them. [k*advance, k*advance + size).
struct hopping_window {
  milliseconds size;
  milliseconds advance;
  milliseconds grace_period{0};
  hopping_window(milliseconds s, milliseconds a) : size(s), advance(a) {}
  hopping_window grace(milliseconds g) const {
    auto w = *this;
    w.grace_period = g;
    return w;
  }
};

// One window per record, ending at it: the record at time t is aggregated
// with every record of its key in [t - difference, t] (Kafka Streams'
// sliding windows as seen from each record). A late-arriving record also
// updates the windows of the later records it falls into, so it is late
// only when every window ending in [t, t + difference] is closed.
struct sliding_window {
  milliseconds difference;
  milliseconds grace_period{0};
  explicit sliding_window(milliseconds d) : difference(d) {}
  sliding_window grace(milliseconds g) const {
    auto w = *this;
    w.grace_period = g;
    return w;
  }
};

// Activity sessions: records of a key at most `gap` apart belong to one
// session [first, last + 1); a record that bridges two sessions merges them.
// A session can grow until stream time reaches its end + gap + grace; a
// record is late only if the session it would make or join is closed (as in
// Kafka Streams, a record older than that still joins an open session).
struct session_window {
  milliseconds gap;
  milliseconds grace_period{0};
  explicit session_window(milliseconds g) : gap(g) {}
  session_window grace(milliseconds g) const {
    auto w = *this;
    w.grace_period = g;
    return w;
  }
};

// When a windowed aggregation emits: on every update of a window (the
// default, like Kafka Streams), or once, with the final value, when the
// window closes.
enum class emit { on_update, on_window_close };

// The key of a windowed aggregation's result.
template <class K>
struct windowed {
  K key;
  int64_t start = 0;
  int64_t end = 0;  // exclusive
  friend bool operator==(const windowed&, const windowed&) = default;
};

namespace detail {

// The tumbling/hopping windows containing `ts`, as start times, ascending.
inline std::vector<int64_t> window_starts(int64_t ts, int64_t size, int64_t advance) {
  std::vector<int64_t> starts;
  // The last window starting at or before ts (floor division for negatives).
  int64_t last = ts - ((ts % advance) + advance) % advance;
  for (int64_t s = last; s > ts - size; s -= advance) starts.insert(starts.begin(), s);
  return starts;
}

}  // namespace detail
}  // namespace runnel::stream
