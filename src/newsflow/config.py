"""Settings, read once from the environment by :meth:`Settings.from_env`.

Every variable is listed in the README's configuration table; keep the two in
step (``tests/test_config.py`` checks that they are).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Literal, get_args

from newsflow.errors import ConfigError

ProcessingGuarantee = Literal["at_least_once", "exactly_once"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

SECRET_FIELDS = frozenset({"kafka_sasl_password"})
# NEWSFLOW_MAX_RECORD_BYTES may not go below this: a dead letter carries up to
# 512 KiB of its payload (pipeline.DLQ_PAYLOAD_CAP) plus its envelope.
MIN_RECORD_BYTES = 600_000


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed configuration. Field ``foo_bar`` is read from ``NEWSFLOW_FOO_BAR`` unless noted."""

    kafka_bootstrap: str = "127.0.0.1:9092"  # KAFKA_BOOTSTRAP
    app_id: str = "newsflow"
    client_id: str = ""  # empty: the app id
    topic_raw: str = "news.raw"
    topic_analysed: str = "news.analysed"
    topic_enriched: str = "news.enriched"
    topic_duplicates: str = "news.duplicates"
    topic_clusters: str = "news.clusters"
    topic_dlq: str = "news.dlq"
    partitions: int = 4
    dedup_partitions: int = 1
    replication_factor: int = 1
    processing_guarantee: ProcessingGuarantee = "exactly_once"
    commit_interval_seconds: float = 0.1
    batch_size: int = 200
    batch_within_seconds: float = 0.01
    producer_linger_seconds: float = 0.01
    fetch_max_wait_seconds: float = 0.1
    stall_timeout_seconds: float = 120.0
    store: str = "rocksdb://"
    data_dir: str = "./.newsflow-data"
    web_port: int = 6066
    web_host: str = "0.0.0.0"
    max_article_bytes: int = 1_000_000
    max_record_bytes: int = 1_000_000
    record_timeout_seconds: float = 10.0
    dedup_window_seconds: float = 7 * 24 * 3600.0
    dedup_threshold: float = 0.5
    dedup_band_index: str = "memory"
    language_min_confidence: float = 0.5
    language_short_text: str = "accurate"
    ner_models: str = ""
    log_level: str = "info"
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = field(default=None, repr=False)
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            name = env_name(spec.name)
            if name not in env or env[name] == "":
                continue
            raw = env[name]
            default = spec.default
            try:
                if isinstance(default, bool):
                    values[spec.name] = raw.lower() in {"1", "true", "yes", "on"}
                elif isinstance(default, int):
                    values[spec.name] = int(raw)
                elif isinstance(default, float):
                    values[spec.name] = float(raw)
                else:
                    values[spec.name] = raw
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a valid {type(default).__name__}") from None
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        allowed = {
            "language_short_text": ("accurate", "balanced", "fast", "off"),
            "dedup_band_index": ("table", "memory"),
            "processing_guarantee": get_args(ProcessingGuarantee),
            "kafka_security_protocol": get_args(SecurityProtocol),
        }
        for name, choices in allowed.items():
            value = getattr(self, name)
            if value not in choices:
                raise ConfigError(f"{env_name(name)}={value!r}: expected one of {', '.join(choices)}")
        if self.kafka_sasl_mechanism is not None and self.kafka_sasl_mechanism not in get_args(SaslMechanism):
            raise ConfigError(
                f"NEWSFLOW_KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism!r}: "
                f"expected one of {', '.join(get_args(SaslMechanism))}"
            )
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ConfigError(
                "SASL needs NEWSFLOW_KAFKA_SASL_MECHANISM, NEWSFLOW_KAFKA_SASL_USERNAME and "
                "NEWSFLOW_KAFKA_SASL_PASSWORD"
            )
        for name in ("partitions", "dedup_partitions", "replication_factor", "max_article_bytes", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{env_name(name)} must be at least 1")
        if self.max_record_bytes < MIN_RECORD_BYTES:
            raise ConfigError(
                f"NEWSFLOW_MAX_RECORD_BYTES must be at least {MIN_RECORD_BYTES}: a dead letter carries up to 512 KiB"
            )
        if self.producer_linger_seconds < 0:
            raise ConfigError("NEWSFLOW_PRODUCER_LINGER_SECONDS must not be negative")
        if not 0 < self.fetch_max_wait_seconds <= 30:
            raise ConfigError("NEWSFLOW_FETCH_MAX_WAIT_SECONDS must be in (0, 30]")
        if self.batch_within_seconds <= 0:
            raise ConfigError("NEWSFLOW_BATCH_WITHIN_SECONDS must be positive")
        if not 0.0 < self.dedup_threshold <= 1.0:
            raise ConfigError("NEWSFLOW_DEDUP_THRESHOLD must be in (0, 1]")
        if ":" not in self.kafka_bootstrap:
            raise ConfigError(f"KAFKA_BOOTSTRAP={self.kafka_bootstrap!r}: expected host:port[,host:port]")

    @property
    def kafka_client_id(self) -> str:
        return self.client_id or self.app_id

    @property
    def output_topics(self) -> tuple[str, ...]:
        return (self.topic_enriched, self.topic_duplicates, self.topic_clusters, self.topic_dlq)

    def redacted(self) -> dict[str, object]:
        """Settings safe to log or expose: secrets replaced by ``***``."""
        return {key: ("***" if key in SECRET_FIELDS and value else value) for key, value in asdict(self).items()}

    def config_hash(self) -> str:
        """Short stable hash of the non-secret settings, for the build-info metric."""
        text = repr(sorted(self.redacted().items()))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def env_name(field_name: str) -> str:
    if field_name == "kafka_bootstrap":
        return "KAFKA_BOOTSTRAP"
    return f"NEWSFLOW_{field_name.upper()}"
