// Retention (retention.bytes, retention.ms) and DeleteRecords: which
// segments go, where the log start moves, that reads below it fail, that the
// files really disappear, and that the new start survives a restart.
#include <deque>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "log_test_util.h"
#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage::testing {
namespace {

constexpr int64_t minute = 60 * 1000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;
constexpr int64_t t0 = 10 * day;  // record timestamps start here

std::vector<rec> from(const std::vector<rec>& all, int64_t start) {
  std::vector<rec> out;
  for (const auto& r : all)
    if (r.offset >= start) out.push_back(r);
  return out;
}

void add(std::vector<rec>& all, const std::vector<rec>& more) {
  all.insert(all.end(), more.begin(), more.end());
}

// `n` batches of 5 records with distinct keys.
void append_many(partition_log& log, std::vector<rec>& all, int n, int64_t ts = t0) {
  for (int i = 0; i < n; ++i) {
    std::vector<rec> rs;
    for (int j = 0; j < 5; ++j)
      rs.push_back({-1, "k" + std::to_string(all.size() + rs.size()), std::string(50, 'v'), ts});
    add(all, append_records(log, rs));
  }
}

std::error_code read_error(partition_log& log, int64_t at) {
  auto r = log.read(model::offset{at}, 1 << 20);
  return r ? std::error_code{} : r.error();
}

// True if any file of the segment with base `b` is in the directory.
bool has_files_of(log_fixture& fx, int64_t b) {
  for (const char* s :
       {format::segment_suffix, format::offset_index_suffix, format::time_index_suffix})
    for (const auto& n : dir_files(fx))
      if (fx.dir / n == segment_path(fx.dir, b, s)) return true;
  return false;
}

// Calls delete_records and returns what its callback got (it must have run).
std::error_code delete_records(partition_log& log, int64_t before) {
  std::optional<std::error_code> got;
  log.delete_records(model::offset{before}, [&](std::error_code ec) { got = ec; });
  EXPECT_TRUE(got) << "callback did not run";
  return got.value_or(std::make_error_code(std::errc::timed_out));
}

TEST(retention_test, by_size_drops_the_oldest_closed_segments) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  fx.config.retention_ms = log_config::unlimited;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 100);
  const auto bases = segment_bases(fx);
  ASSERT_GT(bases.size(), 6u);
  const auto end = log->end_offset();
  EXPECT_EQ(log->apply_retention(model::timestamp{t0}), 0u) << "retention.bytes unlimited";

  const uint64_t limit = 10000;
  fx.config.retention_bytes = int64_t(limit);
  log->reconfigure(fx.config);
  const size_t dropped = log->apply_retention(model::timestamp{t0});
  ASSERT_GT(dropped, 0u);
  EXPECT_EQ(log->segment_count(), bases.size() - dropped);
  const int64_t start = bases[dropped];
  EXPECT_EQ(log->start_offset().value, start);
  EXPECT_EQ(log->end_offset(), end);
  // Kafka's rule: drop the oldest segment while what remains is still at
  // least retention.bytes.
  EXPECT_GE(log->size_bytes(), limit);
  const uint64_t first_size = fx.ffs->contents(segment_path(fx.dir, start, ".log")).size();
  EXPECT_LT(log->size_bytes() - first_size, limit);
  EXPECT_EQ(log->apply_retention(model::timestamp{t0}), 0u);

  EXPECT_EQ(read_error(*log, start - 1), storage_errc::offset_out_of_range);
  EXPECT_EQ(read_error(*log, 0), storage_errc::offset_out_of_range);
  EXPECT_FALSE(read_error(*log, start));
  EXPECT_EQ(read_all(*log), from(all, start));

  // The files go with the next background job, which maintain() starts.
  EXPECT_TRUE(has_files_of(fx, bases[0])) << "removal is the background job's";
  log->maintain(model::timestamp{t0});
  for (size_t i = 0; i < dropped; ++i) EXPECT_FALSE(has_files_of(fx, bases[i])) << bases[i];
  EXPECT_EQ(segment_bases(fx).front(), start);

  // retention.bytes = 0 takes every closed segment, never the active one.
  fx.config.retention_bytes = 0;
  log->reconfigure(fx.config);
  log->maintain(model::timestamp{t0});
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->start_offset().value, bases.back());
  EXPECT_EQ(segment_bases(fx), std::vector<int64_t>{bases.back()});
  EXPECT_EQ(read_all(*log), from(all, bases.back()));
  EXPECT_EQ(log->end_offset(), end);

  ASSERT_TRUE(log->close());
  log.reset();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset().value, bases.back());
  EXPECT_EQ(read_all(*log), from(all, bases.back()));
}

TEST(retention_test, by_time_uses_each_segments_largest_timestamp) {
  log_fixture fx;
  fx.config.retention_ms = log_config::unlimited;
  auto log = fx.open_ok();
  std::vector<rec> all;
  for (int i = 0; i < 10; ++i) {
    // One batch per segment. Segment 6 holds old records among young ones.
    ASSERT_TRUE(log->roll_now(model::timestamp{t0 + i * 10 * minute}));
    const int64_t ts = i == 6 ? t0 : t0 + i * 10 * minute;
    add(all, append_records(*log, {{-1, "a", "x", ts}, {-1, "b", "y", ts}},
                            model::compression::none, t0 + i * 10 * minute + 1));
  }
  ASSERT_EQ(log->segment_count(), 10u);
  const auto bases = segment_bases(fx);
  EXPECT_EQ(log->apply_retention(model::timestamp{t0 + 10 * day}), 0u) << "retention.ms = -1";

  fx.config.retention_ms = hour;
  log->reconfigure(fx.config);
  // At t0+95min the horizon is t0+35min: segments 0-3 are older. Segment 6
  // is too, but retention stops at the first segment it keeps (segment 4).
  EXPECT_EQ(log->apply_retention(model::timestamp{t0 + 95 * minute}), 4u);
  EXPECT_EQ(log->start_offset().value, bases[4]);
  EXPECT_EQ(read_error(*log, bases[4] - 1), storage_errc::offset_out_of_range);
  EXPECT_EQ(read_all(*log), from(all, bases[4]));
  log->maintain(model::timestamp{t0 + 95 * minute});
  EXPECT_EQ(segment_bases(fx).front(), bases[4]);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(has_files_of(fx, bases[i]));

  // Much later every closed segment is past retention; the active one,
  // however old, stays.
  log->maintain(model::timestamp{t0 + 10 * day});
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->start_offset().value, bases[9]);
  EXPECT_EQ(segment_bases(fx), std::vector<int64_t>{bases[9]});
  EXPECT_EQ(read_all(*log), from(all, bases[9]));
  EXPECT_EQ(log->end_offset().value, 20);

  log.reset();
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset().value, bases[9]);
  EXPECT_EQ(read_all(*log), from(all, bases[9]));
}

TEST(retention_test, compact_alone_deletes_nothing) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  fx.config.cleanup_delete = false;
  fx.config.cleanup_compact = true;
  fx.config.retention_ms = 1;
  fx.config.retention_bytes = 0;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 60);  // distinct keys: compaction removes nothing
  ASSERT_GT(log->segment_count(), 3u);
  EXPECT_EQ(log->apply_retention(model::timestamp{t0 + 100 * day}), 0u);
  log->maintain(model::timestamp{t0 + 100 * day});
  EXPECT_EQ(log->start_offset().value, 0);
  EXPECT_EQ(read_all(*log), all);

  // compact,delete: both apply.
  fx.config.cleanup_delete = true;
  log->reconfigure(fx.config);
  log->maintain(model::timestamp{t0 + 100 * day});
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_GT(log->start_offset().value, 0);
}

TEST(delete_records_test, moves_the_start_and_drops_segments_below_it) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 60);
  const auto bases = segment_bases(fx);
  ASSERT_GT(bases.size(), 4u);
  const auto end = log->end_offset();
  const int64_t before = bases[2] + 3;  // inside segment 2

  EXPECT_FALSE(delete_records(*log, before));
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(log->segment_count(), bases.size() - 2);
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(read_error(*log, before - 1), storage_errc::offset_out_of_range);
  EXPECT_EQ(read_error(*log, 0), storage_errc::offset_out_of_range);
  EXPECT_EQ(read_all(*log), from(all, before));
  EXPECT_FALSE(has_files_of(fx, bases[0]));
  EXPECT_FALSE(has_files_of(fx, bases[1]));
  EXPECT_TRUE(has_files_of(fx, bases[2]));

  // Below the start: nothing to do. Outside [0, end]: an error, no change.
  EXPECT_FALSE(delete_records(*log, before - 1));
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(delete_records(*log, end.value + 1), storage_errc::offset_out_of_range);
  EXPECT_EQ(delete_records(*log, -1), storage_errc::offset_out_of_range);
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(read_all(*log), from(all, before));

  ASSERT_TRUE(log->close());
  log.reset();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(read_all(*log), from(all, before));
}

TEST(delete_records_test, start_is_durable_when_the_callback_runs) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 60);
  const auto bases = segment_bases(fx);
  const auto end = log->end_offset();
  const int64_t before = bases[3] + 1;

  EXPECT_FALSE(delete_records(*log, before));
  log.reset();  // crash right after the callback
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(read_all(*log), from(all, before));
  EXPECT_EQ(read_error(*log, before - 1), storage_errc::offset_out_of_range);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(has_files_of(fx, bases[i]));
}

TEST(delete_records_test, up_to_the_end_empties_the_log) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 30);
  const auto end = log->end_offset();

  EXPECT_FALSE(delete_records(*log, end.value));
  EXPECT_EQ(log->start_offset(), end);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_TRUE(read_all(*log).empty());
  EXPECT_FALSE(read_error(*log, end.value));
  EXPECT_EQ(read_error(*log, end.value - 1), storage_errc::offset_out_of_range);

  log.reset();
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset(), end);
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_TRUE(read_all(*log).empty());

  // Appends carry on at the old end.
  auto more = append_records(*log, {{-1, "k", "v", t0}});
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].offset, end.value);
  EXPECT_EQ(read_all(*log), more);
}

TEST(delete_records_test, fails_on_a_closed_log) {
  log_fixture fx;
  auto log = fx.open_ok();
  std::vector<rec> all;
  append_many(*log, all, 3);
  ASSERT_TRUE(log->close());
  EXPECT_EQ(delete_records(*log, 5), storage_errc::closed);
  log.reset();
  log = fx.open_ok();
  EXPECT_TRUE(log->recovery().clean_shutdown) << "the clean checkpoint was overwritten";
  EXPECT_EQ(log->start_offset().value, 0);
  EXPECT_EQ(read_all(*log), all);
}

// Executors that queue tasks until the test runs them, to hold a flush job
// in flight.
TEST(delete_records_test, a_flush_already_in_flight_does_not_count) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  manual_executors ex;
  log_options o;
  o.dir = fx.dir;
  o.config = fx.config;
  o.fs = fx.fs;
  o.executors = ex.get();
  auto log = partition_log::open(o).value();
  std::vector<rec> all;
  append_many(*log, all, 60);
  const auto bases = segment_bases(fx);
  const auto end = log->end_offset();

  log->maintain(model::timestamp{t0});  // starts a flush job; it has not run yet
  ASSERT_FALSE(ex.io.empty());
  const int64_t before = bases[2];
  std::optional<std::error_code> got;
  log->delete_records(model::offset{before}, [&](std::error_code ec) { got = ec; });
  EXPECT_FALSE(got) << "nothing can be durable yet";
  ex.run_all();
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_EQ(log->start_offset().value, before);

  log.reset();
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->start_offset().value, before);
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(read_all(*log), from(all, before));
}

}  // namespace
}  // namespace runnel::storage::testing
