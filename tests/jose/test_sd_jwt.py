"""SD-JWT (vc+sd-jwt): the issuer hides claims, the holder reveals a subset with key binding; each rule made to fail."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade.jose import disclose, issue_sd_jwt, sd_hash
from vctrade._encoding import b64url_encode
from vctrade.errors import InputError, SigningError
from vctrade.verification._jose import KEY_BINDING_MAX_AGE

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the clock of the `checks` fixture (tests/jose/conftest.py)
T = NOW.timestamp()


@pytest.fixture(scope="module")
def issuer() -> Key:
    return Key.generate("Ed25519")


@pytest.fixture(scope="module")
def holder() -> Key:
    return Key.generate("P-256")


@pytest.fixture(scope="module")
def issued(issuer: Key, holder: Key, credential: Callable[..., dict[str, Any]]) -> str:
    return issue_sd_jwt(credential(), issuer, disclosable=["/credentialSubject/invoiceNumber", "/credentialSubject/unitPrice"],
                       holder_key=holder.public(), now=T)


def test_issuer_hides_and_holder_reveals_a_subset(issued: str, holder: Key) -> None:
    shown = disclose(issued, ["/credentialSubject/invoiceNumber"], holder_key=holder, nonce="n-1", audience="did:web:cbp.example", now=T)
    result = verify(shown, now=NOW, challenge="n-1", domain="did:web:cbp.example")
    assert result.verified, result.failures
    found = {c.name: c for c in result.checks}
    assert found["sd-jwt.key-binding"].status == "passed" and found["sd-jwt.disclosures"].message.startswith("1 disclosure")
    hidden = disclose(issued, [], now=T)
    assert verify(hidden, now=NOW).verified  # nothing disclosed is still a valid credential


def test_a_disclosure_not_in_the_payload_is_refused(issued: str, issuer: Key, checks: Callable[..., dict[str, Any]]) -> None:
    stranger = _disclosure("salt", "tier", "Exceeding")
    assert checks(issued + stranger + "~")["sd-jwt.disclosures"].code == "invalid_disclosures"


def test_a_duplicate_disclosure_is_refused(issued: str, checks: Callable[..., dict[str, Any]]) -> None:
    first = issued.split("~")[1]
    found = checks(issued + first + "~")["sd-jwt.disclosures"]
    assert found.code == "invalid_disclosures" and "twice" in found.message


def test_a_duplicate_digest_in_the_payload_is_refused(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                                      checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    disclosure = b64url_encode(json.dumps(["c2FsdA", "invoiceNumber", "INV-1"]).encode())
    digest = b64url_encode(hashlib.sha256(disclosure.encode()).digest())
    payload = base_payload(issuer)
    payload["credentialSubject"] = {"id": "did:example:acme", "_sd": [digest, digest]}
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+sd-jwt"}
    token = forged(issuer, header, payload) + "~" + disclosure + "~"
    assert "appears twice" in checks(token)["sd-jwt.disclosures"].message


def test_a_disclosure_cannot_overwrite_a_claim(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                               checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    disclosure = b64url_encode(json.dumps(["c2FsdA", "tier", "Exceeding"]).encode())
    payload = base_payload(issuer)
    payload["credentialSubject"] = {"id": "did:example:acme", "tier": "Certified",
                                    "_sd": [b64url_encode(hashlib.sha256(disclosure.encode()).digest())]}
    header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+sd-jwt"}
    assert "overwrite" in checks(forged(issuer, header, payload) + "~" + disclosure + "~")["sd-jwt.disclosures"].message


def test_key_binding_rules(issued: str, holder: Key, checks: Callable[..., dict[str, Any]]) -> None:
    good = disclose(issued, ["/credentialSubject/unitPrice"], holder_key=holder, nonce="n-1", audience="cbp", now=T)
    assert checks(good, challenge="n-2")["sd-jwt.key-binding"].status == "failed"  # replayed to another request
    assert checks(good, domain="other")["sd-jwt.key-binding"].status == "failed"
    missing = disclose(issued, ["/credentialSubject/unitPrice"], now=T)
    assert checks(missing, challenge="n-1")["sd-jwt.key-binding"].code == "key_binding_missing"
    # The KB-JWT of one presentation glued to another set of disclosures: sd_hash no longer matches.
    kb = good.rsplit("~", 1)[1]
    other = disclose(issued, ["/credentialSubject/invoiceNumber"], now=T)
    assert "sd_hash" in checks(other + kb, challenge="n-1")["sd-jwt.key-binding"].message
    with pytest.raises(SigningError, match="holder key"):
        disclose(issued, [], holder_key=Key.generate("P-256"), nonce="n", now=T)


def test_disclose_refuses_unknown_claims_and_bad_pointers(issued: str, credential: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(InputError, match="no such claim"):
        disclose(issued, ["/credentialSubject/colour"])
    with pytest.raises(InputError, match="JSON pointer"):
        disclose(issued, ["credentialSubject"])
    with pytest.raises(InputError, match="no such claim"):
        issue_sd_jwt(credential(), Key.generate(), disclosable=["/credentialSubject/nothing"])
    with pytest.raises(InputError, match="cannot be made disclosable"):
        issue_sd_jwt(credential(), Key.generate(), disclosable=["/issuer"])


def test_nested_and_array_disclosures(issuer: Key, credential: Callable[..., dict[str, Any]]) -> None:
    document = credential()
    document["credentialSubject"]["goods"] = [{"hsCode": "7208.37", "unitPrice": 812.5}, {"hsCode": "7214.20", "unitPrice": 690.0}]
    token = issue_sd_jwt(document, issuer, disclosable=["/credentialSubject/goods/0/unitPrice", "/credentialSubject/goods/1"], now=T)
    everything = verify(token, now=NOW)
    assert everything.verified, everything.failures
    only_first_price = disclose(token, ["/credentialSubject/goods/0/unitPrice"], now=T)
    result = verify(only_first_price, now=NOW)
    assert result.verified and len(only_first_price.split("~")) == 3  # one disclosure kept


def _disclosure(*items: object) -> str:
    return b64url_encode(json.dumps(list(items)).encode())


def _digest(disclosure: str) -> str:
    return b64url_encode(hashlib.sha256(disclosure.encode()).digest())


def test_a_disclosure_with_duplicate_members_or_a_bad_shape_is_refused(issuer: Key, base_payload: Callable[[Key], dict[str, Any]],
                                                                       checks: Callable[..., dict[str, Any]],
                                                                       forged: Callable[..., str]) -> None:
    odd = b64url_encode(b'["c2FsdA","tier","Exceeding"]'.replace(b"]", b',"x"]'))  # four elements
    dup_inside = b64url_encode(b'["c2FsdA","tier",{"a":1,"a":2}]')
    for disclosure in (odd, dup_inside, _disclosure("c2FsdA", "_sd", ["x"])):
        payload = base_payload(issuer)
        payload["credentialSubject"] = {"id": "did:example:acme", "_sd": [_digest(disclosure)]}
        header = {"alg": "EdDSA", "kid": issuer.did_key_verification_method, "typ": "vc+sd-jwt"}
        found = checks(forged(issuer, header, payload) + "~" + disclosure + "~")
        assert found["sd-jwt.disclosures"].code == "invalid_disclosures", disclosure


def test_tampering_with_the_issuers_jws_breaks_the_signature(issued: str, checks: Callable[..., dict[str, Any]]) -> None:
    jws, rest = issued.split("~", 1)
    header, payload, signature = jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["tier"] = "Certified"
    swapped = b64url_encode(json.dumps(claims).encode())
    assert checks(f"{header}.{swapped}.{signature}~{rest}")["jose.signature"].code == "signature_invalid"


def test_key_binding_header_rules(issued: str, holder: Key, checks: Callable[..., dict[str, Any]],
                                  forged: Callable[..., str]) -> None:
    shown = disclose(issued, ["/credentialSubject/unitPrice"], now=T)
    binding = {"iat": int(T), "sd_hash": sd_hash(shown), "nonce": "n-1"}
    for header, reason in (({"alg": "ES256", "typ": "JWT"}, "expected 'kb+jwt'"),
                           ({"alg": "ES256", "typ": "kb+jwt", "crit": ["x"], "x": 1}, "critical"),
                           ({"alg": "EdDSA", "typ": "kb+jwt"}, "does not fit"),
                           ({"alg": ["ES256"], "typ": "kb+jwt"}, "does not fit")):
        found = checks(shown + forged(holder, header, binding), challenge="n-1")["sd-jwt.key-binding"]
        assert found.code == "key_binding_invalid" and reason in found.message, header
    good = forged(holder, {"alg": "ES256", "typ": "kb+jwt"}, binding)
    assert checks(shown + good, challenge="n-1")["sd-jwt.key-binding"].status == "passed"


def test_a_stale_key_binding_is_refused(issued: str, holder: Key, checks: Callable[..., dict[str, Any]]) -> None:
    made = T - KEY_BINDING_MAX_AGE.total_seconds() - 3600
    shown = disclose(issued, ["/credentialSubject/unitPrice"], holder_key=holder, nonce="n-1", now=made)
    found = checks(shown, challenge="n-1")["sd-jwt.key-binding"]
    assert found.code == "key_binding_invalid" and "ago" in found.message
    fresh = disclose(issued, ["/credentialSubject/unitPrice"], holder_key=holder, nonce="n-1", now=T - 60)
    assert verify(fresh, now=NOW, challenge="n-1", skew=timedelta(0)).verified


def test_a_kb_jwt_without_a_cnf_key_is_refused(issuer: Key, holder: Key, credential: Callable[..., dict[str, Any]],
                                               checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    token = issue_sd_jwt(credential(), issuer, disclosable=["/credentialSubject/tier"], now=T)  # no holder key
    shown = disclose(token, ["/credentialSubject/tier"], now=T)
    kb = forged(holder, {"alg": "ES256", "typ": "kb+jwt"}, {"iat": int(T), "sd_hash": sd_hash(shown)})
    assert checks(shown + kb)["sd-jwt.key-binding"].code == "no_holder_key"


def test_issued_disclosures_are_salted_and_digests_sorted(issuer: Key, credential: Callable[..., dict[str, Any]]) -> None:
    first = issue_sd_jwt(credential(), issuer, disclosable=["/credentialSubject/tier", "/credentialSubject/unitPrice"], now=T)
    second = issue_sd_jwt(credential(), issuer, disclosable=["/credentialSubject/tier", "/credentialSubject/unitPrice"], now=T)
    assert set(first.split("~")[1:-1]).isdisjoint(second.split("~")[1:-1])  # fresh salts: no guessable digests
    payload = json.loads(base64.urlsafe_b64decode(first.split(".")[1] + "=="))
    digests = payload["credentialSubject"]["_sd"]
    assert digests == sorted(digests) and "tier" not in payload["credentialSubject"]
