"""Consume newsflow's enriched topic from another service (aiokafka).

    KAFKA_BOOTSTRAP=127.0.0.1:9092 python examples/consume_enriched.py --group my-service

Reads with isolation_level=read_committed, because newsflow publishes in
Kafka transactions: without it you could see records of aborted
transactions. Commits its own offsets after handling each batch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer

SUPPORTED_MAJOR = "1"


async def consume(topic: str, group: str | None, limit: int, idle_seconds: float) -> int:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        group_id=group,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    handled = 0
    try:
        while limit == 0 or handled < limit:
            batch = await consumer.getmany(timeout_ms=int(idle_seconds * 1000))
            if not batch:
                break
            for messages in batch.values():
                for message in messages:
                    record = json.loads(message.value)
                    if record["schema_version"].split(".")[0] != SUPPORTED_MAJOR:
                        raise SystemExit(f"unsupported schema_version {record['schema_version']}")
                    places = sorted({e["canonical"] for e in record["entities"] if e["type"] == "LOC"})
                    print(f"{record['id']}\t{record['language']['code']}\t{record['title']!r}\t{', '.join(places)}")
                    handled += 1
            if group:
                await consumer.commit()
    finally:
        await consumer.stop()
    return handled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topic", default=os.environ.get("NEWSFLOW_TOPIC_ENRICHED", "news.enriched"))
    parser.add_argument("--group", default=None, help="consumer group (omit to read without committing)")
    parser.add_argument("--limit", type=int, default=0, help="stop after N records (0 = no limit)")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="stop after this long without records")
    args = parser.parse_args()
    asyncio.run(consume(args.topic, args.group, args.limit, args.idle_seconds))


if __name__ == "__main__":
    main()
