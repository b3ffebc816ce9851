// Transactions in the partition log: producer state and its snapshot, the
// last stable offset, the aborted-transaction index, and what recovery,
// retention and compaction do with them.
#include <gtest/gtest.h>

#include "log_test_util.h"
#include "model/control_record.h"
#include "storage/compaction.h"
#include "storage/errc.h"
#include "storage/log_format.h"
#include "storage/producer_snapshot.h"
#include "storage/producer_state.h"

namespace runnel::storage::testing {
namespace {

using model::offset;
using model::timestamp;

int64_t append(partition_log& log, bytes b, int64_t now = 1000) {
  auto r = log.append(b, timestamp{now});
  EXPECT_TRUE(r) << r.error().message();
  return r ? r.value().base.value : -1;
}

model::batch_header header(const bytes& b, int64_t base = 0) {
  auto h = model::parse_header(b).value();
  h.base_offset = base;
  return h;
}

// ---------------------------------------------------------------- producer_state

TEST(producer_state, sequences_duplicates_and_fencing) {
  producer_state s;
  auto b0 = header(producer_batch(7, 0, 0, 3, false));
  EXPECT_EQ(s.check(b0).kind, producer_state::verdict::append);
  s.apply(b0, std::nullopt, 1);
  // The same batch again is a duplicate answered with its offsets.
  auto dup = s.check(b0);
  EXPECT_EQ(dup.kind, producer_state::verdict::duplicate);
  EXPECT_EQ(dup.base_offset, 0);
  EXPECT_EQ(dup.last_offset, 2);
  // A gap is refused; the next sequence is taken.
  EXPECT_EQ(s.check(header(producer_batch(7, 0, 5, 1, false))).error,
            storage_errc::out_of_order_sequence);
  EXPECT_EQ(s.check(header(producer_batch(7, 0, 3, 1, false))).kind,
            producer_state::verdict::append);
  // An unknown producer must start at 0.
  EXPECT_EQ(s.check(header(producer_batch(8, 0, 4, 1, false))).error,
            storage_errc::unknown_producer_id);
  // A newer epoch starts at 0 and fences the old one.
  auto e1 = header(producer_batch(7, 1, 0, 1, false), 3);
  EXPECT_EQ(s.check(e1).kind, producer_state::verdict::append);
  s.apply(e1, std::nullopt, 2);
  EXPECT_EQ(s.check(header(producer_batch(7, 0, 3, 1, false))).error,
            storage_errc::invalid_producer_epoch);
}

TEST(producer_state, a_marker_with_a_newer_epoch_fences_and_restarts_the_sequence) {
  producer_state s;
  s.apply(header(producer_batch(7, 0, 0, 2, true)), std::nullopt, 1);
  ASSERT_EQ(s.open_transaction(7), std::optional<int16_t>(0));
  // The coordinator aborted with a bumped epoch (a fenced producer).
  auto m = header(marker(7, 1, false), 2);
  auto done = s.apply(m, model::control_record{model::control_type::abort, 0}, 2);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->aborted);
  EXPECT_EQ(done->first_offset, 0);
  EXPECT_EQ(done->last_offset, 2);
  EXPECT_FALSE(s.open_transaction(7));
  EXPECT_FALSE(s.first_unstable_offset());
  EXPECT_EQ(s.check(header(producer_batch(7, 0, 2, 1, true))).error,
            storage_errc::invalid_producer_epoch);
  // The new epoch's first batch begins at sequence 0.
  EXPECT_EQ(s.check(header(producer_batch(7, 1, 0, 1, true))).kind,
            producer_state::verdict::append);
  EXPECT_EQ(s.check(header(producer_batch(7, 1, 1, 1, true))).error,
            storage_errc::out_of_order_sequence);
}

TEST(producer_state, the_oldest_open_transaction_is_the_first_unstable_offset) {
  producer_state s;
  s.apply(header(producer_batch(1, 0, 0, 1, true), 10), std::nullopt, 1);
  s.apply(header(producer_batch(2, 0, 0, 1, true), 11), std::nullopt, 1);
  s.apply(header(producer_batch(1, 0, 1, 1, true), 12), std::nullopt, 1);  // same transaction
  EXPECT_EQ(s.first_unstable_offset(), std::optional<int64_t>(10));
  s.apply(header(marker(1, 0, true), 13), model::control_record{model::control_type::commit, 0}, 1);
  EXPECT_EQ(s.first_unstable_offset(), std::optional<int64_t>(11));
  // A marker for a producer with nothing open closes nothing.
  EXPECT_FALSE(s.apply(header(marker(3, 0, false), 14),
                       model::control_record{model::control_type::abort, 0}, 1));
}

TEST(producer_state, expiry_spares_open_transactions) {
  producer_state s;
  s.apply(header(producer_batch(1, 0, 0, 1, false), 0), std::nullopt, 100);
  s.apply(header(producer_batch(2, 0, 0, 1, true), 1), std::nullopt, 100);
  s.apply(header(producer_batch(3, 0, 0, 1, false), 2), std::nullopt, 5000);
  EXPECT_EQ(s.expire(6000, 1000), 1u);  // only producer 1: 2 has an open transaction
  EXPECT_EQ(s.producers(), 2u);
  EXPECT_EQ(s.check(header(producer_batch(1, 0, 1, 1, false))).error,
            storage_errc::unknown_producer_id);
}

TEST(producer_state, snapshot_body_round_trips_and_rejects_damage) {
  producer_state s;
  for (int64_t pid = 0; pid < 4; ++pid)
    for (int32_t k = 0; k < 7; ++k)
      s.apply(header(producer_batch(pid, int16_t(pid), k, 1, pid % 2 == 1), pid * 100 + k),
              std::nullopt, 1000 + pid);
  const auto body = s.encode();
  auto back = producer_state::decode(body);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_TRUE(back.value() == s);
  EXPECT_EQ(back.value().first_unstable_offset(), std::optional<int64_t>(100));
  for (size_t n = 0; n < body.size(); ++n)
    EXPECT_FALSE(producer_state::decode(std::span(body).first(n))) << n;
  auto longer = body;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(producer_state::decode(longer));
}

// ---------------------------------------------------------------- the log

TEST(transactions, last_stable_offset_follows_the_oldest_open_transaction) {
  log_fixture fx;
  auto log = fx.open_ok();
  append(*log, producer_batch(1, 0, 0, 2, false));  // 0-1: idempotent, not transactional
  const int64_t t1 = append(*log, producer_batch(2, 0, 0, 3, true));  // 2-4
  EXPECT_EQ(log->last_stable_offset(), offset{t1});
  append(*log, make_simple_batch(2));              // 5-6
  append(*log, producer_batch(3, 0, 0, 1, true));  // 7
  EXPECT_EQ(log->last_stable_offset(), offset{t1});
  append(*log, marker(2, 0, true));  // 8
  EXPECT_EQ(log->last_stable_offset(), offset{7});
  append(*log, marker(3, 0, false));  // 9
  EXPECT_EQ(log->last_stable_offset(), log->end_offset());
  EXPECT_EQ(log->end_offset(), offset{10});
  // A read_committed read stops at the LSO.
  auto r = log->read(offset{0}, 1 << 20, offset{7});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().next, offset{7});
}

TEST(transactions, aborted_transactions_cover_their_range_in_marker_order) {
  log_fixture fx;
  auto log = fx.open_ok();
  append(*log, producer_batch(1, 0, 0, 2, true));  // 0-1 (aborted)
  append(*log, producer_batch(2, 0, 0, 2, true));  // 2-3 (committed)
  append(*log, producer_batch(1, 0, 2, 1, true));  // 4
  append(*log, marker(1, 0, false));               // 5
  append(*log, marker(2, 0, true));                // 6
  append(*log, producer_batch(3, 0, 0, 1, true));  // 7 (aborted)
  append(*log, marker(3, 0, false));               // 8
  auto all = log->aborted_transactions(offset{0}, log->end_offset());
  ASSERT_TRUE(all);
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(all.value()[0], (aborted_txn{1, 0, 5, 2}));
  EXPECT_EQ(all.value()[1], (aborted_txn{3, 7, 8, 9}));
  // Only what overlaps [from, upto).
  auto late = log->aborted_transactions(offset{6}, log->end_offset());
  ASSERT_TRUE(late);
  ASSERT_EQ(late.value().size(), 1u);
  EXPECT_EQ(late.value()[0].producer_id, 3);
  auto early = log->aborted_transactions(offset{0}, offset{2});
  ASSERT_TRUE(early);
  ASSERT_EQ(early.value().size(), 1u);
  EXPECT_EQ(early.value()[0].producer_id, 1);
}

TEST(transactions, index_and_open_transactions_survive_restarts_and_crashes) {
  log_fixture fx;
  fx.config.segment_bytes = 300;  // a few batches per segment
  std::vector<aborted_txn> want;
  int64_t open_first = -1;
  {
    auto log = fx.open_ok();
    for (int i = 0; i < 6; ++i) {
      append(*log, producer_batch(10 + i, 0, 0, 2, true));
      append(*log, make_simple_batch(1));
      append(*log, marker(10 + i, 0, i % 2 == 0));
    }
    open_first = append(*log, producer_batch(99, 0, 0, 1, true));
    append(*log, make_simple_batch(1));
    auto a = log->aborted_transactions(offset{0}, log->end_offset());
    ASSERT_TRUE(a);
    want = a.value();
    ASSERT_EQ(want.size(), 3u);
    ASSERT_GT(log->segment_count(), 3u);
    EXPECT_EQ(log->last_stable_offset(), offset{open_first});
    ASSERT_TRUE(log->close());
  }
  auto check = [&](partition_log& log) {
    EXPECT_EQ(log.last_stable_offset(), offset{open_first});
    auto a = log.aborted_transactions(offset{0}, log.end_offset());
    ASSERT_TRUE(a);
    EXPECT_EQ(a.value(), want);
    EXPECT_EQ(log.producers().open_transaction(99), std::optional<int16_t>(0));
  };
  {
    // Clean restart: the close's snapshot, nothing read back.
    auto log = fx.open_ok();
    EXPECT_EQ(log->recovery().batches_replayed, 0u);
    EXPECT_EQ(log->recovery().snapshot_offset, log->end_offset().value);
    check(*log);
    ASSERT_TRUE(log->flush());
  }
  {
    // After a crash: the roll's snapshot plus the active segment.
    fx.crash();
    auto log = fx.open_ok();
    EXPECT_GE(log->recovery().snapshot_offset, 0);
    EXPECT_GT(log->recovery().batches_replayed, 0u);
    check(*log);
    // The transaction still ends normally.
    append(*log, marker(99, 0, true));
    EXPECT_EQ(log->last_stable_offset(), log->end_offset());
    ASSERT_TRUE(log->flush());
  }
  {
    // Every snapshot damaged, every index torn: rebuilt from the whole log.
    for (const auto& n : dir_files(fx)) {
      auto b = fx.ffs->contents(fx.dir / n);
      if (n.ends_with(format::snapshot_suffix))
        b[b.size() - 1] ^= std::byte{0x55};
      else if (n.ends_with(format::txn_index_suffix))
        b.resize(b.size() - 5);
      else
        continue;
      fx.ffs->set_contents(fx.dir / n, b);
    }
    auto log = fx.open_ok();
    EXPECT_EQ(log->recovery().snapshot_offset, -1);
    EXPECT_EQ(log->last_stable_offset(), log->end_offset());
    auto a = log->aborted_transactions(offset{0}, log->end_offset());
    ASSERT_TRUE(a);
    EXPECT_EQ(a.value(), want);
  }
}

TEST(transactions, an_idempotent_producer_is_remembered_across_many_segments) {
  // The old limit was "the last two segments": a quiet producer lost its
  // sequence after enough other traffic. The snapshots keep it.
  log_fixture fx;
  fx.config.segment_bytes = 200;
  auto b = producer_batch(5, 0, 0, 2, false);
  int64_t first = -1;
  {
    auto log = fx.open_ok();
    first = append(*log, b);
    for (int i = 0; i < 20; ++i) append(*log, make_simple_batch(1));
    ASSERT_GT(log->segment_count(), 5u);
    ASSERT_TRUE(log->flush());
  }
  fx.crash();
  auto log = fx.open_ok();
  auto dup = log->producers().check(header(b));
  EXPECT_EQ(dup.kind, producer_state::verdict::duplicate);
  EXPECT_EQ(dup.base_offset, first);
  EXPECT_EQ(log->producers().check(header(producer_batch(5, 0, 2, 1, false))).kind,
            producer_state::verdict::append);
}

TEST(transactions, retention_keeps_segments_at_or_after_the_last_stable_offset) {
  log_fixture fx;
  fx.config.segment_bytes = 200;
  fx.config.retention_ms = 10;
  auto log = fx.open_ok();
  append(*log, make_simple_batch(1, 1));
  const int64_t t = append(*log, producer_batch(1, 0, 0, 1, true, 1));
  for (int i = 0; i < 8; ++i) append(*log, make_simple_batch(1, 1));
  ASSERT_GT(log->segment_count(), 3u);
  log->apply_retention(timestamp{100000});
  // Everything is old enough, but the open transaction's segment stays.
  EXPECT_LE(log->start_offset().value, t);
  append(*log, marker(1, 0, false, 1));
  log->apply_retention(timestamp{100000});
  EXPECT_GT(log->start_offset().value, t);
}

TEST(transactions, compaction_removes_aborted_records_and_then_their_markers) {
  log_fixture fx;
  fx.config.cleanup_compact = true;
  fx.config.cleanup_delete = false;
  fx.config.segment_bytes = 250;
  fx.config.delete_retention_ms = 1000000;
  auto log = fx.open_ok();
  // Committed k0=committed, then an aborted k0=aborted, then other traffic.
  append(*log, producer_batch(1, 0, 0, 1, true, 1000, "committed"));
  append(*log, marker(1, 0, true));
  append(*log, producer_batch(2, 0, 0, 1, true, 1000, "aborted"));
  const int64_t abort_at = append(*log, marker(2, 0, false));
  for (int i = 0; i < 6; ++i) append(*log, producer_batch(3, 0, i, 1, false, 1000, "x", 100 + i));
  ASSERT_GT(log->segment_count(), 2u);
  auto value_of_k0 = [&] {
    std::optional<std::string> v;
    for (const auto& r : read_all(*log))
      if (r.key == "k0") v = r.value;
    return v;
  };
  // read_uncommitted sees the aborted value last, for now.
  EXPECT_EQ(value_of_k0(), "aborted");

  auto run = [&](int64_t now) {
    auto job = log->prepare_compaction(timestamp{now});
    ASSERT_TRUE(job);
    ASSERT_TRUE(job->run());
    ASSERT_TRUE(log->apply_compaction(std::move(job)));
  };
  run(2000);
  // The aborted record is gone and did not shadow the committed one.
  EXPECT_EQ(value_of_k0(), "committed");
  auto a = log->aborted_transactions(offset{0}, log->end_offset());
  ASSERT_TRUE(a);
  ASSERT_EQ(a.value().size(), 1u);  // its marker stays until delete.retention.ms passed
  std::vector<model::batch_header> hs;
  auto r = log->read(offset{0}, 1 << 20);
  ASSERT_TRUE(r);
  decode(slurp(r.value()), &hs);
  auto markers = [&] {
    // A read returns one segment's batches: read on to the end.
    std::vector<model::batch_header> v;
    for (offset o = log->start_offset(); o < log->end_offset();) {
      auto rr = log->read(o, 1 << 20);
      EXPECT_TRUE(rr);
      if (!rr || rr.value().next <= o) break;
      std::vector<model::batch_header> all;
      decode(slurp(rr.value()), &all);
      for (auto& h : all)
        if (h.is_control()) v.push_back(h);
      o = rr.value().next;
    }
    return v;
  };
  EXPECT_EQ(markers().size(), 2u);

  // Past delete.retention.ms: the abort marker (nothing left of its
  // transaction) goes, the commit marker (its record stays) does not.
  run(2000 + fx.config.delete_retention_ms + 1);
  auto left = markers();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].producer_id, 1);
  EXPECT_NE(left[0].base_offset, abort_at);
  a = log->aborted_transactions(offset{0}, log->end_offset());
  ASSERT_TRUE(a);
  EXPECT_TRUE(a.value().empty());
  EXPECT_EQ(value_of_k0(), "committed");

  // And all of it survives a restart (the index went with the swap).
  ASSERT_TRUE(log->close());
  log = fx.open_ok();
  EXPECT_EQ(value_of_k0(), "committed");
  EXPECT_EQ(log->last_stable_offset(), log->end_offset());
  a = log->aborted_transactions(offset{0}, log->end_offset());
  ASSERT_TRUE(a);
  EXPECT_TRUE(a.value().empty());
}

TEST(transactions, compaction_stops_at_an_open_transaction) {
  log_fixture fx;
  fx.config.cleanup_compact = true;
  fx.config.cleanup_delete = false;
  fx.config.segment_bytes = 200;
  auto log = fx.open_ok();
  append(*log, producer_batch(3, 0, 0, 1, false, 1000, "old"));
  append(*log, producer_batch(1, 0, 0, 1, true, 1000, "open"));  // not yet decided
  for (int i = 0; i < 6; ++i) append(*log, producer_batch(3, 0, i + 1, 1, false, 1000, "new"));
  ASSERT_GT(log->segment_count(), 3u);
  // No segment lies wholly below the open transaction's first offset.
  EXPECT_EQ(log->prepare_compaction(timestamp{5000}), nullptr);
}

TEST(transactions, a_control_batch_that_is_not_a_marker_is_refused) {
  log_fixture fx;
  auto log = fx.open_ok();
  bytes records;
  model::encode_record(records, 0, 0, model::as_bytes("junk"), model::as_bytes("x"));
  model::batch_header h;
  h.attributes = model::batch_attr::control | model::batch_attr::transactional;
  h.producer_id = 1;
  h.producer_epoch = 0;
  auto b = model::assemble_batch(h, records, 1);
  ASSERT_TRUE(b);
  EXPECT_FALSE(model::parse_control_batch(b.value(), model::parse_header(b.value()).value()));
  auto junk = b.value();
  EXPECT_EQ(log->append(junk, timestamp{1}).error(), model::batch_errc::corrupt_records);
  EXPECT_EQ(log->end_offset(), offset{0});
  auto m = marker(1, 0, true);
  auto parsed = model::parse_control_batch(m, model::parse_header(m).value());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().type, model::control_type::commit);
}

}  // namespace
}  // namespace runnel::storage::testing
