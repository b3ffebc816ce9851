// Fetch (key 1), versions 4-12. Older versions are not advertised, so their
// fields (none beyond what v4 has) are not modelled. Nested types are named
// after the spec's structs.
//
// Tagged fields of v12 (request ClusterId; response DivergingEpoch,
// CurrentLeader, SnapshotId) are skipped on decode and never sent: a
// follower-less broker has no use for them, and omitting a tagged field
// means "default".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/wire.h"

namespace runnel::kafka {

struct fetch_request {
  struct fetch_partition {
    int32_t partition = 0;
    int32_t current_leader_epoch = -1;  // v9+
    int64_t fetch_offset = 0;
    int32_t last_fetched_epoch = -1;  // v12+
    int64_t log_start_offset = -1;    // v5+; only followers send it
    int32_t partition_max_bytes = 0;
  };
  struct fetch_topic {
    std::string topic;
    std::vector<fetch_partition> partitions;
  };
  // Partitions to drop from an incremental fetch session (KIP-227).
  struct forgotten_topic {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;
  int8_t isolation_level = 0;
  int32_t session_id = 0;      // v7+
  int32_t session_epoch = -1;  // v7+
  std::vector<fetch_topic> topics;
  std::vector<forgotten_topic> forgotten_topics_data;  // v7+
  std::string rack_id;                                 // v11+

  template <class A>
  void serde(A& a) {
    a.i32(replica_id);
    a.i32(max_wait_ms);
    a.i32(min_bytes);
    a.i32(max_bytes);
    a.i8(isolation_level);
    if (a.version >= 7) {
      a.i32(session_id);
      a.i32(session_epoch);
    }
    a.array(topics, [](A& a, fetch_topic& t) {
      a.string(t.topic);
      a.array(t.partitions, [](A& a, fetch_partition& p) {
        a.i32(p.partition);
        if (a.version >= 9) a.i32(p.current_leader_epoch);
        a.i64(p.fetch_offset);
        if (a.version >= 12) a.i32(p.last_fetched_epoch);
        if (a.version >= 5) a.i64(p.log_start_offset);
        a.i32(p.partition_max_bytes);
        a.tags();
      });
      a.tags();
    });
    if (a.version >= 7) {
      a.array(forgotten_topics_data, [](A& a, forgotten_topic& t) {
        a.string(t.topic);
        a.i32_array(t.partitions);
        a.tags();
      });
    }
    if (a.version >= 11) a.string(rack_id);
    a.tags();  // v12+: ClusterId (tag 0)
  }
};

struct fetch_response {
  struct aborted_transaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
  };
  struct partition_data {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = 0;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;  // v5+
    // Null tells a read_uncommitted consumer "none"; the spec's default is
    // an empty array.
    std::optional<std::vector<aborted_transaction>> aborted_transactions =
        std::vector<aborted_transaction>{};
    int32_t preferred_read_replica = -1;  // v11+
    // May carry file chunks so the broker sends log segments without copying.
    records_field records;
  };
  struct fetchable_topic_response {
    std::string topic;
    std::vector<partition_data> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;  // v7+
  int32_t session_id = 0;  // v7+
  std::vector<fetchable_topic_response> responses;

  template <class A>
  void serde(A& a) {
    a.i32(throttle_time_ms);
    if (a.version >= 7) {
      a.i16(error_code);
      a.i32(session_id);
    }
    a.array(responses, [](A& a, fetchable_topic_response& t) {
      a.string(t.topic);
      a.array(t.partitions, [](A& a, partition_data& p) {
        a.i32(p.partition_index);
        a.i16(p.error_code);
        a.i64(p.high_watermark);
        a.i64(p.last_stable_offset);
        if (a.version >= 5) a.i64(p.log_start_offset);
        a.nullable_array(p.aborted_transactions, [](A& a, aborted_transaction& t) {
          a.i64(t.producer_id);
          a.i64(t.first_offset);
          a.tags();
        });
        if (a.version >= 11) a.i32(p.preferred_read_replica);
        a.records(p.records);
        a.tags();  // v12+: DivergingEpoch, CurrentLeader, SnapshotId
      });
      a.tags();
    });
    a.tags();
  }
};

}  // namespace runnel::kafka
