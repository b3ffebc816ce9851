"""The runnel client commands (topic, produce, consume, group) against a real
broker: what they print, what they change, and that every failure is one line
on stderr with a non-zero exit."""

import base64
import json
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

from harness import BINARY, Broker, free_port, run, wait_until


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
        assert "created topic orders with 3 partitions" in cli(
            b, "topic", "create", "orders", "--partitions", "3", "--config",
            "retention.ms=3600000", "--replication-factor", "1")
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
        # The broker's default partition count, and one partition is singular.
        assert "created topic single with 1 partition\n" == cli(b, "topic", "create", "single")
        assert "topic single: 1 partition\n" in cli(b, "topic", "describe", "single")
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

    # Nothing listens on the port any more: every command fails at once,
    # naming the address (not after librdkafka's retries, not "Timed out").
    dead = Broker(BINARY)
    for args in (["topic", "list"], ["group", "list"], ["cluster", "info"],
                 ["consume", "f", "-e"], ["produce", "f"]):
        start = time.monotonic()
        err = cli(dead, *args, input=b"x\n", ok=False)
        assert "cannot reach the broker at %s" % dead.bootstrap in err, (args, err)
        assert "Connection refused" in err, err
        assert time.monotonic() - start < 5, (args, time.monotonic() - start)
    err = cli(None, "topic", "list", "-b", "no-such-host.invalid:9092", ok=False)
    assert "no-such-host.invalid:9092: cannot resolve" in err, err


def test_help_everywhere():
    commands = [[], ["cluster"], ["cluster", "info"], ["topic"], ["topic", "create"],
                ["topic", "list"], ["topic", "describe"], ["topic", "delete"],
                ["topic", "alter-config"], ["topic", "add-partitions"], ["topic", "delete-records"],
                ["produce"], ["consume"],
                ["group"], ["group", "list"], ["group", "describe"], ["group", "delete"],
                ["group", "reset-offsets"], ["group", "offset-delete"], ["serve"], ["bench"],
                ["bench", "produce"], ["bench", "consume"], ["bench", "e2e"], ["bench", "storage"],
                ["connect"], ["connect", "run"], ["connect", "distributed"], ["sql"], ["nexmark"]]
    top = cli(None, "--help")
    for c in commands:
        out = cli(None, *c, "--help")
        assert "Usage:" in out, (c, out)
        if len(c) == 1:
            assert c[0] in top, (c, top)
        is_client = (len(c) == 2 and c[0] in ("cluster", "topic", "group")) or c in (
            ["produce"], ["consume"], ["bench", "produce"], ["bench", "consume"],
            ["bench", "e2e"], ["nexmark"])
        if is_client:
            # kcat's -b means the brokers everywhere; every command can answer in JSON.
            assert "-b,--brokers" in out, (c, out)
            assert "--format" in out or "--json" in out, (c, out)
    # Every subcommand a parent lists is checked above.
    for parent in ([], ["cluster"], ["topic"], ["group"], ["bench"], ["connect"]):
        out = cli(None, *parent, "--help")
        listed = re.findall(r"^  ([a-z][a-z-]*)  ", out.split("Subcommands:")[1], re.M)
        assert listed, out
        for word in listed:
            assert parent + [word] in commands, (parent, word, out)


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
        # Every partition of the topic is listed, with or without a commit;
        # four messages were committed, six are left. A partition without a
        # commit counts everything in it as lag.
        ends = {p["partition"]: p["end_offset"]
                for p in cli_json(b, "topic", "describe", "gt")["partitions"]}
        assert sorted(parts) == [("gt", 0), ("gt", 1)], parts
        assert sum(p["committed_offset"] or 0 for p in parts.values()) == 4, parts
        for (_, partition), p in parts.items():
            assert p["end_offset"] == ends[partition], (parts, ends)
            base = p["committed_offset"]
            if base is None:
                base = p["start_offset"]
            assert p["lag"] == p["end_offset"] - base, p
        assert sum(p["lag"] for p in parts.values()) == 6, (parts, ends)

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
            assert "Stable, 1 member," in text and "live:0,1,2" in text, text

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


def usage_error(*args):
    """Runs `runnel ARGS` expecting CLI11 to refuse the command line; returns stderr."""
    r = subprocess.run([BINARY, *args], capture_output=True, timeout=60)
    assert r.returncode != 0, "runnel %s should have been refused" % " ".join(args)
    return r.stderr.decode()


def test_kcat_flags():
    """kcat's habits work: -b brokers, -t topic, -o beginning|end|N|-N|s@MS, -c,
    -e, -K (key delimiter), -Z (empty means null), -J."""
    with Broker(BINARY) as b:
        kc = ["-b", b.bootstrap]
        cli(None, "topic", "create", "k", "-p", "1", *kc)
        cli(None, "produce", "-t", "k", "-K", "|", "-Z", *kc,
            input=b"c1|one\nc2|\n|three\nc4|four\n")
        out = cli(None, "consume", "-t", "k", "-o", "beginning", "-e", "-K", "|", "-Z", *kc)
        assert out.splitlines() == ["c1|one", "c2|NULL", "NULL|three", "c4|four"], out
        msgs = [json.loads(line) for line in
                cli(None, "consume", "k", "-o", "beginning", "-e", "-J", *kc).splitlines()]
        # -Z made the empty value a tombstone and the empty key no key.
        assert [(m["key"], m["value"]) for m in msgs] == \
            [("c1", "one"), ("c2", None), (None, "three"), ("c4", "four")], msgs
        # Without -Z an empty value is an empty value.
        cli(None, "produce", "k", "-K", "|", *kc, input=b"c5|\n")
        last = json.loads(cli(None, "consume", "k", "-o", "-1", "-e", "-J", *kc))
        assert (last["key"], last["value"], last["offset"]) == ("c5", "", 4), last

        def values(*args):
            return cli(None, "consume", "k", *args, *kc).splitlines()

        assert values("-o", "2", "-e") == ["three", "four", ""]
        assert values("-o", "-2", "-e") == ["four", ""]
        assert values("-o", "-100", "-e") == ["one", "", "three", "four", ""]
        assert values("-o", "end", "-e") == []
        assert values("-o", "beginning", "-c", "2") == ["one", ""]
        assert values("--from-beginning", "-c", "1") == ["one"]
        assert values("-o", "s@%d" % (now_ms() + 3600_000), "-e") == []
        assert values("-o", "s@0", "-c", "1") == ["one"]
        err = cli(None, "consume", "k", "-o", "soon", *kc, ok=False)
        assert "beginning" in err and "'soon'" in err, err
        err = cli(None, "consume", "k", "-o", "5", "-g", "grp", *kc, ok=False)
        assert "--group" in err, err
        # A topic given twice, differently, is a mistake; not at all, too.
        err = cli(None, "consume", "k", "-t", "other", *kc, ok=False)
        assert "two topics" in err, err
        err = cli(None, "produce", *kc, input=b"x\n", ok=False)
        assert "which topic" in err, err


def test_validation_errors_are_sentences():
    with Broker(BINARY) as b:
        # A bound in words, not a 300-digit number.
        for args, want in ((["topic", "create", "x", "--partitions", "0"], "at least 1 (got 0)"),
                           (["consume", "x", "--count", "0"], "at least 1 (got 0)"),
                           (["produce", "x", "--partition", "-1"], "at least 0 (got -1)"),
                           (["bench", "produce", "--producers", "0"], "between 1 and 256")):
            err = usage_error(*args, "-b", b.bootstrap)
            assert want in err, (args, err)
            assert not re.search(r"\d{20}", err), err
        assert "x" not in [t["name"] for t in cli_json(b, "topic", "list")]

        # Broker-side refusals name the config and what it expects.
        err = cli(b, "topic", "create", "y", "--config", "retention.ms=soon", ok=False)
        assert "Invalid value 'soon' for topic config retention.ms (a long" in err, err
        err = cli(b, "topic", "create", "y", "--config", "min.insync.replicas=2", ok=False)
        assert "min.insync.replicas" in err and "only 1" in err, err
        cli(b, "topic", "create", "y", "--config", "max.message.bytes=1000")
        err = cli(b, "topic", "alter-config", "y", "--set", "cleanup.policy=sometimes", ok=False)
        assert "cleanup.policy" in err and "'sometimes'" in err, err

        # A message over a size limit: which limit, and how to raise it.
        err = cli(b, "produce", "y", input=b"z" * 2000 + b"\n", ok=False)
        assert "1 of 1 message failed" in err, err
        assert "Message size too large" in err and "max.message.bytes 1000" in err, err
        assert "largest message was 2000 bytes" in err, err
        err = cli(b, "produce", "y", input=b"z" * 1_100_000 + b"\n", ok=False)
        assert "message.max.bytes 1000000" in err and "-X message.max.bytes" in err, err


def test_produce_reports_where_messages_went():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "where", "-p", "2")
        assert cli(b, "produce", "where", "-p", "1", input=b"a\n") == \
            "produced 1 message to where: partition 1 offset 0\n"
        assert cli(b, "produce", "where", "-p", "1", input=b"b\nc\n") == \
            "produced 2 messages to where: partition 1 offsets 1..2\n"
        assert cli(b, "produce", "where", "-q", input=b"d\n") == ""
        out = cli(b, "produce", "where", "-K", ":", "--format", "json",
                  input=b"alice:1\nbob:2\nalice:3\n")
        reports = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["line"])
        assert [r["line"] for r in reports] == [1, 2, 3], reports
        assert reports[0]["partition"] == reports[2]["partition"], reports
        assert reports[2]["offset"] > reports[0]["offset"], reports
        # What was reported is where the messages are.
        got = {(m["partition"], m["offset"]): m["value"]
               for m in consume_json(b, "where", "-o", "beginning", "-e")}
        for r, v in zip(reports, ["1", "2", "3"]):
            assert got[(r["partition"], r["offset"])] == v, (r, got)
        out = cli(b, "produce", "where", "--acks", "0", input=b"e\n")
        assert "unknown offsets: acks=0" in out, out


def test_json_output_keeps_every_byte():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "bin", "-p", "1")
        cli(b, "produce", "bin", "-K", ":", "-H", b"h=\xff\xfe", "-H", "plain=ok",
            input=b"k\xff:v\xfe\x00x\n" + "clé:été\n".encode())
        raw, text = consume_json(b, "bin", "-o", "beginning", "-e")
        assert raw["key"] == base64.b64encode(b"k\xff").decode(), raw
        assert raw["key_encoding"] == "base64", raw
        assert base64.b64decode(raw["value"]) == b"v\xfe\x00x", raw
        assert raw["value_encoding"] == "base64", raw
        assert raw["headers"] == [
            {"key": "h", "value": base64.b64encode(b"\xff\xfe").decode(),
             "value_encoding": "base64"},
            {"key": "plain", "value": "ok"}], raw
        # Valid UTF-8 stays text, with no encoding field.
        assert (text["key"], text["value"]) == ("clé", "été"), text
        assert "key_encoding" not in text and "value_encoding" not in text, text
        every = consume_json(b, "bin", "-o", "beginning", "-e", "--base64")
        assert base64.b64decode(every[1]["value"]).decode() == "été", every[1]
        assert every[1]["key_encoding"] == every[1]["value_encoding"] == "base64", every[1]


def test_topic_add_partitions_and_multi_delete():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "grow", "-p", "2")
        assert cli(b, "topic", "add-partitions", "grow", "--num", "3").startswith(
            "topic grow: 5 partitions (was 2)")
        assert len(cli_json(b, "topic", "describe", "grow")["partitions"]) == 5
        err = cli(b, "topic", "add-partitions", "grow", "--total", "4", ok=False)
        assert "already has 5 partitions" in err, err
        j = cli_json(b, "topic", "add-partitions", "grow", "--total", "7")
        assert j == {"topic": "grow", "partitions": 7, "previous_partitions": 5}, j
        # The new partitions take messages.
        cli(b, "produce", "grow", "-p", "6", input=b"new\n")
        assert cli(b, "consume", "grow", "-p", "6", "-o", "beginning", "-e") == "new\n"
        assert "--num" in usage_error("topic", "add-partitions", "grow", "-b", b.bootstrap)
        err = cli(b, "topic", "add-partitions", "nope", "--num", "1", ok=False)
        assert "nope does not exist" in err, err

        for t in ("d1", "d2", "d3"):
            cli(b, "topic", "create", t)
        assert cli(b, "topic", "delete", "d1", "d2") == "deleted topic d1\ndeleted topic d2\n"
        j = cli_json(b, "topic", "delete", "d3")
        assert j == [{"topic": "d3", "deleted": True}], j
        cli(b, "topic", "create", "d4")
        err = cli(b, "topic", "delete", "d4", "d5", "grow", ok=False)
        assert err.startswith("runnel topic delete: 1 of 3 topics not deleted:") and "d5" in err, err
        names = [t["name"] for t in cli_json(b, "topic", "list")]
        assert not {"d1", "d2", "d3", "d4", "grow"} & set(names), names

        j = cli_json(b, "topic", "create", "made", "-p", "2")
        assert j == {"topic": "made", "created": True, "partitions": 2}, j
        j = cli_json(b, "topic", "alter-config", "made", "--set", "retention.ms=1000")
        assert j == {"topic": "made", "set": {"retention.ms": "1000"}, "deleted": []}, j


def test_cluster_info():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "c1", "-p", "3")
        j = cli_json(b, "cluster", "info")
        assert j["cluster_id"] and j["controller_id"] == 0, j
        assert j["brokers"] == [{"id": 0, "host": "127.0.0.1", "port": b.port}], j
        assert j["topics"] >= 1 and j["partitions"] >= 3, j
        text = cli(b, "cluster", "info")
        assert text.startswith("cluster %s: 1 broker, controller 0;" % j["cluster_id"]), text
        assert ["0", "127.0.0.1", str(b.port), "yes"] in [l.split() for l in text.splitlines()]


def test_group_offset_delete_and_multi_delete():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "od", "-p", "2")
        for p in (0, 1):
            cli(b, "produce", "od", "-p", str(p), input=b"a\nb\n")
        for g in ("og1", "og2", "og3"):
            assert len(cli(b, "consume", "od", "-g", g, "-o", "beginning", "-e").split()) == 4
            wait_empty(b, g)

        def committed(group):
            _, parts = group_partitions(b, group)
            return [parts[("od", p)]["committed_offset"] for p in (0, 1)]

        assert committed("og1") == [2, 2]
        assert cli(b, "group", "offset-delete", "og1", "-t", "od:0") == \
            "deleted the committed offsets of group og1 in 1 partition\n"
        assert committed("og1") == [None, 2]
        j = cli_json(b, "group", "offset-delete", "og1", "--topic", "od")
        assert j == {"group": "og1", "deleted": [{"topic": "od", "partition": 1}]}, j
        err = cli(b, "group", "offset-delete", "og1", "-t", "od", ok=False)
        assert "og1 has no committed offsets in topic od" in err, err
        err = cli(b, "group", "offset-delete", "og1", "-t", "od:x", ok=False)
        assert "TOPIC:P" in err, err

        assert cli(b, "group", "delete", "og2", "og3") == "deleted group og2\ndeleted group og3\n"
        assert not {"og2", "og3"} & {g["group"] for g in cli_json(b, "group", "list")}
        err = cli(b, "group", "delete", "og1", "never-was", ok=False)
        assert "1 of 2 groups not deleted" in err and "never-was" in err, err
        j = cli_json(b, "group", "reset-offsets", "og1", "-t", "od", "--to-earliest")
        assert j["executed"] is False, j


class Serve:
    """`runnel serve ARGS` until its ready line (or its exit); stopped on exit."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="runnel-it-")
        # The admin server on any free port (tests run side by side); its
        # line comes before the ready line.
        self.proc = subprocess.Popen([BINARY, "serve", "--data-dir", self.dir,
                                      "--admin-listen", "127.0.0.1:0",
                                      "--connect-listen", "off", "--sql-listen", "off", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line.startswith(b"runnel: admin on"):
            line = self.proc.stdout.readline()
        self.ready = line.decode()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_serve_host_names_and_settings():
    port = free_port()
    with Serve("--listen", "localhost:%d" % port) as s:
        assert s.ready == "runnel: ready on localhost:%d\n" % port, s.ready
        j = json.loads(cli(None, "cluster", "info", "--format", "json", "-b",
                           "localhost:%d" % port))
        assert j["brokers"][0]["host"] == "localhost", j
        cli(None, "produce", "named", "-b", "localhost:%d" % port, input=b"hi\n")
    port = free_port()
    with Serve("--listen", "127.0.0.1:%d" % port, "--advertised-listener",
               "localhost:%d" % port) as s:
        assert s.ready.startswith("runnel: ready on 127.0.0.1:%d" % port), s.ready
        j = json.loads(cli(None, "cluster", "info", "--format", "json", "-b",
                           "127.0.0.1:%d" % port))
        assert j["brokers"] == [{"id": 0, "host": "localhost", "port": port}], j
        # Clients follow the advertised name.
        cli(None, "produce", "adv", "-b", "127.0.0.1:%d" % port, input=b"hi\n")
        assert cli(None, "consume", "adv", "-o", "beginning", "-e", "-b",
                   "127.0.0.1:%d" % port) == "hi\n"
    for args, want in ((["--set", "retention.ms=soon"], "invalid value 'soon' for retention.ms"),
                       (["--set", "log.retention.ms=-5"], "log.retention.ms (a long"),
                       (["--set", "no.such.setting=1"], "unknown setting no.such.setting"),
                       (["--shards", "x"], "shards"),
                       (["--listen", "no-such-host.invalid:%d" % free_port()], "resolve")):
        with Serve(*args) as s:
            assert s.ready == "", s.ready
            assert s.proc.wait(timeout=60) != 0
            err = s.proc.stderr.read().decode()
            assert want in err, (args, err)


def test_nexmark_stdout_is_deterministic():
    """`runnel nexmark --output stdout`: the 1:3:46 mix as JSON lines, the same for the same seed,
    other events for another; a bad count is refused with one sentence."""
    a = cli(None, "nexmark", "--events", "500", "--seed", "3", "--output", "stdout")
    assert a == cli(None, "nexmark", "--events", "500", "--seed", "3", "--output", "stdout")
    assert a != cli(None, "nexmark", "--events", "500", "--seed", "4", "--output", "stdout")
    events = [json.loads(line) for line in a.splitlines()]
    assert [sum(e["event_type"] == k for e in events) for k in (0, 1, 2)] == [10, 30, 460]
    assert events[0]["id"] == 1000 and events[1]["id"] == 1000 and events[4]["auction"] >= 1000, events[:5]
    r = subprocess.run([BINARY, "nexmark", "--events", "0", "--output", "stdout"], capture_output=True, timeout=60)
    assert r.returncode != 0 and not r.stdout and b"--events: must be at least 1 (got 0)" in r.stderr, r

def test_topic_delete_records():
    with Broker(BINARY) as b:
        cli(b, "topic", "create", "trim", "-p", "2")
        cli(b, "produce", "trim", "-p", "0", input=b"a\nb\nc\nd\ne\n")
        cli(b, "produce", "trim", "-p", "1", input=b"x\ny\n")
        out = cli(b, "topic", "delete-records", "trim", "--before", "0:3", "--before", "1:end")
        assert out == "topic trim: partition 0 now starts at 3; partition 1 now starts at 2\n", out
        parts = {p["partition"]: (p["start_offset"], p["end_offset"])
                 for p in cli_json(b, "topic", "describe", "trim")["partitions"]}
        assert parts == {0: (3, 5), 1: (2, 2)}, parts
        assert cli(b, "consume", "trim", "-p", "0", "-o", "beginning", "-e") == "d\ne\n"
        j = cli_json(b, "topic", "delete-records", "trim", "--before", "0:4")
        assert j == {"topic": "trim", "partitions": [{"partition": 0, "start_offset": 4}]}, j
        err = cli(b, "topic", "delete-records", "trim", "--before", "zero:1", ok=False)
        assert "--before expects PARTITION:OFFSET or PARTITION:end, got 'zero:1'" in err, err
        err = cli(b, "topic", "delete-records", "trim", "--before", "0:99", ok=False)
        assert err.startswith("runnel topic delete-records:"), err
        assert "--before" in usage_error("topic", "delete-records", "trim", "-b", b.bootstrap)


if __name__ == "__main__":
    run([test_topic_create_list_describe_delete, test_topic_alter_config,
         test_produce_keys_and_headers_then_consume_json, test_consume_positions_and_limits,
         test_consume_one_partition_as_text, test_failures_are_one_line_with_nonzero_exit,
         test_help_everywhere, test_group_consume_commits_and_lag,
         test_group_describe_active_member_then_delete, test_group_reset_offsets,
         test_kcat_flags, test_validation_errors_are_sentences,
         test_produce_reports_where_messages_went, test_json_output_keeps_every_byte,
         test_topic_add_partitions_and_multi_delete, test_topic_delete_records, test_cluster_info,
         test_group_offset_delete_and_multi_delete, test_serve_host_names_and_settings,
         test_nexmark_stdout_is_deterministic])
