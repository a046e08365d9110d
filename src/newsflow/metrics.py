"""Every metric newsflow exports, declared in one table.

Names follow Prometheus conventions: base units, ``_total`` for counters,
``_seconds`` for durations, and only low-cardinality labels. Faust's own
sensor metrics keep their ``faust_`` prefix, so nothing here clashes with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

# Sub-millisecond stages up to multi-second outliers.
STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# End-to-end latency includes Kafka hops and commit intervals.
END_TO_END_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# Bounded label set for languages: anything else is counted as "other".
TOP_LANGUAGES = frozenset(
    [
        "ar",
        "bg",
        "ca",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "he",
        "hi",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sr",
        "sv",
        "th",
        "tr",
        "uk",
        "vi",
        "zh",
    ]
)
STAGES = ("ingest", "clean", "dedup", "language", "entities", "publish")
OUTCOMES = ("ok", "duplicate", "dlq")
DUPLICATE_KINDS = ("exact_duplicate", "near_duplicate")
ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")


def language_label(code: str) -> str:
    if code == "und":
        return "und"
    return code if code in TOP_LANGUAGES else "other"


@dataclass(frozen=True, slots=True)
class StageMetrics:
    articles_in: Counter
    articles_out: Counter
    stage_duration: Histogram
    end_to_end_latency: Histogram
    duplicates: Counter
    languages: Counter
    entities: Counter
    dead_letters: Counter
    consumer_lag: Gauge
    end_offset: Gauge
    rebalances: Counter
    build_info: Info

    def initialise(self, output_topics: tuple[str, ...], dlq_reasons: tuple[str, ...]) -> None:
        """Create every known label combination at 0.

        Prometheus cannot see the first increment of a series that appears already at 1, so
        rates and ratios over rare events (DLQ, duplicates) would stay empty without this.
        """
        for stage in STAGES:
            self.articles_in.labels(stage)
            self.stage_duration.labels(stage)
            for outcome in OUTCOMES:
                self.articles_out.labels(stage, outcome)
            for reason in dlq_reasons:
                self.dead_letters.labels(stage, reason)
        for kind in DUPLICATE_KINDS:
            self.duplicates.labels(kind)
        for entity_type in ENTITY_TYPES:
            self.entities.labels(entity_type)
        for topic in output_topics:
            self.end_to_end_latency.labels(topic)

    @classmethod
    def create(cls, registry: CollectorRegistry, prefix: str = "newsflow") -> StageMetrics:
        return cls(
            articles_in=Counter(
                f"{prefix}_stage_articles_in",
                "Articles that entered a stage.",
                ["stage"],
                registry=registry,
            ),
            articles_out=Counter(
                f"{prefix}_stage_articles_out",
                "Articles that left a stage, by outcome (ok, duplicate, dlq).",
                ["stage", "outcome"],
                registry=registry,
            ),
            stage_duration=Histogram(
                f"{prefix}_stage_duration_seconds",
                "Time spent inside one stage for one article.",
                ["stage"],
                buckets=STAGE_BUCKETS,
                registry=registry,
            ),
            end_to_end_latency=Histogram(
                f"{prefix}_end_to_end_latency_seconds",
                "Time from ingested_at to publish on an output topic.",
                ["topic"],
                buckets=END_TO_END_BUCKETS,
                registry=registry,
            ),
            duplicates=Counter(
                f"{prefix}_duplicates",
                "Duplicates found, by kind (exact_duplicate, near_duplicate).",
                ["kind"],
                registry=registry,
            ),
            languages=Counter(
                f"{prefix}_articles_by_language",
                "Articles by detected language: top languages, 'other' and 'und'.",
                ["language"],
                registry=registry,
            ),
            entities=Counter(
                f"{prefix}_entities",
                "Entity mentions extracted, by type.",
                ["type"],
                registry=registry,
            ),
            dead_letters=Counter(
                f"{prefix}_dead_letters",
                "Records sent to the dead-letter topic, by stage and reason class.",
                ["stage", "reason"],
                registry=registry,
            ),
            consumer_lag=Gauge(
                f"{prefix}_consumer_lag_messages",
                "End offset minus committed offset, per topic and partition this worker owns.",
                ["topic", "partition"],
                registry=registry,
            ),
            end_offset=Gauge(
                f"{prefix}_topic_end_offset",
                "Log end offset of the partitions this worker consumes; its rate is the input rate.",
                ["topic", "partition"],
                registry=registry,
            ),
            rebalances=Counter(
                f"{prefix}_rebalances",
                "Partition assignments this worker received (each rebalance counts once).",
                registry=registry,
            ),
            build_info=Info(
                f"{prefix}_build",
                "Version and configuration hash of the running worker.",
                registry=registry,
            ),
        )
