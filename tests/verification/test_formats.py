"""Format detection: one function decides what a document is, for verify, batch, show and the service."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from vctrade import Key, issue, verify
from vctrade.errors import InvalidDocument
from vctrade.jose import cose_text, envelope, issue_sd_jwt, sign_cose, sign_vc_jwt
from vctrade.verification import Format, detect

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:acme", "invoiceNumber": "INV-1"},
}


@pytest.fixture(scope="module")
def key() -> Key:
    return Key.generate("Ed25519")


def test_each_format_is_recognized(key: Key) -> None:
    token = sign_vc_jwt(CREDENTIAL, key)
    sd = issue_sd_jwt(CREDENTIAL, key, disclosable=["/credentialSubject/invoiceNumber"])
    cose = sign_cose(CREDENTIAL, key, verification_method=key.did_key_verification_method)
    assert detect(CREDENTIAL).format is Format.JSON
    assert detect(json.dumps(CREDENTIAL)).format is Format.JSON
    assert detect(json.dumps(CREDENTIAL).encode()).format is Format.JSON
    assert detect(token) == detect(f"  {token}\n") and detect(token).format is Format.JWT
    assert detect(sd).format is Format.SD_JWT
    assert detect(cose).format is Format.COSE and detect(cose_text(cose)).format is Format.COSE
    assert detect(envelope(token)).value == token
    assert detect(envelope(sd, "vc+sd-jwt")).format is Format.SD_JWT
    assert detect(json.dumps(envelope(token))).format is Format.JWT  # an envelope given as JSON text


@pytest.mark.parametrize("bad", ["not json at all {", "[1, 2", b"\xff\xfe garbage", "a.b"])
def test_what_is_none_of_them_is_invalid_input(bad: str | bytes) -> None:
    with pytest.raises(InvalidDocument):
        detect(bad)


@pytest.mark.parametrize("envelope_id", ["https://example.com/vc", "data:text/plain,hello", 42])
def test_a_bad_envelope_is_refused(envelope_id: object) -> None:
    with pytest.raises(InvalidDocument, match="enveloped"):
        detect({"type": "EnvelopedVerifiableCredential", "id": envelope_id})


def test_verify_takes_every_format_and_judges_the_same_claims(key: Key) -> None:
    """One pipeline: whatever the securing, the same claims checks run (and fail the same way)."""
    secured = {
        "di": issue(CREDENTIAL, key, created=NOW).secured,
        "jose": issue(CREDENTIAL, key, format="jose").secured,
        "cose": issue(CREDENTIAL, key, format="cose").secured,
        "enveloped": envelope(str(issue(CREDENTIAL, key, format="jose").secured)),
    }
    for name, document in secured.items():
        result = verify(document, now=NOW)
        assert result.verified, (name, result.failures)
        assert [c.name for c in result.checks if c.name in ("structure", "json-ld", "issuer", "validity-period")] == [
            "structure", "json-ld", "issuer", "validity-period"], name
        late = verify(document, now=datetime(2025, 6, 1, tzinfo=timezone.utc))
        assert next(c for c in late.checks if c.name == "validity-period").status == "failed", name
