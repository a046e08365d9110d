"""Agent wiring with Faust's test_context(): no broker, memory store, sends captured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import orjson
import pytest
from faust.topics import Topic
from prometheus_client import CollectorRegistry

from newsflow.codecs import to_plain
from newsflow.config import Settings
from newsflow.topology import create_app


@pytest.fixture
def sent() -> Iterator[list[tuple[str, bytes | None, Any]]]:
    captured: list[tuple[str, bytes | None, Any]] = []

    async def fake_send(self: Topic, *, key: Any = None, value: Any = None, **kwargs: Any) -> None:
        captured.append((self.get_topic_name(), key, to_plain(value)))

    with mock.patch.object(Topic, "send", fake_send):
        yield captured


@pytest.fixture
def app(tmp_path: Any) -> Any:
    settings = Settings.from_env(
        {
            "NEWSFLOW_STORE": "memory://",
            "NEWSFLOW_DATA_DIR": str(tmp_path),
            "NEWSFLOW_PROCESSING_GUARANTEE": "at_least_once",
        }
    )
    faust_app = create_app(settings, registry=CollectorRegistry())
    faust_app.finalize()
    faust_app.flow_control.resume()
    return faust_app


async def test_clean_agent_sends_cleaned_article_keyed_by_content_hash(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["clean"].test_context() as agent:
        await agent.put(seed_bytes, key=b"seed-1")
    [(topic, key, value)] = sent
    assert topic == "news.cleaned"
    assert value["id"] == "seed-1"
    assert key == value["fingerprint"]["content_hash"].encode()
    assert "PREV" not in value["text"]


async def test_clean_agent_sends_malformed_records_to_dlq(app: Any, sent: list[Any]) -> None:
    async with app.agents["clean"].test_context() as agent:
        await agent.put(b'{"id": "bad", "text": ', key=None)
    [(topic, key, value)] = sent
    assert (topic, key) == ("news.dlq", b"bad")
    assert value["reason"] == "malformed" and value["stage"] == "ingest"


async def test_dedup_agent_routes_copies_to_duplicates_and_counts_clusters(
    app: Any, sent: list[Any], seed_bytes: bytes
) -> None:
    async with app.agents["clean"].test_context() as clean:
        await clean.put(seed_bytes, key=b"first")
        await clean.put(orjson.dumps({"id": "copy", "text": seed_bytes.decode()}), key=b"copy")
    cleaned = [value for topic, _, value in sent if topic == "news.cleaned"]
    sent.clear()
    async with app.agents["dedup"].test_context() as dedup:
        for value in cleaned:
            await dedup.put(value, key=value["fingerprint"]["content_hash"].encode())
    by_topic: dict[str, list[Any]] = {}
    for topic, _, value in sent:
        by_topic.setdefault(topic, []).append(value)
    assert [v["id"] for v in by_topic["news.deduped"]] == ["first"]
    [duplicate] = by_topic["news.duplicates"]
    assert duplicate["id"] == "copy" and duplicate["dedup"]["duplicate_of"] == "first"
    assert by_topic["news.clusters"][-1]["copies"] == 1


async def test_language_then_entities_agents_publish_enriched(app: Any, sent: list[Any], seed_bytes: bytes) -> None:
    async with app.agents["clean"].test_context() as clean:
        await clean.put(seed_bytes, key=b"seed")
    [(_, _, cleaned)] = sent
    cleaned["dedup"] = {
        "status": "original",
        "content_hash": cleaned["fingerprint"]["content_hash"],
        "duplicate_of": None,
        "similarity": None,
        "cluster_id": None,
    }
    sent.clear()
    async with app.agents["language"].test_context() as language:
        await language.put(cleaned, key=b"seed")
    [(topic, _, languaged)] = sent
    assert topic == "news.languaged" and languaged["language"]["code"] == "it"
    sent.clear()
    async with app.agents["entities"].test_context() as entities:
        await entities.put(languaged, key=b"seed")
    [(topic, key, record)] = sent
    assert (topic, key) == ("news.enriched", b"seed")
    assert record["outcome"] == "enriched" and "fingerprint" not in record
    assert any(mention["text"] == "Mosca" for mention in record["entities"])
