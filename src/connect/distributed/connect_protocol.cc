#include "connect/distributed/connect_protocol.h"

#include <map>

#include "kafka/wire.h"

namespace runnel::connect {

namespace {
constexpr int16_t protocol_version = 0;
constexpr int32_t connector_task = -1;
}  // namespace

std::vector<std::byte> encode_member_metadata(const std::string& url, int64_t config_offset) {
  kafka::writer w;
  w.i16(protocol_version);
  w.string(url, false);
  w.i64(config_offset);
  return std::move(w.buffer());
}

std::optional<member_info> decode_member_metadata(std::string member_id,
                                                  std::span<const std::byte> bytes) {
  std::vector<std::byte> copy(bytes.begin(), bytes.end());
  kafka::reader r(copy);
  const int16_t v = r.i16();
  if (!r.ok() || v < 0) return std::nullopt;
  member_info m;
  m.member_id = std::move(member_id);
  m.url = r.string(false);
  m.config_offset = r.i64();
  if (!r.ok()) return std::nullopt;
  return m;
}

std::vector<std::byte> encode_assignment(const work_assignment& a, const std::string& leader_id,
                                         int16_t error) {
  std::map<std::string, std::vector<int32_t>> by_connector;
  for (const auto& c : a.connectors) by_connector[c].push_back(connector_task);
  for (const auto& t : a.tasks) by_connector[t.connector].push_back(t.task);
  kafka::writer w;
  w.i16(protocol_version);
  w.i16(error);
  w.string(leader_id, false);
  w.string(a.leader, false);
  w.i64(a.config_offset);
  w.array_length(int32_t(by_connector.size()), false);
  for (const auto& [c, tasks] : by_connector) {
    w.string(c, false);
    w.array_length(int32_t(tasks.size()), false);
    for (int32_t t : tasks) w.i32(t);
  }
  return std::move(w.buffer());
}

std::optional<std::pair<work_assignment, std::string>> decode_assignment(
    std::span<const std::byte> bytes, int32_t generation) {
  std::vector<std::byte> copy(bytes.begin(), bytes.end());
  kafka::reader r(copy);
  work_assignment a;
  a.generation = generation;
  const int16_t v = r.i16();
  if (!r.ok() || v < 0) return std::nullopt;
  const int16_t error = r.i16();
  std::string leader_id = r.string(false);
  a.leader = r.string(false);
  a.config_offset = r.i64();
  const int32_t n = r.i32();
  if (!r.ok() || error != 0 || n < 0 || size_t(n) > r.remaining()) return std::nullopt;
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string c = r.string(false);
    const int32_t tasks = r.i32();
    if (tasks < 0 || size_t(tasks) * 4 > r.remaining()) return std::nullopt;
    for (int32_t j = 0; j < tasks; ++j) {
      const int32_t t = r.i32();
      if (t == connector_task)
        a.connectors.insert(c);
      else
        a.tasks.insert({c, t});
    }
  }
  if (!r.ok()) return std::nullopt;
  return std::make_pair(std::move(a), std::move(leader_id));
}

}  // namespace runnel::connect
