"""Reads the output of one of Kafka's load tools on stdin and prints one JSON
line in bench/compare's shape (msgs_per_s, mb_per_s with MB = 10^6 bytes,
p50/p90/p99/p999/max in ms; a figure the tool does not report is null).

Usage: perf_json.py producer|consumer|e2e MESSAGE_BYTES [COUNT|-] < tool-output
  producer  ProducerPerformance (kafka-producer-perf-test): its last summary line
  consumer  ConsumerPerformance (kafka-consumer-perf-test): its CSV line
  e2e       EndToEndLatency: "Avg latency" and "Percentiles" lines; one
            message in flight at a time, so msgs/s = 1000 / average ms
"""

import json
import re
import sys


def producer(text, size):
    # "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
    # latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th."
    lines = [l for l in text.splitlines() if re.match(r"^\d+ records sent, .* 99\.9th\.?$", l.strip())]
    if not lines:
        raise SystemExit("perf_json: no ProducerPerformance summary line in:\n" + text[-2000:])
    l = lines[-1]
    rate = float(re.search(r"([\d.]+) records/sec", l).group(1))

    def ms(label):
        return float(re.search(r"([\d.]+) ms " + label, l).group(1))
    return {"count": int(l.split()[0]), "msgs_per_s": rate, "mb_per_s": rate * size / 1e6,
            "p50_ms": ms("50th"), "p90_ms": None,
            "p95_ms": ms("95th"), "p99_ms": ms("99th"), "p999_ms": ms(r"99\.9th"),
            "max_ms": ms("max latency"), "mean_ms": ms("avg latency")}


def consumer(text, size):
    rows = [l for l in text.splitlines() if l.count(",") >= 9]
    head = next(i for i, l in enumerate(rows) if l.startswith("start.time"))
    keys = [k.strip() for k in rows[head].split(",")]
    vals = [v.strip() for v in rows[head + 1].split(",")]
    f = dict(zip(keys, vals))
    # nMsg.sec counts from the start, group join included; fetch.nMsg.sec
    # is the rate once data flows, which is what the catch-up row measures.
    rate = float(f["fetch.nMsg.sec"])
    return {"msgs_per_s": rate, "mb_per_s": rate * size / 1e6, "p50_ms": None, "p90_ms": None,
            "p99_ms": None, "p999_ms": None, "max_ms": None, "count": int(f["data.consumed.in.nMsg"])}


def e2e(text, size):
    avg = float(re.search(r"Avg latency: ([\d.]+) ms", text).group(1))
    m = re.search(r"Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)", text)
    return {"msgs_per_s": 1000.0 / avg if avg > 0 else 0.0, "mb_per_s": (1000.0 / avg) * size / 1e6,
            "p50_ms": float(m.group(1)), "p90_ms": None, "p99_ms": float(m.group(2)),
            "p999_ms": float(m.group(3)), "max_ms": None, "mean_ms": avg}


def main():
    kind, size = sys.argv[1], int(sys.argv[2])
    count = sys.argv[3] if len(sys.argv) > 3 else "-"
    text = sys.stdin.read()
    out = {"producer": producer, "consumer": consumer, "e2e": e2e}[kind](text, size)
    if count != "-":
        out["count"] = int(count)
    print(json.dumps(out))


main()
