"""Apache Kafka (KRaft) on loopback: one broker or a cluster of N, each node in
combined mode (broker and controller), on free 127.0.0.1 ports, in a private
directory. Used by bench/compare (the peer), by the scale-out and
differential tests, and by hand:

    python3 bench/peers/kafka/kafka_cluster.py --brokers 3 --dir /tmp/k
    # prints "kafka: ready on 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" and runs
    # until SIGTERM/SIGINT, then stops every node

As a module: KafkaCluster(n, settings=...).start(); .bootstrap; .kill(i);
.restart(i); .stop(). The jars come from bench/peers/kafka/install (run by
scripts/setup). Needs Java 17 or newer.
"""

import argparse
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_CLASS = os.path.join(HERE, "run-class")

# Settings every node gets whatever the cluster size; the caller's `settings`
# override them. Internal topics are replicated to every node of the cluster
# (at most 3), so that losing one node of three loses nothing.
def _base_settings(n):
    rf = min(n, 3)
    return {
        "num.partitions": "1",
        "default.replication.factor": str(rf),
        "offsets.topic.replication.factor": str(rf),
        "transaction.state.log.replication.factor": str(rf),
        "transaction.state.log.min.isr": str(min(rf, 2)),
        "min.insync.replicas": str(min(rf, 2)),
        "share.coordinator.state.topic.replication.factor": str(rf),
        "share.coordinator.state.topic.min.isr": str(min(rf, 2)),
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _cluster_id():
    # Kafka's format: a UUID in URL-safe base64 without padding (22 chars).
    # One in 64 starts with "-", which kafka-storage's argument parser takes
    # for an option ("argument --cluster-id/-t: expected one argument");
    # Kafka's own Uuid.randomUuid() draws again in that case, and so do we.
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class Node:
    def __init__(self, node_id, directory):
        self.id = node_id
        self.dir = directory
        self.port = free_port()
        self.controller_port = free_port()
        self.proc = None
        self.log_path = os.path.join(directory, "server.log")

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


class KafkaCluster:
    """N KRaft nodes in combined mode with a static controller quorum.

    heap: the JVM heap of each node (Kafka's own start script uses 1G).
    settings: server.properties entries for every node, over the defaults
    above (Kafka's defaults otherwise).
    """

    def __init__(self, n=1, directory=None, settings=None, heap="1G", log_level="WARN", first_id=1,
                 port=None):
        self.own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="kafka-")
        os.makedirs(self.dir, exist_ok=True)
        self.settings = _base_settings(n)
        self.settings.update(settings or {})
        self.heap = heap
        self.log_level = log_level
        self.cluster_id = _cluster_id()
        self.nodes = [Node(first_id + i, os.path.join(self.dir, "node%d" % (first_id + i)))
                      for i in range(n)]
        for node in self.nodes:
            os.makedirs(node.dir, exist_ok=True)
        if port:
            self.nodes[0].port = port
        self._formatted = False

    @property
    def bootstrap(self):
        return ",".join(node.address for node in self.nodes)

    def _properties(self, node):
        voters = ",".join("%d@127.0.0.1:%d" % (n.id, n.controller_port) for n in self.nodes)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(node.id),
            "controller.quorum.voters": voters,
            "listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d"
            % (node.port, node.controller_port),
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % node.port,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": os.path.join(node.dir, "data"),
        }
        props.update(self.settings)
        path = os.path.join(node.dir, "server.properties")
        with open(path, "w") as f:
            for k, v in props.items():
                f.write("%s=%s\n" % (k, v))
        return path

    def _env(self, heap):
        env = dict(os.environ)
        env["KAFKA_HEAP_OPTS"] = "-Xmx%s -Xms%s" % (heap, heap) if heap else "-Xmx256M"
        env["KAFKA_LOG_LEVEL"] = self.log_level
        return env

    def _format(self):
        # One JVM per node, in parallel: formatting writes meta.properties and
        # the bootstrap metadata (metadata.version) into each log dir.
        procs = []
        for node in self.nodes:
            props = self._properties(node)
            procs.append((node, subprocess.Popen(
                [RUN_CLASS, "kafka.tools.StorageTool", "format", "--ignore-formatted",
                 "-t", self.cluster_id, "-c", props],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self._env(None))))
        for node, p in procs:
            out, _ = p.communicate(timeout=300)
            if p.returncode != 0:
                raise RuntimeError("kafka-storage format failed for node %d:\n%s"
                                   % (node.id, out.decode(errors="replace")))
        self._formatted = True

    def start_node(self, i):
        node = self.nodes[i]
        props = os.path.join(node.dir, "server.properties")
        log = open(node.log_path, "ab")
        node.proc = subprocess.Popen([RUN_CLASS, "kafka.Kafka", props], stdout=log,
                                     stderr=subprocess.STDOUT, env=self._env(self.heap),
                                     start_new_session=True)
        log.close()
        return node

    def start(self, timeout=180):
        if not self._formatted:
            self._format()
        for i in range(len(self.nodes)):
            self.start_node(i)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=180):
        """Waits until every live node listens and the cluster has registered
        all of them (a metadata request lists every broker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.proc is not None and node.proc.poll() is not None:
                    raise RuntimeError("kafka node %d exited during start-up:\n%s"
                                       % (node.id, node.tail()))
            live = [n for n in self.nodes if n.alive()]
            if all(_port_open(n.port) for n in live) and self._brokers_registered(live):
                return
            time.sleep(0.2)
        raise TimeoutError("kafka did not come up in %ds:\n%s" % (
            timeout, "\n".join("node %d:\n%s" % (n.id, n.tail()) for n in self.nodes)))

    def _brokers_registered(self, live):
        from kafka_wire import metadata_brokers  # noqa: E402 (same directory)
        try:
            ids = metadata_brokers(live[0].port)
        except OSError:
            return False
        return ids is not None and {n.id for n in live} <= set(ids)

    def kill(self, i, sig=signal.SIGKILL):
        """Stops node i abruptly (SIGKILL) or cleanly (SIGTERM)."""
        node = self.nodes[i]
        if node.alive():
            os.killpg(node.proc.pid, sig)
            try:
                node.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(node.proc.pid, signal.SIGKILL)
                node.proc.wait()
        node.proc = None

    def restart(self, i, timeout=180):
        self.kill(i, signal.SIGTERM)
        self.start_node(i)
        self.wait_ready(timeout)

    def pids(self):
        return [n.proc.pid for n in self.nodes if n.alive()]

    def stop(self):
        for node in self.nodes:
            if node.alive():
                os.killpg(node.proc.pid, signal.SIGTERM)
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(node.proc.pid, signal.SIGKILL)
                    node.proc.wait()
                node.proc = None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brokers", type=int, default=1, help="number of nodes (default 1)")
    ap.add_argument("--dir", help="directory for the nodes' data and logs (default: a new temp dir, removed at exit)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a server.properties entry for every node (repeatable)")
    ap.add_argument("--heap", default="1G", help="JVM heap per node (default 1G, as Kafka's start script)")
    ap.add_argument("--port", type=int, help="the first node's client port (default: a free one)")
    ap.add_argument("--pid-file", help="write the nodes' JVM process ids here, one a line")
    args = ap.parse_args()
    settings = dict(s.split("=", 1) for s in args.set)
    cluster = KafkaCluster(args.brokers, args.dir, settings, heap=args.heap, port=args.port)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        cluster.start()
        if args.pid_file:
            with open(args.pid_file, "w") as f:
                f.write("".join("%d\n" % p for p in cluster.pids()))
        print("kafka: ready on %s" % cluster.bootstrap, flush=True)
        while not stop and all(n.alive() for n in cluster.nodes):
            time.sleep(0.2)
        if not stop:
            print("kafka: a node exited", file=sys.stderr)
            return 1
        return 0
    finally:
        cluster.cleanup() if args.dir is None else cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
