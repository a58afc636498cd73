"""did:jwk: create, resolve, sign and verify; malformed input refused."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from vctrade import Key, resolve, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.did.jwk import did_jwk
from vctrade.errors import InvalidDID

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256", "P-384"])
def test_round_trip_and_signing(key_type: str) -> None:
    key = Key.generate(key_type)
    did = did_jwk(key)
    assert did == did_jwk(Key.from_jwk(key.to_jwk()))  # one key, one DID
    document = resolve(did)
    assert document["verificationMethod"][0]["publicKeyJwk"] == key.to_jwk()
    assert document["assertionMethod"] == [f"{did}#0"]
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:acme"}}
    signed = sign(credential, key, verification_method=f"{did}#0", created=NOW)
    assert signed["issuer"] == did and verify(signed, now=NOW).verified


def test_encryption_only_key_cannot_assert() -> None:
    jwk = Key.generate("P-256").to_jwk() | {"use": "enc"}
    document = resolve("did:jwk:" + b64url_encode(json.dumps(jwk).encode()))
    assert "assertionMethod" not in document


@pytest.mark.parametrize(
    "suffix",
    ["", "!!!", b64url_encode(b"[1]"), b64url_encode(b"not json"), b64url_encode(json.dumps({"kty": "RSA", "n": "x", "e": "AQAB"}).encode()),
     b64url_encode(json.dumps(Key.generate().to_jwk(private=True)).encode())],
)
def test_malformed_did_jwk(suffix: str) -> None:
    with pytest.raises(InvalidDID):
        resolve("did:jwk:" + suffix)
