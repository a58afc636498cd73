"""did:jwk: a DID that is a base64url-encoded public JWK (no network)."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from vctrade._encoding import b64url_decode, b64url_encode
from vctrade._keys import Key
from vctrade.did._document import DIDDocument
from vctrade.did._resolver import register_method
from vctrade.errors import EncodingError, InvalidDID, InvalidKey, UnsupportedError

__all__ = ["JwkMethod", "did_jwk", "did_jwk_document"]

_SIGNING = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")


def _relationships(use: Any) -> tuple[str, ...]:
    """The spec's rule: ``sig`` → the signing relationships, ``enc`` → keyAgreement only, absent → all five.

    Any other ``use`` grants nothing: vctrade does not guess what an unknown use allows.
    """
    if use is None:
        return (*_SIGNING, "keyAgreement")
    return {"sig": _SIGNING, "enc": ("keyAgreement",)}.get(use, ())


def _check_public_jwk(jwk: dict[str, Any]) -> None:
    """Refuse a JWK that is not a public key vctrade can read (X25519 is read for key agreement only)."""
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "X25519":
        try:
            if len(b64url_decode(str(jwk.get("x", "")))) != 32:
                raise InvalidDID("did:jwk X25519 key must be 32 bytes")
        except EncodingError as exc:
            raise InvalidDID(f"did:jwk X25519 key is not base64url: {exc}") from exc
        return
    try:
        Key.from_jwk(jwk)
    except (InvalidKey, UnsupportedError) as exc:
        raise InvalidDID(f"did:jwk does not hold a usable public key: {exc}") from exc


def did_jwk(key: Key) -> str:
    """The did:jwk of ``key``'s public JWK (canonical JSON, so one key has one DID)."""
    return "did:jwk:" + b64url_encode(rfc8785.dumps(key.to_jwk()))


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of a did:jwk: one JsonWebKey2020 method, ``#0``, related as the JWK's ``use`` says."""
    if not did.startswith("did:jwk:") or "#" in did:
        raise InvalidDID(f"not a did:jwk: {did[:80]!r}")
    try:
        jwk = json.loads(b64url_decode(did[len("did:jwk:"):]))
    except (EncodingError, ValueError) as exc:
        raise InvalidDID(f"did:jwk does not hold base64url JSON: {did[:60]}…") from exc
    if not isinstance(jwk, dict):
        raise InvalidDID("did:jwk does not hold a JWK object")
    if "d" in jwk:
        raise InvalidDID("did:jwk holds a private key; refusing it")
    _check_public_jwk(jwk)
    method = f"{did}#0"
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [{"id": method, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}],
    }
    for relationship in _relationships(jwk.get("use")):
        document[relationship] = [method]
    return document


class JwkMethod:
    """The did:jwk method: resolution is decoding."""

    name = "jwk"

    def resolve(self, did: str) -> DIDDocument:
        """The did:jwk's document."""
        return DIDDocument(did_jwk_document(did))


register_method(JwkMethod())
