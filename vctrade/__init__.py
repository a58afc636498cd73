"""vctrade: verifiable credentials for customs trade.

The small public API::

    key = vctrade.Key.generate("Ed25519")
    signed = vctrade.sign(credential, key)              # a new dict; the input is untouched
    result = vctrade.verify(signed)                      # never raises for a bad credential
    result.verified, result.checks
    token = vctrade.sign_vc_jwt(credential, key)        # vc+jwt; verify() takes the token as text too
    sd = vctrade.sdjwt.issue(credential, key, disclosable=["/credentialSubject/unitPrice"])
    document = vctrade.resolve("did:key:z6Mk…")
"""

from __future__ import annotations

from typing import Any

from . import sdjwt
from .did import DIDDocument, DIDResolver, StaticResolver, default_resolver
from .errors import InputError, OperationalError, VctradeError
from .jsonld import DocumentLoader
from .keys import Key
from .result import Check, VerificationResult
from .signing import sign
from .suites import SUITES
from .suites.jose import sign_legacy_jwt, sign_vc_jwt, sign_vp_jwt
from .verify import verify

__all__ = [
    "Key",
    "sign",
    "sign_vc_jwt",
    "sign_vp_jwt",
    "sign_legacy_jwt",
    "sdjwt",
    "verify",
    "resolve",
    "Check",
    "VerificationResult",
    "DIDDocument",
    "DIDResolver",
    "StaticResolver",
    "DocumentLoader",
    "SUITES",
    "VctradeError",
    "InputError",
    "OperationalError",
]

__version__ = "0.1.0"


def resolve(did: str, resolver: DIDResolver | None = None) -> dict[str, Any]:
    """The DID document of ``did`` as JSON (raises InvalidDID / ResolutionError)."""
    return (resolver or default_resolver()).resolve(did).to_dict()
