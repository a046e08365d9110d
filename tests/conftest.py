from __future__ import annotations

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
