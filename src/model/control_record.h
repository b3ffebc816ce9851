// Control records: the commit and abort markers that end a transaction in
// every partition it wrote to (Kafka's EndTransactionMarker). A control
// batch has the control and transactional attribute bits, the producer id
// and epoch of the transaction, no sequence, and exactly one record:
//
//   key    int16 version (0), int16 type (0 abort, 1 commit)
//   value  int16 version (0), int32 coordinator epoch
//
// (big-endian; Kafka's own layout, so every client recognises the markers
// and skips them). Pure computation; thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "model/result.h"

namespace runnel::model {

enum class control_type : int16_t { abort = 0, commit = 1 };

struct control_record {
  control_type type = control_type::abort;
  int32_t coordinator_epoch = 0;
};

// The marker of a control batch (`batch` is the whole batch, `h` its
// header). batch_errc::corrupt_records if it holds no record or its key is
// not a version-0 abort or commit marker.
result<control_record> parse_control_batch(std::span<const std::byte> batch, const batch_header& h);

// An end-transaction marker batch as the broker writes it into each
// partition of a transaction (base offset 0: the log assigns it).
result<bytes> build_control_batch(int64_t producer_id, int16_t producer_epoch,
                                  control_record marker, timestamp now);

}  // namespace runnel::model
