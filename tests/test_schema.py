"""The consumer contract: generated schemas match the models, and real records validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import yaml

from newsflow.codecs import to_plain
from newsflow.config import Settings
from newsflow.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]


def load_schema(name: str) -> dict[str, Any]:
    return dict(orjson.loads((ROOT / "schemas" / f"{name}.schema.json").read_bytes()))


def validate(record: Any, schema_name: str) -> None:
    jsonschema.Draft202012Validator(load_schema(schema_name)).validate(orjson.loads(orjson.dumps(to_plain(record))))


def test_committed_schemas_and_asyncapi_match_the_models() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_asyncapi_lists_every_output_topic_with_a_schema() -> None:
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    settings = Settings()
    assert {settings.topic_raw, *settings.output_topics} <= addresses
    for message in document["components"]["messages"].values():
        assert (ROOT / "docs" / message["payload"]["$ref"]).resolve().is_file()


@pytest.mark.parametrize("name", ["input-record", "enriched-record", "dead-letter", "cluster-update"])
def test_schemas_are_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


def test_real_pipeline_records_validate(seed_bytes: bytes) -> None:
    pipeline = Pipeline(Settings(store="memory://"))
    results = [
        pipeline.process(seed_bytes, key=b"seed"),
        pipeline.process(orjson.dumps({"id": "copy", "text": seed_bytes.decode()})),
        pipeline.process(b'{"id": "broken", '),
        pipeline.process(b"\xff\xfe not utf-8"),
    ]
    assert [r.kind for r in results] == ["enriched", "duplicate", "dead_letter", "dead_letter"]
    for result in results:
        validate(result.record, "dead-letter" if result.kind == "dead_letter" else "enriched-record")


def test_schema_rejects_a_record_missing_its_id(seed_bytes: bytes) -> None:
    record = orjson.loads(orjson.dumps(Pipeline(Settings()).process(seed_bytes, key=b"s").record))
    del record["id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema("enriched-record")).validate(record)
