#include "connect/distributed/connect_member.h"

#include <spdlog/spdlog.h>

#include "connect/distributed/connect_protocol.h"
#include "connect/distributed/group_member.h"

namespace runnel::connect {

namespace {

class connect_member final : public membership {
 public:
  connect_member(group_options o, std::string url) : group_(std::move(o)), url_(std::move(url)) {}

  bool needs_rejoin() override { return group_.needs_rejoin(); }
  void request_rejoin() override { group_.request_rejoin(); }
  void leave() override { group_.leave(); }
  void set_wakeup(std::function<void()> f) override { group_.set_wakeup(std::move(f)); }

  result<work_assignment> join(int64_t config_offset, const assign_fn& assign,
                               std::chrono::milliseconds timeout) override {
    auto assignor = [&](const std::string& leader_id,
                        const std::vector<group_member::member_metadata>& members) {
      std::vector<member_info> infos;
      for (const auto& m : members) {
        if (auto i = decode_member_metadata(m.member_id, m.metadata))
          infos.push_back(std::move(*i));
        else
          spdlog::warn("connect: member {} sent metadata runnel cannot read; it gets nothing",
                       m.member_id);
      }
      auto plan = assign(infos);
      std::vector<std::pair<std::string, std::vector<std::byte>>> out;
      for (const auto& m : members) {
        auto it = plan.find(m.member_id);
        work_assignment a = it != plan.end() ? it->second : work_assignment{};
        a.leader = url_;
        out.emplace_back(m.member_id, encode_assignment(a, leader_id));
      }
      return out;
    };
    CONNECT_TRY(auto j,
                group_.join(connect_protocol_name, encode_member_metadata(url_, config_offset),
                            assignor, timeout));
    auto a = decode_assignment(j.assignment, j.generation);
    if (!a)
      return make_error(errc::fatal, "the group leader sent an assignment runnel cannot read");
    return std::move(a->first);
  }

 private:
  group_member group_;
  std::string url_;
};

}  // namespace

result<std::unique_ptr<membership>> make_connect_member(const worker_config& w) {
  group_options o;
  o.bootstrap = w.bootstrap_servers;
  o.group_id = w.group_id;
  o.client_id = w.client_id.empty() ? "runnel-connect" : w.client_id;
  o.session_timeout = std::chrono::milliseconds(w.session_timeout_ms);
  o.rebalance_timeout = std::chrono::milliseconds(w.rebalance_timeout_ms);
  o.heartbeat_interval = std::chrono::milliseconds(w.heartbeat_interval_ms);
  return std::unique_ptr<membership>(
      std::make_unique<connect_member>(std::move(o), "http://" + w.worker_id() + "/"));
}

}  // namespace runnel::connect
