// Crash recovery: torn and corrupt tails, power loss under flush=always,
// failing writes and fsyncs, damaged indexes and checkpoints.
#include <gtest/gtest.h>

#include <random>

#include "log_test_util.h"
#include "storage/errc.h"
#include "storage/log_format.h"

namespace runnel::storage::testing {
namespace {

using model::offset;
using model::timestamp;

std::filesystem::path first_segment(const log_fixture& fx) {
  return segment_path(fx.dir, 0, format::segment_suffix);
}

// Appends n batches of 3 records with distinct contents; returns the records.
std::vector<rec> fill(partition_log& log, int n, int tag = 0) {
  std::vector<rec> out;
  for (int i = 0; i < n; ++i) {
    std::vector<rec> rs;
    for (int k = 0; k < 3; ++k)
      rs.push_back({-1, "key-" + std::to_string(tag) + "-" + std::to_string(i),
                    "value-" + std::to_string(i * 3 + k), 1000 + i});
    auto b = make_batch(rs);
    auto r = log.append(b, timestamp{1});
    EXPECT_TRUE(r);
    for (int k = 0; k < 3; ++k) {
      rs[size_t(k)].offset = r.value().base.value + k;
      out.push_back(rs[size_t(k)]);
    }
  }
  return out;
}

TEST(recovery, truncating_the_last_batch_at_every_byte_keeps_the_batches_before_it) {
  log_fixture fx;
  std::vector<rec> all;
  uint64_t last_batch_pos = 0;
  {
    auto log = fx.open_ok();
    all = fill(*log, 5);
    last_batch_pos = log->size_bytes();
    all = [&] {
      auto more = fill(*log, 1, 9);
      all.insert(all.end(), more.begin(), more.end());
      return all;
    }();
    ASSERT_TRUE(log->flush());
  }
  const auto full = fx.ffs->contents(first_segment(fx));
  const std::vector<rec> before_last(all.begin(), all.end() - 3);
  for (uint64_t cut = last_batch_pos; cut <= full.size(); ++cut) {
    fx.ffs->set_contents(first_segment(fx), bytes(full.begin(), full.begin() + ptrdiff_t(cut)));
    auto log = fx.open_ok();
    ASSERT_TRUE(log);
    const bool whole = cut == full.size();
    EXPECT_EQ(read_all(*log), whole ? all : before_last) << "cut at " << cut;
    EXPECT_EQ(log->end_offset(), offset{whole ? 18 : 15});
    // Appends continue right after the last good batch.
    auto b = make_simple_batch(1);
    EXPECT_EQ(log->append(b, timestamp{1}).value().base, offset{whole ? 18 : 15});
  }
}

TEST(recovery, corrupting_any_byte_of_the_last_batch_drops_exactly_that_batch) {
  log_fixture fx;
  std::vector<rec> all;
  uint64_t last_batch_pos = 0;
  {
    auto log = fx.open_ok();
    all = fill(*log, 5);
    last_batch_pos = log->size_bytes();
    auto more = fill(*log, 1, 9);
    all.insert(all.end(), more.begin(), more.end());
    ASSERT_TRUE(log->flush());
  }
  const auto full = fx.ffs->contents(first_segment(fx));
  const std::vector<rec> before_last(all.begin(), all.end() - 3);
  for (uint64_t at = last_batch_pos; at < full.size(); ++at) {
    // partition_leader_epoch (bytes 12..15 of a batch) is outside the CRC by
    // Kafka's design and carries no offsets: damage there is not detectable.
    const uint64_t rel = at - last_batch_pos;
    if (rel >= 12 && rel < 16) continue;
    for (std::byte mask : {std::byte{0x01}, std::byte{0x80}, std::byte{0xff}}) {
      auto damaged = full;
      damaged[at] ^= mask;
      fx.ffs->set_contents(first_segment(fx), damaged);
      auto log = fx.open_ok();
      ASSERT_TRUE(log);
      EXPECT_EQ(read_all(*log), before_last) << "byte " << rel << " of the last batch";
      auto b = make_simple_batch(1);
      EXPECT_EQ(log->append(b, timestamp{1}).value().base, offset{15});
    }
  }
}

TEST(recovery, torn_segment_header_restarts_the_segment) {
  log_fixture fx;
  fx.config.segment_bytes = 600;
  std::vector<rec> all;
  {
    auto log = fx.open_ok();
    all = fill(*log, 20);
    ASSERT_TRUE(log->flush());
    ASSERT_GT(log->segment_count(), 3u);
  }
  // The newest segment's header is torn: its contents cannot be trusted.
  auto names = fx.ffs->list(fx.dir).value();
  std::string last;
  for (auto& n : names)
    if (n.ends_with(".log")) last = n;
  auto data = fx.ffs->contents(fx.dir / last);
  const int64_t last_base = std::stoll(last.substr(0, 20));
  fx.ffs->set_contents(fx.dir / last, bytes(data.begin(), data.begin() + 10));
  auto log = fx.open_ok();
  std::vector<rec> expect;
  for (auto& r : all)
    if (r.offset < last_base) expect.push_back(r);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(log->end_offset(), offset{last_base});
}

TEST(recovery, hole_in_the_middle_hides_everything_after_it) {
  log_fixture fx;
  fx.config.segment_bytes = 600;
  std::vector<rec> all;
  {
    auto log = fx.open_ok();
    all = fill(*log, 20);
    ASSERT_GT(log->segment_count(), 3u);
    // No flush: nothing is vouched for by the checkpoint.
  }
  // Damage the second segment's last batch.
  std::vector<std::string> segs;
  auto listing = fx.ffs->list(fx.dir).value();
  for (auto& n : listing)
    if (n.ends_with(".log")) segs.push_back(n);
  ASSERT_GT(segs.size(), 3u);
  auto data = fx.ffs->contents(fx.dir / segs[1]);
  data[data.size() - 5] ^= std::byte{0x55};
  fx.ffs->set_contents(fx.dir / segs[1], data);
  auto log = fx.open_ok();
  auto got = read_all(*log);
  ASSERT_FALSE(got.empty());
  EXPECT_LT(got.size(), all.size());
  // What is visible is a prefix of what was written.
  EXPECT_TRUE(std::equal(got.begin(), got.end(), all.begin()));
  EXPECT_EQ(log->end_offset(), offset{got.back().offset + 1});
  EXPECT_GE(log->recovery().segments_dropped, 2u);
}

// Power loss at random points of a long run of flush=always appends: every
// acknowledged append survives, and what survives is a prefix.
TEST(recovery, power_loss_keeps_every_acknowledged_append) {
  std::mt19937 rng(20261121);
  for (int trial = 0; trial < 40; ++trial) {
    log_fixture fx;
    fx.config.segment_bytes = 1500 + int64_t(rng() % 3000);
    std::vector<task> io, owner;
    log_options o;
    o.dir = fx.dir;
    o.fs = fx.fs;
    o.config = fx.config;
    o.executors.io = [&](task t) { io.push_back(std::move(t)); };
    o.executors.owner = [&](task t) { owner.push_back(std::move(t)); };
    auto log = std::move(partition_log::open(o)).value();

    std::vector<rec> written;
    int64_t acked = 0;  // every offset below this was acknowledged durable
    const int steps = 50 + int(rng() % 150);
    for (int i = 0; i < steps; ++i) {
      auto more = fill(*log, 1 + int(rng() % 3), i);
      written.insert(written.end(), more.begin(), more.end());
      const int64_t upto = log->end_offset().value;
      log->flush_async(offset{upto}, [&acked, upto](std::error_code ec) {
        if (!ec) acked = std::max(acked, upto);
      });
      // Let the background work progress by a random amount: sometimes the
      // fsync ran but its completion did not, sometimes nothing ran.
      for (int k = int(rng() % 3); k > 0; --k) {
        if (!io.empty()) {
          auto t = std::move(io.front());
          io.erase(io.begin());
          t();
        }
        if (rng() % 2 && !owner.empty()) {
          auto t = std::move(owner.front());
          owner.erase(owner.begin());
          t();
        }
      }
    }
    fx.crash();
    io.clear();
    owner.clear();
    log.reset();

    auto reopened = fx.open_ok();
    ASSERT_TRUE(reopened);
    auto got = read_all(*reopened);
    ASSERT_GE(int64_t(got.size()), acked) << "trial " << trial;
    ASSERT_LE(got.size(), written.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), written.begin())) << "trial " << trial;
    // And the log goes on from there.
    auto b = make_simple_batch(1);
    EXPECT_EQ(reopened->append(b, timestamp{1}).value().base, offset{int64_t(got.size())});
  }
}

TEST(recovery, enospc_on_write_is_reported_and_nothing_partial_remains) {
  log_fixture fx;
  auto log = fx.open_ok();
  auto good = fill(*log, 3);
  fx.ffs->fail_write(1, std::make_error_code(std::errc::no_space_on_device), 20);
  auto b = make_simple_batch(4);
  auto r = log->append(b, timestamp{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_space_on_device);
  EXPECT_EQ(log->end_offset(), offset{9});
  // The disk has room again: appends continue where they were.
  auto more = fill(*log, 2, 1);
  EXPECT_EQ(more.front().offset, 9);
  good.insert(good.end(), more.begin(), more.end());
  EXPECT_EQ(read_all(*log), good);
  ASSERT_TRUE(log->flush());
  log.reset();
  auto again = fx.open_ok();
  EXPECT_EQ(read_all(*again), good);
}

TEST(recovery, disk_full_refuses_every_append_until_space_returns) {
  log_fixture fx;
  fx.config.segment_bytes = 500;  // rolls need writes too
  auto log = fx.open_ok();
  auto good = fill(*log, 3);
  fx.ffs->fail_writes_from(1, std::make_error_code(std::errc::no_space_on_device));
  for (int i = 0; i < 20; ++i) {
    auto b = make_simple_batch(2);
    EXPECT_FALSE(log->append(b, timestamp{1}));
  }
  EXPECT_EQ(log->end_offset(), offset{9});
  fx.ffs->clear_faults();
  auto more = fill(*log, 3, 1);
  good.insert(good.end(), more.begin(), more.end());
  EXPECT_EQ(read_all(*log), good);
  ASSERT_TRUE(log->flush());
  fx.crash();
  log.reset();
  EXPECT_EQ(read_all(*fx.open_ok()), good);
}

TEST(recovery, fsync_failure_is_sticky_and_never_acknowledged) {
  for (auto err : {std::errc::io_error, std::errc::no_space_on_device}) {
    log_fixture fx;
    auto log = fx.open_ok();
    auto durable = fill(*log, 2);
    ASSERT_TRUE(log->flush());
    fill(*log, 2, 1);
    fx.ffs->fail_sync(1, std::make_error_code(err));
    std::error_code got;
    bool called = false;
    log->flush_async(log->end_offset(), [&](std::error_code ec) {
      called = true;
      got = ec;
    });
    ASSERT_TRUE(called);
    EXPECT_EQ(got, std::make_error_code(err));
    EXPECT_EQ(log->failed(), std::make_error_code(err));
    // No later fsync can acknowledge what the failed one covered.
    auto b = make_simple_batch(1);
    EXPECT_FALSE(log->append(b, timestamp{1}));
    EXPECT_FALSE(log->flush());
    bool acked = false;
    log->flush_async(log->end_offset(), [&](std::error_code ec) { acked = !ec; });
    EXPECT_FALSE(acked);
    EXPECT_EQ(log->flushed_offset(), offset{6});

    // Power loss, then the log reopens cleanly with what was durable.
    fx.ffs->clear_faults();
    fx.crash();
    log.reset();
    auto re = fx.open_ok();
    ASSERT_TRUE(re);
    EXPECT_EQ(read_all(*re), durable);
    EXPECT_FALSE(re->failed());
  }
}

TEST(recovery, missing_or_damaged_indexes_are_rebuilt) {
  log_fixture fx;
  fx.config.segment_bytes = 2000;
  fx.config.index_interval_bytes = 100;
  std::vector<rec> all;
  {
    auto log = fx.open_ok();
    all = fill(*log, 40);
    ASSERT_TRUE(log->close());
  }
  std::vector<std::string> idx;
  auto listing = fx.ffs->list(fx.dir).value();
  for (auto& n : listing)
    if (n.ends_with(".index") || n.ends_with(".timeindex")) idx.push_back(n);
  ASSERT_GE(idx.size(), 6u);
  ASSERT_TRUE(fx.ffs->remove(fx.dir / idx[0]));  // missing
  auto damaged = fx.ffs->contents(fx.dir / idx[2]);
  damaged.resize(damaged.size() - 3);  // not a whole number of entries
  fx.ffs->set_contents(fx.dir / idx[2], damaged);
  auto wrong = fx.ffs->contents(fx.dir / idx[4]);
  ASSERT_GT(wrong.size(), format::file_header_size + 8);
  wrong[wrong.size() - 1] ^= std::byte{0x10};  // last entry points into a batch
  fx.ffs->set_contents(fx.dir / idx[4], wrong);

  auto log = fx.open_ok();
  EXPECT_GE(log->recovery().indexes_rebuilt, 2u);
  EXPECT_EQ(read_all(*log), all);
  for (int64_t o = 0; o < int64_t(all.size()); o += 7) {
    auto r = log->read(offset{o}, 1);
    ASSERT_TRUE(r);
    EXPECT_LE(decode(slurp(r.value())).front().offset, o);
  }
  auto t = log->offset_for_timestamp(timestamp{1020});
  ASSERT_TRUE(t && t.value());
  EXPECT_EQ(t.value()->offset, offset{60});
}

TEST(recovery, damaged_checkpoint_means_a_full_scan_not_data_loss) {
  log_fixture fx;
  fx.config.segment_bytes = 1000;
  std::vector<rec> all;
  {
    auto log = fx.open_ok();
    all = fill(*log, 30);
    ASSERT_TRUE(log->close());
  }
  auto cp = fx.ffs->contents(fx.dir / format::checkpoint_name);
  cp[cp.size() / 2] ^= std::byte{1};
  fx.ffs->set_contents(fx.dir / format::checkpoint_name, cp);
  auto log = fx.open_ok();
  EXPECT_EQ(log->recovery().segments_scanned, log->segment_count());
  EXPECT_EQ(read_all(*log), all);
}

TEST(recovery, works_on_the_real_file_system) {
  auto dir =
      std::filesystem::temp_directory_path() / ("runnel-recovery-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  log_options o;
  o.dir = dir / "t-0";
  o.config.segment_bytes = 4096;
  std::vector<rec> all;
  {
    auto log = std::move(partition_log::open(o)).value();
    all = fill(*log, 50);
    ASSERT_TRUE(log->flush());
  }
  // Tear the newest segment's tail with a real truncate.
  std::string last;
  for (auto& e : std::filesystem::directory_iterator(o.dir))
    if (e.path().extension() == ".log") last = std::max(last, e.path().string());
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 7);
  auto log = std::move(partition_log::open(o)).value();
  auto got = read_all(*log);
  ASSERT_EQ(got.size(), all.size() - 3);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), all.begin()));
  ASSERT_TRUE(log->close());
  log.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace runnel::storage::testing
