#include "connect/runtime/source_transaction.h"

namespace runnel::connect {

std::optional<source_transaction::boundary> source_transaction::parse_boundary(std::string_view s) {
  if (s == "poll") return boundary::poll;
  if (s == "interval") return boundary::interval;
  if (s == "connector") return boundary::connector;
  return std::nullopt;
}

void source_transaction::begin(clock::time_point now) {
  open_ = true;
  begun_ = now;
}

uint64_t source_transaction::add(source_record r) {
  // A record without a partition or offset (Kafka Connect's null) has none
  // to commit; it still belongs to the transaction.
  if (!r.source_partition.is_null() && !r.source_offset.is_null()) {
    auto key = r.source_partition.dump(-1, ' ', false, data::error_handler_t::replace);
    offsets_[std::move(key)] = {r.source_partition, r.source_offset};
  }
  if (records_.empty()) first_seq_ = next_seq_;
  records_.push_back({std::move(r), std::nullopt});
  return next_seq_++;
}

void source_transaction::delivered(uint64_t seq, record_metadata md) {
  if (seq < first_seq_ || seq - first_seq_ >= records_.size()) return;
  records_[size_t(seq - first_seq_)].metadata = std::move(md);
}

source_transaction::action source_transaction::at_record(const source_record& r) {
  for (auto it = at_records_.begin(); it != at_records_.end(); ++it) {
    if (it->partition == r.source_partition && it->offset == r.source_offset) {
      auto what = it->what;
      at_records_.erase(it);
      return what;
    }
  }
  return action::none;
}

source_transaction::action source_transaction::after_poll(bool polled, clock::time_point now) {
  if (!open_) {
    // Nothing was sent since the last boundary: a request has nothing to end.
    requested_ = action::none;
    return action::none;
  }
  switch (b_) {
    case boundary::poll:
      return polled ? action::commit : action::none;
    case boundary::interval:
      return now - begun_ >= interval_ ? action::commit : action::none;
    case boundary::connector: {
      auto a = requested_;
      requested_ = action::none;
      return a;
    }
  }
  return action::none;
}

offset_entries source_transaction::offsets() const {
  offset_entries out;
  out.reserve(offsets_.size());
  for (const auto& [key, po] : offsets_) out.emplace_back(po.first, po.second);
  return out;
}

std::vector<std::pair<source_record, std::optional<record_metadata>>> source_transaction::finish() {
  std::vector<std::pair<source_record, std::optional<record_metadata>>> out;
  out.reserve(records_.size());
  for (auto& e : records_) out.emplace_back(std::move(e.record), std::move(e.metadata));
  records_.clear();
  offsets_.clear();
  first_seq_ = next_seq_;
  open_ = false;
  return out;
}

void source_transaction::commit_transaction(const source_record& r) {
  at_records_.push_back({r.source_partition, r.source_offset, action::commit});
}

void source_transaction::abort_transaction(const source_record& r) {
  at_records_.push_back({r.source_partition, r.source_offset, action::abort});
}

}  // namespace runnel::connect
