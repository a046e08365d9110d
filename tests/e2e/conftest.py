from __future__ import annotations

import os

import pytest

from tests.e2e.harness import BOOTSTRAP, broker_reachable


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _require_broker(request: pytest.FixtureRequest) -> None:
    if "e2e" not in request.keywords:
        return
    if broker_reachable():
        return
    message = f"no Kafka broker at {BOOTSTRAP}; start one with deploy/kafka-local/kafka.sh start"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
