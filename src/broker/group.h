// One consumer group of the classic group protocol: its members, the state
// of its rebalance and its committed offsets. The transitions themselves are
// driven by group_manager (group_manager.h); this file holds the data and the
// rules that need no I/O: which protocols the members share, which one they
// vote for, whether everybody has rejoined, who is subscribed to what.
//
// States, as in Kafka's GroupCoordinator:
//
//   Empty ──join──► PreparingRebalance ──all rejoined / timeout──► CompletingRebalance
//     ▲                  ▲       │ (no members left)                   │ leader's SyncGroup
//     └──────────────────┼───────┘                                     ▼
//                        └──── join, leave, session expiry ──────── Stable
//   Dead: deleted (DeleteGroups); requests then see it as absent.
//
// Ownership: a group lives on the shard that owns its __consumer_offsets
// partition and is touched only there (DESIGN.md decision 4): no locks.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/completion.h"
#include "kafka/error_code.h"
#include "kafka/messages/join_group.h"

namespace runnel::broker {

namespace asio = boost::asio;
using group_clock = std::chrono::steady_clock;

enum class group_state : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };

// Kafka's names ("Empty", "PreparingRebalance", ...), as DescribeGroups and
// ListGroups report them.
std::string_view state_name(group_state s);
// Case-insensitive, as Kafka parses ListGroups' states filter.
std::optional<group_state> parse_state(std::string_view s);

// What a JoinGroup waiter gets.
struct join_outcome {
  kafka::error_code error = kafka::error_code::none;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<kafka::join_group_response::member> members;  // the leader's only
};

// What a SyncGroup waiter gets.
struct sync_outcome {
  kafka::error_code error = kafka::error_code::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::byte> assignment;
};

using protocol_list = std::vector<kafka::join_group_request::protocol>;

struct group_member {
  std::string id;
  std::optional<std::string> instance_id;  // static membership (KIP-345)
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  protocol_list protocols;  // in the member's order of preference
  std::vector<std::byte> assignment;

  // Set while the member's JoinGroup / SyncGroup waits for the group.
  std::shared_ptr<completion<join_outcome>> awaiting_join;
  std::shared_ptr<completion<sync_outcome>> awaiting_sync;
  // Joined during the current rebalance and not yet through it.
  bool is_new = false;
  group_clock::time_point joined_at{};

  // Session: expires unless a heartbeat, join, sync or commit comes first.
  group_clock::time_point session_deadline{};
  std::unique_ptr<asio::steady_timer> session_timer;

  // Metadata the member gave for `protocol`, or nullptr.
  const std::vector<std::byte>* metadata(std::string_view protocol) const;
};

struct topic_partition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
};

class group {
 public:
  group(std::string id, asio::any_io_executor ex, uint64_t incarnation);
  group(const group&) = delete;
  group& operator=(const group&) = delete;

  const std::string id;
  // Distinguishes this group from a later one of the same id (after
  // DeleteGroups), for work that completes after an fsync.
  const uint64_t incarnation;

  group_state state = group_state::empty;
  int32_t generation = 0;
  // Generations with members formed since this broker started (metrics).
  uint64_t rebalances = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  std::map<std::string, std::unique_ptr<group_member>> members;
  std::map<std::string, std::string> static_members;  // instance id -> member id
  // Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet
  // (KIP-394), each with the timer that forgets it after a session timeout.
  std::map<std::string, std::unique_ptr<asio::steady_timer>> pending_members;
  // Topics the members subscribed to at the current generation; nullopt if
  // unknown (not a "consumer" group, or metadata that does not parse).
  std::optional<std::set<std::string>> subscribed_topics;

  std::map<topic_partition, committed_offset> offsets;
  // Log offset of the newest record written for a key and not yet applied:
  // a commit is applied after its fsync only if nothing newer was written.
  std::map<topic_partition, int64_t> last_write;
  // Offsets written in a producer's transaction (TxnOffsetCommit), by
  // producer id: applied by its commit marker, dropped by its abort marker.
  std::map<int64_t, std::map<topic_partition, committed_offset>> pending_txn;

  // The delayed completion of the join phase.
  asio::steady_timer join_timer;
  uint64_t join_token = 0;  // bumped to orphan an armed timer's handler
  bool join_armed = false;
  bool join_initial = false;  // group.initial.rebalance.delay.ms phase
  int64_t join_delay_ms = 0;
  int64_t join_remaining_ms = 0;
  bool new_member_added = false;

  group_member* find(std::string_view member_id);
  bool is_leader(std::string_view member_id) const { return leader && *leader == member_id; }
  std::optional<std::string> static_member_id(const std::optional<std::string>& instance) const;
  // A known static instance presenting a member id that is not its current one.
  bool static_member_fenced(std::string_view member_id,
                            const std::optional<std::string>& instance) const;

  // Whether a member with these protocols may join: the type must match and
  // at least one protocol must be shared by every member.
  bool supports_protocols(std::string_view type, const protocol_list& protocols) const;
  // The protocol every member supports that most members prefer.
  std::string select_protocol() const;
  bool all_members_joined() const;
  int32_t rebalance_timeout_ms() const;

  void add(std::unique_ptr<group_member> m);
  std::unique_ptr<group_member> remove(std::string_view member_id);

  std::optional<std::set<std::string>> compute_subscribed_topics() const;
  bool is_consumer_group() const { return protocol_type && *protocol_type == "consumer"; }
  bool is_subscribed(std::string_view topic) const {
    return subscribed_topics && subscribed_topics->contains(std::string(topic));
  }
};

// The topic list of a ConsumerProtocolSubscription (any version): int16
// version, then an array of strings. nullopt if the bytes do not parse.
std::optional<std::vector<std::string>> parse_consumer_subscription(std::span<const std::byte> b);

}  // namespace runnel::broker
