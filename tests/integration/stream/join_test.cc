// Joins against a real broker: stream–stream inner, left and outer joins on
// shuffled input with late records, compared with join_model.h; stream–table
// inner and left joins.
//
// The stream–stream inputs are two one-partition topics, produced before the
// app starts; with max_task_idle the task always has both sides buffered and
// takes the smaller timestamp first (ties: the left side, the first source),
// so the model can replay the same order.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "broker_fixture.h"
#include "join_model.h"

namespace runnel::stream::it {
namespace {

using std::chrono::milliseconds;

using std::chrono::milliseconds;

class joins : public broker_fixture {};

const int64_t t0 = base_time();

// One side: 600 records over 10 keys and two minutes, up to 5 s out of
// order, plus 30 records 2-12 s behind stream time.
std::vector<side_record> make_side(bool left, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::pair<int64_t, side_record>> order;
  for (int i = 0; i < 600; ++i) {
    int64_t ts = t0 + i * 200 + std::uniform_int_distribution<int64_t>(0, 199)(rng);
    side_record r{left, fmt::format("k{}", std::uniform_int_distribution<int>(0, 9)(rng)),
                  fmt::format("{}{}", left ? 'l' : 'r', i), ts};
    order.push_back({ts + std::uniform_int_distribution<int64_t>(0, 5000)(rng), r});
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<side_record> out;
  for (auto& [_, r] : order) out.push_back(r);
  for (int i = 0; i < 30; ++i) {
    size_t at = std::uniform_int_distribution<size_t>(50, out.size() - 1)(rng);
    int64_t seen = INT64_MIN;
    for (size_t j = 0; j < at; ++j) seen = std::max(seen, out[j].ts);
    side_record r{left, fmt::format("k{}", std::uniform_int_distribution<int>(0, 9)(rng)),
                  fmt::format("{}late{}", left ? 'l' : 'r', i),
                  seen - std::uniform_int_distribution<int64_t>(2'000, 12'000)(rng)};
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), r);
  }
  return out;
}

// The task's order: the smaller timestamp first, ties to the left side.
std::vector<side_record> interleave(const std::vector<side_record>& l,
                                    const std::vector<side_record>& r) {
  std::vector<side_record> out;
  size_t i = 0, j = 0;
  while (i < l.size() || j < r.size()) {
    if (j == r.size() || (i < l.size() && l[i].ts <= r[j].ts))
      out.push_back(l[i++]);
    else
      out.push_back(r[j++]);
  }
  return out;
}

std::vector<join_output> outputs(const std::vector<output>& out) {
  std::vector<join_output> r;
  for (const auto& o : out) r.emplace_back(o.key.value_or(""), o.value.value_or(""), o.timestamp);
  std::sort(r.begin(), r.end());
  return r;
}

std::string opt(const std::optional<std::string>& s) {
  return s ? *s : "null";
}

TEST_F(joins, stream_stream_joins_match_the_model) {
  std::string left = unique("left"), right = unique("right"), inner = unique("inner"),
              left_out = unique("left-out"), outer = unique("outer");
  for (const auto& t : {left, right, inner, left_out, outer}) create_topic(t);
  auto l = make_side(true, 11), r = make_side(false, 12);
  l.push_back({true, "flush", "lflush", t0 + 3600 * 1000});  // closes every window
  const int64_t before = 1500, after = 2500, grace = 2000;
  join_model want_inner(before, after, grace, join_type::inner);
  join_model want_left(before, after, grace, join_type::left);
  join_model want_outer(before, after, grace, join_type::outer);
  for (const auto& rec : interleave(l, r)) {
    want_inner.add(rec);
    want_left.add(rec);
    want_outer.add(rec);
  }
  std::vector<input> inputs;
  for (const auto& rec : l) inputs.push_back({left, rec.key, rec.value, rec.ts, 0});
  for (const auto& rec : r) inputs.push_back({right, rec.key, rec.value, rec.ts, 0});
  produce(inputs);

  builder b;
  auto ls = b.stream<std::string, std::string>(left);
  auto rs = b.stream<std::string, std::string>(right);
  auto w = join_window::of(milliseconds(0))
               .with_before(milliseconds(before))
               .with_after(milliseconds(after))
               .grace(milliseconds(grace));
  ls.join(
        rs, [](const std::string& a, const std::string& c) { return a + "|" + c; }, w)
      .to(inner);
  ls.left_join(
        rs,
        [](const std::string& a, const std::optional<std::string>& c) { return a + "|" + opt(c); },
        w)
      .to(left_out);
  ls.outer_join(
        rs,
        [](const std::optional<std::string>& a, const std::optional<std::string>& c) {
          return opt(a) + "|" + opt(c);
        },
        w)
      .to(outer);
  std::string id = unique("app");
  auto c = config(id);
  // Generous: the model assumes both sides are always buffered, so a fetch
  // of one side delayed past this (a loaded CI machine) would reorder the
  // input. It costs one wait of this length at the end of the input.
  c.max_task_idle = milliseconds(10000);
  running_app app(b.build(), c);
  wait_caught_up(id, {left, right});

  EXPECT_GT(want_inner.late(), 10u);
  EXPECT_EQ(outputs(read_all(inner)), want_inner.results());
  EXPECT_EQ(outputs(read_all(left_out)), want_left.results());
  EXPECT_EQ(outputs(read_all(outer)), want_outer.results());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t late = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = app.get().metrics();
    uint64_t in = 0;
    for (const auto& t : m.tasks) in += t.records_in;
    late = late_records(m);
    if (in == l.size() + r.size()) break;
    std::this_thread::sleep_for(milliseconds(100));  // the metrics snapshot refreshes each second
  }
  EXPECT_EQ(late, 3 * want_inner.late());  // each of the three joins counts its drops
  ASSERT_TRUE(app.stop());
}

TEST_F(joins, stream_table_inner_and_left_join) {
  std::string tbl = unique("table"), events = unique("events"), inner = unique("inner"),
              left_out = unique("left-out");
  for (const auto& t : {tbl, events, inner, left_out}) create_topic(t);
  // Table updates and stream records interleaved by timestamp: each stream
  // record sees the table as of its time.
  produce({{tbl, "a", "A1", t0, 0},
           {tbl, "b", "B1", t0 + 1, 0},
           {tbl, "c", "C1", t0 + 2, 0},
           {tbl, "a", "A2", t0 + 3, 0},
           {tbl, "c", std::nullopt, t0 + 4, 0},
           {tbl, "b", "B2", t0 + 20, 0},
           {events, "a", "s1", t0 + 10, 0},
           {events, "b", "s2", t0 + 11, 0},
           {events, "c", "s3", t0 + 12, 0},
           {events, "d", "s4", t0 + 13, 0},
           {events, "b", "s5", t0 + 21, 0}});
  builder b;
  auto t = b.table<std::string, std::string>(tbl);
  auto s = b.stream<std::string, std::string>(events);
  s.join(t, [](const std::string& v, const std::string& tv) { return v + "+" + tv; }).to(inner);
  s.left_join(t, [](const std::string& v, const std::optional<std::string>& tv) {
     return v + "+" + opt(tv);
   }).to(left_out);
  std::string id = unique("app");
  auto c = config(id);
  c.max_task_idle = milliseconds(3000);
  running_app app(b.build(), c);
  wait_caught_up(id, {tbl, events});
  using kvt = std::vector<join_output>;
  EXPECT_EQ(outputs(read_all(inner)),
            (kvt{{"a", "s1+A2", t0 + 10}, {"b", "s2+B1", t0 + 11}, {"b", "s5+B2", t0 + 21}}));
  EXPECT_EQ(outputs(read_all(left_out)), (kvt{{"a", "s1+A2", t0 + 10},
                                              {"b", "s2+B1", t0 + 11},
                                              {"b", "s5+B2", t0 + 21},
                                              {"c", "s3+null", t0 + 12},
                                              {"d", "s4+null", t0 + 13}}));
  ASSERT_TRUE(app.stop());
}

}  // namespace
}  // namespace runnel::stream::it
