// app::run — the stream thread's loop: poll a batch, hand each record to its
// task, take a restore step, run punctuations, commit on the interval;
// rebalances open and close tasks in between. The tasks and their commit
// path are the task manager's (task_manager.h), restores the restorer's
// (restorer.h); here: the clients, the loop, the app's state and metrics.
#include "runnel/stream/app.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app_observer.h"
#include "observe/admin_server.h"
#include "plan.h"
#include "process_id.h"
#include "shared.h"
#include "task_manager.h"

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

// librdkafka's default session.timeout.ms: how long the group keeps a member
// that stopped heartbeating (killed, frozen) before it rebalances without it.
constexpr int64_t default_session_timeout_ms = 45000;

// After this long without an assignment, the app says what it waits for.
constexpr auto assignment_wait_log_after = std::chrono::seconds(2);
constexpr auto assignment_wait_log_every = std::chrono::seconds(10);

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
  std::optional<runtime::task_manager> tasks;
  uint64_t rebalances = 0;
  // Set while the member has no assignment (after subscribing, after a
  // revoke) and cleared when partitions are assigned.
  std::optional<steady::time_point> waiting_since;
  std::optional<steady::time_point> last_wait_log;  // during this wait

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

  bool failed() const { return sh && sh->failed(); }
  bool exactly_once() const { return config.guarantee == processing_guarantee::exactly_once_v2; }
  std::chrono::milliseconds commit_interval() const {
    using std::chrono::milliseconds;
    return config.commit_interval.value_or(exactly_once() ? milliseconds(100) : milliseconds(1000));
  }
  void fail(std::string why) {
    if (sh) sh->fail(std::move(why));
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
  void log_waiting_for_assignment(steady::duration waited);
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
  const auto& graph = detail::access::graph_of(topo);
  plan = runtime::group_sources(graph, config.application_id);
  if (plan.subtopologies.empty()) return error_of("the topology reads no topic");
  sh = std::make_unique<runtime::shared>(runtime::shared{config, plan, nullptr, &*admin, {}, {}});
  sh->histograms = &histograms;
  RUNNEL_TRY(runtime::resolve_and_create(plan, graph, config, *admin));

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
      shp->fail(
          fmt::format("a produced record to {} was not delivered: {}", r.topic, r.error->message));
      return;
    }
    shp->slots.delivered(r.tag, r.offset());
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

  // The restore consumer reads changelogs by assignment, in no group.
  client::consumer_options ro;
  ro.client = client_config();
  ro.client.client_id = config.application_id + "-restore";
  ro.report_partition_end = true;
  ro.auto_offset_reset = "earliest";
  // Changelogs restore what committed transactions wrote, never the
  // records of an aborted one.
  ro.client.properties.insert(ro.client.properties.begin(), {"isolation.level", "read_committed"});
  RUNNEL_TRY(auto r, client::consumer::create(ro));
  tasks.emplace(*sh, *consumer, std::move(r));

  RUNNEL_TRY(consumer->subscribe(plan.input_topics()));
  waiting_since = steady::now();
  last_wait_log.reset();
  spdlog::info("stream: {}: {} sub-topologies, inputs {}", config.application_id,
               plan.subtopologies.size(), fmt::join(plan.input_topics(), ", "));
  return outcome::success();
}

void app::impl::on_rebalance(const client::rebalance_event& e) {
  ++rebalances;
  if (e.what != client::rebalance_event::kind::assigned) {
    current = app_state::restoring;
    tasks->on_revoked(e.what == client::rebalance_event::kind::lost);
    waiting_since = steady::now();
    last_wait_log.reset();
    return;
  }
  current = app_state::restoring;
  tasks->on_assigned(e.partitions);
  waiting_since.reset();
}

// The group assigns nothing until every member it knows has rejoined; a
// member that died (kill -9, a crash) never does, and the coordinator waits
// for its session to time out. Say so, rather than sit silent.
void app::impl::log_waiting_for_assignment(steady::duration waited) {
  int64_t session_ms = default_session_timeout_ms;
  for (const auto& [k, v] : config.client_properties)
    if (k == "session.timeout.ms") session_ms = std::strtoll(v.c_str(), nullptr, 10);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(waited).count();
  std::string group = "its state unknown";
  if (auto g = admin->describe_group(config.application_id); g) {
    std::vector<std::string> members;
    for (const auto& m : g.value().members)
      members.push_back(fmt::format("{} ({})", m.member_id, m.host));
    group = fmt::format("{} with {} member(s){}{}", g.value().state, members.size(),
                        members.empty() ? "" : ": ", fmt::join(members, ", "));
  }
  spdlog::info(
      "stream: {}: waiting {} s for the group to assign partitions (group {}). A member that died "
      "without leaving keeps its partitions until its session times out (session.timeout.ms = {} "
      "ms), so after a crash this can take that long.",
      config.application_id, secs, group, session_ms);
}

void app::impl::update_metrics(bool with_lag) {
  app_metrics m;
  std::vector<runtime::store_stat> stores;
  if (tasks) {
    m.tasks = tasks->task_metrics_now(with_lag);
    m.commits = tasks->commits();
    m.restores = tasks->restore_progress_now();
    stores = tasks->store_stats_now();
  }
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
  bool was_restoring = false;
  auto on_message = [this](const client::message_view& m) { tasks->dispatch(m); };
  while (!stop_requested.load() && !signalled.load() && !failed()) {
    // While restoring, the restore step does the waiting: the group
    // consumer is polled between steps (its paused partitions give
    // nothing), which keeps this member in the group however long it takes.
    bool restoring = tasks->restoring();
    auto n = consumer->poll_batch(
        restoring ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100),
        config.max_poll_records, on_message);
    if (!n && !client::is_transient(n.error())) {
      fail("consumer: " + n.error().message);
      break;
    }
    tasks->restore_step(std::chrono::milliseconds(100));
    auto now = steady::now();
    try {
      tasks->process(now, wall_ms());
    } catch (const runtime::fatal_error& e) {
      fail(e.what());
      break;
    }
    producer->poll(std::chrono::milliseconds(0));
    if (failed()) break;
    // Under exactly-once, records sent by a wall-clock punctuation alone
    // make a commit due too: an open transaction must not outlive its
    // timeout.
    if (tasks->commit_due() && now - last_commit >= commit_interval()) {
      if (auto r = tasks->commit(false);
          !r && !tasks->fenced(r.error(), "") && !tasks->retry_later(r.error(), now)) {
        fail("commit failed: " + r.error().message);
        break;
      }
      last_commit = now;
    }
    restoring = tasks->restoring();
    if (!waiting_since && current == app_state::restoring && !restoring)
      current = app_state::running;
    if (waiting_since && now - *waiting_since >= assignment_wait_log_after &&
        (!last_wait_log || now - *last_wait_log >= assignment_wait_log_every)) {
      last_wait_log = now;
      log_waiting_for_assignment(now - *waiting_since);
    }
    // Metrics once a second, and as soon as a restore begins or ends.
    if (now - last_metrics >= std::chrono::seconds(1) || restoring != was_restoring) {
      bool lag = now - last_lag >= std::chrono::seconds(10);
      update_metrics(lag);
      if (lag) last_lag = now;
      last_metrics = now;
      was_restoring = restoring;
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
  if (!failed()) {
    if (auto r = tasks->commit(true); !r) fail("final commit failed: " + r.error().message);
  }
  // What an exactly-once app did since its last commit is thrown away at
  // once, rather than when the transaction times out.
  if (failed() && exactly_once() && producer)
    (void)producer->abort_transaction(std::chrono::seconds(10));
  if (failed()) spdlog::error("stream: {}: {}", config.application_id, sh->fatal);
  // Taken while the tasks are still there, so that metrics() after run()
  // shows what they did.
  update_metrics(false);
  tasks->close();
  // Leaves the group at once, so the others take the partitions over
  // without waiting for the session timeout.
  if (consumer) (void)consumer->close();
  if (producer) (void)producer->flush(std::chrono::seconds(30));
  current = failed() ? app_state::failed : app_state::stopped;
  spdlog::info("stream: {}: stopped{}", config.application_id, failed() ? " after an error" : "");
  if (failed()) return error_of(sh->fatal);
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
