"""The whole stream topology in one place.

    news.raw ──analyse──▶ news.analysed ──dedup──▶ news.enriched
               │                          ├──▶ news.duplicates (copies, with duplicate_of)
               │                          └──▶ news.clusters   (copy counts per cluster_id)
               └──────── any stage ───────────▶ news.dlq         (payload, stage, reason, error)

    analyse = ingest → clean → fingerprint → language → entities, one article at a time

Two agents. ``analyse`` runs the per-article stages from :mod:`newsflow.stages`
one after another, each through :func:`newsflow.pipeline.run_stage` (so each
has its own metrics, timeout and DLQ reason), on every raw partition in
parallel. ``dedup`` reads ``news.analysed``, which has
``NEWSFLOW_DEDUP_PARTITIONS`` partitions (default 1): the single ordered log
where copies meet, whatever the number of raw partitions and workers. With more
partitions, each article goes to the one of its first MinHash value, which near
copies share with probability ~their similarity (see ``docs/dedup.md``).
The per-article stages used to be agents of their own,
chained through topics; dropping two of those hops (with batching and producer
linger) saved ~4 ms of CPU per article, ten times what cleaning and language cost
(docs/benchmarks/throughput.md). So they run back to back in one agent and only
dedup, which needs the single ordered log, is a hop. Duplicates pay for
enrichment they then drop; in exchange all the heavy work runs in parallel.

Agents take events in batches (``NEWSFLOW_BATCH_SIZE``) and handle each event
whole; a record that fails goes to the DLQ and the agent never raises.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import Any, cast

import faust
from aiokafka.admin import AIOKafkaAdminClient
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import EventT
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from newsflow import __version__
from newsflow.codecs import OrjsonCodec, dumps
from newsflow.config import Settings
from newsflow.connection import aiokafka_options, faust_broker_options
from newsflow.eos import RESTART_EXIT_CODE, App, gated
from newsflow.errors import MalformedRecord, RecordError
from newsflow.flight_recorder import STEPS_LOGGED_AT_EXIT
from newsflow.metrics import StageMetrics
from newsflow.models import SCHEMA_VERSION, Article, ClusterUpdate, DeadLetter, output_record, utc_now_iso
from newsflow.pipeline import Stages, dead_letter, ingest, make_deduper, oversized, record_outcome, run_stage
from newsflow.stages.dedup import Deduper, PrefixedStore, SeenStore, partition_key

log = logging.getLogger(__name__)
LAG_INTERVAL_SECONDS = 5.0


def create_app(settings: Settings, *, registry: CollectorRegistry | None = None) -> faust.App:
    registry = registry if registry is not None else default_registry()
    metrics = StageMetrics.create(registry)
    metrics.initialise(
        (settings.topic_enriched, settings.topic_duplicates), tuple(cls.reason for cls in RecordError.__subclasses__())
    )
    metrics.build_info.info(
        {"version": __version__, "config_hash": settings.config_hash(), "guarantee": settings.processing_guarantee}
    )
    app = App(
        settings.app_id,
        **faust_broker_options(settings),
        broker_client_id=settings.kafka_client_id,
        store=settings.store,
        datadir=settings.data_dir,
        processing_guarantee=settings.processing_guarantee,
        broker_commit_interval=settings.commit_interval_seconds,
        fetch_max_wait_seconds=settings.fetch_max_wait_seconds,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        web_port=settings.web_port,
        web_bind=settings.web_host,
        consumer_auto_offset_reset="earliest",
        # An article's outputs and table changelog writes go to several partitions; lingering lets them
        # share produce requests.
        producer_linger=settings.producer_linger_seconds,
        # Faust's default is 1,000,000 bytes; oversized() keeps every output within the setting.
        producer_max_request_size=max(1_000_000, settings.max_record_bytes),
        autodiscover=False,
        version=1,
    )
    setup_prometheus_sensors(app, pattern="/metrics", registry=registry, name_prefix="faust")
    json = OrjsonCodec()

    # Topics, in pipeline order.
    raw = app.topic(settings.topic_raw, key_serializer="raw", value_serializer="raw", partitions=settings.partitions)
    analysed = app.topic(settings.topic_analysed, value_serializer=json, partitions=settings.dedup_partitions)
    enriched = app.topic(settings.topic_enriched, value_serializer=json, partitions=settings.partitions)
    duplicates = app.topic(settings.topic_duplicates, value_serializer=json, partitions=settings.partitions)
    clusters = app.topic(settings.topic_clusters, value_serializer=json, partitions=settings.partitions)
    dlq = app.topic(settings.topic_dlq, value_serializer=json, partitions=settings.partitions)

    # Keys and values are JSON (Faust's table default): fingerprints, ids, counts. One table holds
    # every dedup partition a worker owns, so each partition's Deduper gets its own key prefix.
    # A Table is a MutableMapping; faust's stubs just don't say it matches the SeenStore protocol.
    table = app.Table("dedup-state", partitions=settings.dedup_partitions)
    dedup_state = cast(SeenStore, table)
    stages = Stages.build(settings, PrefixedStore(dedup_state, "p0/")).load()
    dedupers = {0: stages.dedup}

    # With NEWSFLOW_DEDUP_BAND_INDEX=memory the LSH band index is derived state, rebuilt from the
    # signatures in the table whenever a partition is handled in a new consumer generation. It is
    # rebuilt here, by the dedup agent, and not in a Table.on_recover callback: with the callback,
    # workers stalled after kill -9 restarts in the fault test (docs/dedup.md).
    indexed_in: dict[int, int] = {}

    def deduper_for(partition: int) -> Deduper:
        generation = app.consumer_generation_id
        if settings.dedup_band_index == "memory" and indexed_in.get(partition) != generation:
            own = f"p{partition}/"
            deduper = make_deduper(settings, PrefixedStore(dedup_state, own))
            stored = [(str(key)[len(own) :], value) for key, value in table.items() if str(key).startswith(own + "m:")]
            indexed = deduper.rebuild_band_index(stored)
            dedupers[partition] = deduper
            indexed_in[partition] = generation
            log.info("dedup partition %d: band index rebuilt from %d stored signatures", partition, indexed)
        elif partition not in dedupers:
            dedupers[partition] = make_deduper(settings, PrefixedStore(dedup_state, f"p{partition}/"))
        return dedupers[partition]

    timeout = settings.record_timeout_seconds

    async def to_dlq(record: DeadLetter) -> None:
        await dlq.send(key=record.id.encode(), value=record)

    def origin(event: EventT[Any]) -> str:
        message = event.message
        return f"{message.topic}/{message.partition}/{message.offset}"

    async def step(stage: Any, name: str, article: Article, event: EventT[Any]) -> Article | None:
        """Run one stage; a record it cannot process goes to the DLQ and the handler stops (None)."""
        try:
            return run_stage(stage, name, article, timeout=timeout, metrics=metrics)
        except RecordError as error:
            await to_dlq(dead_letter(article, stage=name, error=error, origin=origin(event), metrics=metrics))
            return None

    # The per-article chain, in order. Each entry is a separate pure stage with its own metrics.
    chain = (
        ("clean", stages.clean_and_fingerprint),
        ("language", stages.language),
        ("entities", stages.entities),
    )

    async def analyse(event: EventT[bytes]) -> None:
        key, payload, ingested_at = event.key, event.value, utc_now_iso()
        try:
            parse = ingest(payload, key, settings, ingested_at)
            parsed = run_stage(parse, "ingest", _blank(ingested_at), timeout=timeout, metrics=metrics)
        except RecordError as error:
            await to_dlq(
                dead_letter(
                    payload or b"",
                    stage="ingest",
                    error=error,
                    key=key,
                    ingested_at=ingested_at,
                    origin=origin(event),
                    metrics=metrics,
                )
            )
            return
        metrics.articles_out.labels("ingest", "ok").inc()
        parsed.origin = origin(event)
        article = parsed
        for name, stage in chain:
            done = await step(stage, name, article, event)
            if done is None:
                return
            metrics.articles_out.labels(name, "ok").inc()
            article = done
        # Encoded once, here: the size check needs the bytes, and the send takes them as they are.
        # orjson encodes the dataclass directly; dataclasses.asdict would copy it first.
        encoded = dumps(article)
        too_large = oversized(article, settings.max_record_bytes, len(encoded))
        if too_large is not None:
            await to_dlq(dead_letter(article, stage="publish", error=too_large, origin=origin(event), metrics=metrics))
            return
        dedup_key = partition_key(article.fingerprint, article.id)
        await analysed.send(key=dedup_key.encode(), value=encoded, value_serializer="raw")

    async def dedup(event: EventT[Any]) -> None:
        deduper = deduper_for(event.message.partition)
        try:
            article = Article.from_dict(cast(dict[str, Any], event.value))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Only a bug or a version mix-up writes such a record, but it must not crash-loop a worker.
            error = MalformedRecord(f"not an analysed article: {type(exc).__name__}: {exc}")
            await to_dlq(
                dead_letter(dumps(event.value), stage="dedup", error=error, origin=origin(event), metrics=metrics)
            )
            return
        checked = await step(deduper, "dedup", article, event)
        if checked is None:
            return
        verdict = checked.dedup
        assert verdict is not None  # Deduper always sets it or raises
        if verdict.cluster_id is not None:
            await clusters.send(key=verdict.cluster_id.encode(), value=cluster_update(checked, deduper))
        if verdict.status == "original":
            metrics.articles_out.labels("dedup", "ok").inc()
            record = output_record(checked)
            await enriched.send(key=checked.id.encode(), value=record)
            metrics.articles_out.labels("publish", "ok").inc()
            record_outcome(metrics, record, settings.topic_enriched)
        else:
            metrics.articles_out.labels("dedup", "duplicate").inc()
            record = output_record(without_enrichment(checked))
            await duplicates.send(key=checked.id.encode(), value=record)
            record_outcome(metrics, record, settings.topic_duplicates)

    size, within = settings.batch_size, settings.batch_within_seconds
    app.agent(raw, name="analyse")(gated(app, analyse, batch_size=size, within=within))
    app.agent(analysed, name="dedup")(gated(app, dedup, batch_size=size, within=within))

    _add_operational_endpoints(app, settings, metrics)
    return app


def cluster_update(article: Article, deduper: Deduper) -> ClusterUpdate:
    """Companion record on ``news.clusters``: how many copies the cluster's original has so far."""
    verdict = article.dedup
    assert verdict is not None and verdict.cluster_id is not None
    original_id = article.id if verdict.status == "original" else verdict.duplicate_of
    return ClusterUpdate(
        schema_version=SCHEMA_VERSION,
        cluster_id=verdict.cluster_id,
        original_id=original_id or article.id,
        # copies_seen counts the cluster's members, the original included.
        copies=max(0, deduper.copies_seen(verdict.cluster_id) - 1),
        last_article_id=article.id,
        updated_at=utc_now_iso(),
    )


def without_enrichment(article: Article) -> Article:
    """A duplicate as ``newsflow process`` reports it: dedup runs before language and entities there,
    and the duplicates topic keeps the same fields whichever path made the record."""
    article.language = None
    article.entities = []
    article.entity_groups = []
    return article


def default_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def _blank(ingested_at: str) -> Article:
    return Article(id="", text="", ingested_at=ingested_at)


class StallWatch:
    """Notices a worker that has input waiting but makes no progress.

    Faust consumers can stall after a broker restart or a rebalance (faust-streaming#175, #629):
    alive, heartbeating, processing nothing. Exactly-once makes a restart safe, so a stalled worker
    reports unhealthy and then exits, and its supervisor (compose, Kubernetes) starts it again.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._progress = -1
        self._since = time.monotonic()

    def observe(self, progress: int, lag: int) -> None:
        """``progress``: any count that moves while the worker works (events handled, records restored)."""
        if lag == 0 or progress != self._progress:
            self._progress = progress
            self._since = time.monotonic()

    @property
    def stalled_for(self) -> float:
        return time.monotonic() - self._since

    @property
    def stalled(self) -> bool:
        return self.timeout > 0 and self.stalled_for > self.timeout


def _changelog_records_restored(app: faust.App) -> int:
    """Where faust's table recovery has read its changelogs to: it moves while a table is restored.

    A worker that takes over the dedup partition restores the table first, with its source
    partitions' lag growing and no event handled; with a large changelog that takes minutes
    (1.2 million records in the 100,000-article fault run), and StallWatch must not call it a stall
    and restart the worker, which would then restore from the beginning again.
    """
    recovery = cast(Any, app.tables).recovery
    offsets = [*recovery.active_offsets.values(), *recovery.standby_offsets.values()]
    return sum(offset for offset in offsets if offset is not None and offset > 0)


async def _records_waiting(consumer: Any, assignment: set[Any], end_offsets: Mapping[Any, int]) -> int:
    """Records not fetched yet plus records fetched and not yet handled: what a stall leaves behind.

    Not the committed lag. Each transaction leaves a commit marker that takes an offset and is never
    handed to an agent, so a partition written by several producers ends with several markers past
    the last committed record: in the ten-rebalance test an idle worker showed lag 3 and was
    restarted as stalled 120 s later. The fetch position moves past markers.

    Also records fetched and skipped: faust's stream loop drops an event fetched just before a
    rebalance, and GatedConsumer keeps it unacked so that it is read again after the seek back to
    the committed offset that normally follows. When that seek came first, the fetch position is
    already past the record and nothing reads it again: the partition sits idle with lag the
    committed offset shows and neither count above does (the ten-rebalance test waited 240 s on it).
    """
    waiting = len(getattr(consumer, "_unacked_messages", ()))
    skipped: Mapping[Any, int] = getattr(consumer, "_skipped", {})
    # A skip the group has committed past (another worker read the partition meanwhile) leaves no hole.
    committed: Mapping[Any, int | None] = getattr(consumer, "_committed_offset", {})
    for tp in assignment:
        end = end_offsets.get(tp)
        try:
            position = await consumer.position(tp)
        except Exception:  # revoked by a rebalance since the assignment was read; an exception here crashed faust
            continue
        if position is None:
            continue
        if end is not None:
            waiting += max(0, end - position)
        first_skipped = skipped.get(tp)
        if first_skipped is not None and first_skipped >= (committed.get(tp) or 0):
            waiting += max(0, position - first_skipped)
    return waiting


def _committed_position(done: Any) -> int:
    """The next offset to read after the group's commit (an ``OffsetAndMetadata``, or None): 0 before any."""
    return int(done.offset) if done is not None and done.offset >= 0 else 0


def _handled_not_committed(consumer: Any, assignment: set[Any], committed: Mapping[Any, Any]) -> int:
    """Events an agent handled past the group's committed offset: work a stalled commit leaves behind.

    A healthy worker commits what it handled within one commit interval, so this is 0 whenever it
    is idle. In a CI fault run (2026-11-29, docs/reliability.md) a worker handled every event of the
    dedup partition, sat idle with nothing unfetched or unacked, and never committed: its outputs
    stayed in an open transaction, invisible to read_committed consumers. A restarted worker
    recovered that state at once, so it must count as a stall.
    """
    handled: Mapping[Any, tuple[int | None, int]] = getattr(consumer, "_handled", {})
    waiting = 0
    for tp in assignment:
        highest = handled.get(tp, (None, -1))[1]
        waiting += max(0, highest + 1 - _committed_position(committed.get(tp)))
    return waiting


async def _stall_report(app: faust.App) -> str:
    """What the consumer, the table recovery and the agents were doing when a stall was declared."""
    lines = []
    describe = getattr(app.consumer, "describe_partitions", None)
    if describe is not None:
        try:
            lines.append(await describe())
        except Exception as exc:  # the report is written on the way out; it must not stop the exit
            lines.append(f"consumer: {type(exc).__name__}: {exc}")
    recovery = cast(Any, app.tables).recovery
    lines.append(
        f"recovery: in_recovery={recovery.in_recovery} active={dict(recovery.active_offsets)} "
        f"active_highwaters={dict(recovery.active_highwaters)} standby={dict(recovery.standby_offsets)}"
    )
    for task in asyncio.all_tasks():
        frames = task.get_stack(limit=1)
        where = f"{frames[0].f_code.co_filename.rsplit('/', 2)[-1]}:{frames[0].f_lineno}" if frames else "?"
        lines.append(f"task {getattr(task.get_coro(), '__qualname__', '?')} at {where}")
    return "\n".join(lines[:2] + sorted(lines[2:]))


def _add_operational_endpoints(app: faust.App, settings: Settings, metrics: StageMetrics) -> None:
    watch = StallWatch(settings.stall_timeout_seconds)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        if watch.stalled:
            return web.json({"status": "stalled", "seconds": round(watch.stalled_for)}, status=503)
        return web.json({"status": "ok", "version": __version__})

    @app.page("/debug/partitions")
    async def partitions(web: Any, request: Any) -> Any:
        """Per assigned partition: committed, read, fetched and handled offsets, and the table recovery.

        The same report a stalled worker logs on its way out; read it when a worker sits idle with lag.
        """
        return web.text(await _stall_report(app))

    @app.page("/debug/journal")
    async def journal(web: Any, request: Any) -> Any:
        """The consumer's last steps (fetches, seeks, deliveries, acks, commits): where a record went."""
        recorder = getattr(app.consumer, "flight_recorder", None)
        return web.text(recorder.text() if recorder is not None else "no flight recorder on this consumer")

    async def count_rebalance(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        metrics.rebalances.inc()

    app.on_rebalance_complete.connect(count_rebalance)  # type: ignore[arg-type]  # faust's stub is too narrow

    admin: list[AIOKafkaAdminClient] = []
    reported: set[tuple[str, str]] = set()

    # Changelog and assignor topics are assigned too, but the group never commits offsets on them.
    sources = {settings.topic_raw, settings.topic_analysed}

    @app.timer(interval=LAG_INTERVAL_SECONDS)  # type: ignore[untyped-decorator]
    async def report_lag() -> None:
        """Lag of the source partitions this worker owns: end offset minus the group's committed offset."""
        assignment = {tp for tp in app.consumer.assignment() if tp.topic in sources}
        # Partitions that moved to another worker must not be reported twice.
        for topic, partition in reported - {(tp.topic, str(tp.partition)) for tp in assignment}:
            metrics.consumer_lag.remove(topic, partition)
            metrics.end_offset.remove(topic, partition)
            reported.discard((topic, partition))
        if not assignment:
            return
        try:
            if not admin:
                client = AIOKafkaAdminClient(**aiokafka_options(settings))
                await client.start()
                admin.append(client)
            committed = await admin[0].list_consumer_group_offsets(app.conf.id)
            end_offsets = await app.consumer.highwaters(*assignment)
        except Exception as exc:  # lag is best effort; never take the worker down for it
            log.warning("could not read consumer lag: %s", exc)
            return
        for tp in assignment:
            end = end_offsets.get(tp)
            if end is None:
                continue
            position = _committed_position(committed.get(tp))
            labels = (tp.topic, str(tp.partition))
            reported.add(labels)
            lag = max(0, end - position)
            metrics.end_offset.labels(*labels).set(end)
            metrics.consumer_lag.labels(*labels).set(lag)
        waiting = await _records_waiting(app.consumer, assignment, end_offsets)
        waiting += _handled_not_committed(app.consumer, assignment, committed)
        watch.observe(app.monitor.events_total + _changelog_records_restored(app), waiting)
        if watch.stalled:
            recorder = getattr(app.consumer, "flight_recorder", None)
            log.error(
                "no progress for %.0f s with %d records waiting: exiting so the supervisor restarts us\n%s\n"
                "the consumer's last steps:\n%s",
                watch.stalled_for,
                waiting,
                await _stall_report(app),
                recorder.text(last=STEPS_LOGGED_AT_EXIT) if recorder is not None else "(no flight recorder)",
            )
            # Exactly-once makes this as safe as a crash; a clean shutdown could hang in the stall.
            os._exit(RESTART_EXIT_CODE)
