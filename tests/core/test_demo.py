"""The demo behaves as expected on any day (its validity windows follow its clock)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from vctrade.demo import run_demo


@pytest.mark.parametrize("year", [2024, 2031])
def test_demo_steps_behave_as_expected(tmp_path: Path, year: int) -> None:
    steps = run_demo(tmp_path, now=datetime(year, 1, 1, tzinfo=timezone.utc))
    assert len(steps) == 13 and all(step.ok for step in steps), [s for s in steps if not s.ok]
    assert [s.verified for s in steps].count(False) == 3  # two tampered documents, one revoked certification
    assert (tmp_path / "import-presentation.json").is_file() and (tmp_path / "registry.sqlite").is_file()
