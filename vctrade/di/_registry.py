"""Cryptosuites, registered by name.

``SUITES`` maps a suite name to its stateless :class:`Cryptosuite`. Every
module in :mod:`vctrade.di._suites` registers its suite when imported, and
that package imports all of its modules: adding a suite is adding one file.
"""

from __future__ import annotations

from typing import Any

from vctrade.di._suite import Cryptosuite
from vctrade.errors import UnsupportedError

__all__ = ["SUITES", "register_suite", "get_suite", "suite_for_proof", "default_suite_for"]

SUITES: dict[str, Cryptosuite] = {}
# The suite a key type signs with when none is named (the first registered for it, unless a suite says default).
_DEFAULTS: dict[str, str] = {}


def register_suite(suite: Cryptosuite, *, default_for: tuple[str, ...] = ()) -> Cryptosuite:
    """Register ``suite`` under its name; ``default_for`` names the key types it signs by default."""
    SUITES[suite.name] = suite
    for key_type in default_for:
        _DEFAULTS[key_type] = suite.name
    return suite


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
    name = _DEFAULTS.get(key_type)
    if name is None:
        raise UnsupportedError(f"no Data Integrity cryptosuite signs with {key_type} keys (use JOSE: --format jose)")
    return SUITES[name]
