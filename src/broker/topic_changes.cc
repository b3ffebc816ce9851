// server methods that change an existing topic: more partitions
// (CreatePartitions) and new config overrides (AlterConfigs,
// IncrementalAlterConfigs).
//
// The registry is written first, on the io pool (it fsyncs). Logs then take
// the topic's config on their owner shards from the registry's latest
// snapshot, never from the result of one change: two changes racing may reach
// a shard in either order, and whichever arrives last still installs the
// newest config. New partitions do the same as they are installed, so a
// config change that landed while their logs were being opened is not lost.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/server.h"

namespace runnel::broker {

namespace {

using asio::use_awaitable;

// Coroutines for co_spawn are plain functions taking their arguments by
// value: GCC 12 miscompiles some capturing lambda coroutines.

asio::awaitable<std::shared_ptr<creation_result_t>> run_grow(server* srv, std::string name,
                                                             int32_t count, bool validate_only) {
  co_return srv->grow_on_io(name, count, validate_only);
}

asio::awaitable<void> install_grown(topic_registry* reg, shard* sh, partition* raw) {
  std::unique_ptr<partition> p(raw);
  if (auto t = reg->find(p->topic)) p->log->reconfigure(t->config);
  sh->install(std::move(p));
  co_return;
}

asio::awaitable<topic_registry::create_result> run_alter(
    topic_registry* reg, std::string name,
    std::map<std::string, std::optional<std::string>> changes, bool incremental,
    bool validate_only) {
  co_return reg->alter_configs(name, changes, incremental, validate_only);
}

asio::awaitable<void> reconfigure_on(topic_registry* reg, shard* sh, std::string topic,
                                     std::vector<int32_t> indexes) {
  auto t = reg->find(topic);
  if (!t) co_return;  // deleted meanwhile
  for (int32_t i : indexes)
    if (partition* p = sh->find(topic, i)) p->log->reconfigure(t->config);
  co_return;
}

}  // namespace

std::shared_ptr<creation_result_t> server::grow_on_io(const std::string& name, int32_t count,
                                                      bool validate_only) {
  auto c = std::make_shared<creation_result_t>();
  c->res = registry_.add_partitions(name, count, validate_only);
  if (c->res.error != kafka::error_code::none || validate_only) return c;
  // The registry serialises growth, so concurrent calls open disjoint ranges.
  auto opened =
      open_partitions(*c->res.topic, c->res.previous_partitions, c->res.topic->partitions);
  if (opened) {
    c->parts = std::move(opened).value();
  } else {
    c->res.error = kafka::error_code::kafka_storage_error;
    c->res.message = "Could not create the partition logs: " + opened.error().message();
  }
  return c;
}

asio::awaitable<topic_registry::create_result> server::add_partitions(std::string name,
                                                                      int32_t count,
                                                                      bool validate_only) {
  auto c = co_await asio::co_spawn(io_, run_grow(this, std::move(name), count, validate_only),
                                   use_awaitable);
  for (auto& p : c->parts) {
    shard* sh = &owner(p->topic, p->index);
    co_await asio::co_spawn(sh->context(), install_grown(&registry_, sh, p.release()),
                            use_awaitable);
  }
  co_return c->res;
}

asio::awaitable<topic_registry::create_result> server::alter_topic_configs(
    std::string name, std::map<std::string, std::optional<std::string>> changes, bool incremental,
    bool validate_only) {
  auto r = co_await asio::co_spawn(
      io_, run_alter(&registry_, name, std::move(changes), incremental, validate_only),
      use_awaitable);
  if (r.error != kafka::error_code::none || validate_only || !r.topic) co_return r;
  std::map<shard*, std::vector<int32_t>> by_owner;
  for (int32_t i = 0; i < r.topic->partitions; ++i) by_owner[&owner(name, i)].push_back(i);
  for (auto& [sh, indexes] : by_owner)
    co_await asio::co_spawn(sh->context(), reconfigure_on(&registry_, sh, name, indexes),
                            use_awaitable);
  co_return r;
}

}  // namespace runnel::broker
