"""Articles within NEWSFLOW_MAX_ARTICLE_BYTES whose enriched record would not fit in a Kafka record."""

from __future__ import annotations

import orjson
import pytest

from newsflow.admin import topic_configs
from newsflow.config import Settings
from newsflow.models import Article
from newsflow.pipeline import RECORD_ENVELOPE_BYTES, Pipeline, oversized

NAMES = (
    "Il presidente Sergio Mattarella ha incontrato a Roma il cancelliere Olaf Scholz, Emmanuel Macron e "
    "Pedro Sánchez per parlare di Ucraina, Russia e Stati Uniti. "
)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(Settings(store="memory://", max_record_bytes=600_000, language_short_text="fast"))


def test_oversized_measures_the_encoded_record() -> None:
    article = Article(id="a", text="x" * 10_000, ingested_at="2026-11-29T00:00:00Z")
    size = len(orjson.dumps(article)) + RECORD_ENVELOPE_BYTES
    assert oversized(article, size) is None
    error = oversized(article, size - 1)
    assert error is not None and error.reason == "too_large"
    assert "NEWSFLOW_MAX_RECORD_BYTES" in str(error)


def test_an_article_whose_mentions_outgrow_a_record_is_a_dead_letter(pipeline: Pipeline) -> None:
    # 250 KB of text is within the article limit; with its entity mentions the record is not.
    text = (NAMES * (250_000 // len(NAMES)))[:250_000]
    result = pipeline.process(orjson.dumps({"id": "big-1", "title": "Vertice a Roma", "text": text}))
    assert result.kind == "dead_letter"
    record = result.record
    assert record.id == "big-1" and record.stage == "publish" and record.reason == "too_large"  # type: ignore[union-attr]
    assert "entity mentions" in record.error  # type: ignore[union-attr]
    assert len(orjson.dumps(record)) < 600_000  # the dead letter itself fits


def test_a_huge_title_is_a_dead_letter_too(pipeline: Pipeline) -> None:
    # Titles have no limit of their own; a 700 KB one used to make a record the broker refused.
    result = pipeline.process(orjson.dumps({"id": "t-1", "title": "Roma " * 140_000, "text": "Notizia breve."}))
    assert (result.kind, result.record.reason) == ("dead_letter", "too_large")  # type: ignore[union-attr]
    # 700,000 characters less the trailing space the title loses when stripped
    assert "699999 characters of title" in result.record.error  # type: ignore[union-attr]


def test_an_ordinary_article_is_enriched(pipeline: Pipeline) -> None:
    text = "Una breve notizia da Milano: domani pioggia su tutta la Lombardia, dice il servizio meteo regionale."
    result = pipeline.process(orjson.dumps({"id": "small-1", "text": text}))
    assert result.kind == "enriched"


def test_created_topics_allow_the_largest_record() -> None:
    settings = Settings(max_record_bytes=2_000_000, max_article_bytes=1_000_000)
    assert 2_000_000 < int(topic_configs(settings, settings.topic_enriched)["max.message.bytes"]) < 2_100_000
    # ingest accepts raw HTML payloads up to four times the article limit
    assert int(topic_configs(settings, settings.topic_raw)["max.message.bytes"]) > 4_000_000
