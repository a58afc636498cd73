"""The W3C CCG traceability vocabulary's own signed steel-workflow examples (fixtures/traceability/published/).

They are Ed25519Signature2018 proofs by a did:key, so verification is offline. Four verify with the pinned
https://w3id.org/traceability/v1. Six were signed under an older version of that context, in which some of their
terms meant other IRIs: the same JSON is other RDF statements today, so their signature really does not match
(an independent check with jsonld.js gives the same answers, and each verifies under the context version in force
when it was signed). See fixtures/traceability/published/README.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import verify

NOW = datetime(2023, 7, 1, tzinfo=timezone.utc)  # within every example's validity period, after every proof's created
ISSUER = "did:key:z6MktHQo3fRRohk44dsbE76CuiTpBmyMWq2VVjvV6aBSeE3U"

VERIFIED = ["CommercialInvoiceCredential", "MillTestReportCredential", "PurchaseOrderCredential", "IntentToImportCredential"]

SIGNATURE = {("proof.signature", "failed", "signature_invalid"), ("issuer", "failed", "issuer_unproven")}
NOT_VERIFIED = {
    # each signed under a context that a later traceability-vocab change redefined (pull request in brackets)
    "MultiModalBillOfLadingCredential": SIGNATURE,  # (#813) carrier, transport and BoL-number terms
    "SIMASteelImportLicenseCredential": SIGNATURE,  # (#850) the licensee term
    "EntryNumberCredential": SIGNATURE,  # (#840) entryNumber, then issuer-dependent
    "CBP7501EntrySummaryCredential": SIGNATURE,  # (#862) date and identifier terms
    "USMCACertificationOfOrigin": SIGNATURE,  # (#863) product, exporter/importer and origin terms
    # (#862) and a RevocationList2020Status whose revocationListIndex is the number 0, not a string of digits
    "CTPATCertificate": SIGNATURE | {("status[0]", "failed", "invalid_status_entry")},
}


def _published(fixtures_dir: Path, load_json: Callable[[Path], Any], name: str) -> dict[str, Any]:
    credential: dict[str, Any] = load_json(fixtures_dir / "traceability" / "published" / f"{name}.json")
    assert "https://w3id.org/traceability/v1" in credential["@context"]
    assert credential["proof"]["type"] == "Ed25519Signature2018" and credential["issuer"]["id"] == ISSUER
    return credential


def _not_passed(result: Any) -> set[tuple[str, str, str]]:
    return {(c.name, c.status, c.code) for c in result.checks if c.status != "passed"}


def _check(result: Any, name: str) -> Any:
    return next(c for c in result.checks if c.name == name)


@pytest.mark.parametrize("name", VERIFIED)
def test_published_steel_examples_verify(name: str, fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    result = verify(_published(fixtures_dir, load_json, name), now=NOW)
    assert result.verified, result.failures
    assert _check(result, "proof.signature").code == "signature_valid"
    assert _check(result, "json-ld").code == "jsonld_issuer_dependent"  # the context's @vocab takes undefined terms


@pytest.mark.parametrize("name", VERIFIED)
def test_published_steel_examples_are_not_verified_once_changed(name: str, fixtures_dir: Path,
                                                                load_json: Callable[[Path], Any]) -> None:
    changed = copy.deepcopy(_published(fixtures_dir, load_json, name))
    changed["issuanceDate"] = "2023-01-01T00:00:00Z"
    result = verify(changed, now=NOW)
    assert not result.verified and _check(result, "proof.signature").code == "signature_invalid"


@pytest.mark.parametrize(("name", "failing"), sorted(NOT_VERIFIED.items()))
def test_published_steel_examples_signed_under_an_older_context_fail_exactly(
        name: str, failing: set[tuple[str, str, str]], fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    result = verify(_published(fixtures_dir, load_json, name), now=NOW)
    assert not result.verified and not result.undecided
    assert _not_passed(result) == failing
    assert _check(result, "json-ld").status == "passed"  # the context is known: it is the signature that fails


def test_the_usmca_example_is_also_expired_after_2023(fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    result = verify(_published(fixtures_dir, load_json, "USMCACertificationOfOrigin"), now=datetime(2026, 11, 28, tzinfo=timezone.utc))
    assert _not_passed(result) == SIGNATURE | {("validity-period", "failed", "outside_validity_period")}
