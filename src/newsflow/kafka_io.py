"""Producing to and reading from newsflow topics, for the CLI and the tests."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from rich.console import Console
from rich.progress import Progress

from newsflow.admin import BrokerUnavailable
from newsflow.config import Settings
from newsflow.connection import aiokafka_options

__all__ = ["BrokerUnavailable", "jsonl_key", "produce_records", "tail_topic"]


def jsonl_key(line: bytes) -> bytes | None:
    """A JSONL record's ``id`` as its Kafka key, so re-sends land on the same partition."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str | int) and not isinstance(data.get("id"), bool):
        return str(data["id"]).encode()
    return None


async def produce_records(
    settings: Settings, records: Sequence[tuple[bytes | None, bytes]], topic: str, *, progress: bool = True
) -> int:
    producer = AIOKafkaProducer(
        **aiokafka_options(settings), acks="all", enable_idempotence=True, max_request_size=8 * 1024 * 1024
    )
    try:
        await asyncio.wait_for(producer.start(), 15)
    except (TimeoutError, KafkaConnectionError, OSError) as exc:
        await producer.stop()
        raise BrokerUnavailable(
            f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc or type(exc).__name__}"
        ) from None
    sent = 0
    try:
        with Progress(transient=True, disable=not (progress and sys.stderr.isatty())) as bar:
            task = bar.add_task(f"producing to {topic}", total=len(records))
            pending = []
            for key, value in records:
                pending.append(await producer.send(topic, value=value, key=key))
                bar.advance(task)
            for future in pending:
                await future
                sent += 1
    finally:
        await producer.stop()
    return sent


async def tail_topic(
    settings: Settings, topic: str, *, limit: int, idle_timeout: float, from_beginning: bool, as_json: bool
) -> int:
    consumer = AIOKafkaConsumer(
        topic,
        **aiokafka_options(settings),
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        await asyncio.wait_for(consumer.start(), 15)
    except (TimeoutError, KafkaError, OSError) as exc:
        await consumer.stop()
        raise BrokerUnavailable(
            f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc or type(exc).__name__}"
        ) from None
    console = Console()
    seen = 0
    try:
        while limit == 0 or seen < limit:
            batch = await consumer.getmany(timeout_ms=int((idle_timeout or 1) * 1000))
            if not batch:
                if idle_timeout:
                    break
                continue
            for messages in batch.values():
                for message in messages:
                    _print(console, message, as_json)
                    seen += 1
    finally:
        await consumer.stop()
    return seen


def _print(console: Console, message: Any, as_json: bool) -> None:
    value: bytes = message.value or b""
    if as_json:
        sys.stdout.write(value.decode("utf-8", "replace") + "\n")
        return
    key = (message.key or b"").decode(errors="replace")
    header = f"[bold]{message.topic}[/]/{message.partition}@{message.offset} key={key}"
    console.print(header)
    try:
        console.print_json(value.decode("utf-8"))
    except Exception:  # not JSON: raw payloads on news.raw
        console.print(value.decode("utf-8", "replace")[:2000])
