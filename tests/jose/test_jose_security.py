"""JOSE security rules, each made to fail: algorithms, crit, kid, claims, disclosures, key binding."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, sdjwt, verify
from vctrade._encoding import b64url_encode
from vctrade.errors import InputError, SigningError
from vctrade.suites.jose import sign_legacy_jwt, sign_vc_jwt

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
T = NOW.timestamp()


def credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:6c0f2a4e-1111-4d3a-9e1b-2f0c3d4e5f60",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme", "invoiceNumber": "INV-1", "unitPrice": 812.5, "tier": "Validated"},
        **extra,
    }


def checks(token: str, **options: Any) -> dict[str, Any]:
    result = verify(token, now=NOW, **options)
    return {c.name: c for c in result.all_checks()}


def forged(key: Key, header: dict[str, Any], payload: dict[str, Any], signature: bytes | None = None) -> str:
    protected = b64url_encode(json.dumps(header).encode())
    body = b64url_encode(json.dumps(payload).encode())
    signed = signature if signature is not None else key.sign(f"{protected}.{body}".encode())
    return f"{protected}.{body}.{b64url_encode(signed)}"


@pytest.fixture(scope="module")
def issuer() -> Key:
    return Key.generate("Ed25519")


def base_payload(key: Key) -> dict[str, Any]:
    return {**credential(), "issuer": key.did, "iss": key.did}


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256", "P-384", "P-521", "secp256k1"])
def test_vc_jwt_round_trip_with_did_key(key_type: str) -> None:
    key = Key.generate(key_type)
    token = sign_vc_jwt(credential(), key, now=T)
    result = verify(token, now=NOW)
    assert result.verified, result.failures
    header = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": key.jose_alg, "kid": key.did_key_verification_method, "typ": "vc+jwt", "cty": "vc"}


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES512"])
def test_algorithms_outside_the_allow_list_or_the_key_are_refused(issuer: Key, alg: str) -> None:
    header = {"alg": alg, "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    token = forged(issuer, header, base_payload(issuer), signature=b"" if alg == "none" else None)
    found = checks(token)
    if alg == "ES512":  # allowed, but not for an Ed25519 key
        assert found["jose.alg"].code == "alg_key_mismatch"
    else:
        assert found["jose.header"].code == "alg_not_allowed"


def test_crit_header_is_refused(issuer: Key) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt", "crit": ["b64"], "b64": False}
    assert checks(forged(issuer, header, base_payload(issuer)))["jose.header"].code == "crit_not_understood"


def test_kid_of_another_did_is_refused(issuer: Key) -> None:
    other = Key.generate()
    header = {"alg": "EdDSA", "kid": other.did_key_verification_method, "typ": "vc+jwt"}
    found = checks(forged(other, header, base_payload(issuer)))
    assert found["jose.kid"].code == "kid_not_controller" and found["issuer"].status == "failed"


def test_iss_must_match_issuer(issuer: Key) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    payload = base_payload(issuer) | {"iss": "did:example:someone-else"}
    assert checks(forged(issuer, header, payload))["jose.iss"].code == "iss_mismatch"


@pytest.mark.parametrize(
    ("claims", "name", "code"),
    [({"exp": T - 3600}, "jose.exp", "expired"), ({"nbf": T + 3600}, "jose.nbf", "not_yet_valid"),
     ({"exp": "tomorrow"}, "jose.exp", "invalid_claim")],
)
def test_expired_or_not_yet_valid(issuer: Key, claims: dict[str, Any], name: str, code: str) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    found = checks(forged(issuer, header, base_payload(issuer) | claims))
    assert found[name].status == "failed" and found[name].code == code


def test_validity_period_of_the_credential_applies(issuer: Key) -> None:
    token = sign_vc_jwt(credential(validUntil="2026-03-01T00:00:00Z"), issuer, now=T)
    assert "expired" in checks(token)["validity-period"].message


def test_tampered_payload_fails(issuer: Key) -> None:
    token = sign_vc_jwt(credential(), issuer, now=T)
    header, _, signature = token.split(".")
    payload = b64url_encode(json.dumps(base_payload(issuer) | {"credentialSubject": {"id": "did:example:evil"}}).encode())
    assert checks(f"{header}.{payload}.{signature}")["jose.signature"].code == "signature_invalid"


def test_sign_refuses_another_issuer(issuer: Key) -> None:
    with pytest.raises(SigningError, match="names issuer"):
        sign_vc_jwt(credential(issuer="did:example:cbp"), issuer)


def test_legacy_vc_jwt(issuer: Key) -> None:
    document = {"@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
                "id": "urn:uuid:8f0e7d2c-0000-4000-8000-000000000001", "type": ["VerifiableCredential"],
                "issuanceDate": "2026-01-01T00:00:00Z", "expirationDate": "2027-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:acme"}}
    token = sign_legacy_jwt(document, issuer)
    result = verify(token, now=NOW)
    assert result.verified, result.failures
    assert not verify(token, now=datetime(2027, 6, 1, tzinfo=timezone.utc)).verified  # exp / expirationDate


# -- SD-JWT -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def holder() -> Key:
    return Key.generate("P-256")


@pytest.fixture(scope="module")
def issued(issuer: Key, holder: Key) -> str:
    return sdjwt.issue(credential(), issuer, disclosable=["/credentialSubject/invoiceNumber", "/credentialSubject/unitPrice"],
                       holder_key=holder.public(), now=T)


def test_issuer_hides_and_holder_reveals_a_subset(issued: str, holder: Key) -> None:
    shown = sdjwt.disclose(issued, ["/credentialSubject/invoiceNumber"], holder_key=holder, nonce="n-1", audience="did:web:cbp.example", now=T)
    result = verify(shown, now=NOW, challenge="n-1", domain="did:web:cbp.example")
    assert result.verified, result.failures
    found = {c.name: c for c in result.checks}
    assert found["sd-jwt.key-binding"].status == "passed" and found["sd-jwt.disclosures"].message.startswith("1 disclosure")
    hidden = sdjwt.disclose(issued, [], now=T)
    assert verify(hidden, now=NOW).verified  # nothing disclosed is still a valid credential


def test_a_disclosure_not_in_the_payload_is_refused(issued: str, issuer: Key) -> None:
    stranger = b64url_encode(json.dumps(["salt", "tier", "Exceeding"]).encode())
    assert checks(issued + stranger + "~")["sd-jwt.disclosures"].code == "invalid_disclosures"


def test_a_duplicate_disclosure_is_refused(issued: str) -> None:
    first = issued.split("~")[1]
    found = checks(issued + first + "~")["sd-jwt.disclosures"]
    assert found.code == "invalid_disclosures" and "twice" in found.message


def test_a_duplicate_digest_in_the_payload_is_refused(issuer: Key) -> None:
    disclosure = b64url_encode(json.dumps(["c2FsdA", "invoiceNumber", "INV-1"]).encode())
    import hashlib

    digest = b64url_encode(hashlib.sha256(disclosure.encode()).digest())
    payload = base_payload(issuer)
    payload["credentialSubject"] = {"id": "did:example:acme", "_sd": [digest, digest]}
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+sd-jwt"}
    token = forged(issuer, header, payload) + "~" + disclosure + "~"
    assert "appears twice" in checks(token)["sd-jwt.disclosures"].message


def test_a_disclosure_cannot_overwrite_a_claim(issuer: Key) -> None:
    disclosure = b64url_encode(json.dumps(["c2FsdA", "tier", "Exceeding"]).encode())
    import hashlib

    payload = base_payload(issuer)
    payload["credentialSubject"] = {"id": "did:example:acme", "tier": "Certified",
                                    "_sd": [b64url_encode(hashlib.sha256(disclosure.encode()).digest())]}
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+sd-jwt"}
    assert "overwrite" in checks(forged(issuer, header, payload) + "~" + disclosure + "~")["sd-jwt.disclosures"].message


def test_key_binding_rules(issued: str, holder: Key) -> None:
    good = sdjwt.disclose(issued, ["/credentialSubject/unitPrice"], holder_key=holder, nonce="n-1", audience="cbp", now=T)
    assert checks(good, challenge="n-2")["sd-jwt.key-binding"].status == "failed"  # replayed to another request
    assert checks(good, domain="other")["sd-jwt.key-binding"].status == "failed"
    missing = sdjwt.disclose(issued, ["/credentialSubject/unitPrice"], now=T)
    assert checks(missing, challenge="n-1")["sd-jwt.key-binding"].code == "key_binding_missing"
    # The KB-JWT of one presentation glued to another set of disclosures: sd_hash no longer matches.
    kb = good.rsplit("~", 1)[1]
    other = sdjwt.disclose(issued, ["/credentialSubject/invoiceNumber"], now=T)
    assert "sd_hash" in checks(other + kb, challenge="n-1")["sd-jwt.key-binding"].message
    with pytest.raises(SigningError, match="holder key"):
        sdjwt.disclose(issued, [], holder_key=Key.generate("P-256"), nonce="n", now=T)


def test_disclose_refuses_unknown_claims_and_bad_pointers(issued: str) -> None:
    with pytest.raises(InputError, match="no such claim"):
        sdjwt.disclose(issued, ["/credentialSubject/colour"])
    with pytest.raises(InputError, match="JSON pointer"):
        sdjwt.disclose(issued, ["credentialSubject"])
    with pytest.raises(InputError, match="no such claim"):
        sdjwt.issue(credential(), Key.generate(), disclosable=["/credentialSubject/nothing"])
    with pytest.raises(InputError, match="cannot be made disclosable"):
        sdjwt.issue(credential(), Key.generate(), disclosable=["/issuer"])


def test_nested_and_array_disclosures(issuer: Key) -> None:
    document = credential()
    document["credentialSubject"]["goods"] = [{"hsCode": "7208.37", "unitPrice": 812.5}, {"hsCode": "7214.20", "unitPrice": 690.0}]
    token = sdjwt.issue(document, issuer, disclosable=["/credentialSubject/goods/0/unitPrice", "/credentialSubject/goods/1"], now=T)
    everything = verify(token, now=NOW)
    assert everything.verified, everything.failures
    only_first_price = sdjwt.disclose(token, ["/credentialSubject/goods/0/unitPrice"], now=T)
    result = verify(only_first_price, now=NOW)
    assert result.verified and len(only_first_price.split("~")) == 3  # one disclosure kept
