"""Records that flow between stages and onto topics.

``Article`` is the working record: every stage takes one and returns it with
its own fields filled in. The public output shapes (enriched, duplicate and
dead-letter records) are plain dicts built by :func:`enriched_record`,
:func:`duplicate_record` and :class:`DeadLetter`; their JSON Schema lives in
``schemas/`` and is generated from the dataclasses below, so a change here
that is not mirrored there fails ``tests/test_schema.py``.

Bump :data:`SCHEMA_VERSION` and add a CHANGELOG entry whenever an output field
is renamed, removed or changes meaning. Adding an optional field is a minor
bump.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SCHEMA_VERSION = "1.0"

DedupStatus = Literal["original", "exact_duplicate", "near_duplicate"]
EntityType = Literal["PER", "ORG", "LOC", "MISC"]
Outcome = Literal["enriched", "duplicate", "dead_letter"]


def utc_now_iso() -> str:
    """Current time as an ISO 8601 UTC string with millisecond precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Removal:
    """A piece of scraped boilerplate the clean stage took out, and why."""

    text: str
    reason: str


@dataclass(slots=True)
class LanguageSpan:
    """A stretch of the cleaned text whose language differs from the document's."""

    start: int
    end: int
    code: str
    confidence: float


@dataclass(slots=True)
class LanguageResult:
    """ISO 639-1 code (``und`` when unknown) with the detector's confidence."""

    code: str
    confidence: float
    spans: list[LanguageSpan] = field(default_factory=list)


@dataclass(slots=True)
class Fingerprint:
    """What dedup compares: exact keys plus a MinHash signature.

    Computed where the text is cleaned, so the dedup agent only looks things up.
    Internal: it travels between stages but is not part of the public output.
    """

    content_hash: str
    url_key: str | None = None
    minhash: list[int] = field(default_factory=list)


@dataclass(slots=True)
class DedupResult:
    status: DedupStatus
    content_hash: str
    duplicate_of: str | None = None
    similarity: float | None = None
    cluster_id: str | None = None


@dataclass(slots=True)
class EntityMention:
    """One mention; ``start``/``end`` index the cleaned ``text`` (or ``title`` when field is title)."""

    text: str
    type: EntityType
    start: int
    end: int
    canonical: str
    kb_id: str | None
    field: Literal["text", "title"] = "text"


@dataclass(slots=True)
class EntityGroup:
    """All mentions of one entity in an article."""

    canonical: str
    kb_id: str | None
    type: EntityType
    mention_count: int
    in_title: bool
    salience: float


@dataclass(slots=True)
class Article:
    """The working record. Stages fill in their own fields and pass it on."""

    id: str
    text: str
    ingested_at: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    html: str | None = None
    declared_language: str | None = None
    posted_at: str | None = None
    boilerplate: list[Removal] = field(default_factory=list)
    fingerprint: Fingerprint | None = None
    dedup: DedupResult | None = None
    language: LanguageResult | None = None
    entities: list[EntityMention] = field(default_factory=list)
    entity_groups: list[EntityGroup] = field(default_factory=list)
    # Internal: the input record this article came from (topic/partition/offset), so a stage
    # can tell a replay of the same record from a re-send of the same id. Not in the output.
    origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Rebuild an article that a previous stage serialized with :meth:`to_dict`."""
        fingerprint = data.get("fingerprint")
        dedup = data.get("dedup")
        language = data.get("language")
        return cls(
            id=data["id"],
            text=data["text"],
            ingested_at=data["ingested_at"],
            title=data.get("title"),
            url=data.get("url"),
            source=data.get("source"),
            published_at=data.get("published_at"),
            html=data.get("html"),
            declared_language=data.get("declared_language"),
            posted_at=data.get("posted_at"),
            boilerplate=[Removal(**item) for item in data.get("boilerplate") or ()],
            fingerprint=Fingerprint(**fingerprint) if fingerprint else None,
            dedup=DedupResult(**dedup) if dedup else None,
            language=(
                LanguageResult(
                    code=language["code"],
                    confidence=language["confidence"],
                    spans=[LanguageSpan(**span) for span in language.get("spans") or ()],
                )
                if language
                else None
            ),
            entities=[EntityMention(**item) for item in data.get("entities") or ()],
            entity_groups=[EntityGroup(**item) for item in data.get("entity_groups") or ()],
            origin=data.get("origin"),
        )


@dataclass(slots=True)
class EnrichedRecord:
    """Public record on ``news.enriched`` (and, with ``outcome="duplicate"``, on ``news.duplicates``)."""

    schema_version: str
    outcome: Outcome
    id: str
    ingested_at: str
    processed_at: str
    title: str | None
    text: str
    url: str | None
    source: str | None
    published_at: str | None
    posted_at: str | None
    boilerplate: list[Removal]
    dedup: DedupResult
    language: LanguageResult | None
    entities: list[EntityMention]
    entity_groups: list[EntityGroup]


@dataclass(slots=True)
class DeadLetter:
    """Public record on ``news.dlq``: the payload we could not process, and why.

    ``payload`` is the record as it entered the failing stage (the raw input for
    ``ingest``). Payloads over the DLQ cap are truncated and flagged; ``origin``
    (``topic/partition/offset``) then still points at the untouched original.
    """

    schema_version: str
    outcome: Literal["dead_letter"]
    id: str
    stage: str
    reason: str
    error: str
    payload: str
    payload_encoding: Literal["utf-8", "base64"]
    failed_at: str
    ingested_at: str | None = None
    payload_truncated: bool = False
    origin: str | None = None


@dataclass(slots=True)
class InputRecord:
    """The JSON form of a ``news.raw`` record (a bare UTF-8 text payload is accepted too).

    One of ``text`` or ``html`` is required. ``id`` may be a string or an integer.
    """

    id: str | int | None = None
    url: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None


@dataclass(slots=True)
class ClusterUpdate:
    """Companion record on ``news.clusters``, keyed by ``cluster_id``: copies seen so far."""

    schema_version: str
    cluster_id: str
    original_id: str
    copies: int
    last_article_id: str
    updated_at: str


def output_record(article: Article, processed_at: str | None = None) -> EnrichedRecord:
    """The public view of an article that made it through dedup."""
    if article.dedup is None:
        raise ValueError(f"article {article.id!r} has no dedup verdict yet")
    is_duplicate = article.dedup.status != "original"
    return EnrichedRecord(
        schema_version=SCHEMA_VERSION,
        outcome="duplicate" if is_duplicate else "enriched",
        id=article.id,
        ingested_at=article.ingested_at,
        processed_at=processed_at or utc_now_iso(),
        title=article.title,
        text=article.text,
        url=article.url,
        source=article.source,
        published_at=article.published_at,
        posted_at=article.posted_at,
        boilerplate=article.boilerplate,
        dedup=article.dedup,
        language=article.language,
        entities=article.entities,
        entity_groups=article.entity_groups,
    )
