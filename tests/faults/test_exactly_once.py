"""Issue #8, short version: 2,000 articles, 3 kill -9's, 1 broker restart, 1 forced rebalance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import broker_reachable
from tests.faults.chaos import run_chaos

pytestmark = pytest.mark.e2e


def test_every_input_accounted_for_exactly_once_under_faults(tmp_path: Path) -> None:
    if not broker_reachable():
        pytest.fail("fault tests need the local broker (scripts/test starts it)")
    report = run_chaos(
        tmp_path,
        n=2000,
        kills=3,
        broker_restart=True,
        rebalances=1,
        seed=20261127,
        produce_seconds=45.0,
        drain_timeout=420.0,
    )
    print(report.summary())
    assert report.kills == 3 and report.broker_restarts == 1 and report.rebalances_forced == 1
    assert report.missing == [], f"lost {len(report.missing)}: {report.missing[:10]} {report.events}"
    assert report.misrouted == [], f"on the wrong topic: {report.misrouted[:10]}"
    assert report.wrong_verdicts == [], f"wrong duplicate_of: {report.wrong_verdicts[:10]}"
    assert report.inconsistent == [], f"a repeated output differs from the first: {report.inconsistent[:10]}"
    assert report.duplicated == [], f"published more than once: {report.duplicated[:10]}"
    assert sum(report.counts.values()) == 2000
