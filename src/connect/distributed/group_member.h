// group_member: a member of a Kafka group with a protocol of the
// application's own (protocol type "connect"), as Java's AbstractCoordinator
// is: find the coordinator, JoinGroup, let the elected leader compute every
// member's assignment, SyncGroup, then heartbeat from a thread of its own
// until the coordinator says the group is rebalancing (or this member was
// dropped), and LeaveGroup on close.
//
// Versions sent: FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat
// v3, LeaveGroup v3 — non-flexible versions every broker since Kafka 2.3
// (and Kafka 4's, and runnel's) serves.
//
// Thread-safety: join() and leave() from one thread (the herder's); the
// heartbeat thread only sets flags; needs_rejoin() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connect/api/error.h"
#include "connect/distributed/kafka_socket.h"

namespace runnel::connect {

struct group_options {
  std::string bootstrap;
  std::string group_id;
  std::string protocol_type = "connect";
  std::string client_id = "runnel-connect";
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{60000};
  std::chrono::milliseconds heartbeat_interval{3000};
};

struct joined_group {
  int32_t generation = -1;
  std::string member_id;
  std::string leader_id;
  std::vector<std::byte> assignment;  // this member's, as the leader wrote it
};

class group_member {
 public:
  struct member_metadata {
    std::string member_id;
    std::vector<std::byte> metadata;
  };
  // Leader only (`leader_id` is this member): every member's metadata in,
  // (member id, assignment bytes) out.
  using assignor = std::function<std::vector<std::pair<std::string, std::vector<std::byte>>>(
      const std::string& leader_id, const std::vector<member_metadata>& members)>;

  explicit group_member(group_options o);
  ~group_member();

  // Joins with `protocol` (name and metadata) and waits for the assignment.
  result<joined_group> join(const std::string& protocol, const std::vector<std::byte>& metadata,
                            const assignor& assign, std::chrono::milliseconds timeout);
  // The current generation is over (rebalance, session lost).
  bool needs_rejoin() const { return needs_rejoin_.load(); }
  void request_rejoin();
  void leave();
  void set_wakeup(std::function<void()> f);
  // When the coordinator last confirmed this member (a join, or a
  // heartbeat answered without error): it cannot have dropped the member
  // before this plus the session timeout. Epoch: never.
  std::chrono::steady_clock::time_point confirmed() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(confirmed_.load()));
  }

 private:
  result<void> ensure_coordinator(kafka_socket& s, std::chrono::steady_clock::time_point deadline);
  void heartbeat_loop();
  void flag_rejoin();
  void forget_coordinator();

  group_options opts_;
  kafka_socket main_;

  std::mutex mu_;  // what the heartbeat thread reads
  std::string coordinator_host_;
  uint16_t coordinator_port_ = 0;
  std::condition_variable cv_;
  int32_t generation_ = -1;
  std::string member_id_;
  bool joined_ = false;
  bool stop_ = false;
  std::function<void()> wakeup_;
  std::atomic<bool> needs_rejoin_{true};
  std::atomic<std::chrono::steady_clock::rep> confirmed_{0};
  std::thread heartbeat_;
};

}  // namespace runnel::connect
