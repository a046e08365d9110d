from __future__ import annotations

import orjson
import pytest

from newsflow.errors import MalformedRecord, TooLarge
from newsflow.ingest import derived_id, parse_payload

NOW = "2026-11-27T20:00:00.000Z"


def parse(payload: bytes, key: bytes | None = None, **kwargs: object) -> object:
    return parse_payload(payload, key=key, ingested_at=NOW, max_article_bytes=kwargs.pop("limit", 10_000), **kwargs)  # type: ignore[arg-type]


def test_bare_text_is_an_article_keyed_by_the_message_key() -> None:
    article = parse(b"Ciao mondo", key=b"k-1")
    assert article.id == "k-1" and article.text == "Ciao mondo" and article.ingested_at == NOW


def test_bare_text_without_key_gets_a_stable_derived_id() -> None:
    assert parse(b"same bytes").id == parse(b"same bytes").id == derived_id(b"same bytes")
    assert parse(b"same bytes").id != parse(b"other bytes").id


def test_json_record_fields_are_read() -> None:
    payload = orjson.dumps(
        {
            "id": 42,
            "url": "u",
            "title": "T",
            "text": "body",
            "source": "s",
            "published_at": "2024-11-01",
            "language": "it",
        }
    )
    article = parse(payload)
    assert (article.id, article.url, article.title, article.text, article.source) == ("42", "u", "T", "body", "s")
    assert article.published_at == "2024-11-01" and article.declared_language == "it"


def test_html_only_record_is_accepted() -> None:
    assert parse(b'{"html": "<p>hi</p>"}').html == "<p>hi</p>"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b'{"id": 1, "text": ', "invalid JSON"),
        (b'{"id": 1}', "neither 'text' nor 'html'"),
        (b'{"text": 5}', "field 'text' must be a string"),
        (b'{"text": "x", "id": true}', "field 'id'"),
        (b'{"text": "x", "id": [1]}', "field 'id'"),
        (b"   ", "empty payload"),
        (b"\xff\xfe broken", "not valid UTF-8"),
        (b"{" + b'"a":[' * 2000 + b"1" + b"]" * 2000 + b"}", "invalid JSON"),
    ],
)
def test_malformed_payloads_say_why(payload: bytes, message: str) -> None:
    with pytest.raises(MalformedRecord, match=message):
        parse(payload)


def test_oversized_payload_is_rejected_before_parsing() -> None:
    with pytest.raises(TooLarge):
        parse(b"x" * 5000, limit=1000)


def test_json_only_mode_rejects_bare_text() -> None:
    with pytest.raises(MalformedRecord, match="not a JSON object"):
        parse(b"just text", json_only=True)
