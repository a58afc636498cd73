"""One spelling per value: the shared decoders accept only canonical base64url and multibase.

Otherwise a JWS signature, a KB-JWT, a key, a did:key or a status list would have several accepted spellings (padding,
whitespace, set unused bits in the last base64url character, whitespace that base58 skips), and a token could be
altered without breaking it. High-s ECDSA signatures stay accepted: other implementations produce them.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import cbor2
import pytest

from vctrade import Key, verify
from vctrade._encoding import b64url_decode, b64url_encode, multibase_decode, multibase_encode
from vctrade.errors import EncodingError, InvalidDocument, InvalidKey
from vctrade.jose import decode_jws, disclose, issue_sd_jwt, sign_cose, sign_vc_jwt, verify_jws_signature

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
T = (NOW - timedelta(hours=1)).timestamp()
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _credential() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:acme", "name": "Acme"}}


def _twin(segment: str) -> str:
    """The same bytes under another last character (its unused low bits set): lenient decoders accept both."""
    lenient = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    for character in ALPHABET:
        candidate = segment[:-1] + character
        if candidate != segment and base64.urlsafe_b64decode(candidate + "=" * (-len(candidate) % 4)) == lenient:
            return candidate
    raise AssertionError(f"{segment!r} has no twin (its length uses every bit)")


# -- the decoders -------------------------------------------------------------------------------------


def test_canonical_base64url_round_trips() -> None:
    for length in range(0, 40):
        data = os.urandom(length)
        assert b64url_decode(b64url_encode(data)) == data
        assert multibase_decode(multibase_encode(b"\x01" + data, "u")) == b"\x01" + data
        assert multibase_decode(multibase_encode(b"\x00\x00" + data)) == b"\x00\x00" + data  # leading zero bytes: '1'


@pytest.mark.parametrize("text", [
    "AAE=", "AA==", "AA=", "=", " AAE", "AAE ", "AAE\n", "A AE", "\tAAE", "AA+/", "AA/E", "A", "AAAAA", "AAÉ", "ＡＡＥ",
    "AAF", "AAH", "AAB",  # 'AAE' with unused bits set
])
def test_non_canonical_base64url_is_refused(text: str) -> None:
    with pytest.raises(EncodingError):
        b64url_decode(text)


@pytest.mark.parametrize("text", [
    "zStV1DL6CwTryKyV ", " zStV1DL6CwTryKyV", "zStV1DL6CwTryKyV\n", "zStV1DL6 CwTryKyV", "z0tV1DL6CwTryKyV",
    "zOtV1DL6CwTryKyV", "zItV1DL6CwTryKyV", "zltV1DL6CwTryKyV", "zStV1DL6CwTryKyV=", "z", "u", "uAAF", "uAA==", "u AAE",
    "mStV1DL6CwTryKyV",
])
def test_non_canonical_multibase_is_refused(text: str) -> None:
    assert multibase_decode("zStV1DL6CwTryKyV") == b"hello world"
    with pytest.raises(EncodingError):
        multibase_decode(text)


# -- JWS: the signature's twin -------------------------------------------------------------------------


def test_a_jws_signature_twin_is_refused_at_decoding_and_never_verifies() -> None:
    key = Key.generate("Ed25519")
    token = sign_vc_jwt(_credential(), key, now=T)
    assert verify(token, now=NOW).verified
    head, body, signature = token.split(".")
    twin = f"{head}.{body}.{_twin(signature)}"  # 86 characters hold 64 bytes: the last carries 4 unused bits
    with pytest.raises(InvalidDocument, match="not canonical base64url"):
        decode_jws(twin)
    result = verify(twin, now=NOW)
    assert not result.verified
    assert [(c.name, c.status) for c in result.checks] == [("structure", "failed")]
    assert "not canonical base64url" in result.checks[0].message


def test_verify_jws_signature_refuses_a_twin_whatever_decoded_it() -> None:
    """The jwcrypto path refuses a non-canonical token on its own, for a DecodedJws not made by decode_jws."""
    key = Key.generate("Ed25519")
    decoded = decode_jws(sign_vc_jwt(_credential(), key, now=T))
    head, body, signature = decoded.token.split(".")
    for forged in (f"{head}.{body}.{_twin(signature)}", f"{head}.{body}.{signature}==", f"{head}.{body}.{signature}\n"):
        assert not verify_jws_signature(type(decoded)(decoded.header, decoded.payload, decoded.signing_input,
                                                      decoded.signature, forged), key, "EdDSA")
    assert verify_jws_signature(decoded, key, "EdDSA")


def test_a_key_binding_jwt_twin_is_refused() -> None:
    issuer, holder = Key.generate("Ed25519"), Key.generate("Ed25519")
    sd = issue_sd_jwt(_credential(), issuer, disclosable=["/credentialSubject/name"], holder_key=holder, now=T)
    presented = disclose(sd, ["/credentialSubject/name"], holder_key=holder, nonce="n-1", now=NOW.timestamp() - 60)
    assert verify(presented, now=NOW, challenge="n-1").verified
    prefix, binding = presented.rsplit("~", 1)
    head, body, signature = binding.split(".")
    result = verify(f"{prefix}~{head}.{body}.{_twin(signature)}", now=NOW, challenge="n-1")
    assert not result.verified and result.checks[0].status == "failed"
    assert "not canonical base64url" in result.checks[0].message


def test_a_padded_jwk_coordinate_is_refused() -> None:
    jwk = Key.generate("Ed25519").to_jwk()
    assert Key.from_jwk(jwk)
    with pytest.raises((InvalidKey, EncodingError)):
        Key.from_jwk({**jwk, "x": jwk["x"] + "="})
    with pytest.raises((InvalidKey, EncodingError)):
        Key.from_jwk({**jwk, "x": _twin(jwk["x"])})


# -- high-s ECDSA: another valid signature of the same bytes, which other signers produce -----------------


def _high_s(signature: bytes) -> bytes:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    return r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big")


def test_a_high_s_es256_jws_still_verifies() -> None:
    key = Key.generate("P-256")
    token = sign_vc_jwt(_credential(), key, now=T)
    head, body, signature = token.split(".")
    flipped = _high_s(b64url_decode(signature))
    assert flipped != b64url_decode(signature)
    assert verify(f"{head}.{body}.{b64url_encode(flipped)}", now=NOW).verified


def test_a_high_s_es256_cose_still_verifies() -> None:
    key = Key.generate("P-256")
    message = cbor2.loads(sign_cose(_credential(), key, verification_method=key.did_key_verification_method))
    protected, unprotected, payload, signature = message.value
    flipped = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, _high_s(signature)]))
    assert verify(flipped, now=NOW).verified
