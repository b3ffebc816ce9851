"""A consume-transform-produce service, exactly once: reads `input` with
read_committed, writes each value upper-cased to `output`, and commits its
input offsets in the same transaction (send_offsets_to_transaction).

It is the service the crash test (txn_crash.py) kill -9s: every start
initialises its transactional.id first (which fences a previous instance
and aborts its open transaction), then resumes from the committed offsets;
an error that aborts the transaction rewinds to them; a fatal one exits so
the test starts a new instance.

Usage: txn_copier.py BOOTSTRAP INPUT OUTPUT PARTITIONS [TXN_ID] [GROUP] [BATCH] [PAUSE_MS]
(at most BATCH records per transaction, default 200; PAUSE_MS of "work"
after each, default 0, so that a crash test can make the copy last).
Prints "ready" once initialised and "copied N" after each commit.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main():
    bootstrap, src, dst, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    tid = sys.argv[5] if len(sys.argv) > 5 else "copier"
    group = sys.argv[6] if len(sys.argv) > 6 else "copier"
    batch = int(sys.argv[7]) if len(sys.argv) > 7 else 200
    pause = int(sys.argv[8]) / 1000 if len(sys.argv) > 8 else 0
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid,
                         "transaction.timeout.ms": 10000, "linger.ms": 5,
                         "message.timeout.ms": 10000})
    producer.init_transactions(60)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed"})
    tps = [TopicPartition(src, p) for p in range(partitions)]

    def rewind():
        committed = consumer.committed(tps, timeout=60)
        consumer.assign([TopicPartition(src, t.partition, t.offset if t.offset >= 0 else 0)
                         for t in committed])

    rewind()
    print("ready", flush=True)
    copied = 0
    while True:
        msgs = [m for m in consumer.consume(batch, 0.5) if not m.error()]
        if not msgs:
            continue
        try:
            producer.begin_transaction()
            for m in msgs:
                producer.produce(dst, key=m.key(), value=m.value().upper(),
                                 partition=m.partition())
            retried(lambda: producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 60))
            retried(lambda: producer.commit_transaction(60))
            copied += len(msgs)
            print("copied", copied, flush=True)
            time.sleep(pause)
        except KafkaException as e:
            err = e.args[0]
            if err.fatal() or not err.txn_requires_abort():
                print("fatal", err, flush=True)
                return 3
            producer.abort_transaction(60)
            # Neither the output nor the offsets of this batch count: read
            # it again from the committed offsets.
            rewind()


def retried(call, attempts=20):
    """Calls again while librdkafka says the call itself may be retried."""
    for i in range(attempts):
        try:
            return call()
        except KafkaException as e:
            err = e.args[0]
            if i + 1 == attempts or not err.retriable() or err.txn_requires_abort() or err.fatal():
                raise


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KafkaException as e:
        print("failed", e, flush=True)
        sys.exit(5)
