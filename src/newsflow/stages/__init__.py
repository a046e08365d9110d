"""The processing stages, in pipeline order.

Each stage is a plain callable ``Article -> Article``. Stages import neither
faust nor kafka nor asyncio and keep no module-level state: configuration goes
in through the constructor, state through a narrow store interface (dedup).
A stage signals a record it cannot process by raising a
:class:`newsflow.errors.RecordError`; anything else it raises is a bug, which
the caller turns into a ``stage_error`` dead letter.
"""

from __future__ import annotations

from typing import Protocol

from newsflow.models import Article


class Stage(Protocol):
    """What the pipeline and the topology need from a stage."""

    name: str

    def __call__(self, article: Article) -> Article: ...
