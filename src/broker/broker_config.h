// Server settings, under Kafka's broker names where Kafka has one
// (DESIGN.md decision 10). Every field has its documented default here and
// in docs/operations.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "model/result.h"
#include "storage/log_config.h"

namespace runnel::broker {

struct broker_config {
  std::filesystem::path data_dir = "runnel-data";
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9092;
  std::string advertised_host;   // default: listen_host
  uint16_t advertised_port = 0;  // default: listen_port
  int32_t node_id = 0;
  std::string cluster_id = "runnel-cluster";
  unsigned shards = 0;  // 0: one per core

  int32_t num_partitions = 1;                       // num.partitions
  bool auto_create_topics = true;                   // auto.create.topics.enable
  int64_t socket_request_max_bytes = 104857600;     // socket.request.max.bytes
  int64_t connections_max_idle_ms = 600000;         // connections.max.idle.ms
  int64_t group_initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  int64_t group_min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int64_t group_max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t offsets_topic_num_partitions = 8;         // offsets.topic.num.partitions
  int64_t producer_id_expiration_ms = 86400000;     // producer.id.expiration.ms
  // Transactions (Kafka's defaults, but 8 log partitions like the offsets topic).
  int32_t transaction_state_log_num_partitions = 8;    // transaction.state.log.num.partitions
  int32_t transaction_max_timeout_ms = 900000;         // transaction.max.timeout.ms
  int64_t transactional_id_expiration_ms = 604800000;  // transactional.id.expiration.ms
  // How often timed-out transactions are aborted and idle ids expired.
  int64_t transaction_abort_timed_out_transaction_cleanup_interval_ms = 10000;
  // Topic defaults (log.* names map to the topic-level ones).
  storage::log_config log_defaults;

  // Applies a Kafka-named broker setting ("num.partitions", "log.retention.ms", ...).
  result<void> set(const std::string& name, const std::string& value);
};

}  // namespace runnel::broker
