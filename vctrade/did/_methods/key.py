"""did:key: a DID that is its own public key (W3C CCG did:key method)."""

from __future__ import annotations

from typing import Any

from vctrade._encoding import (
    multibase_decode,
    multibase_encode,
    multicodec_unwrap,
    multicodec_wrap,
)
from vctrade._keys import Key
from vctrade.did._document import DIDDocument
from vctrade.did._resolver import register_method
from vctrade.errors import EncodingError, InvalidDID, InvalidKey, UnsupportedError

__all__ = ["KeyMethod", "did_key_document", "ed25519_to_x25519"]

_P = 2**255 - 19  # the field prime of Curve25519


def ed25519_to_x25519(public: bytes) -> bytes:
    """The X25519 public key birationally equivalent to an Ed25519 public key (u = (1+y)/(1-y))."""
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow(1 - y, _P - 2, _P) % _P
    return u.to_bytes(32, "little")


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key (Multikey verification methods)."""
    if not did.startswith("did:key:") or "#" in did:
        raise InvalidDID(f"not a did:key: {did[:80]!r}")
    identifier = did[len("did:key:") :]
    if not identifier.startswith("z"):
        raise InvalidDID(f"did:key identifier must be base58btc multibase ('z…'): {did[:80]!r}")
    try:
        key = Key.from_multibase(identifier)
    except (EncodingError, InvalidKey, UnsupportedError) as exc:
        raise InvalidDID(f"invalid did:key {did[:60]}…: {exc}") from exc
    if key.public_multibase != identifier:
        raise InvalidDID(f"did:key is not in canonical form: {did[:80]!r}")
    vm_id = f"{did}#{identifier}"
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": identifier}
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }
    if key.key_type == "Ed25519":
        x25519 = multibase_encode(multicodec_wrap("x25519-pub", ed25519_to_x25519(key.public_bytes())))
        agreement_id = f"{did}#{x25519}"
        document["verificationMethod"].append(
            {"id": agreement_id, "type": "Multikey", "controller": did, "publicKeyMultibase": x25519}
        )
        document["keyAgreement"] = [agreement_id]
    return document


def x25519_from_multibase(value: str) -> bytes:
    """The raw X25519 key of a ``z6LS…`` multibase value."""
    name, raw = multicodec_unwrap(multibase_decode(value))
    if name != "x25519-pub" or len(raw) != 32:
        raise EncodingError("not an X25519 public key")
    return raw


class KeyMethod:
    """The did:key method: resolution is decoding, no network."""

    name = "key"

    def resolve(self, did: str) -> DIDDocument:
        """The did:key's document, derived from the key it encodes."""
        return DIDDocument(did_key_document(did))


register_method(KeyMethod())
