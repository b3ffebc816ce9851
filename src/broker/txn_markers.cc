#include "broker/txn_markers.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include <spdlog/spdlog.h>

#include "broker/async_util.h"
#include "broker/errors.h"
#include "broker/fan_out.h"
#include "broker/group_coordinator.h"
#include "broker/offsets_format.h"
#include "broker/server.h"
#include "model/control_record.h"

namespace runnel::broker {

namespace {

using kafka::error_code;

struct marker_item {
  std::string topic;
  int32_t index = 0;
  error_code error = error_code::none;
  int64_t upto = -1;  // durable once flushed below this
};

void add_items(partition_fan_out<marker_item>& fan, const txn_format::partition_set& parts) {
  for (const auto& [topic, indexes] : parts)
    for (int32_t i : indexes) fan.add({topic, i});
}

size_t count_of(const txn_format::partition_set& parts) {
  size_t n = 0;
  for (const auto& [topic, indexes] : parts) n += indexes.size();
  return n;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<void> allow_on_owner(shard& sh, std::vector<marker_item*> items, int64_t pid,
                                     int16_t epoch) {
  for (auto* it : items)
    if (partition* p = sh.find(it->topic, it->index)) p->txn_producers[pid] = epoch;
  co_return;
}

asio::awaitable<void> markers_on_owner(shard& sh, std::vector<marker_item*> items, server* srv,
                                       int64_t pid, int16_t epoch, bool commit) {
  const model::control_record marker{
      commit ? model::control_type::commit : model::control_type::abort, 0};
  const int64_t now = now_ms();
  for (auto* it : items) {
    partition* p = sh.find(it->topic, it->index);
    if (!p) continue;
    auto batch = model::build_control_batch(pid, epoch, marker, model::timestamp{now});
    if (!batch) {
      it->error = error_code::unknown_server_error;
      continue;
    }
    auto r = p->log->append(batch.value(), model::timestamp{now});
    if (!r) {
      spdlog::warn("broker: writing a transaction marker to {}-{} failed: {}", it->topic, it->index,
                   r.error().message());
      it->error = to_kafka_error(r.error());
      continue;
    }
    p->txn_producers.erase(pid);
    p->notify_data();
    it->upto = r.value().last.value + 1;
  }
  for (auto* it : items) {
    if (it->upto < 0) continue;
    partition* p = sh.find(it->topic, it->index);
    if (!p) continue;
    auto [ec] = co_await async_flushed(*p->log, model::offset{it->upto},
                                       asio::as_tuple(asio::use_awaitable));
    if (ec) {
      it->error = to_kafka_error(ec);
      continue;
    }
    // Offsets committed in the transaction become visible (or are dropped)
    // once their marker is durable, as a plain commit after its fsync.
    if (it->topic == offsets_format::topic_name)
      srv->groups().manager_on(sh).complete_txn(pid, it->index, commit);
  }
}

}  // namespace

asio::awaitable<void> allow_transaction(server& srv, int64_t pid, int16_t epoch,
                                        txn_format::partition_set parts) {
  partition_fan_out<marker_item> fan(srv, count_of(parts));
  add_items(fan, parts);
  co_await fan.in_turn(allow_on_owner, pid, epoch);
}

asio::awaitable<error_code> write_markers(server& srv, int64_t pid, int16_t epoch, bool commit,
                                          txn_format::partition_set parts) {
  partition_fan_out<marker_item> fan(srv, count_of(parts));
  add_items(fan, parts);
  // Every owner at once: each waits for its own fsyncs.
  co_await fan.at_once(markers_on_owner, &srv, pid, epoch, commit);
  for (const auto& it : fan.items())
    if (it.error != error_code::none) co_return it.error;
  co_return error_code::none;
}

}  // namespace runnel::broker
