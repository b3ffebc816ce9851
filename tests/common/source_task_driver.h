// Drives a connect source task the way the runtime does, for tests of a
// task on its own: start with a config, poll, and for every record returned
// store its source offset (as the runtime does once the broker acked it) and
// call commit_record — or stop early, as a crash does. Offsets live in a map,
// so a second task started with the same driver continues where the first
// one's committed offsets say.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connect/api/source_task.h"

namespace runnel::test {

class source_task_driver : public connect::source_task_context, public connect::offset_reader {
 public:
  explicit source_task_driver(connect::config_map props) : props_(std::move(props)) {}

  const connect::config_map& configs() const override { return props_; }
  connect::offset_reader& offsets() override { return *this; }
  connect::transaction_context* transactions() override { return nullptr; }
  std::optional<connect::data> offset(const connect::data& partition) override {
    auto it = stored_.find(partition.dump());
    if (it == stored_.end()) return std::nullopt;
    return it->second;
  }

  // Polls until `want` records (not counting offset-only ones) were
  // returned or `max_polls` polls came back, committing at most `commit`
  // of them (all by default): the records after that are returned but
  // their offsets never stored, as when a worker dies before the acks.
  std::vector<connect::source_record> run(
      connect::source_task& task, size_t want, int max_polls = 50,
      std::optional<size_t> commit = std::nullopt,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(200)) {
    std::vector<connect::source_record> got;
    size_t committed = 0;
    for (int i = 0; i < max_polls && count(got) < want; ++i) {
      auto batch = task.poll(timeout);
      if (!batch) {
        errors.push_back(batch.error().message);
        continue;
      }
      for (auto& r : batch.value()) {
        bool commit_this = !commit || committed < *commit;
        if (commit_this) {
          stored_[r.source_partition.dump()] = r.source_offset;
          connect::record_metadata m{r.topic, 0, int64_t(committed), 0};
          task.commit_record(r, r.offset_only() ? nullptr : &m);
          if (!r.offset_only()) ++committed;
        }
        got.push_back(std::move(r));
      }
    }
    return got;
  }

  // Stores an offset as if a run before had committed it.
  void store(const connect::data& partition, const connect::data& offset) {
    stored_[partition.dump()] = offset;
  }

  static size_t count(const std::vector<connect::source_record>& rs) {
    size_t n = 0;
    for (auto& r : rs) n += !r.offset_only();
    return n;
  }

  std::vector<std::string> errors;

 private:
  connect::config_map props_;
  std::map<std::string, connect::data> stored_;
};

}  // namespace runnel::test
