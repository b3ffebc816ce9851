// Compaction (cleanup.policy=compact) checked against a model: every record
// ever appended, with the offset the log gave it. After a pass that cleaned
// everything below the cleaner offset, the log must hold exactly the last
// record of each key among the cleaned offsets, everything from the cleaner
// offset on, at their original offsets.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log_test_util.h"
#include "storage/compaction.h"
#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage::testing {
namespace {

using model::compression;

constexpr int64_t minute = 60 * 1000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;
constexpr int64_t t0 = 10 * day;  // record timestamps start here

// What compaction must leave of `all` (every record appended, in offset
// order): nothing below `start`; in [start, cleaned) the last record of each
// key among the offsets below `cleaned`, except tombstones `gone` says were
// dropped; everything from `cleaned` on.
std::vector<rec> compacted(const std::vector<rec>& all, int64_t start, int64_t cleaned,
                           const std::function<bool(const rec&)>& gone = nullptr) {
  std::map<std::string, int64_t> last;
  for (const auto& r : all)
    if (r.offset < cleaned && r.key) last[*r.key] = r.offset;
  std::vector<rec> out;
  for (const auto& r : all) {
    if (r.offset < start) continue;
    if (r.offset < cleaned && r.key) {
      if (last[*r.key] != r.offset) continue;
      if (!r.value && gone && gone(r)) continue;
    }
    out.push_back(r);
  }
  return out;
}

// Key -> value of the last record of each key (a null value is a tombstone).
std::map<std::string, std::optional<std::string>> latest(const std::vector<rec>& rs) {
  std::map<std::string, std::optional<std::string>> m;
  for (const auto& r : rs)
    if (r.key) m[*r.key] = r.value;
  return m;
}

void expect_increasing(const std::vector<rec>& rs) {
  for (size_t i = 1; i < rs.size(); ++i)
    EXPECT_LT(rs[i - 1].offset, rs[i].offset) << "at record " << i;
}

void add(std::vector<rec>& all, const std::vector<rec>& more) {
  all.insert(all.end(), more.begin(), more.end());
}

std::vector<std::byte> file_bytes(log_fixture& fx, int64_t base,
                                  const char* suffix = format::segment_suffix) {
  return fx.ffs->contents(segment_path(fx.dir, base, suffix));
}

// Files a finished or abandoned compaction must not leave behind.
int leftover_files(log_fixture& fx) {
  int n = 0;
  for (const auto& f : dir_files(fx))
    if (f.ends_with(format::swap_suffix) || f.ends_with(format::cleaned_suffix)) ++n;
  return n;
}

// Every batch of the log from its start, with its header.
std::vector<model::batch_header> batch_headers(partition_log& log) {
  std::vector<model::batch_header> hs;
  decode(slurp_all(log), &hs);
  return hs;
}

// One closed segment per append (roll_append rolls before it appends).
void one_batch_per_segment(log_fixture& fx) {
  fx.config.cleanup_compact = true;
  fx.config.cleanup_delete = false;
}

// Rolls the active segment (if it holds anything), then appends: every
// batch gets a segment of its own.
std::vector<rec> roll_append(partition_log& log, std::vector<rec> rs,
                             compression codec = compression::none) {
  int64_t ts = 0;
  for (const auto& r : rs) ts = std::max(ts, r.timestamp);
  auto rolled = log.roll_now(model::timestamp{ts + 1});
  EXPECT_TRUE(rolled) << rolled.error().message();
  return append_records(log, std::move(rs), codec, ts + 1);
}

class compaction_test : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.config.cleanup_compact = true;
    fx.config.cleanup_delete = false;
    fx.config.segment_bytes = 4096;
    fx.config.index_interval_bytes = 256;
  }

  // `n` batches of 1-4 records over `keys` keys, every fifth batch zstd.
  void append_random(partition_log& log, int n, int keys = 40) {
    for (int i = 0; i < n; ++i) {
      std::vector<rec> rs;
      const int count = 1 + int(rng() % 4);
      for (int j = 0; j < count; ++j)
        rs.push_back({-1, "key-" + std::to_string(rng() % keys),
                      "v" + std::to_string(seq++) + std::string(rng() % 40, 'x'), ts++});
      add(all, append_records(log, rs, i % 5 == 4 ? compression::zstd : compression::none));
    }
  }

  // The log holds what a complete pass up to its cleaner offset leaves.
  void expect_compacted(partition_log& log) {
    const auto got = read_all(log);
    expect_increasing(got);
    EXPECT_EQ(got, compacted(all, log.start_offset().value, log.cleaner_offset().value));
    EXPECT_EQ(latest(got), latest(compacted(all, log.start_offset().value, INT64_MAX)));
  }

  log_fixture fx;
  std::mt19937 rng{12345};
  std::vector<rec> all;  // every record appended, with its offset
  int64_t ts = t0;
  int seq = 0;
};

TEST_F(compaction_test, keeps_exactly_the_latest_record_of_each_key) {
  auto log = fx.open_ok();
  for (int round = 0; round < 5; ++round) {
    append_random(*log, 300);
    const size_t segments_before = log->segment_count();
    const uint64_t bytes_before = log->size_bytes();
    ASSERT_GT(segments_before, 5u);
    const auto end = log->end_offset();
    const int64_t active = segment_bases(fx).back();
    const auto active_bytes = file_bytes(fx, active);

    log->maintain(model::timestamp{ts});

    EXPECT_EQ(log->cleaner_offset().value, active);
    EXPECT_EQ(log->end_offset(), end);
    EXPECT_LT(log->size_bytes(), bytes_before);
    // Outputs are grouped by input size, so full segments are not merged
    // the first time; the already cleaned ones are.
    if (round > 0) {
      EXPECT_LT(log->segment_count(), segments_before);
    }
    EXPECT_EQ(file_bytes(fx, active), active_bytes) << "the active segment was touched";
    EXPECT_EQ(segment_bases(fx).back(), active);
    EXPECT_EQ(leftover_files(fx), 0);
    expect_compacted(*log);
    // Every key appears at most once below the cleaner offset.
    std::map<std::string, int> seen;
    for (const auto& r : read_all(*log)) {
      if (r.offset < active) {
        EXPECT_EQ(++seen[*r.key], 1) << *r.key;
      }
    }
  }

  // Reads from inside a compacted segment (offsets in gaps included).
  const auto got = read_all(*log);
  for (int64_t o = 0; o < log->cleaner_offset().value; o += 37) {
    std::vector<rec> want;
    for (const auto& r : got)
      if (r.offset >= o) want.push_back(r);
    EXPECT_EQ(read_all(*log, o, 700), want) << "from " << o;
  }

  ASSERT_TRUE(log->close());
  log.reset();
  log = fx.open_ok();
  expect_compacted(*log);
}

TEST_F(compaction_test, nothing_to_clean_gives_no_job) {
  auto log = fx.open_ok();
  EXPECT_EQ(log->prepare_compaction(model::timestamp{ts}), nullptr);  // empty log
  append_random(*log, 5);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->prepare_compaction(model::timestamp{ts}), nullptr);  // only the active segment
  append_random(*log, 100);
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(log->prepare_compaction(model::timestamp{ts}), nullptr) << "one job at a time";
  ASSERT_TRUE(job->run());
  ASSERT_TRUE(log->apply_compaction(std::move(job)));
  EXPECT_EQ(log->prepare_compaction(model::timestamp{ts}), nullptr) << "all clean already";

  fx.config.cleanup_compact = false;
  log->reconfigure(fx.config);
  append_random(*log, 100);
  EXPECT_EQ(log->prepare_compaction(model::timestamp{ts}), nullptr) << "policy delete";
}

TEST(compaction_tombstone_test, kept_while_young_then_dropped_with_the_key) {
  log_fixture fx;
  one_batch_per_segment(fx);
  auto log = fx.open_ok();
  std::vector<rec> all;
  add(all, roll_append(*log, {{-1, "a", "a1", t0}, {-1, "b", "b1", t0}, {-1, "c", "c1", t0}}));
  add(all, roll_append(*log, {{-1, "a", "a2", t0 + 1}}));
  add(all, roll_append(*log, {{-1, "a", std::nullopt, t0 + 2}}));
  add(all, roll_append(*log, {{-1, "d", "d1", t0 + 3}}));
  add(all, roll_append(*log, {{-1, "e", "e1", t0 + 4}}));
  ASSERT_EQ(log->segment_count(), 5u);

  // Young tombstone: kept, and everything older of its key is gone.
  log->maintain(model::timestamp{t0 + hour});
  EXPECT_EQ(log->cleaner_offset().value, 6);
  EXPECT_EQ(read_all(*log), compacted(all, 0, 6));
  EXPECT_EQ(latest(read_all(*log)).at("a"), std::nullopt);

  // A day later, with new data to clean: the tombstone is older than
  // delete.retention.ms and goes; a new young one for "b" stays.
  const int64_t t1 = t0 + day + hour;
  add(all, roll_append(*log, {{-1, "b", std::nullopt, t1 - minute}}));
  add(all, roll_append(*log, {{-1, "f", "f1", t1 - minute}}));
  log->maintain(model::timestamp{t1});
  const auto got = read_all(*log);
  EXPECT_EQ(got, compacted(all, 0, log->cleaner_offset().value,
                           [&](const rec& r) { return r.timestamp < t1 - day; }));
  EXPECT_FALSE(latest(got).contains("a"));
  ASSERT_TRUE(latest(got).contains("b"));
  EXPECT_EQ(latest(got).at("b"), std::nullopt);

  // And a day after that, "b" disappears too.
  const int64_t t2 = t1 + day + hour;
  add(all, roll_append(*log, {{-1, "g", "g1", t2 - minute}}));
  add(all, roll_append(*log, {{-1, "h", "h1", t2 - minute}}));
  log->maintain(model::timestamp{t2});
  const auto got2 = read_all(*log);
  EXPECT_FALSE(latest(got2).contains("a"));
  EXPECT_FALSE(latest(got2).contains("b"));
  EXPECT_EQ(got2, compacted(all, 0, log->cleaner_offset().value,
                            [&](const rec& r) { return r.timestamp < t2 - day; }));
}

TEST(compaction_tombstone_test, expires_on_an_idle_log_without_new_data) {
  log_fixture fx;
  one_batch_per_segment(fx);
  auto log = fx.open_ok();
  std::vector<rec> all;
  add(all, roll_append(*log, {{-1, "a", "a1", t0}, {-1, "b", "b1", t0}}));
  add(all, roll_append(*log, {{-1, "a", std::nullopt, t0 + 1}}));
  add(all, roll_append(*log, {{-1, "c", "c1", t0 + 2}}));
  log->maintain(model::timestamp{t0 + hour});
  ASSERT_TRUE(latest(read_all(*log)).contains("a"));  // young tombstone kept
  // Nothing is appended any more; a day later the tombstone still goes.
  log->maintain(model::timestamp{t0 + day + 2 * hour});
  const auto got = read_all(*log);
  EXPECT_FALSE(latest(got).contains("a"));
  EXPECT_EQ(latest(got).at("b"), "b1");
  EXPECT_EQ(log->end_offset().value, all.back().offset + 1);
}

TEST(compaction_tombstone_test, tombstone_in_the_active_segment_is_never_touched) {
  log_fixture fx;
  one_batch_per_segment(fx);
  auto log = fx.open_ok();
  std::vector<rec> all;
  add(all, roll_append(*log, {{-1, "a", "a1", t0}}));
  add(all, roll_append(*log, {{-1, "a", "a2", t0 + 1}}));
  add(all, roll_append(*log, {{-1, "a", std::nullopt, t0 + 2}}));  // active
  log->maintain(model::timestamp{t0 + 10 * day});
  // "a2" is only superseded from the active segment, which the key map never
  // reads: it stays, and so does the tombstone.
  EXPECT_EQ(read_all(*log), compacted(all, 0, 2));
  EXPECT_EQ(read_all(*log).back(), all.back());
}

TEST(compaction_lag_test, segments_younger_than_the_lag_are_not_compacted) {
  log_fixture fx;
  one_batch_per_segment(fx);
  fx.config.min_compaction_lag_ms = hour;
  auto log = fx.open_ok();
  std::vector<rec> all;
  for (int i = 0; i < 10; ++i)
    add(all, roll_append(*log, {{-1, "k", "v" + std::to_string(i), t0 + i * 10 * minute},
                                {-1, "u" + std::to_string(i), "x", t0 + i * 10 * minute}}));
  ASSERT_EQ(log->segment_count(), 10u);
  // Segments 0-3 (max timestamps t0 .. t0+30min) are older than the lag at
  // t0+95min; segment 4 (t0+40min) is not.
  std::map<int64_t, std::vector<std::byte>> young;
  for (int64_t b : segment_bases(fx))
    if (b >= 8) young[b] = file_bytes(fx, b);

  log->maintain(model::timestamp{t0 + 95 * minute});
  EXPECT_EQ(log->cleaner_offset().value, 8);
  EXPECT_EQ(read_all(*log), compacted(all, 0, 8));
  for (const auto& [b, bytes] : young) EXPECT_EQ(file_bytes(fx, b), bytes) << "segment " << b;
  // "k" survives both in the cleaned part (offset 6) and in every young
  // segment: the lag protects records from being superseded too.
  int ks = 0;
  for (const auto& r : read_all(*log)) ks += r.key == "k";
  EXPECT_EQ(ks, 1 + 6);

  log->maintain(model::timestamp{t0 + 10 * hour});
  EXPECT_EQ(log->cleaner_offset().value, 18);
  EXPECT_EQ(read_all(*log), compacted(all, 0, 18));
}

class compaction_codec_test : public ::testing::TestWithParam<compression> {};

TEST_P(compaction_codec_test, rewritten_batches_keep_their_codec) {
  const compression codec = GetParam();
  log_fixture fx;
  one_batch_per_segment(fx);
  auto log = fx.open_ok();
  std::vector<rec> all;
  const std::string pad(200, 'p');  // something to compress
  std::vector<rec> a, b;
  for (int i = 0; i < 10; ++i) a.push_back({-1, "k" + std::to_string(i), "a" + pad, t0});
  for (int i = 0; i < 5; ++i) b.push_back({-1, "k" + std::to_string(i), "b" + pad, t0 + 1});
  add(all, roll_append(*log, a, codec));                                   // 0-9
  add(all, roll_append(*log, b, codec));                                   // 10-14
  add(all, roll_append(*log, {{-1, "k9", std::nullopt, t0 + 2}}, codec));  // 15
  add(all, roll_append(*log, {{-1, "k7", "c" + pad, t0 + 3}, {-1, "z", "z", t0 + 3}}, codec));
  add(all, roll_append(*log, {{-1, "end", "x", t0 + 4}}));  // active
  std::vector<model::batch_header> before;
  ASSERT_EQ(decode(slurp_all(*log), &before), all);
  ASSERT_EQ(before.size(), 5u);

  log->maintain(model::timestamp{t0 + hour});

  std::vector<model::batch_header> after;
  const auto got = decode(slurp_all(*log), &after);
  EXPECT_EQ(got, compacted(all, 0, 18));
  ASSERT_EQ(after.size(), 5u);
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(after[i].codec(), before[i].codec());
    EXPECT_EQ(after[i].attributes, before[i].attributes);
    EXPECT_EQ(after[i].base_offset, before[i].base_offset);
    EXPECT_EQ(after[i].last_offset_delta, before[i].last_offset_delta);
    EXPECT_EQ(after[i].base_timestamp, before[i].base_timestamp);
    EXPECT_EQ(after[i].max_timestamp, before[i].max_timestamp);
    EXPECT_EQ(after[i].producer_id, before[i].producer_id);
  }
  EXPECT_EQ(after[0].record_count, 3);  // k5, k6, k8
  EXPECT_EQ(after[1].record_count, 5);  // untouched
  EXPECT_EQ(after[2].record_count, 1);  // the tombstone is young
  EXPECT_EQ(after[3].record_count, 2);
  EXPECT_LT(after[0].size_bytes(), before[0].size_bytes());
  if (codec == compression::snappy) {
    // The framing the producer chose is kept too.
    auto raw = slurp(log->read(model::offset{0}, 1).value());
    auto orig = make_batch(a, codec);
    EXPECT_EQ(model::is_xerial_snappy(std::span(raw).subspan(model::batch_layout::header_size)),
              model::is_xerial_snappy(std::span(orig).subspan(model::batch_layout::header_size)));
  }

  // Survives a restart with a rescan of every segment.
  ASSERT_TRUE(log->close());
  log.reset();
  ASSERT_TRUE(fx.fs->remove(fx.dir / format::checkpoint_name));
  log = fx.open_ok();
  EXPECT_EQ(read_all(*log), got);
}

std::string codec_name(const ::testing::TestParamInfo<compression>& info) {
  static const char* const names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  return names[int(info.param)];
}

INSTANTIATE_TEST_SUITE_P(codecs, compaction_codec_test,
                         ::testing::Values(compression::gzip, compression::snappy, compression::lz4,
                                           compression::zstd),
                         codec_name);

TEST_F(compaction_test, vanished_batches_go_but_each_segment_keeps_its_last_one) {
  auto log = fx.open_ok();
  const std::string big(500, 'f');
  // Segment 0: filler, a batch that will vanish, filler, and a last batch
  // (lz4) that will vanish too.
  add(all, append_records(*log, {{-1, "f0", big, t0}, {-1, "f1", big, t0}, {-1, "f2", big, t0}}));
  add(all, append_records(*log, {{-1, "k0", "old", t0}}));
  add(all, append_records(*log, {{-1, "f3", big, t0}}));
  add(all, append_records(*log, {{-1, "k1", "old", t0}, {-1, "k2", "old", t0}}, compression::lz4));
  ASSERT_EQ(log->segment_count(), 1u);
  const int64_t seg1 = log->end_offset().value;
  // Segment 1 (too big to share an output with segment 0) supersedes them.
  add(all, append_records(*log, {{-1, "g0", big, t0},
                                 {-1, "g1", big, t0},
                                 {-1, "g2", big, t0},
                                 {-1, "g3", big, t0},
                                 {-1, "g4", big, t0}}));
  ASSERT_EQ(log->segment_count(), 2u);
  ASSERT_EQ(all[7].offset, seg1);
  add(all,
      append_records(*log, {{-1, "k0", "new", t0}, {-1, "k1", "new", t0}, {-1, "k2", "new", t0}}));
  add(all, append_records(*log, {{-1, "g5", big, t0}, {-1, "g6", big, t0}, {-1, "g7", big, t0}}));
  ASSERT_EQ(log->segment_count(), 3u);
  const int64_t active = segment_bases(fx).back();
  const auto seg1_bytes = file_bytes(fx, seg1);
  const auto end = log->end_offset();

  log->maintain(model::timestamp{t0 + hour});

  EXPECT_EQ(segment_bases(fx), (std::vector<int64_t>{0, seg1, active}));
  EXPECT_EQ(file_bytes(fx, seg1), seg1_bytes) << "nothing to remove there: left alone";
  const auto hs = batch_headers(*log);
  ASSERT_EQ(hs.size(), 6u);
  EXPECT_EQ(hs[0].base_offset, 0);
  EXPECT_EQ(hs[1].base_offset, 4) << "the k0 batch at offset 3 is gone";
  // The last batch of segment 0 stays, empty and uncompressed, so that the
  // segment still ends where segment 1 begins.
  EXPECT_EQ(hs[2].base_offset, 5);
  EXPECT_EQ(hs[2].last_offset_delta, 1);
  EXPECT_EQ(hs[2].record_count, 0);
  EXPECT_EQ(hs[2].codec(), compression::none);
  EXPECT_EQ(hs[3].base_offset, seg1);
  EXPECT_EQ(log->end_offset(), end);
  const auto got = read_all(*log);
  EXPECT_EQ(got, compacted(all, 0, log->cleaner_offset().value));

  // Reading from the offsets of the vanished records.
  for (int64_t o : {3, 5, 6}) {
    auto r = log->read(model::offset{o}, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(decode(slurp(r.value())).empty(), o >= 5) << o;
  }

  auto check_reopened = [&](const char* how) {
    SCOPED_TRACE(how);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(read_all(*log), got);
    EXPECT_EQ(log->end_offset(), end);
    std::vector<model::batch_header> hs2 = batch_headers(*log);
    ASSERT_EQ(hs2.size(), hs.size());
    for (size_t i = 0; i < hs.size(); ++i) EXPECT_EQ(hs2[i].crc, hs[i].crc);
  };

  ASSERT_TRUE(log->close());
  log.reset();
  log = fx.open_ok();
  check_reopened("clean close");

  // Crash: nothing closed, power lost after the last flush.
  ASSERT_TRUE(log->flush());
  log.reset();
  fx.crash();
  log = fx.open_ok();
  check_reopened("power loss");

  // No checkpoint: every segment, gaps and empty batch included, is scanned.
  log.reset();
  ASSERT_TRUE(fx.fs->remove(fx.dir / format::checkpoint_name));
  ASSERT_TRUE(fx.fs->sync_directory(fx.dir));
  log = fx.open_ok();
  check_reopened("rescan");

  auto more = append_records(*log, {{-1, "k0", "newest", t0 + 1}});
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].offset, end.value);
  add(all, more);
  EXPECT_EQ(read_all(*log, end.value), more);
}

TEST(compaction_empty_batch_test, an_empty_batch_that_is_no_longer_last_goes) {
  // Batches of ~71 bytes, one per segment; with segment.bytes = 200 an
  // output takes two segments.
  log_fixture fx;
  one_batch_per_segment(fx);
  fx.config.segment_bytes = 200;
  auto log = fx.open_ok();
  std::vector<rec> all;
  add(all, roll_append(*log, {{-1, "x", "0", t0}}));
  add(all, roll_append(*log, {{-1, "a", "1", t0 + 1}}));  // last of the first output
  add(all, roll_append(*log, {{-1, "a", "2", t0 + 2}}));
  add(all, roll_append(*log, {{-1, "y", "0", t0 + 3}}));
  add(all, roll_append(*log, {{-1, "z", "0", t0 + 4}}));  // active

  log->maintain(model::timestamp{t0 + hour});
  auto hs = batch_headers(*log);
  ASSERT_EQ(hs.size(), 5u);
  EXPECT_EQ(hs[1].base_offset, 1);
  EXPECT_EQ(hs[1].record_count, 0);
  EXPECT_EQ(segment_bases(fx), (std::vector<int64_t>{0, 2, 4}));

  // Bigger outputs now: the next pass merges everything, and the empty
  // batch is in the middle of an output.
  fx.config.segment_bytes = 4096;
  log->reconfigure(fx.config);
  add(all, roll_append(*log, {{-1, "w", "0", t0 + 5}}));
  log->maintain(model::timestamp{t0 + hour});
  EXPECT_EQ(segment_bases(fx), (std::vector<int64_t>{0, 5}));
  hs = batch_headers(*log);
  ASSERT_EQ(hs.size(), 5u);
  for (const auto& h : hs) EXPECT_GT(h.record_count, 0) << "batch at " << h.base_offset;
  EXPECT_EQ(read_all(*log), compacted(all, 0, 5));
}

TEST_F(compaction_test, a_small_key_map_cleans_in_several_passes) {
  auto log = fx.open_ok();
  append_random(*log, 300);
  const int64_t active = segment_bases(fx).back();
  int passes = 0;
  while (auto job = log->prepare_compaction(model::timestamp{ts})) {
    job->max_map_bytes = 1;  // one segment per pass
    const int64_t before = log->cleaner_offset().value;
    ASSERT_TRUE(job->run());
    ASSERT_TRUE(log->apply_compaction(std::move(job)));
    ASSERT_GT(log->cleaner_offset().value, before);
    expect_compacted(*log);
    ASSERT_LT(++passes, 100);
  }
  EXPECT_GT(passes, 5);
  EXPECT_EQ(log->cleaner_offset().value, active);
  EXPECT_EQ(leftover_files(fx), 0);
}

TEST_F(compaction_test, appends_during_a_compaction_are_kept) {
  auto log = fx.open_ok();
  append_random(*log, 200);
  const int64_t active = segment_bases(fx).back();
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);

  append_random(*log, 200);  // rolls several segments meanwhile
  ASSERT_GT(segment_bases(fx).back(), active);
  const auto end = log->end_offset();
  ASSERT_TRUE(job->run());
  EXPECT_EQ(job->new_cleaner_offset, active);
  append_random(*log, 20);
  const auto end2 = log->end_offset();
  ASSERT_GT(end2, end);
  ASSERT_TRUE(log->apply_compaction(std::move(job)));

  EXPECT_EQ(log->cleaner_offset().value, active);
  EXPECT_EQ(log->end_offset(), end2);
  expect_compacted(*log);

  log->maintain(model::timestamp{ts});
  EXPECT_EQ(log->cleaner_offset().value, segment_bases(fx).back());
  expect_compacted(*log);
  EXPECT_EQ(leftover_files(fx), 0);

  ASSERT_TRUE(log->flush());
  log.reset();
  fx.crash();
  log = fx.open_ok();
  expect_compacted(*log);
}

TEST_F(compaction_test, retention_between_prepare_and_apply_discards_the_output) {
  fx.config.cleanup_delete = true;
  fx.config.retention_ms = log_config::unlimited;
  auto log = fx.open_ok();
  append_random(*log, 200);
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->run());
  ASSERT_FALSE(job->outputs.empty());
  append_random(*log, 100);  // more closed segments past the job's outputs

  // Retention takes every closed segment, and its deletes become durable.
  fx.config.retention_bytes = 1;
  log->reconfigure(fx.config);
  EXPECT_GT(log->apply_retention(model::timestamp{ts}), 0u);
  ASSERT_EQ(log->segment_count(), 1u);
  ASSERT_TRUE(log->flush());
  const auto end = log->end_offset();
  const auto start = log->start_offset();
  const auto expect = compacted(all, start.value, start.value);

  ASSERT_TRUE(log->apply_compaction(std::move(job)));
  EXPECT_EQ(leftover_files(fx), 0) << "stale outputs must be removed";
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->start_offset(), start);
  EXPECT_EQ(read_all(*log), expect);

  // The removal of the stale outputs must be durable: one brought back by a
  // power loss would be swapped in by recovery below the log start.
  log.reset();
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(log->start_offset(), start);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(leftover_files(fx), 0);
}

TEST_F(compaction_test, crash_after_retention_took_the_jobs_segments) {
  // With an io executor the job can be done, its .swap files durable, while
  // retention removes its segments and more; then the process dies before
  // the job is applied. Recovery must not swap the stale output back in.
  fx.config.cleanup_delete = true;
  fx.config.retention_ms = log_config::unlimited;
  auto log = fx.open_ok();
  append_random(*log, 200);
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->run());
  ASSERT_FALSE(job->outputs.empty());
  append_random(*log, 100);
  fx.config.retention_bytes = 1;
  log->reconfigure(fx.config);
  EXPECT_GT(log->apply_retention(model::timestamp{ts}), 0u);
  ASSERT_TRUE(log->flush());  // the new start and the removals are durable
  const auto end = log->end_offset();
  const auto start = log->start_offset();
  const auto expect = compacted(all, start.value, start.value);
  job.reset();
  log.reset();
  fx.crash();

  log = fx.open_ok();
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(log->start_offset(), start);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(leftover_files(fx), 0);
  EXPECT_EQ(log->recovery().segments_dropped, 0u);
}

TEST_F(compaction_test, retention_of_part_of_the_job_keeps_the_rest_correct) {
  fx.config.cleanup_delete = true;
  fx.config.retention_ms = log_config::unlimited;
  auto log = fx.open_ok();
  append_random(*log, 300, 400);  // many keys: outputs stay big, several groups
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->run());
  ASSERT_GT(job->outputs.size(), 1u);

  // Retention takes the first segment or two.
  fx.config.retention_bytes = int64_t(log->size_bytes()) - 6000;
  log->reconfigure(fx.config);
  ASSERT_GT(log->apply_retention(model::timestamp{ts}), 0u);
  const auto start = log->start_offset();
  ASSERT_TRUE(log->apply_compaction(std::move(job)));
  EXPECT_EQ(leftover_files(fx), 0);
  EXPECT_EQ(log->start_offset(), start);
  const auto got = read_all(*log);
  expect_increasing(got);
  EXPECT_EQ(latest(got), latest(compacted(all, start.value, INT64_MAX)));

  // The next pass cleans what the discarded output should have.
  append_random(*log, 20, 400);
  log->maintain(model::timestamp{ts});
  expect_compacted(*log);
}

TEST(compaction_discard_test, discarded_output_is_cleaned_by_the_next_pass) {
  log_fixture fx;
  one_batch_per_segment(fx);
  auto log = fx.open_ok();
  std::vector<rec> all;
  add(all, roll_append(*log, {{-1, "a", "a0", t0}}));
  add(all, roll_append(*log, {{-1, "x", "x1", t0 + 1}}));
  add(all, roll_append(*log, {{-1, "x", "x2", t0 + 2}}));
  add(all, roll_append(*log, {{-1, "y", "y0", t0 + 3}}));  // active
  auto job = log->prepare_compaction(model::timestamp{t0 + hour});
  ASSERT_NE(job, nullptr);
  ASSERT_TRUE(job->run());
  ASSERT_EQ(job->outputs.size(), 1u);

  // DeleteRecords takes segment 0, so the output (which replaces segments
  // 0-2) no longer fits and is discarded.
  bool done = false;
  log->delete_records(model::offset{1}, [&](std::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    done = true;
  });
  ASSERT_TRUE(done);
  ASSERT_TRUE(log->apply_compaction(std::move(job)));
  EXPECT_EQ(read_all(*log), compacted(all, 1, 1));

  // Segments 1 and 2 were never cleaned: the next pass must do it.
  add(all, roll_append(*log, {{-1, "z", "z0", t0 + 4}}));
  log->maintain(model::timestamp{t0 + hour});
  EXPECT_EQ(log->cleaner_offset().value, 4);
  EXPECT_EQ(read_all(*log), compacted(all, 1, 4));
}

TEST_F(compaction_test, recovery_completes_a_swap_that_was_never_applied) {
  for (bool power_loss : {false, true}) {
    SCOPED_TRACE(power_loss ? "power loss" : "process crash");
    auto log = fx.open_ok();
    append_random(*log, 200);
    auto job = log->prepare_compaction(model::timestamp{ts});
    ASSERT_NE(job, nullptr);
    ASSERT_TRUE(job->run());
    ASSERT_FALSE(job->outputs.empty());
    int swaps = 0;
    for (const auto& f : dir_files(fx)) swaps += f.ends_with(format::swap_suffix);
    EXPECT_EQ(swaps, 3 * int(job->outputs.size()));
    const int64_t cleaned = job->new_cleaner_offset;
    std::vector<int64_t> expected_bases;
    for (int64_t b : segment_bases(fx)) {
      bool replaced = false;
      for (const auto& o : job->outputs)
        for (const auto& r : o.replaced) replaced |= r.base == b && r.base != o.summary.base;
      if (!replaced) expected_bases.push_back(b);
    }
    const auto end = log->end_offset();
    ASSERT_TRUE(log->flush());
    job.reset();
    log.reset();
    if (power_loss) fx.crash();

    log = fx.open_ok();
    EXPECT_EQ(leftover_files(fx), 0);
    EXPECT_EQ(segment_bases(fx), expected_bases);
    EXPECT_EQ(log->end_offset(), end);
    EXPECT_EQ(read_all(*log), compacted(all, 0, cleaned));

    // And compaction carries on from there.
    append_random(*log, 50);
    log->maintain(model::timestamp{ts});
    expect_compacted(*log);
    ASSERT_TRUE(log->close());
  }
}

TEST_F(compaction_test, recovery_completes_a_half_applied_swap) {
  // apply_compaction removes the replaced files, syncs the directory, then
  // renames the index .swap files and last the data .swap file. Crash after
  // each step.
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(step);
    log_fixture f2;
    f2.config = fx.config;
    auto log = f2.open_ok();
    all.clear();
    append_random(*log, 200);
    auto job = log->prepare_compaction(model::timestamp{ts});
    ASSERT_NE(job, nullptr);
    ASSERT_TRUE(job->run());
    ASSERT_FALSE(job->outputs.empty());
    const int64_t cleaned = job->new_cleaner_offset;
    const auto end = log->end_offset();
    ASSERT_TRUE(log->flush());
    const auto& out = job->outputs.front();
    const int64_t base = out.summary.base;
    for (const auto& r : out.replaced) {
      for (const char* s :
           {format::segment_suffix, format::offset_index_suffix, format::time_index_suffix}) {
        ASSERT_TRUE(f2.fs->remove(segment_path(f2.dir, r.base, s)));
      }
    }
    ASSERT_TRUE(f2.fs->sync_directory(f2.dir));
    if (step >= 1) {
      for (const char* s : {format::offset_index_suffix, format::time_index_suffix}) {
        ASSERT_TRUE(f2.fs->rename(segment_path(f2.dir, base, (std::string(s) + ".swap").c_str()),
                                  segment_path(f2.dir, base, s)));
      }
    }
    if (step >= 2) {
      ASSERT_TRUE(f2.fs->rename(segment_path(f2.dir, base, ".log.swap"),
                                segment_path(f2.dir, base, format::segment_suffix)));
    }
    ASSERT_TRUE(f2.fs->sync_directory(f2.dir));
    job.reset();
    log.reset();
    f2.crash();

    // Outputs after the first were not applied at all: recovery finishes
    // those too.
    log = f2.open_ok();
    EXPECT_EQ(leftover_files(f2), 0);
    EXPECT_EQ(log->end_offset(), end);
    EXPECT_EQ(read_all(*log), compacted(all, 0, cleaned));
  }
}

TEST_F(compaction_test, recovery_removes_cleaned_files_of_an_unfinished_job) {
  auto log = fx.open_ok();
  append_random(*log, 200);
  const auto before = read_all(*log);
  auto job = log->prepare_compaction(model::timestamp{ts});
  ASSERT_NE(job, nullptr);
  fx.ffs->fail_sync(1, std::make_error_code(std::errc::io_error));  // the first output's fsync
  ASSERT_FALSE(job->run());
  int cleaned_files = 0;
  for (const auto& f : dir_files(fx)) cleaned_files += f.ends_with(format::cleaned_suffix);
  EXPECT_EQ(cleaned_files, 3);
  ASSERT_TRUE(log->flush());
  job.reset();
  log.reset();

  log = fx.open_ok();  // a process crash: the .cleaned entries still exist
  EXPECT_EQ(leftover_files(fx), 0);
  EXPECT_EQ(read_all(*log), before);

  log->maintain(model::timestamp{ts});
  expect_compacted(*log);
}

TEST_F(compaction_test, failed_job_in_maintain_leaves_no_swap_files) {
  // Segments of ~1300 bytes, three to an output: two outputs. The first is
  // renamed to .swap, then the second fails. A .swap left behind would later
  // be swapped in by recovery over whatever the next jobs wrote.
  auto log = fx.open_ok();
  const std::string big(1200, 'b');
  for (const char* k : {"a", "x", "x", "y", "y", "w"})
    add(all,
        roll_append(*log, {{-1, k, big + std::to_string(all.size()), t0 + int64_t(all.size())}}));
  add(all, roll_append(*log, {{-1, "v", "active", t0 + 10}}));
  ASSERT_EQ(log->segment_count(), 7u);

  // Output 1: 3 file syncs and a directory sync; the 5th sync is output 2's.
  fx.ffs->fail_sync(5, std::make_error_code(std::errc::io_error));
  log->maintain(model::timestamp{t0 + hour});
  EXPECT_EQ(log->cleaner_offset().value, 0) << "the job failed";
  for (const auto& f : dir_files(fx)) EXPECT_FALSE(f.ends_with(format::swap_suffix)) << f;
  EXPECT_EQ(read_all(*log), all);

  // DeleteRecords moves the start, so the next job's outputs line up
  // differently (1-3, 4-5).
  bool done = false;
  log->delete_records(model::offset{1}, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    done = true;
  });
  ASSERT_TRUE(done);
  log->maintain(model::timestamp{t0 + hour});
  EXPECT_EQ(log->cleaner_offset().value, 6);
  const auto expect = compacted(all, 1, 6);
  EXPECT_EQ(read_all(*log), expect);

  log.reset();
  fx.crash();
  log = fx.open_ok();
  EXPECT_EQ(log->end_offset().value, 7);
  EXPECT_EQ(read_all(*log), expect);
}

TEST_F(compaction_test, keyless_record_is_rejected_and_changes_nothing) {
  auto log = fx.open_ok();
  add(all, append_records(*log, {{-1, "k", "v", t0}}));
  const auto end = log->end_offset();
  const auto size = log->size_bytes();
  const auto data = file_bytes(fx, 0);
  for (auto codec : {compression::none, compression::zstd}) {
    for (const auto& rs : std::vector<std::vector<rec>>{
             {{-1, std::nullopt, "v", t0}},
             {{-1, "k1", "v", t0}, {-1, std::nullopt, "v", t0}, {-1, "k2", "v", t0}}}) {
      auto b = make_batch(rs, codec);
      auto r = log->append(b, model::timestamp{t0});
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error(), model::batch_errc::missing_key);
    }
  }
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(file_bytes(fx, 0), data);
  EXPECT_EQ(read_all(*log), all);
  EXPECT_FALSE(log->failed());
  // The log still takes keyed records.
  add(all, append_records(*log, {{-1, "k", "v2", t0}}));
  EXPECT_EQ(read_all(*log), all);

  // The same batch is fine under cleanup.policy=delete.
  fx.config.cleanup_compact = false;
  fx.config.cleanup_delete = true;
  log->reconfigure(fx.config);
  auto b = make_batch({{-1, std::nullopt, "v", t0}});
  EXPECT_TRUE(log->append(b, model::timestamp{t0}));
}

}  // namespace
}  // namespace runnel::storage::testing
