"""Consumer groups against runnel: confluent-kafka (librdkafka), kafka-python
and kcat -G groups that rebalance as members join, leave and die; committed
offsets that survive a restart and a kill -9; static membership; and the
group APIs' error cases, spoken directly over the wire."""

import socket
import struct
import subprocess
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import BINARY, Broker, run, wait_until

SETTINGS = {"group.initial.rebalance.delay.ms": 100, "group.min.session.timeout.ms": 1000}

# Kafka error codes the tests expect.
NONE = 0
NOT_COORDINATOR = 16
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
UNKNOWN_MEMBER_ID = 25
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82
GROUP_SUBSCRIBED_TO_TOPIC = 86


# ---------------------------------------------------------------- helpers

def create_topic(b, name, partitions):
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions,
                                  replication_factor=1)])[name].result(timeout=30)


def produce(b, topic, partitions, count, prefix="m"):
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(count):
        p.produce(topic, value=("%s%d" % (prefix, i)).encode(), partition=i % partitions)
    assert p.flush(30) == 0


def group_consumer(b, group, **extra):
    conf = {"bootstrap.servers": b.bootstrap, "group.id": group,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 300}
    conf.update(extra)
    return Consumer(conf)


def committed(b, group, topic, partitions):
    c = group_consumer(b, group)
    try:
        return [tp.offset for tp in
                c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)]
    finally:
        c.close()


class Pump:
    """Polls a set of confluent consumers round-robin, remembering what each
    consumed and committing after every round (commits during a rebalance may
    fail; the next owner then sees those messages again)."""

    def __init__(self):
        self.consumers = []
        self.seen = set()  # (partition, offset)

    def add(self, c):
        self.consumers.append(c)

    def remove(self, c):
        self.consumers.remove(c)

    def round(self):
        for c in self.consumers:
            got = False
            for _ in range(50):
                m = c.poll(0.02)
                if m is None:
                    break
                if m.error():
                    continue
                self.seen.add((m.partition(), m.offset()))
                got = True
            if got:
                try:
                    c.commit(asynchronous=False)
                except KafkaException:
                    pass

    def assignments(self):
        return [sorted(tp.partition for tp in c.assignment()) for c in self.consumers]

    def wait_split(self, sizes, partitions, timeout=30):
        def balanced():
            self.round()
            a = self.assignments()
            flat = sorted(p for parts in a for p in parts)
            return sorted(len(x) for x in a) == sorted(sizes) and flat == list(range(partitions))
        wait_until(balanced, timeout=timeout, interval=0, what="assignment %s" % sizes)


# ---------------------------------------------------------------- raw wire client

class Raw:
    """A minimal Kafka client for requests the libraries do not expose."""

    def __init__(self, b, client_id="raw"):
        self.sock = socket.create_connection(("127.0.0.1", b.port), timeout=30)
        self.client_id = client_id.encode()
        self.corr = 0

    def close(self):
        self.sock.close()

    def call(self, key, version, body, flexible=False):
        self.corr += 1
        hdr = struct.pack(">hhih", key, version, self.corr, len(self.client_id)) + self.client_id
        if flexible:
            hdr += b"\x00"
        msg = hdr + body
        self.sock.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", self._read(4))[0]
        resp = Dec(self._read(size))
        assert resp.i32() == self.corr
        if flexible:
            resp.tags()
        return resp

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed by the broker")
            out += chunk
        return out


def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def s16(v): return i16(-1) if v is None else i16(len(v.encode())) + v.encode()
def b32(v): return i32(-1) if v is None else i32(len(v)) + v
def arr(items): return i32(len(items)) + b"".join(items)


def uvar(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def cs(v): return uvar(0) if v is None else uvar(len(v.encode()) + 1) + v.encode()
def carr(items): return uvar(len(items) + 1) + b"".join(items)


class Dec:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]

    def s16(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def b32(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def uvar(self):
        shift = out = 0
        while True:
            b = self.take(1)[0]
            out |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return out

    def cs(self):
        n = self.uvar()
        return None if n == 0 else self.take(n - 1).decode()

    def tags(self):
        for _ in range(self.uvar()):
            self.uvar()
            self.take(self.uvar())


def subscription(*topics):
    """ConsumerProtocolSubscription v0."""
    return i16(0) + arr([s16(t) for t in topics]) + b32(None)


def assignment(topic, parts):
    """ConsumerProtocolAssignment v0."""
    return i16(0) + arr([s16(topic) + arr([i32(p) for p in parts])]) + b32(None)


def join(raw, group, member="", instance=None, session=10000, ptype="consumer",
         protocols=(("range", b"\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"),)):
    """JoinGroup v5; returns (error, generation, protocol, leader, member, members)."""
    body = (s16(group) + i32(session) + i32(session) + s16(member) + s16(instance) +
            s16(ptype) + arr([s16(n) + b32(md) for n, md in protocols]))
    r = raw.call(11, 5, body)
    r.i32()
    err, gen, proto, leader, mid = r.i16(), r.i32(), r.s16(), r.s16(), r.s16()
    members = [(r.s16(), r.s16(), r.b32()) for _ in range(r.i32())]
    return err, gen, proto, leader, mid, members


def sync(raw, group, gen, member, instance=None, assignments=()):
    """SyncGroup v3; returns (error, assignment)."""
    body = (s16(group) + i32(gen) + s16(member) + s16(instance) +
            arr([s16(m) + b32(a) for m, a in assignments]))
    r = raw.call(14, 3, body)
    r.i32()
    return r.i16(), r.b32()


def heartbeat(raw, group, gen, member, instance=None):
    r = raw.call(12, 3, s16(group) + i32(gen) + s16(member) + s16(instance))
    r.i32()
    return r.i16()


def describe(raw, group):
    """DescribeGroups v0; returns (error, state, protocol_type, protocol, member ids)."""
    r = raw.call(15, 0, arr([s16(group)]))
    assert r.i32() == 1
    err, _, state, ptype, proto = r.i16(), r.s16(), r.s16(), r.s16(), r.s16()
    members = []
    for _ in range(r.i32()):
        members.append(r.s16())
        r.s16(), r.s16(), r.b32(), r.b32()
    return err, state, ptype, proto, members


def commit(raw, group, gen, member, topic, offsets):
    """OffsetCommit v2; returns {partition: error}."""
    body = (s16(group) + i32(gen) + s16(member) + i64(-1) +
            arr([s16(topic) + arr([i32(p) + i64(o) + s16("") for p, o in offsets.items()])]))
    r = raw.call(8, 2, body)
    out = {}
    for _ in range(r.i32()):
        r.s16()
        for _ in range(r.i32()):
            p = r.i32()
            out[p] = r.i16()
    return out


def fetch_offsets(raw, group, topic, parts):
    """OffsetFetch v1; returns {partition: offset}."""
    r = raw.call(9, 1, s16(group) + arr([s16(topic) + arr([i32(p) for p in parts])]))
    out = {}
    for _ in range(r.i32()):
        r.s16()
        for _ in range(r.i32()):
            p, off = r.i32(), r.i64()
            r.s16()
            assert r.i16() == NONE
            out[p] = off
    return out


def join_dynamic(raw, group, session=10000, protocols=None):
    """The KIP-394 dance: MEMBER_ID_REQUIRED, then the real join."""
    kw = {"protocols": protocols} if protocols else {}
    err, _, _, _, mid, _ = join(raw, group, session=session, **kw)
    assert err == MEMBER_ID_REQUIRED and mid, (err, mid)
    return join(raw, group, member=mid, session=session, **kw)


# ---------------------------------------------------------------- tests

def test_confluent_group_rebalances_commits_and_resumes():
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "orders", 6)
        produce(b, "orders", 6, 600)
        pump = Pump()
        c1 = group_consumer(b, "shop")
        c1.subscribe(["orders"])
        pump.add(c1)
        pump.wait_split([6], 6)
        c2 = group_consumer(b, "shop")
        c2.subscribe(["orders"])
        pump.add(c2)
        pump.wait_split([3, 3], 6)
        c3 = group_consumer(b, "shop")
        c3.subscribe(["orders"])
        pump.add(c3)
        pump.wait_split([2, 2, 2], 6)
        # A member leaving (LeaveGroup on close) hands its partitions on.
        pump.remove(c2)
        c2.close()
        pump.wait_split([3, 3], 6)

        def all_consumed_and_committed():
            pump.round()
            return (len(pump.seen) == 600 and
                    committed(b, "shop", "orders", 6) == [100] * 6)
        wait_until(all_consumed_and_committed, timeout=60, interval=0, what="commits")
        for c in (c1, c3):
            c.close()

        # A restarted consumer resumes where the group left off.
        produce(b, "orders", 6, 60, prefix="late")
        c4 = group_consumer(b, "shop")
        c4.subscribe(["orders"])
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 60 and time.monotonic() < deadline:
            m = c4.poll(0.2)
            if m is not None and not m.error():
                got.append(m)
        extra = c4.poll(1.0)
        c4.close()
        assert len(got) == 60 and extra is None, (len(got), extra)
        assert all(m.value().startswith(b"late") and m.offset() >= 100 for m in got)


def test_committed_offsets_survive_kill_9():
    b = Broker(BINARY, settings=SETTINGS)
    try:
        b.start()
        create_topic(b, "ledger", 4)
        produce(b, "ledger", 4, 400)
        c = group_consumer(b, "audit")
        want = [TopicPartition("ledger", p, 10 * (p + 1)) for p in range(4)]
        c.commit(offsets=want, asynchronous=False)  # answered only once fsynced
        c.close()
        b.kill()
        b.start()
        assert committed(b, "audit", "ledger", 4) == [10, 20, 30, 40]
        # A new member of the group starts from the committed offsets.
        c = group_consumer(b, "audit")
        c.subscribe(["ledger"])
        first = {}
        deadline = time.monotonic() + 30
        while len(first) < 4 and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                first.setdefault(m.partition(), m.offset())
        c.close()
        assert first == {0: 10, 1: 20, 2: 30, 3: 40}, first
        # And a clean restart keeps them too.
        b.restart()
        assert committed(b, "audit", "ledger", 4) == [10, 20, 30, 40]
        # A deleted group stays deleted across a crash.
        raw = Raw(b)
        r = raw.call(42, 1, arr([s16("audit")]))
        r.i32()
        assert r.i32() == 1 and r.s16() == "audit" and r.i16() == NONE
        raw.close()
        b.kill()
        b.start()
        assert committed(b, "audit", "ledger", 4) == [-1001] * 4
        raw = Raw(b)
        assert describe(raw, "audit")[1] == "Dead"
        raw.close()
    finally:
        b.cleanup()


def test_kafka_python_group_and_admin():
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition as KTP
    from kafka.errors import NonEmptyGroupError, NoError
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "kp", 4)
        produce(b, "kp", 4, 200)
        opts = dict(bootstrap_servers=b.bootstrap, group_id="kpg", auto_offset_reset="earliest",
                    enable_auto_commit=False, session_timeout_ms=6000,
                    heartbeat_interval_ms=300)
        # kafka-python joins inside poll() and blocks there until the group
        # is ready, so each consumer needs a thread of its own.
        c1 = KafkaConsumer("kp", **opts)
        c2 = KafkaConsumer("kp", **opts)
        seen = set()
        lock = threading.Lock()
        stop = threading.Event()
        commit_now = threading.Event()
        committed_by = set()

        def loop(c):
            while not stop.is_set():
                for recs in c.poll(timeout_ms=100).values():
                    with lock:
                        seen.update((r.partition, r.offset) for r in recs)
                if commit_now.is_set() and c not in committed_by:
                    c.commit()
                    committed_by.add(c)
        threads = [threading.Thread(target=loop, args=(c,)) for c in (c1, c2)]
        for t in threads:
            t.start()
        try:
            def split():
                a1, a2 = c1.assignment(), c2.assignment()
                return len(a1) == 2 and len(a2) == 2 and not (a1 & a2) and len(seen) == 200
            wait_until(split, timeout=60, what="kafka-python split and consumption")
            commit_now.set()
            wait_until(lambda: len(committed_by) == 2, timeout=30, what="kafka-python commits")
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
        assert ("kpg", "consumer") in admin.list_consumer_groups()
        info = admin.describe_consumer_groups(["kpg"])[0]
        assert info.state == "Stable" and info.protocol == "range" and len(info.members) == 2
        offsets = admin.list_consumer_group_offsets("kpg")
        assert {tp.partition: om.offset for tp, om in offsets.items()} == {p: 50 for p in range(4)}
        assert admin.delete_consumer_groups(["kpg"]) == [("kpg", NonEmptyGroupError)]
        c1.close()
        c2.close()
        assert admin.describe_consumer_groups(["kpg"])[0].state == "Empty"
        assert admin.delete_consumer_groups(["kpg"]) == [("kpg", NoError)]
        assert ("kpg", "consumer") not in admin.list_consumer_groups()
        assert committed(b, "kpg", "kp", 4) == [-1001] * 4
        admin.close()


def test_kcat_balanced_consumer_commits_and_resumes():
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "kc", 2)
        produce(b, "kc", 2, 100)

        def kcat_group(count):
            r = subprocess.run(["kcat", "-b", b.bootstrap, "-G", "kcg", "kc", "-c", str(count),
                                "-q", "-f", "%s\n", "-X", "auto.offset.reset=earliest",
                                "-X", "heartbeat.interval.ms=300"],
                               capture_output=True, timeout=60)
            assert r.returncode == 0, r.stderr.decode()
            return r.stdout.decode().split()
        first = kcat_group(100)
        assert sorted(first) == sorted("m%d" % i for i in range(100))
        assert sum(committed(b, "kcg", "kc", 2)) == 100
        produce(b, "kc", 2, 10, prefix="n")
        assert sorted(kcat_group(10)) == sorted("n%d" % i for i in range(10))


def test_static_member_rejoins_without_rebalance():
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "st", 4)
        events = {"revoked": 0}

        def on_revoke(c, parts):
            events["revoked"] += 1
        pump = Pump()
        s1 = group_consumer(b, "static", **{"group.instance.id": "s1"})
        s1.subscribe(["st"])
        pump.add(s1)
        pump.wait_split([4], 4)
        s2 = group_consumer(b, "static", **{"group.instance.id": "s2"})
        s2.subscribe(["st"], on_revoke=on_revoke)
        pump.add(s2)
        pump.wait_split([2, 2], 4)
        before = pump.assignments()[0]
        revoked = events["revoked"]
        # A static member leaves no LeaveGroup behind: its replacement takes
        # over its member slot and its partitions, and nobody else notices.
        pump.remove(s1)
        s1.close()
        s1b = group_consumer(b, "static", **{"group.instance.id": "s1"})
        s1b.subscribe(["st"])
        pump.consumers.insert(0, s1b)
        pump.wait_split([2, 2], 4)
        assert pump.assignments()[0] == before
        for _ in range(10):
            pump.round()
        assert events["revoked"] == revoked, events
        for c in pump.consumers:
            c.close()


def test_dead_member_expires_and_group_rebalances():
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "exp", 6)
        pump = Pump()
        c = group_consumer(b, "expiry")
        c.subscribe(["exp"])
        pump.add(c)
        pump.wait_split([6], 6)
        # A raw member joins (the consumer, still the leader, assigns it half)
        # and then goes silent.
        raw = Raw(b)
        out = {}

        def joiner():
            err, gen, _, leader, mid, _ = join_dynamic(
                raw, "expiry", session=1500,
                protocols=(("range", subscription("exp")),))
            out["join"] = (err, gen, leader, mid)
            out["sync"] = sync(raw, "expiry", gen, mid)
        t = threading.Thread(target=joiner)
        t.start()
        wait_until(lambda: (pump.round(), len(c.assignment()) == 3)[1] and "sync" in out,
                   timeout=30, interval=0, what="rebalance to two members")
        t.join(10)
        err, gen, leader, mid = out["join"]
        assert err == NONE and leader != mid, out
        assert out["sync"][0] == NONE and len(out["sync"][1]) > 0, out
        wait_until(lambda: (pump.round(), len(c.assignment()) == 6)[1],
                   timeout=30, interval=0, what="expiry of the silent member")
        _, state, _, _, members = describe(raw, "expiry")
        assert state == "Stable" and mid not in members and len(members) == 1
        assert heartbeat(raw, "expiry", gen, mid) == UNKNOWN_MEMBER_ID
        raw.close()
        c.close()


def test_protocol_errors_over_the_wire():
    with Broker(BINARY, settings=SETTINGS) as b:
        create_topic(b, "wire", 2)
        create_topic(b, "other", 2)
        raw = Raw(b, client_id="wire-client")

        # FindCoordinator v4, batched: this node coordinates groups and transactions.
        body = i8(0) + carr([cs("g1"), cs("g2")]) + b"\x00"
        r = raw.call(10, 4, body, flexible=True)
        r.i32()
        coords = []
        for _ in range(r.uvar() - 1):
            coords.append((r.cs(), r.i32(), r.cs(), r.i32(), r.i16(), r.cs()))
            r.tags()
        assert [(k, port, e) for k, _, _, port, e, _ in coords] == \
            [("g1", b.port, NONE), ("g2", b.port, NONE)], coords
        r = raw.call(10, 4, i8(1) + carr([cs("tx")]) + b"\x00", flexible=True)
        r.i32()
        r.uvar()
        assert r.cs() == "tx" and r.i32() == 0
        r.cs()
        assert r.i32() == b.port
        assert r.i16() == NONE

        # JoinGroup v4+: a new dynamic member first gets its id.
        subscribed = (("range", subscription("wire")),)
        err, _, _, _, mid, _ = join(raw, "g", protocols=subscribed)
        assert err == MEMBER_ID_REQUIRED and mid.startswith("wire-client-"), (err, mid)
        err, gen, proto, leader, mid2, members = join(raw, "g", member=mid, protocols=subscribed)
        assert (err, gen, proto, leader, mid2) == (NONE, 1, "range", mid, mid)
        assert [m[0] for m in members] == [mid]
        # An unknown member id, and a protocol type that does not match.
        assert join(raw, "g", member="nobody")[0] == UNKNOWN_MEMBER_ID
        assert join(raw, "g", ptype="connect")[0] == INCONSISTENT_GROUP_PROTOCOL
        # Sync and heartbeat checks.
        assert sync(raw, "g", gen + 1, mid)[0] == ILLEGAL_GENERATION
        assert sync(raw, "g", gen, "nobody")[0] == UNKNOWN_MEMBER_ID
        assert sync(raw, "g", gen, mid, assignments=[(mid, b"abc")]) == (NONE, b"abc")
        assert heartbeat(raw, "g", gen, mid) == NONE
        assert heartbeat(raw, "g", gen - 1, mid) == ILLEGAL_GENERATION

        # Offsets: members of the current generation, or outsiders of an
        # Empty group only.
        assert commit(raw, "g", gen, mid, "wire", {0: 5, 1: 6}) == {0: NONE, 1: NONE}
        assert commit(raw, "g", gen + 1, mid, "wire", {0: 7}) == {0: ILLEGAL_GENERATION}
        assert commit(raw, "g", -1, "", "wire", {0: 7}) == {0: UNKNOWN_MEMBER_ID}
        assert commit(raw, "g", gen, mid, "missing", {0: 1}) == {0: 3}
        assert commit(raw, "g", gen, mid, "other", {0: 9}) == {0: NONE}
        assert fetch_offsets(raw, "g", "wire", [0, 1, 5]) == {0: 5, 1: 6, 5: -1}
        assert commit(raw, "simple", -1, "", "wire", {1: 42}) == {1: NONE}
        assert fetch_offsets(raw, "simple", "wire", [1]) == {1: 42}

        # OffsetDelete: not the offsets of a topic the group consumes.
        body = s16("g") + arr([s16(t) + arr([i32(0)]) for t in ("wire", "other")])
        r = raw.call(47, 0, body)
        assert r.i16() == NONE
        r.i32()
        res = {}
        for _ in range(r.i32()):
            t = r.s16()
            for _ in range(r.i32()):
                p = r.i32()
                res[(t, p)] = r.i16()
        assert res == {("wire", 0): GROUP_SUBSCRIBED_TO_TOPIC, ("other", 0): NONE}, res
        assert fetch_offsets(raw, "g", "other", [0]) == {0: -1}
        assert fetch_offsets(raw, "g", "wire", [0]) == {0: 5}

        # DeleteGroups: only empty groups.
        def delete_groups(*groups):
            r = raw.call(42, 1, arr([s16(g) for g in groups]))
            r.i32()
            return {r.s16(): r.i16() for _ in range(r.i32())}
        assert delete_groups("g", "nope") == {"g": NON_EMPTY_GROUP, "nope": GROUP_ID_NOT_FOUND}

        # ListGroups v4 with a states filter.
        def list_groups(*states):
            r = raw.call(16, 4, carr([cs(s) for s in states]) + b"\x00", flexible=True)
            r.i32()
            assert r.i16() == NONE
            out = {}
            for _ in range(r.uvar() - 1):
                gid, ptype, state = r.cs(), r.cs(), r.cs()
                r.tags()
                out[gid] = (ptype, state)
            return out
        assert list_groups("Stable") == {"g": ("consumer", "Stable")}
        assert list_groups("empty") == {"simple": ("", "Empty")}

        # Static membership: a second instance with the same id fences the first.
        err, sgen, _, _, s_old, _ = join(raw, "static", instance="i-1")
        assert err == NONE and s_old.startswith("i-1-")
        assert sync(raw, "static", sgen, s_old, "i-1", [(s_old, b"x")]) == (NONE, b"x")
        err, sgen2, _, leader, s_new, _ = join(raw, "static", instance="i-1")
        assert err == NONE and sgen2 == sgen and s_new != s_old and leader == s_old
        assert heartbeat(raw, "static", sgen, s_old, "i-1") == FENCED_INSTANCE_ID
        assert heartbeat(raw, "static", sgen, s_new, "i-1") == NONE
        assert sync(raw, "static", sgen, s_new, "i-1") == (NONE, b"x")

        # LeaveGroup v0 empties the group; then it can be deleted.
        r = raw.call(13, 0, s16("g") + s16(mid))
        assert r.i16() == NONE
        assert describe(raw, "g")[1] == "Empty"
        assert delete_groups("g") == {"g": NONE}
        assert describe(raw, "g")[1] == "Dead"
        assert fetch_offsets(raw, "g", "wire", [0]) == {0: -1}

        # A malformed body closes the connection; the broker carries on.
        try:
            raw.call(11, 5, b"\x00\x05abc")
            raise AssertionError("a malformed JoinGroup was answered")
        except (ConnectionError, OSError, struct.error):
            pass
        raw.close()
        raw = Raw(b)
        assert fetch_offsets(raw, "simple", "wire", [1]) == {1: 42}
        raw.close()


def test_shutdown_answers_a_waiting_join():
    b = Broker(BINARY, settings=SETTINGS)
    try:
        b.start()
        first, second = Raw(b), Raw(b)
        err, gen, _, _, m1, _ = join_dynamic(first, "slow", session=20000)
        assert err == NONE and sync(first, "slow", gen, m1)[0] == NONE
        out = {}

        def joiner():
            try:
                out["join"] = join_dynamic(second, "slow", session=20000)
            except (ConnectionError, OSError) as e:
                out["join"] = e
        t = threading.Thread(target=joiner)
        t.start()
        # The second join waits for the first member to rejoin (up to 20 s).
        wait_until(lambda: describe(first, "slow")[1] == "PreparingRebalance", timeout=10,
                   what="rebalance")
        time.sleep(0.2)
        started = time.monotonic()
        assert b.stop() == 0
        assert time.monotonic() - started < 8
        t.join(10)
        assert not isinstance(out["join"], Exception) and out["join"][0] == NOT_COORDINATOR, out
        first.close()
        second.close()
    finally:
        b.cleanup()


if __name__ == "__main__":
    run([
        test_confluent_group_rebalances_commits_and_resumes,
        test_committed_offsets_survive_kill_9,
        test_kafka_python_group_and_admin,
        test_kcat_balanced_consumer_commits_and_resumes,
        test_static_member_rejoins_without_rebalance,
        test_dead_member_expires_and_group_rebalances,
        test_protocol_errors_over_the_wire,
        test_shutdown_answers_a_waiting_join,
    ])
