"""Schemas apply by expanded type IRI, not by the type's short name."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from vctrade import Key, sign, verify
from vctrade.trade import build_origin_credential, load_request

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = datetime(2026, 5, 15, tzinfo=timezone.utc)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _schema(result: object) -> object:
    return next((c for c in result.checks if c.name == "schema"), None)  # type: ignore[attr-defined]


def test_another_vocabularys_certificate_of_origin_is_not_judged_by_vctrades_schema() -> None:
    """examples/v2's @vocab makes `CertificateOfOrigin` another IRI: vctrade's schema does not apply."""
    key = Key.generate("Ed25519")
    foreign = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "CertificateOfOrigin"],
        "credentialSubject": {"id": "did:example:exporter", "goods": "coffee"},  # nothing vctrade's schema requires
    }
    result = verify(sign(foreign, key, created=CREATED), now=NOW)
    assert result.verified, result.failures
    assert _schema(result) is None


def test_vctrades_type_written_as_a_full_iri_is_judged() -> None:
    """The same IRI reached another way (a full IRI in `type`) is vctrade's type: its schema applies."""
    key = Key.generate("Ed25519")
    disguised = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "https://vctrade.dev/ns/trade#CertificateOfOrigin"],
        "credentialSubject": {"id": "did:example:exporter", "goods": "coffee"},
    }
    result = verify(sign(disguised, key, created=CREATED), now=NOW)
    schema = _schema(result)
    assert schema is not None and schema.status == "failed" and not result.verified  # type: ignore[attr-defined]


def test_a_trade_credential_without_credential_schema_is_still_judged() -> None:
    key = Key.load(FIXTURES / "keys" / "aceros-del-norte.jwk")
    credential = build_origin_credential(load_request(FIXTURES / "origin" / "usmca-steel.yaml"), key.did)
    del credential["credentialSchema"]
    credential["credentialSubject"]["goods"][0]["hsCode"] = "72"  # too short: the schema requires 6 digits or more
    result = verify(sign(credential, key, created=CREATED), now=NOW)
    schema = _schema(result)
    assert schema is not None and schema.status == "failed" and "hsCode" in schema.message  # type: ignore[attr-defined]
