// Work sharing among the SQL processes of one catalog (`runnel sql
// --share`; src/sql/README.md "Several processes"): the group thread that
// joins the group and follows the catalog topic, the leader's assignment of
// pipelines, and the routing of statements to the process that must run
// them (group/forward.h sends them).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "sql/catalog/catalog_log.h"
#include "sql/catalog/fenced_writer.h"
#include "sql/engine/engine.h"
#include "sql/engine/relation_state.h"
#include "sql/group/group_link.h"
#include "sql/group/pipelines.h"

namespace runnel::sql {

namespace {

plan_column text_col(std::string name) {
  return plan_column{std::move(name), type_id::text, "", false};
}

bool is_ddl(const statement& s) {
  switch (s.kind) {
    case stmt_kind::create_view:
    case stmt_kind::create_source:
    case stmt_kind::create_sink:
    case stmt_kind::drop:
    case stmt_kind::alter_rename:
      return true;
    case stmt_kind::pg:
      return s.node.contains("CreateStmt");
    default:
      return false;
  }
}

}  // namespace

result<void> engine::start_sharing(std::string address) {
  if (!options_.group || options_.catalog_topic.empty() || !catalog_)
    return make_error(errc::invalid_parameter, -1,
                      "sharing the work needs a group and an opened catalog topic");
  client::client_config cluster;
  cluster.brokers = options_.brokers;
  cluster.client_id = "runnel-sql";
  BOOST_OUTCOME_TRY(auto follower, catalog_follower::open(cluster, options_.catalog_topic,
                                                          catalog_->end_offset()));
  std::lock_guard lock(mu_);
  group_ = std::make_unique<group_state>();
  group_->address = std::move(address);
  group_->thread = std::thread(
      [this, f = std::shared_ptr<catalog_follower>(std::move(follower))] { group_loop_with(*f); });
  return outcome::success();
}

bool engine::is_leader() const {
  return group_ && group_->plan && group_->plan->leader == group_->member_id;
}

bool engine::writes_here(const relation& r) const {
  if (!group_ || !group_->plan) return !group_;
  if (group_->rebalancing || r.remote) return false;
  auto p = pipelines_locked();
  auto o = group_->plan->owner.find(p[r.info.id]);
  return o == group_->plan->owner.end() || o->second == group_->member_id;
}

std::map<uint64_t, uint64_t> engine::pipelines_locked() const {
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> graph;
  for (const auto& r : relations_) {
    if (r->hidden) continue;
    std::vector<uint64_t> deps;
    for (const auto& [name, id] : r->info.deps) deps.push_back(id);
    graph.emplace_back(r->info.id, std::move(deps));
  }
  return pipeline_of(graph);
}

std::string engine::owner_address(uint64_t pipeline) const {
  if (!group_ || !group_->plan) return {};
  auto o = group_->plan->owner.find(pipeline);
  if (o == group_->plan->owner.end()) return {};
  auto a = group_->plan->address.find(o->second);
  return a == group_->plan->address.end() ? std::string() : a->second;
}

result<void> engine::route_ddl(const statement& s) {
  if (!is_ddl(s)) return outcome::success();
  if (s.kind == stmt_kind::alter_rename && !s.column.empty())
    return make_error(errc::feature_not_supported, 0,
                      "ALTER ... RENAME COLUMN is not supported yet when SQL processes share the "
                      "work (--share)");
  if (is_leader()) {
    if (!options_.group->has_lease())
      return make_error(errc::unavailable, 0,
                        "this SQL process has not heard from its group for most of the session "
                        "timeout: it may have been cut off and another process elected leader, so "
                        "it writes no catalog record until it has rejoined; retry");
    if (catalog_->fenced()) {
      options_.group->request_rejoin();
      return make_error(errc::unavailable, 0,
                        "another SQL process became the group's leader and took over the "
                        "catalog's writes (this one was fenced); retry");
    }
    if (!catalog_->writes())
      return make_error(errc::unavailable, 0,
                        "this SQL process leads the group but has not taken over the catalog's "
                        "writes yet (or could not: see its log); retry");
    test_hold_write();
    return outcome::success();
  }
  if (forwarded_ || !group_->plan)
    return make_error(errc::unavailable, 0,
                      "the SQL processes sharing this catalog have no leader right now "
                      "(rebalancing); retry");
  auto a = group_->plan->address.find(group_->plan->leader);
  if (a == group_->plan->address.end())
    return make_error(errc::unavailable, 0, "the group's leader has no address; retry");
  forward_request f;
  f.address = a->second;
  if (s.kind == stmt_kind::drop) {
    f.must_go = s.names;
  } else if (s.kind == stmt_kind::alter_rename) {
    // The new name shows here before the statement returns.
    if (!s.if_exists) {
      f.must_exist = {s.new_name};
      f.must_go = {s.name};
    }
  } else if (!s.if_not_exists) {
    f.must_exist = {s.name};
  }
  forward_ = std::move(f);
  return outcome::success();
}

result<void> engine::route_query(const std::set<uint64_t>& ids, bool may_pull) {
  std::vector<const relation*> remote;
  bool local = false;
  for (const auto& r : relations_) {
    if (!ids.count(r->info.id)) continue;
    if (r->remote && !pulled_.count(r->info.id))
      remote.push_back(r.get());
    else
      local = true;
  }
  if (remote.empty()) {
    // Answered here: not while a source of these pipelines is still
    // reading what its topic held when the pipeline came here (a partly
    // rebuilt view would be a wrong answer).
    auto pipelines = pipelines_locked();
    std::set<uint64_t> mine;
    for (uint64_t id : ids)
      if (pipelines.count(id)) mine.insert(pipelines[id]);
    for (const auto& r : relations_)
      if (r->source && mine.count(pipelines[r->info.id]) && !r->source->caught_up())
        return make_error(errc::unavailable, -1,
                          "\"{}\" is still reading its topic up to where it ended when this SQL "
                          "process started running it; retry",
                          r->info.name);
    return outcome::success();
  }
  const std::string& name = remote.front()->info.name;
  if (forwarded_)
    return make_error(errc::unavailable, -1,
                      "\"{}\" is not run by this SQL process any more (its work is moving); retry",
                      name);
  auto pipelines = pipelines_locked();
  std::set<std::string> owners;
  for (const relation* r : remote) {
    std::string a = owner_address(pipelines[r->info.id]);
    if (a.empty() || a == group_->address)
      return make_error(errc::unavailable, -1,
                        "\"{}\" has no SQL process running it right now (rebalancing); retry",
                        r->info.name);
    owners.insert(a);
  }
  if ((owners.size() > 1 || local) && may_pull) {
    // Relations that different processes run: the remote ones' rows
    // pulled from their owners (execute(), without mu_), then the query
    // run here over them. A plain view is inlined: what it reads is
    // pulled.
    forward_request f;
    for (const relation* r : remote) {
      if (r->info.kind == relation_kind::view) continue;
      f.pull.push_back({r->info.id, r->info.name, owner_address(pipelines[r->info.id])});
    }
    for (const relation* r : remote)
      if (r->info.kind == relation_kind::view) f.pulled_views.push_back(r->info.id);
    f.address = f.pull.empty() ? std::string() : f.pull.front().address;
    forward_ = std::move(f);
    return outcome::success();
  }
  if (owners.size() > 1 || local)
    return make_error(errc::feature_not_supported, -1,
                      "this query reads relations that different SQL processes run (\"{}\" runs "
                      "at {}): query each where it runs",
                      name, *owners.begin());
  forward_request f;
  f.address = *owners.begin();
  f.query = true;
  forward_ = std::move(f);
  return outcome::success();
}

void engine::check_pipelines() {
  if (!group_->plan) return;
  std::set<uint64_t> now;
  for (const auto& [id, p] : pipelines_locked()) now.insert(p);
  std::set<uint64_t> planned;
  for (const auto& [p, m] : group_->plan->owner) planned.insert(p);
  if (now != planned) options_.group->request_rejoin();
}

void engine::unload(const std::set<uint64_t>& which) {
  // Cursors' views over what goes go too.
  std::set<uint64_t> ids = which;
  for (const auto& v : relations_)
    if (v->hidden)
      for (const auto& [n, id] : v->info.deps)
        if (which.count(id)) ids.insert(v->info.id);
  // A subscription over what goes ends with 57P03 at its next FETCH (a
  // client, or a process forwarding it, learns the stream broke, rather
  // than waiting for changes that never come).
  for (auto& c : cursors_) {
    if (!ids.count(c->relation) && !(c->owned && ids.count(c->owned))) continue;
    for (const auto& r : relations_)
      if (r->info.id == c->relation) c->moved = r->info.name;
    if (c->moved.empty()) c->moved = "its relation";
    if (c->owned) forget_state(c->owned);
    c->relation = 0;
    c->owned = 0;
  }
  changed_.notify_all();
  for (auto& v : relations_) {
    if (!ids.count(v->info.id)) continue;
    retire(*v);
  }
  std::erase_if(relations_,
                [&](const std::unique_ptr<relation>& v) { return ids.count(v->info.id) > 0; });
}

void engine::replay(const std::set<uint64_t>& ids, bool remote) {
  uint64_t next = next_id_;
  remote_default_ = remote;
  session_ = 0;
  for (const auto& e : catalog_->entries()) {
    if (!ids.count(e.id)) continue;
    replaying_ = &e;
    next_id_ = e.id;
    auto r = execute_locked(e.sql, 0);
    replaying_ = nullptr;
    if (!r) spdlog::error("sql share: cannot re-create \"{}\": {}", e.name, r.error().message);
    next = std::max(next, e.id + 1);
  }
  next_id_ = next;
  remote_default_ = false;
}

void engine::reconcile(const group_plan& plan, bool restart) {
  (void)commit();  // what runs now is kept as it is, for a later return here
  group_->plan = plan;
  std::map<uint64_t, std::set<uint64_t>> members;  // pipeline -> relations
  for (const auto& [id, p] : pipelines_locked()) members[p].insert(id);
  for (const auto& [p, ids] : members) {
    auto o = plan.owner.find(p);
    if (o == plan.owner.end()) continue;  // newer than the plan: the next one places it
    bool want = o->second == group_->member_id;
    bool any_remote = false, any_running = false, fenced = false;
    for (const auto& r : relations_)
      if (ids.count(r->info.id)) {
        (r->remote ? any_remote : any_running) = true;
        // Another process opened one of its tables' topics (a stale
        // leader's CREATE that took the same id, refused since): this one
        // owns it by the plan, so it takes the writes back.
        if (r->log && r->log->fenced()) fenced = true;
      }
    if (want ? !any_remote && !(restart && any_running) && !fenced : !any_running) continue;
    spdlog::info("sql share: {} pipeline {} ({} relations)", want ? "running" : "handing over", p,
                 ids.size());
    unload(ids);
    replay(ids, !want);
  }
  (void)commit();
}

void engine::follow(const catalog_record& rec) {
  relation* known = lookup(rec.name);
  catalog_->absorb(rec);
  if (rec.entry) {
    relation* same = nullptr;  // the relation with this id
    for (const auto& r : relations_)
      if (r->info.id == rec.entry->id && !r->hidden) same = r.get();
    if (same && (!known || known == same)) {
      // This process wrote it, or ALTER ... RENAME at the leader: the
      // relation under its new name, and dependants' rewritten statements
      // (running dataflows name their inputs by id: nothing restarts).
      if (same->info.name != rec.name) {
        spdlog::info("sql share: \"{}\" renamed to \"{}\"", same->info.name, rec.name);
        rename_in_memory(*same, rec.name);
      }
      redefine(*same, rec.entry->sql, nullptr);
      return;
    }
    if (known || same) {
      // A catalog written by a process that did not share (two names for
      // one id, or one name for two): not followed, but never twice.
      spdlog::warn("sql share: catalog entry \"{}\" changed a relation in place; not followed",
                   rec.name);
      return;
    }
    replay({rec.entry->id}, true);
    return;
  }
  if (!known) return;
  std::set<uint64_t> doomed{known->info.id};
  for (auto& v : relations_)
    for (const auto& [n, id] : v->info.deps)
      if (doomed.count(id)) doomed.insert(v->info.id);
  unload(doomed);
  for (uint64_t id : doomed) forget_state(id);
}

result<statement_result> engine::show_processes() {
  statement_result out;
  auto boolean = [](std::string name) {
    return plan_column{std::move(name), type_id::boolean, "", false};
  };
  out.columns = {text_col("Process"), boolean("Leader"), boolean("Here"), text_col("Relations")};
  out.rows = row_batch(4);
  auto pipelines = pipelines_locked();
  // Each process's relations (remote ones by the plan), in creation order.
  std::map<std::string, std::string> runs;
  std::string unassigned;
  auto add_to = [](std::string& list, const std::string& name) {
    if (!list.empty()) list += ", ";
    list += name;
  };
  for (const auto& r : relations_) {
    if (r->hidden) continue;
    std::string at = !group_ ? std::string() : owner_address(pipelines[r->info.id]);
    if (group_ && !r->remote) at = group_->address;  // runs here, whatever the plan says
    if (group_ && at.empty())
      add_to(unassigned, r->info.name);
    else
      add_to(runs[at], r->info.name);
  }
  auto row = [&](const std::string& process, bool leader, bool here, const std::string& rels) {
    datum* d = out.rows.add(1);
    d[0] = process.empty() && group_ ? datum::null_value()
                                     : datum::of_text(out.rows.strings().copy(process));
    d[1] = datum::of_bool(leader);
    d[2] = datum::of_bool(here);
    d[3] = datum::of_text(out.rows.strings().copy(rels));
  };
  if (!group_) {
    row("", true, true, runs[""]);
  } else {
    std::set<std::string> listed;
    if (group_->plan)
      for (const auto& [member, address] : group_->plan->address) {
        row(address, member == group_->plan->leader, address == group_->address, runs[address]);
        listed.insert(address);
      }
    if (!listed.count(group_->address)) row(group_->address, false, true, runs[group_->address]);
    if (!unassigned.empty()) row("", false, false, unassigned);
  }
  out.tag = "SHOW";
  return out;
}

void engine::group_loop_with(catalog_follower& follower) {
  group_link& link = *options_.group;
  auto stopping = [&] {
    std::lock_guard lock(mu_);
    return group_->stop || stopping_;
  };
  // Applies what the catalog topic holds beyond what this process has,
  // waiting up to `wait` for the first record; true once caught up (the
  // topic's end, or nothing more within `wait`).
  auto follow_for = [&](std::chrono::milliseconds wait) {
    bool at_end = false;
    auto recs = follower.poll(wait, at_end);
    if (!recs) {
      spdlog::error("sql share: catalog: {}", recs.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return false;
    }
    if (recs.value().empty()) return true;  // nothing more within `wait`
    std::vector<std::unique_ptr<kafka_source>> sources;
    std::vector<std::unique_ptr<kafka_sink>> sinks;
    {
      std::lock_guard lock(mu_);
      for (const auto& r : recs.value()) follow(r);
      (void)commit();
      sources.swap(retired_sources_);
      sinks.swap(retired_sinks_);
      group_->applied.notify_all();
    }
    return at_end;
  };
  while (!stopping()) {
    if (!link.needs_rejoin()) {
      follow_for(std::chrono::milliseconds(200));
      std::lock_guard lock(mu_);
      if (catalog_->fenced()) {
        // A DDL statement found that another process leads now.
        spdlog::warn("sql share: fenced out of the catalog's writes; rejoining");
        link.request_rejoin();
      }
      continue;
    }
    // The catalog as far as it goes now, so that the pipelines this
    // member reports and the leader assigns are those of every CREATE.
    for (int i = 0; i < 50 && !follow_for(std::chrono::milliseconds(100)); ++i) {
    }
    std::string metadata;
    {
      std::lock_guard lock(mu_);
      member_state me;
      me.address = group_->address;
      std::set<uint64_t> running;
      for (const auto& [id, p] : pipelines_locked())
        for (const auto& r : relations_)
          if (r->info.id == id && !r->remote) running.insert(p);
      me.running.assign(running.begin(), running.end());
      metadata = encode_member(me);
    }
    group_link::assignor assign = [&](const std::vector<group_link::member>& members) {
      std::vector<member_state> states;
      group_plan plan;
      for (const auto& m : members) {
        auto st = decode_member(m.id, m.metadata);
        if (!st) {
          spdlog::warn("sql share: member {} sent metadata this runnel cannot read", m.id);
          continue;
        }
        plan.address[m.id] = st->address;
        states.push_back(std::move(*st));
      }
      std::vector<uint64_t> pipelines;
      {
        std::lock_guard lock(mu_);
        std::set<uint64_t> all;
        for (const auto& [id, p] : pipelines_locked()) all.insert(p);
        pipelines.assign(all.begin(), all.end());
      }
      plan.owner = assign_pipelines(pipelines, states);
      // Every member gets the same plan; each fills in the generation and
      // the leader from its own join.
      std::string bytes = encode_plan(plan);
      std::vector<std::pair<std::string, std::string>> out;
      for (const auto& m : members) out.emplace_back(m.id, bytes);
      return out;
    };
    {
      // Whatever it acknowledged is in the table logs from now on.
      std::lock_guard lock(mu_);
      group_->rebalancing = true;
    }
    auto joined = link.join(metadata, assign, std::chrono::seconds(30));
    if (!joined) {
      spdlog::warn("sql share: joining the group: {}", joined.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    auto plan = decode_plan(joined.value().assignment);
    if (!plan) {
      spdlog::error("sql share: the group's leader sent an assignment this runnel cannot read");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    plan->generation = joined.value().generation;
    plan->leader = joined.value().leader_id;
    // What the leader knew of the catalog, this member knows too before
    // it starts what it was given.
    for (int i = 0; i < 50 && !follow_for(std::chrono::milliseconds(100)); ++i) {
    }
    // The leader writes the catalog through a transactional producer of
    // the catalog's leader id: starting it fences the previous leader (a
    // write of it still under way is aborted and any later one fails),
    // and what that one committed first is followed before any DDL here.
    bool lead = joined.value().leader_id == joined.value().member_id;
    std::unique_ptr<fenced_writer> writer;
    bool take = false;
    {
      // Taken again under a new member id too: the group dropped this
      // process meanwhile, and another may have led (and fenced it).
      std::lock_guard lock(mu_);
      take = lead && (!catalog_->writes() || group_->member_id != joined.value().member_id);
    }
    if (take) {
      client::client_config cluster;
      cluster.brokers = options_.brokers;
      cluster.client_id = "runnel-sql";
      auto w = fenced_writer::start(
          cluster, catalog_log::leader_transactional_id(options_.catalog_topic), "the SQL catalog");
      if (!w) {
        spdlog::error("sql share: leading, but cannot take over the catalog's writes: {}",
                      w.error().message);
      } else {
        writer = std::move(w.value());
        for (int i = 0; i < 50 && !follow_for(std::chrono::milliseconds(100)); ++i) {
        }
      }
    }
    std::vector<std::unique_ptr<kafka_source>> sources;
    std::vector<std::unique_ptr<kafka_sink>> sinks;
    {
      std::lock_guard lock(mu_);
      // A new member id: the group removed this process (cut off, or
      // paused past the session timeout) and what it ran may have run
      // elsewhere meanwhile — rows written there, a cursor's changes never
      // seen here. What it runs is started again from the topics.
      bool was_out = !group_->member_id.empty() && group_->member_id != joined.value().member_id;
      if (was_out)
        spdlog::warn(
            "sql share: this process was out of the group (member {} is now {}); "
            "restarting what it runs",
            group_->member_id, joined.value().member_id);
      group_->member_id = joined.value().member_id;
      if (!lead)
        catalog_->set_writer(nullptr);
      else if (writer)
        catalog_->set_writer(std::move(writer));
      reconcile(*plan, was_out);
      group_->rebalancing = false;
      if (is_leader()) check_pipelines();
      sources.swap(retired_sources_);
      sinks.swap(retired_sinks_);
      group_->applied.notify_all();
    }
    spdlog::info("sql share: generation {}: {} members, leader {}", plan->generation,
                 plan->address.size(), plan->address[plan->leader]);
  }
  link.leave();
}

}  // namespace runnel::sql
