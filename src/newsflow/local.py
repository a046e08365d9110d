"""``newsflow process IN OUT``: the stage chain over a JSONL file, no Kafka.

The contract tools outside the repo rely on: every input line yields exactly
one output line, in input order, carrying the input's ``id`` — an enriched
record, a duplicate (with ``dedup``), or a dead letter (with ``reason``).
Blank lines count as input too: they become ``malformed`` dead letters, so
line N of the output always answers line N of the input.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from newsflow.codecs import dumps
from newsflow.config import Settings
from newsflow.pipeline import Pipeline


@contextmanager
def _open(path: str, mode: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer if "r" in mode else sys.stdout.buffer
        return
    with open(path, mode) as handle:
        yield handle  # type: ignore[misc]


def process_jsonl(settings: Settings, source: str, destination: str) -> dict[str, int]:
    pipeline = Pipeline(settings)
    counts: Counter[str] = Counter()
    with _open(source, "rb") as reader, _open(destination, "wb") as writer:
        for line in reader:
            result = pipeline.process(line.rstrip(b"\r\n"), json_only=True)
            writer.write(dumps(result.record) + b"\n")
            counts[result.kind] += 1
    return dict(counts)
