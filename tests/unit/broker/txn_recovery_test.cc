// The transaction coordinator at start-up, with a real server in-process: a
// transaction that a crash left in PrepareCommit / PrepareAbort gets its
// markers and is completed before clients are served, and an Ongoing one is
// told to its partitions again.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <filesystem>
#include <random>

#include "broker/async_util.h"
#include "broker/offsets_log.h"
#include "broker/server.h"
#include "broker/txn_coordinator.h"
#include "broker/txn_format.h"
#include "model/record_batch_builder.h"

namespace runnel::broker {
namespace {

namespace asio = boost::asio;
using txn_format::txn_state;

std::filesystem::path temp_dir() {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() / ("runnel-txn-test-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

broker_config config_for(const std::filesystem::path& dir) {
  broker_config c;
  c.data_dir = dir / "data";
  c.listen_port = 0;
  c.shards = 2;
  return c;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A transactional batch of one record from producer `pid`, epoch 0.
model::bytes txn_batch(int64_t pid, int32_t seq) {
  model::bytes records;
  model::encode_record(records, 0, 0, model::as_bytes("k"), model::as_bytes("v"));
  model::batch_header h;
  h.attributes = model::batch_attr::transactional;
  h.base_timestamp = h.max_timestamp = now_ms();
  h.producer_id = pid;
  h.producer_epoch = 0;
  h.base_sequence = seq;
  return model::assemble_batch(h, records, 1).value();
}

struct partition_view {
  int64_t end = -1;
  int64_t lso = -1;
  bool open = false;
  bool allowed = false;
};

asio::awaitable<partition_view> look(shard* sh, std::string topic, int32_t index, int64_t pid) {
  partition_view v;
  if (partition* p = sh->find(topic, index)) {
    v.end = p->log->end_offset().value;
    v.lso = p->log->last_stable_offset().value;
    v.open = p->log->producers().open_transaction(pid).has_value();
    v.allowed = p->txn_producers.count(pid) > 0;
  }
  co_return v;
}

asio::awaitable<bool> append_txn_batch(shard* sh, int64_t pid) {
  partition* p = sh->find("t", 0);
  if (!p) co_return false;
  auto b = txn_batch(pid, 0);
  auto r = p->log->append(b, model::timestamp{now_ms()});
  if (!r) co_return false;
  auto [ec] =
      co_await async_flushed(*p->log, r.value().last + 1, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<bool> write_state(shard* sh, int32_t log_partition, std::string tid,
                                  txn_format::txn_value v) {
  partition* p = sh->find(txn_format::topic_name, log_partition);
  if (!p) co_return false;
  offsets_record r;
  r.key = txn_format::encode_key(tid);
  r.value = txn_format::encode_value(v);
  auto a = append_offsets_batch(*p->log, {r}, now_ms());
  if (!a) co_return false;
  auto [ec] = co_await async_flushed(*p->log, a.value().upto, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<size_t> aborted_count(shard* sh) {
  auto a = sh->find("t", 0)->log->aborted_transactions(model::offset{0}, model::offset{2});
  co_return a ? a.value().size() : size_t(99);
}

asio::awaitable<std::vector<described_txn>> describe(txn_manager* m, std::string tid) {
  std::vector<std::string> ids;
  ids.push_back(std::move(tid));
  auto out = co_await m->describe(std::move(ids));
  co_return out;
}

template <class T>
T run_on(shard& sh, asio::awaitable<T> a) {
  return asio::co_spawn(sh.context(), std::move(a), asio::use_future).get();
}

class txn_recovery : public ::testing::TestWithParam<txn_state> {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_ = temp_dir();
};

TEST_P(txn_recovery, a_prepared_transaction_is_completed_at_start_up) {
  const txn_state prepared = GetParam();
  const bool commit = prepared == txn_state::prepare_commit;
  const std::string tid = "tid-recovered";
  const int64_t pid = 4242;
  {
    server srv(config_for(dir_));
    ASSERT_TRUE(srv.start());
    auto created = asio::co_spawn(srv.shard_at(0).context(), srv.create_topic("t", 1, {}, false),
                                  asio::use_future)
                       .get();
    ASSERT_EQ(created.error, kafka::error_code::none);
    shard& data = srv.owner("t", 0);
    ASSERT_TRUE(run_on(data, append_txn_batch(&data, pid)));
    // What the coordinator had made durable when the process died: the
    // decision, not yet the markers.
    txn_format::txn_value v;
    v.producer_id = pid;
    v.producer_epoch = 0;
    v.timeout_ms = 60000;
    v.state = prepared;
    v.partitions["t"] = {0};
    v.start_ms = v.last_update_ms = now_ms();
    auto& coord = srv.transactions();
    shard& log_owner = coord.shard_for(tid);
    ASSERT_TRUE(run_on(log_owner, write_state(&log_owner, coord.partition_for(tid), tid, v)));
    auto before = run_on(data, look(&data, "t", 0, pid));
    EXPECT_TRUE(before.open);
    EXPECT_EQ(before.lso, before.end - 1);
    srv.shutdown();
  }
  server srv(config_for(dir_));
  ASSERT_TRUE(srv.start());
  shard& data = srv.owner("t", 0);
  // start() returns once prepared transactions have their markers.
  auto after = run_on(data, look(&data, "t", 0, pid));
  EXPECT_FALSE(after.open);
  EXPECT_EQ(after.lso, after.end);
  EXPECT_EQ(after.end, 2);  // the batch and its marker
  auto& coord = srv.transactions();
  shard& log_owner = coord.shard_for(tid);
  auto d = run_on(log_owner, describe(&coord.manager_on(log_owner), tid));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].state, commit ? "CompleteCommit" : "CompleteAbort");
  EXPECT_TRUE(d[0].topics.empty());
  // An abort is in the partition's aborted-transaction index, a commit not.
  auto aborted = run_on(data, aborted_count(&data));
  EXPECT_EQ(aborted, commit ? 0u : 1u);
  srv.shutdown();
}

INSTANTIATE_TEST_SUITE_P(states, txn_recovery,
                         ::testing::Values(txn_state::prepare_commit, txn_state::prepare_abort));

TEST(txn_recovery_ongoing, an_ongoing_transaction_reaches_its_partitions_again) {
  auto dir = temp_dir();
  const std::string tid = "tid-ongoing";
  const int64_t pid = 77;
  {
    server srv(config_for(dir));
    ASSERT_TRUE(srv.start());
    auto created = asio::co_spawn(srv.shard_at(0).context(), srv.create_topic("t", 1, {}, false),
                                  asio::use_future)
                       .get();
    ASSERT_EQ(created.error, kafka::error_code::none);
    txn_format::txn_value v;
    v.producer_id = pid;
    v.producer_epoch = 0;
    v.timeout_ms = 600000;
    v.state = txn_state::ongoing;
    v.partitions["t"] = {0};
    v.start_ms = v.last_update_ms = now_ms();
    auto& coord = srv.transactions();
    shard& log_owner = coord.shard_for(tid);
    ASSERT_TRUE(run_on(log_owner, write_state(&log_owner, coord.partition_for(tid), tid, v)));
    srv.shutdown();
  }
  server srv(config_for(dir));
  ASSERT_TRUE(srv.start());
  shard& data = srv.owner("t", 0);
  auto view = run_on(data, look(&data, "t", 0, pid));
  EXPECT_TRUE(view.allowed);  // its first write there will be accepted
  EXPECT_FALSE(view.open);
  srv.shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace runnel::broker
