// window_model: a deliberately plain reference for windowed counts, written
// straight from the definitions in include/runnel/stream/windows.h (and Kafka
// Streams' behaviour where those leave a choice). It replays records in
// processing order, tracks stream time, drops late records, and keeps both
// what emit::on_update ends with (the last value per window) and what
// emit::on_window_close emits (one value per window, when it closes).
//
// Windows are keyed (key, start, end) with `end` exclusive, as the
// library's windowed<K> reports them.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace runnel::stream::it {

using window_id = std::tuple<std::string, int64_t, int64_t>;  // key, start, end (exclusive)

struct window_model_result {
  std::map<window_id, int64_t> final_updates;         // on_update: last value per window
  std::vector<std::pair<window_id, int64_t>> closed;  // on_window_close emissions
  uint64_t late = 0;
};

// Tumbling (advance == size) and hopping windows.
class time_window_model {
 public:
  time_window_model(int64_t size, int64_t advance, int64_t grace)
      : size_(size), advance_(advance), grace_(grace) {}

  void add(const std::string& key, int64_t ts) {
    now_ = std::max(now_, ts);
    int64_t last = ts - ((ts % advance_) + advance_) % advance_;
    bool any = false;
    for (int64_t s = last; s > ts - size_; s -= advance_) {
      if (s + size_ + grace_ <= now_) continue;  // closed
      any = true;
      window_id w{key, s, s + size_};
      r_.final_updates[w] = ++open_[w];
    }
    if (!any) ++r_.late;
    for (auto it = open_.begin(); it != open_.end();) {
      if (std::get<1>(it->first) + size_ + grace_ <= now_) {
        r_.closed.emplace_back(it->first, it->second);
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
  }
  const window_model_result& result() const { return r_; }

 private:
  int64_t size_, advance_, grace_;
  int64_t now_ = INT64_MIN;
  std::map<window_id, int64_t> open_;
  window_model_result r_;
};

// Sliding windows: one window per record time e of a key, [e - d, e]
// (reported as start e - d, end e + 1), counting the key's records in it.
// The window closes when stream time reaches e + 1 + grace; a record is late
// when every window it could be part of (those ending in [t, t + d]) is
// closed — Kafka Streams' rule.
class sliding_window_model {
 public:
  sliding_window_model(int64_t difference, int64_t grace) : d_(difference), grace_(grace) {}

  void add(const std::string& key, int64_t ts) {
    now_ = std::max(now_, ts);
    int64_t bound = now_ - 1 - grace_;  // windows ending at or below are closed
    // Windows that closed since the last record, with what they held then.
    for (auto& [k, times] : buffer_)
      for (int64_t e : distinct(times))
        if (e > closed_ && e <= bound) r_.closed.emplace_back(id(k, e), count(times, e));
    closed_ = std::max(closed_, bound);
    if (ts + d_ <= bound) {
      ++r_.late;
      return;
    }
    auto& times = buffer_[key];
    times.insert(std::upper_bound(times.begin(), times.end(), ts), ts);
    for (int64_t e : distinct(times))
      if (e >= ts && e <= ts + d_ && e > bound) r_.final_updates[id(key, e)] = count(times, e);
  }
  const window_model_result& result() const { return r_; }

 private:
  window_id id(const std::string& k, int64_t e) const { return {k, e - d_, e + 1}; }
  static std::vector<int64_t> distinct(const std::vector<int64_t>& sorted) {
    std::vector<int64_t> out;
    for (int64_t t : sorted)
      if (out.empty() || out.back() != t) out.push_back(t);
    return out;
  }
  int64_t count(const std::vector<int64_t>& sorted, int64_t e) const {
    return std::upper_bound(sorted.begin(), sorted.end(), e) -
           std::lower_bound(sorted.begin(), sorted.end(), e - d_);
  }

  int64_t d_, grace_;
  int64_t now_ = INT64_MIN;
  int64_t closed_ = INT64_MIN;
  std::map<std::string, std::vector<int64_t>> buffer_;  // accepted record times, sorted
  window_model_result r_;
};

// Session windows: records of a key at most `gap` apart form one session
// [first, last + 1). A session can grow until stream time passes
// last + gap + grace; a record is late when the session it would make or
// join is closed by then (Kafka Streams: the merged session's end decides).
// On update, merged-away sessions are deleted: final_updates holds the live
// table keyed (key, start, end), end being the session's current end.
class session_window_model {
 public:
  session_window_model(int64_t gap, int64_t grace) : gap_(gap), grace_(grace) {}

  void add(const std::string& key, int64_t ts) {
    now_ = std::max(now_, ts);
    int64_t bound = now_ - gap_ - grace_ - 1;  // sessions ending at or below are closed
    auto& mine = open_[key];
    int64_t start = ts, end = ts, n = 1;
    std::vector<size_t> merged;
    for (size_t i = 0; i < mine.size(); ++i) {
      auto [s, e, c] = mine[i];
      if (e > bound && e >= ts - gap_ && s <= ts + gap_) {
        merged.push_back(i);
        start = std::min(start, s);
        end = std::max(end, e);
        n += c;
      }
    }
    if (end <= bound) {
      ++r_.late;
    } else {
      for (auto i = merged.rbegin(); i != merged.rend(); ++i) {
        auto [s, e, c] = mine[*i];
        live_.erase({key, s});
        mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(*i));
      }
      mine.emplace_back(start, end, n);
      live_[{key, start}] = {end, n};
    }
    for (auto& [k, sessions] : open_)
      for (auto it = sessions.begin(); it != sessions.end();) {
        auto [s, e, c] = *it;
        if (e <= bound) {
          r_.closed.emplace_back(window_id{k, s, e + 1}, c);
          it = sessions.erase(it);
        } else {
          ++it;
        }
      }
  }

  window_model_result result() const {
    window_model_result r = r_;
    for (const auto& [ks, ec] : live_)
      r.final_updates[{ks.first, ks.second, ec.first + 1}] = ec.second;
    return r;
  }

 private:
  int64_t gap_, grace_;
  int64_t now_ = INT64_MIN;
  std::map<std::string, std::vector<std::tuple<int64_t, int64_t, int64_t>>> open_;
  std::map<std::pair<std::string, int64_t>, std::pair<int64_t, int64_t>>
      live_;  // (key, start) -> (end, n)
  window_model_result r_;
};

}  // namespace runnel::stream::it
