"""Issue #8: when the broker takes the worker's output slowly, the worker slows down with it.

The broker throttles the worker's client id (a ``producer_byte_rate`` quota, set with
``kafka.sh throttle``) while a backlog waits. Agents await every send, and a send waits while the
producer's batch for its partition is full, so the worker must take in articles only as fast as it
can publish them: it may not read the backlog into memory. Once the quota is lifted every article
comes out exactly once.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.harness import Namespace, Worker, produce, read_committed, run, scrape
from tests.faults.test_rebalance import articles

pytestmark = pytest.mark.e2e

KAFKA_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka-local" / "kafka.sh"
BACKLOG = 1000
BATCH_SIZE = 50
# Each original costs the worker ~40 KB of produce requests (its hop through news.analysed, the
# enriched record, the dedup table's changelog and the transaction's offsets): ~1 article/s here,
# against ~60/s unthrottled.
QUOTA_BYTES_PER_SECOND = 40_000
THROTTLED_SECONDS = 45.0


def throttle(client_id: str, bytes_per_second: int) -> None:
    subprocess.run(
        ["bash", str(KAFKA_SCRIPT), "throttle", client_id, str(bytes_per_second)],
        check=True,
        capture_output=True,
        env=os.environ,
        timeout=120,
    )


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def counter(samples: dict[str, float], name: str, **labels: str) -> float:
    key = f"newsflow_{name}_total{{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return samples.get(key, 0.0)


def test_a_throttled_output_slows_the_worker_and_loses_nothing(tmp_path: Path) -> None:
    namespace = Namespace(partitions=2)
    client_id = f"newsflow-bp-{namespace.tag}"
    env = namespace.env(tmp_path, NEWSFLOW_CLIENT_ID=client_id, NEWSFLOW_BATCH_SIZE=str(BATCH_SIZE))
    batch = articles("backlog", BACKLOG)
    run(produce(namespace.topic("raw"), batch))
    throttle(client_id, QUOTA_BYTES_PER_SECOND)
    worker = Worker.start(env, tmp_path / "worker.log")
    try:
        taken: list[float] = []
        published: list[float] = []
        rss: list[float] = []
        started = time.monotonic()
        while time.monotonic() - started < THROTTLED_SECONDS:
            assert worker.alive(), worker.log_tail()
            samples = scrape(worker)
            taken.append(counter(samples, "stage_articles_in", stage="ingest"))
            published.append(counter(samples, "stage_articles_out", stage="publish", outcome="ok"))
            rss.append(resident_mib(worker.process.pid))
            time.sleep(1.0)
        throttle(client_id, 0)
        lifted = time.monotonic()
        outputs = run(
            read_committed(
                [namespace.topic("enriched")],
                until=lambda r: len({x["id"] for x in r[namespace.topic("enriched")]}) >= BACKLOG,
                timeout=240,
                settle=3,
            )
        )
        drained_seconds = time.monotonic() - lifted
    finally:
        throttle(client_id, 0)
        worker.terminate()
    ahead = [t - p for t, p in zip(taken, published, strict=True)]
    steady = rss[len(rss) // 3 :]  # after start-up and the first batches
    print(
        f"throttled {THROTTLED_SECONDS:.0f} s at {QUOTA_BYTES_PER_SECOND} B/s: published {published[-1]:.0f} of "
        f"{BACKLOG}, taken-but-unpublished max {max(ahead):.0f}, RSS {min(steady):.0f}-{max(steady):.0f} MiB; "
        f"the other {BACKLOG - published[-1]:.0f} published {drained_seconds:.0f} s after the quota was lifted"
    )
    # Unthrottled, one worker takes the whole backlog in ~15 s and publishes it in ~20 s.
    assert published[-1] < BACKLOG / 2, "the quota did not slow the worker: the test proves nothing"
    assert taken[-1] < BACKLOG / 2, "the worker read on while its output was throttled"
    assert max(steady) - min(steady) < 50, "memory grew while the output was throttled"
    ids = [record["id"] for record in outputs[namespace.topic("enriched")]]
    assert sorted(ids) == sorted(key.decode() for key, _ in batch), "lost or repeated under back-pressure"
