// Windowed counts (tumbling, hopping, sliding, session; each with a grace, in
// both emit modes) on shuffled, out-of-order input with clearly late records,
// compared with window_model.h. The input goes to ONE partition, so the
// processing order is the produce order and the model can replay it.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "broker_fixture.h"
#include "window_model.h"

namespace runnel::stream::it {
namespace {

using std::chrono::milliseconds;

using std::chrono::milliseconds;

class windows : public broker_fixture {};

const int64_t t0 = base_time();

struct event {
  std::string key;
  int64_t ts;
};

// 2000 events over 20 keys spread over five minutes, delivered with up to
// 8 s of disorder, plus 40 a minute or two late and 60 a few seconds late
// (around the grace bounds), then a far-future
// "flush" record that closes every window.
std::vector<event> make_events(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::pair<int64_t, event>> order;
  for (int i = 0; i < 2000; ++i) {
    int64_t ts = t0 + i * 150 + std::uniform_int_distribution<int64_t>(0, 149)(rng);
    std::string key = fmt::format("k{:02}", std::uniform_int_distribution<int>(0, 19)(rng));
    order.push_back({ts + std::uniform_int_distribution<int64_t>(0, 8000)(rng), {key, ts}});
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<event> events;
  for (auto& [_, e] : order) events.push_back(e);
  for (int i = 0; i < 100; ++i) {
    size_t at = std::uniform_int_distribution<size_t>(200, events.size() - 1)(rng);
    int64_t seen = INT64_MIN;
    for (size_t j = 0; j < at; ++j) seen = std::max(seen, events[j].ts);
    // 40 far too late; 60 around the grace bounds (some late, some not).
    int64_t ts = i < 40 ? seen - std::uniform_int_distribution<int64_t>(60'000, 120'000)(rng)
                        : seen - std::uniform_int_distribution<int64_t>(3'000, 15'000)(rng);
    std::string key = fmt::format("k{:02}", std::uniform_int_distribution<int>(0, 19)(rng));
    events.insert(events.begin() + static_cast<std::ptrdiff_t>(at), event{key, ts});
  }
  events.push_back({"flush", t0 + 10 * 3600 * 1000});
  return events;
}

// "start,end,count" or "start,end,del", keyed by the inner key.
void write_changes(const table<windowed<std::string>, int64_t>& t, const std::string& topic) {
  t.to_change_stream()
      .map([](const windowed<std::string>& w, const std::optional<int64_t>& c) {
        return kv(w.key, fmt::format("{},{},{}", w.start, w.end, c ? std::to_string(*c) : "del"));
      })
      .to(topic);
}

struct parsed {
  window_id id;
  std::optional<int64_t> count;
};

parsed parse(const output& o) {
  std::string v = o.value.value_or("");
  auto c1 = v.find(','), c2 = v.find(',', c1 + 1);
  parsed p{
      {o.key.value_or(""), std::stoll(v.substr(0, c1)), std::stoll(v.substr(c1 + 1, c2 - c1 - 1))},
      std::nullopt};
  std::string n = v.substr(c2 + 1);
  if (n != "del") p.count = std::stoll(n);
  return p;
}

// The table the on_update output ends with; deletes (sessions merged away)
// drop the entry of that key and start.
std::map<window_id, int64_t> final_table(const std::vector<output>& out) {
  std::map<std::pair<std::string, int64_t>, std::pair<int64_t, int64_t>> by_start;
  for (const auto& o : out) {
    auto p = parse(o);
    auto ks = std::make_pair(std::get<0>(p.id), std::get<1>(p.id));
    if (p.count)
      by_start[ks] = {std::get<2>(p.id), *p.count};
    else
      by_start.erase(ks);
  }
  std::map<window_id, int64_t> t;
  for (const auto& [ks, ec] : by_start) t[{ks.first, ks.second, ec.first}] = ec.second;
  return t;
}

}  // namespace

// One window kind: the app counts per window with emit::on_update into one
// topic and emit::on_window_close into another.
class windows_check : public windows {
 protected:
  template <class Model, class Make>
  void check(Model model, Make make_windowed, uint32_t seed) {
    std::string in = unique("in"), updates = unique("updates"), finals = unique("finals");
    create_topic(in);
    create_topic(updates);
    create_topic(finals);
    auto events = make_events(seed);
    for (const auto& e : events) model.add(e.key, e.ts);
    const auto& want = model.result();

    builder b;
    auto grouped = b.stream<std::string, std::string>(in).group_by_key();
    write_changes(make_windowed(grouped).emit(emit::on_update).count(), updates);
    write_changes(make_windowed(grouped).emit(emit::on_window_close).count(), finals);
    std::string id = unique("app");
    running_app app(b.build(), config(id));
    std::vector<input> inputs;
    for (size_t i = 0; i < events.size(); ++i)
      inputs.push_back({in, events[i].key, fmt::format("v{}", i), events[i].ts, 0});
    produce(inputs);
    wait_caught_up(id, {in});

    EXPECT_EQ(final_table(read_all(updates)), want.final_updates);
    std::map<window_id, int64_t> closed;
    for (const auto& o : read_all(finals)) {
      auto p = parse(o);
      ASSERT_TRUE(p.count) << "a final result is never a delete";
      EXPECT_TRUE(closed.emplace(p.id, *p.count).second)
          << "window " << std::get<0>(p.id) << " [" << std::get<1>(p.id) << ", "
          << std::get<2>(p.id) << ") emitted twice";
    }
    std::map<window_id, int64_t> want_closed(want.closed.begin(), want.closed.end());
    EXPECT_EQ(want_closed.size(), want.closed.size());
    EXPECT_EQ(closed, want_closed);

    // Both aggregations drop the same records; the metric counts each drop.
    EXPECT_GT(want.late, 30u);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    uint64_t late = 0, in_count = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = app.get().metrics();
      late = late_records(m);
      in_count = 0;
      for (const auto& t : m.tasks) in_count += t.records_in;
      if (in_count == events.size()) break;
      std::this_thread::sleep_for(milliseconds(100));  // the metrics snapshot refreshes each second
    }
    EXPECT_EQ(in_count, events.size());
    EXPECT_EQ(late, 2 * want.late);
    ASSERT_TRUE(app.stop());
  }
};

TEST_F(windows_check, tumbling_counts_match_the_model) {
  check(
      time_window_model(10'000, 10'000, 5'000),
      [](const grouped_stream<std::string, std::string>& g) {
        return g.windowed_by(tumbling_window(milliseconds(10'000)).grace(milliseconds(5'000)));
      },
      1);
}

TEST_F(windows_check, hopping_counts_match_the_model) {
  check(
      time_window_model(10'000, 4'000, 5'000),
      [](const grouped_stream<std::string, std::string>& g) {
        return g.windowed_by(
            hopping_window(milliseconds(10'000), milliseconds(4'000)).grace(milliseconds(5'000)));
      },
      2);
}

TEST_F(windows_check, sliding_counts_match_the_model) {
  check(
      sliding_window_model(5'000, 5'000),
      [](const grouped_stream<std::string, std::string>& g) {
        return g.windowed_by(sliding_window(milliseconds(5'000)).grace(milliseconds(5'000)));
      },
      3);
}

TEST_F(windows_check, session_counts_match_the_model) {
  check(
      session_window_model(3'000, 5'000),
      [](const grouped_stream<std::string, std::string>& g) {
        return g.windowed_by(session_window(milliseconds(3'000)).grace(milliseconds(5'000)));
      },
      4);
}

}  // namespace runnel::stream::it
