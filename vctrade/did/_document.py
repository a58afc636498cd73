"""DID documents: find a verification method and check what it is authorized for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vctrade._keys import Key
from vctrade.errors import InvalidDID, InvalidKey, UnsupportedError

__all__ = ["DIDDocument", "VerificationMethod", "VERIFICATION_RELATIONSHIPS", "split_did_url"]

VERIFICATION_RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
)


def split_did_url(did_url: str) -> tuple[str, str | None]:
    """Split ``did:m:x#frag`` into (``did:m:x``, ``frag``); query and path are kept on the DID part."""
    if not isinstance(did_url, str) or not did_url.startswith("did:"):
        raise InvalidDID(f"not a DID URL: {str(did_url)[:80]!r}")
    did, _, fragment = did_url.partition("#")
    return did, (fragment or None)


@dataclass(frozen=True)
class VerificationMethod:
    """A verification method of a DID document, with its public key decoded."""

    id: str
    type: str
    controller: str
    key: Key
    raw: dict[str, Any] = field(repr=False, compare=False)


class DIDDocument:
    """A resolved DID document (read-only view over its JSON)."""

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise InvalidDID("a DID document must be a JSON object with a string 'id'")
        self.data = data
        self.id: str = data["id"]

    def absolute(self, ref: Any) -> str:
        """``ref`` as an absolute DID URL (a ``#fragment`` is relative to this document)."""
        return self.id + ref if isinstance(ref, str) and ref.startswith("#") else str(ref)

    def _methods(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        candidates: list[Any] = list(self.data.get("verificationMethod") or [])
        for relationship in VERIFICATION_RELATIONSHIPS:
            candidates.extend(entry for entry in self.data.get(relationship) or [] if isinstance(entry, dict))
        for entry in candidates:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.setdefault(self.absolute(entry["id"]), entry)
        return found

    def verification_method(self, did_url: str) -> VerificationMethod | None:
        """The verification method ``did_url`` names in this document, or None."""
        entry = self._methods().get(self.absolute(did_url))
        if entry is None:
            return None
        return VerificationMethod(
            id=self.absolute(entry["id"]),
            type=str(entry.get("type", "")),
            controller=str(entry.get("controller", self.id)),
            key=key_from_verification_method(entry),
            raw=entry,
        )

    def authorizes(self, did_url: str, relationship: str) -> bool:
        """Whether ``did_url`` is listed (by reference or embedded) under ``relationship``."""
        target = self.absolute(did_url)
        for entry in self.data.get(relationship) or []:
            ref = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(ref, str) and self.absolute(ref) == target:
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        """The document's JSON."""
        return self.data


def key_from_verification_method(entry: dict[str, Any]) -> Key:
    """Decode the public key of a verification method (Multikey, JsonWebKey(2020), Ed25519 2018/2020)."""
    if "publicKeyMultibase" in entry:
        return Key.from_multibase(entry["publicKeyMultibase"])
    if "publicKeyJwk" in entry:
        jwk = entry["publicKeyJwk"]
        if isinstance(jwk, dict) and "d" in jwk:
            raise InvalidKey(f"verification method {entry.get('id')} exposes a private key")
        return Key.from_jwk(jwk)
    if "publicKeyBase58" in entry and entry.get("type") == "Ed25519VerificationKey2018":
        from vctrade._encoding import multibase_decode
        from vctrade._keys import public_key_from_raw

        return public_key_from_raw("Ed25519", multibase_decode("z" + str(entry["publicKeyBase58"])))
    raise UnsupportedError(f"verification method {entry.get('id')} has no public key vctrade can read")
