#include "task.h"

#include <algorithm>
#include <chrono>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::stream::runtime {

namespace {

using steady = std::chrono::steady_clock;

client::error store_error(const std::string& what, const std::error_code& ec) {
  return client::error{ec, what + ": " + ec.message()};
}

// Process latency is measured on every 16th record (and the first 15 are not).
constexpr uint64_t latency_sample_every = 16;

}  // namespace

task::task(const subtopology& sub, int32_t partition, shared& s)
    : sub_(sub),
      partition_(partition),
      shared_(s),
      id_(fmt::format("{}_{}", sub.id, partition)),
      dir_(s.config.state_dir / s.config.application_id / id_) {}

task::~task() {
  close();
}

client::result<std::vector<restore_job>> task::open_stores() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return store_error("cannot create state directory " + dir_.string(), ec);
  auto cp = read_checkpoint(dir_);
  std::vector<restore_job> jobs;
  for (const auto* spec : sub_.stores) {
    auto& slot = stores_[spec->name];
    slot.spec = spec;
    RUNNEL_TRY(auto job, open_store(slot, cp));
    if (job) jobs.push_back(std::move(*job));
  }
  return jobs;
}

void task::start() {
  inputs_.clear();
  for (size_t i = 0; i < sub_.sources.size(); ++i) {
    input in;
    in.topic = sub_.topics[i];
    inputs_.push_back(std::move(in));
  }
  // Under exactly-once the stores hold uncommitted work from here on, and
  // only a clean close writes a checkpoint again: without one, the next
  // open wipes them and restores the changelogs' committed records.
  if (shared_.config.guarantee == processing_guarantee::exactly_once_v2) remove_checkpoint(dir_);
  // Operators are built after the stores are whole: they read watermarks
  // and register punctuations as they are instantiated.
  for (size_t i = 0; i < sub_.sources.size(); ++i)
    inputs_[i].sink = sub_.sources[i]->instantiate(*this);
}

client::result<std::optional<restore_job>> task::open_store(store_slot& slot,
                                                            const std::optional<checkpoint>& cp) {
  const auto& spec = *slot.spec;
  auto store_dir = dir_ / spec.name;
  std::string topic = shared_.p.changelog_topic(spec.name);

  RUNNEL_TRY(auto offsets, shared_.admin->offsets(topic));
  int64_t end = 0;
  for (auto& o : offsets)
    if (o.partition() == partition_) end = o.end();

  // Restore from the checkpoint if it is there and still makes sense,
  // else rebuild from the changelog's start (docs/format/stream-checkpoint.md).
  int64_t from = 0;
  bool have = cp && cp->count(spec.name) && std::filesystem::exists(store_dir);
  if (have && cp->at(spec.name) <= end) {
    from = cp->at(spec.name);
  } else {
    if (std::filesystem::exists(store_dir)) {
      spdlog::info("stream: task {}: no valid checkpoint for store {}; rebuilding it", id_,
                   spec.name);
      auto wiped = state::kv_store::destroy(store_dir);
      if (!wiped) return store_error("cannot wipe " + store_dir.string(), wiped.error());
    }
  }

  // Delivery reports find the slot by its tag.
  uint64_t tag = 0;
  slot.changelog = &shared_.slots.acquire(topic, partition_, end, tag);
  auto* cl = slot.changelog;
  auto* self = this;
  change_logger log = [self, cl, tag](std::string_view key, std::optional<std::string_view> value) {
    client::message_ref m;
    m.topic = cl->topic;
    m.partition = cl->partition;
    m.key = key;
    m.value = value;
    m.tag = tag;
    self->shared_.produced = true;
    if (auto r = self->shared_.producer->send(m); !r)
      throw fatal_error("cannot write changelog " + cl->topic + ": " + r.error().message);
  };

  restore_job job;
  switch (spec.kind) {
    case store_kind::key_value: {
      auto s = state::open_kv_store(store_dir, log);
      if (!s) return store_error("cannot open store " + spec.name, s.error());
      slot.kv = std::move(s.value());
      job.apply = [kv = slot.kv.get()](std::string_view k, std::optional<std::string_view> v) {
        return kv->restore(k, v);
      };
      break;
    }
    case store_kind::window: {
      auto s = state::open_window_store(store_dir, log);
      if (!s) return store_error("cannot open store " + spec.name, s.error());
      slot.window = std::move(s.value());
      if (spec.cached && shared_.config.cache_max_bytes > 0)
        slot.window_cached =
            std::make_unique<window_cache>(*slot.window, shared_.config.cache_max_bytes);
      job.apply = [w = slot.window.get()](std::string_view k, std::optional<std::string_view> v) {
        return w->restore(k, v);
      };
      break;
    }
    case store_kind::session: {
      auto s = state::open_session_store(store_dir, log);
      if (!s) return store_error("cannot open store " + spec.name, s.error());
      slot.session = std::move(s.value());
      job.apply = [ss = slot.session.get()](std::string_view k, std::optional<std::string_view> v) {
        return ss->restore(k, v);
      };
      break;
    }
  }
  if (from >= end) return std::optional<restore_job>();
  job.task = id_;
  job.store = spec.name;
  job.topic = topic;
  job.partition = partition_;
  job.from = from;
  job.end = end;
  return std::optional<restore_job>(std::move(job));
}

task::input* task::find_input(std::string_view topic) {
  for (auto& in : inputs_)
    if (in.topic == topic) return &in;
  return nullptr;
}

void task::add(const client::message_view& m) {
  auto* in = find_input(m.topic);
  if (!in) return;
  if (inputs_.size() == 1 && in->queue.empty()) {
    process(*in, detail::raw_record{m.key, m.value, m.timestamp()}, m.offset());
    return;
  }
  buffered b{m.offset(), m.timestamp(), std::nullopt, std::nullopt};
  if (m.key) b.key.emplace(*m.key);
  if (m.value) b.value.emplace(*m.value);
  in->queue.push_back(std::move(b));
}

bool task::has_buffered() const {
  return std::any_of(inputs_.begin(), inputs_.end(),
                     [](const input& in) { return !in.queue.empty(); });
}

bool task::process_buffered(steady::time_point now) {
  auto idle = shared_.config.max_task_idle;
  bool processed = false;
  while (true) {
    input* next = nullptr;
    bool some_empty = false;
    for (auto& in : inputs_) {
      if (in.queue.empty()) {
        some_empty = true;
        continue;
      }
      if (!next || in.queue.front().timestamp < next->queue.front().timestamp) next = &in;
    }
    if (!next) {
      blocked_since_.reset();
      return processed;
    }
    // An input without buffered records may still have older ones coming:
    // wait for it up to max_task_idle.
    if (some_empty && idle.count() > 0) {
      if (!blocked_since_) blocked_since_ = now;
      if (now - *blocked_since_ < idle) return processed;
    } else {
      blocked_since_.reset();
    }
    auto b = std::move(next->queue.front());
    next->queue.pop_front();
    std::optional<std::string_view> key, value;
    if (b.key) key = *b.key;
    if (b.value) value = *b.value;
    process(*next, detail::raw_record{key, value, b.timestamp}, b.offset);
    processed = true;
  }
}

void task::process(input& in, const detail::raw_record& r, int64_t offset) {
  origin_ = record_origin{&in.topic, partition_, offset};
  ++records_in_;
  // Two clock reads cost about as much as a small stateless operator chain
  // (8% of the stream thread in stream_bench's profile), so one record in
  // latency_sample_every is timed.
  const bool timed = records_in_ % latency_sample_every == 0;
  steady::time_point started;
  if (timed) started = steady::now();
  try {
    in.sink(r);
  } catch (const fatal_error&) {
    throw;
  } catch (const std::exception& e) {
    bad_record(std::string("processing threw: ") + e.what(), r.key, r.value, r.timestamp);
  }
  in.next_offset = offset + 1;
  run_stream_punctuators();
  if (!timed) return;
  const auto took = steady::now() - started;
  if (shared_.histograms) shared_.histograms->process_latency.observe(took);
  double us = std::chrono::duration<double, std::micro>(took).count();
  latency_sum_us_ += us;
  latency_max_us_ = std::max(latency_max_us_, us);
  ++latency_batches_;
}

void task::run_stream_punctuators() {
  for (auto& p : punctuators_) {
    if (p.type != punctuation_type::stream_time || stream_time_ == INT64_MIN) continue;
    if (p.next == INT64_MIN) p.next = stream_time_ + p.interval;
    if (stream_time_ < p.next) continue;
    // Stay on the schedule first + k * interval (as Kafka Streams does): a
    // jump in stream time fires once and skips the boundaries it passed.
    p.next += ((stream_time_ - p.next) / p.interval + 1) * p.interval;
    p.fn(stream_time_);
  }
}

void task::punctuate_wall_clock(int64_t now_ms) {
  for (auto& p : punctuators_) {
    if (p.type != punctuation_type::wall_clock) continue;
    if (p.next == INT64_MIN) p.next = now_ms + p.interval;
    if (now_ms < p.next) continue;
    p.next += ((now_ms - p.next) / p.interval + 1) * p.interval;
    try {
      p.fn(now_ms);
    } catch (const fatal_error&) {
      throw;
    } catch (const std::exception& e) {
      bad_record(std::string("punctuation threw: ") + e.what(), std::nullopt, std::nullopt, now_ms);
    }
  }
}

void task::schedule(std::chrono::milliseconds interval, punctuation_type type,
                    std::function<void(int64_t)> fn) {
  punctuators_.push_back(punctuator{std::max<int64_t>(1, interval.count()), type, std::move(fn)});
}

task::store_slot& task::slot(const std::string& name, store_kind kind) {
  auto it = stores_.find(name);
  if (it == stores_.end() || it->second.spec->kind != kind)
    throw fatal_error("task " + id_ + " has no store " + name + " of that kind");
  return it->second;
}

kv_bytes_store& task::kv_store(const std::string& name) {
  return *slot(name, store_kind::key_value).kv;
}
window_bytes_store& task::window_store(const std::string& name) {
  auto& s = slot(name, store_kind::window);
  if (s.window_cached) return *s.window_cached;
  return *s.window;
}
session_bytes_store& task::session_store(const std::string& name) {
  return *slot(name, store_kind::session).session;
}

void task::send(const std::string& topic, bool internal, std::optional<std::string_view> key,
                std::optional<std::string_view> value, int64_t timestamp, int32_t partition) {
  client::message_ref m;
  if (internal) {
    auto it = internal_names_.find(topic);
    if (it == internal_names_.end())
      it = internal_names_.emplace(topic, shared_.p.internal_topic(topic)).first;
    m.topic = it->second;
  } else {
    m.topic = topic;
  }
  m.partition = partition;
  m.key = key;
  m.value = value;
  // 0 would mean "now" to the producer; keep event time otherwise.
  m.timestamp_ms = timestamp > 0 ? timestamp : 0;
  shared_.produced = true;
  if (auto r = shared_.producer->send(m); !r)
    throw fatal_error("cannot produce to " + std::string(m.topic) + ": " + r.error().message);
  ++records_out_;
}

void task::late_record(std::string_view op, std::optional<std::string_view> key,
                       std::optional<std::string_view> value, int64_t ts) {
  ++late_;
  if (late_ <= 5 || late_ % 10000 == 0)
    spdlog::warn(
        "stream: task {}: {} dropped a late record (timestamp {}, stream time {}; {} so far)", id_,
        op, ts, stream_time_, late_);
  if (!shared_.config.dead_letter_topic.empty())
    to_dead_letter(fmt::format("late record at {} (stream time {})", op, stream_time_), key, value,
                   ts);
}

void task::bad_record(std::string_view why, std::optional<std::string_view> key,
                      std::optional<std::string_view> value, int64_t ts) {
  std::string where = fmt::format("{}-{}@{}", origin_.topic ? *origin_.topic : std::string("?"),
                                  origin_.partition, origin_.offset);
  if (shared_.config.on_error == error_policy::fail)
    throw fatal_error(fmt::format("task {}: record {}: {}", id_, where, why));
  ++skipped_;
  if (skipped_ <= 10 || skipped_ % 10000 == 0)
    spdlog::warn("stream: task {}: skipped record {}: {} ({} so far)", id_, where, why, skipped_);
  if (!shared_.config.dead_letter_topic.empty()) to_dead_letter(why, key, value, ts);
}

void task::to_dead_letter(std::string_view why, std::optional<std::string_view> key,
                          std::optional<std::string_view> value, int64_t ts) {
  client::outgoing_message m;
  m.topic = shared_.config.dead_letter_topic;
  if (key) m.key.emplace(*key);
  if (value) m.value.emplace(*value);
  if (ts > 0) m.timestamp = runnel::timestamp(ts);
  m.headers.push_back({"runnel.error", std::string(why)});
  m.headers.push_back({"runnel.application.id", shared_.config.application_id});
  if (origin_.topic) {
    m.headers.push_back({"runnel.source.topic", *origin_.topic});
    m.headers.push_back({"runnel.source.partition", std::to_string(origin_.partition)});
    m.headers.push_back({"runnel.source.offset", std::to_string(origin_.offset)});
  }
  shared_.produced = true;
  if (auto r = shared_.producer->send(m); !r)
    throw fatal_error("cannot write to the dead-letter topic " + m.topic + ": " +
                      r.error().message);
}

void task::flush_caches() {
  for (auto& [name, slot] : stores_)
    if (slot.window_cached) slot.window_cached->flush();
}

client::result<void> task::flush_for_commit() {
  checkpoint cp;
  for (auto& [name, slot] : stores_) {
    result<void> r = outcome::success();
    if (slot.kv)
      r = slot.kv->flush();
    else if (slot.window)
      r = slot.window->flush();
    else if (slot.session)
      r = slot.session->flush();
    if (!r) return store_error("task " + id_ + ": flushing store " + name, r.error());
    cp[name] = slot.changelog->next_offset;
  }
  if (!stores_.empty()) {
    auto w = write_checkpoint(dir_, cp);
    if (!w) return store_error("task " + id_ + ": writing checkpoint", w.error());
  }
  return outcome::success();
}

std::vector<client::topic_partition_offset> task::offsets_to_commit() const {
  std::vector<client::topic_partition_offset> out;
  for (const auto& in : inputs_)
    if (in.next_offset >= 0)
      out.push_back({in.topic, runnel::partition_id(partition_), runnel::offset(in.next_offset)});
  return out;
}

void task::close() {
  punctuators_.clear();
  inputs_.clear();
  for (auto& [name, slot] : stores_) {
    // Not flushed: a close without a commit before it is an unclean stop,
    // and the records behind what the cache holds are processed again.
    slot.window_cached.reset();
    result<void> r = outcome::success();
    if (slot.kv) r = slot.kv->close();
    if (slot.window) r = slot.window->close();
    if (slot.session) r = slot.session->close();
    if (!r) spdlog::warn("stream: task {}: closing store {}: {}", id_, name, r.error().message());
  }
  stores_.clear();
}

std::vector<store_stat> task::store_stats() const {
  std::vector<store_stat> out;
  for (const auto& [name, slot] : stores_) {
    store_stat s{id_, name};
    if (slot.kv) s = {id_, name, slot.kv->size_bytes(), slot.kv->approximate_entries()};
    if (slot.window) s = {id_, name, slot.window->size_bytes(), slot.window->approximate_entries()};
    if (slot.session)
      s = {id_, name, slot.session->size_bytes(), slot.session->approximate_entries()};
    out.push_back(std::move(s));
  }
  return out;
}

task_metrics task::metrics() const {
  task_metrics m;
  m.task = id_;
  m.records_in = records_in_;
  m.records_out = records_out_;
  m.late_records = late_;
  m.skipped_records = skipped_;
  m.lag = lag_;
  m.process_latency_avg_us = latency_batches_ ? latency_sum_us_ / latency_batches_ : 0;
  m.process_latency_max_us = latency_max_us_;
  m.stream_time = stream_time_;
  return m;
}

}  // namespace runnel::stream::runtime
