#include "storage/producer_state.h"

#include <algorithm>

#include "model/endian.h"
#include "storage/errc.h"

namespace runnel::storage {

namespace {

using model::load_be;
using model::store_be;

int32_t next_seq(int32_t s) {
  return s == INT32_MAX ? 0 : s + 1;
}

int32_t last_seq_of(const model::batch_header& h) {
  // Sequences wrap at INT32_MAX like Kafka's.
  const int64_t last = int64_t(h.base_sequence) + h.last_offset_delta;
  return last > INT32_MAX ? int32_t(last - INT32_MAX - 1) : int32_t(last);
}

// Fixed sizes of the snapshot body's parts (docs/format/log.md).
constexpr size_t producer_bytes = 8 + 2 + 8 + 8 + 1;
constexpr size_t batch_bytes = 4 + 4 + 8 + 8 + 8;

}  // namespace

producer_state::verdict producer_state::check(const model::batch_header& h) const {
  verdict v;
  auto it = by_id_.find(h.producer_id);
  if (it == by_id_.end()) {
    // A producer we know nothing of must start at sequence 0; otherwise its
    // state was lost (or expired) and it must reset.
    if (h.base_sequence != 0) {
      v.kind = verdict::reject;
      v.error = storage_errc::unknown_producer_id;
    }
    return v;
  }
  const entry& e = it->second;
  if (h.producer_epoch < e.epoch) {
    v.kind = verdict::reject;
    v.error = storage_errc::invalid_producer_epoch;
    return v;
  }
  if (h.producer_epoch > e.epoch) {
    if (h.base_sequence != 0) {
      v.kind = verdict::reject;
      v.error = storage_errc::out_of_order_sequence;
    }
    return v;
  }
  const int32_t last = last_seq_of(h);
  for (const auto& b : e.batches) {
    if (b.first_seq == h.base_sequence && b.last_seq == last) {
      v.kind = verdict::duplicate;
      v.base_offset = b.base_offset;
      v.last_offset = b.last_offset;
      v.max_timestamp = b.max_timestamp;
      return v;
    }
  }
  // An epoch that a marker started has no batches yet: it begins at 0.
  const int32_t expected = e.batches.empty() ? 0 : next_seq(e.batches.back().last_seq);
  if (h.base_sequence != expected) {
    v.kind = verdict::reject;
    v.error = storage_errc::out_of_order_sequence;
  }
  return v;
}

std::optional<completed_txn> producer_state::apply(const model::batch_header& h,
                                                   std::optional<model::control_record> marker,
                                                   int64_t now_ms) {
  if (h.producer_id < 0) return std::nullopt;
  entry& e = by_id_[h.producer_id];
  e.last_seen_ms = std::max(e.last_seen_ms, now_ms);
  if (h.is_control()) {
    // A marker written with a newer epoch (a fenced or timed-out
    // transaction) fences the older one here too; its batches start over.
    if (h.producer_epoch > e.epoch) {
      e.epoch = h.producer_epoch;
      e.batches.clear();
    }
    if (e.txn_first_offset < 0) return std::nullopt;
    completed_txn done{h.producer_id, e.txn_first_offset, h.base_offset,
                       marker && marker->type == model::control_type::abort};
    open_.erase({e.txn_first_offset, h.producer_id});
    e.txn_first_offset = -1;
    return done;
  }
  if (h.producer_epoch != e.epoch) {
    e.epoch = h.producer_epoch;
    e.batches.clear();
  }
  if (h.base_sequence >= 0) {
    e.batches.push_back({h.base_sequence, last_seq_of(h), h.base_offset,
                         h.base_offset + h.last_offset_delta, h.max_timestamp});
    while (e.batches.size() > batches_kept) e.batches.pop_front();
  }
  if (h.is_transactional() && e.txn_first_offset < 0) {
    e.txn_first_offset = h.base_offset;
    open_.insert({h.base_offset, h.producer_id});
  }
  return std::nullopt;
}

std::optional<int64_t> producer_state::first_unstable_offset() const {
  if (open_.empty()) return std::nullopt;
  return open_.begin()->first;
}

std::optional<int16_t> producer_state::open_transaction(int64_t producer_id) const {
  auto it = by_id_.find(producer_id);
  if (it == by_id_.end() || it->second.txn_first_offset < 0) return std::nullopt;
  return it->second.epoch;
}

size_t producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
  if (expiration_ms < 0) return 0;
  return std::erase_if(by_id_, [&](const auto& kv) {
    const entry& e = kv.second;
    return e.txn_first_offset < 0 && e.last_seen_ms < now_ms - expiration_ms;
  });
}

std::vector<std::byte> producer_state::encode() const {
  std::vector<int64_t> ids;
  ids.reserve(by_id_.size());
  size_t size = 4;
  for (const auto& [id, e] : by_id_) {
    ids.push_back(id);
    size += producer_bytes + e.batches.size() * batch_bytes;
  }
  std::sort(ids.begin(), ids.end());  // the same state always encodes the same way
  std::vector<std::byte> out(size);
  std::byte* p = out.data();
  store_be<uint32_t>(p, uint32_t(ids.size()));
  p += 4;
  for (int64_t id : ids) {
    const entry& e = by_id_.at(id);
    store_be<int64_t>(p, id);
    store_be<int16_t>(p + 8, e.epoch);
    store_be<int64_t>(p + 10, e.last_seen_ms);
    store_be<int64_t>(p + 18, e.txn_first_offset);
    store_be<uint8_t>(p + 26, uint8_t(e.batches.size()));
    p += producer_bytes;
    for (const auto& b : e.batches) {
      store_be<int32_t>(p, b.first_seq);
      store_be<int32_t>(p + 4, b.last_seq);
      store_be<int64_t>(p + 8, b.base_offset);
      store_be<int64_t>(p + 16, b.last_offset);
      store_be<int64_t>(p + 24, b.max_timestamp);
      p += batch_bytes;
    }
  }
  return out;
}

result<producer_state> producer_state::decode(std::span<const std::byte> body) {
  if (body.size() < 4) return storage_errc::corrupt_file;
  const uint32_t n = load_be<uint32_t>(body.data());
  size_t at = 4;
  producer_state s;
  for (uint32_t i = 0; i < n; ++i) {
    if (body.size() - at < producer_bytes) return storage_errc::corrupt_file;
    const std::byte* p = body.data() + at;
    const int64_t id = load_be<int64_t>(p);
    entry e;
    e.epoch = load_be<int16_t>(p + 8);
    e.last_seen_ms = load_be<int64_t>(p + 10);
    e.txn_first_offset = load_be<int64_t>(p + 18);
    const size_t batches = load_be<uint8_t>(p + 26);
    at += producer_bytes;
    if (id < 0 || batches > batches_kept || body.size() - at < batches * batch_bytes)
      return storage_errc::corrupt_file;
    for (size_t k = 0; k < batches; ++k) {
      const std::byte* b = body.data() + at;
      e.batches.push_back({load_be<int32_t>(b), load_be<int32_t>(b + 4), load_be<int64_t>(b + 8),
                           load_be<int64_t>(b + 16), load_be<int64_t>(b + 24)});
      at += batch_bytes;
    }
    if (e.txn_first_offset >= 0) s.open_.insert({e.txn_first_offset, id});
    if (!s.by_id_.emplace(id, std::move(e)).second) return storage_errc::corrupt_file;
  }
  if (at != body.size()) return storage_errc::corrupt_file;
  return s;
}

}  // namespace runnel::storage
