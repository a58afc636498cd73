"""JOSE security rules, each made to fail: algorithms, crit, strict JSON, kid, iss, claims, legacy mapping."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade._encoding import b64url_encode
from vctrade.errors import InvalidDocument, SigningError
from vctrade.jose import sign_legacy_jwt, sign_vc_jwt

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the clock of the `checks` fixture (tests/jose/conftest.py)
T = NOW.timestamp()


@pytest.fixture(scope="module")
def issuer() -> Key:
    return Key.generate("Ed25519")


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256", "P-384", "P-521", "secp256k1"])
def test_vc_jwt_round_trip_with_did_key(key_type: str, credential: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate(key_type)
    token = sign_vc_jwt(credential(), key, now=T)
    result = verify(token, now=NOW)
    assert result.verified, result.failures
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": key.jose_alg, "kid": key.did_key_verification_method, "typ": "vc+jwt", "cty": "vc"}


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES512", ["EdDSA"], None])
def test_algorithms_outside_the_allow_list_or_the_key_are_refused(issuer: Key, alg: Any,
                                                                  base_payload: Callable[[Key], dict[str, Any]],
                                                                  checks: Callable[..., dict[str, Any]],
                                                                  forged: Callable[..., str]) -> None:
    header = {"alg": alg, "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    token = forged(issuer, header, base_payload(issuer), signature=b"" if alg == "none" else None)
    found = checks(token)
    if alg == "ES512":  # allowed, but not for an Ed25519 key
        assert found["jose.alg"].code == "alg_key_mismatch"
    else:
        assert found["jose.header"].code == "alg_not_allowed"


def test_crit_header_is_refused(issuer: Key, base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]],
                                forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt", "crit": ["b64"], "b64": False}
    assert checks(forged(issuer, header, base_payload(issuer)))["jose.header"].code == "crit_not_understood"


def test_kid_of_another_did_is_refused(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                       checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    other = Key.generate()
    header = {"alg": "EdDSA", "kid": other.did_key_verification_method, "typ": "vc+jwt"}
    found = checks(forged(other, header, base_payload(issuer)))
    assert found["jose.kid"].code == "kid_not_controller" and found["issuer"].status == "failed"


def test_iss_must_match_issuer(issuer: Key, base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]],
                               forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    payload = base_payload(issuer) | {"iss": "did:example:someone-else"}
    assert checks(forged(issuer, header, payload))["jose.iss"].code == "iss_mismatch"


@pytest.mark.parametrize(
    ("claims", "name", "code"),
    [({"exp": T - 3600}, "jose.exp", "expired"), ({"nbf": T + 3600}, "jose.nbf", "not_yet_valid"),
     ({"exp": "tomorrow"}, "jose.exp", "invalid_claim")],
)
def test_expired_or_not_yet_valid(issuer: Key, claims: dict[str, Any], name: str, code: str,
                                  base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]],
                                  forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    found = checks(forged(issuer, header, base_payload(issuer) | claims))
    assert found[name].status == "failed" and found[name].code == code


def test_validity_period_of_the_credential_applies(issuer: Key, credential: Callable[..., dict[str, Any]],
                                                   checks: Callable[..., dict[str, Any]]) -> None:
    token = sign_vc_jwt(credential(validUntil="2026-03-01T00:00:00Z"), issuer, now=T)
    assert "expired" in checks(token)["validity-period"].message


def test_tampered_payload_fails(issuer: Key, credential: Callable[..., dict[str, Any]],
                                base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    token = sign_vc_jwt(credential(), issuer, now=T)
    header, _, signature = token.split(".")
    payload = b64url_encode(json.dumps(base_payload(issuer) | {"credentialSubject": {"id": "did:example:evil"}}).encode())
    assert checks(f"{header}.{payload}.{signature}")["jose.signature"].code == "signature_invalid"


def test_sign_refuses_another_issuer(issuer: Key, credential: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(SigningError, match="names issuer"):
        sign_vc_jwt(credential(issuer="did:example:cbp"), issuer)


def test_legacy_vc_jwt(issuer: Key, credential: Callable[..., dict[str, Any]]) -> None:
    document = {"@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
                "id": "urn:uuid:8f0e7d2c-0000-4000-8000-000000000001", "type": ["VerifiableCredential"],
                "issuanceDate": "2026-01-01T00:00:00Z", "expirationDate": "2027-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:acme"}}
    token = sign_legacy_jwt(document, issuer)
    result = verify(token, now=NOW)
    assert result.verified, result.failures
    assert not verify(token, now=datetime(2027, 6, 1, tzinfo=timezone.utc)).verified  # exp / expirationDate
    with pytest.raises(InvalidDocument, match="VC 1.1 JWT secures a VC 1.1 credential"):
        sign_legacy_jwt(credential(), issuer)  # VCDM 2.0 has no issuanceDate to map to nbf: that is a vc+jwt


@pytest.mark.parametrize(
    ("header", "payload", "reason"),
    [
        ('{"alg":"EdDSA","alg":"none","typ":"vc+jwt"}', None, "duplicate member"),
        (None, '{"issuer":"did:example:a","issuer":"did:example:b"}', "duplicate member"),
        (None, '{"exp":NaN}', "NaN is not JSON"),
        (None, '{"exp":-Infinity}', "Infinity is not JSON"),
    ],
)
def test_json_that_two_parsers_could_read_differently_is_refused(issuer: Key, header: str | None, payload: str | None,
                                                                 reason: str, base_payload: Callable[[Key], dict[str, Any]],
                                                                 forged: Callable[..., str]) -> None:
    default_header = json.dumps({"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"})
    token = forged(issuer, header or default_header, payload or json.dumps(base_payload(issuer)))
    result = verify(token, now=NOW)
    assert not result.verified and result.checks[0].name == "structure" and reason in result.checks[0].message


def test_media_types_compare_as_rfc_7515_says(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                              checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "application/VC+JWT", "cty": "application/vc"}
    assert checks(forged(issuer, header, base_payload(issuer)))["jose.header"].status == "passed"
    wrong = header | {"cty": "application/vp"}
    assert checks(forged(issuer, wrong, base_payload(issuer)))["jose.header"].code == "wrong_media_type"


def test_kid_url_outside_the_issuers_document_is_refused(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                                         checks: Callable[..., dict[str, Any]],
                                                         forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": "https://attacker.example/keys#1", "typ": "vc+jwt"}
    found = checks(forged(issuer, header, base_payload(issuer)))
    assert found["jose.kid"].code == "kid_not_found" and found["issuer"].status == "failed"


@pytest.mark.parametrize(("claims", "verdict"), [({"exp": 1e300}, "passed"), ({"nbf": 1e300}, "not_yet_valid")])
def test_numeric_dates_beyond_a_datetime_are_a_verdict_not_a_crash(issuer: Key, claims: dict[str, Any], verdict: str,
                                                                   base_payload: Callable[[Key], dict[str, Any]],
                                                                   checks: Callable[..., dict[str, Any]],
                                                                   forged: Callable[..., str]) -> None:
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+jwt"}
    found = checks(forged(issuer, header, base_payload(issuer) | claims))
    name = "jose." + next(iter(claims))
    assert verdict in (found[name].status, found[name].code) and "internal" not in found


LEGACY = {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:uuid:8f0e7d2c-0000-4000-8000-000000000002",
          "type": ["VerifiableCredential"], "issuanceDate": "2026-01-01T00:00:00Z",
          "credentialSubject": {"id": "did:example:acme"}}


@pytest.mark.parametrize(
    ("claims", "conflict"),
    [({"jti": "urn:uuid:other"}, "jti"), ({"sub": "did:example:someone-else"}, "sub"),
     ({"nbf": 1767225600 - 86400}, "nbf"), ({"exp": 1798761600}, None)],
)
def test_legacy_claims_must_agree_with_the_vc_claim(issuer: Key, claims: dict[str, Any], conflict: str | None,
                                                    checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    vc = LEGACY | {"issuer": issuer.did}
    # nbf 1767225600 is the vc's issuanceDate; an exp with no expirationDate in vc has nothing to disagree with.
    payload = {"iss": issuer.did, "nbf": 1767225600, "jti": vc["id"], "sub": "did:example:acme", "vc": vc} | claims
    token = forged(issuer, {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "JWT"}, payload)
    found = checks(token)
    if conflict is None:
        assert found["jose.claims"].status == "passed" and all(c.status == "passed" for c in found.values())
    else:
        assert found["jose.claims"].code == "claims_conflict" and conflict in found["jose.claims"].message
