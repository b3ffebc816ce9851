#include "broker/broker_config.h"

#include <charconv>

#include "broker/config_catalog.h"
#include "storage/errc.h"

namespace runnel::broker {

namespace {

template <class T>
result<T> parse_num(const std::string& v) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size()) return storage::storage_errc::bad_config;
  return out;
}

result<bool> parse_bool(const std::string& v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return storage::storage_errc::bad_config;
}

}  // namespace

result<void> broker_config::set(const std::string& name, const std::string& value) {
  if (name == "num.partitions") {
    RUNNEL_TRY(num_partitions, parse_num<int32_t>(value));
    if (num_partitions < 1) return storage::storage_errc::bad_config;
  } else if (name == "auto.create.topics.enable") {
    RUNNEL_TRY(auto_create_topics, parse_bool(value));
  } else if (name == "socket.request.max.bytes") {
    RUNNEL_TRY(socket_request_max_bytes, parse_num<int64_t>(value));
  } else if (name == "connections.max.idle.ms") {
    RUNNEL_TRY(connections_max_idle_ms, parse_num<int64_t>(value));
  } else if (name == "group.initial.rebalance.delay.ms") {
    RUNNEL_TRY(group_initial_rebalance_delay_ms, parse_num<int64_t>(value));
  } else if (name == "group.min.session.timeout.ms") {
    RUNNEL_TRY(group_min_session_timeout_ms, parse_num<int64_t>(value));
  } else if (name == "group.max.session.timeout.ms") {
    RUNNEL_TRY(group_max_session_timeout_ms, parse_num<int64_t>(value));
  } else if (name == "offsets.topic.num.partitions") {
    RUNNEL_TRY(offsets_topic_num_partitions, parse_num<int32_t>(value));
    if (offsets_topic_num_partitions < 1) return storage::storage_errc::bad_config;
  } else if (name == "transaction.state.log.num.partitions") {
    RUNNEL_TRY(transaction_state_log_num_partitions, parse_num<int32_t>(value));
    if (transaction_state_log_num_partitions < 1) return storage::storage_errc::bad_config;
  } else if (name == "transaction.max.timeout.ms") {
    RUNNEL_TRY(transaction_max_timeout_ms, parse_num<int32_t>(value));
    if (transaction_max_timeout_ms < 1) return storage::storage_errc::bad_config;
  } else if (name == "transactional.id.expiration.ms") {
    RUNNEL_TRY(transactional_id_expiration_ms, parse_num<int64_t>(value));
    if (transactional_id_expiration_ms < 1) return storage::storage_errc::bad_config;
  } else if (name == "transaction.abort.timed.out.transaction.cleanup.interval.ms") {
    RUNNEL_TRY(transaction_abort_timed_out_transaction_cleanup_interval_ms,
               parse_num<int64_t>(value));
    if (transaction_abort_timed_out_transaction_cleanup_interval_ms < 1)
      return storage::storage_errc::bad_config;
  } else if (name == "producer.id.expiration.ms") {
    RUNNEL_TRY(producer_id_expiration_ms, parse_num<int64_t>(value));
    if (producer_id_expiration_ms < 1) return storage::storage_errc::bad_config;
  } else if (name == "node.id" || name == "broker.id") {
    RUNNEL_TRY(node_id, parse_num<int32_t>(value));
  } else if (auto topic_setting = topic_setting_for_broker_name(name); !topic_setting.empty()) {
    // Kafka's broker names for topic defaults (log.roll.ms, message.max.bytes, ...).
    return log_defaults.set(topic_setting, value);
  } else if (name.starts_with("log.")) {
    // log.retention.ms -> retention.ms, log.segment.bytes -> segment.bytes, ...
    std::string topic_name = name.substr(4);
    if (topic_name == "cleanup.policy" || topic_name == "retention.ms" ||
        topic_name == "retention.bytes" || topic_name == "segment.bytes" ||
        topic_name == "segment.ms" || topic_name == "index.interval.bytes" ||
        topic_name == "message.timestamp.type" || topic_name == "flush.ms" ||
        topic_name == "flush.bytes")
      return log_defaults.set(topic_name, value);
    return storage::storage_errc::bad_config;
  } else if (storage::log_config::known(name)) {
    return log_defaults.set(name, value);
  } else {
    return storage::storage_errc::bad_config;
  }
  return success();
}

}  // namespace runnel::broker
