"""One data directory, one process; a taken port fails at once.

Real `runnel serve` processes:
- a second broker on the same --data-dir refuses to start, names the first
  one's pid, and leaves its data alone (before the lock, both ran and every
  acknowledged record was lost at the next recovery);
- it starts once the first has stopped, even after kill -9 (flock ends with
  the process);
- a broker whose port is taken fails before it opens any log (it used to
  recover every log first and then wait two minutes for its shards).
"""

import os
import subprocess
import time

from confluent_kafka import Consumer, Producer, TopicPartition

from harness import BINARY, Broker, free_port, run, wait_until


def produce(bootstrap, topic, values):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for v in values:
        p.produce(topic, v.encode())
    assert p.flush(30) == 0


def read_all(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "dd", "enable.auto.commit": False})
    try:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
        c.assign([TopicPartition(topic, 0, 0)])
        out = []
        deadline = time.monotonic() + 60
        while len(out) < hi and time.monotonic() < deadline:
            for m in c.consume(100, 1.0):
                if not m.error():
                    out.append(m.value().decode())
        return out
    finally:
        c.close()


def serve(data_dir, port, timeout=60):
    """Runs `runnel serve` expecting it to fail; (returncode, stderr, seconds)."""
    start = time.monotonic()
    p = subprocess.run([BINARY, "serve", "--data-dir", data_dir, "--listen",
                        "127.0.0.1:%d" % port, "--admin-listen", "127.0.0.1:0",
                        "--connect-listen", "off", "--sql-listen", "off"],
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stderr.decode(errors="replace"), time.monotonic() - start


def test_second_broker_on_the_same_data_dir_refuses():
    first = Broker(BINARY)
    first.start()
    try:
        data = os.path.join(first.data_dir, "data")
        produce(first.bootstrap, "kept", ["v%d" % i for i in range(100)])
        rc, err, _ = serve(data, free_port())
        assert rc != 0, "a second broker started on the same data directory"
        assert "in use by another runnel process" in err, err
        assert "pid %d" % first.proc.pid in err, err
        assert "opened from" not in err, "the second broker read the logs:\n" + err
        # The first is unharmed and keeps serving.
        produce(first.bootstrap, "kept", ["w%d" % i for i in range(100)])
        first.restart()
        got = read_all(first.bootstrap, "kept")
        assert got == ["v%d" % i for i in range(100)] + ["w%d" % i for i in range(100)], got[:5]
        # kill -9: the lock goes with the process; the next start recovers.
        first.kill()
        first.start()
        assert len(read_all(first.bootstrap, "kept")) == 200
    finally:
        first.cleanup()


def test_taken_port_fails_before_the_logs_are_opened():
    first = Broker(BINARY)
    first.start()
    second = Broker(BINARY)
    try:
        # Give the second data directory something to recover.
        second.start()
        produce(second.bootstrap, "t", ["x"] * 10)
        second.kill()
        rc, err, seconds = serve(os.path.join(second.data_dir, "data"), first.port)
        assert rc != 0
        assert "cannot listen on" in err and "in use" in err, err
        assert "opened from" not in err, "it opened the logs before binding:\n" + err
        # Not a performance assertion: it used to take over two minutes.
        assert seconds < 30, "took %.1fs to fail" % seconds
        print("a taken port failed after %.2fs" % seconds)
    finally:
        second.cleanup()
        first.cleanup()


if __name__ == "__main__":
    run([test_second_broker_on_the_same_data_dir_refuses,
         test_taken_port_fails_before_the_logs_are_opened])
