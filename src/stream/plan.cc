#include "plan.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace runnel::stream::runtime {

namespace {

client::error invalid(std::string message) {
  return client::error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

// Changelog topics keep the latest value per key; window and session stores
// also drop what is older than their retention (plus a day, as Kafka
// Streams does, so a slow restore still finds what it needs).
std::vector<std::pair<std::string, std::string>> changelog_configs(const detail::store_spec& s) {
  if (s.kind == store_kind::key_value) return {{"cleanup.policy", "compact"}};
  return {{"cleanup.policy", "compact,delete"},
          {"retention.ms", std::to_string(s.retention_ms + 24 * 3600 * 1000LL)}};
}

// Repartition topics: nothing is deleted by time (records carry event time,
// which may be old); the app deletes what it has committed (app.cc).
std::vector<std::pair<std::string, std::string>> repartition_configs() {
  return {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}};
}

// A Kafka cluster creates a topic asynchronously: CreateTopics answers once
// the controller has it, and each broker learns of it (and of its partitions'
// leaders) a little later. A consumer that subscribes meanwhile is told the
// topic does not exist. So, as Kafka Streams does, wait until the topic is
// visible with a leader for every partition (runnel's own broker: at once).
client::result<void> wait_until_led(client::admin& admin, const client::new_topic& t) {
  constexpr auto limit = std::chrono::seconds(60);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto info = admin.describe_topic(t.name);
    if (info && static_cast<int32_t>(info.value().partitions.size()) == t.partitions &&
        std::all_of(info.value().partitions.begin(), info.value().partitions.end(),
                    [](const client::partition_info& p) { return p.leader >= 0; }))
      return outcome::success();
    if (std::chrono::steady_clock::now() >= deadline)
      return client::error{std::make_error_code(std::errc::timed_out),
                           fmt::format("internal topic {} was created but has no leader for every "
                                       "partition after {} s",
                                       t.name, limit.count())};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

client::result<void> ensure_topic(client::admin& admin, const client::new_topic& t) {
  auto existing = admin.describe_topic(t.name);
  if (existing) {
    auto n = static_cast<int32_t>(existing.value().partitions.size());
    if (n != t.partitions)
      return invalid(
          fmt::format("internal topic {} has {} partitions, but the topology needs {}; "
                      "delete it (and the app's state) or fix the inputs",
                      t.name, n, t.partitions));
    return outcome::success();
  }
  auto created = admin.create_topic(t);
  if (!created) {
    // Another instance of the app may have created it meanwhile.
    if (admin.describe_topic(t.name)) return wait_until_led(admin, t);
    return created.error();
  }
  spdlog::info("stream: created internal topic {} ({} partitions)", t.name, t.partitions);
  return wait_until_led(admin, t);
}

}  // namespace

std::vector<std::string> plan::input_topics() const {
  std::vector<std::string> topics;
  for (auto& [t, _] : topic_subtopology) topics.push_back(t);
  return topics;
}

plan group_sources(const detail::graph& g, const std::string& application_id) {
  plan p;
  p.application_id = application_id;
  std::map<int, int> root_to_sub;
  for (const auto& s : g.sources) {
    int root = g.find(s.group);
    auto [it, fresh] = root_to_sub.try_emplace(root, static_cast<int>(p.subtopologies.size()));
    if (fresh) p.subtopologies.push_back(subtopology{it->second, {}, {}, {}, 0});
    auto& sub = p.subtopologies[it->second];
    sub.sources.push_back(&s);
    std::string full = s.internal ? p.internal_topic(s.topic) : s.topic;
    sub.topics.push_back(full);
    p.topic_subtopology[full] = sub.id;
  }
  for (const auto& st : g.stores) {
    if (st.group < 0) continue;  // declared but used by no processor
    auto it = root_to_sub.find(g.find(st.group));
    if (it != root_to_sub.end()) p.subtopologies[it->second].stores.push_back(&st);
  }
  return p;
}

client::result<void> resolve_and_create(plan& p, const detail::graph& g, const app_config& c,
                                        client::admin& admin) {
  // External inputs first: they must exist, and co-partitioned ones agree.
  for (auto& sub : p.subtopologies) {
    std::string first;
    for (size_t i = 0; i < sub.sources.size(); ++i) {
      if (sub.sources[i]->internal) continue;
      const auto& topic = sub.topics[i];
      auto info = admin.describe_topic(topic);
      if (!info) {
        // Only a topic the cluster says it does not have needs creating; a
        // cluster that cannot be reached needs a right address.
        constexpr int unknown_topic_or_partition = 3;  // Kafka's error code
        if (info.error().code ==
            std::error_code(unknown_topic_or_partition, client::kafka_category()))
          return invalid(fmt::format("source topic {} does not exist; create it first", topic));
        return client::error{info.error().code,
                             fmt::format("cannot look up source topic {} at {}: {}", topic,
                                         c.brokers, info.error().message)};
      }
      auto n = static_cast<int32_t>(info.value().partitions.size());
      if (sub.partitions == 0) {
        sub.partitions = n;
        first = topic;
      } else if (sub.partitions != n) {
        return invalid(fmt::format(
            "topics {} ({} partitions) and {} ({} partitions) are joined or merged, so they must "
            "have the same number of partitions",
            first, sub.partitions, topic, n));
      }
    }
  }
  // Repartition topics take the partitions of their reader's other inputs,
  // else of their writer; writers are resolved before readers.
  std::map<std::string, int> writer_of;
  for (const auto& it : g.internal_topics)
    writer_of[p.internal_topic(it.name)] = g.find(it.writer_group);
  std::map<int, int> root_to_sub;
  for (const auto& sub : p.subtopologies)
    for (auto* s : sub.sources) root_to_sub[g.find(s->group)] = sub.id;
  for (size_t round = 0; round <= p.subtopologies.size(); ++round) {
    bool changed = false;
    for (auto& sub : p.subtopologies) {
      if (sub.partitions != 0) continue;
      for (size_t i = 0; i < sub.sources.size(); ++i) {
        auto w = writer_of.find(sub.topics[i]);
        if (w == writer_of.end()) continue;
        auto ws = root_to_sub.find(w->second);
        if (ws == root_to_sub.end()) continue;
        int32_t n = p.subtopologies[ws->second].partitions;
        if (n > 0) {
          sub.partitions = n;
          changed = true;
          break;
        }
      }
    }
    if (!changed) break;
  }
  for (const auto& sub : p.subtopologies) {
    if (sub.partitions <= 0)
      return invalid(fmt::format("cannot tell how many partitions sub-topology {} has", sub.id));
    for (size_t i = 0; i < sub.sources.size(); ++i) {
      if (!sub.sources[i]->internal) continue;
      RUNNEL_TRY(
          ensure_topic(admin, client::new_topic{sub.topics[i], sub.partitions, c.replication_factor,
                                                repartition_configs()}));
    }
    for (const auto* st : sub.stores) {
      RUNNEL_TRY(
          ensure_topic(admin, client::new_topic{p.changelog_topic(st->name), sub.partitions,
                                                c.replication_factor, changelog_configs(*st)}));
    }
  }
  return outcome::success();
}

}  // namespace runnel::stream::runtime
