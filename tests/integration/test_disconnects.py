"""Clients that vanish mid-response never stop the broker or lose data.

The short version of bench/disconnects (disconnect_churn.py): for about 20
seconds, waves of consumers fetch multi-MiB responses and disappear at random
points (RST, close, kill -9, a too-small receive buffer) while an idempotent
acks=all producer keeps producing. The broker must stay up (before the fix a
sendfile to a closed socket raised SIGPIPE and it exited with status 141),
log each such connection once, and every acknowledged record must read back
exactly once.
"""

import os

from disconnect_churn import churn
from harness import BINARY, run


def test_consumers_vanishing_mid_response():
    seed = int(os.environ.get("SEED", "0")) or None
    figures = churn(BINARY, seconds=20, prefill_mib=48, seed=seed)
    print(figures, flush=True)
    assert figures["consumers_gone"] > 0 and figures["records_acked"] > 0, figures


if __name__ == "__main__":
    run([test_consumers_vanishing_mid_response])
