"""The runnel client commands (topic, produce, consume, group) against a real
broker: what they print, what they change, and that every failure is one line
on stderr with a non-zero exit."""

import json
import select
import signal
import subprocess
import time

from harness import BINARY, Broker, run, wait_until


def cli(broker, *args, input=None, ok=True, timeout=60):
    """Runs `runnel ARGS --brokers B`; checks the exit status; returns stdout."""
    brokers = ["--brokers", broker.bootstrap] if broker else []
    r = subprocess.run([BINARY, *args, *brokers], input=input, capture_output=True,
                       timeout=timeout)
    out, err = r.stdout.decode(), r.stderr.decode()
    if ok and r.returncode != 0:
        raise AssertionError("runnel %s failed (%d): %s\n%s" % (
            " ".join(args), r.returncode, err, broker.tail() if broker else ""))
    if not ok:
        assert r.returncode != 0, "runnel %s should have failed:\n%s" % (" ".join(args), out)
        lines = err.splitlines()
        assert len(lines) == 1, "expected one error line, got: %r" % err
        return lines[0]
    return out


def cli_json(broker, *args):
    return json.loads(cli(broker, *args, "--format", "json"))


def consume_json(broker, topic, *args):
    out = cli(broker, "consume", topic, "--format", "json", *args)
    return [json.loads(line) for line in out.splitlines()]


def now_ms():
    return int(time.time() * 1000)


def test_topic_create_list_describe_delete():
    with Broker(BINARY) as b:
        assert "created topic orders" in cli(b, "topic", "create", "orders", "--partitions", "3",
                                             "--config", "retention.ms=3600000",
                                             "--replication-factor", "1")
        rows = [line.split() for line in cli(b, "topic", "list").splitlines()]
        assert rows[0] == ["NAME", "PARTITIONS", "REPLICAS"], rows
        assert ["orders", "3", "1"] in rows, rows
        listed = {t["name"]: t for t in cli_json(b, "topic", "list")}
        assert listed["orders"]["partitions"] == 3, listed

        d = cli_json(b, "topic", "describe", "orders")
        assert d["name"] == "orders"
        assert [p["partition"] for p in d["partitions"]] == [0, 1, 2], d
        assert all(p["start_offset"] == 0 and p["end_offset"] == 0 for p in d["partitions"]), d
        configs = {c["name"]: c for c in d["configs"]}
        assert configs["retention.ms"]["value"] == "3600000", configs["retention.ms"]
        assert configs["retention.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG", configs["retention.ms"]
        assert configs["cleanup.policy"]["source"] != "DYNAMIC_TOPIC_CONFIG"

        text = cli(b, "topic", "describe", "orders")
        assert "topic orders: 3 partitions" in text, text
        assert any(line.split()[:2] == ["retention.ms", "3600000"] for line in text.splitlines())

        # The end offsets follow what was written.
        cli(b, "produce", "orders", "--partition", "1", input=b"a\nb\n")
        d = cli_json(b, "topic", "describe", "orders")
        assert [p["end_offset"] for p in d["partitions"]] == [0, 2, 0], d

        err = cli(b, "topic", "create", "orders", "--partitions", "3", ok=False)
        assert "already exists" in err, err

        assert "deleted topic orders" in cli(b, "topic", "delete", "orders")
        assert "orders" not in [t["name"] for t in cli_json(b, "topic", "list")]
        err = cli(b, "topic", "describe", "orders", ok=False)
        assert "orders does not exist" in err, err
        err = cli(b, "topic", "delete", "orders", ok=False)
        assert "orders" in err, err


def test_topic_alter_config():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "cfg", "--partitions", "1", "--config", "segment.ms=600000")
        cli(b, "topic", "alter-config", "cfg", "--set", "retention.ms=1000",
            "--set", "cleanup.policy=compact")

        def dynamic():
            d = cli_json(b, "topic", "describe", "cfg")
            return {c["name"]: c["value"] for c in d["configs"]
                    if c["source"] == "DYNAMIC_TOPIC_CONFIG"}

        assert dynamic() == {"segment.ms": "600000", "retention.ms": "1000",
                             "cleanup.policy": "compact"}, dynamic()
        cli(b, "topic", "alter-config", "cfg", "--delete", "retention.ms",
            "--set", "segment.ms=700000")
        assert dynamic() == {"segment.ms": "700000", "cleanup.policy": "compact"}, dynamic()

        err = cli(b, "topic", "alter-config", "cfg", "--delete", "retention.ms", ok=False)
        assert "retention.ms is not set" in err, err
        err = cli(b, "topic", "alter-config", "cfg", "--set", "no.such.config=1", ok=False)
        assert "no.such.config" in err, err
        err = cli(b, "topic", "alter-config", "cfg", "--set", "retention.ms=soon", ok=False)
        assert "cfg" in err, err
        err = cli(b, "topic", "alter-config", "cfg", "--set", "retention.ms", ok=False)
        assert "name=value" in err, err
        # Nothing above changed anything.
        assert dynamic() == {"segment.ms": "700000", "cleanup.policy": "compact"}, dynamic()


def test_produce_keys_and_headers_then_consume_json():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "kv", "--partitions", "3")
        lines = "".join("k%d:v%d\n" % (i % 4, i) for i in range(200))
        cli(b, "produce", "kv", "--key-separator", ":", "--header", "src=cli",
            "--header", "n=1", "--acks", "all", input=lines.encode())
        msgs = consume_json(b, "kv", "--from-beginning", "--exit-at-end")
        assert len(msgs) == 200, len(msgs)
        assert {m["topic"] for m in msgs} == {"kv"}
        assert all(m["headers"] == [{"key": "src", "value": "cli"}, {"key": "n", "value": "1"}]
                   for m in msgs), msgs[0]
        assert all(m["timestamp"] > 0 for m in msgs)
        # Each key lives in one partition, in the order it was produced.
        by_key = {}
        for m in msgs:
            by_key.setdefault(m["key"], []).append(m)
        assert sorted(by_key) == ["k0", "k1", "k2", "k3"], sorted(by_key)
        for key, ms in by_key.items():
            assert len({m["partition"] for m in ms}) == 1, key
            assert [m["value"] for m in ms] == ["v%d" % i for i in range(200) if "k%d" % (i % 4) == key]
            assert [m["offset"] for m in ms] == sorted(m["offset"] for m in ms)

        # A value may hold the separator; only the first one splits.
        cli(b, "produce", "kv", "-K", "=", "--partition", "0", input=b"a=b=c\n")
        last = consume_json(b, "kv", "--partition", "0", "--from-beginning", "--exit-at-end")[-1]
        assert (last["key"], last["value"], last["headers"]) == ("a", "b=c", []), last


def test_consume_positions_and_limits():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "pos", "--partitions", "1")
        cli(b, "produce", "pos", input="".join("m%d\n" % i for i in range(10)).encode())
        time.sleep(0.05)
        middle = now_ms()
        time.sleep(0.05)
        cli(b, "produce", "pos", input="".join("m%d\n" % i for i in range(10, 15)).encode())

        out = cli(b, "consume", "pos", "--from-beginning", "--exit-at-end")
        assert out.split() == ["m%d" % i for i in range(15)], out
        assert cli(b, "consume", "pos", "--offset", "12", "--exit-at-end").split() == \
            ["m12", "m13", "m14"]
        assert cli(b, "consume", "pos", "--from-beginning", "--count", "3").split() == \
            ["m0", "m1", "m2"]
        assert cli(b, "consume", "pos", "--offset", "4", "--count", "2").split() == ["m4", "m5"]
        assert cli(b, "consume", "pos", "--timestamp", str(middle), "--exit-at-end").split() == \
            ["m%d" % i for i in range(10, 15)]
        # Newer than anything: starts at the end, prints nothing.
        assert cli(b, "consume", "pos", "--timestamp", str(now_ms() + 3600_000),
                   "--exit-at-end") == ""

        msgs = consume_json(b, "pos", "--offset", "9", "--count", "2")
        assert [(m["offset"], m["value"], m["key"], m["partition"]) for m in msgs] == \
            [(9, "m9", None, 0), (10, "m10", None, 0)], msgs
        assert msgs[0]["timestamp"] < middle < msgs[1]["timestamp"], (msgs, middle)

        # Without an end condition, --timeout-ms stops a consumer that waits
        # at the end (the default start) for new messages.
        start = time.monotonic()
        assert cli(b, "consume", "pos", "--timeout-ms", "700") == ""
        assert time.monotonic() - start < 10


def test_consume_one_partition_as_text():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "parts", "--partitions", "2")
        for p in (0, 1):
            cli(b, "produce", "parts", "--partition", str(p),
                input="".join("p%d-%d\n" % (p, i) for i in range(5)).encode())
        assert cli(b, "consume", "parts", "--partition", "1", "--from-beginning",
                   "--exit-at-end").split() == ["p1-%d" % i for i in range(5)]
        err = cli(b, "consume", "parts", "--partition", "7", "--exit-at-end", ok=False)
        assert "no partition 7" in err, err


def test_failures_are_one_line_with_nonzero_exit():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "f", "--partitions", "2")
        err = cli(b, "produce", "f", "--key-separator", ":", input=b"k:v\nno separator\n",
                  ok=False)
        assert "1 of 2 messages failed" in err and "no key separator" in err, err
        # The good line still went out.
        assert cli(b, "consume", "f", "--from-beginning", "--exit-at-end").split() == ["v"]

        err = cli(b, "produce", "f", "--partition", "9", input=b"x\n", ok=False)
        assert "partition 9" in err, err

        err = cli(b, "consume", "missing", "--exit-at-end", ok=False)
        assert "missing does not exist" in err, err
        err = cli(b, "consume", "f", "--group", "g", "--offset", "1", ok=False)
        assert "--group" in err, err

    # Nothing listens on the port any more.
    dead = Broker(BINARY)
    err = cli(dead, "topic", "list", "--request-timeout-ms", "2000", ok=False)
    assert "cannot read cluster metadata" in err, err
    err = cli(dead, "produce", "f", "--timeout-ms", "1500", input=b"x\n", ok=False)
    assert "1 of 1 messages failed" in err and "timed out" in err, err
    err = cli(dead, "group", "list", "--request-timeout-ms", "2000", ok=False)
    assert "cannot list consumer groups" in err, err


def test_help_everywhere():
    commands = [[], ["topic"], ["topic", "create"], ["topic", "list"], ["topic", "describe"],
                ["topic", "delete"], ["topic", "alter-config"], ["produce"], ["consume"],
                ["group"], ["group", "list"], ["group", "describe"], ["group", "delete"],
                ["group", "reset-offsets"]]
    for c in commands:
        out = cli(None, *c, "--help")
        assert "Usage:" in out, (c, out)
        if len(c) == 2 or c in (["produce"], ["consume"]):
            assert "--brokers" in out, (c, out)


# ---- consumer groups: these need the broker's group coordinator. ----


def wait_empty(b, group):
    """Waits until the group's last member has left: a closing consumer's
    LeaveGroup may still be on its way when its process has exited."""
    return wait_until(lambda: (lambda d: d if d["state"] == "Empty" else None)(
        cli_json(b, "group", "describe", group)), timeout=30, what="group %s to empty" % group)


def group_partitions(b, group):
    d = cli_json(b, "group", "describe", group)
    return d, {(p["topic"], p["partition"]): p for p in d["partitions"]}


def test_group_consume_commits_and_lag():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "gt", "--partitions", "2")
        cli(b, "produce", "gt", "-K", ":", input="".join("k%d:v%d\n" % (i, i) for i in range(10)).encode())
        first = cli(b, "consume", "gt", "--group", "readers", "--from-beginning", "--count", "4")
        assert len(first.split()) == 4, first

        wait_empty(b, "readers")
        d, parts = group_partitions(b, "readers")
        assert d["state"] == "Empty" and d["members"] == [], d
        # Only partitions with a committed offset are listed for a group
        # without members; four messages were committed, six are left.
        ends = {p["partition"]: p["end_offset"]
                for p in cli_json(b, "topic", "describe", "gt")["partitions"]}
        assert sum(p["committed_offset"] for p in parts.values()) == 4, parts
        for (_, partition), p in parts.items():
            assert p["end_offset"] == ends[partition], (parts, ends)
            assert p["lag"] == p["end_offset"] - p["committed_offset"], p
        unread = sum(e for p, e in ends.items() if ("gt", p) not in parts)
        assert sum(p["lag"] for p in parts.values()) + unread == 6, (parts, ends)

        text = cli(b, "group", "describe", "readers")
        assert "group readers: Empty, 0 members" in text, text
        header = [l for l in text.splitlines() if l.startswith("TOPIC")]
        assert header and header[0].split() == ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG",
                                                "MEMBER"], text

        # The group resumes where it committed: the other six. --from-beginning
        # only counts where nothing is committed.
        rest = cli(b, "consume", "gt", "--group", "readers", "--from-beginning", "--exit-at-end")
        assert sorted(first.split() + rest.split()) == sorted("v%d" % i for i in range(10)), rest
        _, parts = group_partitions(b, "readers")
        assert all(p["lag"] == 0 and p["committed_offset"] == p["end_offset"]
                   for p in parts.values()), parts

        rows = [l.split() for l in cli(b, "group", "list").splitlines()]
        assert rows[0] == ["GROUP", "STATE"] and ["readers", "Empty"] in rows, rows
        assert {"group": "readers", "state": "Empty", "simple": False} in \
            cli_json(b, "group", "list")


def test_group_describe_active_member_then_delete():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "live", "--partitions", "3")
        consumer = subprocess.Popen([BINARY, "consume", "live", "--group", "watchers",
                                     "--from-beginning", "--brokers", b.bootstrap],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            def joined():
                r = subprocess.run([BINARY, "group", "describe", "watchers", "--format", "json",
                                    "--brokers", b.bootstrap], capture_output=True)
                if r.returncode != 0:  # not joined yet: the group does not exist
                    return None
                d = json.loads(r.stdout)
                return d if d["state"] == "Stable" and len(d["members"]) == 1 else None

            d = wait_until(joined, timeout=30, what="the consumer to join")
            m = d["members"][0]
            assert m["client_id"] == "runnel-cli" and m["host"], m
            assert sorted((a["topic"], a["partition"]) for a in m["assignment"]) == \
                [("live", 0), ("live", 1), ("live", 2)], m
            assert {p["member_id"] for p in d["partitions"]} == {m["member_id"]}, d
            text = cli(b, "group", "describe", "watchers")
            assert "Stable, 1 members" in text and "live:0,1,2" in text, text

            cli(b, "produce", "live", input=b"hello\n")
            ready, _, _ = select.select([consumer.stdout], [], [], 30)
            assert ready and consumer.stdout.readline() == b"hello\n"

            err = cli(b, "group", "delete", "watchers", ok=False)
            assert "watchers" in err, err
            err = cli(b, "group", "reset-offsets", "watchers", "--topic", "live",
                      "--to-earliest", "--execute", ok=False)
            assert "active" in err, err
        finally:
            consumer.send_signal(signal.SIGINT)
            assert consumer.wait(timeout=30) == 0, consumer.stderr.read()

        # The member left when it closed; what it printed was committed.
        d = wait_empty(b, "watchers")
        assert sum(p["committed_offset"] or 0 for p in d["partitions"]) == 1, d
        assert "deleted group watchers" in cli(b, "group", "delete", "watchers")
        assert "watchers" not in [g["group"] for g in cli_json(b, "group", "list")]
        err = cli(b, "group", "describe", "watchers", ok=False)
        assert "does not exist" in err, err


def test_group_reset_offsets():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "rs", "--partitions", "2")
        for p in (0, 1):
            cli(b, "produce", "rs", "--partition", str(p),
                input="".join("p%d-%d\n" % (p, i) for i in range(5)).encode())
        time.sleep(0.05)
        middle = now_ms()
        time.sleep(0.05)
        for p in (0, 1):
            cli(b, "produce", "rs", "--partition", str(p),
                input="".join("p%d-%d\n" % (p, i) for i in range(5, 8)).encode())
        assert len(cli(b, "consume", "rs", "--group", "rg", "--from-beginning",
                       "--exit-at-end").split()) == 16
        wait_empty(b, "rg")

        def committed():
            _, parts = group_partitions(b, "rg")
            return [parts[("rs", p)]["committed_offset"] for p in (0, 1)]

        assert committed() == [8, 8]

        # A dry run shows the plan and changes nothing.
        plan = cli_json(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-earliest")
        assert plan["executed"] is False
        assert [(p["partition"], p["current_offset"], p["new_offset"])
                for p in plan["partitions"]] == [(0, 8, 0), (1, 8, 0)], plan
        assert committed() == [8, 8]
        text = cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-offset", "3")
        assert [l.split() for l in text.splitlines()] == [
            ["TOPIC", "PARTITION", "CURRENT", "NEW"], ["rs", "0", "8", "3"], ["rs", "1", "8", "3"]]

        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-earliest", "--execute")
        assert committed() == [0, 0]
        again = cli(b, "consume", "rs", "--group", "rg", "--exit-at-end").split()
        assert sorted(again) == sorted("p%d-%d" % (p, i) for p in (0, 1) for i in range(8))
        wait_empty(b, "rg")

        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-offset", "6", "--execute")
        assert committed() == [6, 6]
        # Past the end is kept at the end.
        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-offset", "100", "--execute")
        assert committed() == [8, 8]
        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-timestamp", str(middle),
            "--execute")
        assert committed() == [5, 5]
        assert sorted(cli(b, "consume", "rs", "--group", "rg", "--exit-at-end").split()) == \
            sorted("p%d-%d" % (p, i) for p in (0, 1) for i in range(5, 8))
        wait_empty(b, "rg")
        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-earliest", "--execute")
        cli(b, "group", "reset-offsets", "rg", "--topic", "rs", "--to-latest", "--execute")
        assert committed() == [8, 8]


if __name__ == "__main__":
    run([test_topic_create_list_describe_delete, test_topic_alter_config,
         test_produce_keys_and_headers_then_consume_json, test_consume_positions_and_limits,
         test_consume_one_partition_as_text, test_failures_are_one_line_with_nonzero_exit,
         test_help_everywhere, test_group_consume_commits_and_lag,
         test_group_describe_active_member_then_delete, test_group_reset_offsets])
