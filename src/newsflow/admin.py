"""Broker checks and topic creation, shared by ``newsflow topics create`` and ``newsflow worker``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import KafkaError

from newsflow.config import Settings
from newsflow.connection import aiokafka_options
from newsflow.ingest import RAW_PAYLOAD_FACTOR


class BrokerUnavailable(Exception):
    """The configured Kafka bootstrap servers could not be reached (or refused us)."""


@dataclass(frozen=True, slots=True)
class TopicPlan:
    name: str
    partitions: int


def topic_plan(settings: Settings) -> list[TopicPlan]:
    """Every topic newsflow reads or writes, with the partition count the topology expects."""
    spread = [
        settings.topic_raw,
        settings.topic_enriched,
        settings.topic_duplicates,
        settings.topic_clusters,
        settings.topic_dlq,
    ]
    plan = [TopicPlan(name, settings.partitions) for name in spread]
    plan.append(TopicPlan(settings.topic_analysed, settings.dedup_partitions))
    return plan


async def _admin(settings: Settings, timeout: float) -> AIOKafkaAdminClient:
    client = AIOKafkaAdminClient(**aiokafka_options(settings), request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(client.start(), timeout)
    except (TimeoutError, KafkaError, OSError) as exc:
        await client.close()
        detail = str(exc) or type(exc).__name__
        raise BrokerUnavailable(f"cannot reach Kafka at {settings.kafka_bootstrap}: {detail}") from None
    return client


def topic_configs(settings: Settings, topic: str) -> dict[str, str]:
    """Broker-side settings of a topic newsflow creates: its largest record fits.

    Outputs are bounded by NEWSFLOW_MAX_RECORD_BYTES; the raw topic by what ingest
    accepts, up to RAW_PAYLOAD_FACTOR times NEWSFLOW_MAX_ARTICLE_BYTES for HTML.
    """
    largest = settings.max_record_bytes
    if topic == settings.topic_raw:
        largest = max(largest, settings.max_article_bytes * RAW_PAYLOAD_FACTOR)
    # 64 KiB for the key and the record batch framing (the broker's default limit is 1 MiB + 12 bytes).
    return {"max.message.bytes": str(largest + 64 * 1024)}


async def ensure_topics(settings: Settings, timeout: float = 15.0) -> list[str]:
    """Create missing topics and grow ones with too few partitions. Returns what changed."""
    client = await _admin(settings, timeout)
    changes: list[str] = []
    try:
        existing = {meta["topic"]: len(meta["partitions"]) for meta in await client.describe_topics()}
        missing = [plan for plan in topic_plan(settings) if plan.name not in existing]
        if missing:
            await client.create_topics(
                [
                    NewTopic(
                        p.name, p.partitions, settings.replication_factor, topic_configs=topic_configs(settings, p.name)
                    )
                    for p in missing
                ],
                timeout_ms=int(timeout * 1000),
            )
            changes += [f"created {p.name} ({p.partitions} partitions)" for p in missing]
        grow = {
            p.name: NewPartitions(p.partitions)
            for p in topic_plan(settings)
            if p.name in existing and existing[p.name] < p.partitions
        }
        if grow:
            await client.create_partitions(grow)
            changes += [f"grew {name} to {spec.total_count} partitions" for name, spec in grow.items()]
    finally:
        await client.close()
    return changes


async def check_broker(settings: Settings, timeout: float = 10.0) -> None:
    client = await _admin(settings, timeout)
    await client.close()
