// The worker's configuration, by Kafka Connect's worker keys
// (connect-standalone.properties / connect-distributed.properties):
// bootstrap.servers, group.id, key.converter, value.converter,
// offset.storage.file.filename, config.storage.topic, offset.storage.topic,
// status.storage.topic, offset.flush.interval.ms, listeners, … and the
// producer.* / consumer.* / admin.* client overrides (passed to librdkafka,
// whose property names mostly match the Java client's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connect/api/config_def.h"
#include "runnel/client/config.h"

namespace runnel::connect {

const config_def& worker_config_def();

struct worker_config {
  config_map originals;

  std::string bootstrap_servers = "localhost:9092";
  std::string client_id;
  std::string key_converter, value_converter, header_converter;

  int64_t offset_flush_interval_ms = 60000;
  int64_t offset_flush_timeout_ms = 5000;
  int64_t task_shutdown_timeout_ms = 5000;
  bool topic_creation_enable = true;

  // Standalone: where source offsets live (unless offset.storage.topic is set).
  std::string offset_file;

  // Distributed (and standalone with offset.storage.topic).
  std::string group_id;
  std::string config_topic, offset_topic, status_topic;
  int16_t config_rf = 3, offset_rf = 3, status_rf = 3;
  int32_t offset_partitions = 25, status_partitions = 5;
  int32_t session_timeout_ms = 10000, heartbeat_interval_ms = 3000, rebalance_timeout_ms = 60000;
  // KIP-618: "enabled" runs every source task exactly once (records and
  // offsets in one transaction, offsets in offset.storage.topic);
  // "preparing" (Kafka's step of a rolling upgrade) and "disabled" run
  // them at-least-once.
  std::string exactly_once_source_support = "disabled";

  // REST: where to listen, and the URL other workers and the status topic use.
  std::string rest_host = "127.0.0.1";
  uint16_t rest_port = 8083;
  std::string advertised_url;  // "http://host:port/"; empty: from the listener

  static result<worker_config> parse(const config_map& props);

  // The client configuration of a producer, consumer or admin client
  // (`role` is "producer", "consumer" or "admin": the worker's role.* keys
  // apply, then `overrides`, e.g. a connector's producer.override.*).
  client::client_config client(std::string_view role, const config_map& overrides = {}) const;

  // "host:port" of the REST listener other workers reach, Kafka's worker_id.
  std::string worker_id() const;

  bool exactly_once_source() const { return exactly_once_source_support == "enabled"; }
  // The transactional.id of a source task under exactly-once: Kafka
  // Connect's "<group.id>-<connector>-<task>". A standalone worker has no
  // group.id; its offsets topic names the worker instead, so the id is the
  // same after a restart (fencing the killed instance) and differs between
  // workers that keep their offsets apart.
  std::string transactional_id(const std::string& connector, int32_t task) const;
};

}  // namespace runnel::connect
