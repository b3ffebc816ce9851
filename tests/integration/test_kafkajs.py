"""kafkajs against runnel: admin, produce, a consumer group that commits and
resumes (js/kafkajs_check.mjs); transactions: commit, abort, sendOffsets,
read_committed, fencing (js/kafkajs_transactions.mjs). Both run by node."""

import os
import subprocess

from harness import BINARY, Broker, run

HERE = os.path.dirname(os.path.abspath(__file__))


def test_kafkajs_admin_produce_group_consume():
    if not os.path.isdir(os.path.join(HERE, "js", "node_modules", "kafkajs")):
        raise AssertionError("kafkajs is not installed: run scripts/setup")
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": 100}) as b:
        r = subprocess.run(["node", os.path.join(HERE, "js", "kafkajs_check.mjs"), b.bootstrap],
                           capture_output=True, timeout=240)
        out = r.stdout.decode() + r.stderr.decode()
        assert r.returncode == 0, out + "\n" + b.tail()
        assert "ok" in out, out


def test_kafkajs_transactions():
    if not os.path.isdir(os.path.join(HERE, "js", "node_modules", "kafkajs")):
        raise AssertionError("kafkajs is not installed: run scripts/setup")
    with Broker(BINARY, settings={"group.initial.rebalance.delay.ms": 100}) as b:
        r = subprocess.run(["node", os.path.join(HERE, "js", "kafkajs_transactions.mjs"),
                            b.bootstrap], capture_output=True, timeout=240)
        out = r.stdout.decode() + r.stderr.decode()
        assert r.returncode == 0, out + "\n" + b.tail()
        assert "ok" in out, out


if __name__ == "__main__":
    run([test_kafkajs_admin_produce_group_consume, test_kafkajs_transactions])
