"""Fault-injection harness on the real broker: kill -9 workers, restart the broker, force rebalances,
then account for every input id in the committed output.

Used by ``tests/faults/test_exactly_once.py`` (short run) and ``benchmarks/reliability.py`` (long run).
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.e2e.harness import Namespace, Worker, produce_exactly_once, read_committed, run

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = ROOT / "deploy" / "kafka-local" / "kafka.sh"


@dataclass(frozen=True)
class Corpus:
    """N inputs: originals, exact copies of earlier originals (same key, new id), malformed records."""

    records: list[tuple[bytes, bytes]]
    originals: set[str]
    duplicates: dict[str, str]  # copy id -> original id
    malformed: set[str]


def build_corpus(n: int, seed: int, copy_every: int = 10, malformed_every: int = 50) -> Corpus:
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(4000)
    ]
    records: list[tuple[bytes, bytes]] = []
    originals: dict[str, tuple[bytes, str]] = {}
    duplicates: dict[str, str] = {}
    malformed: set[str] = set()
    for index in range(n):
        article_id = f"a{index:06d}"
        if index % malformed_every == malformed_every - 1:
            malformed.add(article_id)
            records.append((article_id.encode(), b'{"id": "' + article_id.encode() + b'", "text": '))
        elif index % copy_every == copy_every - 1 and originals:
            original_id = rng.choice(sorted(originals)[-50:])
            key, text = originals[original_id]
            duplicates[article_id] = original_id
            records.append((key, orjson.dumps({"id": article_id, "text": text})))
        else:
            paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(60)).capitalize() + "." for _ in range(4)]
            text = f"Story {article_id}\n\n" + "\n\n".join(paragraphs)
            key = f"story-{article_id}".encode()
            originals[article_id] = (key, text)
            records.append((key, orjson.dumps({"id": article_id, "title": f"Story {article_id}", "text": text})))
    return Corpus(records, set(originals), duplicates, malformed)


@dataclass
class ChaosReport:
    n: int
    kills: int = 0
    broker_restarts: int = 0
    rebalances_forced: int = 0
    worker_restarts: int = 0
    producer_retries: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong_verdicts: list[str] = field(default_factory=list)
    misrouted: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    repeats: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"n={self.n} in {self.seconds:.0f} s: outputs {self.counts}; kills={self.kills} "
            f"broker_restarts={self.broker_restarts} rebalances={self.rebalances_forced} "
            f"worker_restarts={self.worker_restarts} producer_retries={self.producer_retries}; "
            f"missing={len(self.missing)} misrouted={len(self.misrouted)} wrong_verdicts={len(self.wrong_verdicts)} "
            f"inconsistent={len(self.inconsistent)} repeated_ids={len(self.duplicated)} "
            f"extra_records={sum(n - 1 for n in self.repeats.values())}; events: {'; '.join(self.events)}"
        )

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicated or self.wrong_verdicts or self.misrouted or self.inconsistent)


class Supervisor:
    """Keeps one worker running, as compose's restart policy or Kubernetes would: restarts it when it exits."""

    def __init__(self, start_worker: Any, report: ChaosReport, started: float) -> None:
        self._start_worker = start_worker
        self._report = report
        self._started = started
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.worker = start_worker()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _note(self, event: str) -> None:
        self._report.events.append(f"{time.monotonic() - self._started:.1f}s {event}")

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            with self._lock:
                if self.worker.alive():
                    continue
                self._note(f"worker exited ({self.worker.process.returncode}); restarting")
                self._report.worker_restarts += 1
                try:
                    self.worker = self._start_worker()
                except RuntimeError as exc:
                    self._note(f"restart failed, will retry: {str(exc).splitlines()[0]}")

    def kill(self) -> None:
        with self._lock:
            self.worker.kill()
            self._note("kill -9 worker")

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        with self._lock:
            self.worker.terminate()


def kafka(command: str) -> None:
    subprocess.run(["bash", str(KAFKA_SCRIPT), command], check=True, capture_output=True, timeout=300)


def run_chaos(
    workdir: Path,
    *,
    n: int,
    kills: int,
    broker_restart: bool,
    rebalances: int,
    seed: int,
    partitions: int = 4,
    produce_seconds: float = 60.0,
    drain_timeout: float = 600.0,
) -> ChaosReport:
    rng = random.Random(seed)
    corpus = build_corpus(n, seed)
    namespace = Namespace(partitions=partitions)
    env = namespace.env(
        workdir,
        NEWSFLOW_PROCESSING_GUARANTEE="exactly_once",
        # Set NEWSFLOW_TEST_WORKER_LOG_LEVEL=info to keep faust's rebalance and recovery lines in workers.log.
        NEWSFLOW_LOG_LEVEL=os.environ.get("NEWSFLOW_TEST_WORKER_LOG_LEVEL", "warning"),
        NEWSFLOW_STALL_TIMEOUT_SECONDS="30",
    )
    report = ChaosReport(n=n)
    started = time.monotonic()
    log = workdir / "workers.log"

    def new_worker(name: str) -> Worker:
        return Worker.start({**env, "NEWSFLOW_DATA_DIR": str(workdir / f"state-{name}")}, log, ready_timeout=180)

    supervisor = Supervisor(lambda: new_worker("a"), report, started)
    supervisor.start()
    producer_error: list[BaseException] = []
    # Chunks in input order, so a copy is always produced after its original (same key, same partition).
    step = max(1, n // 20)
    chunks = [corpus.records[i : i + step] for i in range(0, n, step)]

    def producer() -> None:
        try:
            report.producer_retries = run(
                produce_exactly_once(
                    namespace.topic("raw"), chunks, f"chaos-{namespace.tag}", pause=produce_seconds / len(chunks)
                )
            )
        except BaseException as exc:  # surfaced below
            producer_error.append(exc)

    feeder = threading.Thread(target=producer, daemon=True)
    feeder.start()

    faults = ["kill"] * kills + ["broker"] * int(broker_restart) + ["rebalance"] * rebalances
    rng.shuffle(faults)
    gap = produce_seconds / (len(faults) + 1)
    for fault in faults:
        time.sleep(gap * rng.uniform(0.5, 1.5))
        if fault == "kill":
            supervisor.kill()
            report.kills += 1
        elif fault == "broker":
            report.events.append(f"{time.monotonic() - started:.1f}s broker restart")
            kafka("restart")
            report.broker_restarts += 1
        else:
            second = new_worker("b")
            report.events.append(f"{time.monotonic() - started:.1f}s second worker joined")
            time.sleep(rng.uniform(3, 8))
            second.terminate()
            report.rebalances_forced += 1
            report.events.append(f"{time.monotonic() - started:.1f}s second worker left")
    feeder.join()
    if producer_error:
        supervisor.stop()
        raise RuntimeError(f"producer failed: {producer_error[0]!r}")

    topics = [namespace.topic(name) for name in ("enriched", "duplicates", "dlq")]
    expected = {topics[0]: len(corpus.originals), topics[1]: len(corpus.duplicates), topics[2]: len(corpus.malformed)}

    def drained(records: dict[str, list[dict[str, Any]]]) -> bool:
        return all(len({r["id"] for r in records[t]}) >= count for t, count in expected.items())

    outputs = run(read_committed(topics, until=drained, timeout=drain_timeout, settle=5.0))
    supervisor.stop()
    report.seconds = time.monotonic() - started
    report.counts = {topic.split(".", 1)[1]: len(records) for topic, records in outputs.items()}

    seen = Counter(record["id"] for records in outputs.values() for record in records)
    expected_ids = corpus.originals | set(corpus.duplicates) | corpus.malformed
    report.missing = sorted(expected_ids - set(seen))
    report.duplicated = sorted(article_id for article_id, count in seen.items() if count > 1)
    report.repeats = {article_id: seen[article_id] for article_id in report.duplicated}
    # A repeated output must be the same record again (same verdict, text, entities): then a consumer
    # that keys on id, as the contract tells it to, sees exactly one result per input.
    volatile = ("processed_at", "ingested_at", "failed_at")
    first_seen: dict[str, dict[str, Any]] = {}
    for records in outputs.values():
        for record in records:
            stable = {k: v for k, v in record.items() if k not in volatile}
            if record["id"] in first_seen and first_seen[record["id"]] != stable:
                report.inconsistent.append(record["id"])
            first_seen.setdefault(record["id"], stable)
    where = {record["id"]: topic for topic, records in outputs.items() for record in records}
    for article_id in expected_ids & set(where):
        want = (
            topics[0] if article_id in corpus.originals else topics[1] if article_id in corpus.duplicates else topics[2]
        )
        if where[article_id] != want:
            report.misrouted.append(article_id)
    for record in outputs[topics[1]]:
        if corpus.duplicates.get(record["id"]) != record["dedup"]["duplicate_of"]:
            report.wrong_verdicts.append(record["id"])
    if os.environ.get("NEWSFLOW_CHAOS_KEEP_LOG") is None and report.ok:
        log.unlink(missing_ok=True)
    return report
