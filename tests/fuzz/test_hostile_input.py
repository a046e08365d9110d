"""Hostile input never escapes the pipeline: each record ends enriched, duplicate, or dead-lettered with a reason.

Runs the same chain the worker runs (``Pipeline.process``). The hand-written corpus lives in
``tests/fuzz/corpus/``; generated inputs come from hypothesis (``NEWSFLOW_FUZZ_EXAMPLES``, default
10,000 over the properties below). Cases hypothesis finds are added to the corpus.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsflow.config import Settings
from newsflow.errors import EmptyText, MalformedRecord, RecordError, StageFailure, StageTimeout, TooLarge
from newsflow.models import DeadLetter, EnrichedRecord
from newsflow.pipeline import Pipeline, Result

CORPUS = Path(__file__).parent / "corpus"
REASONS = {cls.reason for cls in (MalformedRecord, EmptyText, TooLarge, StageTimeout, StageFailure)}
EXAMPLES = int(os.environ.get("NEWSFLOW_FUZZ_EXAMPLES", "10000"))
# Bounded time per record: the per-stage limit, with slack for five stages.
SETTINGS = Settings(store="memory://", record_timeout_seconds=5.0)
PIPELINE = Pipeline(SETTINGS)


def check(result: Result) -> None:
    assert result.kind in {"enriched", "duplicate", "dead_letter"}
    if isinstance(result.record, DeadLetter):
        assert result.record.reason in REASONS, result.record
        assert result.record.error and result.record.stage
        assert result.record.id
        # A stage bug is a dead letter too, but none of these inputs should hit one.
        assert result.record.reason != StageFailure.reason, result.record.error
    else:
        assert isinstance(result.record, EnrichedRecord)
        text = result.record.text
        assert text.strip()
        for mention in result.record.entities:
            source = result.record.title if mention.field == "title" else text
            assert source is not None and source[mention.start : mention.end] == mention.text


def timed(payload: bytes) -> Result:
    started = time.perf_counter()
    result = PIPELINE.process(payload, key=None)
    elapsed = time.perf_counter() - started
    assert elapsed < SETTINGS.record_timeout_seconds * 5, f"{elapsed:.1f}s for {payload[:80]!r}"
    return result


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_corpus_case(path: Path) -> None:
    check(timed(path.read_bytes()))


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("10 MB body", b'{"id": "big", "text": "' + b"a" * 10_000_000 + b'"}', "too_large"),
        ("1 MB of one word", ("parola " * 150_000).encode(), None),
        ("deeply nested", b'{"id": "deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b', "text": "t"}', "malformed"),
        ("many lines", b"riga\n" * 200_000, None),
        ("zip-bomb repetition", ("Breaking news! " * 60_000).encode(), None),
        ("one giant token", b"x" * 900_000, None),
    ],
)
def test_big_and_repetitive_inputs_are_bounded(name: str, payload: bytes, reason: str | None) -> None:
    result = timed(payload)
    check(result)
    if reason is not None:
        assert isinstance(result.record, DeadLetter) and result.record.reason == reason


# orjson (like every JSON producer we accept from) encodes 64-bit integers.
INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)
json_values = st.recursive(
    st.none() | st.booleans() | INT64 | st.floats(allow_nan=False) | st.text(max_size=200),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=30), INT64, st.none(), st.booleans()),
        "title": st.one_of(st.text(max_size=120), json_values),
        "text": st.one_of(st.text(max_size=3000), json_values),
        "html": st.one_of(st.text(max_size=500).map(lambda t: f"<html><body><p>{t}</p></body></html>"), st.none()),
        "url": st.one_of(st.text(max_size=80), INT64),
        "language": st.one_of(st.sampled_from(["it", "en", "xx", ""]), INT64),
    },
)
hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(list("\u202e\u2066\u0000\ufeff\n\r\t-")),
    max_size=2000,
)
fuzz = settings(max_examples=max(1, EXAMPLES // 4), deadline=None, suppress_health_check=list(HealthCheck))


@fuzz
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(payload: bytes) -> None:
    check(timed(payload))


@fuzz
@given(records)
def test_arbitrary_json_records(record: dict[str, object]) -> None:
    check(timed(orjson.dumps(record)))


@fuzz
@given(hostile_text)
def test_arbitrary_text_payloads(text: str) -> None:
    check(timed(text.encode("utf-8", "surrogatepass")))


@fuzz
@given(hostile_text, hostile_text)
def test_arbitrary_title_and_text(title: str, text: str) -> None:
    check(timed(orjson.dumps({"title": title, "text": text})))


def test_record_errors_all_have_distinct_reasons() -> None:
    reasons = [cls.reason for cls in RecordError.__subclasses__()]
    assert len(reasons) == len(set(reasons)) == len(REASONS)
