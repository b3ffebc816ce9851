// libFuzzer target: bytes offered as one record batch, as Produce hands them
// to storage. Validation (deep: records decompressed and parsed) must never
// crash or read out of bounds; a batch that validates must parse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "model/record_batch.h"

using namespace runnel::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> b(reinterpret_cast<const std::byte*>(data),
                           reinterpret_cast<const std::byte*>(data) + size);
  for (bool gaps : {false, true}) {
    validate_options o;
    o.deep = true;
    o.allow_offset_gaps = gaps;
    o.require_keys = gaps;
    auto h = validate_batch(b, o);
    if (!h) continue;
    std::vector<std::byte> storage;
    auto recs = records_section(b, h.value(), storage);
    if (!recs) abort();  // validated, so it must open
    if (!parse_records(recs.value(), h.value().record_count)) abort();
  }
  // The CRC is the first line of defence; also exercise parsing past it.
  if (size >= batch_layout::header_size) {
    auto h = parse_header(b);
    if (h) {
      std::vector<std::byte> storage;
      auto recs = records_section(b, h.value(), storage);
      if (recs) (void)parse_records(recs.value(), std::min(h.value().record_count, 4096));
    }
  }
  return 0;
}
