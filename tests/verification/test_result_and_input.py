"""What ``verify`` takes and what its result reports (issue #17, fix 7): ``failures`` includes nested failures, the
CLI's JSON report has one shape, a Path is read, anything that is no document is a TypeError — never a verdict."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, TrustPolicy, VerificationResult, present, verify
from vctrade.errors import InputError

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the `trade` fixture (tests/conftest.py) signs a day before


@pytest.fixture(scope="module")
def shipment(trade: dict[str, Any]) -> dict[str, Any]:
    """A presentation of the certificate of origin and a tampered AEO certification."""
    tampered = copy.deepcopy(trade["aeo"])
    tampered["credentialSubject"]["legalName"] = "Someone Else"
    importer: Key = trade["importer"]
    return present([trade["coo"], tampered], importer, challenge="7c1f", created=NOW - timedelta(days=1))


def test_failures_include_nested_failures(shipment: dict[str, Any], fixtures_dir: Path) -> None:
    policy = TrustPolicy.from_toml(fixtures_dir / "policy/us-cbp.toml")
    result = verify(shipment, now=NOW, challenge="7c1f", policy=policy)
    assert not result.verified
    assert all(check.status == "passed" for check in result.checks)  # the presentation's own proof is fine
    names = [check.name for check in result.failures]
    assert "proof.signature" in names  # the tampered credential's, nested
    assert any(name.startswith("policy.") for name in names)  # the policy's, nested
    assert list(result.failures) == [c for c in result.all_checks() if c.status != "passed"]


def test_report_is_flat_and_names_each_failures_document(shipment: dict[str, Any]) -> None:
    result = verify(shipment, now=NOW, challenge="7c1f")
    report = result.report("shipment.json")
    assert list(report)[:3] == ["file", "outcome", "failures"]
    assert (report["file"], report["outcome"]) == ("shipment.json", "not verified")
    assert report["checks"] == result.to_dict()["checks"] and report["results"] == result.to_dict()["results"]
    tampered_id = shipment["verifiableCredential"][1]["id"]
    assert {"name": "proof.signature", "document": f"presentation > credential 1 ({tampered_id})"}.items() <= next(
        f for f in report["failures"] if f["name"] == "proof.signature").items()
    assert json.loads(json.dumps(report)) == report
    assert verify(shipment, now=NOW, challenge="7c1f").to_dict().keys() == result.to_dict().keys()  # VC API unchanged


def test_outcome(trade: dict[str, Any]) -> None:
    assert verify(trade["coo"], now=NOW).outcome == "verified"
    assert VerificationResult(()).outcome == "not verified"


def test_a_path_is_read(tmp_path: Path, trade: dict[str, Any]) -> None:
    path = tmp_path / "coo.json"
    path.write_text(json.dumps(trade["coo"]))
    assert verify(path, now=NOW).verified
    assert verify(bytearray(path.read_bytes()), now=NOW).verified
    with pytest.raises(InputError, match="file not found"):
        verify(tmp_path / "absent.json", now=NOW)
    with pytest.raises(InputError, match="is a folder"):
        verify(tmp_path, now=NOW)


@pytest.mark.parametrize("document", [None, 42, 1.5, ["a credential"], ("x",), {"x"}, object()])
def test_what_is_no_document_is_a_type_error(document: Any) -> None:
    with pytest.raises(TypeError, match="verify\\(\\) takes a credential or presentation"):
        verify(document, now=NOW)


def test_a_list_inside_a_presentation_is_still_a_verdict(trade: dict[str, Any]) -> None:
    """Only what the caller hands over is judged by type: what a document holds stays a failed check."""
    vp = present([trade["coo"]], trade["importer"], created=NOW - timedelta(days=1))
    vp["verifiableCredential"] = [["not", "a", "credential"]]
    result = verify(vp, now=NOW)
    assert not result.verified and not any(c.code == "internal_error" for c in result.all_checks())
