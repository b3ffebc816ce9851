// admin: topics, configs and consumer groups of any Kafka-protocol cluster,
// through librdkafka's Admin API, Metadata and ListOffsets.
//
// Every call is synchronous and bounded by admin_options::timeout.
// Thread-safety: calls may overlap from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runnel/client/config.h"
#include "runnel/client/error.h"
#include "runnel/client/message.h"

namespace runnel::client {

struct admin_options {
  client_config client;
  std::chrono::milliseconds timeout{30000};
};

struct new_topic {
  std::string name;
  int32_t partitions = -1;          // -1: the broker's num.partitions
  int16_t replication_factor = -1;  // -1: the broker's default.replication.factor
  std::vector<std::pair<std::string, std::string>> configs;
};

struct partition_info {
  runnel::partition_id id;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct topic_info {
  std::string name;
  std::vector<partition_info> partitions;  // ordered by id
};

struct broker_info {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
};

struct cluster_info {
  std::string cluster_id;      // empty if the cluster did not say
  int32_t controller_id = -1;  // -1 if the cluster did not say
  std::vector<broker_info> brokers;
  std::vector<topic_info> topics;  // ordered by name
};

// A partition's log start (first offset still stored) and end (next offset
// to be written): end - start records at most.
struct partition_offsets {
  runnel::partition_id partition;
  runnel::offset start;
  runnel::offset end;
};

enum class config_resource_type { topic, broker };

struct config_resource {
  config_resource_type type = config_resource_type::topic;
  std::string name;  // the topic, or the broker id
};

struct config_entry {
  std::string name;
  std::optional<std::string> value;  // null for sensitive values
  // Where the value comes from, Kafka's names: DYNAMIC_TOPIC_CONFIG,
  // DYNAMIC_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...
  std::string source;
  bool is_default = false;
  bool read_only = false;
  bool sensitive = false;
};

struct group_listing {
  std::string id;
  std::string state;    // Kafka's names: Stable, Empty, PreparingRebalance, Dead, ...
  bool simple = false;  // no members ever joined: only offsets were committed
};

struct group_member {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::optional<std::string> group_instance_id;
  std::vector<topic_partition> assignment;
};

struct group_description {
  std::string id;
  std::string state;
  std::string assignor;  // the partition assignment strategy, e.g. "range"
  bool simple = false;
  int32_t coordinator = -1;
  std::vector<group_member> members;
};

// One partition a group has committed an offset in, and how far behind
// the partition's end it is.
struct partition_lag {
  std::string topic;
  runnel::partition_id partition;
  runnel::offset committed;
  runnel::offset end;
  int64_t lag = 0;  // end - committed, never negative
};

class admin {
 public:
  static result<admin> create(const admin_options& options);

  admin(admin&&) noexcept;
  admin& operator=(admin&&) noexcept;
  ~admin();

  // Brokers and topics; `topic` set: just that one, an error if it does not
  // exist (the request never creates topics).
  result<cluster_info> metadata(const std::optional<std::string>& topic = std::nullopt);
  result<topic_info> describe_topic(const std::string& topic);

  result<void> create_topic(const new_topic& t, bool validate_only = false);
  result<void> delete_topic(const std::string& topic);
  // Raises the topic's partition count to `total` (CreatePartitions).
  // Partitions are never removed: a smaller or equal count is an error.
  result<void> create_partitions(const std::string& topic, int32_t total);
  // Deletes every record before the given offsets (DeleteRecords): the
  // partitions' log start moves up to them. Used to purge repartition
  // topics once their records are consumed and committed.
  result<void> delete_records(const std::vector<topic_partition_offset>& before);

  // Start and end offset of every partition of `topic`.
  result<std::vector<partition_offsets>> offsets(const std::string& topic);
  // Per partition, the first offset whose timestamp is >= `t`, or the end
  // offset when no message is that new.
  result<std::vector<topic_partition_offset>> offsets_for_time(const std::string& topic,
                                                               runnel::timestamp t);

  result<std::vector<config_entry>> describe_configs(const config_resource& r);
  // Sets and removes dynamic configs, keeping the other dynamic ones.
  // librdkafka 2.0 has no IncrementalAlterConfigs, so this reads the current
  // dynamic values and writes the whole set back (AlterConfigs): a change
  // made by someone else in between may be lost.
  result<void> alter_configs(const config_resource& r,
                             const std::vector<std::pair<std::string, std::string>>& set,
                             const std::vector<std::string>& remove);

  result<std::vector<group_listing>> list_groups();
  result<group_description> describe_group(const std::string& group);
  result<void> delete_group(const std::string& group);

  // Every offset the group has committed (optionally only in `topic`).
  result<std::vector<topic_partition_offset>> committed_offsets(
      const std::string& group, const std::optional<std::string>& topic = std::nullopt);
  // Commits these offsets for the group. The broker refuses while the group
  // has active members.
  result<void> alter_committed_offsets(const std::string& group,
                                       const std::vector<topic_partition_offset>& offsets);
  // Forgets the group's committed offsets of these partitions (OffsetDelete).
  // The broker refuses for partitions an active member is subscribed to.
  result<void> delete_committed_offsets(const std::string& group,
                                        const std::vector<topic_partition>& partitions);
  // Committed offsets joined with the partitions' end offsets.
  result<std::vector<partition_lag>> group_lag(const std::string& group);

 private:
  struct impl;
  explicit admin(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace runnel::client
