#include "model/control_record.h"

#include <array>

#include "model/endian.h"

namespace runnel::model {

namespace {

constexpr int16_t marker_version = 0;
constexpr size_t key_bytes = 4;    // version, type
constexpr size_t value_bytes = 6;  // version, coordinator epoch

}  // namespace

result<control_record> parse_control_batch(std::span<const std::byte> batch,
                                           const batch_header& h) {
  if (!h.is_control() || h.record_count < 1) return batch_errc::corrupt_records;
  std::vector<std::byte> storage;
  RUNNEL_TRY(auto section, records_section(batch, h, storage));
  // Only the first record counts: Kafka writes exactly one.
  RUNNEL_TRY(auto recs, parse_records(section, 1));
  const auto& r = recs.front();
  if (!r.key || r.key->size() < key_bytes) return batch_errc::corrupt_records;
  if (load_be<int16_t>(r.key->data()) != marker_version) return batch_errc::corrupt_records;
  const int16_t type = load_be<int16_t>(r.key->data() + 2);
  if (type != int16_t(control_type::abort) && type != int16_t(control_type::commit))
    return batch_errc::corrupt_records;
  control_record out;
  out.type = control_type(type);
  if (r.value && r.value->size() >= value_bytes)
    out.coordinator_epoch = load_be<int32_t>(r.value->data() + 2);
  return out;
}

result<bytes> build_control_batch(int64_t producer_id, int16_t producer_epoch,
                                  control_record marker, timestamp now) {
  std::array<std::byte, key_bytes> key{};
  store_be<int16_t>(key.data(), marker_version);
  store_be<int16_t>(key.data() + 2, int16_t(marker.type));
  std::array<std::byte, value_bytes> value{};
  store_be<int16_t>(value.data(), marker_version);
  store_be<int32_t>(value.data() + 2, marker.coordinator_epoch);
  bytes records;
  encode_record(records, 0, 0, std::span<const std::byte>(key), std::span<const std::byte>(value));
  batch_header h;
  h.attributes = int16_t(batch_attr::transactional | batch_attr::control);
  h.last_offset_delta = 0;
  h.base_timestamp = now.value;
  h.max_timestamp = now.value;
  h.producer_id = producer_id;
  h.producer_epoch = producer_epoch;
  h.base_sequence = -1;
  return assemble_batch(h, records, 1);
}

}  // namespace runnel::model
