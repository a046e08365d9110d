"""The only place where bytes become records and records become bytes.

All topics carry JSON encoded with orjson, except ``news.raw``, whose values
may also be bare UTF-8 text (see :func:`newsflow.ingest.parse_payload`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from faust.serializers.codecs import Codec

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(record: Any) -> bytes:
    """Encode a dataclass, dict or list as JSON bytes (orjson handles dataclasses natively)."""
    return orjson.dumps(record, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def to_plain(record: Any) -> Any:
    """A dataclass as plain dicts and lists, e.g. for printing or schema validation."""
    return dataclasses.asdict(record) if dataclasses.is_dataclass(record) and not isinstance(record, type) else record


class OrjsonCodec(Codec):
    """Faust codec for every JSON topic: the same encoder the CLI and ``process`` use."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj)

    def _loads(self, s: bytes) -> Any:
        return loads(s)
