// group_manager, membership half: JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup and the timers that drive a rebalance (group_manager.h). The
// offsets half is group_offsets.cc.
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "broker/group_manager.h"
#include "broker/server.h"

namespace runnel::broker {

namespace {

using kafka::error_code;

// How long a new member's JoinGroup may wait in a rebalance before the
// member is dropped (Kafka's GroupCoordinator.NewMemberJoinTimeoutMs).
constexpr int64_t new_member_join_timeout_ms = 5 * 60 * 1000;

std::string random_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", uint32_t(a >> 32),
                uint32_t(a >> 16) & 0xffff, (uint32_t(a) & 0x0fff) | 0x4000,
                (uint32_t(b >> 48) & 0x3fff) | 0x8000,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

join_outcome join_error(error_code e, std::string member_id) {
  join_outcome o;
  o.error = e;
  o.member_id = std::move(member_id);
  return o;
}

sync_outcome sync_error(error_code e) {
  sync_outcome o;
  o.error = e;
  return o;
}

// A static member's rejoin needs no rebalance if what it asks for is what it
// had: the same protocols, each with the same metadata or, for the consumer
// protocol, the same subscribed topics (owned partitions and user data may
// differ after a restart).
bool same_subscription(const group& g, const protocol_list& before, const protocol_list& after) {
  if (before.size() != after.size()) return false;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].name != after[i].name) return false;
    if (before[i].metadata == after[i].metadata) continue;
    if (!g.is_consumer_group()) return false;
    auto a = parse_consumer_subscription(before[i].metadata);
    auto b = parse_consumer_subscription(after[i].metadata);
    if (!a || !b) return false;
    std::sort(a->begin(), a->end());
    std::sort(b->begin(), b->end());
    if (*a != *b) return false;
  }
  return true;
}

}  // namespace

group_manager::group_manager(server& srv, shard& sh, int32_t offsets_partitions)
    : srv_(srv), sh_(sh), partitions_(offsets_partitions) {}

group_manager::~group_manager() = default;

group* group_manager::find(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second.get();
}

group& group_manager::get_or_create(const std::string& id) {
  auto& slot = groups_[id];
  if (!slot) slot = std::make_unique<group>(id, sh_.context().get_executor(), next_incarnation_++);
  return *slot;
}

// ---------------------------------------------------------------- JoinGroup

boost::asio::awaitable<join_outcome> group_manager::join(join_args a) {
  auto w = std::make_shared<completion<join_outcome>>(sh_.context().get_executor());
  do_join(a, w);
  co_return co_await w->wait();
}

void group_manager::do_join(join_args& a, const join_waiter& w) {
  const auto& cfg = srv_.config();
  if (stopping_) return w->set(join_error(error_code::not_coordinator, a.member_id));
  if (a.group_id.empty()) return w->set(join_error(error_code::invalid_group_id, a.member_id));
  if (a.session_timeout_ms < cfg.group_min_session_timeout_ms ||
      a.session_timeout_ms > cfg.group_max_session_timeout_ms)
    return w->set(join_error(error_code::invalid_session_timeout, a.member_id));
  if (a.rebalance_timeout_ms < 0) a.rebalance_timeout_ms = a.session_timeout_ms;
  group* g = find(a.group_id);
  const bool unknown = a.member_id.empty();
  if (!g) {
    if (!unknown) return w->set(join_error(error_code::unknown_member_id, a.member_id));
    g = &get_or_create(a.group_id);
  }
  if (unknown)
    unknown_member_join(*g, a, w);
  else
    current_member_join(*g, a, w);
  // A join may be the last one the rebalance was waiting for.
  if (g->state == group_state::preparing_rebalance) try_complete_join(*g);
}

void group_manager::unknown_member_join(group& g, join_args& a, const join_waiter& w) {
  if (g.state == group_state::dead)
    return w->set(join_error(error_code::coordinator_not_available, a.member_id));
  if (!g.supports_protocols(a.protocol_type, a.protocols))
    return w->set(join_error(error_code::inconsistent_group_protocol, a.member_id));
  std::string new_id = (a.instance_id ? *a.instance_id : a.client_id) + "-" + random_uuid();
  if (g.static_member_id(a.instance_id))
    return update_static_member_and_rebalance(g, std::move(new_id), a, w);
  if (a.require_known_member_id) {
    // KIP-394: hand out the id first, so that a client that times out and
    // retries does not leave a defunct member behind.
    add_pending_member(g, new_id, a.session_timeout_ms);
    return w->set(join_error(error_code::member_id_required, new_id));
  }
  add_member_and_rebalance(g, std::move(new_id), a, w);
}

void group_manager::current_member_join(group& g, join_args& a, const join_waiter& w) {
  if (g.state == group_state::dead)
    return w->set(join_error(error_code::coordinator_not_available, a.member_id));
  if (!g.supports_protocols(a.protocol_type, a.protocols))
    return w->set(join_error(error_code::inconsistent_group_protocol, a.member_id));
  if (auto p = g.pending_members.find(a.member_id); p != g.pending_members.end()) {
    g.pending_members.erase(p);
    return add_member_and_rebalance(g, a.member_id, a, w);
  }
  if (g.static_member_fenced(a.member_id, a.instance_id))
    return w->set(join_error(error_code::fenced_instance_id, a.member_id));
  group_member* m = g.find(a.member_id);
  if (!m || (a.instance_id && !g.static_member_id(a.instance_id)))
    return w->set(join_error(error_code::unknown_member_id, a.member_id));
  switch (g.state) {
    case group_state::preparing_rebalance:
      update_member_and_rebalance(g, *m, a, w);
      break;
    case group_state::completing_rebalance:
      // A repeated join (say, after a lost response): same answer as before.
      if (m->protocols == a.protocols)
        w->set(generation_outcome(g, *m, true));
      else
        update_member_and_rebalance(g, *m, a, w);
      break;
    case group_state::empty:
    case group_state::stable:
      // The leader rejoining means it wants a new assignment (e.g. it saw
      // new partitions); a follower rejoining unchanged just gets the
      // current generation back.
      if (g.is_leader(m->id) || m->protocols != a.protocols) {
        update_member_and_rebalance(g, *m, a, w);
      } else {
        schedule_session(g, *m);
        w->set(generation_outcome(g, *m, false));
      }
      break;
    case group_state::dead:
      break;
  }
}

void group_manager::add_member_and_rebalance(group& g, std::string member_id, join_args& a,
                                             const join_waiter& w) {
  auto m = std::make_unique<group_member>();
  m->id = std::move(member_id);
  m->instance_id = a.instance_id;
  m->client_id = a.client_id;
  m->client_host = a.client_host;
  m->rebalance_timeout_ms = a.rebalance_timeout_ms;
  m->session_timeout_ms = a.session_timeout_ms;
  m->protocol_type = a.protocol_type;
  m->protocols = std::move(a.protocols);
  m->awaiting_join = w;
  m->is_new = true;
  m->joined_at = group_clock::now();
  // Joins during the initial delay extend it (up to the rebalance timeout).
  if (g.state == group_state::preparing_rebalance && g.generation == 0) g.new_member_added = true;
  group_member& ref = *m;
  g.add(std::move(m));
  schedule_session(g, ref);
  maybe_prepare_rebalance(g);
}

void group_manager::update_member_and_rebalance(group& g, group_member& m, join_args& a,
                                                const join_waiter& w) {
  m.protocols = std::move(a.protocols);
  m.rebalance_timeout_ms = a.rebalance_timeout_ms;
  m.session_timeout_ms = a.session_timeout_ms;
  if (m.awaiting_join && m.awaiting_join != w) {
    // A second join while the first still waits: the client gave up on the
    // first; tell it to retry rather than leave it hanging.
    m.awaiting_join->set(join_error(error_code::rebalance_in_progress, m.id));
  }
  m.awaiting_join = w;
  schedule_session(g, m);
  maybe_prepare_rebalance(g);
}

void group_manager::update_static_member_and_rebalance(group& g, std::string new_id, join_args& a,
                                                       const join_waiter& w) {
  const std::string old_id = *g.static_member_id(a.instance_id);
  const std::optional<std::string> old_leader = g.leader;
  auto node = g.members.extract(old_id);
  if (node.empty()) return w->set(join_error(error_code::unknown_member_id, a.member_id));
  std::unique_ptr<group_member> m = std::move(node.mapped());
  // The old incarnation of this instance is fenced from now on.
  if (m->awaiting_join) m->awaiting_join->set(join_error(error_code::fenced_instance_id, old_id));
  if (m->awaiting_sync) m->awaiting_sync->set(sync_error(error_code::fenced_instance_id));
  m->awaiting_join.reset();
  m->awaiting_sync.reset();
  m->id = new_id;
  const protocol_list old_protocols = std::move(m->protocols);
  m->protocols = std::move(a.protocols);
  m->rebalance_timeout_ms = a.rebalance_timeout_ms;
  m->session_timeout_ms = a.session_timeout_ms;
  m->client_id = a.client_id;
  m->client_host = a.client_host;
  m->awaiting_join = w;
  group_member& ref = *m;
  g.members[new_id] = std::move(m);
  g.static_members[*a.instance_id] = new_id;
  if (g.is_leader(old_id)) g.leader = new_id;
  schedule_session(g, ref);
  spdlog::info("group {}: static member {} rejoined as {}", g.id, *a.instance_id, new_id);

  switch (g.state) {
    case group_state::stable:
      if (same_subscription(g, old_protocols, ref.protocols)) {
        // No rebalance: the member keeps its assignment under its new id. The
        // old leader id is returned so that a rejoining leader does not run
        // an assignment a stable group would never distribute.
        join_outcome o = generation_outcome(g, ref, false);
        o.leader = old_leader.value_or("");
        ref.awaiting_join.reset();
        w->set(std::move(o));
        store_group(g);
      } else {
        maybe_prepare_rebalance(g);
      }
      break;
    case group_state::completing_rebalance:
      // The leader may already be assigning to the old member id.
      prepare_rebalance(g);
      break;
    case group_state::preparing_rebalance:
      break;  // answered when the rebalance completes
    case group_state::empty:
    case group_state::dead:
      maybe_prepare_rebalance(g);
      break;
  }
}

join_outcome group_manager::generation_outcome(const group& g, const group_member& m,
                                               bool leader_view) const {
  join_outcome o;
  o.generation = g.generation;
  o.protocol_type = g.protocol_type;
  o.protocol_name = g.protocol_name;
  o.leader = g.leader.value_or("");
  o.member_id = m.id;
  if (leader_view && g.is_leader(m.id)) {
    for (const auto& [id, mm] : g.members) {
      auto& out = o.members.emplace_back();
      out.member_id = id;
      out.group_instance_id = mm->instance_id;
      if (g.protocol_name)
        if (const auto* md = mm->metadata(*g.protocol_name)) out.metadata = *md;
    }
  }
  return o;
}

// ---------------------------------------------------------------- rebalance

void group_manager::maybe_prepare_rebalance(group& g) {
  if (g.state == group_state::stable || g.state == group_state::completing_rebalance ||
      g.state == group_state::empty)
    prepare_rebalance(g);
}

void group_manager::prepare_rebalance(group& g) {
  if (g.state == group_state::completing_rebalance)
    reset_assignments(g, error_code::rebalance_in_progress);
  const bool initial = g.state == group_state::empty;
  g.state = group_state::preparing_rebalance;
  spdlog::info("group {}: preparing to rebalance (generation {}, {} member(s))", g.id, g.generation,
               g.members.size());
  if (initial) {
    // group.initial.rebalance.delay.ms: let more of a starting fleet join
    // before the first generation, extended by each new member, within the
    // rebalance timeout.
    const int64_t delay = std::max<int64_t>(srv_.config().group_initial_rebalance_delay_ms, 0);
    g.join_initial = true;
    g.join_delay_ms = delay;
    g.join_remaining_ms = std::max<int64_t>(g.rebalance_timeout_ms() - delay, 0);
    arm_join_timer(g, delay);
  } else {
    g.join_initial = false;
    arm_join_timer(g, g.rebalance_timeout_ms());
    try_complete_join(g);
  }
}

void group_manager::arm_join_timer(group& g, int64_t delay_ms) {
  ++g.join_token;
  g.join_armed = true;
  g.join_timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0)));
  g.join_timer.async_wait([this, id = g.id, inc = g.incarnation,
                           token = g.join_token](const boost::system::error_code& ec) {
    if (!ec) on_join_timer(id, inc, token);
  });
}

void group_manager::on_join_timer(const std::string& id, uint64_t incarnation, uint64_t token) {
  group* g = find(id);
  if (!g || g->incarnation != incarnation || g->join_token != token || !g->join_armed) return;
  if (g->state != group_state::preparing_rebalance) return;
  if (g->join_initial && g->new_member_added && g->join_remaining_ms != 0) {
    g->new_member_added = false;
    const int64_t delay =
        std::min<int64_t>(srv_.config().group_initial_rebalance_delay_ms, g->join_remaining_ms);
    g->join_remaining_ms = std::max<int64_t>(g->join_remaining_ms - g->join_delay_ms, 0);
    g->join_delay_ms = delay;
    arm_join_timer(*g, delay);
    return;
  }
  complete_join(*g);
}

void group_manager::try_complete_join(group& g) {
  if (g.state == group_state::preparing_rebalance && g.join_armed && !g.join_initial &&
      g.all_members_joined())
    complete_join(g);
}

void group_manager::complete_join(group& g) {
  g.join_armed = false;
  ++g.join_token;
  g.join_timer.cancel();
  // Dynamic members that did not rejoin in time are gone; static members
  // stay until their session expires.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m->awaiting_join && !m->instance_id) gone.push_back(id);
  for (const auto& id : gone) {
    spdlog::info("group {}: removing member {}, which did not rejoin in time", g.id, id);
    g.remove(id);
  }
  if (g.state == group_state::dead) return;
  // The leader must be one who rejoined.
  bool leader_joined = false;
  if (g.leader) {
    if (auto* l = g.find(*g.leader); l && l->awaiting_join) {
      leader_joined = true;
    } else {
      for (const auto& [id, m] : g.members)
        if (m->awaiting_join) {
          g.leader = id;
          leader_joined = true;
          break;
        }
    }
  }
  if (!leader_joined && !g.members.empty()) {
    // Only static members that have not rejoined are left: wait another
    // rebalance timeout (their sessions expire meanwhile if they are gone).
    g.join_initial = false;
    arm_join_timer(g, g.rebalance_timeout_ms());
    return;
  }
  init_next_generation(g);
  if (g.state == group_state::empty) {
    spdlog::info("group {}: generation {} is empty", g.id, g.generation);
    store_group(g);
    return;
  }
  spdlog::info("group {}: generation {} with {} member(s), protocol {}, leader {}", g.id,
               g.generation, g.members.size(), g.protocol_name.value_or(""), g.leader.value_or(""));
  for (auto& [id, m] : g.members) {
    if (m->awaiting_join) {
      auto w = std::move(m->awaiting_join);
      m->awaiting_join.reset();
      w->set(generation_outcome(g, *m, true));
    }
    m->is_new = false;
    schedule_session(g, *m);
  }
}

void group_manager::init_next_generation(group& g) {
  ++g.generation;
  if (!g.members.empty()) {
    ++g.rebalances;
    g.protocol_name = g.select_protocol();
    g.subscribed_topics = g.compute_subscribed_topics();
    g.state = group_state::completing_rebalance;
  } else {
    g.protocol_name.reset();
    g.subscribed_topics.reset();
    g.state = group_state::empty;
  }
}

void group_manager::reset_assignments(group& g, error_code error) {
  for (auto& [id, m] : g.members) {
    m->assignment.clear();
    if (m->awaiting_sync) {
      auto w = std::move(m->awaiting_sync);
      m->awaiting_sync.reset();
      w->set(sync_error(error));
      schedule_session(g, *m);
    }
  }
}

void group_manager::set_assignments(
    group& g, std::vector<std::pair<std::string, std::vector<std::byte>>> assignments) {
  for (auto& [id, m] : g.members) m->assignment.clear();
  for (auto& [id, bytes] : assignments)
    if (auto* m = g.find(id)) m->assignment = std::move(bytes);
  for (auto& [id, m] : g.members) {
    if (!m->awaiting_sync) continue;
    auto w = std::move(m->awaiting_sync);
    m->awaiting_sync.reset();
    sync_outcome o;
    o.protocol_type = g.protocol_type;
    o.protocol_name = g.protocol_name;
    o.assignment = m->assignment;
    w->set(std::move(o));
    schedule_session(g, *m);
  }
}

// ---------------------------------------------------------------- SyncGroup

boost::asio::awaitable<sync_outcome> group_manager::sync(sync_args a) {
  if (stopping_) co_return sync_error(error_code::not_coordinator);
  group* g = find(a.group_id);
  if (!g) co_return sync_error(error_code::unknown_member_id);
  if (g->state == group_state::dead) co_return sync_error(error_code::coordinator_not_available);
  if (g->static_member_fenced(a.member_id, a.instance_id))
    co_return sync_error(error_code::fenced_instance_id);
  group_member* m = g->find(a.member_id);
  if (!m) co_return sync_error(error_code::unknown_member_id);
  if (a.generation != g->generation) co_return sync_error(error_code::illegal_generation);
  if ((a.protocol_type && g->protocol_type != a.protocol_type) ||
      (a.protocol_name && g->protocol_name != a.protocol_name))
    co_return sync_error(error_code::inconsistent_group_protocol);
  switch (g->state) {
    case group_state::empty:
      co_return sync_error(error_code::unknown_member_id);
    case group_state::preparing_rebalance:
      co_return sync_error(error_code::rebalance_in_progress);
    case group_state::stable: {
      schedule_session(*g, *m);
      sync_outcome o;
      o.protocol_type = g->protocol_type;
      o.protocol_name = g->protocol_name;
      o.assignment = m->assignment;
      co_return o;
    }
    case group_state::completing_rebalance: {
      auto w = std::make_shared<completion<sync_outcome>>(sh_.context().get_executor());
      if (m->awaiting_sync) m->awaiting_sync->set(sync_error(error_code::rebalance_in_progress));
      m->awaiting_sync = w;
      if (g->is_leader(m->id)) {
        // The leader's assignment completes the rebalance; followers that
        // synced earlier get theirs now, later ones at once.
        set_assignments(*g, std::move(a.assignments));
        g->state = group_state::stable;
        spdlog::info("group {}: generation {} is stable", g->id, g->generation);
        store_group(*g);
      }
      co_return co_await w->wait();
    }
    case group_state::dead:
      break;
  }
  co_return sync_error(error_code::coordinator_not_available);
}

// ---------------------------------------------------------------- Heartbeat

boost::asio::awaitable<error_code> group_manager::heartbeat(heartbeat_args a) {
  group* g = find(a.group_id);
  if (!g) co_return error_code::unknown_member_id;
  if (g->state == group_state::dead) co_return error_code::coordinator_not_available;
  if (g->static_member_fenced(a.member_id, a.instance_id)) co_return error_code::fenced_instance_id;
  group_member* m = g->find(a.member_id);
  if (!m) co_return error_code::unknown_member_id;
  if (a.generation != g->generation) co_return error_code::illegal_generation;
  switch (g->state) {
    case group_state::empty:
      co_return error_code::unknown_member_id;
    case group_state::completing_rebalance:
    case group_state::stable:
      schedule_session(*g, *m);
      co_return error_code::none;
    case group_state::preparing_rebalance:
      schedule_session(*g, *m);
      co_return error_code::rebalance_in_progress;
    case group_state::dead:
      break;
  }
  co_return error_code::coordinator_not_available;
}

// ---------------------------------------------------------------- LeaveGroup

boost::asio::awaitable<leave_outcome> group_manager::leave(std::string group_id,
                                                           std::vector<leave_member> members) {
  leave_outcome out;
  group* g = find(group_id);
  if (!g) {
    out.members.assign(members.size(), error_code::unknown_member_id);
    co_return out;
  }
  if (g->state == group_state::dead) {
    out.error = error_code::coordinator_not_available;
    co_return out;
  }
  for (const auto& lm : members) {
    error_code e = error_code::none;
    if (lm.member_id.empty()) {
      // Administrative removal of a static member by instance id.
      if (auto current = g->static_member_id(lm.instance_id))
        remove_member_and_update_group(*g, *current);
      else
        e = error_code::unknown_member_id;
    } else if (g->pending_members.erase(lm.member_id)) {
      if (g->state == group_state::preparing_rebalance) try_complete_join(*g);
    } else if (g->static_member_fenced(lm.member_id, lm.instance_id)) {
      e = error_code::fenced_instance_id;
    } else if (g->find(lm.member_id)) {
      spdlog::info("group {}: member {} left", g->id, lm.member_id);
      remove_member_and_update_group(*g, lm.member_id);
    } else {
      e = error_code::unknown_member_id;
    }
    out.members.push_back(e);
  }
  co_return out;
}

// ---------------------------------------------------------------- liveness

void group_manager::shutdown() {
  stopping_ = true;
  for (auto& [id, g] : groups_) {
    g->join_armed = false;
    ++g->join_token;
    g->join_timer.cancel();
    g->pending_members.clear();
    for (auto& [mid, m] : g->members) {
      if (m->awaiting_join) m->awaiting_join->set(join_error(error_code::not_coordinator, mid));
      if (m->awaiting_sync) m->awaiting_sync->set(sync_error(error_code::not_coordinator));
      m->awaiting_join.reset();
      m->awaiting_sync.reset();
      if (m->session_timer) m->session_timer->cancel();
    }
  }
}

void group_manager::schedule_session(group& g, group_member& m) {
  const int64_t timeout =
      m.awaiting_join && m.is_new ? new_member_join_timeout_ms : m.session_timeout_ms;
  m.session_deadline = group_clock::now() + std::chrono::milliseconds(timeout);
  if (!m.session_timer) m.session_timer = std::make_unique<asio::steady_timer>(sh_.context());
  m.session_timer->expires_at(m.session_deadline);
  m.session_timer->async_wait(
      [this, id = g.id, inc = g.incarnation, member = m.id](const boost::system::error_code& ec) {
        if (!ec) on_session_timer(id, inc, member);
      });
}

void group_manager::on_session_timer(const std::string& id, uint64_t incarnation,
                                     const std::string& member) {
  group* g = find(id);
  if (!g || g->incarnation != incarnation) return;
  group_member* m = g->find(member);
  if (!m || group_clock::now() < m->session_deadline) return;
  // A member waiting in JoinGroup or SyncGroup cannot heartbeat: keep it
  // (unless it is new and has waited past the new-member timeout).
  if ((m->awaiting_join && !m->is_new) || m->awaiting_sync) {
    schedule_session(*g, *m);
    return;
  }
  spdlog::info("group {}: member {} expired (no heartbeat within {} ms)", g->id, member,
               m->session_timeout_ms);
  remove_member_and_update_group(*g, member);
}

void group_manager::add_pending_member(group& g, const std::string& member_id,
                                       int32_t session_timeout_ms) {
  auto t = std::make_unique<asio::steady_timer>(sh_.context());
  t->expires_after(std::chrono::milliseconds(session_timeout_ms));
  t->async_wait(
      [this, id = g.id, inc = g.incarnation, member_id](const boost::system::error_code& ec) {
        if (ec) return;
        group* g = find(id);
        if (!g || g->incarnation != inc || !g->pending_members.erase(member_id)) return;
        if (g->state == group_state::preparing_rebalance) try_complete_join(*g);
      });
  g.pending_members[member_id] = std::move(t);
}

void group_manager::remove_member_and_update_group(group& g, const std::string& member_id) {
  auto m = g.remove(member_id);
  if (!m) return;
  // Answer its waiting requests so the client retries (it may still be alive).
  if (m->awaiting_join) m->awaiting_join->set(join_error(error_code::unknown_member_id, ""));
  if (m->awaiting_sync) m->awaiting_sync->set(sync_error(error_code::unknown_member_id));
  switch (g.state) {
    case group_state::stable:
    case group_state::completing_rebalance:
      maybe_prepare_rebalance(g);
      break;
    case group_state::preparing_rebalance:
      try_complete_join(g);
      break;
    case group_state::empty:
    case group_state::dead:
      break;
  }
}

}  // namespace runnel::broker
