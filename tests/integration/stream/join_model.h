// join_model: a plain reference for stream–stream joins, written from the
// definitions in include/runnel/stream/join.h. It replays both sides in
// processing order and returns the multiset of results (key, value,
// timestamp) an inner, left or outer join emits, and the late count.
//
//   - left at tl and right at tr join if tl - before <= tr <= tl + after;
//     a match is emitted when the second record arrives, at max(tl, tr);
//   - a left record is late when stream time has passed tl + after + grace,
//     a right one when it has passed tr + before + grace (Kafka Streams);
//   - an unmatched record (left join: left ones; outer: both) is emitted,
//     with "null" for the other side, once stream time passes
//     t + before + after + grace, when no match can come any more.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace runnel::stream::it {

enum class join_type { inner, left, outer };

struct side_record {
  bool left = true;
  std::string key, value;
  int64_t ts = 0;
};

using join_output = std::tuple<std::string, std::string, int64_t>;  // key, "l|r", timestamp

class join_model {
 public:
  join_model(int64_t before, int64_t after, int64_t grace, join_type type)
      : before_(before), after_(after), grace_(grace), type_(type) {}

  void add(const side_record& r) {
    now_ = std::max(now_, r.ts);
    int64_t lo = r.left ? before_ : after_, hi = r.left ? after_ : before_;
    if (r.ts <= std::max(closed_, now_ - hi - grace_ - 1)) {
      ++late_;
    } else {
      bool matched = false;
      for (auto& b : buffer_) {
        if (b.r.left == r.left || b.r.key != r.key) continue;
        if (b.r.ts < r.ts - lo || b.r.ts > r.ts + hi) continue;
        matched = b.matched = true;
        const auto& l = r.left ? r : b.r;
        const auto& rt = r.left ? b.r : r;
        out_.emplace_back(r.key, l.value + "|" + rt.value, std::max(r.ts, b.r.ts));
      }
      buffer_.push_back({r, matched});
    }
    // The punctuation after each record: unmatched records whose window
    // closed are emitted and dropped.
    int64_t bound = now_ - before_ - after_ - grace_ - 1;
    if (bound <= closed_) return;
    for (auto it = buffer_.begin(); it != buffer_.end();) {
      if (it->r.ts > bound) {
        ++it;
        continue;
      }
      bool emit_unmatched =
          !it->matched && (it->r.left ? type_ != join_type::inner : type_ == join_type::outer);
      if (emit_unmatched)
        out_.emplace_back(it->r.key, it->r.left ? it->r.value + "|null" : "null|" + it->r.value,
                          it->r.ts);
      it = buffer_.erase(it);
    }
    closed_ = bound;
  }

  std::vector<join_output> results() const {
    auto r = out_;
    std::sort(r.begin(), r.end());
    return r;
  }
  uint64_t late() const { return late_; }

 private:
  struct buffered {
    side_record r;
    bool matched;
  };
  int64_t before_, after_, grace_;
  join_type type_;
  int64_t now_ = INT64_MIN, closed_ = INT64_MIN;
  std::vector<buffered> buffer_;
  std::vector<join_output> out_;
  uint64_t late_ = 0;
};

}  // namespace runnel::stream::it
