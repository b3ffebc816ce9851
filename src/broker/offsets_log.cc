#include "broker/offsets_log.h"

#include <boost/asio/post.hpp>

#include <future>
#include <map>
#include <memory>

#include <spdlog/spdlog.h>

#include "broker/server.h"

#include "model/control_record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/file_system.h"

namespace runnel::broker {

result<offsets_append> append_offsets_batch(storage::partition_log& log,
                                            const std::vector<offsets_record>& records,
                                            int64_t now_ms, std::optional<txn_producer> txn) {
  model::bytes encoded;
  for (size_t i = 0; i < records.size(); ++i) {
    std::optional<std::span<const std::byte>> value;
    if (records[i].value) value = std::span<const std::byte>(*records[i].value);
    model::encode_record(encoded, 0, int32_t(i), std::span<const std::byte>(records[i].key), value);
  }
  model::batch_header h;
  h.last_offset_delta = records.empty() ? 0 : int32_t(records.size()) - 1;
  h.base_timestamp = now_ms;
  h.max_timestamp = now_ms;
  if (txn) {
    // No sequence: the coordinator, not the producer's numbering, guards it.
    h.attributes = model::batch_attr::transactional;
    h.producer_id = txn->producer_id;
    h.producer_epoch = txn->producer_epoch;
  }
  RUNNEL_TRY(auto batch, model::assemble_batch(h, encoded, int32_t(records.size())));
  RUNNEL_TRY(auto appended, log.append(batch, model::timestamp{now_ms}));
  return offsets_append{appended.base, appended.last + 1};
}

namespace {

void replay_batch(std::span<const std::byte> batch, const model::batch_header& h,
                  const replay_fn& fn, const marker_fn& on_marker) {
  if (h.is_control()) {
    if (auto m = model::parse_control_batch(batch, h); m && on_marker)
      on_marker(h.producer_id, m.value().type == model::control_type::commit);
    return;
  }
  std::vector<std::byte> storage;
  auto section = model::records_section(batch, h, storage);
  if (!section) return;
  auto recs = model::parse_records(section.value(), h.record_count);
  if (!recs) return;
  for (const auto& r : recs.value()) {
    if (!r.key) continue;
    fn({*r.key, r.value, h.base_offset + r.offset_delta,
        h.is_transactional() ? h.producer_id : int64_t{-1}});
  }
}

}  // namespace

result<void> replay_offsets_log(storage::partition_log& log, const replay_fn& fn,
                                const marker_fn& on_marker) {
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
        replay_batch(rest.first(size), h.value(), fn, on_marker);
        rest = rest.subspan(size);
      }
    }
    pos = rr.next.value;
  }
  return success();
}

result<std::vector<storage::partition_log*>> open_internal_topic(server& srv,
                                                                 const std::string& name,
                                                                 int32_t partitions,
                                                                 int64_t segment_bytes) {
  auto topic = srv.registry().find(name);
  if (!topic) {
    const std::map<std::string, std::string> overrides{
        {"cleanup.policy", "compact"}, {"segment.bytes", std::to_string(segment_bytes)}};
    auto c = srv.create_on_io(name, partitions, overrides, false);
    if (c->res.error != kafka::error_code::none || !c->res.topic) {
      spdlog::error("broker: cannot create {}: {}", name, c->res.message);
      return std::make_error_code(std::errc::io_error);
    }
    for (auto& p : c->parts) srv.owner(p->topic, p->index).install(std::move(p));
    topic = c->res.topic;
    spdlog::info("broker: created {} with {} partition(s)", name, topic->partitions);
  }
  std::vector<storage::partition_log*> logs;
  for (int32_t p = 0; p < topic->partitions; ++p) {
    partition* part = srv.owner(name, p).find(name, p);
    if (!part || !part->log) {
      spdlog::error("broker: {}-{} is not open", name, p);
      return std::make_error_code(std::errc::io_error);
    }
    logs.push_back(part->log.get());
  }
  return logs;
}

void on_every_shard(server& srv, std::string_view what, std::chrono::seconds timeout,
                    const std::function<void(size_t)>& fn) {
  for (size_t i = 0; i < srv.shard_count(); ++i) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    boost::asio::post(srv.shard_at(i).context(), [fn, i, done] {
      fn(i);
      done->set_value();
    });
    if (finished.wait_for(timeout) != std::future_status::ready)
      spdlog::warn("broker: {} of shard {} did not stop in time", what, i);
  }
}

}  // namespace runnel::broker
