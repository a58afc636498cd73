"""Shared test fixtures."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from support import FIXED_NOW, VECTORS


def pytest_configure(config: pytest.Config) -> None:
    """Keep the CLI's registry (issued credentials, status lists) out of the user's data directory."""
    os.environ["VCTRADE_HOME"] = tempfile.mkdtemp(prefix="vctrade-tests-")


@pytest.fixture
def vectors() -> Path:
    """The spec vectors folder (the suite requires it: vectors are tests, never skipped)."""
    assert VECTORS.is_dir(), f"spec vectors not found at {VECTORS} (set VCTRADE_VECTORS)"
    return VECTORS


@pytest.fixture
def now() -> datetime:
    """A fixed clock for verification."""
    return FIXED_NOW
