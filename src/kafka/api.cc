#include "kafka/api.h"

#include <array>

namespace runnel::kafka {

namespace {

// key, name, min, max, first flexible, served min
constexpr std::array apis = {
    api_info{api_key::produce, "Produce", 0, 9, 9, 3},
    api_info{api_key::fetch, "Fetch", 4, 12, 12},
    api_info{api_key::list_offsets, "ListOffsets", 1, 7, 6},
    api_info{api_key::metadata, "Metadata", 0, 12, 9},
    api_info{api_key::offset_commit, "OffsetCommit", 2, 8, 8},
    api_info{api_key::offset_fetch, "OffsetFetch", 1, 7, 6},
    api_info{api_key::find_coordinator, "FindCoordinator", 0, 4, 3},
    api_info{api_key::join_group, "JoinGroup", 0, 7, 6},
    api_info{api_key::heartbeat, "Heartbeat", 0, 4, 4},
    api_info{api_key::leave_group, "LeaveGroup", 0, 4, 4},
    api_info{api_key::sync_group, "SyncGroup", 0, 5, 4},
    api_info{api_key::describe_groups, "DescribeGroups", 0, 5, 5},
    api_info{api_key::list_groups, "ListGroups", 0, 4, 3},
    api_info{api_key::api_versions, "ApiVersions", 0, 3, 3},
    api_info{api_key::create_topics, "CreateTopics", 0, 7, 5},
    api_info{api_key::delete_topics, "DeleteTopics", 0, 6, 4},
    api_info{api_key::delete_records, "DeleteRecords", 0, 2, 2},
    api_info{api_key::init_producer_id, "InitProducerId", 0, 4, 2},
    api_info{api_key::offset_for_leader_epoch, "OffsetForLeaderEpoch", 0, 4, 4},
    api_info{api_key::add_partitions_to_txn, "AddPartitionsToTxn", 0, 3, 3},
    api_info{api_key::add_offsets_to_txn, "AddOffsetsToTxn", 0, 3, 3},
    api_info{api_key::end_txn, "EndTxn", 0, 3, 3},
    api_info{api_key::txn_offset_commit, "TxnOffsetCommit", 0, 3, 3},
    api_info{api_key::describe_configs, "DescribeConfigs", 0, 4, 4},
    api_info{api_key::alter_configs, "AlterConfigs", 0, 2, 2},
    api_info{api_key::create_partitions, "CreatePartitions", 0, 3, 2},
    api_info{api_key::delete_groups, "DeleteGroups", 0, 2, 2},
    api_info{api_key::incremental_alter_configs, "IncrementalAlterConfigs", 0, 1, 1},
    api_info{api_key::offset_delete, "OffsetDelete", 0, 0, -1},
    api_info{api_key::describe_transactions, "DescribeTransactions", 0, 0, 0},
    api_info{api_key::list_transactions, "ListTransactions", 0, 0, 0},
};

}  // namespace

std::span<const api_info> supported_apis() {
  return apis;
}

const api_info* find_api(int16_t key) {
  for (const auto& a : apis)
    if (static_cast<int16_t>(a.key) == key) return &a;
  return nullptr;
}

}  // namespace runnel::kafka
