"""Long fault-injection run (issue #8): N articles, K kill -9's, a broker restart, forced rebalances.

    KAFKA_BOOTSTRAP=127.0.0.1:9092 KAFKA_PORT=9092 python benchmarks/reliability.py --n 100000 --kills 20

Needs the local broker started by deploy/kafka-local/kafka.sh with the same KAFKA_PORT (the run
restarts it once). Prints the accounting report; exit code 1 if anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.chaos import run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rebalances", type=int, default=2)
    parser.add_argument("--no-broker-restart", action="store_true")
    parser.add_argument("--produce-seconds", type=float, default=None, help="spread input over this long")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--drain-seconds", type=float, default=None, help="wait this long for outputs (default n/30)")
    args = parser.parse_args()
    produce_seconds = args.produce_seconds or max(60.0, args.n / 200)
    print(
        f"seed={args.seed} n={args.n} kills={args.kills} rebalances={args.rebalances} "
        f"broker_restart={not args.no_broker_restart} produce_seconds={produce_seconds}"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newsflow-chaos-") as workdir:
        report = run_chaos(
            Path(workdir),
            n=args.n,
            kills=args.kills,
            broker_restart=not args.no_broker_restart,
            rebalances=args.rebalances,
            seed=args.seed,
            produce_seconds=produce_seconds,
            drain_timeout=args.drain_seconds or max(600.0, args.n / 30),
        )
    print(f"wall time {time.monotonic() - started:.0f} s")
    print(report.summary())
    failed = not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
