"""External tools the deploy tests drive for real (installed by scripts/install_tools.sh)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_tool(name: str) -> str:
    """Path of a tool installed by scripts/install_tools.sh; skip (fail under CI) if absent."""
    cache = Path(os.environ.get("NEWSFLOW_CACHE", Path.home() / ".cache" / "newsflow"))
    candidate = cache / "bin" / name
    found = str(candidate) if os.access(candidate, os.X_OK) else shutil.which(name)
    if found:
        return found
    message = f"{name} not found in {cache / 'bin'} or PATH: run scripts/install_tools.sh"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
