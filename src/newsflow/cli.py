"""``newsflow`` command line: worker, produce, tail, process, topics.

A thin edge: each command parses its arguments, builds :class:`Settings` once
and calls into the package. Errors the user can fix print one line and exit 2.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from newsflow.config import Settings
from newsflow.errors import ConfigError

if TYPE_CHECKING:
    import faust

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Streaming news processor on Kafka and Faust.")
topics_app = typer.Typer(no_args_is_help=True, help="Manage newsflow's Kafka topics.")
app.add_typer(topics_app, name="topics")


def fail(message: str) -> typer.Exit:
    typer.echo(f"newsflow: error: {message}", err=True)
    return typer.Exit(2)


def load_settings() -> Settings:
    """Settings from the environment. aiokafka's own connection logs are silenced: commands report
    a failure as one line of their own. Credentials are redacted from client logs at any level."""
    from newsflow.connection import redact_client_logs

    redact_client_logs()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise fail(str(exc)) from None


@app.command()
def worker() -> None:
    """Run the Faust worker: consume news.raw and publish enriched, duplicate and dead-letter records."""
    from newsflow.admin import BrokerUnavailable, ensure_topics

    settings = load_settings()
    try:
        for change in asyncio.run(ensure_topics(settings)):
            typer.echo(f"newsflow: {change}", err=True)
    except BrokerUnavailable as exc:
        raise fail(str(exc)) from None
    logging.getLogger("aiokafka").setLevel(logging.NOTSET)  # the running worker wants them

    import faust

    from newsflow.eos import discard_state_after_crash, mark_clean_shutdown
    from newsflow.topology import create_app

    faust_app = create_app(settings)
    if discard_state_after_crash(faust_app):
        typer.echo("newsflow: last run did not stop cleanly: rebuilding table state from the changelog", err=True)
    worker = faust.Worker(faust_app, loglevel=settings.log_level)
    quiet_root_logger(worker)
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        if exit_.code in (0, None):
            mark_clean_shutdown(faust_app)
        raise


def quiet_root_logger(worker: faust.Worker) -> None:
    """Keep the root logger at the configured level.

    At WARNING and above, faust's terminal spinner sets the root logger to DEBUG and spins on every
    record, for good: every debug call of aiokafka and faust (several per record sent) then builds a
    LogRecord that the handler drops. That was ~8 % of the dedup agent's CPU. A worker's output is a
    log, not a terminal, so it gets no spinner.
    """
    worker.spinner = None


@topics_app.command("create")
def topics_create() -> None:
    """Create every newsflow topic with the configured partitions (idempotent)."""
    from newsflow.admin import BrokerUnavailable, ensure_topics

    settings = load_settings()
    try:
        changes = asyncio.run(ensure_topics(settings))
    except BrokerUnavailable as exc:
        raise fail(str(exc)) from None
    for change in changes or ["all topics already exist"]:
        typer.echo(change)


@app.command()
def produce(
    sources: Annotated[list[str], typer.Argument(help="JSONL files, raw text files, or - for JSONL on stdin.")],
    topic: Annotated[str | None, typer.Option(help="Topic (default NEWSFLOW_TOPIC_RAW).")] = None,
) -> None:
    """Send articles to the raw topic: one record per JSONL line, or one per raw text file."""
    from newsflow.kafka_io import BrokerUnavailable, produce_records

    settings = load_settings()
    records = list(_read_sources(sources))
    try:
        sent = asyncio.run(produce_records(settings, records, topic or settings.topic_raw))
    except BrokerUnavailable as exc:
        raise fail(str(exc)) from None
    typer.echo(f"sent {sent} records to {topic or settings.topic_raw}", err=True)


def _read_sources(sources: list[str]) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) pairs. JSONL lines keep their ``id`` as the key; raw files are keyed by file name."""
    from newsflow.kafka_io import jsonl_key

    for source in sources:
        if source == "-":
            for line in sys.stdin.buffer:
                if line.strip():
                    yield jsonl_key(line), line.rstrip(b"\r\n")
            continue
        path = Path(source)
        if not path.is_file():
            raise fail(f"no such file: {source}")
        if path.suffix in {".jsonl", ".ndjson"}:
            with path.open("rb") as handle:
                for line in handle:
                    if line.strip():
                        yield jsonl_key(line), line.rstrip(b"\r\n")
        else:
            yield path.stem.encode(), path.read_bytes()


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="Topic to read, e.g. news.enriched.")],
    limit: Annotated[int, typer.Option(help="Stop after this many records (0 = run until Ctrl-C).")] = 0,
    timeout: Annotated[float, typer.Option(help="Stop after this many seconds without a record (0 = never).")] = 0,
    from_beginning: Annotated[bool, typer.Option(help="Start at the earliest offset.")] = True,
    raw_json: Annotated[bool, typer.Option("--json", help="Print one JSON document per line.")] = False,
) -> None:
    """Pretty-print committed records from a topic (read_committed)."""
    from newsflow.kafka_io import BrokerUnavailable, tail_topic

    settings = load_settings()
    try:
        asyncio.run(
            tail_topic(
                settings, topic, limit=limit, idle_timeout=timeout, from_beginning=from_beginning, as_json=raw_json
            )
        )
    except BrokerUnavailable as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        pass


@app.command()
def process(
    source: Annotated[str, typer.Argument(metavar="IN", help="JSONL input file, or - for stdin.")],
    destination: Annotated[str, typer.Argument(metavar="OUT", help="JSONL output file, or - for stdout.")],
) -> None:
    """Run the stages in-process, no Kafka: every input line yields exactly one output line with its id."""
    from newsflow.local import process_jsonl

    settings = load_settings()
    try:
        counts = process_jsonl(settings, source, destination)
    except OSError as exc:
        raise fail(str(exc)) from None
    summary = ", ".join(f"{kind}={count}" for kind, count in counts.items())
    typer.echo(f"processed {sum(counts.values())} records: {summary}", err=True)


def main() -> None:
    app()
