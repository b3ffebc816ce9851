#include "restorer.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::stream::runtime {

namespace {

using steady = std::chrono::steady_clock;

// How long a restore may go without progress before it is an error: the
// changelog's leader is gone, or its records were deleted under us.
constexpr auto restore_stall_limit = std::chrono::minutes(2);

// How often a long restore logs how far it is.
constexpr auto progress_log_interval = std::chrono::seconds(10);

int64_t ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

restorer::restorer(client::consumer consumer, std::string application_id)
    : consumer_(std::move(consumer)), application_id_(std::move(application_id)) {}

void restorer::add(restore_job job) {
  job_state j;
  j.position = j.checked_position = job.from;
  j.started = j.last_progress = steady::now();
  j.meters = make_restore_meters(application_id_, job.task, job.store);
  update_meters(j);
  spdlog::info("stream: {}: task {}: restoring store {} from {} partition {}, offsets [{}, {})",
               application_id_, job.task, job.store, job.topic, job.partition, job.from, job.end);
  j.job = std::move(job);
  jobs_.push_back(std::move(j));
  assignment_stale_ = true;
  if (jobs_.size() == 1) last_log_ = steady::now();
}

void restorer::remove_task(const std::string& task) {
  auto gone = std::remove_if(jobs_.begin(), jobs_.end(), [&](const job_state& j) {
    if (j.job.task != task) return false;
    if (!j.done) assignment_stale_ = true;
    return true;
  });
  jobs_.erase(gone, jobs_.end());
}

bool restorer::restoring(const std::string& task) const {
  return std::any_of(jobs_.begin(), jobs_.end(),
                     [&](const job_state& j) { return !j.done && j.job.task == task; });
}

bool restorer::active() const {
  return std::any_of(jobs_.begin(), jobs_.end(), [](const job_state& j) { return !j.done; });
}

restorer::job_state* restorer::find(std::string_view topic, int32_t partition) {
  for (auto& j : jobs_)
    if (!j.done && j.job.partition == partition && j.job.topic == topic) return &j;
  return nullptr;
}

// Each running job's partition from where it stands. Assigning replaces
// the whole set; librdkafka then fetches the new set from these offsets.
client::result<void> restorer::reassign() {
  std::vector<client::partition_assignment> parts;
  for (const auto& j : jobs_)
    if (!j.done)
      parts.push_back({j.job.topic, runnel::partition_id(j.job.partition),
                       client::start_position::at(runnel::offset(j.position))});
  RUNNEL_TRY(consumer_.assign(parts));
  assignment_stale_ = false;
  return outcome::success();
}

void restorer::update_meters(job_state& j) {
  j.meters.restored->inc(j.applied - j.applied_counted);
  j.applied_counted = j.applied;
  j.meters.remaining->set(double(j.done ? 0 : std::max<int64_t>(0, j.job.end - j.position)));
}

void restorer::finish(job_state& j, std::vector<std::string>& finished_tasks) {
  j.done = true;
  j.finished = steady::now();
  update_meters(j);
  assignment_stale_ = true;
  spdlog::info(
      "stream: {}: task {}: restored store {} from {} partition {} [{}, {}): {} records in {} ms",
      application_id_, j.job.task, j.job.store, j.job.topic, j.job.partition, j.job.from, j.job.end,
      j.applied, ms_between(j.started, j.finished));
  if (!restoring(j.job.task)) finished_tasks.push_back(j.job.task);
}

client::result<std::vector<std::string>> restorer::step(std::chrono::milliseconds timeout,
                                                        size_t max_records) {
  std::vector<std::string> finished;
  // A job with nothing left (its end reached by an earlier step's partition
  // end) finishes without another read.
  for (auto& j : jobs_)
    if (!j.done && j.position >= j.job.end) finish(j, finished);
  if (assignment_stale_) {
    RUNNEL_TRY(reassign());
  }
  if (!active()) return finished;

  std::optional<client::error> failed;
  job_state* last = nullptr;  // records come in runs of one partition
  auto on_message = [&](const client::message_view& m) {
    if (failed) return;
    if (!last || last->job.partition != m.partition() || last->job.topic != m.topic)
      last = find(m.topic, m.partition());
    job_state* j = last;
    // Records of a job already done (fetched before the reassign), before
    // the position (fetched ahead of a reassign) or from the end on
    // (written after the task opened, by no one but a zombie) are skipped.
    if (!j || m.offset() < j->position || m.offset() >= j->job.end) return;
    j->position = m.offset() + 1;
    if (!m.key) return;  // a changelog record always has a key; nothing to apply
    if (auto r = j->job.apply(*m.key, m.value); !r)
      failed = client::error{
          r.error(), fmt::format("restoring store {} from {} partition {}: {}", j->job.store,
                                 j->job.topic, j->job.partition, r.error().message())};
    ++j->applied;
  };
  // The partition's end: everything below it was read (a compacted
  // changelog may end in a gap), so the job may be done.
  auto on_end = [&](const client::partition_end& e) {
    if (auto* j = find(e.topic, e.partition())) j->position = std::max(j->position, e.offset());
  };
  auto n = consumer_.poll_batch(timeout, max_records, on_message, on_end);
  if (failed) return *failed;
  if (!n && !client::is_transient(n.error())) return n.error();

  auto now = steady::now();
  for (auto& j : jobs_) {
    if (j.done) continue;
    update_meters(j);
    if (j.position >= j.job.end) {
      finish(j, finished);
      continue;
    }
    if (j.position != j.checked_position) {
      j.checked_position = j.position;
      j.last_progress = now;
    } else if (now - j.last_progress > restore_stall_limit) {
      return client::error{
          std::make_error_code(std::errc::timed_out),
          fmt::format("restoring store {} from {} partition {} stalled at offset "
                      "{} of {}",
                      j.job.store, j.job.topic, j.job.partition, j.position, j.job.end)};
    }
  }
  if (active() && now - last_log_ >= progress_log_interval) {
    last_log_ = now;
    log_progress();
  }
  return finished;
}

void restorer::log_progress() {
  auto now = steady::now();
  for (const auto& j : jobs_) {
    if (j.done) continue;
    int64_t total = std::max<int64_t>(1, j.job.end - j.job.from);
    int64_t ms = std::max<int64_t>(1, ms_between(j.started, now));
    spdlog::info(
        "stream: {}: task {}: restoring store {}: offset {} of {} ({:.0f}%), {} records in {} s "
        "({:.0f}/s)",
        application_id_, j.job.task, j.job.store, j.position, j.job.end,
        100.0 * static_cast<double>(j.position - j.job.from) / static_cast<double>(total),
        j.applied, ms / 1000, 1000.0 * static_cast<double>(j.applied) / static_cast<double>(ms));
  }
}

std::vector<runnel::stream::restore_progress> restorer::progress() const {
  auto now = steady::now();
  std::vector<restore_progress> out;
  for (const auto& j : jobs_) {
    runnel::stream::restore_progress p;
    p.task = j.job.task;
    p.store = j.job.store;
    p.changelog = j.job.topic;
    p.partition = j.job.partition;
    p.start_offset = j.job.from;
    p.end_offset = j.job.end;
    p.position = j.position;
    p.records_restored = j.applied;
    p.duration_ms = ms_between(j.started, j.done ? j.finished : now);
    p.done = j.done;
    out.push_back(std::move(p));
  }
  return out;
}

client::result<void> restorer::close() {
  jobs_.clear();
  return consumer_.close();
}

}  // namespace runnel::stream::runtime
