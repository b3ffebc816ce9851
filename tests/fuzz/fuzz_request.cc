// libFuzzer target: a request frame (without its size prefix) as the broker
// reads it. Decodes the header and then the body with the codec of its API
// and version. Must never crash, hang or read out of bounds, whatever the
// bytes (run under AddressSanitizer and UBSan).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kafka/api.h"
#include "kafka/header.h"
#include "kafka/messages/alter_configs.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/create_partitions.h"
#include "kafka/messages/create_topics.h"
#include "kafka/messages/delete_groups.h"
#include "kafka/messages/delete_records.h"
#include "kafka/messages/delete_topics.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/fetch.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/incremental_alter_configs.h"
#include "kafka/messages/init_producer_id.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_commit.h"
#include "kafka/messages/offset_delete.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/messages/offset_for_leader_epoch.h"
#include "kafka/messages/produce.h"
#include "kafka/messages/sync_group.h"

using namespace runnel::kafka;

namespace {

template <class M>
void round(reader& r, int16_t v, bool flexible) {
  M m;
  if (decode_body(r, m, v, flexible)) {
    // What decoded must encode again.
    writer w;
    encode_body(w, m, v, flexible);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> frame(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  reader r(frame);
  request_header h;
  if (!decode_request_header(r, h)) return 0;
  const api_info* api = find_api(h.api_key);
  if (!api || !api->advertised(h.api_version)) return 0;
  const int16_t v = h.api_version;
  const bool f = api->flexible(v);
  switch (api->key) {
    case api_key::produce:
      round<produce_request>(r, v, f);
      break;
    case api_key::fetch:
      round<fetch_request>(r, v, f);
      break;
    case api_key::list_offsets:
      round<list_offsets_request>(r, v, f);
      break;
    case api_key::metadata:
      round<metadata_request>(r, v, f);
      break;
    case api_key::offset_commit:
      round<offset_commit_request>(r, v, f);
      break;
    case api_key::offset_fetch:
      round<offset_fetch_request>(r, v, f);
      break;
    case api_key::find_coordinator:
      round<find_coordinator_request>(r, v, f);
      break;
    case api_key::join_group:
      round<join_group_request>(r, v, f);
      break;
    case api_key::heartbeat:
      round<heartbeat_request>(r, v, f);
      break;
    case api_key::leave_group:
      round<leave_group_request>(r, v, f);
      break;
    case api_key::sync_group:
      round<sync_group_request>(r, v, f);
      break;
    case api_key::describe_groups:
      round<describe_groups_request>(r, v, f);
      break;
    case api_key::list_groups:
      round<list_groups_request>(r, v, f);
      break;
    case api_key::api_versions:
      round<api_versions_request>(r, v, f);
      break;
    case api_key::create_topics:
      round<create_topics_request>(r, v, f);
      break;
    case api_key::delete_topics:
      round<delete_topics_request>(r, v, f);
      break;
    case api_key::delete_records:
      round<delete_records_request>(r, v, f);
      break;
    case api_key::init_producer_id:
      round<init_producer_id_request>(r, v, f);
      break;
    case api_key::offset_for_leader_epoch:
      round<offset_for_leader_epoch_request>(r, v, f);
      break;
    case api_key::describe_configs:
      round<describe_configs_request>(r, v, f);
      break;
    case api_key::alter_configs:
      round<alter_configs_request>(r, v, f);
      break;
    case api_key::create_partitions:
      round<create_partitions_request>(r, v, f);
      break;
    case api_key::delete_groups:
      round<delete_groups_request>(r, v, f);
      break;
    case api_key::incremental_alter_configs:
      round<incremental_alter_configs_request>(r, v, f);
      break;
    case api_key::offset_delete:
      round<offset_delete_request>(r, v, f);
      break;
  }
  return 0;
}
