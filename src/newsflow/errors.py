"""Why a record goes to the dead-letter topic.

Every class here is one DLQ ``reason``; the stage that raised it is recorded
beside it. A worker never lets one of these escape an agent.

    RecordError                 (reason)
    ├── MalformedRecord         malformed      payload is not a usable JSON object or UTF-8 text
    ├── EmptyText               empty_text     nothing left to process after cleaning
    ├── TooLarge                too_large      payload or text over NEWSFLOW_MAX_ARTICLE_BYTES
    ├── StageTimeout            timeout        a stage took longer than NEWSFLOW_RECORD_TIMEOUT_SECONDS
    └── StageFailure            stage_error    any other exception inside a stage (a bug, kept as data)
"""

from __future__ import annotations


class RecordError(Exception):
    """A record that cannot be processed. ``reason`` is a short, stable, low-cardinality label."""

    reason = "record_error"


class MalformedRecord(RecordError):
    reason = "malformed"


class EmptyText(RecordError):
    reason = "empty_text"


class TooLarge(RecordError):
    reason = "too_large"


class StageTimeout(RecordError):
    reason = "timeout"


class StageFailure(RecordError):
    reason = "stage_error"


class ConfigError(Exception):
    """Bad configuration: reported as one line at start-up, never as a traceback."""
