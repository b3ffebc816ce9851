"""Exactly once through crashes: txn_copier.py (a transactional
consume-transform-produce service) copies a topic while the broker and the
service are each kill -9'd at random moments; afterwards a read_committed
reader must find every input record in the output exactly once.

crash_test() is the driver; `bench/txn-crash` runs it for many cycles and
reports, and `test_txn_crash.py` runs a short version under ctest.
"""

import collections
import os
import random
import signal
import subprocess
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import Broker, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

SETTINGS = {"transaction.abort.timed.out.transaction.cleanup.interval.ms": 200}


class Service:
    """One txn_copier.py process at a time, restarted when it dies."""

    def __init__(self, bootstrap, partitions, log_path, batch, pause_ms):
        self.args = [PYTHON, os.path.join(HERE, "txn_copier.py"), bootstrap, "input", "output",
                     str(partitions), "copier", "copier", str(batch), str(pause_ms)]
        self.log = open(log_path, "ab")
        self.proc = None
        self.starts = 0

    def ensure_running(self):
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                         cwd=HERE)
            self.starts += 1

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        self.kill()
        self.log.close()


def committed_total(bootstrap, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "copier",
                  "enable.auto.commit": False})
    try:
        got = c.committed([TopicPartition("input", p) for p in range(partitions)], timeout=10)
        return sum(max(t.offset, 0) for t in got)
    except Exception:
        return -1
    finally:
        c.close()


def read_output(bootstrap, partitions, expect, timeout=120):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verifier",
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "enable.partition.eof": True})
    c.assign([TopicPartition("output", p, 0) for p in range(partitions)])
    values, eof = [], set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                if len(eof) == partitions and len(values) >= expect:
                    break
                continue
            raise RuntimeError(str(m.error()))
        eof.discard(m.partition())
        values.append(m.value())
    c.close()
    return values


def crash_test(binary, cycles=20, records=20000, partitions=4, seed=None, log=print,
               min_pause=0.3, max_pause=2.5, batch=100):
    rng = random.Random(seed)
    start = time.monotonic()
    broker = Broker(binary, settings=SETTINGS).start()
    service = None
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for t in admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1)
                                      for n in ("input", "output")]).values():
            t.result(timeout=30)
        p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True,
                      "linger.ms": 5})
        for i in range(records):
            p.produce("input", key=b"k%d" % (i % 97), value=b"r%08d" % i, partition=i % partitions)
            if i % 10000 == 0:
                p.poll(0)
        assert p.flush(60) == 0
        # Pace the service so that the copy outlasts the kill cycles and the
        # kills land in the middle of it.
        transactions = max(records // batch, 1)
        pause_ms = int(1000 * cycles * (min_pause + max_pause) / 2 / transactions)
        service = Service(broker.bootstrap, partitions,
                          os.path.join(broker.data_dir, "service.log"), batch, pause_ms)
        service.ensure_running()
        kills = collections.Counter()
        for cycle in range(cycles):
            time.sleep(rng.uniform(min_pause, max_pause))
            victim = rng.choice(["broker", "service", "both"])
            if victim in ("service", "both"):
                service.kill()
                kills["service"] += 1
            if victim in ("broker", "both"):
                broker.kill()
                kills["broker"] += 1
                broker.start()
            service.ensure_running()
            log("cycle %d: killed %s; committed %d/%d" % (
                cycle + 1, victim, max(committed_total(broker.bootstrap, partitions), 0),
                records))
        # Let it finish, restarting it if it died on its own.
        deadline = time.monotonic() + 600

        def done():
            service.ensure_running()
            return committed_total(broker.bootstrap, partitions) == records

        wait_until(done, timeout=max(deadline - time.monotonic(), 1), interval=0.5,
                   what="the service to copy every record")
        service.kill()
        values = read_output(broker.bootstrap, partitions, records)
        counts = collections.Counter(values)
        expected = {b"R%08d" % i for i in range(records)}
        lost = len(expected - set(counts))
        duplicated = sum(n - 1 for v, n in counts.items() if n > 1)
        unexpected = sum(n for v, n in counts.items() if v not in expected)
        result = {"records": records, "cycles": cycles, "broker_kills": kills["broker"],
                  "service_kills": kills["service"], "service_starts": service.starts,
                  "output_records": len(values), "lost": lost, "duplicated": duplicated,
                  "unexpected": unexpected, "seconds": round(time.monotonic() - start, 1)}
        log("result %s" % result)
        return result
    finally:
        if service:
            service.stop()
        broker.cleanup()


if __name__ == "__main__":
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/runnel"
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    records = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    r = crash_test(binary, cycles, records)
    sys.exit(0 if r["lost"] == r["duplicated"] == r["unexpected"] == 0 else 1)
