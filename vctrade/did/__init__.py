"""DIDs: resolution (one protocol, methods by name) and DID documents.

A DID method is an object with a ``name`` and ``resolve(did)``; register one
with :func:`register_method`. The bundled methods live one file each in
``vctrade/did/_methods/`` (key, jwk, web).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vctrade.did._document import DIDDocument, VerificationMethod
from vctrade.did._resolver import (
    DID_METHODS,
    DIDMethod,
    DIDResolver,
    MethodsWith,
    StaticResolver,
    default_resolver,
    register_method,
)
from vctrade.errors import SigningError, UnsupportedError

if TYPE_CHECKING:  # imported on first use: did:web's module brings the HTTPS client
    from vctrade._http import FetchPolicy
    from vctrade._keys import Key
    from vctrade.did._methods.jwk import did_jwk
    from vctrade.did._methods.web import (
        WebMethod,
        create_did_web_document,
        did_to_url,
        did_web,
        document_path,
        write_did_document,
    )

_LAZY = {
    "FetchPolicy": "vctrade._http",
    "did_jwk": "vctrade.did._methods.jwk",
    **dict.fromkeys(("WebMethod", "create_did_web_document", "did_to_url", "did_web", "document_path",
                     "write_did_document"), "vctrade.did._methods.web"),
}


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
    def web() -> DIDMethod:
        from vctrade.did._methods.web import WebMethod

        return WebMethod(policy)

    return DIDResolver(MethodsWith(DID_METHODS, {"web": web}))


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
    "did_web",
    "did_to_url",
    "document_path",
    "create_did_web_document",
    "write_did_document",
    "did_jwk",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
