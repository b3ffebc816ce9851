// Appends, reads, rolls, timestamp lookups and clean reopen of a partition log.
#include "storage/partition_log.h"

#include <gtest/gtest.h>

#include <tuple>

#include "log_test_util.h"
#include "storage/errc.h"

namespace runnel::storage::testing {
namespace {

using model::offset;
using model::timestamp;

TEST(partition_log, append_assigns_consecutive_offsets) {
  log_fixture fx;
  auto log = fx.open_ok();
  EXPECT_EQ(log->start_offset(), offset{0});
  EXPECT_EQ(log->end_offset(), offset{0});
  auto b1 = make_simple_batch(3);
  auto r1 = log->append(b1, timestamp{5000});
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1.value().base, offset{0});
  EXPECT_EQ(r1.value().last, offset{2});
  auto b2 = make_simple_batch(5);
  auto r2 = log->append(b2, timestamp{5000});
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2.value().base, offset{3});
  EXPECT_EQ(r2.value().last, offset{7});
  EXPECT_EQ(log->end_offset(), offset{8});
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(all[size_t(i)].offset, i);
  EXPECT_EQ(all[3].key, "k0");
}

TEST(partition_log, stored_bytes_are_the_batch_verbatim_with_base_offset) {
  log_fixture fx;
  auto log = fx.open_ok();
  auto first = make_simple_batch(2);
  ASSERT_TRUE(log->append(first, timestamp{1}));
  auto b = make_batch({{-1, "key", "value", 1234}}, model::compression::gzip);
  const bytes sent = b;
  ASSERT_TRUE(log->append(b, timestamp{1}));
  auto r = log->read(offset{2}, 1 << 20);
  ASSERT_TRUE(r);
  auto got = slurp(r.value());
  ASSERT_EQ(got.size(), sent.size());
  // Only the base offset (bytes 0..7) differs from what the producer sent.
  EXPECT_TRUE(std::equal(got.begin() + 8, got.end(), sent.begin() + 8));
  EXPECT_EQ(model::parse_header(got).value().base_offset, 2);
}

TEST(partition_log, invalid_batches_are_rejected_and_change_nothing) {
  log_fixture fx;
  auto log = fx.open_ok();
  auto good = make_simple_batch(2);
  ASSERT_TRUE(log->append(good, timestamp{1}));
  const uint64_t size_before = log->size_bytes();

  auto bad_crc = make_simple_batch(2);
  bad_crc.back() ^= std::byte{1};
  EXPECT_EQ(log->append(bad_crc, timestamp{1}).error(), model::batch_errc::crc_mismatch);

  auto bad_magic = make_simple_batch(2);
  bad_magic[model::batch_layout::magic] = std::byte{1};
  EXPECT_EQ(log->append(bad_magic, timestamp{1}).error(), model::batch_errc::bad_magic);

  auto truncated = make_simple_batch(2);
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(log->append(truncated, timestamp{1}));

  bytes tiny(10);
  EXPECT_FALSE(log->append(tiny, timestamp{1}));

  fx.config.max_message_bytes = 100;
  log->reconfigure(fx.config);
  auto big = make_simple_batch(20);
  EXPECT_EQ(log->append(big, timestamp{1}).error(), model::batch_errc::too_large);

  EXPECT_EQ(log->end_offset(), offset{2});
  EXPECT_EQ(log->size_bytes(), size_before);
  EXPECT_EQ(read_all(*log).size(), 2u);
}

TEST(partition_log, read_from_middle_of_batch_returns_whole_batch) {
  log_fixture fx;
  auto log = fx.open_ok();
  for (int i = 0; i < 4; ++i) {
    auto b = make_simple_batch(10);
    ASSERT_TRUE(log->append(b, timestamp{1}));
  }
  for (int64_t o = 0; o < 40; ++o) {
    auto r = log->read(offset{o}, 1);  // tiny max_bytes: still one whole batch
    ASSERT_TRUE(r);
    ASSERT_EQ(r.value().slices.size(), 1u);
    auto recs = decode(slurp(r.value()));
    ASSERT_EQ(recs.size(), 10u);
    EXPECT_EQ(recs.front().offset, o / 10 * 10);
    EXPECT_EQ(r.value().next, offset{o / 10 * 10 + 10});
  }
}

TEST(partition_log, read_respects_max_bytes_and_upto) {
  log_fixture fx;
  auto log = fx.open_ok();
  size_t batch_size = 0;
  for (int i = 0; i < 10; ++i) {
    auto b = make_simple_batch(5);
    batch_size = b.size();
    ASSERT_TRUE(log->append(b, timestamp{1}));
  }
  auto r = log->read(offset{0}, batch_size * 3 + batch_size / 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().bytes, batch_size * 3);
  EXPECT_EQ(r.value().next, offset{15});

  auto u = log->read(offset{0}, 1 << 20, offset{20});
  ASSERT_TRUE(u);
  EXPECT_EQ(u.value().next, offset{20});
  EXPECT_EQ(decode(slurp(u.value())).size(), 20u);

  auto at_end = log->read(offset{50}, 1 << 20);
  ASSERT_TRUE(at_end);
  EXPECT_TRUE(at_end.value().slices.empty());
  EXPECT_EQ(log->read(offset{51}, 100).error(), storage_errc::offset_out_of_range);
  EXPECT_EQ(log->read(offset{-1}, 100).error(), storage_errc::offset_out_of_range);
}

// Reads near the end of the active segment are answered from the positions
// of its recent batches kept in memory; reads further back, and every read
// after a reopen, scan the file from an index entry. Both must give the same
// ranges.
TEST(partition_log, tail_reads_from_memory_match_reads_from_the_file) {
  log_fixture fx;
  fx.config.index_interval_bytes = 1024;
  struct answer {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    int64_t next;
    bool operator==(const answer&) const = default;
  };
  auto ask = [](partition_log& log, int64_t o, uint64_t max_bytes) {
    auto r = log.read(offset{o}, max_bytes);
    EXPECT_TRUE(r) << r.error().message();
    answer a{{}, r ? r.value().next.value : -1};
    if (r)
      for (const auto& s : r.value().slices) a.ranges.emplace_back(s.pos, s.len);
    return a;
  };
  const std::vector<uint64_t> limits = {1, 200, 1000, 5000, 1 << 20};
  std::vector<answer> from_memory;
  int64_t end = 0;
  {
    auto log = fx.open_ok();
    // More batches than the segment remembers, of 1 to 3 records each.
    for (int i = 0; i < 400; ++i) {
      auto b = make_simple_batch(1 + i % 3);
      ASSERT_TRUE(log->append(b, timestamp{1}));
    }
    end = log->end_offset().value;
    for (int64_t o = 0; o <= end; ++o)
      for (auto m : limits) from_memory.push_back(ask(*log, o, m));
    ASSERT_TRUE(log->close());
  }
  auto log = fx.open_ok();
  size_t i = 0;
  for (int64_t o = 0; o <= end; ++o)
    for (auto m : limits) EXPECT_EQ(ask(*log, o, m), from_memory[i++]) << "offset " << o;
}

TEST(partition_log, rolls_on_segment_bytes_and_reads_across_segments) {
  log_fixture fx;
  fx.config.segment_bytes = 2048;
  auto log = fx.open_ok();
  std::vector<rec> expect;
  for (int i = 0; i < 100; ++i) {
    auto b = make_batch({{-1, "k" + std::to_string(i), std::string(100, 'x'), 1000 + i}});
    ASSERT_TRUE(log->append(b, timestamp{2000}));
    expect.push_back({i, "k" + std::to_string(i), std::string(100, 'x'), 1000 + i});
  }
  EXPECT_GT(log->segment_count(), 5u);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(read_all(*log, 0, 1), expect);       // one batch per read
  EXPECT_EQ(read_all(*log, 0, 100000), expect);  // many segments per read
  for (int64_t o : {0, 17, 18, 19, 50, 99}) {
    auto r = log->read(offset{o}, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(decode(slurp(r.value())).front().offset, o);
  }
}

TEST(partition_log, rolls_on_segment_ms) {
  log_fixture fx;
  fx.config.segment_ms = 1000;
  auto log = fx.open_ok();
  auto b = make_simple_batch(1, 10'000);
  ASSERT_TRUE(log->append(b, timestamp{10'000}));
  b = make_simple_batch(1, 10'500);
  ASSERT_TRUE(log->append(b, timestamp{10'500}));
  EXPECT_EQ(log->segment_count(), 1u);
  b = make_simple_batch(1, 11'001);
  ASSERT_TRUE(log->append(b, timestamp{11'001}));
  EXPECT_EQ(log->segment_count(), 2u);
}

// librdkafka's own test suite (0059-bsearch) produces 1000 records stamped
// from 1000 ms on (1970), in as many batches as its producer happens to
// make, then binary-searches them with seeks: 500, then 249, ... segment.ms
// is measured between record timestamps, as Kafka does, so such a log stays
// one segment and retention (which never removes the active segment) keeps
// it whole. Measured against the broker's clock, every append rolled, and
// the next maintenance tick removed every segment but the last: the fetch
// at 249 answered OFFSET_OUT_OF_RANGE (issue 9, section 5).
TEST(partition_log, records_stamped_long_ago_roll_on_their_own_span_not_the_clock) {
  log_fixture fx;  // default segment.ms and retention.ms: 7 days
  auto log = fx.open_ok();
  const int64_t now = 1'764'000'000'000;  // December 2025
  constexpr int64_t day = 24 * 3600 * 1000;
  int64_t ts = 1000;
  std::vector<rec> all;
  for (int b = 0; b < 10; ++b) {
    std::vector<rec> rs;
    for (int i = 0; i < 100; ++i) {
      rs.push_back({-1, "k", "v" + std::to_string(b * 100 + i), ts});
      ts += 100 + ts % 9;
    }
    auto got = append_records(*log, rs, model::compression::none, now + b);
    all.insert(all.end(), got.begin(), got.end());
  }
  EXPECT_EQ(log->segment_count(), 1u);
  log->maintain(timestamp{now + 1000});
  EXPECT_EQ(log->start_offset(), offset{0});
  for (int64_t o : {500, 249, 124, 357}) {
    auto r = log->read(offset{o}, 1);
    ASSERT_TRUE(r) << o << ": " << r.error().message();
    const auto got = decode(slurp(r.value()));
    ASSERT_FALSE(got.empty()) << o;
    EXPECT_LE(got.front().offset, o);
    EXPECT_GE(got.back().offset, o);
  }
  EXPECT_EQ(read_all(*log), all);
  // A batch stamped segment.ms after the segment's first one (its largest
  // timestamp) rolls, whatever the clock says; one stamped just before does
  // not.
  const int64_t first = all[99].timestamp;
  append_records(*log, {{-1, "k", "a", first + 7 * day - 1}}, model::compression::none, now);
  EXPECT_EQ(log->segment_count(), 1u);
  append_records(*log, {{-1, "k", "b", first + 7 * day}}, model::compression::none, 0);
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST(partition_log, timestamp_lookup_finds_first_record_at_or_after) {
  log_fixture fx;
  fx.config.segment_bytes = 1500;
  fx.config.index_interval_bytes = 200;
  auto log = fx.open_ok();
  // Batch i holds two records, at 1000+10i-5 and 1000+10i (its max).
  for (int i = 0; i < 200; ++i) {
    auto b = make_batch({{-1, "a", "x", 1000 + 10 * i - 5}, {-1, "b", "y", 1000 + 10 * i}});
    ASSERT_TRUE(log->append(b, timestamp{5000}));
  }
  ASSERT_GT(log->segment_count(), 3u);
  // The first record whose timestamp is >= t: the older record of batch i for
  // t in (1000+10(i-1), 995+10i], the newer one for t in (995+10i, 1000+10i].
  auto expected = [](int64_t t) -> rec {
    const int64_t batch = t <= 1000 ? 0 : (t - 1000 + 9) / 10;
    const int64_t first_ts = 1000 + 10 * batch - 5;
    if (t <= first_ts) return {batch * 2, {}, {}, first_ts};
    return {batch * 2 + 1, {}, {}, first_ts + 5};
  };
  auto check_all = [&](partition_log& l) {
    for (int64_t t : {0, 994, 995, 996, 999, 1000, 1001, 1005, 1006, 1009, 1010, 1500, 1503, 2985,
                      2986, 2990}) {
      auto r = l.offset_for_timestamp(timestamp{t});
      ASSERT_TRUE(r);
      ASSERT_TRUE(r.value()) << t;
      EXPECT_EQ(r.value()->offset, offset{expected(t).offset}) << t;
      EXPECT_EQ(r.value()->timestamp, timestamp{expected(t).timestamp}) << t;
    }
    auto none = l.offset_for_timestamp(timestamp{2991});
    ASSERT_TRUE(none);
    EXPECT_FALSE(none.value());
  };
  check_all(*log);
  auto mx = log->max_timestamp();
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->timestamp, timestamp{2990});
  EXPECT_EQ(mx->offset, offset{399});
  // The same answers from closed segments after a clean reopen.
  ASSERT_TRUE(log->close());
  log.reset();
  log = fx.open_ok();
  check_all(*log);
}

// What a client's conformance test checks: two records of one batch, the
// lookup of the second one's timestamp answers the second one's offset.
TEST(partition_log, timestamp_lookup_looks_inside_compressed_batches) {
  for (auto codec : {model::compression::none, model::compression::gzip, model::compression::snappy,
                     model::compression::lz4, model::compression::zstd}) {
    log_fixture fx;
    auto log = fx.open_ok();
    append_records(*log, {{-1, "a", "x", 1000}}, codec);  // offset 0
    append_records(*log, {{-1, "k", "one", 1234}, {-1, "k", "two", 999'999'999'999}}, codec);
    for (auto [t, o, at] : {std::tuple{int64_t{999'999'999'999}, 2, int64_t{999'999'999'999}},
                            {1234, 1, 1234},
                            {1235, 2, 999'999'999'999},
                            {1001, 1, 1234},
                            {0, 0, 1000}}) {
      auto r = log->offset_for_timestamp(timestamp{t});
      ASSERT_TRUE(r) << r.error().message();
      ASSERT_TRUE(r.value()) << t;
      EXPECT_EQ(r.value()->offset, offset{o}) << t << " codec " << int(codec);
      EXPECT_EQ(r.value()->timestamp, timestamp{at}) << t;
    }
    auto none = log->offset_for_timestamp(timestamp{1'000'000'000'000});
    ASSERT_TRUE(none);
    EXPECT_FALSE(none.value());
  }
}

TEST(partition_log, timestamp_lookup_skips_records_below_the_start_offset) {
  log_fixture fx;
  auto log = fx.open_ok();
  append_records(*log, {{-1, "a", "x", 100}, {-1, "b", "y", 200}, {-1, "c", "z", 300}});
  bool done = false;
  log->delete_records(offset{1}, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    done = true;
  });
  ASSERT_TRUE(done);
  auto r = log->offset_for_timestamp(timestamp{50});
  ASSERT_TRUE(r && r.value());
  EXPECT_EQ(r.value()->offset, offset{1});
  EXPECT_EQ(r.value()->timestamp, timestamp{200});
}

TEST(partition_log, timestamp_lookup_in_log_append_time_batches_uses_the_batch_time) {
  log_fixture fx;
  fx.config.log_append_time = true;
  auto log = fx.open_ok();
  append_records(*log, {{-1, "a", "x", 5}, {-1, "b", "y", 7}}, model::compression::none, 100);
  append_records(*log, {{-1, "c", "z", 1}}, model::compression::none, 200);
  auto r = log->offset_for_timestamp(timestamp{150});
  ASSERT_TRUE(r && r.value());
  EXPECT_EQ(r.value()->offset, offset{2});
  EXPECT_EQ(r.value()->timestamp, timestamp{200});
  r = log->offset_for_timestamp(timestamp{6});
  ASSERT_TRUE(r && r.value());
  EXPECT_EQ(r.value()->offset, offset{0});
  EXPECT_EQ(r.value()->timestamp, timestamp{100});
}

TEST(partition_log, log_append_time_stamps_the_batch) {
  log_fixture fx;
  fx.config.log_append_time = true;
  auto log = fx.open_ok();
  auto b = make_simple_batch(3, 111);
  auto r = log->append(b, timestamp{777'000});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().log_append_time, timestamp{777'000});
  auto rd = log->read(offset{0}, 1 << 20);
  auto data = slurp(rd.value());
  auto h = model::parse_header(data).value();
  EXPECT_TRUE(h.is_log_append_time());
  EXPECT_EQ(h.max_timestamp, 777'000);
  model::validate_options vo;
  EXPECT_TRUE(model::validate_batch(data, vo));
}

TEST(partition_log, clean_reopen_scans_nothing_and_continues) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  std::vector<rec> before;
  {
    auto log = fx.open_ok();
    for (int i = 0; i < 200; ++i) {
      auto b = make_simple_batch(2);
      ASSERT_TRUE(log->append(b, timestamp{1}));
    }
    before = read_all(*log);
    ASSERT_TRUE(log->close());
  }
  auto log = fx.open_ok();
  EXPECT_TRUE(log->recovery().clean_shutdown);
  EXPECT_EQ(log->recovery().segments_scanned, 0u);
  EXPECT_EQ(log->recovery().indexes_rebuilt, 0u);
  EXPECT_EQ(read_all(*log), before);
  auto b = make_simple_batch(1);
  EXPECT_EQ(log->append(b, timestamp{1}).value().base, offset{400});
}

TEST(partition_log, crash_reopen_scans_only_the_active_segment) {
  log_fixture fx;
  fx.config.segment_bytes = 4096;
  {
    auto log = fx.open_ok();
    for (int i = 0; i < 200; ++i) {
      auto b = make_simple_batch(2);
      ASSERT_TRUE(log->append(b, timestamp{1}));
    }
    ASSERT_TRUE(log->flush());  // durable, checkpoint written; no clean close
  }
  auto log = fx.open_ok();
  EXPECT_FALSE(log->recovery().clean_shutdown);
  EXPECT_EQ(log->recovery().segments_scanned, 1u);
  EXPECT_EQ(log->end_offset(), offset{400});
  EXPECT_EQ(read_all(*log).size(), 400u);
}

TEST(partition_log, group_commit_covers_many_waiters_with_one_fsync) {
  log_fixture fx;
  // Executors that queue work, so that waiters pile up while a job runs.
  std::vector<task> io, owner;
  log_options o;
  o.dir = fx.dir;
  o.fs = fx.fs;
  o.executors.io = [&](task t) { io.push_back(std::move(t)); };
  o.executors.owner = [&](task t) { owner.push_back(std::move(t)); };
  auto log = std::move(partition_log::open(o)).value();
  int done = 0;
  for (int i = 0; i < 10; ++i) {
    auto b = make_simple_batch(1);
    auto r = log->append(b, timestamp{1});
    ASSERT_TRUE(r);
    log->flush_async(r.value().last + 1, [&](std::error_code ec) {
      EXPECT_FALSE(ec);
      ++done;
    });
  }
  // The first append started a job; the other nine wait for the next one.
  ASSERT_EQ(io.size(), 1u);
  const uint64_t syncs_before = fx.ffs->syncs();
  auto drain = [&] {
    while (!io.empty() || !owner.empty()) {
      auto i = std::move(io);
      io.clear();
      for (auto& t : i) t();
      auto w = std::move(owner);
      owner.clear();
      for (auto& t : w) t();
    }
  };
  drain();
  EXPECT_EQ(done, 10);
  EXPECT_EQ(log->flushed_offset(), offset{10});
  EXPECT_LE(fx.ffs->syncs() - syncs_before, 2u);  // two jobs, one fsync each
}

TEST(partition_log, config_parses_kafka_names) {
  auto c = log_config::from({{"segment.bytes", "1048576"},
                             {"retention.ms", "-1"},
                             {"cleanup.policy", "compact,delete"},
                             {"message.timestamp.type", "LogAppendTime"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value().segment_bytes, 1048576);
  EXPECT_EQ(c.value().retention_ms, -1);
  EXPECT_TRUE(c.value().cleanup_compact);
  EXPECT_TRUE(c.value().cleanup_delete);
  EXPECT_TRUE(c.value().log_append_time);
  EXPECT_EQ(c.value().describe().at("cleanup.policy"), "compact,delete");
  EXPECT_FALSE(log_config::from({{"segment.bytes", "abc"}}));
  EXPECT_FALSE(log_config::from({{"cleanup.policy", "archive"}}));
  EXPECT_FALSE(log_config::from({{"no.such.setting", "1"}}));
  EXPECT_FALSE(log_config::from({{"segment.bytes", "99999999999"}}));
}

TEST(partition_log, fixed_kafka_settings_accept_only_their_value) {
  EXPECT_TRUE(log_config::known("min.insync.replicas"));
  EXPECT_TRUE(log_config::from({{"min.insync.replicas", "1"}}));
  EXPECT_FALSE(log_config::from({{"min.insync.replicas", "2"}}));
  const auto d = log_config{}.describe();
  EXPECT_EQ(d.at("min.insync.replicas"), "1");
  EXPECT_EQ(d.at("unclean.leader.election.enable"), "false");
}

TEST(partition_log, compression_type_takes_kafkas_values) {
  EXPECT_FALSE(log_config::fixed("compression.type"));
  EXPECT_EQ(log_config{}.describe().at("compression.type"), "producer");
  for (auto [name, codec] : {std::pair{"producer", std::optional<model::compression>{}},
                             {"uncompressed", model::compression::none},
                             {"gzip", model::compression::gzip},
                             {"snappy", model::compression::snappy},
                             {"lz4", model::compression::lz4},
                             {"zstd", model::compression::zstd}}) {
    auto c = log_config::from({{"compression.type", name}});
    ASSERT_TRUE(c) << name;
    EXPECT_EQ(c.value().compression, codec) << name;
    EXPECT_EQ(c.value().describe().at("compression.type"), name);
  }
  EXPECT_FALSE(log_config::from({{"compression.type", "brotli"}}));
  EXPECT_FALSE(log_config::from({{"compression.type", "GZIP"}}));
  EXPECT_FALSE(log_config::from({{"compression.type", ""}}));
}

TEST(partition_log, message_format_version_is_accepted_and_ignored) {
  EXPECT_TRUE(log_config::known("message.format.version"));
  EXPECT_EQ(log_config{}.describe().at("message.format.version"), "3.0-IV1");
  for (auto v : {"0.10.0", "2.8", "2.8-IV1", "3.0-IV1", "0.11.0.2"}) {
    auto c = log_config::from({{"message.format.version", v}});
    ASSERT_TRUE(c) << v;
    EXPECT_EQ(c.value().describe().at("message.format.version"), v);
  }
  for (auto v : {"", "x", "3", "3.", ".3", "3..0", "3.0-IV", "3.0-IVx", "3.0-beta"})
    EXPECT_FALSE(log_config::from({{"message.format.version", v}})) << v;
  // No effect on what is stored.
  log_fixture fx;
  fx.config = log_config::from({{"message.format.version", "0.10.0"}}).value();
  auto log = fx.open_ok();
  auto b = make_simple_batch(2);
  const auto sent = b;
  ASSERT_TRUE(log->append(b, timestamp{1}));
  EXPECT_EQ(slurp(log->read(offset{0}, 1 << 20).value()), sent);
}

// compression.type = a codec: every batch is stored in that codec, whatever
// the producer used, with the same records, offsets, timestamps and producer
// fields; a batch already in that codec is stored verbatim.
TEST(partition_log, compression_type_recompresses_batches_in_other_codecs) {
  using model::compression;
  const compression codecs[] = {compression::none, compression::gzip, compression::snappy,
                                compression::lz4, compression::zstd};
  for (auto target : codecs) {
    log_fixture fx;
    fx.config.compression = target;
    fx.config.cleanup_compact = true;  // keys required: the check sees inside
    auto log = fx.open_ok();
    std::vector<rec> want;
    int n = 0;
    for (auto sent : codecs) {
      std::vector<rec> rs;
      for (int i = 0; i < 3; ++i, ++n)
        rs.push_back({-1, "k" + std::to_string(n), std::string(200, char('a' + n % 26)), 100 + n});
      model::batch_builder bb(sent);
      for (const auto& r : rs) bb.add(opt_bytes(r.key), opt_bytes(r.value), timestamp{r.timestamp});
      bb.set_producer(42, 3, n - 3);
      auto b = bb.build().value();
      auto original = b;
      auto r = log->append(b, timestamp{1});
      ASSERT_TRUE(r) << r.error().message();
      for (size_t i = 0; i < rs.size(); ++i) rs[i].offset = r.value().base.value + int64_t(i);
      want.insert(want.end(), rs.begin(), rs.end());
      auto rd = log->read(r.value().base, 1);
      ASSERT_TRUE(rd);
      auto stored = slurp(rd.value());
      std::vector<model::batch_header> hs;
      EXPECT_EQ(decode(stored, &hs), rs);
      ASSERT_EQ(hs.size(), 1u);
      EXPECT_EQ(hs[0].codec(), target) << int(sent) << "->" << int(target);
      EXPECT_EQ(hs[0].producer_id, 42);
      EXPECT_EQ(hs[0].producer_epoch, 3);
      EXPECT_EQ(hs[0].base_sequence, n - 3);
      EXPECT_EQ(hs[0].max_timestamp, 100 + n - 1);
      model::validate_options vo;
      vo.deep = true;
      EXPECT_TRUE(model::validate_batch(stored, vo));
      if (sent == target) {
        model::set_base_offset(original, r.value().base);
        EXPECT_EQ(stored, original) << "a batch already in the codec is stored verbatim";
      }
    }
    EXPECT_EQ(read_all(*log), want);
    // And after a reopen (recovery scans what was written).
    ASSERT_TRUE(log->close());
    log.reset();
    EXPECT_EQ(read_all(*fx.open_ok()), want);
  }
}

TEST(partition_log, recompression_rejects_bad_records_and_oversized_results) {
  log_fixture fx;
  fx.config.compression = model::compression::gzip;
  fx.config.cleanup_compact = true;
  auto log = fx.open_ok();
  // A compressed batch with a keyless record: refused, nothing stored.
  auto keyless = make_batch({{-1, std::nullopt, "v", 1}}, model::compression::lz4);
  EXPECT_EQ(log->append(keyless, timestamp{1}).error(), model::batch_errc::missing_key);
  // Incompressible data grows a little under gzip: past max.message.bytes
  // after re-compression, the batch is refused.
  std::string noise(4000, '\0');
  uint32_t x = 12345;
  for (auto& c : noise) c = char((x = x * 1103515245 + 12345) >> 24);
  auto big = make_batch({{-1, "k", noise, 1}});
  fx.config.max_message_bytes = int64_t(big.size());
  log->reconfigure(fx.config);
  EXPECT_EQ(log->append(big, timestamp{1}).error(), model::batch_errc::too_large);
  EXPECT_EQ(log->end_offset(), offset{0});
}

}  // namespace
}  // namespace runnel::storage::testing
