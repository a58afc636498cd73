"""The registry's tests run against both back-ends: an SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def registry_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's registry is: an SQLite file in tmp_path, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "registry.sqlite")
    url: str = request.getfixturevalue("postgres_url")
    return url
