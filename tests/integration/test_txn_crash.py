"""Exactly once through kill -9, short: a transactional consume-transform-
produce service copies a topic while the broker and the service are killed
at random moments (txn_crash.py); every input record must be in the output
exactly once for a read_committed reader. bench/txn-crash runs the long
version."""

import random

from harness import BINARY, run
from txn_crash import crash_test


def test_exactly_once_through_broker_and_service_crashes():
    seed = random.randrange(1 << 30)
    print("seed", seed, flush=True)
    r = crash_test(BINARY, cycles=5, records=4000, seed=seed)
    assert r["broker_kills"] + r["service_kills"] >= 5, r
    assert (r["lost"], r["duplicated"], r["unexpected"]) == (0, 0, 0), r
    assert r["output_records"] == 4000, r


if __name__ == "__main__":
    run([test_exactly_once_through_broker_and_service_crashes])
