"""COSE_Sign1 credentials: round trips, and the same refusals as JOSE."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import cbor2
import pytest

from vctrade import Key, verify
from vctrade.errors import SigningError
from vctrade.jose import cose_text, sign_cose

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
              "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:acme"}}


def checks(data: bytes | str) -> dict[str, str]:
    return {c.name: c.code for c in verify(data, now=NOW).all_checks()}


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256", "P-384", "P-521"])
def test_round_trip_raw_and_base64(key_type: str) -> None:
    key = Key.generate(key_type)
    data = sign_cose(CREDENTIAL, key, verification_method=key.did_key_verification_method)
    assert verify(data, now=NOW).verified and verify(cose_text(data), now=NOW).verified


def _forge(key: Key, protected: dict, unprotected: dict | None = None, payload: dict | None = None) -> bytes:
    body = json.dumps({**CREDENTIAL, "issuer": key.did} if payload is None else payload).encode()
    encoded = cbor2.dumps(protected)
    signature = key.sign(cbor2.dumps(["Signature1", encoded, b"", body]))
    return cbor2.dumps(cbor2.CBORTag(18, [encoded, unprotected or {}, body, signature]))


def test_refusals() -> None:
    key = Key.generate()
    kid = key.did_key_verification_method.encode()
    good = {1: -8, 3: "application/vc", 4: kid, 16: "application/vc+cose"}
    assert verify(_forge(key, good), now=NOW).verified
    assert checks(_forge(key, good | {1: -257}))["cose.header"] == "alg_not_allowed"
    assert checks(_forge(key, good | {1: -7}))["cose.alg"] == "alg_key_mismatch"
    assert checks(_forge(key, good | {2: [99]}))["cose.header"] == "crit_not_understood"
    assert checks(_forge(key, good | {16: "application/vc+jwt"}))["cose.header"] == "wrong_media_type"
    other = Key.generate()
    assert checks(_forge(other, good | {4: other.did_key_verification_method.encode()}, payload={**CREDENTIAL, "issuer": key.did}))["cose.kid"] == "kid_not_controller"
    assert checks(_forge(key, {3: "application/vc", 16: "application/vc+cose"}, {1: -8, 4: kid}))["structure"] == "invalid_document"
    assert checks(b"\xd2\x84garbage")["structure"] == "invalid_document"


def test_signing_refuses_another_issuer() -> None:
    key = Key.generate()
    with pytest.raises(SigningError, match="names issuer"):
        sign_cose({**CREDENTIAL, "issuer": "did:example:cbp"}, key, verification_method=key.did_key_verification_method)
