#include "task_manager.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::stream::runtime {

namespace {

client::error error_of(std::string message) {
  return client::error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

// Changelog records applied per restore step: a step takes a few tens of
// milliseconds, so the group consumer is polled that often during a restore.
constexpr size_t restore_batch = 10000;

}  // namespace

task_manager::task_manager(shared& s, client::consumer& consumer, client::consumer restore_consumer)
    : sh_(s), consumer_(consumer), restorer_(std::move(restore_consumer), s.config.application_id) {
  for (const auto& sub : sh_.p.subtopologies)
    for (size_t i = 0; i < sub.sources.size(); ++i)
      if (sub.sources[i]->internal) internal_inputs_.insert(sub.topics[i]);
}

void task_manager::on_assigned(const std::vector<client::topic_partition>& partitions) {
  std::vector<client::topic_partition> pause;
  for (const auto& tp : partitions) {
    auto it = sh_.p.topic_subtopology.find(tp.topic);
    if (it == sh_.p.topic_subtopology.end()) continue;
    task_key key{it->second, tp.partition()};
    auto& e = tasks_[key];
    if (!e.t) {
      e.t = std::make_unique<task>(sh_.p.subtopologies[it->second], tp.partition(), sh_);
      by_id_[e.t->id()] = key;
    }
    if (e.at != phase::running) {
      e.partitions.push_back(tp);
      pause.push_back(tp);
    }
    by_partition_[{tp.topic, tp.partition()}] = key;
  }
  last_ = nullptr;
  // Nothing is read until the tasks' state is restored.
  if (!pause.empty())
    if (auto r = consumer_.pause(pause); !r)
      sh_.fail("cannot pause partitions: " + r.error().message);
  spdlog::info("stream: {}: assigned {} partitions, {} tasks", sh_.config.application_id,
               partitions.size(), tasks_.size());
}

void task_manager::on_revoked(bool lost) {
  if (!lost && !sh_.failed()) {
    if (auto r = commit(true); !r && !fenced(r.error(), "before giving partitions away"))
      sh_.fail("commit before giving partitions away failed: " + r.error().message);
  }
  for (auto& [key, e] : tasks_) {
    restorer_.remove_task(e.t->id());
    e.t->close();
  }
  tasks_.clear();
  by_id_.clear();
  by_partition_.clear();
  last_ = nullptr;
  held_.clear();
}

bool task_manager::restoring() const {
  return std::any_of(tasks_.begin(), tasks_.end(),
                     [](const auto& kv) { return kv.second.at != phase::running; });
}

void task_manager::open_assigned() {
  for (auto& [key, e] : tasks_) {
    if (e.at != phase::assigned) continue;
    auto jobs = e.t->open_stores();
    if (!jobs) {
      sh_.fail("task " + e.t->id() + ": " + jobs.error().message);
      return;
    }
    e.at = phase::restoring;
    if (jobs.value().empty()) {
      start(key, e);
      continue;
    }
    for (auto& j : jobs.value()) restorer_.add(std::move(j));
  }
}

void task_manager::restore_step(std::chrono::milliseconds restore_wait) {
  if (sh_.failed()) return;
  open_assigned();
  if (sh_.failed() || !restorer_.active()) return;
  auto done = restorer_.step(restore_wait, restore_batch);
  if (!done) {
    sh_.fail(done.error().message);
    return;
  }
  for (const auto& id : done.value()) {
    auto k = by_id_.find(id);
    if (k == by_id_.end()) continue;
    auto it = tasks_.find(k->second);
    if (it != tasks_.end() && it->second.at == phase::restoring) start(it->first, it->second);
  }
}

void task_manager::start(task_key key, entry& e) {
  e.t->start();
  e.at = phase::running;
  // Records that slipped in before the pause, in the order they came.
  std::vector<held_message> keep;
  for (auto& h : held_) {
    auto p = by_partition_.find({h.topic, h.partition});
    if (p == by_partition_.end() || p->second != key) {
      keep.push_back(std::move(h));
      continue;
    }
    client::message_view v{};
    v.topic = h.topic;
    v.partition = runnel::partition_id(h.partition);
    v.offset = runnel::offset(h.offset);
    v.timestamp = runnel::timestamp(h.timestamp);
    if (h.key) v.key = *h.key;
    if (h.value) v.value = *h.value;
    e.t->add(v);
    dirty_ = true;
  }
  held_ = std::move(keep);
  if (!e.partitions.empty())
    if (auto r = consumer_.resume(e.partitions); !r)
      sh_.fail("cannot resume partitions: " + r.error().message);
  e.partitions.clear();
}

void task_manager::dispatch(const client::message_view& m) {
  entry* e = last_;
  if (!e || m.partition() != last_partition_ || m.topic != last_topic_) {
    auto it = by_partition_.find({std::string(m.topic), m.partition()});
    if (it == by_partition_.end()) return;
    e = last_ = &tasks_.at(it->second);
    last_topic_.assign(m.topic);
    last_partition_ = m.partition();
  }
  if (e->at != phase::running) {
    held_.push_back(held_message{std::string(m.topic), m.partition(), m.offset(), m.timestamp(),
                                 m.key ? std::optional<std::string>(*m.key) : std::nullopt,
                                 m.value ? std::optional<std::string>(*m.value) : std::nullopt});
    return;
  }
  e->t->add(m);
  dirty_ = true;
}

void task_manager::process(std::chrono::steady_clock::time_point now, int64_t wall_ms) {
  // Records processed after waiting for an idle input arrive with no new
  // message: they too make a commit due.
  for (auto& [key, e] : tasks_)
    if (e.at == phase::running && e.t->has_buffered() && e.t->process_buffered(now)) dirty_ = true;
  for (auto& [key, e] : tasks_)
    if (e.at == phase::running) e.t->punctuate_wall_clock(wall_ms);
}

bool task_manager::fenced(const client::error& e, std::string_view when) const {
  if (exactly_once() || !client::is_rebalance(e)) return false;
  spdlog::warn("stream: {}: commit {}refused, the group rebalanced without this member: {}",
               sh_.config.application_id, when.empty() ? "" : std::string(when) + " ", e.message);
  return true;
}

bool task_manager::retry_later(const client::error& e, std::chrono::steady_clock::time_point now) {
  if (exactly_once() || !client::is_transient(e)) return false;
  if (!commit_failing_since_) commit_failing_since_ = now;
  if (now - *commit_failing_since_ >= std::chrono::minutes(5)) return false;
  spdlog::warn("stream: {}: commit failed, retried at the next commit interval: {}",
               sh_.config.application_id, e.message);
  return true;
}

client::result<void> task_manager::commit(bool closing) {
  if (exactly_once()) return commit_transaction(closing);
  if (tasks_.empty() || sh_.failed()) return outcome::success();
  const auto started = std::chrono::steady_clock::now();
  // Only running tasks: a restoring task has processed nothing, and a
  // checkpoint now would claim changelog records it has not applied yet.
  // 0. What the store caches hold, into the stores and their changelogs.
  try {
    for (auto& [key, e] : tasks_)
      if (e.at == phase::running) e.t->flush_caches();
  } catch (const fatal_error& ex) {
    return error_of(ex.what());
  }
  // 1. Every produced record (results, changelogs) acknowledged.
  RUNNEL_TRY(sh_.producer->flush(std::chrono::minutes(2)));
  if (sh_.failed()) return error_of(sh_.fatal);
  // 2. Stores durable up to those changelog offsets; checkpoints written.
  std::vector<client::topic_partition_offset> offsets;
  for (auto& [key, e] : tasks_) {
    if (e.at != phase::running) continue;
    RUNNEL_TRY(e.t->flush_for_commit());
    auto o = e.t->offsets_to_commit();
    offsets.insert(offsets.end(), o.begin(), o.end());
  }
  // 3. Only now the inputs' offsets.
  if (!offsets.empty()) {
    RUNNEL_TRY(consumer_.commit(offsets));
  }
  ++commits_;
  if (sh_.histograms)
    sh_.histograms->commit_latency.observe(std::chrono::steady_clock::now() - started);
  dirty_ = false;
  commit_failing_since_.reset();
  purge_repartition_topics(offsets);
  return outcome::success();
}

// Exactly-once: the outputs, changelog records and input offsets since the
// last commit are one transaction; then the next one begins. Local stores
// are not made durable here: a process that dies wipes them and restores
// from the changelogs (read_committed), so only a closing task writes its
// checkpoint, after its transaction committed. Restoring tasks, as above,
// have nothing to commit; their old checkpoint stays until they start.
client::result<void> task_manager::commit_transaction(bool closing) {
  if (sh_.failed()) return outcome::success();
  const auto started = std::chrono::steady_clock::now();
  try {
    for (auto& [key, e] : tasks_)
      if (e.at == phase::running) e.t->flush_caches();
  } catch (const fatal_error& ex) {
    return error_of(ex.what());
  }
  std::vector<client::topic_partition_offset> offsets;
  for (auto& [key, e] : tasks_) {
    if (e.at != phase::running) continue;
    auto o = e.t->offsets_to_commit();
    offsets.insert(offsets.end(), o.begin(), o.end());
  }
  if (!offsets.empty()) {
    RUNNEL_TRY(auto group, consumer_.group_metadata());
    RUNNEL_TRY(sh_.producer->send_offsets_to_transaction(offsets, group, std::chrono::minutes(1)));
  }
  RUNNEL_TRY(sh_.producer->commit_transaction(std::chrono::minutes(1)));
  if (sh_.failed()) return error_of(sh_.fatal);
  if (closing) {
    for (auto& [key, e] : tasks_)
      if (e.at == phase::running) {
        RUNNEL_TRY(e.t->flush_for_commit());
      }
  }
  RUNNEL_TRY(sh_.producer->begin_transaction());
  sh_.produced = false;
  ++commits_;
  if (sh_.histograms)
    sh_.histograms->commit_latency.observe(std::chrono::steady_clock::now() - started);
  dirty_ = false;
  purge_repartition_topics(offsets);
  return outcome::success();
}

// Repartition topics keep records forever (retention.ms -1, so old event
// times are not deleted before they are read); once their offsets are
// committed the records are deleted instead, as Kafka Streams does, every
// 30 s at most.
void task_manager::purge_repartition_topics(
    const std::vector<client::topic_partition_offset>& committed) {
  auto now = std::chrono::steady_clock::now();
  if (now - last_purge_ < std::chrono::seconds(30)) return;
  last_purge_ = now;
  std::vector<client::topic_partition_offset> purge;
  for (const auto& o : committed)
    if (internal_inputs_.count(o.topic)) purge.push_back(o);
  if (purge.empty()) return;
  if (auto r = sh_.admin->delete_records(purge); !r)
    spdlog::warn("stream: {}: purging repartition topics: {}", sh_.config.application_id,
                 r.error().message);
}

void task_manager::close() {
  on_revoked(true);
  (void)restorer_.close();
}

std::vector<task_metrics> task_manager::task_metrics_now(bool with_lag) {
  if (with_lag) {
    std::map<std::pair<std::string, int32_t>, int64_t> ends;
    for (const auto& topic : sh_.p.input_topics()) {
      auto offsets = sh_.admin->offsets(topic);
      if (!offsets) continue;
      for (auto& o : offsets.value()) ends[{topic, o.partition()}] = o.end();
    }
    for (auto& [key, e] : tasks_) {
      int64_t lag = 0;
      for (auto& o : e.t->offsets_to_commit()) {
        auto end = ends.find({o.topic, o.partition()});
        if (end != ends.end()) lag += std::max<int64_t>(0, end->second - o.offset());
      }
      e.t->set_lag(lag);
    }
  }
  std::vector<task_metrics> out;
  for (auto& [key, e] : tasks_) out.push_back(e.t->metrics());
  return out;
}

std::vector<store_stat> task_manager::store_stats_now() const {
  std::vector<store_stat> out;
  for (const auto& [key, e] : tasks_) {
    if (e.at != phase::running) continue;  // a restoring store's size says little yet
    for (auto& s : e.t->store_stats()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace runnel::stream::runtime
