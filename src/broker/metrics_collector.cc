// The broker's scrape-time metrics (metrics.h): what lives on the shards is
// read there, one hop per shard, and joined here on the scrape thread.
#include <sys/statvfs.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <future>
#include <map>

#include <spdlog/spdlog.h>

#include "broker/group_coordinator.h"
#include "broker/metrics.h"
#include "broker/server.h"

namespace runnel::broker {

namespace {

// A shard that does not answer within this (a stalled event loop) is left
// out of one scrape rather than holding Prometheus up: its scrape timeout
// is 10 s by default.
constexpr auto hop_timeout = std::chrono::seconds(3);

struct partition_stat {
  std::string topic;
  int32_t index = 0;
  int64_t start = 0, end = 0;
  uint64_t size = 0;
  size_t segments = 0;
};

struct shard_view {
  std::vector<partition_stat> parts;
  std::vector<group_manager::group_stats> groups;
};

// On the shard's thread.
shard_view read_shard(shard& sh, const group_manager* groups) {
  shard_view v;
  v.parts.reserve(sh.partitions().size());
  for (const auto& [key, p] : sh.partitions()) {
    const auto& log = *p->log;
    v.parts.push_back({p->topic, p->index, log.start_offset().value, log.end_offset().value,
                       log.size_bytes(), log.segment_count()});
  }
  if (groups) v.groups = groups->stats();
  return v;
}

observe::label_pairs tp_labels(const std::string& topic, int32_t index) {
  return {{"topic", topic}, {"partition", std::to_string(index)}};
}

void collect_disk(const std::filesystem::path& dir, observe::sample_sink& out) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return;
  out.gauge("runnel_storage_disk_free_bytes",
            "Bytes available to runnel on the data directory's file system.", {},
            double(st.f_bavail) * double(st.f_frsize));
  out.gauge("runnel_storage_disk_total_bytes", "Size of the data directory's file system.", {},
            double(st.f_blocks) * double(st.f_frsize));
}

void collect(server& srv, observe::sample_sink& out) {
  out.gauge("runnel_connections", "Client connections open.", {},
            double(srv.open_connections.load()));
  out.gauge("runnel_requests_in_flight", "Requests being handled.", {},
            double(srv.requests_in_flight.load()));
  out.gauge("runnel_shards", "Event-loop threads (shards) of the broker.", {},
            double(srv.shard_count()));
  collect_disk(srv.config().data_dir, out);
  if (srv.stopping()) return;

  // One hop per shard, all at once; a late answer lands in its promise
  // (kept alive by the task) and is dropped.
  std::vector<std::future<shard_view>> views;
  for (size_t i = 0; i < srv.shard_count(); ++i) {
    shard& sh = srv.shard_at(i);
    const group_manager* groups = &srv.groups().manager_on(sh);
    auto p = std::make_shared<std::promise<shard_view>>();
    views.push_back(p->get_future());
    asio::post(sh.context(), [p, s = &sh, groups] { p->set_value(read_shard(*s, groups)); });
  }
  const auto deadline = std::chrono::steady_clock::now() + hop_timeout;
  std::vector<partition_stat> parts;
  std::vector<group_manager::group_stats> groups;
  for (size_t i = 0; i < views.size(); ++i) {
    if (views[i].wait_until(deadline) != std::future_status::ready) {
      spdlog::warn("broker: shard {} did not answer the metrics scrape in time", i);
      continue;
    }
    auto v = views[i].get();
    std::move(v.parts.begin(), v.parts.end(), std::back_inserter(parts));
    std::move(v.groups.begin(), v.groups.end(), std::back_inserter(groups));
  }

  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.index) < std::tie(b.topic, b.index);
  });
  std::map<std::pair<std::string_view, int32_t>, int64_t> ends;
  for (const auto& p : parts) {
    ends[{p.topic, p.index}] = p.end;
    out.gauge("runnel_partition_high_watermark",
              "Offset after the partition's last record (its end offset).",
              tp_labels(p.topic, p.index), double(p.end));
    out.gauge("runnel_partition_log_start_offset",
              "First offset still in the partition's log (after retention and DeleteRecords).",
              tp_labels(p.topic, p.index), double(p.start));
    out.gauge("runnel_partition_size_bytes", "Bytes of the partition's log segments on disk.",
              tp_labels(p.topic, p.index), double(p.size));
    out.gauge("runnel_partition_segments", "Segments of the partition's log.",
              tp_labels(p.topic, p.index), double(p.segments));
  }

  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& g : groups) {
    const observe::label_pairs gl{{"group", g.id}};
    out.gauge("runnel_consumer_group_members", "Members of the consumer group.", gl,
              double(g.members));
    out.gauge("runnel_consumer_group_generation", "The group's generation id.", gl,
              double(g.generation));
    out.counter("runnel_consumer_group_rebalances_total",
                "Rebalances the group completed (generations with members) since the broker "
                "started.",
                gl, double(g.rebalances));
    for (auto s : {group_state::empty, group_state::preparing_rebalance,
                   group_state::completing_rebalance, group_state::stable}) {
      out.gauge("runnel_consumer_group_state",
                "1 for the group's current state (Empty, PreparingRebalance, "
                "CompletingRebalance, Stable), 0 for the others.",
                {{"group", g.id}, {"state", std::string(state_name(s))}}, g.state == s ? 1 : 0);
    }
    for (const auto& [tp, committed] : g.offsets) {
      auto e = ends.find({tp.topic, tp.partition});
      if (e == ends.end() || committed < 0) continue;
      observe::label_pairs l{
          {"group", g.id}, {"topic", tp.topic}, {"partition", std::to_string(tp.partition)}};
      out.gauge("runnel_consumer_group_committed_offset",
                "The group's committed offset of a partition.", l, double(committed));
      out.gauge("runnel_consumer_group_lag",
                "Records between the group's committed offset and the partition's high "
                "watermark.",
                std::move(l), double(std::max<int64_t>(0, e->second - committed)));
    }
  }
}

}  // namespace

observe::collector_handle attach_metrics(server& srv) {
  return observe::metrics().add_collector([&srv](observe::sample_sink& out) { collect(srv, out); });
}

}  // namespace runnel::broker
