// engine::flush(): FLUSH waits for the sources to read their topics to the
// end, then commits (engine.cc, run()).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sql/engine/relation_state.h"

namespace runnel::sql {

// FLUSH: waits until every source has read its topic up to where it ended
// when the FLUSH came (releasing the engine meanwhile, as a waiting FETCH
// does, so that the sources deliver), so that what a script produced before
// is in every view after it; run() then commits. It gives up, as
// PostgreSQL's statement_timeout does, when no source moved for
// `flush_stall`: a topic that cannot be read to its end (an open
// transaction before a read_committed end, a partition that is down).
result<statement_result> engine::flush() {
  constexpr auto flush_stall = std::chrono::seconds(10);
  struct target {
    uint64_t id;
    std::string name;
    std::map<int32_t, int64_t> end;
  };
  std::vector<target> targets;
  for (const auto& r : relations_) {
    if (!r->source) continue;
    BOOST_OUTCOME_TRY(auto end, r->source->end_offsets());
    targets.push_back({r->info.id, r->info.name, std::move(end)});
  }
  auto stalled_since = std::chrono::steady_clock::now();
  std::map<uint64_t, std::map<int32_t, int64_t>> last;
  for (;;) {
    // Looked up again each round: a source may be dropped while this waits.
    std::string behind;
    bool moved = false;
    for (const auto& t : targets) {
      const relation* r = nullptr;
      for (const auto& x : relations_)
        if (x->info.id == t.id) r = x.get();
      if (!r || !r->source) continue;
      auto at = r->source->read_to();
      if (at != last[t.id]) moved = true;
      for (const auto& [p, end] : t.end) {
        auto it = at.find(p);
        const int64_t got = it == at.end() ? -1 : it->second;
        if (got < end && behind.empty())
          behind = fmt::format("source \"{}\" has read partition {} to offset {} of {}", t.name, p,
                               got, end);
      }
      last[t.id] = std::move(at);
    }
    if (behind.empty()) break;
    const auto now = std::chrono::steady_clock::now();
    if (moved) stalled_since = now;
    if (!held_ || now - stalled_since >= flush_stall)
      return make_error(
          errc::query_canceled, -1, "canceling FLUSH: no source moved for {} s and {}",
          std::chrono::duration_cast<std::chrono::seconds>(flush_stall).count(), behind);
    const uint64_t session = session_;
    std::unique_lock<std::mutex>* const lock = held_;
    interrupt* const stop = stop_;
    stop_ = nullptr;  // what runs while this waits is not this statement
    changed_.wait_for(*lock, std::chrono::milliseconds(20),
                      [&] { return stop_waiting_ || (stop && stop->due()); });
    session_ = session;
    held_ = lock;
    stop_ = stop;
    if (stop && stop->due()) return stop->error();
    if (stop_waiting_)
      return make_error(errc::query_canceled, -1, "canceling FLUSH: the server is stopping");
  }
  return statement_result{{}, row_batch(0), "FLUSH"};
}

}  // namespace runnel::sql
