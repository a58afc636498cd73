"""DIDs: resolution (one protocol, methods by name) and DID documents."""

from __future__ import annotations

from .._http import FetchPolicy
from ..errors import SigningError, UnsupportedError
from ..keys import Key
from . import jwk as _jwk  # noqa: F401  (registers did:jwk)
from . import key as _key  # noqa: F401  (registers did:key)
from .document import DIDDocument, VerificationMethod
from .resolver import DID_METHODS, DIDMethod, DIDResolver, StaticResolver, default_resolver, register_method
from .web import WebMethod


def method_for_key(did: str, key: Key, resolver: DIDResolver, relationship: str = "assertionMethod") -> str:
    """The id of the verification method in ``did``'s document that holds ``key`` under ``relationship``."""
    document = resolver.resolve(did)
    for entry in document.data.get("verificationMethod") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        try:
            method = document.verification_method(entry["id"])
        except UnsupportedError:
            continue  # a kind of key vctrade does not read (RSA, BLS…) cannot be this key
        if method is not None and method.key == key and document.authorizes(method.id, relationship):
            return method.id
    raise SigningError(f"the DID document of {did} lists no {relationship} method with this key; "
                       "publish the key in it first (vctrade did web create)")


def network_resolver(policy: FetchPolicy | None = None) -> DIDResolver:
    """A resolver whose did:web fetches with ``policy`` (timeouts, CA bundle, private hosts)."""
    return DIDResolver({**DID_METHODS, "web": WebMethod(policy)})


__all__ = [
    "FetchPolicy",
    "DIDDocument",
    "VerificationMethod",
    "DIDMethod",
    "DIDResolver",
    "StaticResolver",
    "DID_METHODS",
    "default_resolver",
    "register_method",
    "network_resolver",
    "method_for_key",
    "WebMethod",
]
