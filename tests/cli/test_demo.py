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
    assert len(steps) == 15 and all(step.ok for step in steps), [s for s in steps if not s.ok]
    # two tampered documents, one revoked certification, one re-signed invoice that disagrees with its shipment
    assert [s.verified for s in steps].count(False) == 4
    changed = steps[-1].detail
    assert "shipment.weights" in changed and "shipment.sima" in changed and "shipment.export-match" in changed
    assert (tmp_path / "steel-shipment.json").is_file() and (tmp_path / "steel-shipment" / "invoice-changed.json").is_file()
    # ANAM vouches for the export on a did:web of the demo's site, as CBP certifies on its own
    anam = json.loads((tmp_path / "steel-shipment" / "export-declaration.json").read_text())["issuer"]
    anam_id = anam["id"] if isinstance(anam, dict) else anam
    assert anam_id.startswith("did:web:127.0.0.1%3A" if local_site else "did:key:")
    assert (tmp_path / "import-presentation.json").is_file() and (tmp_path / "registry.sqlite").is_file()
    issuer = json.loads((tmp_path / "exporter-ctpat.json").read_text())["issuer"]["id"]
    assert issuer.startswith("did:web:127.0.0.1%3A" if local_site else "did:key:")
