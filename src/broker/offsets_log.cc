#include "broker/offsets_log.h"

#include <spdlog/spdlog.h>

#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/file_system.h"

namespace runnel::broker {

result<offsets_append> append_offsets_batch(storage::partition_log& log,
                                            const std::vector<offsets_record>& records,
                                            int64_t now_ms) {
  model::batch_builder b(model::compression::none, model::timestamp{now_ms});
  for (const auto& r : records) {
    std::optional<std::span<const std::byte>> value;
    if (r.value) value = std::span<const std::byte>(*r.value);
    b.add(std::span<const std::byte>(r.key), value, model::timestamp{now_ms});
  }
  RUNNEL_TRY(auto batch, b.build());
  RUNNEL_TRY(auto appended, log.append(batch, model::timestamp{now_ms}));
  return offsets_append{appended.base, appended.last + 1};
}

namespace {

void replay_batch(std::span<const std::byte> batch, const model::batch_header& h,
                  const replay_fn& fn) {
  if (h.is_control()) return;
  std::vector<std::byte> storage;
  auto section = model::records_section(batch, h, storage);
  if (!section) return;
  auto recs = model::parse_records(section.value(), h.record_count);
  if (!recs) return;
  for (const auto& r : recs.value()) {
    if (!r.key) continue;
    fn(*r.key, r.value, h.base_offset + r.offset_delta);
  }
}

}  // namespace

result<void> replay_offsets_log(storage::partition_log& log, const replay_fn& fn) {
  int64_t pos = log.start_offset().value;
  const int64_t end = log.end_offset().value;
  std::vector<std::byte> buf;
  while (pos < end) {
    RUNNEL_TRY(auto rr, log.read(model::offset{pos}, 4 << 20));
    if (rr.slices.empty() || rr.next.value <= pos) break;
    for (const auto& s : rr.slices) {
      buf.resize(s.len);
      RUNNEL_TRY(storage::read_exact(*s.f, s.pos, buf));
      std::span<const std::byte> rest(buf);
      while (rest.size() >= model::batch_layout::header_size) {
        auto h = model::parse_header(rest);
        if (!h) break;
        const auto size = h.value().size_bytes();
        if (h.value().batch_length < 0 || size < model::batch_layout::header_size ||
            size > rest.size())
          break;
        replay_batch(rest.first(size), h.value(), fn);
        rest = rest.subspan(size);
      }
    }
    pos = rr.next.value;
  }
  return success();
}

}  // namespace runnel::broker
