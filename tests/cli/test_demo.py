"""The demo behaves as expected on any day (its validity windows follow its clock)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from vctrade._demo import run_demo


@pytest.mark.parametrize(("year", "local_site"), [(2024, True), (2031, True), (2026, False)])
def test_demo_steps_behave_as_expected(tmp_path: Path, year: int, local_site: bool) -> None:
    steps = run_demo(tmp_path, now=datetime(year, 1, 1, tzinfo=timezone.utc), local_site=local_site)
    assert len(steps) == 13 and all(step.ok for step in steps), [s for s in steps if not s.ok]
    assert [s.verified for s in steps].count(False) == 3  # two tampered documents, one revoked certification
    assert (tmp_path / "import-presentation.json").is_file() and (tmp_path / "registry.sqlite").is_file()
    issuer = json.loads((tmp_path / "exporter-ctpat.json").read_text())["issuer"]["id"]
    assert issuer.startswith("did:web:127.0.0.1%3A" if local_site else "did:key:")
