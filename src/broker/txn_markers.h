// What the transaction coordinator does to the partitions of a transaction,
// in-process on this one node (the effect of Kafka's WriteTxnMarkers):
//
//  - allow(): before AddPartitionsToTxn / AddOffsetsToTxn answers, each
//    partition's owner records that the producer's ongoing transaction (at
//    this epoch) includes it (partition::txn_producers). Produce and
//    TxnOffsetCommit accept a transactional batch only for such a partition
//    or one where the transaction is already open;
//  - write_markers(): EndTxn (or an abort by the coordinator) appends a
//    commit or abort control batch to each partition, clears the record
//    above, waits until every marker is fsynced, and has the group
//    coordinator apply (or drop) the transaction's pending offsets in a
//    __consumer_offsets partition.
//
// Callable from any shard; the work runs on each partition's owner.
// Partitions that no longer exist (topic deleted) are skipped.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>

#include "broker/txn_format.h"
#include "kafka/error_code.h"

namespace runnel::broker {

class server;

boost::asio::awaitable<void> allow_transaction(server& srv, int64_t pid, int16_t epoch,
                                               txn_format::partition_set parts);

// The first error met (a partition whose log failed); none once every
// existing partition holds a durable marker.
boost::asio::awaitable<kafka::error_code> write_markers(server& srv, int64_t pid, int16_t epoch,
                                                        bool commit,
                                                        txn_format::partition_set parts);

}  // namespace runnel::broker
