"""vctrade: verifiable credentials for customs trade.

The public API::

    key = vctrade.Key.generate("Ed25519")
    issued = vctrade.issue(credential, key)                     # build → validate → status → secure → record
    issued = vctrade.issue(request, key, trade_type="aeo")      # a trade document from a request
    signed = vctrade.sign(credential, key)                      # add a Data Integrity proof (a set or a chain)
    presentation = vctrade.present([signed], holder_key, challenge="…", domain="…")
    result = vctrade.verify(signed)                             # never raises for a bad credential
    result.verified, result.checks
    policy = vctrade.TrustPolicy.from_toml("us-cbp.toml")
    document = vctrade.resolve("did:key:z6Mk…")

Extension points live in the concern packages: :mod:`vctrade.di` (cryptosuites),
:mod:`vctrade.did` (DID methods), :mod:`vctrade.trade` (trade document types),
:mod:`vctrade.trust` (policy rules), :mod:`vctrade.status` (status lists),
:mod:`vctrade.jose` (JOSE, SD-JWT, COSE), :mod:`vctrade.verification`. Every
exception is in :mod:`vctrade.errors`. Names are imported when first used, so
``import vctrade`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vctrade.errors import *  # noqa: F403 - the exception tree is part of the API
from vctrade.errors import __all__ as _errors

if TYPE_CHECKING:
    from vctrade._issuance import Issued, issue
    from vctrade._keys import Key
    from vctrade._presentation import present
    from vctrade._result import Check, VerificationResult
    from vctrade.di import sign
    from vctrade.did import DIDResolver, StaticResolver
    from vctrade.jsonld import DocumentLoader
    from vctrade.trust import TrustPolicy
    from vctrade.verification import verify

__version__ = "0.1.0"

_LAZY = {
    "Key": "vctrade._keys",
    "issue": "vctrade._issuance",
    "Issued": "vctrade._issuance",
    "sign": "vctrade.di",
    "present": "vctrade._presentation",
    "verify": "vctrade.verification",
    "TrustPolicy": "vctrade.trust",
    "VerificationResult": "vctrade._result",
    "Check": "vctrade._result",
    "DocumentLoader": "vctrade.jsonld",
    "DIDResolver": "vctrade.did",
    "StaticResolver": "vctrade.did",
}

__all__ = [
    "Key",
    "issue",
    "Issued",
    "sign",
    "present",
    "verify",
    "resolve",
    "TrustPolicy",
    "VerificationResult",
    "Check",
    "DocumentLoader",
    "DIDResolver",
    "StaticResolver",
    *_errors,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vctrade' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def resolve(did: str, resolver: DIDResolver | None = None) -> dict[str, Any]:
    """The DID document of ``did`` as JSON (raises InvalidDID / ResolutionError)."""
    from vctrade.did import default_resolver

    return (resolver or default_resolver()).resolve(did).to_dict()
