// The Kafka APIs runnel serves: keys, the version ranges it advertises, and
// from which version each uses the flexible encoding (KIP-482). The ranges
// are those of one coherent Kafka release line (3.1-era), because some
// clients infer the broker's version from them. This table is the only place
// these numbers live.
#pragma once

#include <cstdint>
#include <span>

namespace runnel::kafka {

enum class api_key : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  delete_records = 21,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  txn_offset_commit = 28,
  describe_configs = 32,
  alter_configs = 33,
  create_partitions = 37,
  delete_groups = 42,
  incremental_alter_configs = 44,
  offset_delete = 47,
  describe_transactions = 65,
  list_transactions = 66,
};

struct api_info {
  api_key key;
  const char* name;
  int16_t min_version;     // advertised
  int16_t max_version;     // advertised
  int16_t first_flexible;  // -1: never flexible
  int16_t min_served =
      -1;  // below this (but advertised) we answer UNSUPPORTED_VERSION; -1 = min_version
  bool flexible(int16_t v) const { return first_flexible >= 0 && v >= first_flexible; }
  bool advertised(int16_t v) const { return v >= min_version && v <= max_version; }
  int16_t served_min() const { return min_served >= 0 ? min_served : min_version; }
};

std::span<const api_info> supported_apis();
// nullptr for keys we do not serve.
const api_info* find_api(int16_t key);

}  // namespace runnel::kafka
