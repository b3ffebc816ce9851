#include "broker/shard.h"

#include <boost/asio/post.hpp>

#include <chrono>

#include <spdlog/spdlog.h>

namespace runnel::broker {

std::string partition_key(std::string_view topic, int32_t index) {
  std::string k(topic);
  k.push_back('\0');
  k += std::to_string(index);
  return k;
}

void partition::add_data_waiter(const std::shared_ptr<data_waiter>& w) {
  std::erase_if(data_waiters, [](const auto& x) { return x.expired(); });
  data_waiters.push_back(w);
}

void partition::notify_data() {
  if (data_waiters.empty()) return;
  auto w = std::move(data_waiters);
  data_waiters.clear();
  for (auto& weak : w)
    if (auto t = weak.lock()) asio::post(t->timer.get_executor(), [t] { t->wake(); });
}

shard::shard(unsigned id, asio::thread_pool& io) : id_(id), io_(io), maintenance_(ctx_) {}

shard::~shard() {
  stop();
}

storage::log_executors shard::log_executors() {
  storage::log_executors ex;
  ex.io = [this](storage::task t) { asio::post(io_, std::move(t)); };
  ex.owner = [this](storage::task t) { asio::post(ctx_, std::move(t)); };
  return ex;
}

partition* shard::find(std::string_view topic, int32_t index) {
  auto it = parts_.find(partition_key(topic, index));
  return it == parts_.end() ? nullptr : it->second.get();
}

void shard::install(std::unique_ptr<partition> p) {
  parts_[partition_key(p->topic, p->index)] = std::move(p);
}

std::unique_ptr<partition> shard::take(std::string_view topic, int32_t index) {
  auto it = parts_.find(partition_key(topic, index));
  if (it == parts_.end()) return nullptr;
  auto p = std::move(it->second);
  parts_.erase(it);
  return p;
}

void shard::schedule_maintenance() {
  // Background flush (flush.ms / flush.bytes), retention and compaction.
  maintenance_.expires_after(std::chrono::milliseconds(100));
  maintenance_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (auto& [k, p] : parts_) p->log->maintain(model::timestamp{now});
    schedule_maintenance();
  });
}

void shard::start() {
  schedule_maintenance();
  thread_ = std::thread([this] {
    try {
      ctx_.run();
    } catch (const std::exception& e) {
      spdlog::critical("broker: shard {} stopped on an exception: {}", id_, e.what());
      std::abort();
    }
  });
}

void shard::stop() {
  if (!thread_.joinable()) return;
  ctx_.stop();
  thread_.join();
}

}  // namespace runnel::broker
