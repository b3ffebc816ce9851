#include "broker/txn_manager.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <tuple>

#include <spdlog/spdlog.h>

#include "broker/async_util.h"
#include "broker/offsets_format.h"
#include "broker/offsets_log.h"
#include "broker/server.h"
#include "broker/txn_markers.h"

namespace runnel::broker {

namespace {

using kafka::error_code;
using txn_format::txn_state;
using txn_format::txn_value;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Kafka's TransactionMetadata.isEpochExhausted: the last epochs are kept for
// fencing, so a producer id whose epoch reaches them is replaced.
bool epoch_exhausted(int16_t epoch) {
  return epoch >= INT16_MAX - 1;
}

bool contains(const txn_format::partition_set& set, const txn_partition& p) {
  auto it = set.find(p.topic);
  return it != set.end() &&
         std::find(it->second.begin(), it->second.end(), p.partition) != it->second.end();
}

asio::awaitable<int64_t> allocate_on_io(producer_ids* ids) {
  auto id = ids->allocate();
  co_return id ? id.value() : -1;
}

}  // namespace

txn_manager::txn_manager(server& srv, shard& sh, int32_t log_partitions)
    : srv_(srv), sh_(sh), partitions_(log_partitions), timer_(sh.context()) {}

txn_manager::~txn_manager() = default;

txn_manager::txn* txn_manager::find(const std::string& id) {
  auto it = txns_.find(id);
  return it == txns_.end() ? nullptr : it->second.get();
}

// ------------------------------------------------------------ start-up

void txn_manager::replay(std::span<const std::byte> key,
                         std::optional<std::span<const std::byte>> value, int64_t offset) {
  auto id = txn_format::decode_key(key);
  if (!id) {
    spdlog::warn("broker: skipping an unreadable key at {} offset {}", txn_format::topic_name,
                 offset);
    return;
  }
  if (!value) {
    txns_.erase(*id);
    return;
  }
  auto v = txn_format::decode_value(*value);
  if (!v) {
    spdlog::warn("broker: skipping an unreadable transaction state at {} offset {}",
                 txn_format::topic_name, offset);
    return;
  }
  auto& t = txns_[*id];
  if (!t) t = std::make_unique<txn>();
  t->id = *id;
  t->v = std::move(*v);
}

void txn_manager::finish_load() {
  size_t open = 0;
  for (auto& [id, t] : txns_) {
    // Never written, but be safe with a damaged record: an epoch fence is
    // an abort in progress.
    if (t->v.state == txn_state::prepare_epoch_fence) t->v.state = txn_state::prepare_abort;
    if (t->v.state == txn_state::ongoing || t->v.state == txn_state::prepare_commit ||
        t->v.state == txn_state::prepare_abort)
      ++open;
  }
  if (!txns_.empty())
    spdlog::info("broker: shard {} loaded {} transactional id(s), {} with a transaction open",
                 sh_.id(), txns_.size(), open);
}

asio::awaitable<void> txn_manager::start() {
  // Collected first: requests may change txns_ while this awaits.
  std::vector<std::string> ongoing, prepared;
  for (auto& [id, t] : txns_) {
    if (t->v.state == txn_state::ongoing) ongoing.push_back(id);
    if (t->v.state == txn_state::prepare_commit || t->v.state == txn_state::prepare_abort)
      prepared.push_back(id);
  }
  for (auto& id : ongoing)
    if (txn* t = find(id); t && t->v.state == txn_state::ongoing)
      co_await allow(t->v.producer_id, t->v.producer_epoch, t->v.partitions);
  for (auto& id : prepared) {
    txn* t = find(id);
    if (!t || t->pending) continue;
    spdlog::info("broker: completing transaction {} left in {} by the last run", id,
                 txn_format::state_name(t->v.state));
    t->pending = true;
    const auto err = co_await complete(id);
    if (txn* again = find(id)) again->pending = false;
    if (err != error_code::none)
      spdlog::warn("broker: could not complete transaction {} yet ({}); retrying", id,
                   kafka::code(err));
  }
  arm_timer();
}

void txn_manager::shutdown() {
  stopping_ = true;
  timer_.cancel();
}

// ------------------------------------------------------------ the log

asio::awaitable<error_code> txn_manager::write(std::string id, std::optional<txn_value> v,
                                               bool durable) {
  const int32_t p = offsets_format::partition_for(id, partitions_);
  partition* part = sh_.find(txn_format::topic_name, p);
  if (!part || !part->log) co_return error_code::coordinator_not_available;
  offsets_record r;
  r.key = txn_format::encode_key(id);
  if (v) r.value = txn_format::encode_value(*v);
  auto a = append_offsets_batch(*part->log, {std::move(r)}, now_ms());
  if (!a) {
    spdlog::warn("broker: transaction {}: writing to {}-{} failed: {}", id, txn_format::topic_name,
                 p, a.error().message());
    co_return error_code::coordinator_not_available;
  }
  part->notify_data();
  if (!durable) co_return error_code::none;
  part = sh_.find(txn_format::topic_name, p);
  if (!part || !part->log) co_return error_code::coordinator_not_available;
  auto [ec] =
      co_await async_flushed(*part->log, a.value().upto, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    spdlog::warn("broker: transaction {}: fsync of {}-{} failed: {}", id, txn_format::topic_name, p,
                 ec.message());
    co_return error_code::coordinator_not_available;
  }
  co_return error_code::none;
}

asio::awaitable<void> txn_manager::allow(int64_t pid, int16_t epoch,
                                         txn_format::partition_set parts) {
  co_await allow_transaction(srv_, pid, epoch, std::move(parts));
}

asio::awaitable<error_code> txn_manager::complete(std::string id) {
  txn* t = find(id);
  if (!t) co_return error_code::none;
  const bool commit = t->v.state == txn_state::prepare_commit;
  if (!commit && t->v.state != txn_state::prepare_abort) co_return error_code::none;
  const auto err =
      co_await write_markers(srv_, t->v.producer_id, t->v.producer_epoch, commit, t->v.partitions);
  // The Prepare record stays: the timer (or the next start) tries again.
  if (err != error_code::none) co_return err;
  t = find(id);
  if (!t) co_return error_code::none;
  txn_value next = t->v;
  next.state = commit ? txn_state::complete_commit : txn_state::complete_abort;
  next.partitions.clear();
  next.start_ms = -1;
  next.last_update_ms = now_ms();
  // Not waited for: should it be lost, start-up finds the Prepare record
  // and writes the (already durable) markers once more, which is harmless.
  const auto w = co_await write(id, next, false);
  t = find(id);
  if (t && w == error_code::none) t->v = std::move(next);
  co_return w;
}

asio::awaitable<error_code> txn_manager::fence_and_abort(std::string id) {
  txn* t = find(id);
  if (!t) co_return error_code::none;
  txn_value next = t->v;
  // The bumped epoch fences the running producer: markers carry it, so its
  // later writes to these partitions are refused, and its next request to
  // the coordinator finds a newer epoch.
  if (next.producer_epoch < INT16_MAX) ++next.producer_epoch;
  next.last_producer_epoch = -1;
  next.state = txn_state::prepare_abort;
  next.last_update_ms = now_ms();
  t->fencing = true;
  const auto w = co_await write(id, next, true);
  t = find(id);
  if (!t) co_return w;
  t->fencing = false;
  if (w != error_code::none) co_return w;
  t->v = std::move(next);
  co_return co_await complete(id);
}

// ------------------------------------------------------------ InitProducerId

asio::awaitable<init_pid_outcome> txn_manager::init_producer_id(std::string id, int32_t timeout_ms,
                                                                int64_t expected_pid,
                                                                int16_t expected_epoch) {
  init_pid_outcome out;
  const auto& cfg = srv_.config();
  if (timeout_ms <= 0 || timeout_ms > cfg.transaction_max_timeout_ms) {
    out.error = error_code::invalid_transaction_timeout;
    co_return out;
  }
  txn* t = find(id);
  if (!t) {
    auto pid = co_await asio::co_spawn(
        srv_.io_pool(), allocate_on_io(&srv_.producer_id_allocator()), asio::use_awaitable);
    if (pid < 0) {
      out.error = error_code::coordinator_not_available;
      co_return out;
    }
    t = find(id);  // another InitProducerId may have created it meanwhile
    if (!t) {
      auto fresh = std::make_unique<txn>();
      fresh->id = id;
      fresh->v.producer_id = pid;
      fresh->v.state = txn_state::empty;
      fresh->v.timeout_ms = timeout_ms;
      t = fresh.get();
      txns_[id] = std::move(fresh);
    }
  }
  const bool has_expected = expected_pid >= 0 || expected_epoch >= 0;
  for (int round = 0;; ++round) {
    t = find(id);
    if (!t || t->pending) {
      out.error = error_code::concurrent_transactions;
      co_return out;
    }
    // KIP-360: a producer that names its id and epoch must be the current
    // one (or be retrying the bump that rotated its id).
    if (has_expected && t->v.producer_epoch >= 0 && expected_pid != t->v.producer_id &&
        !(expected_pid == t->v.last_producer_id && epoch_exhausted(expected_epoch))) {
      out.error = error_code::producer_fenced;
      co_return out;
    }
    const txn_state s = t->v.state;
    if (s == txn_state::prepare_commit || s == txn_state::prepare_abort) {
      out.error = error_code::concurrent_transactions;
      co_return out;
    }
    if (s == txn_state::ongoing) {
      // A new instance fences the old one: its transaction is aborted with a
      // bumped epoch, then the epoch is bumped again for the caller (Kafka
      // answers CONCURRENT_TRANSACTIONS in between and the client retries;
      // doing the retry here spares it the round trip).
      if (round > 0) {
        out.error = error_code::concurrent_transactions;
        co_return out;
      }
      t->pending = true;
      const auto err = co_await fence_and_abort(id);
      if (txn* again = find(id)) again->pending = false;
      if (err != error_code::none) {
        out.error = err == error_code::coordinator_not_available
                        ? err
                        : error_code::concurrent_transactions;
        co_return out;
      }
      continue;
    }
    // Empty, CompleteCommit or CompleteAbort: bump the epoch.
    txn_value next = t->v;
    if (epoch_exhausted(t->v.producer_epoch) &&
        (!has_expected || expected_epoch == t->v.producer_epoch)) {
      t->pending = true;
      auto pid = co_await asio::co_spawn(
          srv_.io_pool(), allocate_on_io(&srv_.producer_id_allocator()), asio::use_awaitable);
      t = find(id);
      if (t) t->pending = false;
      if (pid < 0 || !t) {
        out.error = error_code::coordinator_not_available;
        co_return out;
      }
      next = t->v;
      next.last_producer_id = next.producer_id;
      next.last_producer_epoch = has_expected ? next.producer_epoch : int16_t(-1);
      next.producer_id = pid;
      next.producer_epoch = 0;
    } else if (!has_expected || t->v.producer_epoch < 0 || expected_epoch == t->v.producer_epoch) {
      next.last_producer_epoch = has_expected ? t->v.producer_epoch : int16_t(-1);
      next.producer_epoch = int16_t(t->v.producer_epoch + 1);
    } else if (expected_epoch == t->v.last_producer_epoch) {
      // A retry of a bump whose answer was lost: the same epoch again.
    } else {
      out.error = error_code::producer_fenced;
      co_return out;
    }
    next.state = txn_state::empty;
    next.timeout_ms = timeout_ms;
    next.partitions.clear();
    next.start_ms = -1;
    next.last_update_ms = now_ms();
    t->pending = true;
    const auto w = co_await write(id, next, true);
    t = find(id);
    if (t) t->pending = false;
    if (w != error_code::none || !t) {
      out.error = w != error_code::none ? w : error_code::coordinator_not_available;
      co_return out;
    }
    t->v = next;
    out.producer_id = next.producer_id;
    out.producer_epoch = next.producer_epoch;
    spdlog::debug("broker: transactional id {} initialised: producer {} epoch {}", id,
                  out.producer_id, out.producer_epoch);
    co_return out;
  }
}

// ------------------------------------------------------------ AddPartitionsToTxn

asio::awaitable<error_code> txn_manager::add_partitions(std::string id, int64_t pid, int16_t epoch,
                                                        std::vector<txn_partition> parts) {
  txn* t = find(id);
  if (!t || t->v.producer_id != pid) co_return error_code::invalid_producer_id_mapping;
  if (t->v.producer_epoch != epoch) co_return error_code::producer_fenced;
  if (t->pending || t->v.state == txn_state::prepare_commit ||
      t->v.state == txn_state::prepare_abort)
    co_return error_code::concurrent_transactions;
  txn_value next = t->v;
  bool added = false;
  for (const auto& p : parts) {
    if (contains(next.partitions, p)) continue;
    auto& list = next.partitions[p.topic];
    list.push_back(p.partition);
    std::sort(list.begin(), list.end());
    added = true;
  }
  if (!added && t->v.state == txn_state::ongoing) co_return error_code::none;
  if (next.state != txn_state::ongoing) next.start_ms = now_ms();
  next.state = txn_state::ongoing;
  next.last_update_ms = now_ms();
  t->pending = true;
  const auto w = co_await write(id, next, true);
  t = find(id);
  if (!t) co_return error_code::coordinator_not_available;
  if (w != error_code::none) {
    t->pending = false;
    co_return w;
  }
  t->v = next;
  // The partitions must know before the producer writes to them.
  co_await allow(pid, epoch, std::move(next.partitions));
  if ((t = find(id))) t->pending = false;
  co_return error_code::none;
}

// ------------------------------------------------------------ EndTxn

asio::awaitable<error_code> txn_manager::end_txn(std::string id, int64_t pid, int16_t epoch,
                                                 bool commit) {
  txn* t = find(id);
  if (!t || t->v.producer_id != pid) co_return error_code::invalid_producer_id_mapping;
  if (t->v.producer_epoch != epoch) co_return error_code::producer_fenced;
  if (t->pending) co_return error_code::concurrent_transactions;
  switch (t->v.state) {
    case txn_state::ongoing:
      break;
    case txn_state::complete_commit:
      // A retry of a commit that went through.
      co_return commit ? error_code::none : error_code::invalid_txn_state;
    case txn_state::complete_abort:
      co_return commit ? error_code::invalid_txn_state : error_code::none;
    case txn_state::prepare_commit:
      co_return commit ? error_code::concurrent_transactions : error_code::invalid_txn_state;
    case txn_state::prepare_abort:
      co_return commit ? error_code::invalid_txn_state : error_code::concurrent_transactions;
    default:
      co_return error_code::invalid_txn_state;
  }
  txn_value next = t->v;
  next.state = commit ? txn_state::prepare_commit : txn_state::prepare_abort;
  next.last_update_ms = now_ms();
  t->pending = true;
  const auto w = co_await write(id, next, true);
  t = find(id);
  if (!t) co_return error_code::coordinator_not_available;
  if (w != error_code::none) {
    t->pending = false;
    co_return w;
  }
  t->v = next;
  // The outcome is decided and durable. Answer once the markers are too,
  // so that a read_committed consumer sees the commit as soon as the
  // producer does; if they fail, the timer finishes them later.
  const auto err = co_await complete(id);
  if ((t = find(id))) t->pending = false;
  if (err != error_code::none)
    spdlog::warn("broker: transaction {}: markers not all written ({}); retrying", id,
                 kafka::code(err));
  co_return error_code::none;
}

// ------------------------------------------------------------ timeouts and expiry

void txn_manager::arm_timer() {
  if (stopping_) return;
  const int64_t interval = std::max<int64_t>(
      srv_.config().transaction_abort_timed_out_transaction_cleanup_interval_ms, 10);
  timer_.expires_after(std::chrono::milliseconds(interval));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  });
}

void txn_manager::on_timer() {
  if (stopping_) return;
  const int64_t now = now_ms();
  const int64_t expiration = srv_.config().transactional_id_expiration_ms;
  // Decided first, spawned after: a spawned coroutine may run at once and
  // change txns_ under the loop.
  enum class work { abort, complete, expire };
  std::vector<std::tuple<work, std::string, int64_t>> todo;
  for (auto& [id, t] : txns_) {
    if (t->pending) continue;
    switch (t->v.state) {
      case txn_state::ongoing:
        if (t->v.start_ms >= 0 && now - t->v.start_ms > t->v.timeout_ms)
          todo.emplace_back(work::abort, id, 0);
        break;
      case txn_state::prepare_commit:
      case txn_state::prepare_abort:
        // Markers that could not be written earlier.
        todo.emplace_back(work::complete, id, 0);
        break;
      case txn_state::empty:
      case txn_state::complete_commit:
      case txn_state::complete_abort:
        if (now - t->v.last_update_ms > expiration)
          todo.emplace_back(work::expire, id, t->v.last_update_ms);
        break;
      default:
        break;
    }
  }
  for (auto& [w, id, stamp] : todo) {
    txn* t = find(id);
    if (!t || t->pending) continue;
    t->pending = true;
    switch (w) {
      case work::abort:
        asio::co_spawn(sh_.context(), timed_abort(id), asio::detached);
        break;
      case work::complete:
        asio::co_spawn(sh_.context(), retry_complete(id), asio::detached);
        break;
      case work::expire:
        asio::co_spawn(sh_.context(), expire(id, stamp), asio::detached);
        break;
    }
  }
  arm_timer();
}

asio::awaitable<void> txn_manager::timed_abort(std::string id) {
  spdlog::info("broker: transaction {} exceeded its timeout; aborting it", id);
  const auto err = co_await fence_and_abort(id);
  if (txn* t = find(id)) t->pending = false;
  if (err != error_code::none)
    spdlog::warn("broker: aborting timed-out transaction {} failed ({}); retrying", id,
                 kafka::code(err));
}

asio::awaitable<void> txn_manager::retry_complete(std::string id) {
  const auto err = co_await complete(id);
  if (txn* t = find(id)) t->pending = false;
  if (err != error_code::none)
    spdlog::debug("broker: transaction {} still cannot be completed ({})", id, kafka::code(err));
}

asio::awaitable<void> txn_manager::expire(std::string id, int64_t last_update_ms) {
  const auto w = co_await write(id, std::nullopt, false);
  txn* t = find(id);
  if (!t) co_return;
  t->pending = false;
  if (w != error_code::none || t->v.last_update_ms != last_update_ms) co_return;
  spdlog::info("broker: transactional id {} expired (transactional.id.expiration.ms)", id);
  txns_.erase(id);
}

// ------------------------------------------------------------ Describe / List

asio::awaitable<std::vector<described_txn>> txn_manager::describe(std::vector<std::string> ids) {
  std::vector<described_txn> out;
  for (auto& id : ids) {
    auto& d = out.emplace_back();
    d.transactional_id = id;
    const txn* t = find(id);
    if (!t) {
      d.error_code = kafka::code(error_code::transactional_id_not_found);
      continue;
    }
    d.state = std::string(
        txn_format::state_name(t->fencing ? txn_state::prepare_epoch_fence : t->v.state));
    d.transaction_timeout_ms = t->v.timeout_ms;
    d.transaction_start_time_ms = t->v.start_ms;
    d.producer_id = t->v.producer_id;
    d.producer_epoch = t->v.producer_epoch;
    for (const auto& [topic, parts] : t->v.partitions) d.topics.push_back({topic, parts});
  }
  co_return out;
}

asio::awaitable<std::vector<listed_txn>> txn_manager::list(std::vector<txn_state> states,
                                                           std::vector<int64_t> producer_ids) {
  std::vector<listed_txn> out;
  for (const auto& [id, t] : txns_) {
    const txn_state s = t->fencing ? txn_state::prepare_epoch_fence : t->v.state;
    if (!states.empty() && std::find(states.begin(), states.end(), s) == states.end()) continue;
    if (!producer_ids.empty() &&
        std::find(producer_ids.begin(), producer_ids.end(), t->v.producer_id) == producer_ids.end())
      continue;
    out.push_back({id, t->v.producer_id, std::string(txn_format::state_name(s))});
  }
  co_return out;
}

}  // namespace runnel::broker
