"""Issue #8: consumption survives rebalances and SIGTERM, on the real broker."""

from __future__ import annotations

import asyncio
import os
import random
import string
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from newsflow.eos import RESTART_EXIT_CODE
from tests.e2e.harness import BOOTSTRAP, Namespace, Worker, produce, read_committed, run, scrape

pytestmark = pytest.mark.e2e


def articles(prefix: str, count: int) -> list[tuple[bytes, bytes]]:
    """Distinct articles (seeded random words), so dedup passes every one through as an original."""
    rng = random.Random(f"{prefix}-{count}")
    vocabulary = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    records = []
    for i in range(count):
        text = "\n\n".join(" ".join(rng.choice(vocabulary) for _ in range(50)).capitalize() + "." for _ in range(4))
        record = {"id": f"{prefix}-{i}", "title": f"Story {prefix} {i}", "text": text}
        records.append((f"{prefix}-{i}".encode(), orjson.dumps(record)))
    return records


async def group_lag(group: str, topics: list[str]) -> int:
    """End offset minus committed offset, summed over every partition of ``topics`` (from the broker)."""
    return sum((await partition_lags(group, topics)).values())


async def partition_lags(group: str, topics: list[str]) -> dict[str, int]:
    """End offset minus committed offset of each partition of ``topics``, keyed "topic[partition]"."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, isolation_level="read_committed")
    await admin.start()
    await consumer.start()
    try:
        described = await admin.describe_topics(topics)
        partitions = [
            TopicPartition(meta["topic"], part["partition"]) for meta in described for part in meta["partitions"]
        ]
        assert partitions, f"no partitions found for {topics}"
        committed = await admin.list_consumer_group_offsets(group)
        ends = await consumer.end_offsets(partitions)
        return {
            f"{tp.topic}[{tp.partition}]": max(0, ends[tp] - (committed[tp].offset if tp in committed else 0))
            for tp in partitions
        }
    finally:
        await consumer.stop()
        await admin.close()


def wait_for_zero_lag(group: str, topics: list[str], workers: list[Worker], timeout: float = 240.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if run(group_lag(group, topics)) == 0:
            return time.monotonic() - started
        time.sleep(1.0)
    lags = run(partition_lags(group, topics))
    views = "\n".join(partitions_view(worker) for worker in workers)
    raise AssertionError(f"lag of {group} did not return to 0 in {timeout} s: {lags}\n{views}")


def partitions_view(worker: Worker) -> str:
    """The worker's /debug/partitions report: its offsets per assigned partition, for a failure message."""
    try:
        return f"worker on port {worker.web_port}:\n{worker.get('/debug/partitions').decode()}"
    except OSError as exc:
        return f"worker on port {worker.web_port}: {exc}"


def wait_until_owning(worker: Worker, topic: str, timeout: float = 120.0) -> None:
    """Until ``worker`` reports lag for a partition of ``topic``: it holds partitions, and their producers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.alive(), worker.log_tail()
        lag_series = [name for name in scrape(worker) if name.startswith("newsflow_consumer_lag_messages{")]
        if any(f'topic="{topic}"' in name for name in lag_series):
            return
        time.sleep(0.5)
    raise AssertionError(f"worker holds no partition of {topic} after {timeout} s:\n{worker.log_tail()}")


class RestartOnStall:
    """Restarts a worker that exits with the stall code, as compose or Kubernetes would; any other exit stays.

    A stalled faust consumer (faust-streaming#175, #629) is recovered by design: ``StallWatch`` exits
    with code 70 and the supervisor starts the worker again from the last commit. The test keeps that
    path in the loop, counts each restart, and fails on a second one (see the test below).
    """

    def __init__(self, start: Any) -> None:
        self._start = start
        self.worker: Worker = start()
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            with self._lock:
                if self.worker.process.poll() == RESTART_EXIT_CODE:
                    self.restarts += 1
                    self.worker = self._start()

    def stop(self) -> int:
        self._stopping.set()
        self._thread.join(30)
        with self._lock:
            return self.worker.terminate()


def test_keeps_consuming_through_ten_rebalances(tmp_path: Path) -> None:
    namespace = Namespace(partitions=4)
    # Info logs (kept in tmp_path/workers.log) show the rebalances and recoveries when a run fails. A stall
    # is declared after 30 s, as in the chaos run, so that its restart fits in the test's waits.
    env = namespace.env(
        tmp_path,
        NEWSFLOW_LOG_LEVEL=os.environ.get("NEWSFLOW_TEST_WORKER_LOG_LEVEL", "info"),
        NEWSFLOW_STALL_TIMEOUT_SECONDS=os.environ.get("NEWSFLOW_TEST_STALL_TIMEOUT_SECONDS", "30"),
    )
    group = env["NEWSFLOW_APP_ID"]
    log = tmp_path / "workers.log"
    first = RestartOnStall(lambda: Worker.start({**env, "NEWSFLOW_DATA_DIR": str(tmp_path / "a")}, log))
    enriched = namespace.topic("enriched")
    produced = 0
    catch_up_seconds = []
    second: Worker | None = None
    try:
        for cycle in range(5):  # each cycle: a worker joins (rebalance), then leaves (rebalance)
            second = Worker.start({**env, "NEWSFLOW_DATA_DIR": str(tmp_path / f"b{cycle}")}, log)
            # The second worker takes partitions over (its producers fence the first worker's) before
            # it leaves; without this wait it was often told to stop before it got any.
            wait_until_owning(second, namespace.topic("raw"))
            batch = articles(f"join{cycle}", 10)
            run(produce(namespace.topic("raw"), batch))
            produced += len(batch)
            catch_up_seconds.append(wait_for_zero_lag(group, [namespace.topic("raw")], [first.worker, second]))
            assert second.terminate() == 0, second.log_tail()
            batch = articles(f"leave{cycle}", 10)
            run(produce(namespace.topic("raw"), batch))
            produced += len(batch)
            catch_up_seconds.append(wait_for_zero_lag(group, [namespace.topic("raw")], [first.worker]))
            assert first.worker.alive() or first.worker.process.returncode == RESTART_EXIT_CODE, first.worker.log_tail()
        # Count distinct ids, so that a repeated output fails the assertion below instead of ending the wait early.
        outputs = run(
            read_committed([enriched], until=lambda r: len({x["id"] for x in r[enriched]}) >= produced, timeout=180)
        )
        ids = {record["id"] for record in outputs[enriched]}
        expected = {f"{step}{cycle}-{i}" for step in ("join", "leave") for cycle in range(5) for i in range(10)}
        assert ids == expected, f"lost: {sorted(expected - ids)}; log in {log}:\n{first.worker.log_tail(120)}"
        repeated = len(outputs[enriched]) - len(ids)
        print(
            f"catch-up after each of 10 rebalances (s): {[round(s, 1) for s in catch_up_seconds]}; "
            f"repeated outputs: {repeated}; restarts after a stall: {first.restarts}"
        )
        assert repeated == 0, "exactly-once: an article was published twice"
        # One stall in ten rebalances has been seen (about one CI run in five); every rebalance stalling would not pass.
        assert first.restarts <= 1, f"{first.restarts} stalls in ten rebalances; log in {log}"
        # The last worker standing holds every partition, and its debug page names them with their offsets.
        report = first.worker.get("/debug/partitions").decode()
        assert all(f"{namespace.topic('raw')}/{p}: committed=" in report for p in range(4)), report
    finally:
        if second is not None:
            second.terminate()  # a no-op once it has left; a failed wait must not leave it running
        first.stop()


async def wait_for_members(group: str, count: int, timeout: float = 120.0) -> None:
    """Until the broker reports ``group`` Stable with ``count`` members."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = await admin.describe_consumer_groups([group])
            state = described[0].groups[0] if described and described[0].groups else None
            if state is not None and state[2] == "Stable" and len(state[5]) >= count:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"group {group} not Stable with {count} members after {timeout} s")
    finally:
        await admin.close()


async def produce_burst(topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """Send every record without waiting for each acknowledgement: the burst takes a fraction of a second."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        deliveries = [await producer.send(topic, value=value, key=key) for key, value in records]
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


def save_flight_records(workers: dict[str, Worker], directory: Path) -> None:
    """Each worker's /debug/journal, for tracing a lost record afterwards (docs/reliability.md, fix 20)."""
    for name, worker in workers.items():
        try:
            (directory / f"flight-record-{name}.txt").write_bytes(worker.get("/debug/journal", timeout=30))
        except OSError as exc:
            (directory / f"flight-record-{name}.txt").write_text(f"not available: {exc!r}")


def test_records_that_arrive_while_a_worker_joins_are_all_handled(tmp_path: Path) -> None:
    # At a rebalance faust drops the records it fetched while the flow was stopped and seeks back to
    # the committed offsets. Here the topic is empty until the group is Stable with both workers, and
    # then a burst arrives while the first one is still recovering. Two bugs lost records here
    # (docs/reliability.md): a partition never committed was not sought back at all (fix 19: 2 of 2
    # runs lost ~200), and overlapping seeks let a record into a stream buffer just before faust's flow
    # control cleared it (fix 20: 5 of 23 runs lost 1 to 208). After fix 20: 35 of 35 passed.
    namespace = Namespace(partitions=4)
    env = namespace.env(tmp_path, NEWSFLOW_LOG_LEVEL=os.environ.get("NEWSFLOW_TEST_WORKER_LOG_LEVEL", "info"))
    log = tmp_path / "workers.log"
    raw, enriched = namespace.topic("raw"), namespace.topic("enriched")
    first = Worker.start({**env, "NEWSFLOW_DATA_DIR": str(tmp_path / "a")}, log)
    second: Worker | None = None
    try:
        wait_until_owning(first, raw)
        second = Worker.start({**env, "NEWSFLOW_DATA_DIR": str(tmp_path / "b")}, log)
        run(wait_for_members(env["NEWSFLOW_APP_ID"], 2))
        batch = articles("burst", 600)
        run(produce_burst(raw, batch))
        outputs = run(
            read_committed([enriched], until=lambda r: len({x["id"] for x in r[enriched]}) >= 600, timeout=180)
        )
        ids = [record["id"] for record in outputs[enriched]]
        lost = sorted({key.decode() for key, _ in batch} - set(ids), key=lambda i: int(i.rsplit("-", 1)[1]))
        if lost:
            save_flight_records({"first": first, "second": second}, tmp_path)
        assert not lost, f"{len(lost)} of 600 lost (first: {lost[:5]}); log and flight records in {tmp_path}"
        assert len(ids) == len(set(ids)), "exactly-once: an article was published twice"
        assert first.alive() and second.alive(), f"{first.log_tail()}\n{second.log_tail()}"
    finally:
        if second is not None:
            second.terminate()
        first.terminate()


def test_sigterm_stops_cleanly_and_a_restart_loses_nothing(tmp_path: Path) -> None:
    namespace = Namespace(partitions=2)
    env = namespace.env(tmp_path)
    log = tmp_path / "worker.log"
    worker = Worker.start(env, log)
    batch = articles("term", 150)
    enriched = namespace.topic("enriched")
    run(produce(namespace.topic("raw"), batch))
    before = run(read_committed([enriched], until=lambda r: len(r[enriched]) >= 20, timeout=120))
    assert len(before[enriched]) >= 20, worker.log_tail()
    started = time.monotonic()
    code = worker.terminate(timeout=60)
    assert code == 0, worker.log_tail()
    assert time.monotonic() - started < 60
    worker = Worker.start(env, log)
    try:
        outputs = run(
            read_committed(
                [enriched], until=lambda r: len({x["id"] for x in r[enriched]}) >= 150, timeout=180, settle=3
            )
        )
    finally:
        worker.terminate()
    ids = [record["id"] for record in outputs[enriched]]
    assert sorted(ids) == sorted(key.decode() for key, _ in batch), "lost or duplicated across SIGTERM + restart"


def test_lag_helper_sees_unconsumed_records(tmp_path: Path) -> None:
    namespace = Namespace(partitions=1)
    run(produce(namespace.topic("raw"), articles("idle", 3)))
    assert asyncio.run(group_lag(f"newsflow-{namespace.tag}", [namespace.topic("raw")])) == 3
