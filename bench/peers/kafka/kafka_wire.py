"""A minimal Kafka wire-protocol client written from the protocol spec, with
no Kafka library underneath: it encodes the requests and decodes the
responses of the messages in kafka_messages.py, field by field, so that a
test sees exactly what a broker sent (the differential conformance test
compares runnel's answers with Apache Kafka's this way). Also builds and
parses v2 record batches.

    with Connection(port) as c:
        resp = c.call("Metadata", 12, {"topics": None, ...})

Values are dicts keyed by the spec's field names in snake_case; arrays are
lists; a nullable field is None. Fields missing from a request dict take
their type's zero value (0, "", False, [], None for nullable types).
"""

import socket
import struct
import uuid as uuidlib

from kafka_messages import API_KEYS, request_schema, response_schema, is_flexible

# ---- primitives -----------------------------------------------------------


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(n):
    return uvarint((n << 1) ^ (n >> 63))


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated: need %d bytes at %d of %d" % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))[0]

    def uvarint(self):
        shift = result = 0
        while True:
            b = self.take(1)[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def varint(self):
        n = self.uvarint()
        return (n >> 1) ^ -(n & 1)

    def remaining(self):
        return len(self.data) - self.pos


FIXED = {"int8": ">b", "int16": ">h", "uint16": ">H", "int32": ">i", "int64": ">q",
         "float64": ">d"}


def _zero(t):
    if isinstance(t, tuple):
        return None if t[0] == "narray" else []
    if t in FIXED:
        return 0
    return {"bool": False, "string": "", "uuid": "00000000-0000-0000-0000-000000000000",
            "bytes": b""}.get(t)


def encode(schema, value, flexible):
    """schema: a list of (name, type) pairs. type: a primitive name, or
    ("array"|"narray", element) where element is a primitive name or a
    schema list."""
    out = bytearray()
    for name, t in schema:
        v = value.get(name, _zero(t)) if isinstance(value, dict) else value
        out += _encode_value(t, v, flexible)
    if flexible:
        out += b"\x00"  # no tagged fields
    return bytes(out)


def _encode_len(n, flexible):
    # n = -1 is null
    return uvarint(n + 1) if flexible else struct.pack(">i", n)


def _encode_value(t, v, flexible):
    if isinstance(t, tuple):
        kind, elem = t
        if v is None:
            if kind != "narray":
                raise ValueError("null for a non-nullable array")
            return _encode_len(-1, flexible)
        out = bytearray(_encode_len(len(v), flexible))
        for item in v:
            if isinstance(elem, list):
                out += encode(elem, item, flexible)
            else:
                out += _encode_value(elem, item, flexible)
        return bytes(out)
    if t in FIXED:
        return struct.pack(FIXED[t], v)
    if t == "bool":
        return b"\x01" if v else b"\x00"
    if t == "uuid":
        return uuidlib.UUID(v).bytes
    if t in ("string", "nstring"):
        if v is None:
            if t == "string":
                raise ValueError("null for a non-nullable string")
            return uvarint(0) if flexible else struct.pack(">h", -1)
        b = v.encode()
        return (uvarint(len(b) + 1) if flexible else struct.pack(">h", len(b))) + b
    if t in ("bytes", "nbytes", "records"):
        if v is None:
            return _encode_len(-1, flexible)
        return _encode_len(len(v), flexible) + bytes(v)
    raise ValueError("unknown type %r" % (t,))


def decode(schema, r, flexible):
    out = {}
    for name, t in schema:
        out[name] = _decode_value(t, r, flexible)
    if flexible:
        _skip_tagged(r)
    return out


def _skip_tagged(r):
    for _ in range(r.uvarint()):
        r.uvarint()  # tag
        r.take(r.uvarint())


def _decode_len(r, flexible):
    return r.uvarint() - 1 if flexible else r.unpack(">i")


def _decode_value(t, r, flexible):
    if isinstance(t, tuple):
        _kind, elem = t
        n = _decode_len(r, flexible)
        if n < 0:
            return None
        if isinstance(elem, list):
            return [decode(elem, r, flexible) for _ in range(n)]
        return [_decode_value(elem, r, flexible) for _ in range(n)]
    if t in FIXED:
        return r.unpack(FIXED[t])
    if t == "bool":
        return r.take(1) != b"\x00"
    if t == "uuid":
        return str(uuidlib.UUID(bytes=bytes(r.take(16))))
    if t in ("string", "nstring"):
        n = r.uvarint() - 1 if flexible else r.unpack(">h")
        return None if n < 0 else r.take(n).decode()
    if t in ("bytes", "nbytes", "records"):
        n = _decode_len(r, flexible)
        return None if n < 0 else bytes(r.take(n))
    raise ValueError("unknown type %r" % (t,))


# ---- connection -----------------------------------------------------------


class Connection:
    """One TCP connection; call() sends a request and waits for its answer."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0, client_id="kafka-wire"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation = 0
        self.client_id = client_id

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv_raw(self):
        size = struct.unpack(">i", self._recv_exact(4))[0]
        return self._recv_exact(size)

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            buf += chunk
        return bytes(buf)

    def request_bytes(self, api, version, body):
        key = API_KEYS[api]
        flexible = is_flexible(api, version)
        self.correlation += 1
        header = struct.pack(">hhi", key, version, self.correlation)
        header += _encode_value("nstring", self.client_id, False)
        if flexible:
            header += b"\x00"
        return header + encode(request_schema(api, version), body, flexible)

    def call(self, api, version, body, expect_response=True):
        self.send_raw(self.request_bytes(api, version, body))
        if not expect_response:
            return None
        return self.read_response(api, version)

    def read_response(self, api, version):
        r = Reader(self.recv_raw())
        correlation = r.unpack(">i")
        if correlation != self.correlation:
            raise ValueError("correlation id %d, expected %d" % (correlation, self.correlation))
        flexible = is_flexible(api, version)
        # ApiVersions answers with header v0 whatever its version, so that a
        # client that sent a version the broker does not know can read it.
        if flexible and api != "ApiVersions":
            _skip_tagged(r)
        resp = decode(response_schema(api, version), r, flexible)
        if r.remaining():
            raise ValueError("%s v%d: %d bytes left after the response" % (api, version, r.remaining()))
        return resp


def metadata_brokers(port):
    """Node ids of the brokers a broker's metadata lists, or None."""
    with Connection(port, timeout=5.0) as c:
        resp = c.call("Metadata", 12, {"topics": []})
    return [b["node_id"] for b in resp["brokers"]]


# ---- record batches (magic 2) ----------------------------------------------

_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record_batch(records, base_timestamp, producer_id=-1, producer_epoch=-1, base_sequence=-1,
                 attributes=0, timestamps=None, base_offset=0, crc=None):
    """records: a list of (key, value) bytes (either may be None).
    timestamps: per-record absolute timestamps (default: all base_timestamp)."""
    timestamps = timestamps or [base_timestamp] * len(records)
    first_ts = min(timestamps)
    body = bytearray()
    for i, (k, v) in enumerate(records):
        rec = bytearray(b"\x00")  # attributes
        rec += varint(timestamps[i] - first_ts) + varint(i)
        rec += varint(-1) if k is None else varint(len(k)) + k
        rec += varint(-1) if v is None else varint(len(v)) + v
        rec += varint(0)  # headers
        body += varint(len(rec)) + rec
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, first_ts, max(timestamps),
                            producer_id, producer_epoch, base_sequence, len(records)) + bytes(body)
    if crc is None:
        crc = crc32c(after_crc)
    after_length = struct.pack(">ibI", 0, 2, crc) + after_crc  # leader epoch, magic, crc
    return struct.pack(">qi", base_offset, len(after_length)) + after_length


def parse_batches(data):
    """Batch headers (and the records' offsets and timestamps) of a fetch's
    records; a partial batch at the end (fetch size) is left out."""
    out = []
    r = Reader(data or b"")
    while r.remaining() >= 12:
        base_offset = r.unpack(">q")
        length = r.unpack(">i")
        if length > r.remaining():
            break
        b = Reader(r.take(length))
        leader_epoch = b.unpack(">i")
        magic = b.unpack(">b")
        crc = b.unpack(">I")
        attributes, last_delta, first_ts, max_ts, pid, epoch, seq, count = struct.unpack(
            ">hiqqqhii", b.take(40))
        batch = {"base_offset": base_offset, "partition_leader_epoch": leader_epoch, "magic": magic,
                 "crc_ok": crc == crc32c(b.data[9:]), "attributes": attributes,
                 "last_offset_delta": last_delta, "first_timestamp": first_ts,
                 "max_timestamp": max_ts, "producer_id": pid, "producer_epoch": epoch,
                 "base_sequence": seq, "count": count, "records": []}
        if attributes & 0x7 == 0:  # uncompressed: read the records too
            for _ in range(count):
                b.varint()  # length
                b.take(1)
                ts_delta = b.varint()
                off_delta = b.varint()
                klen = b.varint()
                key = None if klen < 0 else bytes(b.take(klen))
                vlen = b.varint()
                value = None if vlen < 0 else bytes(b.take(vlen))
                for _h in range(b.varint()):
                    b.take(b.varint())
                    hl = b.varint()
                    if hl > 0:
                        b.take(hl)
                batch["records"].append({"offset": base_offset + off_delta,
                                         "timestamp": first_ts + ts_delta,
                                         "key": key, "value": value})
        out.append(batch)
    return out
