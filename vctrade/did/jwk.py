"""did:jwk: a DID that is a base64url-encoded public JWK (no network)."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from .._encoding import b64url_decode, b64url_encode
from ..errors import EncodingError, InvalidDID, InvalidKey, UnsupportedError
from ..keys import Key
from .document import DIDDocument
from .resolver import register_method

__all__ = ["JwkMethod", "did_jwk", "did_jwk_document"]


def did_jwk(key: Key) -> str:
    """The did:jwk of ``key``'s public JWK (canonical JSON, so one key has one DID)."""
    return "did:jwk:" + b64url_encode(rfc8785.dumps(key.to_jwk()))


def did_jwk_document(did: str) -> dict[str, Any]:
    """The DID document of a did:jwk: one JsonWebKey2020 method, ``#0``."""
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
    try:
        Key.from_jwk(jwk)
    except (InvalidKey, UnsupportedError) as exc:
        raise InvalidDID(f"did:jwk does not hold a usable public key: {exc}") from exc
    method = f"{did}#0"
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [{"id": method, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": jwk}],
    }
    if jwk.get("use") != "enc":
        for relationship in ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"):
            document[relationship] = [method]
    return document


class JwkMethod:
    """The did:jwk method: resolution is decoding."""

    name = "jwk"

    def resolve(self, did: str) -> DIDDocument:
        """The did:jwk's document."""
        return DIDDocument(did_jwk_document(did))


register_method(JwkMethod())
