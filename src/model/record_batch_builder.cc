#include "model/record_batch_builder.h"

#include "model/endian.h"
#include "model/varint.h"

namespace runnel::model {

namespace {

size_t bytes_field_size(const std::optional<std::span<const std::byte>>& f) {
  if (!f) return varint_size(-1);
  return varint_size(int32_t(f->size())) + f->size();
}

void put_bytes_field(bytes& out, const std::optional<std::span<const std::byte>>& f) {
  if (!f) {
    write_varint(out, -1);
    return;
  }
  write_varint(out, int32_t(f->size()));
  out.insert(out.end(), f->begin(), f->end());
}

}  // namespace

void encode_record(bytes& out, int64_t timestamp_delta, int32_t offset_delta,
                   std::optional<std::span<const std::byte>> key,
                   std::optional<std::span<const std::byte>> value,
                   std::span<const record_header_view> headers) {
  size_t body = 1 + varlong_size(timestamp_delta) + varint_size(offset_delta) +
                bytes_field_size(key) + bytes_field_size(value) +
                varint_size(int32_t(headers.size()));
  for (const auto& h : headers) body += bytes_field_size(h.key) + bytes_field_size(h.value);
  out.reserve(out.size() + body + 5);
  write_varint(out, int32_t(body));
  out.push_back(std::byte{0});  // record attributes: unused, always 0
  write_varlong(out, timestamp_delta);
  write_varint(out, offset_delta);
  put_bytes_field(out, key);
  put_bytes_field(out, value);
  write_varint(out, int32_t(headers.size()));
  for (const auto& h : headers) {
    put_bytes_field(out, h.key);
    put_bytes_field(out, h.value);
  }
}

result<bytes> assemble_batch(batch_header h, std::span<const std::byte> records, int32_t count,
                             snappy_framing framing) {
  bytes body_storage;
  std::span<const std::byte> body = records;
  if (h.codec() != compression::none) {
    RUNNEL_TRY(auto c, compress(h.codec(), records, framing));
    body_storage = std::move(c);
    body = body_storage;
  }
  bytes out(batch_layout::header_size + body.size());
  std::byte* p = out.data();
  h.record_count = count;
  h.batch_length = int32_t(out.size() - batch_layout::log_overhead);
  store_be<int64_t>(p + batch_layout::base_offset, h.base_offset);
  store_be<int32_t>(p + batch_layout::batch_length, h.batch_length);
  store_be<int32_t>(p + batch_layout::leader_epoch, h.leader_epoch);
  store_be<int8_t>(p + batch_layout::magic, batch_layout::current_magic);
  store_be<int16_t>(p + batch_layout::attributes, h.attributes);
  store_be<int32_t>(p + batch_layout::last_offset_delta, h.last_offset_delta);
  store_be<int64_t>(p + batch_layout::base_timestamp, h.base_timestamp);
  store_be<int64_t>(p + batch_layout::max_timestamp, h.max_timestamp);
  store_be<int64_t>(p + batch_layout::producer_id, h.producer_id);
  store_be<int16_t>(p + batch_layout::producer_epoch, h.producer_epoch);
  store_be<int32_t>(p + batch_layout::base_sequence, h.base_sequence);
  store_be<int32_t>(p + batch_layout::record_count, count);
  std::copy(body.begin(), body.end(), out.begin() + batch_layout::header_size);
  store_be<uint32_t>(p + batch_layout::crc, compute_batch_crc(out));
  return out;
}

result<bytes> recompress_batch(std::span<const std::byte> batch, compression codec) {
  RUNNEL_TRY(auto h, parse_header(batch));
  std::vector<std::byte> storage;
  RUNNEL_TRY(auto records, records_section(batch, h, storage));
  h.attributes = int16_t((h.attributes & ~batch_attr::codec_mask) |
                         (static_cast<int16_t>(codec) & batch_attr::codec_mask));
  return assemble_batch(h, records, h.record_count);
}

batch_builder::batch_builder(compression codec, timestamp base) {
  header_.attributes = int16_t(static_cast<int16_t>(codec) & batch_attr::codec_mask);
  header_.base_timestamp = base.value;
  have_base_ = base.value != 0;
}

void batch_builder::add(std::optional<std::span<const std::byte>> key,
                        std::optional<std::span<const std::byte>> value, timestamp ts,
                        std::span<const record_header_view> headers) {
  if (!have_base_) {
    header_.base_timestamp = ts.value;
    have_base_ = true;
  }
  encode_record(records_, ts.value - header_.base_timestamp, count_, key, value, headers);
  max_ts_ = std::max(max_ts_, ts.value);
  ++count_;
}

void batch_builder::set_producer(int64_t producer_id, int16_t epoch, int32_t base_sequence) {
  header_.producer_id = producer_id;
  header_.producer_epoch = epoch;
  header_.base_sequence = base_sequence;
}

result<bytes> batch_builder::build() const {
  batch_header h = header_;
  h.last_offset_delta = count_ > 0 ? count_ - 1 : 0;
  h.max_timestamp = max_ts_ >= 0 ? max_ts_ : h.base_timestamp;
  return assemble_batch(h, records_, count_);
}

}  // namespace runnel::model
