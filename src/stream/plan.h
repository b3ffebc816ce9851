// plan: a topology mapped onto a cluster — its sub-topologies with their
// input topics (full names) and partition counts, and the internal topics
// (repartition, changelog) it needs, created if missing.
//
// Built once by app::run before joining the group; read-only afterwards.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runnel/client/admin.h"
#include "runnel/stream/app.h"
#include "runnel/stream/detail/graph.h"

namespace runnel::stream::runtime {

struct subtopology {
  int id = 0;
  std::vector<const detail::source_spec*> sources;
  std::vector<std::string> topics;  // full names, parallel to sources
  std::vector<const detail::store_spec*> stores;
  int32_t partitions = 0;
};

struct plan {
  std::string application_id;
  std::vector<subtopology> subtopologies;
  std::map<std::string, int> topic_subtopology;  // full input topic name -> sub-topology id

  std::string internal_topic(const std::string& relative) const {
    return application_id + "-" + relative;
  }
  std::string changelog_topic(const std::string& store) const {
    return application_id + "-" + store + "-changelog";
  }
  // Every input topic, for the group subscription.
  std::vector<std::string> input_topics() const;
};

// Groups the sources into sub-topologies (no I/O).
plan group_sources(const detail::graph& g, const std::string& application_id);

// Finds the partition counts (source topics must exist and co-partitioned
// ones agree) and creates the internal topics that are missing.
client::result<void> resolve_and_create(plan& p, const detail::graph& g, const app_config& c,
                                        client::admin& admin);

}  // namespace runnel::stream::runtime
