"""Turn one raw input payload into an :class:`~newsflow.models.Article`.

Accepted payloads (the record contract, see ``docs/record-schema.md``):

* a JSON object ``{id?, url?, title?, text? | html?, source?, published_at?, language?}``;
* bare UTF-8 text (a scraped page as text).

Anything else raises :class:`~newsflow.errors.MalformedRecord` with a reason a
person can act on. This module is pure: no Kafka, no clock (the caller passes
``ingested_at``).
"""

from __future__ import annotations

from typing import Any

import orjson
import xxhash

from newsflow.errors import MalformedRecord, TooLarge
from newsflow.models import Article

STRING_FIELDS = ("url", "title", "text", "html", "source", "published_at", "language")
# HTML pages carry markup, so the raw payload may be larger than the text limit.
RAW_PAYLOAD_FACTOR = 4
MAX_ID_LENGTH = 512


def derived_id(payload: bytes) -> str:
    """Stable id for records that bring none: re-sending the same bytes gives the same id."""
    return "nf-" + xxhash.xxh3_64_hexdigest(payload)


def parse_payload(
    payload: bytes | None, *, key: bytes | None, ingested_at: str, max_article_bytes: int, json_only: bool = False
) -> Article:
    """Parse one payload. With ``json_only`` (``newsflow process``), bare text is malformed too."""
    if payload is None or not payload.strip():
        raise MalformedRecord("empty payload")
    if len(payload) > max_article_bytes * RAW_PAYLOAD_FACTOR:
        raise TooLarge(f"payload is {len(payload)} bytes, over the {max_article_bytes * RAW_PAYLOAD_FACTOR} byte cap")
    body = payload.removeprefix(b"\xef\xbb\xbf")
    if body.lstrip()[:1] == b"{":
        return _from_json(body, key=key, ingested_at=ingested_at)
    if json_only:
        raise MalformedRecord("line is not a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRecord(f"bare payload is not valid UTF-8 (byte {exc.start}: {exc.reason})") from None
    return Article(id=key_id(key) or derived_id(payload), text=text, ingested_at=ingested_at)


def key_id(key: bytes | None) -> str | None:
    if not key:
        return None
    try:
        text = key.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return text[:MAX_ID_LENGTH] or None


def _from_json(body: bytes, *, key: bytes | None, ingested_at: str) -> Article:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedRecord(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedRecord(f"expected a JSON object, got {type(data).__name__}")
    fields: dict[str, str | None] = {}
    for name in STRING_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise MalformedRecord(f"field {name!r} must be a string, got {type(value).__name__}")
        fields[name] = value
    record_id = data.get("id")
    if isinstance(record_id, bool) or not isinstance(record_id, str | int | type(None)):
        raise MalformedRecord(f"field 'id' must be a string or integer, got {type(record_id).__name__}")
    text, html = fields["text"], fields["html"]
    if not (text and text.strip()) and not (html and html.strip()):
        raise MalformedRecord("record has neither 'text' nor 'html'")
    article_id = str(record_id).strip()[:MAX_ID_LENGTH] if record_id is not None else ""
    return Article(
        id=article_id or key_id(key) or derived_id(body),
        text=text or "",
        html=html,
        ingested_at=ingested_at,
        title=fields["title"],
        url=fields["url"],
        source=fields["source"],
        published_at=fields["published_at"],
        declared_language=fields["language"],
    )
