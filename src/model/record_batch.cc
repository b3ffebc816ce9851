#include "model/record_batch.h"

#include <string>

#include "model/crc32c.h"
#include "model/endian.h"
#include "model/varint.h"

namespace runnel::model {

namespace {

class batch_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "runnel.batch"; }
  std::string message(int c) const override {
    switch (static_cast<batch_errc>(c)) {
      case batch_errc::truncated:
        return "record batch is truncated";
      case batch_errc::bad_magic:
        return "record batch magic is not 2";
      case batch_errc::bad_length:
        return "record batch length is inconsistent";
      case batch_errc::crc_mismatch:
        return "record batch CRC mismatch";
      case batch_errc::bad_record_count:
        return "record batch record count is inconsistent";
      case batch_errc::too_large:
        return "record batch is larger than max.message.bytes";
      case batch_errc::corrupt_records:
        return "records inside the batch are malformed";
      case batch_errc::missing_key:
        return "compacted topic requires a key on every record";
      case batch_errc::unsupported_codec:
        return "record batch uses an unknown compression codec";
    }
    return "unknown record batch error";
  }
};

}  // namespace

const std::error_category& batch_category() {
  static const batch_category_impl c;
  return c;
}
std::error_code make_error_code(batch_errc e) {
  return {static_cast<int>(e), batch_category()};
}

std::optional<batch_frame> parse_frame(std::span<const std::byte> b) {
  if (b.size() < batch_layout::log_overhead) return std::nullopt;
  return batch_frame{load_be<int64_t>(b.data()), load_be<int32_t>(b.data() + 8)};
}

result<batch_header> parse_header(std::span<const std::byte> b) {
  if (b.size() < batch_layout::header_size) return batch_errc::truncated;
  const std::byte* p = b.data();
  batch_header h;
  h.base_offset = load_be<int64_t>(p + batch_layout::base_offset);
  h.batch_length = load_be<int32_t>(p + batch_layout::batch_length);
  h.leader_epoch = load_be<int32_t>(p + batch_layout::leader_epoch);
  h.magic = load_be<int8_t>(p + batch_layout::magic);
  h.crc = load_be<uint32_t>(p + batch_layout::crc);
  h.attributes = load_be<int16_t>(p + batch_layout::attributes);
  h.last_offset_delta = load_be<int32_t>(p + batch_layout::last_offset_delta);
  h.base_timestamp = load_be<int64_t>(p + batch_layout::base_timestamp);
  h.max_timestamp = load_be<int64_t>(p + batch_layout::max_timestamp);
  h.producer_id = load_be<int64_t>(p + batch_layout::producer_id);
  h.producer_epoch = load_be<int16_t>(p + batch_layout::producer_epoch);
  h.base_sequence = load_be<int32_t>(p + batch_layout::base_sequence);
  h.record_count = load_be<int32_t>(p + batch_layout::record_count);
  return h;
}

uint32_t compute_batch_crc(std::span<const std::byte> batch) {
  return crc32c(batch.subspan(batch_layout::attributes));
}

namespace {

// Most varints in a record are one byte (small lengths and deltas): decode
// those inline and leave the rest to the general decoder.
inline std::optional<int32_t> next_varint(std::span<const std::byte>& in) {
  if (!in.empty()) {
    const auto b = uint8_t(in[0]);
    if (b < 0x80) {
      in = in.subspan(1);
      return int32_t((b >> 1) ^ (~(b & 1) + 1));
    }
  }
  return read_varint(in);
}

inline std::optional<int64_t> next_varlong(std::span<const std::byte>& in) {
  if (!in.empty()) {
    const auto b = uint8_t(in[0]);
    if (b < 0x80) {
      in = in.subspan(1);
      return int64_t((b >> 1) ^ (~(b & 1) + 1));
    }
  }
  return read_varlong(in);
}

// Walks `count` records, checking framing and that offset deltas are strictly
// increasing and within last_offset_delta. Calls fn(record_view) for each.
template <class Fn>
std::error_code walk_records(std::span<const std::byte> in, int32_t count, Fn&& fn) {
  std::span<const std::byte> rest = in;
  auto bytes_field = [&](std::span<const std::byte>& r,
                         std::optional<std::span<const std::byte>>& out) -> bool {
    auto len = next_varint(r);
    if (!len) return false;
    if (*len < 0) {
      if (*len != -1) return false;
      out.reset();
      return true;
    }
    if (size_t(*len) > r.size()) return false;
    out = r.first(size_t(*len));
    r = r.subspan(size_t(*len));
    return true;
  };
  for (int32_t i = 0; i < count; ++i) {
    const std::byte* start = rest.data();
    auto len = next_varint(rest);
    if (!len || *len < 0 || size_t(*len) > rest.size()) return batch_errc::corrupt_records;
    std::span<const std::byte> r = rest.first(size_t(*len));
    const size_t prefix = size_t(rest.data() - start);
    rest = rest.subspan(size_t(*len));
    record_view v;
    v.raw = {start, prefix + size_t(*len)};
    if (r.empty()) return batch_errc::corrupt_records;
    v.attributes = static_cast<int8_t>(r[0]);
    r = r.subspan(1);
    auto ts = next_varlong(r);
    auto od = next_varint(r);
    if (!ts || !od) return batch_errc::corrupt_records;
    v.timestamp_delta = *ts;
    v.offset_delta = *od;
    if (!bytes_field(r, v.key) || !bytes_field(r, v.value)) return batch_errc::corrupt_records;
    auto hc = next_varint(r);
    if (!hc || *hc < 0 || size_t(*hc) > r.size()) return batch_errc::corrupt_records;
    v.headers.reserve(size_t(*hc));
    for (int32_t k = 0; k < *hc; ++k) {
      std::optional<std::span<const std::byte>> hk, hv;
      if (!bytes_field(r, hk) || !hk || !bytes_field(r, hv)) return batch_errc::corrupt_records;
      v.headers.push_back({*hk, hv});
    }
    if (!r.empty()) return batch_errc::corrupt_records;
    if (auto ec = fn(v)) return ec;
  }
  if (!rest.empty()) return batch_errc::corrupt_records;
  return {};
}

}  // namespace

result<std::vector<record_view>> parse_records(std::span<const std::byte> records, int32_t count) {
  if (count < 0) return batch_errc::bad_record_count;
  std::vector<record_view> out;
  out.reserve(size_t(std::min(count, 1 << 16)));
  auto ec = walk_records(records, count, [&](record_view& v) {
    out.push_back(std::move(v));
    return std::error_code{};
  });
  if (ec) return ec;
  return out;
}

result<std::span<const std::byte>> records_section(std::span<const std::byte> batch,
                                                   const batch_header& h,
                                                   std::vector<std::byte>& storage) {
  if (batch.size() < batch_layout::header_size) return batch_errc::truncated;
  auto body = batch.subspan(batch_layout::header_size);
  if (h.codec() == compression::none) return body;
  if (static_cast<uint8_t>(h.codec()) > 4) return batch_errc::unsupported_codec;
  auto out = decompress(h.codec(), body);
  if (!out) return batch_errc::corrupt_records;
  storage = std::move(out).value();
  return std::span<const std::byte>(storage);
}

result<batch_header> validate_batch(std::span<const std::byte> bytes, const validate_options& o) {
  RUNNEL_TRY(auto h, parse_header(bytes));
  if (h.magic != batch_layout::current_magic) return batch_errc::bad_magic;
  if (h.batch_length < int32_t(batch_layout::header_size - batch_layout::log_overhead) ||
      h.size_bytes() != bytes.size())
    return batch_errc::bad_length;
  if (bytes.size() > o.max_batch_bytes) return batch_errc::too_large;
  if (compute_batch_crc(bytes) != h.crc) return batch_errc::crc_mismatch;
  if (h.record_count < (o.allow_offset_gaps ? 0 : 1) || h.last_offset_delta < 0 ||
      h.record_count - 1 > h.last_offset_delta)
    return batch_errc::bad_record_count;
  if (!o.allow_offset_gaps && h.record_count - 1 != h.last_offset_delta)
    return batch_errc::bad_record_count;
  if (static_cast<uint8_t>(h.codec()) > 4) return batch_errc::unsupported_codec;
  if (!o.skip_records && (h.codec() == compression::none || o.deep || o.require_keys)) {
    std::vector<std::byte> storage;
    RUNNEL_TRY(auto recs, records_section(bytes, h, storage));
    int32_t prev = -1;
    const bool keys = o.require_keys && !h.is_control();
    auto ec = walk_records(recs, h.record_count, [&](const record_view& v) -> std::error_code {
      if (v.offset_delta <= prev || v.offset_delta > h.last_offset_delta)
        return batch_errc::corrupt_records;
      if (!o.allow_offset_gaps && v.offset_delta != prev + 1) return batch_errc::corrupt_records;
      prev = v.offset_delta;
      if (keys && !v.key) return batch_errc::missing_key;
      return {};
    });
    if (ec) return ec;
  }
  return h;
}

void set_base_offset(std::span<std::byte> batch, offset base) {
  store_be<int64_t>(batch.data() + batch_layout::base_offset, base.value);
}

void set_leader_epoch(std::span<std::byte> batch, leader_epoch epoch) {
  store_be<int32_t>(batch.data() + batch_layout::leader_epoch, epoch.value);
}

void stamp_log_append_time(std::span<std::byte> batch, timestamp now) {
  auto attrs = load_be<int16_t>(batch.data() + batch_layout::attributes);
  store_be<int16_t>(batch.data() + batch_layout::attributes,
                    int16_t(attrs | batch_attr::log_append_time));
  store_be<int64_t>(batch.data() + batch_layout::max_timestamp, now.value);
  store_be<uint32_t>(batch.data() + batch_layout::crc, compute_batch_crc(batch));
}

}  // namespace runnel::model
