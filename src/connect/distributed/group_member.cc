#include "connect/distributed/group_member.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kafka/api.h"
#include "kafka/error_code.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/sync_group.h"

namespace runnel::connect {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using kec = kafka::error_code;

constexpr int16_t find_coordinator_v = 2;
constexpr int16_t join_group_v = 5;
constexpr int16_t sync_group_v = 3;
constexpr int16_t heartbeat_v = 3;
constexpr int16_t leave_group_v = 3;

bool is(int16_t code, kec e) {
  return code == static_cast<int16_t>(e);
}

bool coordinator_error(int16_t code) {
  return is(code, kec::coordinator_not_available) || is(code, kec::not_coordinator) ||
         is(code, kec::coordinator_load_in_progress);
}

std::chrono::milliseconds left(clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
}

}  // namespace

group_member::group_member(group_options o) : opts_(std::move(o)) {
  main_.client_id = opts_.client_id;
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

group_member::~group_member() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void group_member::set_wakeup(std::function<void()> f) {
  std::lock_guard lock(mu_);
  wakeup_ = std::move(f);
}

void group_member::flag_rejoin() {
  std::function<void()> w;
  {
    std::lock_guard lock(mu_);
    w = wakeup_;
  }
  if (!needs_rejoin_.exchange(true) && w) w();
}

void group_member::forget_coordinator() {
  std::lock_guard lock(mu_);
  coordinator_port_ = 0;
}

void group_member::request_rejoin() {
  flag_rejoin();
}

result<void> group_member::ensure_coordinator(kafka_socket& s, clock::time_point deadline) {
  if (s.connected()) return ok();
  std::string last = "no bootstrap server";
  while (clock::now() < deadline) {
    std::string host;
    uint16_t port;
    {
      std::lock_guard lock(mu_);
      host = coordinator_host_;
      port = coordinator_port_;
    }
    if (port != 0) {
      auto c = kafka_socket::connect(host, port, std::min(left(deadline), 10000ms));
      if (c) {
        s = std::move(c).value();
        s.client_id = opts_.client_id;
        return ok();
      }
      last = c.error().message;
      forget_coordinator();
    }
    for (const auto& [bhost, bport] : parse_bootstrap(opts_.bootstrap)) {
      auto b = kafka_socket::connect(bhost, bport, std::min(left(deadline), 10000ms));
      if (!b) {
        last = b.error().message;
        continue;
      }
      b.value().client_id = opts_.client_id;
      kafka::find_coordinator_request req;
      req.key = opts_.group_id;
      req.key_type = 0;
      auto resp = b.value().call<kafka::find_coordinator_request, kafka::find_coordinator_response>(
          int16_t(kafka::api_key::find_coordinator), find_coordinator_v, req,
          std::min(left(deadline), 10000ms));
      if (!resp) {
        last = resp.error().message;
        continue;
      }
      if (resp.value().error_code != 0) {
        last = fmt::format("FindCoordinator error {}", resp.value().error_code);
        continue;
      }
      std::lock_guard lock(mu_);
      coordinator_host_ = resp.value().host;
      coordinator_port_ = uint16_t(resp.value().port);
      port = coordinator_port_;
      break;
    }
    if (port == 0) std::this_thread::sleep_for(200ms);
  }
  return make_error(errc::retriable, fmt::format("cannot reach the coordinator of group {}: {}",
                                                 opts_.group_id, last));
}

result<joined_group> group_member::join(const std::string& protocol,
                                        const std::vector<std::byte>& metadata,
                                        const assignor& assign, std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    joined_ = false;  // no heartbeats while the generation changes
  }
  needs_rejoin_.store(false);
  const auto deadline = clock::now() + timeout;
  std::string member_id;
  {
    std::lock_guard lock(mu_);
    member_id = member_id_;
  }
  std::string last;
  while (clock::now() < deadline) {
    CONNECT_TRY(ensure_coordinator(main_, deadline));
    kafka::join_group_request jr;
    jr.group_id = opts_.group_id;
    jr.session_timeout_ms = int32_t(opts_.session_timeout.count());
    jr.rebalance_timeout_ms = int32_t(opts_.rebalance_timeout.count());
    jr.member_id = member_id;
    jr.protocol_type = opts_.protocol_type;
    jr.protocols.push_back({protocol, metadata});
    // JoinGroup waits until every member rejoined: up to the rebalance timeout.
    auto jresp = main_.call<kafka::join_group_request, kafka::join_group_response>(
        int16_t(kafka::api_key::join_group), join_group_v, jr,
        std::min(left(deadline), opts_.rebalance_timeout + 5000ms));
    if (!jresp) {
      last = jresp.error().message;
      main_.close();
      std::this_thread::sleep_for(100ms);
      continue;
    }
    auto& j = jresp.value();
    if (is(j.error_code, kec::member_id_required)) {
      member_id = j.member_id;
      continue;
    }
    if (is(j.error_code, kec::unknown_member_id)) {
      member_id.clear();
      continue;
    }
    if (coordinator_error(j.error_code)) {
      main_.close();
      forget_coordinator();
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (is(j.error_code, kec::rebalance_in_progress)) continue;
    if (j.error_code != 0)
      return make_error(errc::fatal, fmt::format("JoinGroup of group {} failed with error {}",
                                                 opts_.group_id, j.error_code));
    member_id = j.member_id;
    kafka::sync_group_request sr;
    sr.group_id = opts_.group_id;
    sr.generation_id = j.generation_id;
    sr.member_id = member_id;
    if (j.leader == j.member_id) {
      std::vector<member_metadata> members;
      for (auto& m : j.members) members.push_back({m.member_id, m.metadata});
      for (auto& [id, bytes] : assign(j.member_id, members))
        sr.assignments.push_back({id, std::move(bytes)});
    }
    auto sresp = main_.call<kafka::sync_group_request, kafka::sync_group_response>(
        int16_t(kafka::api_key::sync_group), sync_group_v, sr, std::min(left(deadline), 30000ms));
    if (!sresp) {
      last = sresp.error().message;
      main_.close();
      continue;
    }
    auto& s = sresp.value();
    if (is(s.error_code, kec::unknown_member_id)) {
      member_id.clear();
      continue;
    }
    if (coordinator_error(s.error_code)) {
      main_.close();
      forget_coordinator();
      continue;
    }
    if (is(s.error_code, kec::rebalance_in_progress) || is(s.error_code, kec::illegal_generation))
      continue;
    if (s.error_code != 0)
      return make_error(errc::fatal, fmt::format("SyncGroup of group {} failed with error {}",
                                                 opts_.group_id, s.error_code));
    {
      std::lock_guard lock(mu_);
      generation_ = j.generation_id;
      member_id_ = member_id;
      joined_ = true;
    }
    confirmed_.store(clock::now().time_since_epoch().count());
    cv_.notify_all();
    joined_group out{j.generation_id, member_id, j.leader, std::move(s.assignment)};
    // A rebalance the heartbeat saw during the join is this join's.
    return out;
  }
  needs_rejoin_.store(true);
  return make_error(errc::timeout, fmt::format("joining group {} timed out{}", opts_.group_id,
                                               last.empty() ? "" : ": " + last));
}

void group_member::heartbeat_loop() {
  kafka_socket s;
  s.client_id = opts_.client_id;
  auto last_ok = clock::now();
  for (;;) {
    int32_t generation;
    std::string member_id, host;
    uint16_t port;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, opts_.heartbeat_interval, [&] { return stop_; });
      if (stop_) return;
      if (!joined_ || needs_rejoin_.load()) {
        last_ok = clock::now();
        continue;
      }
      generation = generation_;
      member_id = member_id_;
      host = coordinator_host_;
      port = coordinator_port_;
    }
    const auto deadline = clock::now() + opts_.session_timeout;
    if (!s.connected()) {
      if (port == 0) {
        flag_rejoin();
        continue;
      }
      auto c = kafka_socket::connect(host, port, 5000ms);
      if (!c) {
        if (clock::now() - last_ok > opts_.session_timeout) flag_rejoin();
        continue;
      }
      s = std::move(c).value();
      s.client_id = opts_.client_id;
    }
    kafka::heartbeat_request hr;
    hr.group_id = opts_.group_id;
    hr.generation_id = generation;
    hr.member_id = member_id;
    auto r = s.call<kafka::heartbeat_request, kafka::heartbeat_response>(
        int16_t(kafka::api_key::heartbeat), heartbeat_v, hr, left(deadline));
    if (!r) {
      s.close();
      // The coordinator will drop us after the session timeout: by then,
      // stop the work, as the others will take it.
      if (clock::now() - last_ok > opts_.session_timeout) flag_rejoin();
      continue;
    }
    const int16_t code = r.value().error_code;
    if (code == 0) {
      last_ok = clock::now();
      confirmed_.store(last_ok.time_since_epoch().count());
      continue;
    }
    if (coordinator_error(code)) {
      s.close();
      flag_rejoin();
      continue;
    }
    if (is(code, kec::unknown_member_id)) {
      std::lock_guard lock(mu_);
      member_id_.clear();
    }
    spdlog::info("connect: group {}: heartbeat says {}; rejoining", opts_.group_id,
                 is(code, kec::rebalance_in_progress) ? "a rebalance is in progress"
                                                      : fmt::format("error {}", code));
    flag_rejoin();
  }
}

void group_member::leave() {
  std::string member_id;
  {
    std::lock_guard lock(mu_);
    member_id = member_id_;
    joined_ = false;
  }
  if (member_id.empty() || !main_.connected()) return;
  kafka::leave_group_request lr;
  lr.group_id = opts_.group_id;
  lr.members.push_back({member_id, std::nullopt});
  (void)main_.call<kafka::leave_group_request, kafka::leave_group_response>(
      int16_t(kafka::api_key::leave_group), leave_group_v, lr, 5000ms);
  main_.close();
}

}  // namespace runnel::connect
