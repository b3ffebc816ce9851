#include "app_observer.h"

namespace runnel::stream::runtime {

namespace {

observe::label_pairs app_label(const std::string& id) {
  return {{"application", id}};
}

observe::label_pairs task_labels(const std::string& id, const std::string& task) {
  return {{"application", id}, {"task", task}};
}

}  // namespace

app_histograms::app_histograms(const std::string& id)
    : process_latency(observe::metrics()
                          .histogram_family("runnel_stream_process_latency_seconds",
                                            "Time from a record reaching its task to the end of "
                                            "its processing (one record in 16 is timed).",
                                            {"application"}, observe::latency_buckets())
                          .with({id})),
      commit_latency(observe::metrics()
                         .histogram_family("runnel_stream_commit_latency_seconds",
                                           "Time a commit took: caches flushed, every produced "
                                           "record acknowledged, stores synced, offsets committed.",
                                           {"application"}, observe::latency_buckets())
                         .with({id})),
      lateness(observe::metrics()
                   .histogram_family(
                       "runnel_stream_record_lateness_seconds",
                       "How far behind its task's stream time an out-of-order record arrived "
                       "(records in order are not counted).",
                       {"application"},
                       observe::make_buckets({0.001, 0.01, 0.1, 1, 10, 60, 300, 900, 3600, 86400}))
                   .with({id})) {}

restore_meters make_restore_meters(const std::string& id, const std::string& task,
                                   const std::string& store) {
  static auto& remaining = observe::metrics().gauge_family(
      "runnel_stream_restore_remaining_records",
      "Changelog records a store still has to restore (0 once restored).",
      {"application", "task", "store"});
  static auto& restored = observe::metrics().counter_family(
      "runnel_stream_restored_records_total", "Changelog records restored into a store.",
      {"application", "task", "store"});
  return {remaining.scoped_with({id, task, store}), restored.scoped_with({id, task, store})};
}

const char* state_label(app_state s) {
  switch (s) {
    case app_state::created:
      return "CREATED";
    case app_state::starting:
      return "STARTING";
    case app_state::restoring:
      return "REBALANCING";
    case app_state::running:
      return "RUNNING";
    case app_state::stopping:
      return "PENDING_SHUTDOWN";
    case app_state::stopped:
      return "NOT_RUNNING";
    case app_state::failed:
      return "ERROR";
  }
  return "UNKNOWN";
}

void emit(observe::sample_sink& out, const std::string& id, const app_metrics& m,
          const std::vector<store_stat>& stores, app_state state) {
  out.gauge("runnel_stream_tasks", "Tasks the app runs in this process.", app_label(id),
            double(m.tasks.size()));
  out.counter("runnel_stream_commits_total", "Commits the app completed.", app_label(id),
              double(m.commits));
  out.counter("runnel_stream_rebalances_total", "Partition assignments and revocations seen.",
              app_label(id), double(m.rebalances));
  for (auto s : {app_state::created, app_state::starting, app_state::restoring, app_state::running,
                 app_state::stopping, app_state::stopped, app_state::failed})
    out.gauge("runnel_stream_state",
              "1 for the app's current state (CREATED, STARTING, REBALANCING: assigning and "
              "restoring, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, ERROR), 0 for the others.",
              {{"application", id}, {"state", state_label(s)}}, s == state ? 1 : 0);
  for (const auto& t : m.tasks) {
    const auto l = task_labels(id, t.task);
    out.counter("runnel_stream_records_processed_total", "Records a task took from its inputs.", l,
                double(t.records_in));
    out.counter("runnel_stream_records_produced_total",
                "Records a task sent to sink and repartition topics.", l, double(t.records_out));
    out.counter("runnel_stream_late_records_dropped_total",
                "Records dropped because their window had closed (past its grace period).", l,
                double(t.late_records));
    out.counter("runnel_stream_skipped_records_total",
                "Records skipped under error_policy::log_and_skip (bad input, user code threw).", l,
                double(t.skipped_records));
    if (t.lag >= 0)
      out.gauge("runnel_stream_task_lag",
                "Records between a task's position and its inputs' ends (checked every 10 s).", l,
                double(t.lag));
  }
  for (const auto& s : stores) {
    observe::label_pairs l{{"application", id}, {"task", s.task}, {"store", s.store}};
    out.gauge("runnel_stream_state_store_bytes",
              "Bytes a state store takes in RocksDB (SST files and memtables).", l,
              double(s.bytes));
    out.gauge("runnel_stream_state_store_entries", "RocksDB's estimate of a store's entries.",
              std::move(l), double(s.entries));
  }
}

}  // namespace runnel::stream::runtime
