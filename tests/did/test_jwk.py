"""did:jwk: create, resolve, sign and verify; malformed input refused."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from vctrade import Key, resolve, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.did import did_jwk
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


# The did:jwk spec's own examples (github.com/quartzjer/did-jwk, spec.md): a P-256 key without `use`,
# and an X25519 key with `use: enc`; the DIDs are the base64url of the JWKs' canonical (JCS) JSON.
SPEC_P256_JWK = {"crv": "P-256", "kty": "EC", "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
                 "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE"}
SPEC_P256_DID = ("did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgy"
                 "VjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9")
SPEC_X25519_DID = ("did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5y"
                   "ZngtRkctSUswOCJ9")
ALL_FIVE = ["assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation", "keyAgreement"]


def test_spec_p256_example() -> None:
    assert did_jwk(Key.from_jwk(SPEC_P256_JWK)) == SPEC_P256_DID
    document = resolve(SPEC_P256_DID)
    assert document["verificationMethod"] == [{"id": f"{SPEC_P256_DID}#0", "type": "JsonWebKey2020",
                                               "controller": SPEC_P256_DID, "publicKeyJwk": SPEC_P256_JWK}]
    assert all(document[relationship] == [f"{SPEC_P256_DID}#0"] for relationship in ALL_FIVE)  # no `use`: all five


def test_spec_x25519_example_is_for_key_agreement_only() -> None:
    document = resolve(SPEC_X25519_DID)
    assert document["verificationMethod"][0]["publicKeyJwk"]["crv"] == "X25519"
    assert [r for r in ALL_FIVE if r in document] == ["keyAgreement"]
    signed = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                   "credentialSubject": {"id": "did:example:acme"}}, Key.generate(), verification_method=f"{SPEC_X25519_DID}#0",
                  created=NOW)
    check = next(c for c in verify(signed, now=NOW).checks if c.name == "proof.verification-method")
    assert (check.status, check.code) == ("failed", "unsupported")  # an X25519 key cannot have signed anything


@pytest.mark.parametrize(("use", "expected"), [("sig", ALL_FIVE[:4]), ("enc", ["keyAgreement"]), ("wrap", [])])
def test_use_decides_the_relationships(use: str, expected: list[str]) -> None:
    jwk = Key.generate("P-256").to_jwk() | {"use": use}
    document = resolve("did:jwk:" + b64url_encode(json.dumps(jwk).encode()))
    assert [r for r in ALL_FIVE if r in document] == expected


@pytest.mark.parametrize(
    "suffix",
    ["", "!!!", b64url_encode(b"[1]"), b64url_encode(b"not json"), b64url_encode(json.dumps({"kty": "RSA", "n": "x", "e": "AQAB"}).encode()),
     b64url_encode(json.dumps(Key.generate().to_jwk(private=True)).encode()),
     b64url_encode(json.dumps({"kty": "OKP", "crv": "X25519", "x": "AAAA"}).encode()),
     b64url_encode(json.dumps({"kty": "oct", "k": "c2VjcmV0"}).encode())],
)
def test_malformed_did_jwk(suffix: str) -> None:
    with pytest.raises(InvalidDID):
        resolve("did:jwk:" + suffix)
