#include "sql/group/pipelines.h"

#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>

namespace runnel::sql {

namespace {
using json = nlohmann::json;
// Bumped when a field changes meaning; a member that reads another
// version gets nothing assigned rather than a guess.
constexpr int plan_version = 1;
}  // namespace

std::map<uint64_t, uint64_t> pipeline_of(
    const std::vector<std::pair<uint64_t, std::vector<uint64_t>>>& relations) {
  std::map<uint64_t, uint64_t> parent;
  for (const auto& [id, deps] : relations) parent.emplace(id, id);
  std::function<uint64_t(uint64_t)> root = [&](uint64_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& [id, deps] : relations)
    for (uint64_t d : deps) {
      if (!parent.count(d)) continue;  // a system table, or gone
      uint64_t a = root(id), b = root(d);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  std::map<uint64_t, uint64_t> out;
  for (const auto& [id, deps] : relations) out[id] = root(id);
  return out;
}

std::string encode_member(const member_state& m) {
  return json{{"version", plan_version}, {"address", m.address}, {"running", m.running}}.dump();
}

std::optional<member_state> decode_member(const std::string& member_id, const std::string& bytes) {
  auto v = json::parse(bytes, nullptr, false);
  if (v.is_discarded() || !v.is_object() || v.value("version", 0) != plan_version ||
      !v.contains("address") || !v["address"].is_string() || !v.contains("running") ||
      !v["running"].is_array())
    return std::nullopt;
  member_state m;
  m.member_id = member_id;
  m.address = v["address"].get<std::string>();
  for (const auto& p : v["running"]) {
    if (!p.is_number_unsigned()) return std::nullopt;
    m.running.push_back(p.get<uint64_t>());
  }
  return m;
}

std::string encode_plan(const group_plan& p) {
  json owners = json::array();
  for (const auto& [pipeline, member] : p.owner) owners.push_back({pipeline, member});
  return json{{"version", plan_version},
              {"generation", p.generation},
              {"leader", p.leader},
              {"address", p.address},
              {"owner", owners}}
      .dump();
}

std::optional<group_plan> decode_plan(const std::string& bytes) {
  auto v = json::parse(bytes, nullptr, false);
  if (v.is_discarded() || !v.is_object() || v.value("version", 0) != plan_version)
    return std::nullopt;
  group_plan p;
  try {
    p.generation = v.at("generation").get<int32_t>();
    p.leader = v.at("leader").get<std::string>();
    p.address = v.at("address").get<std::map<std::string, std::string>>();
    for (const auto& o : v.at("owner"))
      p.owner[o.at(0).get<uint64_t>()] = o.at(1).get<std::string>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return p;
}

std::map<uint64_t, std::string> assign_pipelines(const std::vector<uint64_t>& pipelines,
                                                 const std::vector<member_state>& members) {
  std::map<uint64_t, std::string> out;
  if (members.empty()) return out;
  std::vector<member_state> sorted = members;
  std::sort(sorted.begin(), sorted.end(),
            [](const member_state& a, const member_state& b) { return a.member_id < b.member_id; });
  size_t share = (pipelines.size() + sorted.size() - 1) / sorted.size();
  std::map<std::string, size_t> load;
  for (const auto& m : sorted) load[m.member_id] = 0;
  // Sticky: a pipeline stays with a member already running it, up to its
  // share (two claiming one — a rebalance raced a move — the first wins).
  for (uint64_t p : pipelines)
    for (const auto& m : sorted)
      if (std::find(m.running.begin(), m.running.end(), p) != m.running.end() &&
          load[m.member_id] < share) {
        out[p] = m.member_id;
        ++load[m.member_id];
        break;
      }
  // Balanced: the rest, each to the least loaded member.
  for (uint64_t p : pipelines) {
    if (out.count(p)) continue;
    const std::string* best = nullptr;
    for (const auto& m : sorted)
      if (!best || load[m.member_id] < load[*best]) best = &m.member_id;
    out[p] = *best;
    ++load[*best];
  }
  return out;
}

}  // namespace runnel::sql
