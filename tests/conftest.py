from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED_PATH = SHARED_DATA / "samples" / "000_e1a00a8e340fafa1.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The project's seed article, read in place from ../shared/data."""
    return SEED_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED_PATH.read_bytes()


@pytest.fixture(autouse=True)
def _require_broker(request: pytest.FixtureRequest) -> None:
    """Tests marked e2e need the real broker: skipped on a laptop without one, failed under CI."""
    if "e2e" not in request.keywords:
        return
    from tests.e2e.harness import BOOTSTRAP, broker_reachable

    if broker_reachable():
        return
    message = f"no Kafka broker at {BOOTSTRAP}; start one with deploy/kafka-local/kafka.sh start"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
