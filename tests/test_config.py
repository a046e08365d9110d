from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from newsflow.config import Settings, env_name
from newsflow.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_are_valid() -> None:
    settings = Settings.from_env({})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.processing_guarantee == "exactly_once"


def test_values_are_typed() -> None:
    settings = Settings.from_env(
        {"NEWSFLOW_PARTITIONS": "8", "NEWSFLOW_DEDUP_THRESHOLD": "0.6", "KAFKA_BOOTSTRAP": "k:9092"}
    )
    assert settings.partitions == 8 and settings.dedup_threshold == 0.6 and settings.kafka_bootstrap == "k:9092"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSFLOW_PARTITIONS": "x"}, "not a valid int"),
        ({"NEWSFLOW_PARTITIONS": "0"}, "at least 1"),
        ({"NEWSFLOW_PROCESSING_GUARANTEE": "maybe"}, "expected one of"),
        ({"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "SASL needs"),
        ({"KAFKA_BOOTSTRAP": "nohostport"}, "host:port"),
        ({"NEWSFLOW_MAX_RECORD_BYTES": "100000"}, "at least 600000"),
    ],
)
def test_bad_values_raise_config_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_are_redacted() -> None:
    settings = Settings.from_env(
        {
            "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "NEWSFLOW_KAFKA_SASL_USERNAME": "u",
            "NEWSFLOW_KAFKA_SASL_PASSWORD": "hunter2",
        }
    )
    assert "hunter2" not in repr(settings.redacted())
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.config_hash()


def test_every_setting_is_documented_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE))
    expected = {env_name(spec.name) for spec in fields(Settings)}
    assert expected == documented
