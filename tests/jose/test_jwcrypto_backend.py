"""jwcrypto signs and verifies vctrade's compact JWS, behind vctrade's own checks and never with its defaults."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from jwcrypto import jwk, jws

from vctrade import Key, verify
from vctrade._encoding import b64url_decode, b64url_encode
from vctrade.errors import InvalidDocument
from vctrade.jose import decode_jws, disclose, issue_sd_jwt, sign_vc_jwt
from vctrade.jose._jws import ALGORITHMS, DecodedJws, verify_jws_signature

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the clock of the fixtures in tests/jose/conftest.py
T = NOW.timestamp()
KEY_TYPES = ["Ed25519", "P-256", "P-384", "P-521", "secp256k1"]


def _header(key: Key, **extra: Any) -> dict[str, Any]:
    return {"alg": key.jose_alg, "kid": key.did_key_verification_method, "typ": "vc+jwt", "cty": "vc", **extra}


def _jwcrypto_sign(key: Key, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS made by plain jwcrypto, not by vctrade."""
    token = jws.JWS(json.dumps(payload).encode())
    token.add_signature(jwk.JWK(**key.to_jwk(private=True)), header["alg"], protected=json.dumps(header))
    return str(token.serialize(compact=True))


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_token_signed_by_vctrade_verifies_with_plain_jwcrypto(key_type: str, credential: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate(key_type)
    token = sign_vc_jwt(credential(), key, now=T)
    reader = jws.JWS()
    reader.deserialize(token)
    reader.allowed_algs = [key.jose_alg]
    reader.verify(jwk.JWK(**key.public().to_jwk()), alg=key.jose_alg)  # raises if it does not verify
    assert json.loads(reader.payload)["iss"] == key.did
    # vctrade's own header, exactly as it wrote it (jwcrypto would sort a dict's members)
    assert list(json.loads(b64url_decode(token.split(".")[0]))) == ["alg", "kid", "typ", "cty"]
    # JWS signature format: Ed25519, or raw r || s, not DER
    assert len(b64url_decode(token.split(".")[2])) == {"Ed25519": 64, "P-256": 64, "P-384": 96, "P-521": 132,
                                                         "secp256k1": 64}[key_type]
    with pytest.raises(jws.InvalidJWSSignature):
        reader.verify(jwk.JWK(**Key.generate(key_type).to_jwk()), alg=key.jose_alg)


@pytest.mark.parametrize("key_type", ["P-256", "Ed25519", "secp256k1"])
def test_a_token_signed_by_plain_jwcrypto_verifies_in_vctrade(key_type: str, base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate(key_type)
    token = _jwcrypto_sign(key, _header(key), base_payload(key))
    result = verify(token, now=NOW)
    assert result.verified, result.failures
    assert checks(token)["jose.signature"].code == "signature_valid"
    other = _jwcrypto_sign(Key.generate(key_type), _header(key), base_payload(key))  # right header, wrong key
    assert checks(other)["jose.signature"].code == "signature_invalid"


def test_a_signature_made_for_one_alg_is_refused_under_another(credential: Callable[..., dict[str, Any]], base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]], forged: Callable[..., str]) -> None:
    key = Key.generate("secp256k1")
    # An ES256K signature (secp256k1, SHA-256) under a header that says ES256: same hash, same length.
    token = forged(key, _header(key, alg="ES256"), base_payload(key))
    assert checks(token)["jose.alg"].code == "alg_key_mismatch"
    decoded = decode_jws(token)
    assert not any(verify_jws_signature(decoded, key, alg) for alg in ALGORITHMS)
    # The right alg for the key and the header verifies; every other alg is refused by the helper.
    good = decode_jws(sign_vc_jwt(credential(), key, now=T))
    assert [alg for alg in ALGORITHMS if verify_jws_signature(good, key, alg)] == ["ES256K"]


def test_jwcrypto_is_on_the_path_with_one_alg_allowed(monkeypatch: pytest.MonkeyPatch, credential: Callable[..., dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    calls: list[tuple[str, list[str]]] = []
    original = jws.JWS.verify

    def spy(self: Any, key: Any, alg: str | None = None, detached_payload: Any = None) -> None:
        calls.append((str(alg), list(self.allowed_algs)))
        original(self, key, alg=alg, detached_payload=detached_payload)

    monkeypatch.setattr(jws.JWS, "verify", spy)
    key = Key.generate("P-384")
    assert verify(sign_vc_jwt(credential(), key, now=T), now=NOW).verified
    assert calls == [("ES384", ["ES384"])]

    def refuse(self: Any, key: Any, alg: str | None = None, detached_payload: Any = None) -> None:
        raise jws.InvalidJWSSignature("refused by the test")

    monkeypatch.setattr(jws.JWS, "verify", refuse)  # jwcrypto's verdict is the verdict, its exception does not escape
    assert checks(sign_vc_jwt(credential(), key, now=T))["jose.signature"].code == "signature_invalid"


def test_key_binding_is_verified_by_jwcrypto(monkeypatch: pytest.MonkeyPatch, credential: Callable[..., dict[str, Any]]) -> None:
    issuer, holder = Key.generate("Ed25519"), Key.generate("P-256")
    issued = issue_sd_jwt(credential(), issuer, disclosable=["/credentialSubject/invoiceNumber"],
                          holder_key=holder.public(), now=T)
    shown = disclose(issued, ["/credentialSubject/invoiceNumber"], holder_key=holder, nonce="n-1", now=T)
    calls: list[str] = []
    original = jws.JWS.verify

    def spy(self: Any, key: Any, alg: str | None = None, detached_payload: Any = None) -> None:
        calls.append(str(alg))
        original(self, key, alg=alg, detached_payload=detached_payload)

    monkeypatch.setattr(jws.JWS, "verify", spy)
    result = verify(shown, now=NOW, challenge="n-1")
    assert result.verified, result.failures
    assert sorted(calls) == ["ES256", "EdDSA"]  # the issuer's JWS and the holder's KB-JWT


def test_jwcrypto_is_imported_only_to_sign_or_verify() -> None:
    code = ("import sys, vctrade.jose\n"
            "before = 'jwcrypto' in sys.modules\n"
            "from vctrade import Key\n"
            "vctrade.jose.encode_jws({'typ': 'JWT'}, {'a': 1}, Key.generate('P-256'))\n"
            "print(before, 'jwcrypto.jws' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


# What jwcrypto alone would accept, and vctrade refuses in front of it.

def test_zero_padded_ecdsa_signature_is_refused(credential: Callable[..., dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate("P-256")
    token = sign_vc_jwt(credential(), key, now=T)
    head, body, signature = token.split(".")
    raw = b64url_decode(signature)
    zero = bytes(1)
    padded = f"{head}.{body}.{b64url_encode(zero + raw[:32] + zero + raw[32:])}"  # 66 bytes: not a JWS ES256 signature
    reader = jws.JWS()
    reader.deserialize(padded)
    reader.verify(jwk.JWK(**key.to_jwk()), alg="ES256")  # jwcrypto splits any length in half and accepts it
    assert checks(padded)["jose.signature"].code == "signature_invalid"


def test_base64url_that_is_padded_or_not_canonical_is_refused(credential: Callable[..., dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate("Ed25519")
    token = sign_vc_jwt(credential(), key, now=T)
    head, body, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    def lenient(segment: str) -> bytes:  # what jwcrypto (and a lax decoder) reads: padding and stray bits allowed
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))

    variants = [f"{head}.{body}.{signature}=="]  # an Ed25519 signature is 86 characters: two '=' of padding
    if len(body) % 4:
        variants.append(f"{head}.{body}{'=' * (-len(body) % 4)}.{signature}")
    for part in (1, 2):  # the same bytes under another last character (unused low bits set)
        pieces = token.split(".")
        twin = next((pieces[part][:-1] + c for c in alphabet if c != pieces[part][-1]
                     and lenient(pieces[part][:-1] + c) == lenient(pieces[part])), None)
        if twin is not None:
            pieces[part] = twin
            variants.append(".".join(pieces))
    assert len(variants) >= 2 and token not in variants  # the signature always has a twin
    decoded = decode_jws(token)
    for variant in variants:
        with pytest.raises(InvalidDocument, match="base64url"):  # refused when decoded: canonical base64url only
            decode_jws(variant)
        # ... and by the jwcrypto path too, for a DecodedJws made some other way
        forged = DecodedJws(decoded.header, decoded.payload, decoded.signing_input, decoded.signature, variant)
        assert not verify_jws_signature(forged, key, "EdDSA"), variant
    assert verify_jws_signature(decoded, key, "EdDSA")


def test_b64_header_is_refused(base_payload: Callable[[Key], dict[str, Any]], checks: Callable[..., dict[str, Any]]) -> None:
    key = Key.generate("Ed25519")
    header = _header(key, b64=False)
    protected = b64url_encode(json.dumps(header).encode())
    payload = json.dumps(base_payload(key)).encode()
    # Signed over the raw payload (RFC 7797), which jwcrypto verifies when b64 is false, even without crit.
    token = f"{protected}.{b64url_encode(payload)}.{b64url_encode(key.sign(protected.encode() + b'.' + payload))}"
    reader = jws.JWS()
    reader.deserialize(token)
    reader.verify(jwk.JWK(**key.to_jwk()), alg="EdDSA")
    assert checks(token)["jose.signature"].code == "signature_invalid"
