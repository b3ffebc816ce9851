// group_manager, transactional offsets: TxnOffsetCommit writes the offsets
// to the group's __consumer_offsets partition as a transactional batch of the
// producer (its id and epoch, the transactional bit), and keeps them pending
// until the transaction's marker reaches that partition: a commit applies
// them, an abort drops them (group_manager.h). Replaying the partition at
// start-up does the same in log order.
#include <spdlog/spdlog.h>

#include <chrono>

#include "broker/group_manager.h"
#include "broker/offsets_format.h"
#include "broker/server.h"

namespace runnel::broker {

namespace {

using kafka::error_code;
namespace fmt_ = offsets_format;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

boost::asio::awaitable<std::vector<error_code>> group_manager::txn_commit(txn_commit_args a) {
  const size_t n = a.items.size();
  auto all = [n](error_code e) { return std::vector<error_code>(n, e); };
  group* g = find(a.group_id);
  if (!g) {
    // As Kafka: a producer outside group management (generation -1) may
    // commit for a group that does not exist yet.
    if (a.generation >= 0) co_return all(error_code::illegal_generation);
    g = &get_or_create(a.group_id);
  }
  // KIP-447: a member of an older generation is a zombie and is fenced by
  // the group itself.
  if (g->state == group_state::dead) co_return all(error_code::coordinator_not_available);
  if (g->static_member_fenced(a.member_id, a.instance_id))
    co_return all(error_code::fenced_instance_id);
  if (!a.member_id.empty() && !g->find(a.member_id)) co_return all(error_code::unknown_member_id);
  if (a.generation >= 0 && a.generation != g->generation)
    co_return all(error_code::illegal_generation);
  if (n == 0) co_return all(error_code::none);

  // The transaction must include this partition (AddOffsetsToTxn), at this
  // epoch: a write it does not know of would never see a marker.
  const int32_t index = fmt_::partition_for(a.group_id, partitions_);
  partition* part = sh_.find(fmt_::topic_name, index);
  if (!part || !part->log) co_return all(error_code::coordinator_not_available);
  const auto open = part->log->producers().open_transaction(a.producer_id);
  const auto added = part->txn_producers.find(a.producer_id);
  const bool allowed = (open && *open == a.producer_epoch) ||
                       (added != part->txn_producers.end() && added->second == a.producer_epoch);
  if (!allowed) {
    const bool stale = (open && *open > a.producer_epoch) ||
                       (added != part->txn_producers.end() && added->second > a.producer_epoch);
    co_return all(stale ? error_code::invalid_producer_epoch : error_code::invalid_txn_state);
  }

  const int64_t ts = now_ms();
  std::vector<offsets_record> records;
  records.reserve(n);
  for (auto& it : a.items) {
    it.value.commit_timestamp = ts;
    offsets_record r;
    r.key = fmt_::encode_key(fmt_::offset_key{a.group_id, it.tp.topic, it.tp.partition});
    r.value = fmt_::encode_value(fmt_::offset_value{it.value.offset, it.value.leader_epoch,
                                                    it.value.metadata, it.value.commit_timestamp});
    records.push_back(std::move(r));
  }
  auto appended =
      append_offsets_batch(*part->log, records, ts, txn_producer{a.producer_id, a.producer_epoch});
  if (!appended) {
    spdlog::warn("group {}: writing transactional offsets failed: {}", a.group_id,
                 appended.error().message());
    co_return all(appended.error() == model::batch_errc::too_large
                      ? error_code::invalid_commit_offset_size
                      : error_code::coordinator_not_available);
  }
  part->notify_data();
  // Pending from the append on, before suspending: the transaction's marker
  // (always later in the log) must find them whatever happens meanwhile.
  for (auto& it : a.items) g->pending_txn[a.producer_id][it.tp] = it.value;
  txn_groups_[a.producer_id].insert(a.group_id);
  co_return all(co_await wait_durable(a.group_id, appended.value().upto.value));
}

void group_manager::complete_txn(int64_t producer_id, int32_t offsets_partition, bool commit) {
  auto it = txn_groups_.find(producer_id);
  if (it == txn_groups_.end()) return;
  for (auto gid = it->second.begin(); gid != it->second.end();) {
    if (fmt_::partition_for(*gid, partitions_) != offsets_partition) {
      ++gid;
      continue;
    }
    if (group* g = find(*gid)) {
      if (auto p = g->pending_txn.find(producer_id); p != g->pending_txn.end()) {
        if (commit)
          for (auto& [tp, v] : p->second) g->offsets[tp] = v;
        g->pending_txn.erase(p);
      }
    }
    gid = it->second.erase(gid);
  }
  if (it->second.empty()) txn_groups_.erase(it);
}

}  // namespace runnel::broker
