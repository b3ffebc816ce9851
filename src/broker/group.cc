#include "broker/group.h"

#include <algorithm>
#include <cctype>

#include "kafka/wire.h"

namespace runnel::broker {

std::string_view state_name(group_state s) {
  switch (s) {
    case group_state::empty:
      return "Empty";
    case group_state::preparing_rebalance:
      return "PreparingRebalance";
    case group_state::completing_rebalance:
      return "CompletingRebalance";
    case group_state::stable:
      return "Stable";
    case group_state::dead:
      return "Dead";
  }
  return "Dead";
}

std::optional<group_state> parse_state(std::string_view s) {
  for (auto st : {group_state::empty, group_state::preparing_rebalance,
                  group_state::completing_rebalance, group_state::stable, group_state::dead}) {
    const auto name = state_name(st);
    if (name.size() == s.size() &&
        std::equal(name.begin(), name.end(), s.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return st;
  }
  return std::nullopt;
}

const std::vector<std::byte>* group_member::metadata(std::string_view protocol) const {
  for (const auto& p : protocols)
    if (p.name == protocol) return &p.metadata;
  return nullptr;
}

group::group(std::string id_, asio::any_io_executor ex, uint64_t inc)
    : id(std::move(id_)), incarnation(inc), join_timer(std::move(ex)) {}

group_member* group::find(std::string_view member_id) {
  auto it = members.find(std::string(member_id));
  return it == members.end() ? nullptr : it->second.get();
}

std::optional<std::string> group::static_member_id(
    const std::optional<std::string>& instance) const {
  if (!instance) return std::nullopt;
  auto it = static_members.find(*instance);
  if (it == static_members.end()) return std::nullopt;
  return it->second;
}

bool group::static_member_fenced(std::string_view member_id,
                                 const std::optional<std::string>& instance) const {
  auto current = static_member_id(instance);
  return current && *current != member_id;
}

bool group::supports_protocols(std::string_view type, const protocol_list& protocols) const {
  if (type.empty() || protocols.empty()) return false;
  if (members.empty()) return true;
  if (!protocol_type || *protocol_type != type) return false;
  for (const auto& p : protocols) {
    bool everyone = true;
    for (const auto& [id_, m] : members)
      if (!m->metadata(p.name)) {
        everyone = false;
        break;
      }
    if (everyone) return true;
  }
  return false;
}

std::string group::select_protocol() const {
  // Candidates: protocols every member supports. Each member votes for the
  // first candidate in its own order; most votes wins, ties go to the
  // candidate named earliest by the first member.
  std::vector<std::string> candidates;
  if (members.empty()) return {};
  for (const auto& p : members.begin()->second->protocols) {
    bool everyone = true;
    for (const auto& [id_, m] : members)
      if (!m->metadata(p.name)) {
        everyone = false;
        break;
      }
    if (everyone) candidates.push_back(p.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  for (const auto& [id_, m] : members) {
    for (const auto& p : m->protocols)
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[best]) best = c;
  return best;
}

bool group::all_members_joined() const {
  if (!pending_members.empty()) return false;
  for (const auto& [id_, m] : members)
    if (!m->awaiting_join) return false;
  return true;
}

int32_t group::rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [id_, m] : members) t = std::max(t, m->rebalance_timeout_ms);
  return t;
}

void group::add(std::unique_ptr<group_member> m) {
  if (members.empty()) protocol_type = m->protocol_type;
  if (!leader) leader = m->id;
  if (m->instance_id) static_members[*m->instance_id] = m->id;
  members[m->id] = std::move(m);
}

std::unique_ptr<group_member> group::remove(std::string_view member_id) {
  auto it = members.find(std::string(member_id));
  if (it == members.end()) return nullptr;
  auto m = std::move(it->second);
  members.erase(it);
  if (m->instance_id) {
    auto s = static_members.find(*m->instance_id);
    if (s != static_members.end() && s->second == m->id) static_members.erase(s);
  }
  if (is_leader(member_id)) {
    if (members.empty())
      leader.reset();
    else
      leader = members.begin()->first;
  }
  return m;
}

std::optional<std::set<std::string>> group::compute_subscribed_topics() const {
  if (!is_consumer_group() || !protocol_name || members.empty()) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id_, m] : members) {
    const auto* md = m->metadata(*protocol_name);
    if (!md) return std::nullopt;
    auto t = parse_consumer_subscription(*md);
    if (!t) return std::nullopt;
    topics.insert(t->begin(), t->end());
  }
  return topics;
}

std::optional<std::vector<std::string>> parse_consumer_subscription(std::span<const std::byte> b) {
  std::vector<std::byte> copy(b.begin(), b.end());
  kafka::reader r(copy);
  const int16_t version = r.i16();
  if (!r.ok() || version < 0) return std::nullopt;
  const int32_t n = r.array_length(false, 2);
  if (!r.ok() || n < 0) return std::nullopt;
  std::vector<std::string> topics;
  topics.reserve(size_t(n));
  for (int32_t i = 0; i < n && r.ok(); ++i) topics.push_back(r.string(false));
  if (!r.ok()) return std::nullopt;
  return topics;
}

}  // namespace runnel::broker
