"""kcat (librdkafka) against runnel: produce, consume, keys, headers, metadata,
offsets, a clean restart and a crash."""

import subprocess

from harness import BINARY, Broker, run


def kcat(broker, *args, input=None, timeout=60):
    r = subprocess.run(["kcat", "-b", broker.bootstrap, *args], input=input,
                       capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("kcat %s failed: %s\n%s" % (args, r.stderr.decode(), broker.tail()))
    return r.stdout.decode()


def consume_all(broker, topic, fmt="%k=%s\n"):
    return kcat(broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt)


def test_produce_consume_with_keys_and_headers():
    with Broker(BINARY) as b:
        lines = "".join("k%d:v%d\n" % (i % 3, i) for i in range(500))
        kcat(b, "-P", "-t", "plain", "-K", ":", "-H", "h1=x", input=lines.encode())
        out = consume_all(b, "plain")
        assert out == "".join("k%d=v%d\n" % (i % 3, i) for i in range(500)), out[:200]
        hdr = kcat(b, "-C", "-t", "plain", "-o", "beginning", "-c", "1", "-q", "-f", "%h")
        assert hdr == "h1=x", hdr


def test_metadata_lists_the_broker_and_topics():
    with Broker(BINARY, settings={"num.partitions": 4}) as b:
        kcat(b, "-P", "-t", "four", input=b"x\n")
        md = kcat(b, "-L", "-t", "four")
        assert "1 brokers" in md and "broker 0 at %s" % b.bootstrap in md, md
        assert 'topic "four" with 4 partitions' in md, md


def test_consume_from_offset_and_tail():
    with Broker(BINARY) as b:
        kcat(b, "-P", "-t", "off", input="".join("m%d\n" % i for i in range(100)).encode())
        out = kcat(b, "-C", "-t", "off", "-o", "90", "-e", "-q", "-f", "%o:%s\n")
        assert out.splitlines()[0] == "90:m90" and len(out.splitlines()) == 10, out
        out = kcat(b, "-C", "-t", "off", "-o", "-5", "-e", "-q", "-f", "%s\n")
        assert out.split() == ["m95", "m96", "m97", "m98", "m99"], out


def test_compressed_batches_round_trip():
    with Broker(BINARY) as b:
        for codec in ["gzip", "snappy", "lz4", "zstd"]:
            topic = "c-" + codec
            data = "".join("%s-%d\n" % (codec, i) for i in range(300))
            kcat(b, "-P", "-t", topic, "-z", codec, input=data.encode())
            assert consume_all(b, topic, "%s\n") == data, codec


def test_data_survives_clean_restart_and_kill():
    with Broker(BINARY) as b:
        kcat(b, "-P", "-t", "durable", "-X", "acks=all",
             input="".join("d%d\n" % i for i in range(1000)).encode())
        b.restart()
        assert consume_all(b, "durable", "%s\n").split() == ["d%d" % i for i in range(1000)]
        kcat(b, "-P", "-t", "durable", "-X", "acks=all", input=b"after\n")
        b.kill()
        b.start()
        out = consume_all(b, "durable", "%s\n").split()
        assert out[-1] == "after" and len(out) == 1001, out[-3:]


if __name__ == "__main__":
    run([test_produce_consume_with_keys_and_headers, test_metadata_lists_the_broker_and_topics,
         test_consume_from_offset_and_tail, test_compressed_batches_round_trip,
         test_data_survives_clean_restart_and_kill])
