"""Shared test fixtures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from support import FIXED_NOW, VECTORS


@pytest.fixture
def vectors() -> Path:
    """The spec vectors folder (the suite requires it: vectors are tests, never skipped)."""
    assert VECTORS.is_dir(), f"spec vectors not found at {VECTORS} (set VCTRADE_VECTORS)"
    return VECTORS


@pytest.fixture
def now() -> datetime:
    """A fixed clock for verification."""
    return FIXED_NOW
