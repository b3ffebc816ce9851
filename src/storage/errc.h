// Error codes of the storage module. Kafka error codes are chosen from these
// at the protocol layer, never here (DESIGN.md decision 5).
#pragma once

#include <system_error>

namespace runnel::storage {

enum class storage_errc {
  unexpected_eof = 1,   // a file is shorter than its metadata says
  log_failed,           // an fsync failed earlier; the log must be reopened
  offset_out_of_range,  // read or delete-records outside [start, end]
  corrupt_file,         // a file we own has a bad magic, version or checksum
  bad_config,           // a configuration value is invalid
  closed,               // the log was closed
  injected_fault,       // fault_file_system: simulated power loss etc.
  // Idempotent and transactional producers (producer_state.h).
  unknown_producer_id,     // a producer this partition has no state for, mid-sequence
  out_of_order_sequence,   // a gap (or a rewind) in a producer's sequence numbers
  invalid_producer_epoch,  // an epoch older than the partition has seen: fenced
  stale_view,              // a segment_reader's segment was deleted or replaced: plan again
};
const std::error_category& storage_category();
std::error_code make_error_code(storage_errc e);

}  // namespace runnel::storage

template <>
struct std::is_error_code_enum<runnel::storage::storage_errc> : std::true_type {};
