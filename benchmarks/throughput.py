"""Throughput and latency of newsflow against a real broker, next to the baselines (issue #9).

    python benchmarks/throughput.py                      # everything, ~10 min on 2 cores
    python benchmarks/throughput.py --quick              # smoke run, < 3 min
    python benchmarks/throughput.py --systems ceiling,faust,newsflow --workers 1 --json out.json

Systems, each on fresh topics with 4 partitions, fed the same seeded record stream:

* ``ceiling`` / ``ceiling-eos``: raw aiokafka consume -> produce in a subprocess (getmany batches,
  sends not awaited one by one, then commit; the EOS variant wraps each batch in a transaction with
  ``send_offsets_to_transaction``). Nothing in Python can pass records on faster than this.
* ``faust`` / ``faust-eos``: a naive Faust pass-through agent (``benchmarks/faust_passthrough.py``).
* ``newsflow``: ``python -m newsflow worker`` configured like ``tests/e2e/harness.py`` does;
  ``--workers 1,2`` runs it with one and with two worker processes (same app id).

Per system: (a) sustained articles/s with a backlog, over the 10th-90th percentile of output
arrival times at the benchmark's read_committed consumer (start-up does not count); (b) p50/p95/p99
end-to-end latency at 50 % of that rate (a paced producer in this process stamps each id; the same
process's consumer stamps its output; one clock); (c) CPU cores used (utime+stime of every thread,
from /proc/<pid>/stat, over the same window) and RSS (VmHWM, VmRSS from /proc/<pid>/status).

Pass-throughs get their backlog pre-produced before they start. newsflow gets it produced in one
burst after every worker answers /healthz and the consumer group is stable with all members: with
``group.initial.rebalance.delay.ms=0`` two workers started together would otherwise rebalance in the
middle of the window. The burst takes well under a second, far faster than newsflow consumes.

Records: ~5 KB JSON articles {"id", "title", "text"} built (seeded) from ../shared/data (read in
place): BBC and MasakhaNEWS English, MasakhaNEWS French, and sentences of de, es, it, ru, pt, nl
joined into articles; ~15 % duplicates (exact re-sends under a new id, near copies with words
changed), shuffled.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import csv
import datetime
import importlib
import itertools
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.structs import OffsetAndMetadata

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
PARTITIONS = 4
ARTICLE_BYTES = 5000
SENTENCE_LANGUAGES = ("de", "es", "it", "ru", "pt", "nl")
ALL_SYSTEMS = ("ceiling", "ceiling-eos", "faust", "faust-eos", "newsflow")
CLK_TCK = os.sysconf("SC_CLK_TCK")

TARGETS = {
    "full_rate_per_worker": 2000.0,
    "full_over_faust": 1.5,
    "full_over_ceiling": 0.40,
    "p99_ms": 150.0,
    "scale_2_over_1": 1.7,
    "rss_bytes": float(1 << 30),
}

# Every subprocess we start, so an exit or ctrl-C never leaves one running.
RUNNING: list[subprocess.Popen[bytes]] = []


def kill_all() -> None:
    for process in RUNNING:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)


atexit.register(kill_all)


def harness(tree: Path) -> ModuleType:
    """``tests/e2e/harness.py`` of the tree under test: its Namespace names the topics that tree's config reads."""
    for path in (tree, tree / "src"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    return importlib.import_module("tests.e2e.harness")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    RUNNING.append(process)
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------------------------------
# The record stream


@dataclass(frozen=True, slots=True)
class Sources:
    """Texts per language: whole articles (en, fr) or single sentences (the others)."""

    articles: dict[str, list[tuple[str, str]]]
    sentences: dict[str, list[str]]


def load_sources() -> Sources:
    csv.field_size_limit(1 << 26)
    english = [
        (row["title"], row["text"])
        for row in map(orjson.loads, (DATA / "news" / "bbc_news.jsonl").read_bytes().splitlines())
        if row.get("text")
    ]
    articles: dict[str, list[tuple[str, str]]] = {"en": english, "fr": []}
    for code, name in (("en", "eng"), ("fr", "fra")):
        with (DATA / "news" / "masakhanews" / f"{name}_test.tsv").open(encoding="utf-8", newline="") as handle:
            articles[code] += [(row["headline"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")]
    sentences = {
        code: [
            line.strip()
            for line in (DATA / "langid" / "sentences" / f"{code}.txt").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        for code in SENTENCE_LANGUAGES
    }
    return Sources(articles, sentences)


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a word boundary."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    cut = raw[:limit].decode("utf-8", "ignore")
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def make_article(sources: Sources, rng: random.Random) -> dict[str, str]:
    """One ~5 KB article: en 35 %, fr 15 %, each sentence language 1/12 (weights chosen, not measured)."""
    roll = rng.random()
    if roll < 0.5:
        pool = sources.articles["en" if roll < 0.35 else "fr"]
        title, text = rng.choice(pool)
        while len(text.encode()) < ARTICLE_BYTES:
            text += "\n\n" + rng.choice(pool)[1]
        return {"title": title, "text": _cut(text, ARTICLE_BYTES)}
    code = SENTENCE_LANGUAGES[int((roll - 0.5) / 0.5 * len(SENTENCE_LANGUAGES))]
    pool_s = sources.sentences[code]
    paragraphs: list[str] = []
    size = 0
    while size < ARTICLE_BYTES:
        paragraph = " ".join(rng.choice(pool_s) for _ in range(rng.randint(3, 6)))
        paragraphs.append(paragraph)
        size += len(paragraph.encode()) + 2
    return {"title": _cut(rng.choice(pool_s), 120), "text": _cut("\n\n".join(paragraphs), ARTICLE_BYTES)}


def near_copy(article: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The same article with a few words replaced by other words of it (an edited re-post)."""
    words = article["text"].split(" ")
    for _ in range(rng.randint(3, 8)):
        words[rng.randrange(len(words))] = rng.choice(words)
    return {"title": article["title"], "text": " ".join(words)}


def build_stream(sources: Sources, n: int, seed: int, prefix: str, dup_share: float = 0.15) -> list[tuple[str, bytes]]:
    """``n`` (id, payload) pairs; ``dup_share`` of them exact or near copies of others, shuffled."""
    rng = random.Random(seed)
    copies = int(n * dup_share)
    originals = [make_article(sources, rng) for _ in range(n - copies)]
    items = list(originals)
    for index in range(copies):
        base = rng.choice(originals)
        items.append(dict(base) if index % 2 == 0 else near_copy(base, rng))
    rng.shuffle(items)
    return [(f"{prefix}{i}", orjson.dumps({"id": f"{prefix}{i}", **item})) for i, item in enumerate(items)]


def endless_stream(sources: Sources, seed: int, prefix: str, dup_share: float = 0.15) -> Iterator[tuple[str, bytes]]:
    """The paced phase's records, built as they are needed, with the same share of copies."""
    rng = random.Random(seed)
    recent: list[dict[str, str]] = []
    for index in itertools.count():
        if recent and rng.random() < dup_share:
            base = rng.choice(recent)
            item = dict(base) if rng.random() < 0.5 else near_copy(base, rng)
        else:
            item = make_article(sources, rng)
            recent = [*recent[-499:], item]
        yield f"{prefix}{index}", orjson.dumps({"id": f"{prefix}{index}", **item})


def recycled(records: list[tuple[str, bytes]], prefix: str) -> Iterator[tuple[str, bytes]]:
    """The backlog's payloads again under new ids: cheap enough for pass-throughs paced at thousands/s.

    Only for pass-throughs, which never look inside; newsflow would see them as re-sends."""
    for index in itertools.count():
        key, value = records[index % len(records)]
        new_key = f"{prefix}{index}"
        yield new_key, value.replace(f'"id":"{key}"'.encode(), f'"id":"{new_key}"'.encode(), 1)


# ---------------------------------------------------------------------------------------------------------------------
# The ceiling: raw aiokafka in a subprocess (``--role ceiling``)


async def ceiling(topic_in: str, topic_out: str, group: str, transactional: bool) -> None:
    consumer = AIOKafkaConsumer(
        topic_in,
        bootstrap_servers=BOOTSTRAP,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 << 20,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP,
        acks="all",
        linger_ms=5,
        max_batch_size=1 << 20,  # the 16 KB default holds three 5 KB records per request
        transactional_id=f"{group}-txn" if transactional else None,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    await producer.start()
    await consumer.start()
    # One batch in flight: batch k is sent while batch k-1's acks are awaited and its offsets committed,
    # so the loop never idles on a broker round trip (the transactional variant cannot overlap).
    in_flight: tuple[list[asyncio.Future[Any]], dict[TopicPartition, int]] | None = None
    try:
        while not stopping.is_set():
            # A transaction per batch: keep them small enough that output becomes visible steadily.
            batch = await consumer.getmany(timeout_ms=200, max_records=500 if transactional else 5000)
            if not batch:
                continue
            offsets = {tp: messages[-1].offset + 1 for tp, messages in batch.items()}
            if transactional:
                async with producer.transaction():
                    for messages in batch.values():
                        for message in messages:
                            await producer.send(topic_out, value=message.value, key=message.key)
                    await producer.send_offsets_to_transaction(
                        {tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()}, group
                    )
                continue
            futures = [
                await producer.send(topic_out, value=message.value, key=message.key)
                for messages in batch.values()
                for message in messages
            ]
            if in_flight is not None:
                await asyncio.gather(*in_flight[0])
                await consumer.commit(in_flight[1])
            in_flight = (futures, offsets)
    finally:
        if in_flight is not None:
            await asyncio.gather(*in_flight[0])
            await consumer.commit(in_flight[1])
        await consumer.stop()
        await producer.stop()


# ---------------------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class ProcSample:
    at: float
    cpu_seconds: float
    rss: int
    hwm: int


def proc_sample(pid: int) -> ProcSample | None:
    """CPU seconds (utime+stime, all threads) and memory of one process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    memory = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return ProcSample(time.time(), cpu, memory.get("VmRSS", 0), memory.get("VmHWM", 0))


def broker_pid() -> int | None:
    """The local broker's JVM (read-only: sampled for CPU like the system under test), if it can be told apart."""
    port = BOOTSTRAP.rsplit(":", 1)[-1]
    found: list[tuple[int, bytes]] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes()
                if b"kafka.Kafka" in cmdline:
                    found.append((int(entry.name), cmdline))
    preferred = [pid for pid, cmdline in found if f"-{port}".encode() in cmdline]
    if len(preferred) == 1:
        return preferred[0]
    return found[0][0] if len(found) == 1 else None


class Sampler:
    """Samples the system under test's processes every 0.25 s, so any window's CPU can be read later."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.samples: dict[int, list[ProcSample]] = {pid: [] for pid in pids}

    async def run(self) -> None:
        while True:
            for pid in self.pids:
                sample = proc_sample(pid)
                if sample is not None:
                    self.samples[pid].append(sample)
            await asyncio.sleep(0.25)

    def cpu_at(self, pid: int, at: float) -> float:
        samples = self.samples[pid]
        if not samples:
            return 0.0
        before = [s for s in samples if s.at <= at]
        after = [s for s in samples if s.at >= at]
        if not before:
            return samples[0].cpu_seconds
        if not after:
            return samples[-1].cpu_seconds
        a, b = before[-1], after[0]
        if b.at == a.at:
            return a.cpu_seconds
        return a.cpu_seconds + (b.cpu_seconds - a.cpu_seconds) * (at - a.at) / (b.at - a.at)

    def cores(self, start: float, end: float) -> float:
        """Cores used by all processes together between two wall-clock times."""
        if end <= start:
            return 0.0
        return sum(self.cpu_at(pid, end) - self.cpu_at(pid, start) for pid in self.pids) / (end - start)

    def cores_of(self, pid: int, start: float, end: float) -> float:
        return (self.cpu_at(pid, end) - self.cpu_at(pid, start)) / (end - start) if end > start else 0.0

    def memory(self) -> tuple[int, int]:
        """(sum of peak VmHWM, sum of the largest VmRSS seen) over the processes."""
        hwm = sum(max((s.hwm for s in samples), default=0) for samples in self.samples.values())
        rss = sum(max((s.rss for s in samples), default=0) for samples in self.samples.values())
        return hwm, rss


@dataclass
class Arrival:
    at: float
    created: float
    topic: str


class Reader:
    """read_committed consumer of the outputs: first arrival time per key (and how many arrived in all)."""

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.first: dict[str, Arrival] = {}
        self.total = 0
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=BOOTSTRAP,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=4 << 20,
        )

    async def start(self) -> None:
        await self.consumer.start()
        partitions = []
        for topic in self.topics:
            for _ in range(50):
                found = self.consumer.partitions_for_topic(topic)
                if found:
                    break
                await self.consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            partitions += [TopicPartition(topic, p) for p in sorted(found or ())]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_beginning(*partitions)

    async def run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100, max_records=10000)
            now = time.time()
            for messages in batch.values():
                for message in messages:
                    self.total += 1
                    key = message.key.decode() if message.key else ""
                    if key not in self.first:
                        self.first[key] = Arrival(now, message.timestamp / 1000.0, message.topic)

    async def stop(self) -> None:
        await self.consumer.stop()

    def count(self, ids: list[str]) -> int:
        return sum(1 for i in ids if i in self.first)


async def produce_all(topic: str, records: list[tuple[str, bytes]]) -> float:
    """Send everything as fast as the client can; returns the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started = time.monotonic()
    try:
        futures = [await producer.send(topic, value=value, key=key.encode()) for key, value in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.monotonic() - started


async def produce_paced(
    topic: str, records: Iterator[tuple[str, bytes]], rate: float, seconds: float
) -> dict[str, float]:
    """Send ``rate`` records/s for ``seconds``; returns each id's send time (wall clock, stamped just before send)."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=0, max_batch_size=1 << 20)
    await producer.start()
    sent: dict[str, float] = {}
    futures = []
    try:
        started = time.time()
        while (now := time.time()) < started + seconds:
            due = int((now - started) * rate) + 1
            while len(sent) < due:
                key, value = next(records)
                sent[key] = time.time()
                futures.append(await producer.send(topic, value=value, key=key.encode()))
            await asyncio.sleep(min(0.005, 1.0 / rate))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency_timeline(
    sent: dict[str, float], received: dict[str, float], slice_seconds: float = 5.0
) -> list[tuple[float, float, float]]:
    """p50 and max latency (ms) of the records sent in each ``slice_seconds`` of the paced phase."""
    if not sent:
        return []
    first = min(sent.values())
    slices: dict[int, list[float]] = {}
    for key, at in sent.items():
        if key in received:
            slices.setdefault(int((at - first) // slice_seconds), []).append((received[key] - at) * 1000)
    return [(index * slice_seconds, percentile(values, 50), max(values)) for index, values in sorted(slices.items())]


def window_rate(times: list[float], low: float = 10, high: float = 90) -> tuple[float, float, float]:
    """(records/s, window start, window end) over the low..high percentile of arrival times."""
    ordered = sorted(times)
    if len(ordered) < 10:
        return float("nan"), 0.0, 0.0
    i, j = round(low / 100 * (len(ordered) - 1)), round(high / 100 * (len(ordered) - 1))
    start, end = ordered[i], ordered[j]
    return ((j - i) / (end - start) if end > start else float("nan")), start, end


# ---------------------------------------------------------------------------------------------------------------------
# Running one system


@dataclass
class Result:
    system: str
    workers: int
    guarantee: str
    n: int
    received: int
    outputs_total: int
    rate: float
    rate_created: float
    window_seconds: float
    cores: float
    broker_cores: float
    bench_cores: float
    hwm_bytes: int
    rss_bytes: int
    cpu_ms_per_article: float = float("nan")
    paced_rate: float = float("nan")
    paced_sent: int = 0
    paced_received: int = 0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    p99_ms: float = float("nan")
    latency_cores: float = float("nan")
    latency_broker_cores: float = float("nan")
    # (seconds into the paced phase, p50 ms, max ms) per slice of send times: queueing that builds up
    # (a capacity deficit) and a stall that clears look alike in p99, not here.
    latency_timeline: list[tuple[float, float, float]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    load_average: float = float("nan")  # 1-minute, at the end of the backlog: other jobs share the cores
    note: str = ""


@dataclass
class Plan:
    """What one system run needs: its topics, its processes' command lines, how to tell it is ready."""

    name: str
    guarantee: str
    workers: int
    topic_in: str
    topics_out: list[str]
    commands: list[tuple[list[str], dict[str, str]]]
    web_ports: list[int]
    group: str
    preproduce: bool
    all_topics: list[str]


def plan_system(name: str, workers: int, tag: str, workdir: Path, args: argparse.Namespace) -> Plan:
    base = dict(os.environ)
    if name.startswith("ceiling"):
        transactional = name.endswith("-eos")
        t_in, t_out, group = f"bench{tag}.{name}.in", f"bench{tag}.{name}.out", f"bench{tag}-{name}"
        argv = [sys.executable, __file__, "--role", "ceiling", "--topic-in", t_in, "--topic-out", t_out]
        argv += ["--group", group] + (["--transactional"] if transactional else [])
        guarantee = "exactly_once" if transactional else "at_least_once"
        return Plan(name, guarantee, 1, t_in, [t_out], [(argv, base)], [], group, True, [t_in, t_out])
    if name.startswith("faust"):
        guarantee = "exactly_once" if name.endswith("-eos") else "at_least_once"
        t_in, t_out, app_id = f"bench{tag}.{name}.in", f"bench{tag}.{name}.out", f"bench{tag}-{name}"
        port = free_port()
        env = {
            **base,
            "KAFKA_BOOTSTRAP": BOOTSTRAP,
            "BENCH_APP_ID": app_id,
            "BENCH_TOPIC_IN": t_in,
            "BENCH_TOPIC_OUT": t_out,
            "BENCH_GUARANTEE": guarantee,
            "BENCH_WEB_PORT": str(port),
            "BENCH_DATA_DIR": str(workdir / f"faust-{name}"),
        }
        argv = [sys.executable, str(REPO / "benchmarks" / "faust_passthrough.py"), "worker", "-l", "warn"]
        return Plan(name, guarantee, 1, t_in, [t_out], [(argv, env)], [port], app_id, True, [t_in, t_out])
    namespace = harness(args.newsflow_tree).Namespace(tag=f"{tag}nf{workers}", partitions=PARTITIONS)
    commands, ports = [], []
    overrides = dict(item.split("=", 1) for item in args.newsflow_env)
    for index in range(workers):
        port = free_port()
        env = namespace.env(
            workdir,
            NEWSFLOW_WEB_PORT=str(port),
            NEWSFLOW_LANGUAGE_SHORT_TEXT=args.language_short_text,
            **overrides,
        )
        env["NEWSFLOW_DATA_DIR"] = str(workdir / f"data-{namespace.tag}-{index}")
        if args.newsflow_tree != REPO:
            env["PYTHONPATH"] = os.pathsep.join([str(args.newsflow_tree / "src"), env.get("PYTHONPATH", "")])
        commands.append(([sys.executable, "-m", "newsflow", "worker"], env))
        ports.append(port)
    env0 = commands[0][1]
    outs = [namespace.topic(t) for t in ("enriched", "duplicates", "dlq")]
    every = [namespace.topic(t) for t in harness(args.newsflow_tree).TOPIC_FIELDS]
    label = "newsflow" if workers == 1 else f"newsflow-x{workers}"
    return Plan(
        label,
        env0.get("NEWSFLOW_PROCESSING_GUARANTEE", "exactly_once"),
        workers,
        namespace.topic("raw"),
        outs,
        commands,
        ports,
        env0["NEWSFLOW_APP_ID"],
        False,
        every,
    )


async def create_topics(plan: Plan) -> None:
    if plan.name.startswith("newsflow"):
        from newsflow.admin import ensure_topics
        from newsflow.config import Settings

        await ensure_topics(Settings.from_env(plan.commands[0][1]))
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in plan.all_topics])
    finally:
        await admin.close()


async def delete_topics(prefixes: tuple[str, ...]) -> list[str]:
    """Topics one system run made: its own names and the apps' internal ones (changelogs, assignor)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefixes)]
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1.0) as response:
            return bool(response.status == 200)
    except OSError:
        return False


async def wait_ready(plan: Plan, processes: list[subprocess.Popen[bytes]], logs: list[Path], timeout: float) -> None:
    """Every worker answers /healthz and the group is stable with all of them."""
    deadline = time.monotonic() + timeout
    pending = set(plan.web_ports)
    while pending:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"{plan.name} exited with {process.returncode}:\n{tail(log)}")
        pending = {port for port in pending if not healthy(port)}
        if time.monotonic() > deadline:
            raise RuntimeError(f"{plan.name} not healthy after {timeout} s:\n{tail(logs[0])}")
        await asyncio.sleep(0.5)
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        while time.monotonic() < deadline:
            try:
                described = await admin.describe_consumer_groups([plan.group])
            except GroupCoordinatorNotAvailableError:
                # A broker started moments ago has no __consumer_offsets yet (seen on a fresh
                # dev broker's first run); the workers' group creates it.
                await asyncio.sleep(0.5)
                continue
            group = described[0].groups[0] if described and described[0].groups else None
            if group is not None and group[2] == "Stable" and len(group[5]) >= plan.workers:
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{plan.name}: consumer group never stable with {plan.workers} members")
    finally:
        await admin.close()


async def stable_offsets(topics: list[str]) -> str:
    """Per partition, the end offset read_committed sees (the last stable offset) and the log's end.

    A gap that stays is a transaction left open: nothing after it reaches a read_committed reader.
    """
    ends: dict[str, dict[TopicPartition, int]] = {}
    for isolation in ("read_committed", "read_uncommitted"):
        consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, isolation_level=isolation)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, partition)
                for topic in topics
                for partition in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
            ]
            ends[isolation] = await consumer.end_offsets(partitions) if partitions else {}
        finally:
            await consumer.stop()
    return "\n".join(
        f"    {tp.topic}/{tp.partition}: stable {stable}, end {ends['read_uncommitted'].get(tp)}"
        for tp, stable in sorted(ends["read_committed"].items())
    )


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # the consumer has no subscription to fetch it for
    return consumer.partitions_for_topic(topic) or set()


def stuck_report(plan: Plan, logs: list[Path]) -> str:
    """Each worker's /debug/partitions page and log tail: what a backlog that never drained left behind."""
    parts = []
    for port, log in zip(plan.web_ports, logs, strict=True):
        kept = Path(tempfile.gettempdir()) / f"{plan.group}-{log.name}"  # the run's directory goes at its end
        shutil.copyfile(log, kept)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug/partitions", timeout=10.0) as response:
                page = response.read().decode(errors="replace")
        except OSError as exc:
            page = f"(no page: {exc})"
        parts.append(f"--- worker on :{port} /debug/partitions\n{page}")
        parts.append(f"--- its log ({kept}), last lines\n{tail(log, 40)}")
    return "\n".join(parts)


def profile_path(plan: Plan) -> Path:
    """Outside the run's temporary directory, so the raw samples outlive it (the path is printed)."""
    return Path(tempfile.gettempdir()) / f"py-spy-{plan.group}.txt"


async def wait_for(
    reader: Reader, ids: list[str], timeout: float, stall: float, processes: list[subprocess.Popen[bytes]]
) -> int:
    """Until every id has an output, ``timeout`` passes, no output comes for ``stall`` s, or a process exits."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline and all(process.poll() is None for process in processes):
        count = reader.count(ids)
        if count >= len(ids):
            return count
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > stall:
            break
        await asyncio.sleep(0.2)
    return reader.count(ids)


async def run_system(
    plan: Plan,
    backlog: list[tuple[str, bytes]],
    paced: Iterator[tuple[str, bytes]],
    args: argparse.Namespace,
    workdir: Path,
) -> Result:
    await create_topics(plan)
    ids = [key for key, _ in backlog]
    if plan.preproduce:
        seconds = await produce_all(plan.topic_in, backlog)
        print(f"  pre-produced {len(backlog)} records in {seconds:.1f} s", flush=True)
    reader = Reader(plan.topics_out)
    await reader.start()
    reader_task = asyncio.create_task(reader.run())
    logs = [workdir / f"{plan.name}-{i}.log" for i in range(len(plan.commands))]
    processes = [spawn(argv, env, log) for (argv, env), log in zip(plan.commands, logs, strict=True)]
    sampler = Sampler([p.pid for p in processes])
    broker = broker_pid()
    # The broker and this process share the 2 cores with the system under test: their CPU is reported too.
    others = Sampler([os.getpid()] + ([broker] if broker else []))
    sampler_task = asyncio.gather(sampler.run(), others.run())
    note = ""
    try:
        burst_at = float("nan")
        if not plan.preproduce:
            await wait_ready(plan, processes, logs, timeout=300.0)
            burst_at = time.time()
            seconds = await produce_all(plan.topic_in, backlog)
            print(f"  workers ready; produced {len(backlog)} records in {seconds:.1f} s", flush=True)
        recording = None
        if args.profile and plan.name == "newsflow":
            import profile_worker

            recording = profile_worker.start(processes[0].pid, profile_path(plan))
        got = await wait_for(reader, ids, args.drain_timeout, args.stall_timeout, processes)
        if recording is not None:
            messages = profile_worker.finish(recording)
            raw = profile_path(plan)
            profile = profile_worker.table(raw.read_text()) if raw.exists() else f"py-spy failed:\n{messages}"
            print(f"  worker CPU during the backlog (py-spy, raw samples in {raw}):")
            print("    " + profile.replace("\n", "\n    "))
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"{plan.name} exited with {process.returncode}:\n{tail(log)}")
        if got < len(ids):
            note = f"only {got}/{len(ids)} backlog outputs before the wait ended"
            print(f"  {note}; the topics' ends:\n{await stable_offsets(plan.all_topics)}", flush=True)
            print("  what each worker holds:\n" + stuck_report(plan, logs), flush=True)
        arrivals = [reader.first[i] for i in ids if i in reader.first]
        rate, start, end = window_rate([a.at for a in arrivals])
        rate_created, _, _ = window_rate([a.created for a in arrivals])
        cores = sampler.cores(start, end)
        bench_cores = others.cores_of(os.getpid(), start, end)
        broker_cores = others.cores_of(broker, start, end) if broker else float("nan")
        if end - start < 5.0 or abs(rate - rate_created) > 0.2 * rate_created:
            note += f" window {end - start:.1f} s or bursty output (by timestamp {rate_created:,.0f}/s): raise --n"
        # The rate window (10th-90th percentile of arrivals) trails the work: outputs become visible one
        # transaction commit per hop later, so the window ends in the tail where the worker waits on its
        # last commits, and `cores` over it reads lower than a worker that was CPU-bound throughout.
        # CPU per article, from the burst to the last output, does not depend on the window.
        cpu_ms_per_article = float("nan")
        if arrivals and burst_at == burst_at:
            first_at, last_at = min(a.at for a in arrivals), max(a.at for a in arrivals)
            busy_seconds = sampler.cores(burst_at, last_at) * (last_at - burst_at)
            cpu_ms_per_article = busy_seconds / len(arrivals) * 1000
            print(
                f"  outputs {first_at - burst_at:.1f}-{last_at - burst_at:.1f} s after the burst; "
                f"{cpu_ms_per_article:.2f} ms of worker CPU per article, burst to last output "
                f"({1000 / cpu_ms_per_article:.0f} articles/s per busy core)",
                flush=True,
            )
        outcomes: dict[str, int] = {}
        for arrival in arrivals:
            outcome = arrival.topic.rsplit(".", 1)[-1]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        print(
            f"  backlog: {got}/{len(ids)} outputs, {rate:,.0f}/s over {end - start:.1f} s "
            f"(by record timestamp {rate_created:,.0f}/s), {cores:.2f} cores "
            f"(broker {broker_cores:.2f}, this process {bench_cores:.2f}); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        result = Result(
            system=plan.name,
            workers=plan.workers,
            guarantee=plan.guarantee,
            n=len(ids),
            received=got,
            outputs_total=reader.total,
            rate=rate,
            rate_created=rate_created,
            window_seconds=end - start,
            cores=cores,
            broker_cores=broker_cores,
            bench_cores=bench_cores,
            cpu_ms_per_article=cpu_ms_per_article,
            hwm_bytes=0,
            rss_bytes=0,
            outcomes=outcomes,
            load_average=os.getloadavg()[0],
            note=note,
        )
        if args.pace_seconds > 0 and rate == rate:  # nan when the backlog produced too little
            # A fixed rate compares latency across versions whose maximum rates differ.
            target = args.pace_rate or 0.5 * rate
            # Fast systems pace for less time rather than push gigabytes through a shared broker.
            seconds = min(args.pace_seconds, args.max_paced / target)
            sent = await produce_paced(plan.topic_in, paced, target, seconds)
            sent_ids = list(sent)
            got_paced = await wait_for(reader, sent_ids, 60.0, 20.0, processes)
            latencies = [(reader.first[i].at - sent[i]) * 1000 for i in sent_ids if i in reader.first]
            first_sent, last_sent = min(sent.values()), max(sent.values())
            result.paced_rate = len(sent) / max(1e-9, last_sent - first_sent)
            result.paced_sent, result.paced_received = len(sent), got_paced
            result.p50_ms, result.p95_ms, result.p99_ms = (percentile(latencies, q) for q in (50, 95, 99))
            result.latency_cores = sampler.cores(first_sent, last_sent)
            if broker:
                result.latency_broker_cores = others.cores_of(broker, first_sent, last_sent)
            arrived = {i: reader.first[i].at for i in sent_ids if i in reader.first}
            result.latency_timeline = latency_timeline(sent, arrived)
            print(
                f"  paced {result.paced_rate:,.0f}/s for {args.pace_seconds:.0f} s: {got_paced}/{len(sent)} outputs, "
                f"p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
                f"{result.latency_cores:.2f} cores (broker {result.latency_broker_cores:.2f})",
                flush=True,
            )
            print(
                "  latency by send time (s: p50 / max ms): "
                + ", ".join(f"{at:.0f}: {p50:.0f} / {top:.0f}" for at, p50, top in result.latency_timeline),
                flush=True,
            )
        result.hwm_bytes, result.rss_bytes = sampler.memory()
        return result
    finally:
        sampler_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler_task
        reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader_task
        await reader.stop()
        for process in processes:
            stop(process)


# ---------------------------------------------------------------------------------------------------------------------
# Report


def environment() -> dict[str, str]:
    import aiokafka
    import faust

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    kafka = "unknown"
    with contextlib.suppress(Exception):
        kafka = asyncio.run(broker_version())
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "faust": faust.__version__,
        "aiokafka": aiokafka.__version__,
        "kafka": kafka,
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


async def broker_version() -> str:
    """The broker's software version, from the KRaft install the local script runs (the protocol does not say)."""
    libs = Path.home() / ".cache" / "newsflow"
    jars = sorted(libs.glob("kafka-*/libs/kafka_*-*.jar"))
    for jar in jars:
        stem = jar.stem.split("-", 1)
        if len(stem) == 2 and stem[1][:1].isdigit() and "test" not in stem[1] and "sources" not in stem[1]:
            return stem[1]
    return "unknown"


def fmt(value: float, digits: int = 0) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def report(results: list[Result], pace_rate: float = 0.0) -> list[tuple[str, str, str, bool | None]]:
    print()
    columns = ["system", "guarantee", "workers", "art/s", "art/s by ts", "cores", "art/s/core", "broker cores"]
    columns += ["p50 ms", "p95 ms", "p99 ms", "paced art/s", "VmHWM MiB", "VmRSS MiB", "load", "outputs"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for r in results:
        per_core = r.rate / r.cores if r.cores > 0 else float("nan")
        outputs = (
            ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) if r.system.startswith("newsflow") else ""
        )
        if r.received < r.n:
            outputs = f"{outputs} ({r.n - r.received} missing)".strip()
        row = [r.system, r.guarantee, str(r.workers), fmt(r.rate), fmt(r.rate_created), fmt(r.cores, 2)]
        row += [fmt(per_core), fmt(r.broker_cores, 2), fmt(r.p50_ms), fmt(r.p95_ms), fmt(r.p99_ms)]
        row += [
            fmt(r.paced_rate),
            f"{r.hwm_bytes / 2**20:.0f}",
            f"{r.rss_bytes / 2**20:.0f}",
            fmt(r.load_average, 1),
            outputs,
        ]
        print("| " + " | ".join(row) + " |")
    for r in results:
        if r.note:
            print(f"note, {r.system}: {r.note.strip()}")
    by_name = {r.system: r for r in results}
    full, two = by_name.get("newsflow"), by_name.get("newsflow-x2")
    faust_alo, ceil_alo = by_name.get("faust"), by_name.get("ceiling")
    print()
    checks: list[tuple[str, str, str, bool | None]] = []
    if full is not None:
        checks.append(
            (
                "full pipeline articles/s per worker",
                "≥ 2,000",
                fmt(full.rate),
                full.rate >= TARGETS["full_rate_per_worker"],
            )
        )
        if faust_alo is not None:
            ratio = full.rate / faust_alo.rate
            checks.append(
                (
                    "full / faust pass-through (at_least_once)",
                    "≥ 1.5×",
                    f"{ratio:.3f}×",
                    ratio >= TARGETS["full_over_faust"],
                )
            )
        if "faust-eos" in by_name:
            ratio = full.rate / by_name["faust-eos"].rate
            checks.append(("full / faust pass-through (exactly_once)", "(reported)", f"{ratio:.3f}×", None))
        if ceil_alo is not None:
            ratio = full.rate / ceil_alo.rate
            checks.append(
                ("full / ceiling (at_least_once)", "≥ 40 %", f"{ratio:.1%}", ratio >= TARGETS["full_over_ceiling"])
            )
        if "ceiling-eos" in by_name:
            ratio = full.rate / by_name["ceiling-eos"].rate
            checks.append(("full / ceiling (exactly_once)", "(reported)", f"{ratio:.1%}", None))
        if pace_rate:
            checks.append(
                (
                    f"full p99 paced at {pace_rate:g}/s (not the target's 50 %)",
                    "(reported)",
                    f"{fmt(full.p99_ms)} ms",
                    None,
                )
            )
        else:
            checks.append(
                ("full p99 at 50 % of max rate", "≤ 150 ms", f"{fmt(full.p99_ms)} ms", full.p99_ms <= TARGETS["p99_ms"])
            )
        checks.append(
            (
                "full worker RSS (VmHWM)",
                "≤ 1 GiB",
                f"{full.hwm_bytes / 2**20:.0f} MiB",
                full.hwm_bytes <= TARGETS["rss_bytes"],
            )
        )
    if full is not None and two is not None:
        ratio = two.rate / full.rate
        checks.append(("2 workers / 1 worker", "≥ 1.7×", f"{ratio:.2f}×", ratio >= TARGETS["scale_2_over_1"]))
        per = two.hwm_bytes / max(1, two.workers)
        checks.append(
            ("2-worker RSS per worker (VmHWM)", "≤ 1 GiB", f"{per / 2**20:.0f} MiB", per <= TARGETS["rss_bytes"])
        )
    print("| target | bar | measured | |\n|---|---|---|---|")
    for what, target, measured, ok in checks:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"| {what} | {target} | {measured} | {verdict} |")
    return checks


# ---------------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS), help=f"comma list of {', '.join(ALL_SYSTEMS)}")
    parser.add_argument("--workers", default="1,2", help="newsflow worker counts to run, comma list (default 1,2)")
    parser.add_argument("--n", type=int, default=50_000, help="backlog records for the pass-throughs")
    parser.add_argument("--n-full", type=int, default=3_000, help="backlog records for newsflow")
    parser.add_argument("--pace-seconds", type=float, default=25.0, help="paced latency phase length (0 skips it)")
    parser.add_argument(
        "--pace-rate", type=float, default=0.0, help="paced rate in records/s (default: 50 %% of the measured rate)"
    )
    parser.add_argument("--max-paced", type=int, default=100_000, help="cap on records sent in the paced phase")
    parser.add_argument("--quick", action="store_true", help="small N and short pacing: a smoke run in < 3 min")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--json", type=Path, default=None, help="write machine-readable results here")
    parser.add_argument(
        "--language-short-text",
        default="fast",
        choices=("fast", "balanced", "accurate", "off"),
        help="NEWSFLOW_LANGUAGE_SHORT_TEXT",
    )
    parser.add_argument(
        "--newsflow-env", action="append", default=[], metavar="NAME=VALUE", help="extra env for newsflow workers"
    )
    parser.add_argument(
        "--newsflow-tree",
        type=lambda text: Path(text).resolve(),
        default=REPO,
        help="run newsflow from this tree's src/ and tests/ (e.g. a `git archive` export of another revision)",
    )
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="max seconds to wait for a backlog")
    parser.add_argument("--stall-timeout", type=float, default=90.0, help="give up after this long with no output")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the 1-worker newsflow run's backlog phase (profile_worker.py)"
    )
    parser.add_argument("--keep-topics", action="store_true", help="leave the run's topics on the broker")
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--topic-in", help=argparse.SUPPRESS)
    parser.add_argument("--topic-out", help=argparse.SUPPRESS)
    parser.add_argument("--group", help=argparse.SUPPRESS)
    parser.add_argument("--transactional", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n = min(args.n, 4000)
        args.n_full = min(args.n_full, 400)
        args.pace_seconds = min(args.pace_seconds, 6.0)
    return args


async def main_async(args: argparse.Namespace, tag: str) -> list[Result]:
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(ALL_SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown systems {sorted(unknown)}; known: {', '.join(ALL_SYSTEMS)}")
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    sources = load_sources()
    passthroughs = any(s != "newsflow" for s in systems)
    backlog = build_stream(sources, args.n, args.seed, "b") if passthroughs else []
    backlog_full = build_stream(sources, args.n_full, args.seed, "b")
    sizes = sorted(len(v) for _, v in backlog or backlog_full)
    print(
        f"run tag {tag}; seed {args.seed}; backlog {len(backlog)} records (newsflow: {len(backlog_full)}), "
        f"payload median {sizes[len(sizes) // 2]} B, max {sizes[-1]} B",
        flush=True,
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="newsflow-throughput-") as tmp:
        workdir = Path(tmp)
        runs = [(s, 1) for s in systems if s != "newsflow"]
        if "newsflow" in systems:
            runs += [("newsflow", w) for w in worker_counts]
        for index, (name, workers) in enumerate(runs):
            plan = plan_system(name, workers, tag, workdir, args)
            print(f"\n== {plan.name} ({plan.guarantee}, {workers} process{'es' if workers > 1 else ''})", flush=True)
            if plan.name.startswith("newsflow"):
                records, paced = backlog_full, endless_stream(sources, args.seed + 1 + index, "p")
            else:
                records, paced = backlog, recycled(backlog, "p")
            try:
                results.append(await run_system(plan, records, paced, args, workdir))
            except Exception as exc:  # one system failing (or the shared broker restarting) must not lose the others
                print(f"  FAILED: {type(exc).__name__}: {exc}", flush=True)
            finally:
                if not args.keep_topics:
                    prefixes = (f"bench{tag}.{name}.", f"bench{tag}-{name}-", f"t{tag}nf{workers}.")
                    try:
                        deleted = await delete_topics((*prefixes, f"newsflow-{tag}nf{workers}-"))
                        print(f"  deleted {len(deleted)} topics", flush=True)
                    except Exception as exc:  # cleanup is best effort; the names are unique anyway
                        print(f"  could not delete topics: {exc}", flush=True)
    return results


def interrupted(signum: int, frame: object) -> None:
    kill_all()
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    if args.role == "ceiling":
        asyncio.run(ceiling(args.topic_in, args.topic_out, args.group, args.transactional))
        return
    env = environment()
    print(" ".join(f"{k}={v}" for k, v in env.items()), flush=True)
    # Our own handlers, installed before asyncio.run so it keeps them: the workers die at once, whatever
    # the event loop is awaiting (a cancellation can be swallowed by client code; an exception is not).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    tag = uuid.uuid4().hex[:8]
    started = time.monotonic()
    try:
        results = asyncio.run(main_async(args, tag))
    except KeyboardInterrupt:
        kill_all()
        print("interrupted: workers stopped; deleting this run's topics", file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if not args.keep_topics:
            with contextlib.suppress(Exception):
                asyncio.run(delete_topics((f"bench{tag}", f"t{tag}", f"newsflow-{tag}")))
        raise SystemExit(130) from None
    finally:
        kill_all()
    checks = report(results, args.pace_rate)
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = own.ru_utime + own.ru_stime
    print(f"\nwall {time.monotonic() - started:.0f} s; the benchmark process itself used {own_cpu:.0f} s CPU")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "environment": env,
                    "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "results": [asdict(r) for r in results],
                    "targets": [{"what": w, "target": t, "measured": m, "pass": ok} for w, t, m, ok in checks],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
