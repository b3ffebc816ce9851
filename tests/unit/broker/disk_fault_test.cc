// What the broker does when its disk fails (DESIGN.md decisions 3 and 6),
// end to end: a real server on the fault-injecting file system, real Kafka
// requests over TCP. The rule in every case: a client gets an error, never a
// false acknowledgement, and everything acknowledged survives a restart and a
// power loss. docs/operations.md ("Disk faults") describes the behaviour.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <system_error>
#include <thread>

#include "broker/errc.h"
#include "broker_harness.h"

namespace runnel::broker::testing {
namespace {

const auto eio = std::make_error_code(std::errc::io_error);
const auto enospc = std::make_error_code(std::errc::no_space_on_device);

// What a test believes is stored: acknowledged records by offset.
using acked_map = std::map<int64_t, std::string>;

void remember(acked_map& acked, const kafka::produce_response::partition& r,
              const std::string& prefix, int n, size_t pad = 0) {
  ASSERT_EQ(r.error_code, 0);
  for (int i = 0; i < n; ++i) acked[r.base_offset + i] = value_of(prefix, i, pad);
}

// Every acknowledged record is in the partition, at its acknowledged offset,
// and the offsets have no holes.
void expect_all_there(kafka_client& c, const std::string& topic, int32_t partition,
                      const acked_map& acked) {
  auto [recs, err] = c.fetch_all(topic, partition);
  ASSERT_EQ(err, 0);
  std::map<int64_t, std::string> got;
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].offset, int64_t(i)) << "a hole or a repeat in the offsets";
    got[recs[i].offset] = recs[i].value;
  }
  for (const auto& [o, v] : acked) {
    auto it = got.find(o);
    ASSERT_NE(it, got.end()) << "acknowledged offset " << o << " of " << topic << " is lost";
    EXPECT_EQ(it->second, v) << "offset " << o;
  }
}

TEST(disk_faults, failed_fsync_stops_the_partition_until_it_is_reopened) {
  in_process_broker b;
  b.start();
  acked_map a, other;
  {
    kafka_client c(b.port());
    remember(a, c.produce("a", 0, make_batch("a0", 3)), "a0", 3);
    remember(other, c.produce("b", 0, make_batch("b0", 3)), "b0", 3);

    b.fs.fail_sync(1, eio);  // the group commit of the next acks=all produce
    auto r = c.produce("a", 0, make_batch("a1", 3));
    EXPECT_EQ(r.error_code, kafka_storage_error) << "acknowledged although the fsync failed";
    // Never again, whatever the acks, even though the disk works now.
    EXPECT_EQ(c.produce("a", 0, make_batch("a2", 3)).error_code, kafka_storage_error);
    EXPECT_EQ(c.produce("a", 0, make_batch("a3", 3), 1).error_code, kafka_storage_error);
    // The other partition goes on.
    remember(other, c.produce("b", 0, make_batch("b1", 3)), "b1", 3);
  }
  // A restart reopens (and recovers) the log; the power loss drops what the
  // failed fsync never made durable.
  b.stop_and_lose_power();
  b.start();
  kafka_client c(b.port());
  remember(a, c.produce("a", 0, make_batch("a4", 3)), "a4", 3);
  expect_all_there(c, "a", 0, a);
  expect_all_there(c, "b", 0, other);
  auto [recs, err] = c.fetch_all("a", 0);
  for (const auto& r : recs) EXPECT_NE(r.value.substr(0, 3), "a1-") << "never-durable data back";
}

// A segment roll writes the old segment's indexes and creates the next
// segment; a write or an fsync failing anywhere around it must not lose or
// falsely acknowledge anything. Each round fails the k-th write (or sync)
// from the produce that rolls.
TEST(disk_faults, failure_in_the_middle_of_a_segment_roll) {
  constexpr size_t pad = 900;  // ~1 KiB records: a roll every few batches
  for (int mode = 0; mode < 2; ++mode) {
    for (uint64_t k = 1; k <= 6; ++k) {
      SCOPED_TRACE((mode == 0 ? "write " : "sync ") + std::to_string(k));
      auto cfg = small_config();
      cfg.log_defaults.segment_bytes = 8 * 1024;
      in_process_broker b(cfg);
      b.start();
      acked_map acked;
      int round = 0;
      {
        kafka_client c(b.port());
        // Two batches of 3 KiB fill the first segment; the third rolls.
        for (; round < 2; ++round) {
          const auto p = "r" + std::to_string(round);
          remember(acked, c.produce("t", 0, make_batch(p, 3, pad)), p, 3, pad);
        }
        if (mode == 0)
          b.fs.fail_write(k, eio);
        else
          b.fs.fail_sync(k, eio);
        for (; round < 8; ++round) {
          const auto p = "r" + std::to_string(round);
          auto r = c.produce("t", 0, make_batch(p, 3, pad));
          if (r.error_code == 0)
            remember(acked, r, p, 3, pad);
          else
            EXPECT_EQ(r.error_code, kafka_storage_error);
        }
        // Whatever happened, what is acknowledged reads back now ...
        expect_all_there(c, "t", 0, acked);
      }
      // ... and after a restart with a power loss.
      b.stop_and_lose_power();
      b.fs.clear_faults();
      b.start();
      kafka_client c(b.port());
      expect_all_there(c, "t", 0, acked);
      // And the partition takes appends again.
      remember(acked, c.produce("t", 0, make_batch("after", 3, pad)), "after", 3, pad);
      expect_all_there(c, "t", 0, acked);
    }
  }
}

TEST(disk_faults, enospc_on_append_is_a_clean_error_and_recovers_when_space_frees) {
  in_process_broker b;
  b.start();
  acked_map a, other;
  {
    kafka_client c(b.port());
    remember(a, c.produce("a", 0, make_batch("a0", 3, 2000)), "a0", 3, 2000);
    remember(other, c.produce("b", 0, make_batch("b0", 3)), "b0", 3);

    // One append runs out of space half-way through its batch.
    b.fs.fail_write(1, enospc, 3000);
    EXPECT_EQ(c.produce("a", 0, make_batch("a1", 3, 2000)).error_code, kafka_storage_error);
    // The other partition keeps serving, and so does this one: the partial
    // batch was cut away, so a shorter batch after it reads back cleanly.
    remember(other, c.produce("b", 0, make_batch("b1", 3)), "b1", 3);
    remember(a, c.produce("a", 0, make_batch("a2", 1)), "a2", 1);
    expect_all_there(c, "a", 0, a);

    // Then the disk is full for a while: appends fail cleanly (acks=1 and
    // acks=all), reads go on.
    b.fs.fail_writes_from(1, enospc);
    EXPECT_EQ(c.produce("a", 0, make_batch("a3", 3), 1).error_code, kafka_storage_error);
    EXPECT_EQ(c.produce("a", 0, make_batch("a4", 3)).error_code, kafka_storage_error);
    EXPECT_EQ(c.produce("b", 0, make_batch("b2", 3)).error_code, kafka_storage_error);
    expect_all_there(c, "a", 0, a);
    expect_all_there(c, "b", 0, other);

    // Space frees: both partitions take appends again, without a restart.
    b.fs.clear_faults();
    remember(a, c.produce("a", 0, make_batch("a5", 3)), "a5", 3);
    remember(other, c.produce("b", 0, make_batch("b3", 3)), "b3", 3);
    expect_all_there(c, "a", 0, a);
  }
  b.stop_and_lose_power();
  b.start();
  kafka_client c(b.port());
  expect_all_there(c, "a", 0, a);
  expect_all_there(c, "b", 0, other);
}

// write.caching answers acks=all from the page cache (Kafka's behaviour on
// one node): no fsync on the request's path, so a failing or slow disk does
// not hold the answer back. It is a topic setting that applies at once. A
// clean stop still flushes what it cached.
TEST(disk_faults, write_caching_answers_acks_all_without_an_fsync) {
  in_process_broker b;
  b.start();
  acked_map a;
  {
    kafka_client c(b.port());
    // Without write.caching this acks=all produce waits for its fsync, which
    // also syncs the new partition's files: no background sync is left.
    remember(a, c.produce("a", 0, make_batch("a0", 3)), "a0", 3);
    ASSERT_EQ(c.set_topic_config("a", "write.caching", "true"), 0);
    const auto syncs = b.fs.syncs();
    b.fs.fail_sync(1, eio);  // would fail an fsync made for this produce
    remember(a, c.produce("a", 0, make_batch("a1", 3)), "a1", 3);
    EXPECT_EQ(b.fs.syncs(), syncs) << "acks=all fsynced although the topic caches writes";
    b.fs.clear_faults();
    expect_all_there(c, "a", 0, a);
  }
  b.stop_and_lose_power();
  b.start();
  kafka_client c(b.port());
  expect_all_there(c, "a", 0, a);
}

// The background flush bounds what write.caching leaves unsynced: within
// flush.ms of a produce its data is fsynced without any request asking.
TEST(disk_faults, write_caching_flushes_within_flush_ms) {
  auto cfg = small_config();
  cfg.log_defaults.write_caching = true;
  cfg.log_defaults.flush_ms = 50;
  in_process_broker b(cfg);
  b.start();
  kafka_client c(b.port());
  ASSERT_EQ(c.produce("a", 0, make_batch("a0", 3)).error_code, 0);
  const auto syncs = b.fs.syncs();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (b.fs.syncs() == syncs && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT(b.fs.syncs(), syncs) << "no background fsync within 10 s (flush.ms 50)";
}

bytes as_bytes(std::string_view s) {
  auto p = reinterpret_cast<const std::byte*>(s.data());
  return bytes(p, p + s.size());
}

// meta/topics.json is replaced atomically, so a write that fails half-way
// (and a power loss after it) leaves the old version; a file that is torn
// anyway (a file system without atomic rename) stops the start-up with a
// clear error instead of a broker that forgot its topics.
TEST(disk_faults, torn_topics_json_at_restart) {
  in_process_broker b;
  b.start();
  acked_map a;
  {
    kafka_client c(b.port());
    remember(a, c.produce("a", 0, make_batch("a0", 3)), "a0", 3);
    // The next metadata write (its .tmp file) tears after 20 bytes.
    b.fs.fail_write(1, eio, 20);
    EXPECT_EQ(c.create_topic("new-topic", 2), kafka_storage_error);
  }
  b.stop_and_lose_power();
  b.start();  // the old topics.json: "a" and __consumer_offsets
  {
    kafka_client c(b.port());
    expect_all_there(c, "a", 0, a);
    EXPECT_EQ(c.create_topic("new-topic", 2), 0);
  }
  b.stop();

  const std::filesystem::path meta = "/data/meta/topics.json";
  const auto whole = b.fs.contents(meta);
  ASSERT_GT(whole.size(), 40u);
  for (size_t keep : {size_t{0}, size_t{1}, whole.size() / 2, whole.size() - 2}) {
    SCOPED_TRACE("topics.json cut to " + std::to_string(keep) + " bytes");
    b.fs.set_contents(meta, bytes(whole.begin(), whole.begin() + ptrdiff_t(keep)));
    EXPECT_EQ(b.try_start(), make_error_code(broker_errc::damaged_metadata));
  }
  b.fs.set_contents(meta, as_bytes(R"({"version": 1})"));
  EXPECT_EQ(b.try_start(), make_error_code(broker_errc::damaged_metadata));
  // Put back, it starts with everything.
  b.fs.set_contents(meta, whole);
  b.start();
  kafka_client c(b.port());
  expect_all_there(c, "a", 0, a);
}

// meta/producer_ids holds the end of the last reserved block of producer
// ids. Torn, it could read as a smaller number ("1000\n" -> "10") and ids
// would be handed out twice, so a damaged file stops the start-up.
TEST(disk_faults, torn_producer_id_file_at_restart) {
  in_process_broker b;
  b.start();
  int64_t first = -1;
  {
    kafka_client c(b.port());
    first = c.init_producer_id().first;
    ASSERT_GE(first, 0);
  }
  b.restart();
  {
    kafka_client c(b.port());
    EXPECT_GE(c.init_producer_id().first, first + 1) << "an id handed out twice";
  }
  b.stop();
  const std::filesystem::path file = "/data/meta/producer_ids";
  const auto whole = b.fs.contents(file);
  ASSERT_GE(whole.size(), 3u);
  for (size_t keep : {size_t{0}, size_t{1}, whole.size() - 1}) {
    SCOPED_TRACE("producer_ids cut to " + std::to_string(keep) + " bytes");
    b.fs.set_contents(file, bytes(whole.begin(), whole.begin() + ptrdiff_t(keep)));
    EXPECT_EQ(b.try_start(), make_error_code(broker_errc::damaged_metadata));
  }
  b.fs.set_contents(file, as_bytes("12x4\n"));
  EXPECT_EQ(b.try_start(), make_error_code(broker_errc::damaged_metadata));
  b.fs.set_contents(file, whole);
  b.start();
  kafka_client c(b.port());
  EXPECT_GT(c.init_producer_id().first, first);
}

}  // namespace
}  // namespace runnel::broker::testing
