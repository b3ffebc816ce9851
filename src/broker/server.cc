#include "broker/server.h"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/connection.h"
#include "broker/data_dir_lock.h"
#include "broker/group_coordinator.h"
#include "broker/txn_coordinator.h"

namespace runnel::broker {

using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// Thousands of partitions and connections need descriptors: take the hard limit.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::filesystem::path partition_dir(const std::filesystem::path& data_dir, const std::string& topic,
                                    int32_t index) {
  return data_dir / (topic + "-" + std::to_string(index));
}

// A client that closes its socket while a response is being written makes
// the next write fail with EPIPE, and raises SIGPIPE, whose default action
// ends the process. Asio's own writes pass MSG_NOSIGNAL, but sendfile(2)
// has no such flag, so the signal must be ignored process-wide. A handler
// the embedding program installed is left alone.
void ignore_sigpipe() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

server::server(broker_config cfg, storage::file_system& fs)
    : cfg_(std::move(cfg)),
      fs_(fs),
      registry_(fs_, cfg_.data_dir, cfg_.log_defaults),
      producer_ids_(fs_, cfg_.data_dir),
      io_(std::max(2u, std::thread::hardware_concurrency())) {
  unsigned n = cfg_.shards ? cfg_.shards : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) shards_.push_back(std::make_unique<shard>(i, io_));
}

server::~server() {
  shutdown();
}

shard& server::owner(std::string_view topic, int32_t index) {
  const size_t h = std::hash<std::string_view>{}(topic)*31 + size_t(index);
  return *shards_[h % shards_.size()];
}

result<std::vector<std::unique_ptr<partition>>> server::open_partitions(const topic_info& t,
                                                                        int32_t from, int32_t to) {
  std::vector<std::unique_ptr<partition>> out;
  for (int32_t i = from; i < to; ++i) {
    shard& sh = owner(t.name, i);
    storage::log_options o;
    o.dir = partition_dir(cfg_.data_dir, t.name, i);
    o.config = t.config;
    o.fs = &fs_;
    o.executors = sh.log_executors();
    o.producer_id_expiration_ms = cfg_.producer_id_expiration_ms;
    auto log = storage::partition_log::open(o);
    if (!log) {
      spdlog::error("broker: cannot open {}: {}", o.dir.string(), log.error().message());
      return log.error();
    }
    auto p = std::make_unique<partition>();
    p->topic = t.name;
    p->index = i;
    p->log = std::move(log).value();
    p->io = t.io;
    out.push_back(std::move(p));
  }
  return out;
}

result<void> server::start() {
  ignore_sigpipe();
  raise_fd_limit();
  // One data directory, one process: before anything in it is read.
  RUNNEL_TRY(data_dir_lock_, lock_data_dir(fs_, cfg_.data_dir));
  // Before the logs are opened, which can take minutes after a crash.
  RUNNEL_TRY(listen());
  RUNNEL_TRY(registry_.load());
  RUNNEL_TRY(producer_ids_.load());
  auto snap = registry_.snapshot();
  size_t opened = 0;
  for (const auto& [name, t] : *snap) {
    RUNNEL_TRY(auto parts, open_partitions(*t, 0, t->partitions));
    for (auto& p : parts) {
      owner(p->topic, p->index).install(std::move(p));
      ++opened;
    }
  }
  spdlog::info("broker: {} topic(s), {} partition(s) opened from {}", snap->size(), opened,
               cfg_.data_dir.string());
  // Consumer groups: creates __consumer_offsets if needed and replays it.
  groups_ = std::make_unique<group_coordinator>(*this);
  RUNNEL_TRY(groups_->load());
  // Transactions: creates __transaction_state if needed and replays it.
  txns_ = std::make_unique<txn_coordinator>(*this);
  RUNNEL_TRY(txns_->load());

  for (auto& s : shards_) s->start();
  shards_started_ = true;
  // Before clients come: partitions learn of ongoing transactions, and
  // transactions a crash left prepared get their markers.
  txns_->start();
  asio::co_spawn(shards_[0]->context(), accept_loop(), asio::detached);
  spdlog::info("broker: listening on {}:{} ({} shard(s)); advertised as {}:{}", cfg_.listen_host,
               bound_port_, shards_.size(), cfg_.advertised_host, cfg_.advertised_port);
  return success();
}

result<void> server::listen() {
  acceptor_ = std::make_unique<tcp::acceptor>(shards_[0]->context());
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(cfg_.listen_host, ec);
  if (ec) {
    // A host name (localhost, the machine's name): listen on what it
    // resolves to, an IPv4 address if it has one, as clients given the same
    // name (the default advertised host) will most likely try that first.
    tcp::resolver resolver(shards_[0]->context());
    const auto found = resolver.resolve(cfg_.listen_host, "", ec);
    if (ec || found.empty()) {
      spdlog::error("broker: cannot resolve the listen host '{}': {}", cfg_.listen_host,
                    ec ? ec.message() : "no address");
      return ec ? static_cast<std::error_code>(ec)
                : std::make_error_code(std::errc::invalid_argument);
    }
    addr = found.begin()->endpoint().address();
    for (const auto& e : found) {
      if (e.endpoint().address().is_v4()) {
        addr = e.endpoint().address();
        break;
      }
    }
  }
  tcp::endpoint ep(addr, cfg_.listen_port);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("broker: cannot listen on {}:{}: {}", cfg_.listen_host, cfg_.listen_port,
                  ec.message());
    return std::error_code(ec.value(), std::system_category());
  }
  bound_port_ = acceptor_->local_endpoint().port();
  if (cfg_.advertised_host.empty()) cfg_.advertised_host = cfg_.listen_host;
  if (cfg_.advertised_port == 0) cfg_.advertised_port = bound_port_;
  return success();
}

asio::awaitable<void> server::accept_loop() {
  for (;;) {
    shard& target = *shards_[next_shard_++ % shards_.size()];
    auto [ec, sock] =
        co_await acceptor_->async_accept(target.context(), asio::as_tuple(use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("broker: accept failed: {}", ec.message());
      continue;
    }
    asio::co_spawn(target.context(), serve_connection(*this, target, std::move(sock)),
                   asio::detached);
  }
}

std::shared_ptr<creation_result_t> server::create_on_io(
    const std::string& name, int32_t partitions,
    const std::map<std::string, std::string>& overrides, bool validate_only) {
  auto c = std::make_shared<creation_result_t>();
  c->res = registry_.create(name, partitions, overrides, validate_only);
  if (c->res.error == kafka::error_code::none && !validate_only) {
    auto opened = open_partitions(*c->res.topic, 0, c->res.topic->partitions);
    if (opened) {
      c->parts = std::move(opened).value();
    } else {
      c->res.error = kafka::error_code::kafka_storage_error;
      c->res.message = "Could not create the partition logs: " + opened.error().message();
    }
  }
  return c;
}

namespace {

// Runs a blocking call on the io pool. (Plain coroutine functions, not
// capturing lambdas: GCC 12 miscompiles some lambda coroutines.)
asio::awaitable<std::shared_ptr<creation_result_t>> run_create(
    server* srv, std::string name, int32_t partitions, std::map<std::string, std::string> overrides,
    bool validate_only) {
  co_return srv->create_on_io(name, partitions, overrides, validate_only);
}

asio::awaitable<void> install_on(shard* sh, partition* raw) {
  sh->install(std::unique_ptr<partition>(raw));
  co_return;
}

}  // namespace

asio::awaitable<topic_registry::create_result> server::create_topic(
    std::string name, int32_t partitions, std::map<std::string, std::string> overrides,
    bool validate_only) {
  auto c = co_await asio::co_spawn(
      io_, run_create(this, std::move(name), partitions, std::move(overrides), validate_only),
      use_awaitable);
  for (auto& p : c->parts) {
    shard* sh = &owner(p->topic, p->index);
    co_await asio::co_spawn(sh->context(), install_on(sh, p.release()), use_awaitable);
  }
  co_return c->res;
}

namespace {

asio::awaitable<std::shared_ptr<const topic_info>> remove_on_io(topic_registry* reg,
                                                                std::string name) {
  co_return reg->remove(name);
}

asio::awaitable<partition*> take_on(shard* sh, std::string name, int32_t index) {
  auto taken = sh->take(name, index);
  if (taken) taken->notify_data();
  co_return taken.release();
}

asio::awaitable<void> destroy_on_io(storage::file_system& fs, partition* raw,
                                    std::filesystem::path dir) {
  std::unique_ptr<partition> gone(raw);
  gone->log.reset();
  if (auto r = storage::partition_log::destroy(fs, dir); !r)
    spdlog::warn("broker: could not remove {}: {}", dir.string(), r.error().message());
  co_return;
}

}  // namespace

asio::awaitable<kafka::error_code> server::delete_topic(std::string name) {
  auto removed = co_await asio::co_spawn(io_, remove_on_io(&registry_, name), use_awaitable);
  if (!removed) co_return kafka::error_code::unknown_topic_or_partition;
  for (int32_t i = 0; i < removed->partitions; ++i) {
    shard* sh = &owner(removed->name, i);
    partition* p = co_await asio::co_spawn(sh->context(), take_on(sh, name, i), use_awaitable);
    if (!p) continue;
    co_await asio::co_spawn(io_, destroy_on_io(fs_, p, partition_dir(cfg_.data_dir, name, i)),
                            use_awaitable);
  }
  co_return kafka::error_code::none;
}

void server::run_until_signal() {
  asio::io_context sig_ctx;
  asio::signal_set signals(sig_ctx, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int sig) {
    spdlog::info("broker: signal {} received, shutting down", sig);
  });
  sig_ctx.run();
  shutdown();
}

void server::shutdown() {
  if (shut_down_.exchange(true)) return;
  stopping_ = true;
  // A start that failed (a taken port, a locked data directory, damaged
  // metadata) left the shards' event loops unstarted: run them, so that
  // closing the logs and groups opened so far is done at once rather than
  // timed out.
  if (!shards_started_) {
    for (auto& s : shards_) s->start();
    shards_started_ = true;
  }
  if (acceptor_) {
    std::promise<void> closed;
    asio::post(shards_[0]->context(), [&] {
      boost::system::error_code ec;
      acceptor_->close(ec);
      closed.set_value();
    });
    closed.get_future().wait_for(std::chrono::seconds(5));
  }
  // Waiting JoinGroup/SyncGroup requests would hold shutdown up: answer them.
  if (groups_) groups_->shutdown();
  if (txns_) txns_->shutdown();
  // Let in-flight requests finish (bounded); idle connections are dropped.
  for (int i = 0; i < 200 && requests_in_flight.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Close every log on its shard: flush, indexes, clean checkpoint.
  for (auto& s : shards_) {
    std::promise<void> done;
    asio::post(s->context(), [&] {
      for (auto& [k, p] : s->partitions()) {
        p->notify_data();
        if (auto r = p->log->close(); !r)
          spdlog::error("broker: closing {}-{} failed: {}", p->topic, p->index,
                        r.error().message());
      }
      done.set_value();
    });
    if (done.get_future().wait_for(std::chrono::seconds(60)) != std::future_status::ready)
      spdlog::error("broker: shard {} did not close its logs in time", s->id());
  }
  for (auto& s : shards_) s->stop();
  io_.join();
  // Only now may another process use the directory.
  data_dir_lock_.reset();
  spdlog::info("broker: stopped cleanly");
}

}  // namespace runnel::broker
