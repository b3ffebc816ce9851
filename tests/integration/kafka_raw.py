"""A few Kafka requests written by hand, for tests that must send exactly
what a client library would not (a produce that arrives after its
transaction ended) or that call APIs the installed libraries lack
(ListTransactions, DescribeTransactions).

Only what the tests need: classic (non-flexible) request header v1 for the
older versions, header v2 with compact encodings for the flexible ones, and
Kafka v2 record batches with CRC-32C.
"""

import socket
import struct


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _varint(n):
    n = (n << 1) ^ (n >> 63)  # zig-zag
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(records, producer_id=-1, epoch=-1, base_sequence=-1, transactional=False,
                 timestamp=0):
    """A v2 batch of (key, value) byte pairs, base offset 0."""
    body = b""
    for i, (k, v) in enumerate(records):
        r = b"\x00" + _varint(0) + _varint(i)
        r += _varint(len(k)) + k if k is not None else _varint(-1)
        r += _varint(len(v)) + v if v is not None else _varint(-1)
        r += _varint(0)
        body += _varint(len(r)) + r
    attributes = 0x10 if transactional else 0
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, timestamp, timestamp,
                            producer_id, epoch, base_sequence, len(records)) + body
    crc = crc32c(after_crc)
    rest = struct.pack(">ibI", -1, 2, crc) + after_crc  # leader epoch, magic, crc
    return struct.pack(">qi", 0, len(rest)) + rest


class Conn:
    """One connection; request() sends a body and returns the response body."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.corr = 0

    def close(self):
        self.s.close()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the broker")
            data += chunk
        return data

    def request(self, api_key, version, body, flexible=False):
        self.corr += 1
        client = b"raw"
        hdr = struct.pack(">hhih", api_key, version, self.corr, len(client)) + client
        if flexible:
            hdr += b"\x00"  # header tags
        frame = hdr + body
        self.s.sendall(struct.pack(">i", len(frame)) + frame)
        (n,) = struct.unpack(">i", self._recv(4))
        resp = self._recv(n)
        (corr,) = struct.unpack(">i", resp[:4])
        assert corr == self.corr, (corr, self.corr)
        # Response header v1 (flexible) has tags after the correlation id;
        # ApiVersions is the exception, and not used here.
        return resp[5:] if flexible else resp[4:]


def _str(s):
    return struct.pack(">h", len(s)) + s


def _nullable_str(s):
    return struct.pack(">h", -1) if s is None else _str(s)


def _cstr(s):
    return _uvarint(len(s) + 1) + s


def init_producer_id(conn, transactional_id, timeout_ms=60000):
    """InitProducerId v1: (error, producer_id, epoch)."""
    body = _nullable_str(transactional_id) + struct.pack(">i", timeout_ms)
    r = conn.request(22, 1, body)
    _, err, pid, epoch = struct.unpack(">ihqh", r[:16])
    return err, pid, epoch


def add_partitions_to_txn(conn, transactional_id, pid, epoch, topic, partitions):
    """AddPartitionsToTxn v1: the error of each partition, in order."""
    body = _str(transactional_id) + struct.pack(">qh", pid, epoch)
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", p) for p in partitions)
    r = conn.request(24, 1, body)
    off = 4 + 4  # throttle, topic count
    (tl,) = struct.unpack(">h", r[off:off + 2])
    off += 2 + tl
    (n,) = struct.unpack(">i", r[off:off + 4])
    off += 4
    errs = []
    for _ in range(n):
        _, e = struct.unpack(">ih", r[off:off + 6])
        off += 6
        errs.append(e)
    return errs


def add_offsets_to_txn(conn, transactional_id, pid, epoch, group):
    """AddOffsetsToTxn v1: the error code."""
    body = _str(transactional_id) + struct.pack(">qh", pid, epoch) + _str(group)
    r = conn.request(25, 1, body)
    _, err = struct.unpack(">ih", r[:6])
    return err


def txn_offset_commit(conn, transactional_id, group, pid, epoch, topic, offsets):
    """TxnOffsetCommit v1, `offsets` a list of (partition, offset, metadata):
    the error of each partition, in order."""
    body = _str(transactional_id) + _str(group) + struct.pack(">qh", pid, epoch)
    body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", len(offsets))
    for p, o, md in offsets:
        body += struct.pack(">iq", p, o) + _nullable_str(md)
    r = conn.request(28, 1, body)
    off = 4 + 4  # throttle, topic count
    (tl,) = struct.unpack(">h", r[off:off + 2])
    off += 2 + tl
    (n,) = struct.unpack(">i", r[off:off + 4])
    off += 4
    errs = []
    for _ in range(n):
        _, e = struct.unpack(">ih", r[off:off + 6])
        off += 6
        errs.append(e)
    return errs


def end_txn(conn, transactional_id, pid, epoch, commit):
    """EndTxn v1: the error code."""
    body = _str(transactional_id) + struct.pack(">qhb", pid, epoch, 1 if commit else 0)
    r = conn.request(26, 1, body)
    _, err = struct.unpack(">ih", r[:6])
    return err


def produce(conn, topic, partition, batch, transactional_id=None, acks=-1):
    """Produce v3 of one batch to one partition: (error, base_offset)."""
    body = _nullable_str(transactional_id) + struct.pack(">hi", acks, 30000)
    body += struct.pack(">i", 1) + _str(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", partition)
    body += struct.pack(">i", len(batch)) + batch
    r = conn.request(0, 3, body)
    off = 4
    (tl,) = struct.unpack(">h", r[off:off + 2])
    off += 2 + tl + 4
    _, err, base = struct.unpack(">ihq", r[off:off + 14])
    return err, base


def list_transactions(conn, states=()):
    """ListTransactions v0: (error, [(transactional_id, producer_id, state)])."""
    body = _uvarint(len(states) + 1) + b"".join(_cstr(s) for s in states)
    body += _uvarint(1) + b"\x00"  # no producer id filters; tags
    r = conn.request(66, 0, body, flexible=True)
    off = 4
    (err,) = struct.unpack(">h", r[off:off + 2])
    off += 2
    n, off = _read_uvarint(r, off)
    for _ in range(n - 1):
        ln, off = _read_uvarint(r, off)
        off += ln - 1
    n, off = _read_uvarint(r, off)
    out = []
    for _ in range(n - 1):
        ln, off = _read_uvarint(r, off)
        tid = r[off:off + ln - 1]
        off += ln - 1
        (pid,) = struct.unpack(">q", r[off:off + 8])
        off += 8
        ln, off = _read_uvarint(r, off)
        state = r[off:off + ln - 1]
        off += ln - 1 + 1  # tags
        out.append((tid.decode(), pid, state.decode()))
    return err, out


def describe_transaction(conn, transactional_id):
    """DescribeTransactions v0 of one id: (error, state, producer_id, epoch, {topic: [parts]})."""
    body = _uvarint(2) + _cstr(transactional_id) + b"\x00"
    r = conn.request(65, 0, body, flexible=True)
    off = 4
    n, off = _read_uvarint(r, off)
    assert n == 2, n
    (err,) = struct.unpack(">h", r[off:off + 2])
    off += 2
    ln, off = _read_uvarint(r, off)
    off += ln - 1
    ln, off = _read_uvarint(r, off)
    state = r[off:off + ln - 1].decode()
    off += ln - 1
    _, _, pid, epoch = struct.unpack(">iqqh", r[off:off + 22])
    off += 22
    topics = {}
    n, off = _read_uvarint(r, off)
    for _ in range(n - 1):
        ln, off = _read_uvarint(r, off)
        t = r[off:off + ln - 1].decode()
        off += ln - 1
        k, off = _read_uvarint(r, off)
        parts = [struct.unpack(">i", r[off + 4 * i: off + 4 * i + 4])[0] for i in range(k - 1)]
        off += 4 * (k - 1) + 1
        topics[t] = parts
    return err, state, pid, epoch, topics


def _read_uvarint(b, off):
    n = shift = 0
    while True:
        x = b[off]
        off += 1
        n |= (x & 0x7F) << shift
        if not x & 0x80:
            return n, off
        shift += 7
