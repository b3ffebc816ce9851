// group_manager, offsets half: OffsetCommit, OffsetFetch, OffsetDelete,
// DeleteGroups, DescribeGroups, ListGroups, and reading and writing
// __consumer_offsets (group_manager.h). The membership half is
// group_membership.cc.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "broker/async_util.h"
#include "broker/group_manager.h"
#include "broker/offsets_format.h"
#include "broker/server.h"
#include "model/record_batch.h"

namespace runnel::broker {

namespace {

using kafka::error_code;
namespace fmt_ = offsets_format;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Kafka's authorized-operations bits for a group: READ (3), DELETE (6),
// DESCRIBE (8).
constexpr int32_t group_operations = (1 << 3) | (1 << 6) | (1 << 8);

offsets_record offset_record(const std::string& group, const topic_partition& tp,
                             const committed_offset* v) {
  offsets_record r;
  r.key = fmt_::encode_key(fmt_::offset_key{group, tp.topic, tp.partition});
  if (v)
    r.value = fmt_::encode_value(
        fmt_::offset_value{v->offset, v->leader_epoch, v->metadata, v->commit_timestamp});
  return r;
}

}  // namespace

// ------------------------------------------------------------ the log

storage::partition_log* group_manager::offsets_log(const std::string& group_id) {
  const int32_t p = fmt_::partition_for(group_id, partitions_);
  partition* part = sh_.find(fmt_::topic_name, p);
  return part && part->log ? part->log.get() : nullptr;
}

void group_manager::store_group(group& g) {
  auto* log = offsets_log(g.id);
  if (!log) return;
  fmt_::group_value v;
  v.protocol_type = g.protocol_type.value_or("");
  v.generation = g.generation;
  v.protocol = g.protocol_name;
  v.leader = g.leader;
  v.state_timestamp = now_ms();
  if (g.state == group_state::stable) {
    for (const auto& [id, m] : g.members) {
      auto& mv = v.members.emplace_back();
      mv.member_id = id;
      mv.group_instance_id = m->instance_id;
      mv.client_id = m->client_id;
      mv.client_host = m->client_host;
      mv.rebalance_timeout_ms = m->rebalance_timeout_ms;
      mv.session_timeout_ms = m->session_timeout_ms;
      if (g.protocol_name)
        if (const auto* md = m->metadata(*g.protocol_name)) mv.subscription = *md;
      mv.assignment = m->assignment;
    }
  }
  offsets_record r;
  r.key = fmt_::encode_key(fmt_::group_key{g.id});
  r.value = fmt_::encode_value(v);
  // Group metadata only spares members a rebalance after a restart: the
  // background flush makes it durable; nobody waits for it.
  if (auto a = append_offsets_batch(*log, {std::move(r)}, now_ms()); !a)
    spdlog::warn("group {}: could not store group metadata: {}", g.id, a.error().message());
}

group_manager::pending_write group_manager::append_records(
    const std::string& group_id, const std::vector<offsets_record>& records) {
  pending_write w;
  const int32_t p = fmt_::partition_for(group_id, partitions_);
  partition* part = sh_.find(fmt_::topic_name, p);
  if (!part || !part->log) {
    w.error = error_code::coordinator_not_available;
    return w;
  }
  auto a = append_offsets_batch(*part->log, records, now_ms());
  if (!a) {
    spdlog::warn("group {}: writing to {}-{} failed: {}", group_id, fmt_::topic_name, p,
                 a.error().message());
    // Kafka's answers: a batch over max.message.bytes is the client's
    // doing; anything else is the coordinator's, and worth a retry.
    w.error = a.error() == model::batch_errc::too_large ? error_code::invalid_commit_offset_size
                                                        : error_code::coordinator_not_available;
    return w;
  }
  part->notify_data();
  w.base = a.value().base.value;
  w.upto = a.value().upto.value;
  return w;
}

boost::asio::awaitable<error_code> group_manager::wait_durable(std::string group_id, int64_t upto) {
  const int32_t p = fmt_::partition_for(group_id, partitions_);
  partition* part = sh_.find(fmt_::topic_name, p);
  if (!part || !part->log) co_return error_code::coordinator_not_available;
  auto [ec] = co_await async_flushed(*part->log, model::offset{upto},
                                     boost::asio::as_tuple(boost::asio::use_awaitable));
  if (ec) {
    spdlog::warn("group {}: fsync of {}-{} failed: {}", group_id, fmt_::topic_name, p,
                 ec.message());
    co_return error_code::coordinator_not_available;
  }
  co_return error_code::none;
}

// ------------------------------------------------------------ start-up

void group_manager::replay(std::span<const std::byte> key,
                           std::optional<std::span<const std::byte>> value, int64_t offset,
                           int64_t txn_producer_id) {
  auto k = fmt_::decode_key(key);
  if (!k) {
    spdlog::warn("broker: skipping an unreadable key at {} offset {}", fmt_::topic_name, offset);
    return;
  }
  if (auto* ok = std::get_if<fmt_::offset_key>(&*k)) {
    const topic_partition tp{ok->topic, ok->partition};
    if (!value) {
      if (auto* g = find(ok->group)) g->offsets.erase(tp);
      return;
    }
    auto v = fmt_::decode_offset_value(*value);
    if (!v) {
      spdlog::warn("broker: skipping an unreadable offset at {} offset {}", fmt_::topic_name,
                   offset);
      return;
    }
    const committed_offset c{v->offset, v->leader_epoch, v->metadata, v->commit_timestamp};
    if (txn_producer_id >= 0) {
      // Visible only if the transaction's commit marker follows.
      get_or_create(ok->group).pending_txn[txn_producer_id][tp] = c;
      txn_groups_[txn_producer_id].insert(ok->group);
      return;
    }
    get_or_create(ok->group).offsets[tp] = c;
    return;
  }
  const auto& gk = std::get<fmt_::group_key>(*k);
  if (!value) {
    groups_.erase(gk.group);  // DeleteGroups also wrote a tombstone per offset
    return;
  }
  auto v = fmt_::decode_group_value(*value);
  if (!v) {
    spdlog::warn("broker: skipping unreadable group metadata at {} offset {}", fmt_::topic_name,
                 offset);
    return;
  }
  group& g = get_or_create(gk.group);
  g.generation = v->generation;
  g.protocol_type = v->protocol_type.empty() ? std::nullopt : std::optional(v->protocol_type);
  g.protocol_name = v->protocol;
  g.leader = v->leader;
  g.members.clear();
  g.static_members.clear();
  for (auto& mv : v->members) {
    auto m = std::make_unique<group_member>();
    m->id = mv.member_id;
    m->instance_id = mv.group_instance_id;
    m->client_id = mv.client_id;
    m->client_host = mv.client_host;
    m->rebalance_timeout_ms = mv.rebalance_timeout_ms;
    m->session_timeout_ms = mv.session_timeout_ms;
    m->protocol_type = v->protocol_type;
    m->protocols.push_back({v->protocol.value_or(""), std::move(mv.subscription)});
    m->assignment = std::move(mv.assignment);
    if (m->instance_id) g.static_members[*m->instance_id] = m->id;
    g.members[m->id] = std::move(m);
  }
}

void group_manager::finish_load() {
  size_t with_members = 0;
  for (auto& [id, g] : groups_) {
    if (g->members.empty() || !g->protocol_name) {
      g->members.clear();
      g->static_members.clear();
      g->leader.reset();
      g->state = group_state::empty;
      continue;
    }
    // Members known at the last stable generation carry on; those that are
    // gone expire after a session timeout and the group rebalances.
    g->state = group_state::stable;
    if (!g->leader || !g->find(*g->leader)) g->leader = g->members.begin()->first;
    g->subscribed_topics = g->compute_subscribed_topics();
    for (auto& [mid, m] : g->members) schedule_session(*g, *m);
    ++with_members;
  }
  if (!groups_.empty())
    spdlog::info("broker: shard {} loaded {} group(s), {} with members", sh_.id(), groups_.size(),
                 with_members);
}

// ------------------------------------------------------------ OffsetCommit

boost::asio::awaitable<std::vector<error_code>> group_manager::commit(commit_args a) {
  const size_t n = a.items.size();
  auto all = [n](error_code e) { return std::vector<error_code>(n, e); };
  group* g = find(a.group_id);
  if (!g) {
    // A commit from outside group management (generation -1) creates the
    // group; one naming a generation is from a member of a group that no
    // longer exists.
    if (a.generation >= 0) co_return all(error_code::illegal_generation);
    g = &get_or_create(a.group_id);
  }
  error_code e = error_code::none;
  if (g->state == group_state::dead) {
    e = error_code::coordinator_not_available;
  } else if (a.generation >= 0 || !a.member_id.empty() || a.instance_id) {
    if (g->static_member_fenced(a.member_id, a.instance_id))
      e = error_code::fenced_instance_id;
    else if (!g->find(a.member_id))
      e = error_code::unknown_member_id;
    else if (a.generation != g->generation)
      e = error_code::illegal_generation;
  } else if (g->state != group_state::empty) {
    // Only members may commit to a group that has them.
    e = error_code::unknown_member_id;
  }
  if (e == error_code::none) {
    switch (g->state) {
      case group_state::completing_rebalance:
        // The member has its new generation but not its assignment yet.
        e = error_code::rebalance_in_progress;
        break;
      case group_state::stable:
      case group_state::preparing_rebalance:
        // A commit counts as a sign of life; the rebalance is announced by
        // the next heartbeat.
        if (auto* m = g->find(a.member_id)) schedule_session(*g, *m);
        break;
      case group_state::empty:
      case group_state::dead:
        break;
    }
  }
  if (e != error_code::none) co_return all(e);
  if (n == 0) co_return all(error_code::none);

  const int64_t ts = now_ms();
  std::vector<offsets_record> records;
  records.reserve(n);
  for (auto& it : a.items) {
    it.value.commit_timestamp = ts;
    records.push_back(offset_record(a.group_id, it.tp, &it.value));
  }
  const uint64_t incarnation = g->incarnation;
  const auto w = append_records(a.group_id, records);
  if (w.error != error_code::none) co_return all(w.error);
  // Mark each record as the newest write of its key before suspending, so
  // that a later commit or delete of the key wins however the fsyncs end.
  for (size_t i = 0; i < n; ++i) g->last_write[a.items[i].tp] = w.base + int64_t(i);
  const error_code err = co_await wait_durable(a.group_id, w.upto);
  g = find(a.group_id);
  if (g && g->incarnation == incarnation) {
    for (size_t i = 0; i < n; ++i) {
      auto lw = g->last_write.find(a.items[i].tp);
      if (lw == g->last_write.end() || lw->second != w.base + int64_t(i)) continue;
      g->last_write.erase(lw);
      if (err == error_code::none) g->offsets[a.items[i].tp] = a.items[i].value;
    }
  }
  co_return all(err);
}

// ------------------------------------------------------------ OffsetFetch

boost::asio::awaitable<std::vector<fetched_offset>> group_manager::fetch_offsets(
    std::string group_id, std::optional<std::vector<topic_partition>> parts) {
  std::vector<fetched_offset> out;
  group* g = find(group_id);
  if (!parts) {
    if (g)
      for (const auto& [tp, v] : g->offsets) out.push_back({tp, v});
    co_return out;
  }
  out.reserve(parts->size());
  for (auto& tp : *parts) {
    fetched_offset f{std::move(tp), std::nullopt};
    if (g) {
      if (auto it = g->offsets.find(f.tp); it != g->offsets.end()) f.value = it->second;
      for (const auto& [pid, pending] : g->pending_txn)
        if (pending.contains(f.tp)) f.unstable = true;
    }
    out.push_back(std::move(f));
  }
  co_return out;
}

// ------------------------------------------------------------ OffsetDelete

boost::asio::awaitable<offset_delete_outcome> group_manager::delete_offsets(
    std::string group_id, std::vector<topic_partition> parts) {
  offset_delete_outcome out;
  group* g = find(group_id);
  if (!g || g->state == group_state::dead) {
    out.error = error_code::group_id_not_found;
    co_return out;
  }
  out.partitions.assign(parts.size(), error_code::none);
  if (g->state != group_state::empty) {
    // A live group keeps the offsets of topics its members consume; Kafka
    // refuses outright for groups that are not consumer groups.
    if (!g->is_consumer_group()) {
      out.error = error_code::non_empty_group;
      out.partitions.clear();
      co_return out;
    }
    for (size_t i = 0; i < parts.size(); ++i)
      if (g->is_subscribed(parts[i].topic))
        out.partitions[i] = error_code::group_subscribed_to_topic;
  }
  std::vector<offsets_record> records;
  std::vector<topic_partition> deleted;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (out.partitions[i] != error_code::none) continue;
    auto it = g->offsets.find(parts[i]);
    if (it == g->offsets.end()) continue;
    g->offsets.erase(it);
    records.push_back(offset_record(group_id, parts[i], nullptr));
    deleted.push_back(parts[i]);
  }
  if (records.empty()) co_return out;
  const uint64_t incarnation = g->incarnation;
  const auto w = append_records(group_id, records);
  error_code err = w.error;
  if (err == error_code::none) {
    // Pending commits of these keys must not resurrect them.
    for (size_t i = 0; i < deleted.size(); ++i) g->last_write[deleted[i]] = w.base + int64_t(i);
    err = co_await wait_durable(group_id, w.upto);
    g = find(group_id);
    if (g && g->incarnation == incarnation)
      for (size_t i = 0; i < deleted.size(); ++i) {
        auto lw = g->last_write.find(deleted[i]);
        if (lw != g->last_write.end() && lw->second == w.base + int64_t(i)) g->last_write.erase(lw);
      }
  }
  if (err != error_code::none)
    for (auto& e : out.partitions)
      if (e == error_code::none) e = err;
  co_return out;
}

// ------------------------------------------------------------ DeleteGroups

boost::asio::awaitable<std::vector<error_code>> group_manager::delete_groups(
    std::vector<std::string> ids) {
  std::vector<error_code> out;
  for (const auto& id : ids) {
    group* g = find(id);
    if (!g || g->state == group_state::dead) {
      out.push_back(error_code::group_id_not_found);
      continue;
    }
    if (g->state != group_state::empty) {
      out.push_back(error_code::non_empty_group);
      continue;
    }
    std::vector<offsets_record> records;
    for (const auto& [tp, v] : g->offsets) records.push_back(offset_record(id, tp, nullptr));
    offsets_record tomb;
    tomb.key = fmt_::encode_key(fmt_::group_key{id});
    records.push_back(std::move(tomb));
    g->state = group_state::dead;
    groups_.erase(id);  // a new group of the same id may start at once
    spdlog::info("group {}: deleted", id);
    const auto w = append_records(id, records);
    error_code err = w.error;
    if (err == error_code::none) err = co_await wait_durable(id, w.upto);
    out.push_back(err);
  }
  co_return out;
}

// ------------------------------------------------------------ Describe / List

boost::asio::awaitable<std::vector<described_group>> group_manager::describe(
    std::vector<std::string> ids, bool include_operations) {
  std::vector<described_group> out;
  for (const auto& id : ids) {
    auto& d = out.emplace_back();
    d.group_id = id;
    if (include_operations) d.authorized_operations = group_operations;
    group* g = find(id);
    if (!g) {
      d.group_state = std::string(state_name(group_state::dead));
      continue;
    }
    d.group_state = std::string(state_name(g->state));
    d.protocol_type = g->protocol_type.value_or("");
    const bool stable = g->state == group_state::stable;
    if (stable) d.protocol_data = g->protocol_name.value_or("");
    for (const auto& [mid, m] : g->members) {
      auto& dm = d.members.emplace_back();
      dm.member_id = mid;
      dm.group_instance_id = m->instance_id;
      dm.client_id = m->client_id;
      dm.client_host = m->client_host;
      if (stable && g->protocol_name) {
        if (const auto* md = m->metadata(*g->protocol_name)) dm.member_metadata = *md;
        dm.member_assignment = m->assignment;
      }
    }
  }
  co_return out;
}

boost::asio::awaitable<std::vector<listed_group>> group_manager::list(
    std::vector<group_state> states) {
  std::vector<listed_group> out;
  for (const auto& [id, g] : groups_) {
    if (g->state == group_state::dead) continue;
    if (!states.empty() && std::find(states.begin(), states.end(), g->state) == states.end())
      continue;
    out.push_back({id, g->protocol_type.value_or(""), std::string(state_name(g->state))});
  }
  co_return out;
}

}  // namespace runnel::broker
