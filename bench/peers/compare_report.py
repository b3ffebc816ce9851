"""Report of bench/compare: reads its results.tsv and info.tsv, prints the
Markdown section "## Side by side: bench/compare", replaces that section in
the doc (if given; other sections are kept) and draws the PNG chart.

Usage: compare_report.py RESULTS.tsv INFO.tsv DOC.md|'' CHART.png
"""
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# A figure a tool does not report is -1 in results.tsv (older files have no
# rss_mb and cpu_us_per_msg columns).
FIELDS = ["msgs_per_s", "mb_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "rss_mb",
          "cpu_us_per_msg"]
SYSTEMS = ["runnel", "kafka", "redis", "nats"]
NAMES = {"runnel": "runnel", "kafka": "Apache Kafka", "redis": "Redis Streams", "nats": "NATS JetStream"}
WORKLOADS = [
    ("1k-acks1", "1 KiB, max rate, acks=1"),
    ("100b-acks1", "100 B, max rate, acks=1"),
    ("1k-acksall", "1 KiB, max rate, acks=all"),
    ("e2e-50k", "1 KiB at 50,000 msg/s, acks=all, e2e"),
    ("catchup", "catch-up read, 1 KiB, page cache"),
    ("kp-1k-acks1", "ProducerPerformance, 1 KiB, acks=1"),
    ("kp-1k-acksall", "ProducerPerformance, 1 KiB, acks=all"),
    ("kc-catchup", "ConsumerPerformance, 1 KiB, catch-up"),
    ("ke2e-1k", "EndToEndLatency, 1 KiB, acks=all, 1 in flight"),
]
LATENCY_ONLY = {"e2e-50k", "ke2e-1k"}  # compared by p99, not by rate
HEADING = "## Side by side: bench/compare"


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            s, w, _rep, *vals = line.rstrip("\n").split("\t")
            # An empty field is a figure the run does not have (runnel's
            # catch-up read reports no latency): not a number.
            nums = [float(v) if v else float("nan") for v in vals]
            runs.setdefault((s, w), []).append(dict(zip(FIELDS, nums)))
    return runs


def med(runs, s, w, field):
    vals = [r[field] for r in runs.get((s, w), []) if field in r and r[field] != -1]
    return statistics.median(vals) if vals else float("nan")


def section(runs, info):
    out = [HEADING, ""]
    out.append(
        "runnel beside the machine's limits and three peers, all measured in the same run, one "
        "benchmark at a time, every server fresh on a free 127.0.0.1 port in a scratch "
        "directory on the disk. Figures are medians; MB = 10^6 bytes of message values."
    )
    out.append("")
    out.append(f"Command: `{info['command']}` (took {info['elapsed']}).")
    out.append("")
    for k in ["date", "machine", "filesystem", "versions", "settings"]:
        out.append(f"- {k}: {info[k]}")
    out.append("")
    fio_buf = med(runs, "fio", "buffered", "mb_per_s")
    fio_sync = med(runs, "fio", "fdatasync", "mb_per_s")
    net = med(runs, "iperf3", "loopback", "mb_per_s")
    # Older results files have no sustained rows.
    fio_buf_s = med(runs, "fio", "buffered-sustained", "mb_per_s")
    fio_sync_s = med(runs, "fio", "fdatasync-sustained", "mb_per_s")
    secs = info.get("duration", "10")
    out.append("| limit | MB/s |")
    out.append("|---|---:|")
    out.append(f"| fio sequential buffered write, bs=1M, 1 GiB + final fsync | {fio_buf:.0f} |")
    out.append(f"| fio sequential write, fdatasync per 1 MiB write, 256 MiB | {fio_sync:.0f} |")
    if fio_buf_s == fio_buf_s:
        out.append(f"| fio sequential buffered write, bs=1M, sustained {secs} s (no final fsync) | {fio_buf_s:.0f} |")
    if fio_sync_s == fio_sync_s:
        out.append(f"| fio sequential write, fdatasync per 1 MiB write, sustained {secs} s | {fio_sync_s:.0f} |")
    out.append(f"| iperf3 over loopback, one TCP stream, 5 s | {net:.0f} |")
    out.append("")
    out.append("| workload | system | msgs/s | MB/s | p50 ms | p99 ms | p99.9 ms | broker RSS MiB | "
               "broker CPU µs/msg | runnel ÷ this |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w, label in WORKLOADS:
        r_rate = med(runs, "runnel", w, "msgs_per_s")
        r_p99 = med(runs, "runnel", w, "p99_ms")
        for s in SYSTEMS:
            if (s, w) not in runs:
                continue
            rate = med(runs, s, w, "msgs_per_s")
            lat = w not in ("catchup", "kc-catchup") and not (s == "nats" and w != "e2e-50k")
            p = [med(runs, s, w, f) if lat else None for f in ["p50_ms", "p99_ms", "p999_ms"]]
            if s == "runnel":
                ratio = ""
            elif w in LATENCY_ONLY:
                ratio = f"p99 {r_p99 / med(runs, s, w, 'p99_ms'):.2f}× (lower is better)"
            else:
                ratio = f"{r_rate / rate:.2f}×"
            cells = ["—" if v is None or v != v else f"{v:.2f}" for v in p]
            rss, cpu = med(runs, s, w, "rss_mb"), med(runs, s, w, "cpu_us_per_msg")
            out.append(
                f"| {label} | {NAMES[s]} | {rate:,.0f} | {med(runs, s, w, 'mb_per_s'):.0f} | "
                f"{' | '.join(cells)} | {'—' if rss != rss else f'{rss:.0f}'} | "
                f"{'—' if cpu != cpu else f'{cpu:.2f}'} | {ratio} |"
            )
    out.append("")
    out.append("Per run (msgs/s in rep order): " + "; ".join(
        f"{s} {w}: " + ", ".join(f"{r['msgs_per_s']:.0f}" for r in runs[(s, w)])
        for w, _ in WORKLOADS for s in SYSTEMS if (s, w) in runs) + ".")
    out.append("")
    # The targets.
    r1 = med(runs, "runnel", "1k-acks1", "mb_per_s")
    r2 = med(runs, "runnel", "100b-acks1", "msgs_per_s")
    r3 = med(runs, "runnel", "1k-acksall", "mb_per_s")
    e99 = med(runs, "runnel", "e2e-50k", "p99_ms")
    e999 = med(runs, "runnel", "e2e-50k", "p999_ms")
    r5 = med(runs, "runnel", "catchup", "mb_per_s")
    ahead = []
    for w, label in WORKLOADS:
        for s in ["redis", "nats"]:
            if (s, w) not in runs:
                continue
            if w == "e2e-50k":
                ok = med(runs, "runnel", w, "p99_ms") <= med(runs, s, w, "p99_ms")
            else:
                ok = med(runs, "runnel", w, "msgs_per_s") >= med(runs, s, w, "msgs_per_s")
            if not ok:
                ahead.append(f"{label} vs {NAMES[s]}")
    yes = lambda b: "**yes**" if b else "**no**"  # noqa: E731
    out.append("### Against the targets")
    out.append("")
    out.append("| target | measured | met? |")
    out.append("|---|---:|---|")
    out.append(f"| (a) 1 KiB acks=1 ≥ 90 % of fio buffered (1 GiB burst) | {r1:.0f} of {fio_buf:.0f} MB/s = {100 * r1 / fio_buf:.0f} % | {yes(r1 >= 0.9 * fio_buf)} |")
    if fio_buf_s == fio_buf_s:
        out.append(f"| (a) … of fio buffered sustained {secs} s | {r1:.0f} of {fio_buf_s:.0f} MB/s = {100 * r1 / fio_buf_s:.0f} % | {yes(r1 >= 0.9 * fio_buf_s)} |")
    out.append(f"| (b) 100 B ≥ 1,000,000 msg/s | {r2:,.0f} msg/s | {yes(r2 >= 1e6)} |")
    out.append(f"| (c) e2e at 50k msg/s acks=all: p99 ≤ 2 ms | {e99:.2f} ms | {yes(e99 <= 2)} |")
    out.append(f"| (c) … p99.9 ≤ 5 ms | {e999:.2f} ms | {yes(e999 <= 5)} |")
    out.append(f"| (c) 1 KiB acks=all ≥ 80 % of fio fdatasync per write (256 MiB) | {r3:.0f} of {fio_sync:.0f} MB/s = {100 * r3 / fio_sync:.0f} % | {yes(r3 >= 0.8 * fio_sync)} |")
    if fio_sync_s == fio_sync_s:
        out.append(f"| (c) … of fio fdatasync per write sustained {secs} s | {r3:.0f} of {fio_sync_s:.0f} MB/s = {100 * r3 / fio_sync_s:.0f} % | {yes(r3 >= 0.8 * fio_sync_s)} |")
    out.append(f"| (d) catch-up ≥ 2 GB/s from page cache | {r5 / 1000:.2f} GB/s | {yes(r5 >= 2000)} |")
    out.append(f"| runnel ahead of Redis and NATS everywhere | {'behind in: ' + '; '.join(ahead) if ahead else 'ahead in all'} | {yes(not ahead)} |")
    behind_kafka = []
    for w, label in WORKLOADS:
        if ("kafka", w) not in runs:
            continue
        if w in LATENCY_ONLY:
            ok = med(runs, "runnel", w, "p99_ms") <= med(runs, "kafka", w, "p99_ms")
        else:
            ok = med(runs, "runnel", w, "msgs_per_s") >= med(runs, "kafka", w, "msgs_per_s")
        if not ok:
            behind_kafka.append(label)
    if any(s == "kafka" for s, _ in runs):
        out.append(f"| runnel ahead of Apache Kafka everywhere | {'behind in: ' + '; '.join(behind_kafka) if behind_kafka else 'ahead in all'} | {yes(not behind_kafka)} |")
    out.append("")
    out.append(
        "How each system is loaded: runnel with `runnel bench produce|e2e|consume` (librdkafka, "
        "16 partitions, the producer connections given); Redis with `bench/peers/redis_load` "
        "(hiredis, XADD round-robin to 16 streams, 256 commands pipelined per connection; "
        "acks=1 rows use `appendfsync everysec`, acks=all rows `appendfsync always`; catch-up "
        "by XREAD COUNT 1000 over the 16 streams on one connection, from memory); NATS with "
        "`bench/peers/nats_load` (nats.c, subjects bench.0–15 in one file-storage stream, "
        "js_PublishAsync with at most 4096 unacknowledged per connection, timed until all are "
        "acknowledged; catch-up and e2e through one ordered push consumer). In the e2e rows "
        "runnel's producer uses linger.ms=1 instead of librdkafka's default 5 ms, which holds "
        "each message up to 5 ms to fill a batch (the Redis and NATS clients send each message "
        "when it is due). Every workload run and every sustained fio run starts after the same "
        "memory warm-up (touching 2 GiB). **NATS 2.9.10 "
        "(Debian 12) has no fsync-per-write option** (`sync_interval: always` arrived in 2.10), so "
        "its acks=all rows are at weaker durability than runnel's and Redis's. Latency: runnel's "
        "and Redis's max-rate rows show time from send to acknowledgement (runnel: including "
        "librdkafka's queue; Redis: per pipelined batch); the e2e rows show receive time minus "
        "the intended send time on a fixed schedule, so falling behind counts (no coordinated "
        "omission). Catch-up data (1 KiB messages) is written once, unmeasured, then read each rep. "
        "**Apache Kafka** (bench/peers/kafka: the Maven Central jars, one KRaft node in combined "
        "mode, Kafka's defaults and its start script's 1 GiB heap) is loaded by the same "
        "`runnel bench` commands as runnel; its acks=all and e2e rows run with "
        "`log.flush.interval.messages=1` (flush.messages=1: an fsync per appended batch, runnel's "
        "acks=all durability), the acks=1 and catch-up rows with Kafka's default (no fsync; "
        "replication is Kafka's durability, and one node has none). The rows named after Kafka's "
        "own load tools drive runnel and Kafka with `kafka-producer-perf-test` (ProducerPerformance: "
        "16 partitions, 150,000 messages per second of run length, as fast as it goes; its "
        "latencies are send to acknowledgement), `kafka-consumer-perf-test` (ConsumerPerformance "
        "over what the acks=1 run wrote; fetch rate once data flows) and `kafka-e2e-latency` "
        "(EndToEndLatency: one message at a time, acks=all; msgs/s = 1000 / mean ms). "
        "Broker RSS is the peak resident set of the broker process (VmHWM) at the end of the "
        "run; broker CPU is its user + system time over the run divided by the messages moved."
    )
    out.append("")
    out.append("![throughput and latency per system](benchmarks-compare.png)")
    out.append("")
    return "\n".join(out)


def chart(runs, path):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8))
    ws = [w for w, _ in WORKLOADS[:5] if w != "e2e-50k"]
    shown = [s for s in SYSTEMS if any((s, w) in runs for w in ws)]
    width = 0.8 / len(shown)
    for i, s in enumerate(shown):
        a1.bar([x + (i - (len(shown) - 1) / 2) * width for x in range(len(ws))],
               [med(runs, s, w, "msgs_per_s") for w in ws], width, label=NAMES[s])
    a1.set_xticks(range(len(ws)))
    a1.set_xticklabels([dict(WORKLOADS)[w].replace(", ", "\n", 1) for w in ws], fontsize=8)
    a1.set_yscale("log")
    a1.set_ylabel("messages/s (median, log scale)")
    a1.set_title("Throughput")
    a1.legend(fontsize=8)
    pcts = [("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"), ("p999_ms", "p99.9"), ("max_ms", "max")]
    for i, s in enumerate(shown):
        a2.bar([x + (i - (len(shown) - 1) / 2) * width for x in range(len(pcts))],
               [med(runs, s, "e2e-50k", f) for f, _ in pcts], width, label=NAMES[s])
    a2.set_xticks(range(len(pcts)))
    a2.set_xticklabels([n for _, n in pcts])
    a2.set_yscale("log")
    a2.set_ylabel("ms (median of runs, log scale)")
    a2.set_title("End-to-end latency, 1 KiB at 50,000 msg/s, acks=all")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    results, info_path, doc, png = sys.argv[1:5]
    runs = load(results)
    info = dict(line.rstrip("\n").split("\t", 1) for line in open(info_path))
    text = section(runs, info)
    print(text)
    if doc:
        try:
            old = open(doc).read()
        except FileNotFoundError:
            old = ""
        pattern = re.compile(r"^## Side by side: bench/compare\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(old):
            new = pattern.sub(lambda _m: text + "\n", old)
        else:
            new = old.rstrip("\n") + "\n\n" + text + "\n"
        open(doc, "w").write(new.rstrip("\n") + "\n")
        chart(runs, png)


main()
