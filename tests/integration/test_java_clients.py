"""The Java kafka-clients library (4.x and 3.9.x, pinned in java/pom.xml)
against runnel: AdminClient (cluster, topics, partitions, configs, groups,
offsets, delete records, list offsets), an idempotent acks=all producer in
every codec, a classic consumer group of two, and the KIP-848 consumer
protocol failing cleanly (java/src/ClientsCheck.java, one JVM per version);
transactions: commit, abort, fencing, sendOffsetsToTransaction with group
metadata, the coordinator's timeout abort, list/describe transactions
(java/src/TxnCheck.java)."""

import shutil

import jvm
from harness import BINARY, Broker, run

SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000,
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": 200}


def check(profile):
    classes = jvm.compile_sources(profile, "ClientsCheck.java", "TxnCheck.java")
    try:
        for program in ("ClientsCheck", "TxnCheck"):
            with Broker(BINARY, settings=SETTINGS) as b:
                rc, out = jvm.run(profile, classes, program, b.bootstrap, timeout=400)
                print(out, flush=True)
                assert rc == 0, "%s failed against kafka-clients %s\n%s" % (program, profile,
                                                                             b.tail())
                assert "0 failed" in out
    finally:
        shutil.rmtree(classes, ignore_errors=True)


def test_kafka_clients_4():
    check("kafka-4")


def test_kafka_clients_3_9():
    check("kafka-3.9")


if __name__ == "__main__":
    run([test_kafka_clients_4, test_kafka_clients_3_9])
