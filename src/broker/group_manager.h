// group_manager: the classic consumer-group coordinator for the groups of
// one shard, i.e. the groups whose __consumer_offsets partition that shard
// owns (group_coordinator.h maps a group to its shard).
//
// It follows Kafka's GroupCoordinator: JoinGroup (with KIP-394's
// MEMBER_ID_REQUIRED and KIP-345's static members), SyncGroup, Heartbeat,
// LeaveGroup, session and rebalance timeouts, group.initial.rebalance.delay.ms,
// and the committed offsets of each group, written to __consumer_offsets and
// answered only once fsynced.
//
// Threading: every member function runs on the owning shard's thread, so
// nothing here takes a lock. Handlers reach it with
//   co_await asio::co_spawn(shard.context(), mgr.join(args), use_awaitable)
// The coroutines take their arguments by value; they may suspend (a join
// waits for the rebalance, a commit for its fsync) and other requests for the
// same groups run meanwhile, so nothing holds a group reference across a
// suspension.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/group.h"
#include "broker/offsets_log.h"
#include "kafka/error_code.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/list_groups.h"

namespace runnel::broker {

class server;
class shard;

struct join_args {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  protocol_list protocols;
  bool require_known_member_id = false;  // JoinGroup v4+ from a dynamic member
};

struct sync_args {
  std::string group_id;
  int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, std::vector<std::byte>>> assignments;
};

struct heartbeat_args {
  std::string group_id;
  int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> instance_id;
};

struct leave_member {
  std::string member_id;
  std::optional<std::string> instance_id;
};

struct leave_outcome {
  kafka::error_code error = kafka::error_code::none;
  std::vector<kafka::error_code> members;  // one per leave_member
};

struct commit_item {
  topic_partition tp;
  committed_offset value;
};

struct commit_args {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<commit_item> items;
};

struct fetched_offset {
  topic_partition tp;
  std::optional<committed_offset> value;  // nullopt: nothing committed
  bool unstable = false;                  // a transaction holds an offset for it, not yet committed
};

// TxnOffsetCommit: offsets written in a producer's transaction, applied when
// its commit marker reaches the group's __consumer_offsets partition.
struct txn_commit_args {
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t generation = -1;  // v3+ (KIP-447); -1: not checked
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<commit_item> items;
};

struct offset_delete_outcome {
  kafka::error_code error = kafka::error_code::none;
  std::vector<kafka::error_code> partitions;  // one per requested partition
};

using described_group = kafka::describe_groups_response::described_group;
using listed_group = kafka::list_groups_response::listed_group;

class group_manager {
 public:
  // `offsets_partitions`: the partition count of __consumer_offsets.
  group_manager(server& srv, shard& sh, int32_t offsets_partitions);
  ~group_manager();
  group_manager(const group_manager&) = delete;
  group_manager& operator=(const group_manager&) = delete;

  // Start-up, before the shard runs: one record of this shard's
  // __consumer_offsets partitions, in log order (txn_producer_id >= 0: written
  // in that producer's transaction, pending until its marker); then
  // finish_load() once.
  void replay(std::span<const std::byte> key, std::optional<std::span<const std::byte>> value,
              int64_t offset, int64_t txn_producer_id = -1);
  void finish_load();
  // Broker shutdown: answers every waiting JoinGroup and SyncGroup with
  // NOT_COORDINATOR (clients look for the coordinator again and rejoin once
  // it is back), stops the timers, and refuses further joins.
  void shutdown();

  boost::asio::awaitable<join_outcome> join(join_args a);
  boost::asio::awaitable<sync_outcome> sync(sync_args a);
  boost::asio::awaitable<kafka::error_code> heartbeat(heartbeat_args a);
  boost::asio::awaitable<leave_outcome> leave(std::string group_id,
                                              std::vector<leave_member> members);

  boost::asio::awaitable<std::vector<kafka::error_code>> commit(commit_args a);
  // group_txn_offsets.cc: TxnOffsetCommit, and the marker that ends the
  // transaction in __consumer_offsets partition `offsets_partition` (at
  // start-up or once a marker written by the transaction coordinator is
  // durable): commit applies the producer's pending offsets, abort drops them.
  boost::asio::awaitable<std::vector<kafka::error_code>> txn_commit(txn_commit_args a);
  void complete_txn(int64_t producer_id, int32_t offsets_partition, bool commit);
  // parts == nullopt: every committed offset of the group.
  boost::asio::awaitable<std::vector<fetched_offset>> fetch_offsets(
      std::string group_id, std::optional<std::vector<topic_partition>> parts);
  boost::asio::awaitable<offset_delete_outcome> delete_offsets(std::string group_id,
                                                               std::vector<topic_partition> parts);

  boost::asio::awaitable<std::vector<described_group>> describe(std::vector<std::string> ids,
                                                                bool include_operations);
  // Empty filter: every group.
  boost::asio::awaitable<std::vector<listed_group>> list(std::vector<group_state> states);
  boost::asio::awaitable<std::vector<kafka::error_code>> delete_groups(
      std::vector<std::string> ids);

  // What the metrics collector reads, on this shard (group_stats.cc).
  struct group_stats {
    std::string id;
    group_state state = group_state::empty;
    size_t members = 0;
    int32_t generation = 0;
    uint64_t rebalances = 0;
    std::vector<std::pair<topic_partition, int64_t>> offsets;  // committed
  };
  std::vector<group_stats> stats() const;

 private:
  using join_waiter = std::shared_ptr<completion<join_outcome>>;

  group* find(const std::string& id);
  group& get_or_create(const std::string& id);

  // JoinGroup paths (Kafka's doUnknownJoinGroup / doCurrentMemberJoinGroup).
  void do_join(join_args& a, const join_waiter& w);
  void unknown_member_join(group& g, join_args& a, const join_waiter& w);
  void current_member_join(group& g, join_args& a, const join_waiter& w);
  void add_member_and_rebalance(group& g, std::string member_id, join_args& a,
                                const join_waiter& w);
  void update_member_and_rebalance(group& g, group_member& m, join_args& a, const join_waiter& w);
  void update_static_member_and_rebalance(group& g, std::string new_id, join_args& a,
                                          const join_waiter& w);
  join_outcome generation_outcome(const group& g, const group_member& m, bool leader_view) const;

  // The rebalance.
  void maybe_prepare_rebalance(group& g);
  void prepare_rebalance(group& g);
  void arm_join_timer(group& g, int64_t delay_ms);
  void on_join_timer(const std::string& id, uint64_t incarnation, uint64_t token);
  void try_complete_join(group& g);
  void complete_join(group& g);
  void init_next_generation(group& g);
  void reset_assignments(group& g, kafka::error_code error);
  void set_assignments(group& g,
                       std::vector<std::pair<std::string, std::vector<std::byte>>> assignments);

  // Liveness.
  void schedule_session(group& g, group_member& m);
  void on_session_timer(const std::string& id, uint64_t incarnation, const std::string& member);
  void add_pending_member(group& g, const std::string& member_id, int32_t session_timeout_ms);
  void remove_member_and_update_group(group& g, const std::string& member_id);

  // __consumer_offsets.
  storage::partition_log* offsets_log(const std::string& group_id);
  // Appends without waiting for the fsync (group metadata).
  void store_group(group& g);
  // Appends one batch to the group's partition (at once, no suspension);
  // wait_durable() then waits for its fsync.
  struct pending_write {
    kafka::error_code error = kafka::error_code::none;
    int64_t base = -1;  // log offset of the first record
    int64_t upto = -1;  // durable once flushed below this
  };
  pending_write append_records(const std::string& group_id,
                               const std::vector<offsets_record>& records);
  boost::asio::awaitable<kafka::error_code> wait_durable(std::string group_id, int64_t upto);

  server& srv_;
  shard& sh_;
  int32_t partitions_;
  std::unordered_map<std::string, std::unique_ptr<group>> groups_;
  // Producers with transactional offsets pending, and in which groups.
  std::unordered_map<int64_t, std::set<std::string>> txn_groups_;
  uint64_t next_incarnation_ = 1;
  bool stopping_ = false;
};

}  // namespace runnel::broker
