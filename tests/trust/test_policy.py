"""Trust policy: every rule made to fail, with the reason named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.trade import OriginProvenance, Programme, RecognizedProgrammes
from vctrade.errors import PolicyError
from vctrade.trust import PolicyInput, RequiredTypes, TrustPolicy, TrustedIssuers
from vctrade import present
from vctrade.status import Registry
from vctrade.status import StatusFiles
from vctrade.trade import build_aeo_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the `trade` fixture (tests/conftest.py) signs a day before
CREATED = NOW - timedelta(days=1)


@pytest.fixture(scope="module")
def us_policy(fixtures_dir: Path) -> TrustPolicy:
    return TrustPolicy.from_toml(fixtures_dir / "policy/us-cbp.toml")


def policy_checks(result: Any) -> dict[str, Any]:
    policy = next(r for r in result.nested if r.document_type == "policy")
    return {c.name: c for c in policy.checks}


def test_fixture_policy_lists_every_mra_partner(us_policy: TrustPolicy) -> None:
    programmes = next(r for r in us_policy.rules if isinstance(r, RecognizedProgrammes)).programmes
    countries = {p.country for p in programmes}
    assert countries == {"US", "NZ", "JO", "CA", "JP", "KR", "DE", "TW", "IL", "MX", "SG", "DO", "PE", "GB", "IN", "UY", "BR", "GT"}
    assert all(p.authority.startswith("did:") and p.basis for p in programmes)


def test_presentation_with_policy_is_accepted(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    vp = present([trade["coo"], trade["aeo"]], trade["importer"], challenge="7c1f", domain="cbp.example", created=CREATED)
    result = verify(vp, now=NOW, challenge="7c1f", domain="cbp.example", policy=us_policy)
    assert result.verified, [c for c in result.all_checks() if c.status != "passed"]
    assert [r.document_type for r in result.nested] == ["credential", "credential", "policy"]
    assert policy_checks(result)["policy.provenance[0]"].message.endswith("holds a valid MX-OEA certification")


def test_untrusted_issuer_for_ctpat(trade: dict[str, Any], us_policy: TrustPolicy,
                                    trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    impostor = Key.generate()
    forged = sign(build_aeo_credential(trade_request("aeo", "acme-ctpat"), impostor.did), impostor, created=CREATED)
    result = verify(forged, now=NOW, policy=us_policy)
    checks = policy_checks(result)
    assert f"issuer {impostor.did} is not trusted for CTPATCertificate" in checks["policy.trusted-issuer[0]"].message
    assert "not the recognized authority for C-TPAT" in checks["policy.programme[0]"].message
    assert not result.verified


def test_unrecognized_programme(trade: dict[str, Any], fixture_key: Callable[[str], Key]) -> None:
    policy = TrustPolicy((RecognizedProgrammes((Programme("C-TPAT", fixture_key("cbp").did),)),))
    checks = policy_checks(verify(trade["aeo"], now=NOW, policy=policy))
    assert checks["policy.programme[0]"].message == "MX-OEA is not recognized by this policy"


def test_required_types(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    vp = present([trade["coo"]], trade["importer"], created=CREATED)
    checks = policy_checks(verify(vp, now=NOW, policy=us_policy))
    assert "missing required credential type(s): AEOCertificate" in checks["policy.required-types"].message


def test_provenance_needs_the_certifiers_aeo(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    alone = verify(trade["coo"], now=NOW, policy=us_policy)
    assert "presents no AEO certification" in policy_checks(alone)["policy.provenance[0]"].message
    beside = verify(trade["coo"], now=NOW, policy=us_policy, with_credentials=[trade["aeo"]])
    assert policy_checks(beside)["policy.provenance[0]"].status == "passed"
    someone_elses = verify(trade["coo"], now=NOW, policy=us_policy, with_credentials=[trade["ctpat"]])
    assert policy_checks(someone_elses)["policy.provenance[0]"].code == "certifier_has_no_aeo"


def test_expired_aeo_breaks_provenance(trade: dict[str, Any], us_policy: TrustPolicy) -> None:
    later = datetime(2028, 3, 1, tzinfo=timezone.utc)  # after the OEA's validUntil, inside nothing else
    result = verify(trade["coo"], now=later, policy=us_policy, with_credentials=[trade["aeo"]])
    assert "does not verify" in policy_checks(result)["policy.provenance[0]"].message


def test_revoked_aeo_breaks_provenance_with_the_reason(tmp_path: Path, trade: dict[str, Any], us_policy: TrustPolicy,
                                                       fixture_key: Callable[[str], Key],
                                                       trade_request: Callable[[str, str], dict[str, Any]],
                                                       fixtures_dir: Path) -> None:
    anam = fixture_key("anam-mx")
    registry = Registry(tmp_path / "r.sqlite", clock=lambda: NOW)
    registry.create_list("https://anam.example/status/1", anam.did, "revocation", fixtures_dir / "keys/anam-mx.jwk")
    unsigned = build_aeo_credential(trade_request("aeo", "mx-oea-aceros"), anam.did)
    unsigned["credentialStatus"] = registry.allocate(unsigned)
    aeo = sign(unsigned, anam, created=CREATED)
    registry.revoke(aeo["id"], "validation failed")
    registry.publish(tmp_path / "site", lambda doc, _: sign(doc, anam, created=NOW))
    files = StatusFiles({"https://anam.example/status/1": tmp_path / "site/status/1"})
    result = verify(trade["coo"], now=NOW, policy=us_policy, with_credentials=[aeo], status_source=files)
    message = policy_checks(result)["policy.provenance[0]"].message
    assert "the certifier's AEO" in message and "was revoked" in message and not result.verified


def test_policy_objects_compose(trade: dict[str, Any], fixture_key: Callable[[str], Key]) -> None:
    programmes = RecognizedProgrammes((Programme("MX-OEA", fixture_key("anam-mx").did, "MX", "MRA"),))
    policy = TrustPolicy((programmes, OriginProvenance(programmes), RequiredTypes(("CertificateOfOrigin",)),
                          TrustedIssuers(frozenset({"CertificateOfOrigin"}), frozenset({fixture_key("aceros-del-norte").did}))))
    subject = PolicyInput(((trade["coo"], verify(trade["coo"], now=NOW)), (trade["aeo"], verify(trade["aeo"], now=NOW))))
    assert policy.evaluate(subject).verified


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no rules"),
        ('name = "empty"', "no rules"),
        ("[[issuer]]\ntypes = []\ndids = ['did:x:1']", "non-empty list"),
        ("[[programme]]\nname = 'X'\nauthority = 'https://not-a-did'", "must be a DID"),
        ("[[programme]]\nname = 'X'", "authority"),
        ("[provenance]\norigin_requires_aeo = true", "needs at least one [[programme]]"),
        ("[provenance]\norigin_requires_aeo = 'yes'", "true or false"),
        ("trust_everything = true", "unknown policy section"),
        ("[[programme]\nname=", "not valid TOML"),
        ("[presentation]\nrequired = ['X']", "only required_types"),
    ],
)
def test_bad_policies_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message.replace("[", r"\[")):
        TrustPolicy.from_toml(path)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        TrustPolicy.from_toml(tmp_path / "absent.toml")


def test_policy_that_applies_to_nothing_does_not_pass(trade: dict[str, Any]) -> None:
    policy = TrustPolicy((TrustedIssuers(frozenset({"MillTestReportCredential"}), frozenset({"did:x:1"})),))
    checks = policy_checks(verify(trade["coo"], now=NOW, policy=policy))
    assert checks["policy"].code == "policy_not_applicable"
