"""The stage chain, run in-process.

``Pipeline.process`` is what ``newsflow process`` and the tests use: the same
stages, in the same order, as the Faust topology, with no Kafka. The topology
reuses :func:`run_stage` and :func:`dead_letter` so both paths fail the same
way and count the same metrics.
"""

from __future__ import annotations

import base64
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from newsflow.config import Settings
from newsflow.errors import RecordError, StageFailure, StageTimeout, TooLarge
from newsflow.ingest import RAW_PAYLOAD_FACTOR, derived_id, key_id, parse_payload
from newsflow.metrics import StageMetrics, language_label
from newsflow.models import SCHEMA_VERSION, Article, DeadLetter, EnrichedRecord, output_record, utc_now_iso
from newsflow.stages import Stage
from newsflow.stages.clean import Cleaner
from newsflow.stages.dedup import (
    DEFAULT_BAND_MEMBERS,
    DEFAULT_BANDS,
    DEFAULT_ROWS,
    CompactBandIndex,
    Deduper,
    SeenStore,
    fingerprint,
)
from newsflow.stages.entities import EntityExtractor
from newsflow.stages.language import LanguageTagger

# Kafka's default max message size is 1 MB; leave room for the JSON envelope.
DLQ_PAYLOAD_CAP = 512 * 1024
# Room a record needs beside its value: key, headers, record batch framing, and
# the dedup verdict the enriched record adds to the analysed one.
RECORD_ENVELOPE_BYTES = 1024
_ID_IN_BROKEN_JSON = re.compile(rb'"id"\s*:\s*(?:"([^"\\]{1,512})"|(-?\d{1,30}))')


def make_deduper(settings: Settings, store: SeenStore) -> Deduper:
    band_index = (
        CompactBandIndex(bands=DEFAULT_BANDS, rows=DEFAULT_ROWS, keep=DEFAULT_BAND_MEMBERS)
        if settings.dedup_band_index == "memory"
        else None
    )
    return Deduper(
        store,
        threshold=settings.dedup_threshold,
        window_seconds=settings.dedup_window_seconds,
        band_index=band_index,
    )


@dataclass(frozen=True, slots=True)
class Stages:
    """The configured stage objects, built once per worker or ``process`` run."""

    clean: Cleaner
    dedup: Deduper
    language: LanguageTagger
    entities: EntityExtractor

    @classmethod
    def build(cls, settings: Settings, store: SeenStore) -> Stages:
        return cls(
            clean=Cleaner(
                max_article_bytes=settings.max_article_bytes,
                max_html_bytes=settings.max_article_bytes * RAW_PAYLOAD_FACTOR,
            ),
            dedup=make_deduper(settings, store),
            language=LanguageTagger(
                min_confidence=settings.language_min_confidence,
                short_text=settings.language_short_text,  # type: ignore[arg-type]  # validated in Settings
            ),
            entities=EntityExtractor(ner_models=settings.ner_models),
        )

    def load(self) -> Stages:
        """Load every model now, so no record pays for it (and none hits the record timeout)."""
        self.language.load()
        self.entities.warm_up()
        return self

    def clean_and_fingerprint(self, article: Article) -> Article:
        """Clean, then fingerprint: both are per-article and run on every raw partition in parallel."""
        article = self.clean(article)
        article.fingerprint = fingerprint(article)
        return article


def ingest(
    payload: bytes | None, key: bytes | None, settings: Settings, ingested_at: str, *, json_only: bool = False
) -> Callable[[Article], Article]:
    """``parse_payload`` shaped as a stage, so ingest failures are timed and counted like any other."""

    def parse(_: Article) -> Article:
        return parse_payload(
            payload, key=key, ingested_at=ingested_at, max_article_bytes=settings.max_article_bytes, json_only=json_only
        )

    return parse


@dataclass(frozen=True, slots=True)
class Result:
    kind: Literal["enriched", "duplicate", "dead_letter"]
    record: EnrichedRecord | DeadLetter


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`StageTimeout` in the main thread if the block runs longer than ``seconds``.

    SIGALRM interrupts pure-Python loops (a runaway regex in C only returns
    control when it finishes). Off the main thread, or with ``seconds <= 0``,
    this is a no-op rather than a broken promise: the caller still bounds
    input sizes.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise StageTimeout(f"stage exceeded {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_stage(
    stage: Stage | Callable[[Article], Article],
    name: str,
    article: Article,
    *,
    timeout: float,
    metrics: StageMetrics | None = None,
) -> Article:
    """Run one stage on one article; every failure comes out as a :class:`RecordError`."""
    if metrics is not None:
        metrics.articles_in.labels(name).inc()
    started = time.perf_counter()
    try:
        with deadline(timeout):
            result = stage(article)
    except RecordError:
        raise
    except Exception as exc:  # a bug in a stage must not kill the worker: it becomes data
        raise StageFailure(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if metrics is not None:
            metrics.stage_duration.labels(name).observe(time.perf_counter() - started)
    return result


def dead_letter(
    payload: bytes | Article,
    *,
    stage: str,
    error: RecordError,
    record_id: str | None = None,
    key: bytes | None = None,
    ingested_at: str | None = None,
    origin: str | None = None,
    metrics: StageMetrics | None = None,
) -> DeadLetter:
    if isinstance(payload, Article):
        from newsflow.codecs import dumps

        record_id = record_id or payload.id
        ingested_at = ingested_at or payload.ingested_at
        raw = dumps(payload.to_dict())
    else:
        raw = payload
        record_id = record_id or key_id(key) or _best_effort_id(raw)
    truncated = len(raw) > DLQ_PAYLOAD_CAP
    raw = raw[:DLQ_PAYLOAD_CAP]
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    if metrics is not None:
        metrics.articles_out.labels(stage, "dlq").inc()
        metrics.dead_letters.labels(stage, error.reason).inc()
    return DeadLetter(
        schema_version=SCHEMA_VERSION,
        outcome="dead_letter",
        id=record_id,
        stage=stage,
        reason=error.reason,
        error=str(error)[:2000] or type(error).__name__,
        payload=text,
        payload_encoding=encoding,  # type: ignore[arg-type]
        failed_at=utc_now_iso(),
        ingested_at=ingested_at,
        payload_truncated=truncated,
        origin=origin,
    )


def oversized(article: Article, max_record_bytes: int, encoded_size: int | None = None) -> TooLarge | None:
    """Why ``article``'s analysed and enriched records would not fit in a Kafka record, or None.

    Text within NEWSFLOW_MAX_ARTICLE_BYTES can still make a record over the
    broker's limit once its entity mentions are added (a 990 KB article made a
    3.9 MB record); sent anyway, it failed every retry and restarted the worker.
    ``encoded_size`` is the article's JSON size, when the caller has encoded it already.
    """
    if encoded_size is None:
        from newsflow.codecs import dumps  # imports faust: not at module level, for `newsflow process`

        encoded_size = len(dumps(article))
    size = encoded_size + RECORD_ENVELOPE_BYTES
    if size <= max_record_bytes:
        return None
    return TooLarge(
        f"the enriched record would be ~{size} bytes, over NEWSFLOW_MAX_RECORD_BYTES={max_record_bytes} "
        f"({len(article.title or '')} characters of title, {len(article.text)} of text, "
        f"{len(article.entities)} entity mentions)"
    )


def _best_effort_id(raw: bytes) -> str:
    """The producer's id if one can be read even from a broken record, else the payload-derived id."""
    match = _ID_IN_BROKEN_JSON.search(raw[:65536])
    if match:
        found = match.group(1) or match.group(2)
        try:
            return found.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return derived_id(raw)


def record_outcome(metrics: StageMetrics | None, record: EnrichedRecord, topic: str) -> None:
    """Count what an output record says: duplicate kind, language, entity types, latency."""
    if metrics is None:
        return
    if record.dedup.status != "original":
        metrics.duplicates.labels(record.dedup.status).inc()
    else:
        if record.language is not None:
            metrics.languages.labels(language_label(record.language.code)).inc()
        # One increment per type, not per mention: an article has dozens of mentions, and each
        # labels() call takes the metric's lock.
        for entity_type, count in Counter(mention.type for mention in record.entities).items():
            metrics.entities.labels(entity_type).inc(count)
    metrics.end_to_end_latency.labels(topic).observe(max(0.0, seconds_since(record.ingested_at)))


def seconds_since(iso_timestamp: str) -> float:
    try:
        then = datetime.fromisoformat(iso_timestamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return time.time() - then.timestamp()


class Pipeline:
    """ingest -> clean -> fingerprint -> dedup -> language -> entities, in one process."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SeenStore | None = None,
        metrics: StageMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.stages = Stages.build(settings, {} if store is None else store).load()

    def process(self, payload: bytes, key: bytes | None = None, *, json_only: bool = False) -> Result:
        timeout = self.settings.record_timeout_seconds
        ingested_at = utc_now_iso()
        stage_name = "ingest"
        article: Article | None = None
        try:
            article = run_stage(
                ingest(payload, key, self.settings, ingested_at, json_only=json_only),
                "ingest",
                Article(id="", text="", ingested_at=ingested_at),
                timeout=timeout,
                metrics=self.metrics,
            )
            self._count_ok("ingest")
            stage_name = "clean"
            article = run_stage(
                self.stages.clean_and_fingerprint, "clean", article, timeout=timeout, metrics=self.metrics
            )
            self._count_ok("clean")
            stage_name = "dedup"
            article = run_stage(self.stages.dedup, "dedup", article, timeout=timeout, metrics=self.metrics)
            if article.dedup is not None and article.dedup.status != "original":
                self._count("dedup", "duplicate")
                record = output_record(article)
                record_outcome(self.metrics, record, self.settings.topic_duplicates)
                return Result("duplicate", record)
            self._count_ok("dedup")
            stage_name = "language"
            article = run_stage(self.stages.language, "language", article, timeout=timeout, metrics=self.metrics)
            self._count_ok("language")
            stage_name = "entities"
            article = run_stage(self.stages.entities, "entities", article, timeout=timeout, metrics=self.metrics)
            self._count_ok("entities")
            stage_name = "publish"
            too_large = oversized(article, self.settings.max_record_bytes)
            if too_large is not None:
                raise too_large
        except RecordError as error:
            source: bytes | Article = payload if stage_name == "ingest" or article is None else article
            return Result(
                "dead_letter",
                dead_letter(
                    source, stage=stage_name, error=error, key=key, ingested_at=ingested_at, metrics=self.metrics
                ),
            )
        record = output_record(article)
        record_outcome(self.metrics, record, self.settings.topic_enriched)
        return Result("enriched", record)

    def _count_ok(self, stage: str) -> None:
        self._count(stage, "ok")

    def _count(self, stage: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.articles_out.labels(stage, outcome).inc()
