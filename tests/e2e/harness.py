"""Real-broker test harness: unique topics per test, a worker subprocess, committed-output readers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
TOPIC_FIELDS = ("raw", "analysed", "enriched", "duplicates", "clusters", "dlq")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_reachable(bootstrap: str = BOOTSTRAP) -> bool:
    host, _, port = bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@dataclass
class Namespace:
    """A fresh app id and topic set, so tests never see each other's records."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    partitions: int = 1

    def topic(self, name: str) -> str:
        return f"t{self.tag}.news.{name}"

    def env(self, tmp_path: Path, **overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP": BOOTSTRAP,
                "NEWSFLOW_APP_ID": f"newsflow-{self.tag}",
                "NEWSFLOW_PARTITIONS": str(self.partitions),
                "NEWSFLOW_DATA_DIR": str(tmp_path / f"data-{self.tag}"),
                "NEWSFLOW_WEB_HOST": "127.0.0.1",
                # Set NEWSFLOW_TEST_WORKER_LOG_LEVEL=info to see faust's rebalances and recoveries in workers.log.
                "NEWSFLOW_LOG_LEVEL": os.environ.get("NEWSFLOW_TEST_WORKER_LOG_LEVEL", "warning"),
                # lingua's accurate mode costs ~20 s of CPU per worker start; tests that restart workers
                # many times use the fast mode. The walking-skeleton test runs the production default.
                "NEWSFLOW_LANGUAGE_SHORT_TEXT": "fast",
            }
        )
        for name in TOPIC_FIELDS:
            env[f"NEWSFLOW_TOPIC_{name.upper()}"] = self.topic(name)
        env.update(overrides)
        return env


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    web_port: int
    log_path: Path

    @classmethod
    def start(cls, env: dict[str, str], log_path: Path, *, ready_timeout: float = 120.0) -> Worker:
        web_port = int(env.get("NEWSFLOW_WEB_PORT") or free_port())
        env = {**env, "NEWSFLOW_WEB_PORT": str(web_port)}
        log = log_path.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = cls(process, web_port, log_path)
        worker.wait_ready(ready_timeout)
        return worker

    def alive(self) -> bool:
        return self.process.poll() is None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def get(self, path: str, timeout: float = 5.0) -> bytes:
        with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
            return bytes(response.read())

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.get("/healthz", timeout=1.0)
                return
            except OSError:
                time.sleep(0.5)
        self.kill()
        raise RuntimeError(f"worker not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def terminate(self, timeout: float = 60.0) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode)

    def kill(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)


def client_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """aiokafka connection options: the test broker's plain listener unless a test passes its own (TLS/SASL)."""
    return options if options is not None else {"bootstrap_servers": BOOTSTRAP}


async def produce(
    topic: str, records: Iterable[tuple[bytes | None, bytes]], *, options: dict[str, Any] | None = None
) -> None:
    producer = AIOKafkaProducer(**client_options(options), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def produce_exactly_once(
    topic: str,
    chunks: Iterable[list[tuple[bytes | None, bytes]]],
    transactional_id: str,
    *,
    pause: float = 0.0,
    retry_for: float = 300.0,
) -> int:
    """Produce each chunk in one transaction, retrying a chunk whole when the broker goes away.

    Aborted attempts are invisible to read_committed consumers (the worker under exactly-once),
    so retries never duplicate input. Returns how many chunk attempts were retried.
    """
    from aiokafka.errors import KafkaError

    retries = 0
    for chunk in chunks:
        deadline = time.monotonic() + retry_for
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=BOOTSTRAP, transactional_id=transactional_id, request_timeout_ms=15000
            )
            try:
                await producer.start()
                async with producer.transaction():
                    for key, value in chunk:
                        await producer.send(topic, value=value, key=key)
                break
            except (KafkaError, OSError):
                retries += 1
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(2.0)
            finally:
                await producer.stop()
        await asyncio.sleep(pause)
    return retries


async def read_committed(
    topics: list[str],
    *,
    until: Any = None,
    timeout: float = 90.0,
    settle: float = 0.0,
    options: dict[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Read committed JSON records from ``topics`` until ``until(records)`` holds or ``timeout`` passes.

    ``settle`` keeps reading that many seconds after the condition holds, to catch extra (duplicate) output.
    """
    consumer = AIOKafkaConsumer(
        *topics,
        **client_options(options),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    records: dict[str, list[dict[str, Any]]] = {topic: [] for topic in topics}
    deadline = time.monotonic() + timeout
    settle_until: float | None = None
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    records[message.topic].append(orjson.loads(message.value))
            if until is not None and until(records):
                if settle_until is None:
                    settle_until = time.monotonic() + settle
                if time.monotonic() >= settle_until:
                    break
    finally:
        await consumer.stop()
    return records


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def scrape(worker: Worker) -> dict[str, float]:
    """Parse the worker's /metrics into {'name{labels}': value}."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(worker.get("/metrics").decode()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples
