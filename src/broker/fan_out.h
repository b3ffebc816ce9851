// partition_fan_out: the per-partition part of a request (Produce, Fetch,
// ListOffsets, DeleteRecords, OffsetForLeaderEpoch), spread over the
// partitions' owner shards (DESIGN.md decision 4).
//
// A handler adds one item per partition it has checked exists; an item has
// `.topic` and `.index` and points at its entry in the response, which lives
// in the handler's coroutine frame. Then it runs a coroutine on every owner
// with that owner's items, in request order, either one owner after another
// (in_turn) or all owners at once (at_once, for work that waits on fsyncs).
// The items are grouped on the first run and must not be added to after it:
// the owners hold pointers into the item vector.
//
// Used from the connection's shard only. The work functions are plain
// coroutine functions taking their arguments by value, never capturing
// lambdas (GCC 12 miscompiles some capturing lambda coroutines).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cassert>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "broker/async_util.h"
#include "broker/server.h"

namespace runnel::broker {

// The topic exists and has partition `index`.
inline bool has_partition(const std::shared_ptr<const topic_info>& t, int32_t index) {
  return t && index >= 0 && index < t->partitions;
}
inline bool has_partition(server& srv, std::string_view topic, int32_t index) {
  return has_partition(srv.registry().find(topic), index);
}

// How many partitions a request names (its topics' `.partitions`), to
// reserve the items up front.
template <class Topics>
size_t partition_count(const Topics& topics) {
  size_t n = 0;
  for (const auto& t : topics) n += t.partitions.size();
  return n;
}

template <class Item>
class partition_fan_out {
 public:
  // A coroutine run on one owner with its items (and the extra arguments).
  template <class... Args>
  using work = asio::awaitable<void> (*)(shard&, std::vector<Item*>, Args...);

  partition_fan_out(server& srv, size_t expected) : srv_(srv) { items_.reserve(expected); }

  void add(Item it) {
    assert(!groups_ && "items added after the fan-out ran");
    items_.push_back(std::move(it));
  }
  bool empty() const { return items_.empty(); }
  const std::vector<Item>& items() const { return items_; }
  // For work on some items' fields outside the owners (the vector itself
  // must not change).
  std::vector<Item>& items() { return items_; }

  // Runs `fn` on each owner, one after another in shard order.
  template <class... Args>
  asio::awaitable<void> in_turn(work<Args...> fn, std::type_identity_t<Args>... args) {
    for (auto& [sh, list] : groups())
      co_await asio::co_spawn(sh->context(), fn(*sh, list, args...), asio::use_awaitable);
  }

  // Runs `fn` on every owner concurrently and returns when all are done.
  template <class... Args>
  asio::awaitable<void> at_once(work<Args...> fn, std::type_identity_t<Args>... args) {
    const auto& g = groups();
    if (g.empty()) co_return;
    auto here = co_await asio::this_coro::executor;
    countdown all(here);
    all.add(g.size());
    for (auto& [sh, list] : g)
      asio::co_spawn(sh->context(), fn(*sh, list, args...),
                     asio::bind_executor(here, [&all](std::exception_ptr) { all.done(); }));
    co_await all.wait();
  }

 private:
  // Items by owner shard, so a handler hops once per owner, in shard order.
  const std::map<shard*, std::vector<Item*>>& groups() {
    if (!groups_) {
      groups_.emplace();
      for (auto& it : items_) (*groups_)[&srv_.owner(it.topic, it.index)].push_back(&it);
    }
    return *groups_;
  }

  server& srv_;
  std::vector<Item> items_;
  std::optional<std::map<shard*, std::vector<Item*>>> groups_;
};

}  // namespace runnel::broker
