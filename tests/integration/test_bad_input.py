"""Bad input over raw sockets: oversized and malformed frames, unknown APIs
and versions, corrupt record batches, idle connections. Each closes (or gets
an error on) only its own connection; the broker keeps serving others."""

import os
import socket
import struct
import subprocess
import time

from harness import BINARY, Broker, run, wait_until


def connect(b):
    s = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    return s


def send_frame(s, body):
    s.sendall(struct.pack(">i", len(body)) + body)


def recv_frame(s):
    hdr = b""
    while len(hdr) < 4:
        chunk = s.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    (n,) = struct.unpack(">i", hdr)
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def closed_by_peer(s, timeout=10):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def header(api_key, version, corr, client=b"t"):
    return struct.pack(">hhih", api_key, version, corr, len(client)) + client


def still_serving(b):
    r = subprocess.run(["kcat", "-b", b.bootstrap, "-L"], capture_output=True, timeout=30)
    return r.returncode == 0 and b"1 brokers" in r.stdout


def test_oversized_frame_closes_only_that_connection():
    with Broker(BINARY, settings={"socket.request.max.bytes": 1048576}) as b:
        s = connect(b)
        s.sendall(struct.pack(">i", 50 * 1024 * 1024))
        assert closed_by_peer(s)
        assert still_serving(b)
        assert "socket.request.max.bytes" in b.tail()


def test_malformed_and_garbage_frames_close_the_connection():
    with Broker(BINARY) as b:
        for payload in [struct.pack(">i", 3) + b"abc",           # shorter than a header
                        struct.pack(">i", 12) + b"\x00\x03\x00\x09" + b"\xff" * 8,  # bad client id
                        # Garbage whose size prefix is negative: a random one is a
                        # valid size (up to 100 MiB) one time in forty, and the
                        # broker rightly waits for the rest of that frame.
                        b"\x80" + os.urandom(4095)]:
            s = connect(b)
            s.sendall(payload)
            assert closed_by_peer(s), payload[:16]
        assert still_serving(b)


def test_unknown_api_key_closes_the_connection():
    with Broker(BINARY) as b:
        s = connect(b)
        send_frame(s, header(999, 0, 1))
        assert closed_by_peer(s)
        assert still_serving(b)


def test_api_versions_at_unknown_version_answers_v0_with_our_list():
    with Broker(BINARY) as b:
        s = connect(b)
        send_frame(s, header(18, 99, 7) + b"\x00" * 8)
        resp = recv_frame(s)
        corr, err, n = struct.unpack(">ihi", resp[:10])
        assert corr == 7 and err == 35 and n >= 20, (corr, err, n)
        keys = {struct.unpack(">hhh", resp[10 + 6 * i: 16 + 6 * i])[0] for i in range(n)}
        assert {0, 1, 3, 18} <= keys


def produce_v3(topic, records, corr=5, acks=-1):
    body = struct.pack(">h", -1)                      # transactional id: null
    body += struct.pack(">hi", acks, 30000)
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    body += struct.pack(">i", 1) + struct.pack(">i", 0)
    body += struct.pack(">i", len(records)) + records
    return header(0, 3, corr) + body


def parse_produce_v3_error(resp):
    # corr, [topic [partition error base_offset log_append_time]] throttle
    off = 4
    (nt,) = struct.unpack(">i", resp[off:off + 4]); off += 4
    (tl,) = struct.unpack(">h", resp[off:off + 2]); off += 2 + tl
    (np,) = struct.unpack(">i", resp[off:off + 4]); off += 4
    part, err = struct.unpack(">ih", resp[off:off + 6])
    return err


def test_corrupt_batch_gets_corrupt_message_and_nothing_is_stored():
    with Broker(BINARY) as b:
        subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "bad"], input=b"ok\n",
                       check=True, timeout=30)
        # A minimal v2 batch with a wrong CRC.
        batch = bytearray(struct.pack(">qiibIhiqqqhii", 0, 49 + 10, -1, 2, 0, 0, 0, 0, 0, -1, -1,
                                      -1, 1))
        batch += bytes([20, 0, 0, 0, 1, 2, ord("k"), 2, ord("v"), 0])
        s = connect(b)
        send_frame(s, produce_v3(b"bad", bytes(batch)))
        err = parse_produce_v3_error(recv_frame(s))
        assert err == 2, err  # CORRUPT_MESSAGE
        send_frame(s, produce_v3(b"bad", b"\x00" * 10, corr=6))
        err = parse_produce_v3_error(recv_frame(s))
        assert err in (2, 87), err  # not one whole batch
        out = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "bad", "-e", "-q",
                              "-o", "beginning"], capture_output=True, timeout=30).stdout
        assert out == b"ok\n", out


def test_acks_zero_gets_no_response_and_order_is_kept():
    with Broker(BINARY) as b:
        subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "a0"], input=b"x\n",
                       check=True, timeout=30)
        # One record: length 8, attributes, timestamp delta, offset delta,
        # key "k", value "v", no headers (zig-zag varints).
        record = bytes([16, 0, 0, 0, 2, ord("k"), 2, ord("v"), 0])
        batch = bytearray(struct.pack(">qiibIhiqqqhii", 0, 49 + len(record), -1, 2, 0, 0, 0, 0, 0,
                                      -1, -1, -1, 1))
        batch += record

        def crc32c(data):
            crc = 0xFFFFFFFF
            for byte in data:
                crc ^= byte
                for _ in range(8):
                    crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
            return crc ^ 0xFFFFFFFF

        struct.pack_into(">I", batch, 17, crc32c(bytes(batch[21:])))
        s = connect(b)
        send_frame(s, produce_v3(b"a0", bytes(batch), corr=41, acks=0))
        send_frame(s, header(18, 0, 42))
        resp = recv_frame(s)
        assert struct.unpack(">i", resp[:4])[0] == 42  # no response to 41
        out = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "a0", "-e", "-q", "-o",
                              "beginning", "-f", "%k=%s\n"], capture_output=True,
                             timeout=30).stdout
        assert out == b"=x\nk=v\n", out


def test_old_produce_versions_get_unsupported_version():
    with Broker(BINARY) as b:
        s = connect(b)
        body = struct.pack(">hi", 1, 1000) + struct.pack(">i", 1) + struct.pack(">h", 1) + b"x"
        body += struct.pack(">i", 1) + struct.pack(">ii", 0, 0)
        send_frame(s, header(0, 2, 9) + body)
        resp = recv_frame(s)
        assert resp is not None
        assert parse_produce_v3_error(resp) == 35


def test_idle_connections_are_closed():
    with Broker(BINARY, settings={"connections.max.idle.ms": 500}) as b:
        s = connect(b)
        t0 = time.monotonic()
        assert closed_by_peer(s, timeout=20)
        assert time.monotonic() - t0 < 15
        assert still_serving(b)


def test_thousands_of_concurrent_connections():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    n = min(3000, want - 200)
    assert n >= 1000, "cannot open enough descriptors for the test (limit %d)" % want
    with Broker(BINARY) as b:
        socks = [connect(b) for _ in range(n)]
        # Every connection pipelines two requests before reading anything.
        for i, s in enumerate(socks):
            send_frame(s, header(18, 0, 2 * i))
            send_frame(s, header(18, 1, 2 * i + 1) + b"")
        for i, s in enumerate(socks):
            a, c = recv_frame(s), recv_frame(s)
            assert struct.unpack(">i", a[:4])[0] == 2 * i
            assert struct.unpack(">i", c[:4])[0] == 2 * i + 1  # in request order
        assert still_serving(b)
        for s in socks:
            s.close()


if __name__ == "__main__":
    run([test_oversized_frame_closes_only_that_connection,
         test_malformed_and_garbage_frames_close_the_connection,
         test_unknown_api_key_closes_the_connection,
         test_api_versions_at_unknown_version_answers_v0_with_our_list,
         test_corrupt_batch_gets_corrupt_message_and_nothing_is_stored,
         test_old_produce_versions_get_unsupported_version,
         test_acks_zero_gets_no_response_and_order_is_kept,
         test_idle_connections_are_closed,
         test_thousands_of_concurrent_connections])
