// Field-by-field equality of the data-path messages, for
// data_messages_test.cc only. Each operator lists every field, whatever the
// version, so a round trip that loses a field shows up as inequality.
//
// They live in the messages' namespace so that std::vector's operator==
// finds them by ADL; `static` keeps each including test to its own copy.
#pragma once

#include <algorithm>
#include <tuple>

#include "kafka/messages/delete_records.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_for_leader_epoch.h"
#include "kafka/wire.h"

namespace runnel::kafka {

static bool operator==(const records_field& a, const records_field& b) {
  return a.null == b.null && a.chunks.empty() && b.chunks.empty() &&
         std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
}

static bool operator==(const fetch_request::fetch_partition& a,
                       const fetch_request::fetch_partition& b) {
  auto f = [](const auto& m) {
    return std::tie(m.partition, m.current_leader_epoch, m.fetch_offset, m.last_fetched_epoch,
                    m.log_start_offset, m.partition_max_bytes);
  };
  return f(a) == f(b);
}
static bool operator==(const fetch_request::fetch_topic& a, const fetch_request::fetch_topic& b) {
  return a.topic == b.topic && a.partitions == b.partitions;
}
static bool operator==(const fetch_request::forgotten_topic& a,
                       const fetch_request::forgotten_topic& b) {
  return a.topic == b.topic && a.partitions == b.partitions;
}
static bool operator==(const fetch_request& a, const fetch_request& b) {
  auto f = [](const auto& m) {
    return std::tie(m.replica_id, m.max_wait_ms, m.min_bytes, m.max_bytes, m.isolation_level,
                    m.session_id, m.session_epoch, m.topics, m.forgotten_topics_data, m.rack_id);
  };
  return f(a) == f(b);
}

static bool operator==(const fetch_response::aborted_transaction& a,
                       const fetch_response::aborted_transaction& b) {
  return a.producer_id == b.producer_id && a.first_offset == b.first_offset;
}
static bool operator==(const fetch_response::partition_data& a,
                       const fetch_response::partition_data& b) {
  auto f = [](const auto& m) {
    return std::tie(m.partition_index, m.error_code, m.high_watermark, m.last_stable_offset,
                    m.log_start_offset, m.aborted_transactions, m.preferred_read_replica,
                    m.records);
  };
  return f(a) == f(b);
}
static bool operator==(const fetch_response::fetchable_topic_response& a,
                       const fetch_response::fetchable_topic_response& b) {
  return a.topic == b.topic && a.partitions == b.partitions;
}
static bool operator==(const fetch_response& a, const fetch_response& b) {
  auto f = [](const auto& m) {
    return std::tie(m.throttle_time_ms, m.error_code, m.session_id, m.responses);
  };
  return f(a) == f(b);
}

static bool operator==(const list_offsets_request::list_offsets_partition& a,
                       const list_offsets_request::list_offsets_partition& b) {
  auto f = [](const auto& m) {
    return std::tie(m.partition_index, m.current_leader_epoch, m.timestamp);
  };
  return f(a) == f(b);
}
static bool operator==(const list_offsets_request::list_offsets_topic& a,
                       const list_offsets_request::list_offsets_topic& b) {
  return a.name == b.name && a.partitions == b.partitions;
}
static bool operator==(const list_offsets_request& a, const list_offsets_request& b) {
  auto f = [](const auto& m) { return std::tie(m.replica_id, m.isolation_level, m.topics); };
  return f(a) == f(b);
}
static bool operator==(const list_offsets_response::list_offsets_partition_response& a,
                       const list_offsets_response::list_offsets_partition_response& b) {
  auto f = [](const auto& m) {
    return std::tie(m.partition_index, m.error_code, m.timestamp, m.offset, m.leader_epoch);
  };
  return f(a) == f(b);
}
static bool operator==(const list_offsets_response::list_offsets_topic_response& a,
                       const list_offsets_response::list_offsets_topic_response& b) {
  return a.name == b.name && a.partitions == b.partitions;
}
static bool operator==(const list_offsets_response& a, const list_offsets_response& b) {
  return a.throttle_time_ms == b.throttle_time_ms && a.topics == b.topics;
}

static bool operator==(const metadata_request::metadata_request_topic& a,
                       const metadata_request::metadata_request_topic& b) {
  return a.topic_id == b.topic_id && a.name == b.name;
}
static bool operator==(const metadata_request& a, const metadata_request& b) {
  auto f = [](const auto& m) {
    return std::tie(m.topics, m.allow_auto_topic_creation, m.include_cluster_authorized_operations,
                    m.include_topic_authorized_operations);
  };
  return f(a) == f(b);
}
static bool operator==(const metadata_response::metadata_response_broker& a,
                       const metadata_response::metadata_response_broker& b) {
  auto f = [](const auto& m) { return std::tie(m.node_id, m.host, m.port, m.rack); };
  return f(a) == f(b);
}
static bool operator==(const metadata_response::metadata_response_partition& a,
                       const metadata_response::metadata_response_partition& b) {
  auto f = [](const auto& m) {
    return std::tie(m.error_code, m.partition_index, m.leader_id, m.leader_epoch, m.replica_nodes,
                    m.isr_nodes, m.offline_replicas);
  };
  return f(a) == f(b);
}
static bool operator==(const metadata_response::metadata_response_topic& a,
                       const metadata_response::metadata_response_topic& b) {
  auto f = [](const auto& m) {
    return std::tie(m.error_code, m.name, m.topic_id, m.is_internal, m.partitions,
                    m.topic_authorized_operations);
  };
  return f(a) == f(b);
}
static bool operator==(const metadata_response& a, const metadata_response& b) {
  auto f = [](const auto& m) {
    return std::tie(m.throttle_time_ms, m.brokers, m.cluster_id, m.controller_id, m.topics,
                    m.cluster_authorized_operations);
  };
  return f(a) == f(b);
}

static bool operator==(const offset_for_leader_epoch_request::offset_for_leader_partition& a,
                       const offset_for_leader_epoch_request::offset_for_leader_partition& b) {
  auto f = [](const auto& m) {
    return std::tie(m.partition, m.current_leader_epoch, m.leader_epoch);
  };
  return f(a) == f(b);
}
static bool operator==(const offset_for_leader_epoch_request::offset_for_leader_topic& a,
                       const offset_for_leader_epoch_request::offset_for_leader_topic& b) {
  return a.topic == b.topic && a.partitions == b.partitions;
}
static bool operator==(const offset_for_leader_epoch_request& a,
                       const offset_for_leader_epoch_request& b) {
  return a.replica_id == b.replica_id && a.topics == b.topics;
}
static bool operator==(const offset_for_leader_epoch_response::epoch_end_offset& a,
                       const offset_for_leader_epoch_response::epoch_end_offset& b) {
  auto f = [](const auto& m) {
    return std::tie(m.error_code, m.partition, m.leader_epoch, m.end_offset);
  };
  return f(a) == f(b);
}
static bool operator==(const offset_for_leader_epoch_response::offset_for_leader_topic_result& a,
                       const offset_for_leader_epoch_response::offset_for_leader_topic_result& b) {
  return a.topic == b.topic && a.partitions == b.partitions;
}
static bool operator==(const offset_for_leader_epoch_response& a,
                       const offset_for_leader_epoch_response& b) {
  return a.throttle_time_ms == b.throttle_time_ms && a.topics == b.topics;
}

static bool operator==(const delete_records_request::delete_records_partition& a,
                       const delete_records_request::delete_records_partition& b) {
  return a.partition_index == b.partition_index && a.offset == b.offset;
}
static bool operator==(const delete_records_request::delete_records_topic& a,
                       const delete_records_request::delete_records_topic& b) {
  return a.name == b.name && a.partitions == b.partitions;
}
static bool operator==(const delete_records_request& a, const delete_records_request& b) {
  return a.topics == b.topics && a.timeout_ms == b.timeout_ms;
}
static bool operator==(const delete_records_response::delete_records_partition_result& a,
                       const delete_records_response::delete_records_partition_result& b) {
  auto f = [](const auto& m) { return std::tie(m.partition_index, m.low_watermark, m.error_code); };
  return f(a) == f(b);
}
static bool operator==(const delete_records_response::delete_records_topic_result& a,
                       const delete_records_response::delete_records_topic_result& b) {
  return a.name == b.name && a.partitions == b.partitions;
}
static bool operator==(const delete_records_response& a, const delete_records_response& b) {
  return a.throttle_time_ms == b.throttle_time_ms && a.topics == b.topics;
}

}  // namespace runnel::kafka
