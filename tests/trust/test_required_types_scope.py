"""A policy's required types judge what was presented together, not each lone credential (issue #17, fix 8)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import TrustPolicy, present, verify
from vctrade.trust import PolicyInput, RequiredTypes

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the `trade` fixture (tests/conftest.py) signs a day before


@pytest.fixture(scope="module")
def us_policy(fixtures_dir: Path) -> TrustPolicy:
    return TrustPolicy.from_toml(fixtures_dir / "policy/us-cbp.toml")


def _policy_checks(result: Any) -> dict[str, Any]:
    policy = next(r for r in result.nested if r.document_type == "policy")
    return {c.name: c for c in policy.checks}


def test_the_fixture_policy_accepts_a_lone_ctpat_certification(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    result = verify(trade["ctpat"], now=NOW, policy=us_policy)
    assert result.verified, [c for c in result.failures]
    assert "policy.required-types" not in _policy_checks(result)


def test_required_types_still_judge_a_presentation(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    vp = present([trade["ctpat"]], trade["importer"], created=NOW - timedelta(days=1))
    checks = _policy_checks(verify(vp, now=NOW, policy=us_policy))
    assert checks["policy.required-types"].status == "failed"
    assert "missing required credential type(s): CertificateOfOrigin" in checks["policy.required-types"].message


def test_required_types_judge_a_credential_with_those_given_beside_it(trade: dict[str, Any]) -> None:
    rule = RequiredTypes(("CertificateOfOrigin", "AEOCertificate"))
    coo, aeo = (trade["coo"], verify(trade["coo"], now=NOW)), (trade["aeo"], verify(trade["aeo"], now=NOW))
    assert rule.evaluate(PolicyInput((coo,))) == []  # a lone credential: nothing to judge
    assert [c.status for c in rule.evaluate(PolicyInput((coo, aeo)))] == ["passed"]
    assert [c.status for c in rule.evaluate(PolicyInput((coo,), {"type": "VerifiablePresentation"}))] == ["failed"]


def test_a_policy_of_required_types_alone_does_not_trust_a_lone_credential(trade: dict[str, Any]) -> None:
    policy = TrustPolicy((RequiredTypes(("CertificateOfOrigin",)),))
    result = verify(trade["coo"], now=NOW, policy=policy)
    assert not result.verified and _policy_checks(result)["policy"].code == "policy_not_applicable"
