// app::run — the stream thread's loop: poll a batch, hand each record to its
// task, run punctuations, commit on the interval; rebalances open and close
// tasks in between (README.md, "Runtime").
#include "runnel/stream/app.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app_observer.h"
#include "observe/admin_server.h"
#include "plan.h"
#include "process_id.h"
#include "shared.h"
#include "task.h"

namespace runnel::stream {

namespace {

using steady = std::chrono::steady_clock;

std::atomic<bool> signalled{false};

extern "C" void on_stop_signal(int) {
  signalled.store(true);
}

// SIGTERM/SIGINT set `signalled` while run() is in progress.
class signal_scope {
 public:
  explicit signal_scope(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    signalled.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGINT, &sa, &old_int_);
  }
  ~signal_scope() {
    if (!enabled_) return;
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
  }

 private:
  bool enabled_;
  struct sigaction old_term_ {
  }, old_int_{};
};

client::error error_of(std::string message) {
  return client::error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A record that arrived for a task still restoring: kept until it opens.
struct held_message {
  std::string topic;
  int32_t partition;
  int64_t offset, timestamp;
  std::optional<std::string> key, value;
};

}  // namespace

struct app::impl {
  topology topo;
  app_config config;
  std::atomic<bool> stop_requested{false};
  std::atomic<app_state> current{app_state::created};
  mutable std::mutex metrics_mu;
  app_metrics snapshot;
  std::vector<runtime::store_stat> store_stats;  // under metrics_mu
  runtime::app_histograms histograms;
  std::atomic<uint16_t> admin_port{0};

  // The stream thread's own state, valid during run().
  runtime::plan plan;
  std::unique_ptr<runtime::shared> sh;
  std::optional<client::admin> admin;
  std::optional<client::producer> producer;
  std::optional<client::consumer> consumer;
  std::optional<client::consumer> restorer;
  std::map<std::pair<int, int32_t>, std::unique_ptr<runtime::task>> tasks;
  std::map<std::pair<std::string, int32_t>, runtime::task*> by_partition;
  // The last by_partition hit: a poll's records come in runs of one
  // partition, and the lookup would build a std::string per record.
  std::string last_topic;
  int32_t last_partition = -1;
  runtime::task* last_task = nullptr;
  std::vector<std::pair<int, int32_t>> pending;  // assigned, not yet restored
  std::vector<client::topic_partition> paused;
  std::vector<held_message> held;
  bool failed = false;
  bool dirty = false;                     // processed something since the last commit
  std::set<std::string> internal_inputs;  // repartition topics, full names
  steady::time_point last_purge = steady::now();
  uint64_t commits = 0, rebalances = 0;

  // Last, so they go first: both read the members above from other threads.
  observe::collector_handle collector;
  std::unique_ptr<observe::admin_server> admin_server;

  impl(topology t, app_config c)
      : topo(std::move(t)), config(std::move(c)), histograms(config.application_id) {
    collector = observe::metrics().add_collector([this](observe::sample_sink& out) {
      std::lock_guard lock(metrics_mu);
      runtime::emit(out, config.application_id, snapshot, store_stats, current.load());
    });
  }

  // A commit the group refused because it has moved on without this member
  // (its session timed out while the coordinator was unreachable, say): the
  // partitions may be another member's now, so the offsets are not ours to
  // commit. It is not the app's failure: librdkafka rejoins and reports the
  // partitions lost, which closes the tasks; whoever gets them next
  // restores their state and reads from the last commit (at-least-once, as
  // Kafka Streams does after a TaskMigratedException). Returns whether `e`
  // was such a refusal.
  //
  // Under exactly-once such a refusal leaves the transaction to be aborted
  // and the stores holding its uncommitted writes; the app stops instead
  // (a restart wipes the stores and restores them, read_committed), so no
  // record counts twice. Kafka Streams aborts and rejoins in place: not yet.
  bool fenced(const client::error& e, std::string_view when) {
    if (exactly_once() || !client::is_rebalance(e)) return false;
    spdlog::warn("stream: {}: commit {}refused, the group rebalanced without this member: {}",
                 config.application_id, when.empty() ? "" : std::string(when) + " ", e.message);
    return true;
  }

  // A commit that failed on its way to the group coordinator (NOT_COORDINATOR
  // after the coordinator's broker died, a timeout) loses nothing under
  // at-least-once: the stores are flushed, the inputs' offsets stay
  // uncommitted, and the next commit interval tries again once librdkafka
  // has found the coordinator. As Kafka Streams' task.timeout.ms, it gives
  // up when commits have failed for 5 minutes in a row. Returns whether `e`
  // is to be retried.
  bool retry_later(const client::error& e, steady::time_point now) {
    if (exactly_once() || !client::is_transient(e)) return false;
    if (!commit_failing_since) commit_failing_since = now;
    if (now - *commit_failing_since >= std::chrono::minutes(5)) return false;
    spdlog::warn("stream: {}: commit failed, retried at the next commit interval: {}",
                 config.application_id, e.message);
    return true;
  }
  std::optional<steady::time_point> commit_failing_since;

  void fail(std::string why) {
    if (!failed) spdlog::error("stream: {}: {}", config.application_id, why);
    failed = true;
    if (sh && sh->fatal.empty()) sh->fatal = std::move(why);
  }

  client::client_config client_config() const {
    client::client_config cc;
    cc.brokers = config.brokers;
    cc.client_id = config.application_id;
    cc.properties = config.client_properties;
    return cc;
  }

  client::result<void> run();
  client::result<void> start_admin_server();
  client::result<void> start();
  void loop();
  void on_rebalance(const client::rebalance_event& e);
  void open_pending();
  void dispatch(const client::message_view& m);
  bool exactly_once() const { return config.guarantee == processing_guarantee::exactly_once_v2; }
  std::chrono::milliseconds commit_interval() const {
    using std::chrono::milliseconds;
    return config.commit_interval.value_or(exactly_once() ? milliseconds(100) : milliseconds(1000));
  }
  // `closing`: the tasks are closed right after (shutdown, revoke), so
  // under exactly-once they write their checkpoints too.
  client::result<void> commit(bool closing);
  client::result<void> commit_transaction(bool closing);
  void purge_repartition_topics(const std::vector<client::topic_partition_offset>& committed);
  void close_tasks();
  void update_metrics(bool with_lag);
};

client::result<void> app::impl::start() {
  static const std::regex valid_id("[A-Za-z0-9._-]+");
  if (!std::regex_match(config.application_id, valid_id))
    return error_of(
        "application_id must be non-empty and use only letters, digits, '.', '_' and '-'");

  RUNNEL_TRY(auto a, client::admin::create(
                         client::admin_options{client_config(), std::chrono::seconds(30)}));
  admin.emplace(std::move(a));
  plan = runtime::group_sources(detail::access::graph_of(topo), config.application_id);
  if (plan.subtopologies.empty()) return error_of("the topology reads no topic");
  sh = std::make_unique<runtime::shared>(runtime::shared{config, plan, nullptr, &*admin, {}, {}});
  sh->histograms = &histograms;
  RUNNEL_TRY(runtime::resolve_and_create(plan, detail::access::graph_of(topo), config, *admin));
  for (const auto& sub : plan.subtopologies)
    for (size_t i = 0; i < sub.sources.size(); ++i)
      if (sub.sources[i]->internal) internal_inputs.insert(sub.topics[i]);

  client::producer_options po;
  po.client = client_config();
  // Records keyed like Kafka's Java clients (and Kafka Streams) key them, so
  // repartitioned data and tables written by Java producers line up.
  po.client.properties.insert(po.client.properties.begin(), {"partitioner", "murmur2_random"});
  po.acks = "all";
  po.idempotent = true;
  po.linger = std::chrono::milliseconds(5);
  po.delivery_timeout = std::chrono::minutes(2);
  if (exactly_once()) {
    // One transactional producer for the stream thread (KIP-447), its id
    // stable across restarts from the same state directory, so that a
    // restarted process fences its dead predecessor and aborts the
    // transaction it left open at once instead of after its timeout.
    RUNNEL_TRY(auto id, runtime::process_id(config.state_dir / config.application_id));
    po.transactional_id = config.application_id + "-" + id + "-0";
    // Kafka Streams' default under exactly-once: a transaction left open
    // by a process that died elsewhere blocks read_committed readers of its
    // partitions for at most this long.
    po.transaction_timeout = std::chrono::seconds(10);
  }
  auto* shp = sh.get();
  po.on_delivery = [shp](const client::delivery_report& r) {
    if (r.error) {
      if (shp->fatal.empty())
        shp->fatal =
            fmt::format("a produced record to {} was not delivered: {}", r.topic, r.error->message);
      return;
    }
    if (r.tag == 0 || r.tag > shp->slots.size() || r.offset() < 0) return;
    auto& slot = shp->slots[r.tag - 1];
    slot.next_offset = std::max(slot.next_offset, r.offset() + 1);
  };
  RUNNEL_TRY(auto p, client::producer::create(po));
  producer.emplace(std::move(p));
  sh->producer = &*producer;
  if (exactly_once()) {
    RUNNEL_TRY(producer->init_transactions(std::chrono::minutes(1)));
    RUNNEL_TRY(producer->begin_transaction());
    spdlog::info("stream: {}: exactly-once, transactional.id {}", config.application_id,
                 po.transactional_id);
  }

  client::consumer_options co;
  co.client = client_config();
  co.client.properties.insert(co.client.properties.begin(),
                              {"partition.assignment.strategy", "range"});
  // librdkafka 2.0 stops fetching a partition whose queue holds
  // queued.min.messages (default 100,000) and retries only after
  // fetch.error.backoff.ms (500 ms): a stream thread that drains faster than
  // that sat idle most of the time (220k events/s at 20 % CPU). A deeper
  // queue keeps it fed; queued.max.messages.kbytes (64 MiB) still bounds
  // the memory.
  co.client.properties.insert(co.client.properties.begin(), {"queued.min.messages", "1000000"});
  // Inputs written by transactions (repartition topics under exactly-once,
  // or any transactional producer) are read committed only; this is
  // librdkafka's default too.
  co.client.properties.insert(co.client.properties.begin(), {"isolation.level", "read_committed"});
  co.group_id = config.application_id;
  if (!config.group_instance_id.empty())
    co.client.properties.insert(co.client.properties.begin(),
                                {"group.instance.id", config.group_instance_id});
  co.auto_commit = false;
  co.auto_offset_reset = config.auto_offset_reset;
  co.on_rebalance = [this](const client::rebalance_event& e) { on_rebalance(e); };
  RUNNEL_TRY(auto c, client::consumer::create(co));
  consumer.emplace(std::move(c));

  client::consumer_options ro;
  ro.client = client_config();
  ro.client.client_id = config.application_id + "-restore";
  ro.report_partition_end = true;
  ro.auto_offset_reset = "earliest";
  // Changelogs restore what committed transactions wrote, never the
  // records of an aborted one.
  ro.client.properties.insert(ro.client.properties.begin(), {"isolation.level", "read_committed"});
  RUNNEL_TRY(auto r, client::consumer::create(ro));
  restorer.emplace(std::move(r));

  RUNNEL_TRY(consumer->subscribe(plan.input_topics()));
  spdlog::info("stream: {}: {} sub-topologies, inputs {}", config.application_id,
               plan.subtopologies.size(), fmt::join(plan.input_topics(), ", "));
  return outcome::success();
}

void app::impl::on_rebalance(const client::rebalance_event& e) {
  ++rebalances;
  if (e.what != client::rebalance_event::kind::assigned) {
    if (e.what == client::rebalance_event::kind::revoked && !failed) {
      current = app_state::restoring;
      if (auto r = commit(true); !r && !fenced(r.error(), "before giving partitions away"))
        fail("commit before giving partitions away failed: " + r.error().message);
    }
    close_tasks();
    return;
  }
  current = app_state::restoring;
  for (const auto& tp : e.partitions) {
    auto it = plan.topic_subtopology.find(tp.topic);
    if (it == plan.topic_subtopology.end()) continue;
    auto key = std::make_pair(it->second, tp.partition());
    if (!tasks.count(key)) {
      tasks[key] =
          std::make_unique<runtime::task>(plan.subtopologies[it->second], tp.partition(), *sh);
      pending.push_back(key);
    }
    by_partition[{tp.topic, tp.partition()}] = tasks[key].get();
    last_task = nullptr;
  }
  // Nothing is read until the tasks' state is restored.
  paused = e.partitions;
  if (auto r = consumer->pause(paused); !r) fail("cannot pause partitions: " + r.error().message);
  spdlog::info("stream: {}: assigned {} partitions, {} tasks", config.application_id,
               e.partitions.size(), tasks.size());
}

void app::impl::open_pending() {
  for (auto key : pending) {
    auto it = tasks.find(key);
    if (it == tasks.end()) continue;
    if (auto r = it->second->open(*restorer); !r) {
      fail("task " + it->second->id() + ": " + r.error().message);
      return;
    }
  }
  pending.clear();
  // Records that slipped in before the pause.
  auto keep = std::move(held);
  held.clear();
  for (auto& h : keep) {
    auto t = by_partition.find({h.topic, h.partition});
    if (t == by_partition.end()) continue;
    client::message_view v{};
    v.topic = h.topic;
    v.partition = runnel::partition_id(h.partition);
    v.offset = runnel::offset(h.offset);
    v.timestamp = runnel::timestamp(h.timestamp);
    if (h.key) v.key = *h.key;
    if (h.value) v.value = *h.value;
    t->second->add(v);
  }
  if (auto r = consumer->resume(paused); !r) fail("cannot resume partitions: " + r.error().message);
  paused.clear();
  if (!failed) current = app_state::running;
}

void app::impl::dispatch(const client::message_view& m) {
  runtime::task* t = last_task;
  if (!t || m.partition() != last_partition || m.topic != last_topic) {
    auto it = by_partition.find({std::string(m.topic), m.partition()});
    if (it == by_partition.end()) return;
    t = last_task = it->second;
    last_topic.assign(m.topic);
    last_partition = m.partition();
  }
  if (!pending.empty() && std::find(pending.begin(), pending.end(),
                                    std::make_pair(t->sub().id, m.partition())) != pending.end()) {
    held.push_back(held_message{std::string(m.topic), m.partition(), m.offset(), m.timestamp(),
                                m.key ? std::optional<std::string>(*m.key) : std::nullopt,
                                m.value ? std::optional<std::string>(*m.value) : std::nullopt});
    return;
  }
  t->add(m);
  dirty = true;
}

client::result<void> app::impl::commit(bool closing) {
  if (exactly_once()) return commit_transaction(closing);
  if (tasks.empty() || failed) return outcome::success();
  const auto started = steady::now();
  // 0. What the store caches hold, into the stores and their changelogs.
  try {
    for (auto& [key, t] : tasks)
      if (std::find(pending.begin(), pending.end(), key) == pending.end()) t->flush_caches();
  } catch (const runtime::fatal_error& e) {
    return error_of(e.what());
  }
  // 1. Every produced record (results, changelogs) acknowledged.
  RUNNEL_TRY(producer->flush(std::chrono::minutes(2)));
  if (!sh->fatal.empty()) return error_of(sh->fatal);
  // 2. Stores durable up to those changelog offsets; checkpoints written.
  std::vector<client::topic_partition_offset> offsets;
  for (auto& [key, t] : tasks) {
    if (std::find(pending.begin(), pending.end(), key) != pending.end()) continue;
    RUNNEL_TRY(t->flush_for_commit());
    auto o = t->offsets_to_commit();
    offsets.insert(offsets.end(), o.begin(), o.end());
  }
  // 3. Only now the inputs' offsets.
  if (!offsets.empty()) {
    RUNNEL_TRY(consumer->commit(offsets));
  }
  ++commits;
  histograms.commit_latency.observe(steady::now() - started);
  dirty = false;
  purge_repartition_topics(offsets);
  return outcome::success();
}

// Exactly-once: the outputs, changelog records and input offsets since the
// last commit are one transaction; then the next one begins. Local stores
// are not made durable here: a process that dies wipes them and restores
// from the changelogs (read_committed), so only a closing task writes its
// checkpoint, after its transaction committed.
client::result<void> app::impl::commit_transaction(bool closing) {
  if (failed) return outcome::success();
  const auto started = steady::now();
  try {
    for (auto& [key, t] : tasks)
      if (std::find(pending.begin(), pending.end(), key) == pending.end()) t->flush_caches();
  } catch (const runtime::fatal_error& e) {
    return error_of(e.what());
  }
  std::vector<client::topic_partition_offset> offsets;
  for (auto& [key, t] : tasks) {
    if (std::find(pending.begin(), pending.end(), key) != pending.end()) continue;
    auto o = t->offsets_to_commit();
    offsets.insert(offsets.end(), o.begin(), o.end());
  }
  if (!offsets.empty()) {
    RUNNEL_TRY(auto group, consumer->group_metadata());
    RUNNEL_TRY(producer->send_offsets_to_transaction(offsets, group, std::chrono::minutes(1)));
  }
  RUNNEL_TRY(producer->commit_transaction(std::chrono::minutes(1)));
  if (!sh->fatal.empty()) return error_of(sh->fatal);
  if (closing) {
    for (auto& [key, t] : tasks)
      if (std::find(pending.begin(), pending.end(), key) == pending.end()) {
        RUNNEL_TRY(t->flush_for_commit());
      }
  }
  RUNNEL_TRY(producer->begin_transaction());
  sh->produced = false;
  ++commits;
  histograms.commit_latency.observe(steady::now() - started);
  dirty = false;
  purge_repartition_topics(offsets);
  return outcome::success();
}

// Repartition topics keep records forever (retention.ms -1, so old event
// times are not deleted before they are read); once their offsets are
// committed the records are deleted instead, as Kafka Streams does, every
// 30 s at most.
void app::impl::purge_repartition_topics(
    const std::vector<client::topic_partition_offset>& committed) {
  auto now = steady::now();
  if (now - last_purge < std::chrono::seconds(30)) return;
  last_purge = now;
  std::vector<client::topic_partition_offset> purge;
  for (const auto& o : committed)
    if (internal_inputs.count(o.topic)) purge.push_back(o);
  if (purge.empty()) return;
  if (auto r = admin->delete_records(purge); !r)
    spdlog::warn("stream: {}: purging repartition topics: {}", config.application_id,
                 r.error().message);
}

void app::impl::close_tasks() {
  for (auto& [key, t] : tasks) t->close();
  tasks.clear();
  by_partition.clear();
  last_task = nullptr;
  pending.clear();
  held.clear();
}

void app::impl::update_metrics(bool with_lag) {
  if (with_lag && admin) {
    std::map<std::pair<std::string, int32_t>, int64_t> ends;
    for (const auto& topic : plan.input_topics()) {
      auto offsets = admin->offsets(topic);
      if (!offsets) continue;
      for (auto& o : offsets.value()) ends[{topic, o.partition()}] = o.end();
    }
    for (auto& [key, t] : tasks) {
      int64_t lag = 0;
      for (auto& o : t->offsets_to_commit()) {
        auto e = ends.find({o.topic, o.partition()});
        if (e != ends.end()) lag += std::max<int64_t>(0, e->second - o.offset());
      }
      t->set_lag(lag);
    }
  }
  app_metrics m;
  std::vector<runtime::store_stat> stores;
  for (auto& [key, t] : tasks) {
    m.tasks.push_back(t->metrics());
    if (std::find(pending.begin(), pending.end(), key) != pending.end()) continue;
    for (auto& s : t->store_stats()) stores.push_back(std::move(s));
  }
  m.commits = commits;
  m.rebalances = rebalances;
  std::lock_guard lock(metrics_mu);
  snapshot = std::move(m);
  store_stats = std::move(stores);
}

void app::impl::loop() {
  auto last_commit = steady::now();
  auto last_metrics = steady::now();
  auto last_lag = steady::now();
  auto last_log = steady::now();
  auto on_message = [this](const client::message_view& m) { dispatch(m); };
  while (!stop_requested.load() && !signalled.load() && !failed) {
    auto n =
        consumer->poll_batch(std::chrono::milliseconds(100), config.max_poll_records, on_message);
    if (!n && !client::is_transient(n.error())) {
      fail("consumer: " + n.error().message);
      break;
    }
    if (!pending.empty() && !failed) open_pending();
    auto now = steady::now();
    try {
      // Records processed after waiting for an idle input arrive with no
      // new message: they too make a commit due.
      for (auto& [key, t] : tasks)
        if (t->has_buffered() && t->process_buffered(now)) dirty = true;
      int64_t wall = wall_ms();
      for (auto& [key, t] : tasks) t->punctuate_wall_clock(wall);
    } catch (const runtime::fatal_error& e) {
      fail(e.what());
      break;
    }
    producer->poll(std::chrono::milliseconds(0));
    if (!sh->fatal.empty()) {
      fail(sh->fatal);
      break;
    }
    // Under exactly-once, records sent by a wall-clock punctuation alone
    // make a commit due too: an open transaction must not outlive its
    // timeout.
    if ((dirty || (sh->produced && exactly_once())) && now - last_commit >= commit_interval()) {
      if (auto r = commit(false); !r) {
        if (!fenced(r.error(), "") && !retry_later(r.error(), now)) {
          fail("commit failed: " + r.error().message);
          break;
        }
      } else {
        commit_failing_since.reset();
      }
      last_commit = now;
    }
    if (now - last_metrics >= std::chrono::seconds(1)) {
      bool lag = now - last_lag >= std::chrono::seconds(10);
      update_metrics(lag);
      if (lag) last_lag = now;
      last_metrics = now;
    }
    if (config.metrics_log_interval.count() > 0 && now - last_log >= config.metrics_log_interval) {
      last_log = now;
      std::lock_guard lock(metrics_mu);
      for (auto& t : snapshot.tasks)
        spdlog::info(
            "stream: {} task {}: in {} out {} late {} skipped {} lag {} latency avg {:.1f} us max "
            "{:.1f} us",
            config.application_id, t.task, t.records_in, t.records_out, t.late_records,
            t.skipped_records, t.lag, t.process_latency_avg_us, t.process_latency_max_us);
    }
  }
}

// The admin HTTP server app_config::admin_listen asks for: it serves the
// process' registry, /health (not failed) and /ready (running), until the
// app is destroyed.
client::result<void> app::impl::start_admin_server() {
  if (config.admin_listen.empty() || admin_server) return outcome::success();
  auto at = observe::parse_host_port(config.admin_listen);
  if (!at) return error_of("admin_listen expects HOST:PORT, got '" + config.admin_listen + "'");
  observe::admin_options o;
  o.host = at->first;
  o.port = at->second;
  o.alive = [this]() -> observe::status {
    if (current.load() == app_state::failed) return {false, "the app failed (see its log)"};
    return {};
  };
  o.ready = [this]() -> observe::status {
    const auto s = current.load();
    if (s == app_state::running) return {};
    return {false, runtime::state_label(s)};
  };
  auto a = observe::admin_server::start(std::move(o));
  if (!a)
    return client::error{a.error(), "cannot start the admin server on " + config.admin_listen +
                                        ": " + a.error().message()};
  admin_server = std::move(a).value();
  admin_port = admin_server->port();
  return outcome::success();
}

client::result<void> app::impl::run() {
  signal_scope signals(config.handle_signals);
  current = app_state::starting;
  if (auto r = start_admin_server(); !r) {
    current = app_state::failed;
    return r.error();
  }
  if (auto r = start(); !r) {
    current = app_state::failed;
    return r.error();
  }
  try {
    loop();
  } catch (const runtime::fatal_error& e) {
    fail(e.what());
  }
  current = app_state::stopping;
  if (!failed) {
    if (auto r = commit(true); !r) fail("final commit failed: " + r.error().message);
  }
  // What an exactly-once app did since its last commit is thrown away at
  // once, rather than when the transaction times out.
  if (failed && exactly_once() && producer)
    (void)producer->abort_transaction(std::chrono::seconds(10));
  // Taken while the tasks are still there, so that metrics() after run()
  // shows what they did.
  update_metrics(false);
  close_tasks();
  // Leaves the group at once, so the others take the partitions over
  // without waiting for the session timeout.
  if (consumer) (void)consumer->close();
  if (restorer) (void)restorer->close();
  if (producer) (void)producer->flush(std::chrono::seconds(30));
  current = failed ? app_state::failed : app_state::stopped;
  spdlog::info("stream: {}: stopped{}", config.application_id, failed ? " after an error" : "");
  if (failed) return error_of(sh ? sh->fatal : std::string("failed"));
  return outcome::success();
}

app::app(topology t, app_config c) : impl_(std::make_unique<impl>(std::move(t), std::move(c))) {}
app::~app() = default;

client::result<void> app::run() {
  return impl_->run();
}
void app::stop() {
  impl_->stop_requested.store(true);
}
app_metrics app::metrics() const {
  std::lock_guard lock(impl_->metrics_mu);
  return impl_->snapshot;
}
app_state app::state() const {
  return impl_->current.load();
}
uint16_t app::admin_port() const {
  return impl_->admin_port.load();
}

}  // namespace runnel::stream
