// Event-time windows for grouped streams, and the key of a windowed result.
//
// All windows are half-open, [start, end), in milliseconds of event time.
// A window is *closed* once stream time (the largest timestamp the task has
// seen) reaches end + grace; a record whose every window is closed is late:
// it is dropped, counted (task metric late_records) and, if the app has a
// dead-letter topic, sent there. The default grace is zero.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace runnel::stream {

// The grace period every window kind has: how long after a window's end
// records are still accepted into it. w.grace(30s) returns a copy.
template <class Window>
struct graced {
  std::chrono::milliseconds grace_period{0};
  Window grace(std::chrono::milliseconds g) const {
    Window w = static_cast<const Window&>(*this);
    w.grace_period = g;
    return w;
  }
};

// Fixed-size, non-overlapping windows: [k*size, (k+1)*size).
struct tumbling_window : graced<tumbling_window> {
  std::chrono::milliseconds size;
  explicit tumbling_window(std::chrono::milliseconds s) : size(s) {}
};

// Fixed-size windows starting every `advance`: a record belongs to
// size/advance of them. [k*advance, k*advance + size).
struct hopping_window : graced<hopping_window> {
  std::chrono::milliseconds size;
  std::chrono::milliseconds advance;
  hopping_window(std::chrono::milliseconds s, std::chrono::milliseconds a) : size(s), advance(a) {}
};

// One window per record, ending at it: the record at time t is aggregated
// with every record of its key in [t - difference, t] (Kafka Streams'
// sliding windows as seen from each record). A late-arriving record also
// updates the windows of the later records it falls into, so it is late
// only when every window ending in [t, t + difference] is closed.
struct sliding_window : graced<sliding_window> {
  std::chrono::milliseconds difference;
  explicit sliding_window(std::chrono::milliseconds d) : difference(d) {}
};

// Activity sessions: records of a key at most `gap` apart belong to one
// session [first, last + 1); a record that bridges two sessions merges them.
// A session can grow until stream time reaches its end + gap + grace; a
// record is late only if the session it would make or join is closed (as in
// Kafka Streams, a record older than that still joins an open session).
struct session_window : graced<session_window> {
  std::chrono::milliseconds gap;
  explicit session_window(std::chrono::milliseconds g) : gap(g) {}
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
  for (int64_t s = last; s > ts - size; s -= advance) starts.push_back(s);
  std::reverse(starts.begin(), starts.end());
  return starts;
}

}  // namespace detail
}  // namespace runnel::stream
