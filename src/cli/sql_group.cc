#include "cli/sql_group.h"

#include <algorithm>
#include <cstring>

#include "connect/distributed/group_member.h"

namespace runnel::cli {

namespace {

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

std::string string_of(const std::vector<std::byte>& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// The protocol's name in JoinGroup: a later runnel that changes the
// metadata or plan adds a name of its own.
constexpr const char* protocol_name = "pipelines-v1";

class sql_group final : public sql::group_link {
 public:
  explicit sql_group(connect::group_options o)
      : session_timeout_(o.session_timeout), member_(std::move(o)) {}

  sql::result<joined> join(const std::string& metadata, const assignor& assign,
                           std::chrono::milliseconds timeout) override {
    auto adapt = [&](const std::string& leader_id,
                     const std::vector<connect::group_member::member_metadata>& members) {
      (void)leader_id;
      std::vector<member> in;
      for (const auto& m : members) in.push_back({m.member_id, string_of(m.metadata)});
      std::vector<std::pair<std::string, std::vector<std::byte>>> out;
      for (auto& [id, a] : assign(in)) out.emplace_back(id, bytes_of(a));
      return out;
    };
    auto j = member_.join(protocol_name, bytes_of(metadata), adapt, timeout);
    if (!j) return sql::make_error(sql::errc::connection_failure, -1, "{}", j.error().message);
    joined out;
    out.generation = j.value().generation;
    out.member_id = j.value().member_id;
    out.leader_id = j.value().leader_id;
    out.assignment = string_of(j.value().assignment);
    return out;
  }
  bool needs_rejoin() const override { return member_.needs_rejoin(); }
  void request_rejoin() override { member_.request_rejoin(); }
  void leave() override { member_.leave(); }
  // Three quarters of the session since the coordinator last answered:
  // it drops a member a whole session after its last heartbeat, so the
  // last quarter is the margin for a write under way when the lease ends.
  bool has_lease() const override {
    return std::chrono::steady_clock::now() < member_.confirmed() + session_timeout_ * 3 / 4;
  }

 private:
  std::chrono::milliseconds session_timeout_;
  connect::group_member member_;
};

}  // namespace

std::unique_ptr<sql::group_link> make_sql_group(const std::string& brokers,
                                                const std::string& catalog_topic,
                                                std::chrono::milliseconds session_timeout) {
  connect::group_options o;
  o.bootstrap = brokers;
  o.group_id = "runnel-sql-" + catalog_topic;
  o.protocol_type = "runnel-sql";
  o.client_id = "runnel-sql";
  o.session_timeout = session_timeout;
  // Kafka's rule of thumb: a third of the session, so that two lost
  // heartbeats do not end it.
  o.heartbeat_interval = std::max(std::chrono::milliseconds(100), session_timeout / 3);
  o.rebalance_timeout = std::chrono::milliseconds(30000);
  return std::make_unique<sql_group>(std::move(o));
}

}  // namespace runnel::cli
