#include "broker/config_catalog.h"

#include <map>

namespace runnel::broker {

namespace {

using t = config_type;

// Topic settings, with the broker setting Kafka names for each default.
// flush.bytes is runnel's own (Kafka counts messages, not bytes).
constexpr topic_setting_info topic_settings[] = {
    {"cleanup.policy", "log.cleanup.policy", t::list,
     "\"delete\" (drop old segments), \"compact\" (keep the latest record per key) or both."},
    {"compression.type", "compression.type", t::string,
     "\"producer\" stores batches as the producer compressed them; \"uncompressed\", \"gzip\", "
     "\"snappy\", \"lz4\" or \"zstd\" re-compresses every batch sent in another codec."},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms", t::int64,
     "How long tombstones are kept in a compacted topic."},
    {"flush.bytes", "log.flush.bytes", t::int64,
     "Unflushed bytes that trigger a background fsync (runnel)."},
    {"flush.ms", "log.flush.interval.ms", t::int64,
     "Longest time written data waits for a background fsync."},
    {"index.interval.bytes", "log.index.interval.bytes", t::int32,
     "Bytes between offset index entries."},
    {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", t::int64,
     "No upper bound: records are compacted when the cleaner reaches them."},
    {"max.message.bytes", "message.max.bytes", t::int32, "Largest record batch accepted."},
    {"message.format.version", "log.message.format.version", t::string,
     "Deprecated, accepted and ignored: every batch is a v2 batch."},
    {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms", t::int64,
     "Not enforced: record timestamps are not checked against the broker clock."},
    {"message.timestamp.type", "log.message.timestamp.type", t::string,
     "CreateTime (the producer's) or LogAppendTime (the broker's)."},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", t::int64,
     "Records younger than this are not compacted."},
    {"min.insync.replicas", "min.insync.replicas", t::int32,
     "Always 1: a single node is its only in-sync replica."},
    {"preallocate", "log.preallocate", t::boolean, "Always false: segment files grow as written."},
    {"retention.bytes", "log.retention.bytes", t::int64,
     "Partition size beyond which old segments are deleted; -1 for no limit."},
    {"retention.ms", "log.retention.ms", t::int64,
     "Age beyond which old segments are deleted; -1 to keep forever."},
    {"segment.bytes", "log.segment.bytes", t::int32, "Size at which a segment is rolled."},
    {"segment.jitter.ms", "log.roll.jitter.ms", t::int64,
     "Always 0: segments roll exactly at segment.ms."},
    {"segment.ms", "log.roll.ms", t::int64,
     "Rolls a segment when a batch's timestamp is this much later than its first "
     "batch's."},
    {"unclean.leader.election.enable", "unclean.leader.election.enable", t::boolean,
     "Always false: there is no other replica to elect."},
    {"write.caching", "log.write.caching", t::boolean,
     "true: acks=all is answered once the batch is written to the page cache, before its fsync "
     "(Kafka's single-node behaviour); flush.ms and flush.bytes bound the unsynced data "
     "(runnel; Redpanda's name)."},
};

struct broker_only_info {
  std::string_view name;
  config_type type;
  std::string_view doc;
};

constexpr broker_only_info broker_only[] = {
    {"advertised.listeners", t::string, "The address clients are told to connect to."},
    {"auto.create.topics.enable", t::boolean,
     "Create a topic when a producer or metadata request names an unknown one."},
    {"broker.id", t::int32, "This broker's node id."},
    {"connections.max.idle.ms", t::int64, "Idle connections are closed after this long."},
    {"default.replication.factor", t::int32, "Always 1: runnel is a single node."},
    {"group.initial.rebalance.delay.ms", t::int32,
     "How long a new consumer group waits for more members before its first rebalance."},
    {"group.max.session.timeout.ms", t::int32, "Longest session timeout a consumer may ask for."},
    {"group.min.session.timeout.ms", t::int32, "Shortest session timeout a consumer may ask for."},
    {"listeners", t::string, "The address the broker listens on."},
    {"log.dirs", t::string, "The data directory."},
    {"node.id", t::int32, "This broker's node id."},
    {"num.partitions", t::int32, "Partitions of a topic created without a count."},
    {"offsets.topic.num.partitions", t::int32,
     "Partitions of __consumer_offsets, fixed when it is first created."},
    {"producer.id.expiration.ms", t::int64,
     "A producer with no open transaction keeps its sequence state in a partition this long "
     "after its last write."},
    {"socket.request.max.bytes", t::int32, "Largest request accepted."},
    {"transaction.abort.timed.out.transaction.cleanup.interval.ms", t::int64,
     "How often transactions past their timeout are aborted and idle transactional ids "
     "expired."},
    {"transaction.max.timeout.ms", t::int32,
     "The largest transaction.timeout.ms a producer may ask for."},
    {"transaction.state.log.num.partitions", t::int32,
     "Partitions of __transaction_state, fixed when it is first created."},
    {"transactional.id.expiration.ms", t::int64,
     "A transactional id with no transaction for this long is forgotten."},
};

std::map<std::string, std::string> broker_values(const broker_config& c, uint16_t port) {
  const std::string adv_host = c.advertised_host.empty() ? c.listen_host : c.advertised_host;
  const uint16_t adv_port = c.advertised_port ? c.advertised_port : port;
  std::map<std::string, std::string> m;
  m["advertised.listeners"] = "PLAINTEXT://" + adv_host + ":" + std::to_string(adv_port);
  m["auto.create.topics.enable"] = c.auto_create_topics ? "true" : "false";
  m["broker.id"] = std::to_string(c.node_id);
  m["connections.max.idle.ms"] = std::to_string(c.connections_max_idle_ms);
  m["default.replication.factor"] = "1";
  m["group.initial.rebalance.delay.ms"] = std::to_string(c.group_initial_rebalance_delay_ms);
  m["group.max.session.timeout.ms"] = std::to_string(c.group_max_session_timeout_ms);
  m["group.min.session.timeout.ms"] = std::to_string(c.group_min_session_timeout_ms);
  m["listeners"] = "PLAINTEXT://" + c.listen_host + ":" + std::to_string(port);
  m["log.dirs"] = c.data_dir.string();
  m["node.id"] = std::to_string(c.node_id);
  m["num.partitions"] = std::to_string(c.num_partitions);
  m["offsets.topic.num.partitions"] = std::to_string(c.offsets_topic_num_partitions);
  m["socket.request.max.bytes"] = std::to_string(c.socket_request_max_bytes);
  m["producer.id.expiration.ms"] = std::to_string(c.producer_id_expiration_ms);
  m["transaction.abort.timed.out.transaction.cleanup.interval.ms"] =
      std::to_string(c.transaction_abort_timed_out_transaction_cleanup_interval_ms);
  m["transaction.max.timeout.ms"] = std::to_string(c.transaction_max_timeout_ms);
  m["transaction.state.log.num.partitions"] =
      std::to_string(c.transaction_state_log_num_partitions);
  m["transactional.id.expiration.ms"] = std::to_string(c.transactional_id_expiration_ms);
  for (const auto& [name, value] : c.log_defaults.describe())
    if (const auto* s = find_topic_setting(name)) m[std::string(s->broker_name)] = value;
  return m;
}

}  // namespace

std::span<const topic_setting_info> all_topic_settings() {
  return topic_settings;
}

std::string_view config_type_name(config_type type) {
  switch (type) {
    case t::boolean:
      return "boolean";
    case t::string:
      return "string";
    case t::int32:
      return "int";
    case t::int16:
      return "short";
    case t::int64:
      return "long";
    case t::float64:
      return "double";
    case t::list:
      return "list";
    case t::class_name:
      return "class";
    case t::password:
      return "password";
    case t::unknown:
      break;
  }
  return "unknown";
}

const topic_setting_info* find_topic_setting(std::string_view name) {
  for (const auto& s : topic_settings)
    if (s.name == name) return &s;
  return nullptr;
}

std::string_view topic_setting_for_broker_name(std::string_view broker_name) {
  for (const auto& s : topic_settings)
    if (s.broker_name == broker_name) return s.name;
  return {};
}

std::vector<broker_setting> describe_broker(const broker_config& cfg, uint16_t bound_port) {
  const broker_config builtin;
  const auto defaults = broker_values(builtin, builtin.listen_port);
  std::vector<broker_setting> out;
  for (const auto& [name, value] : broker_values(cfg, bound_port)) {
    broker_setting s;
    s.name = name;
    s.value = value;
    auto d = defaults.find(name);
    s.is_default = d != defaults.end() && d->second == value;
    if (auto tn = topic_setting_for_broker_name(name); !tn.empty()) {
      const auto* info = find_topic_setting(tn);
      s.type = info->type;
      s.doc = info->doc;
    }
    for (const auto& b : broker_only)
      if (b.name == name) {
        s.type = b.type;
        s.doc = b.doc;
      }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace runnel::broker
