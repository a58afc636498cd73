"""DIDs: resolution (one protocol, methods by name) and DID documents."""

from __future__ import annotations

from . import key as _key  # noqa: F401  (registers did:key)
from .document import DIDDocument, VerificationMethod
from .resolver import DID_METHODS, DIDMethod, DIDResolver, StaticResolver, default_resolver, register_method

__all__ = [
    "DIDDocument",
    "VerificationMethod",
    "DIDMethod",
    "DIDResolver",
    "StaticResolver",
    "DID_METHODS",
    "default_resolver",
    "register_method",
]
