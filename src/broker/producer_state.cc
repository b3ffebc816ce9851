#include "broker/producer_state.h"

namespace runnel::broker {

namespace {

int32_t next_seq(int32_t s) {
  return s == INT32_MAX ? 0 : s + 1;
}

int32_t last_seq_of(const model::batch_header& h) {
  // Sequences wrap at INT32_MAX like Kafka's.
  const int64_t last = int64_t(h.base_sequence) + h.last_offset_delta;
  return last > INT32_MAX ? int32_t(last - INT32_MAX - 1) : int32_t(last);
}

}  // namespace

producer_state::verdict producer_state::check(const model::batch_header& h) const {
  verdict v;
  auto it = by_id_.find(h.producer_id);
  if (it == by_id_.end()) {
    // A producer we know nothing of must start at sequence 0; otherwise its
    // state was lost (or never existed) and it must reset.
    if (h.base_sequence != 0) {
      v.kind = verdict::reject;
      v.error = kafka::error_code::unknown_producer_id;
    }
    return v;
  }
  const entry& e = it->second;
  if (h.producer_epoch < e.epoch) {
    v.kind = verdict::reject;
    v.error = kafka::error_code::invalid_producer_epoch;
    return v;
  }
  if (h.producer_epoch > e.epoch) {
    if (h.base_sequence != 0) {
      v.kind = verdict::reject;
      v.error = kafka::error_code::out_of_order_sequence_number;
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
  if (e.batches.empty() || h.base_sequence != next_seq(e.batches.back().last_seq)) {
    v.kind = verdict::reject;
    v.error = kafka::error_code::out_of_order_sequence_number;
  }
  return v;
}

void producer_state::record(const model::batch_header& h) {
  if (h.producer_id < 0) return;
  entry& e = by_id_[h.producer_id];
  if (h.producer_epoch != e.epoch) {
    e.epoch = h.producer_epoch;
    e.batches.clear();
  }
  e.batches.push_back({h.base_sequence, last_seq_of(h), h.base_offset,
                       h.base_offset + h.last_offset_delta, h.max_timestamp});
  while (e.batches.size() > batches_kept) e.batches.pop_front();
}

}  // namespace runnel::broker
