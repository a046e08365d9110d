"""The consumer's last steps, kept in memory so that a lost or stuck record can be traced afterwards.

Rebalance races show up once in dozens of runs and vanish under debug logging, which slows the
worker enough to close the window. A bounded in-memory log costs a tuple append per step, so it
can stay on in production; ``/debug/journal`` serves it. It found the cause of fix 20 in
docs/reliability.md, which info logging had hidden in 22 runs out of 22.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Protocol

# Enough for the last few thousand records of a worker, with their deliveries and acks (4 MB, measured).
DEFAULT_STEPS_KEPT = 20_000
# What a worker logs as it exits for a restart: the steps that led there, without flooding the log.
STEPS_LOGGED_AT_EXIT = 300


class Partition(Protocol):
    """What a faust TP offers; a protocol, so that this module needs no faust."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...


def partition_names(partitions: Iterable[Partition]) -> str:
    return " ".join(sorted(f"{tp.topic}/{tp.partition}" for tp in partitions))


class FlightRecorder:
    """A ring of (monotonic time, step, detail); details are formatted only when read."""

    def __init__(self, steps_kept: int = DEFAULT_STEPS_KEPT) -> None:
        self._steps: deque[tuple[float, str, object]] = deque(maxlen=steps_kept)

    def record(self, step: str, detail: object = "") -> None:
        self._steps.append((time.monotonic(), step, detail))

    def record_message(self, step: str, tp: Partition, offset: int, generation: int | None) -> None:
        self._steps.append((time.monotonic(), step, (tp.topic, tp.partition, offset, generation)))

    def text(self, last: int | None = None) -> str:
        """One line per step, oldest first (only the ``last`` ones if given); times relative to the last step."""
        steps = list(self._steps)
        if last is not None:
            steps = steps[-last:] if last > 0 else []
        if not steps:
            return ""
        newest = steps[-1][0]
        return "\n".join(f"{at - newest:+.4f} {step} {_format(detail)}" for at, step, detail in steps)


def _format(detail: object) -> str:
    if isinstance(detail, tuple) and len(detail) == 4:
        topic, partition, offset, generation = detail
        return f"{topic}/{partition}@{offset} g{generation}"
    return str(detail)
