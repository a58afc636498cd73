"""Cryptosuites, registered by name.

``SUITES`` maps a suite name to its stateless :class:`Cryptosuite`; adding a
suite is adding a module and one line here.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedError
from .base import Cryptosuite
from .ecdsa_jcs_2019 import EcdsaJcs2019
from .ecdsa_rdfc_2019 import EcdsaRdfc2019
from .ed25519_signature_2020 import Ed25519Signature2020
from .eddsa_jcs_2022 import EddsaJcs2022
from .eddsa_rdfc_2022 import EddsaRdfc2022

__all__ = ["Cryptosuite", "SUITES", "get_suite", "suite_for_proof", "default_suite_for"]

SUITES: dict[str, Cryptosuite] = {
    suite.name: suite
    for suite in (EddsaRdfc2022(), EddsaJcs2022(), EcdsaRdfc2019(), EcdsaJcs2019(), Ed25519Signature2020())
}


def get_suite(name: str) -> Cryptosuite:
    """The registered suite called ``name``."""
    suite = SUITES.get(name)
    if suite is None:
        raise UnsupportedError(f"unknown cryptosuite {name!r}; supported: {', '.join(SUITES)}")
    return suite


def suite_for_proof(proof: dict[str, Any]) -> Cryptosuite:
    """The suite that made ``proof``: by ``cryptosuite`` for DataIntegrityProof, else by ``type``."""
    proof_type = proof.get("type")
    if proof_type == "DataIntegrityProof":
        name = proof.get("cryptosuite")
        if not isinstance(name, str):
            raise UnsupportedError("DataIntegrityProof without a 'cryptosuite' string")
        suite = get_suite(name)
        if suite.proof_type != "DataIntegrityProof":
            raise UnsupportedError(f"{name} is not a DataIntegrityProof cryptosuite")
        return suite
    legacy = SUITES.get(proof_type) if isinstance(proof_type, str) else None
    if legacy is None or legacy.proof_type != proof_type:
        raise UnsupportedError(f"unknown proof type {proof_type!r}")
    return legacy


def default_suite_for(key_type: str) -> Cryptosuite:
    """The default suite for a key: eddsa-rdfc-2022 for Ed25519, ecdsa-rdfc-2019 for P-256/P-384."""
    if key_type == "Ed25519":
        return SUITES["eddsa-rdfc-2022"]
    if key_type in ("P-256", "P-384"):
        return SUITES["ecdsa-rdfc-2019"]
    raise UnsupportedError(f"no Data Integrity cryptosuite signs with {key_type} keys (use JOSE: --format jose)")
