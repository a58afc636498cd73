"""Cryptosuites, registered by name.

``SUITES`` maps a suite name to its stateless :class:`Cryptosuite`. Every
module in :mod:`vctrade.di._suites` registers its suite when imported; the
registry imports a bundled suite's module the first time its name is looked
up, so verifying an eddsa-rdfc-2022 proof loads no ECDSA-SD machinery.
Adding a bundled suite is adding one file and its line in ``BUNDLED``
(tests/test_architecture.py checks the table against the files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vctrade._plugins import LazyRegistry
from vctrade.errors import UnsupportedError

if TYPE_CHECKING:
    from vctrade.di._suite import Cryptosuite

__all__ = ["SUITES", "BUNDLED", "BUNDLED_DEFAULTS", "register_suite", "get_suite", "suite_for_proof", "default_suite_for"]

# name -> the module that registers it
BUNDLED = {
    "ecdsa-jcs-2019": "vctrade.di._suites.ecdsa_jcs_2019",
    "ecdsa-rdfc-2019": "vctrade.di._suites.ecdsa_rdfc_2019",
    "ecdsa-sd-2023": "vctrade.di._suites.ecdsa_sd_2023",
    "Ed25519Signature2018": "vctrade.di._suites.ed25519_signature_2018",
    "Ed25519Signature2020": "vctrade.di._suites.ed25519_signature_2020",
    "eddsa-jcs-2022": "vctrade.di._suites.eddsa_jcs_2022",
    "eddsa-rdfc-2022": "vctrade.di._suites.eddsa_rdfc_2022",
    "JsonWebSignature2020": "vctrade.di._suites.json_web_signature_2020",
}
# key type -> the bundled suite that signs with it by default (its module says so again: ``default_for``)
BUNDLED_DEFAULTS = {"Ed25519": "eddsa-rdfc-2022", "P-256": "ecdsa-rdfc-2019", "P-384": "ecdsa-rdfc-2019"}

SUITES: LazyRegistry[Cryptosuite] = LazyRegistry(BUNDLED)
# The suite a key type signs with when none is named: one that said ``default_for`` it, else the bundled default.
_DEFAULTS: dict[str, str] = {}


def register_suite(suite: Cryptosuite, *, default_for: tuple[str, ...] = ()) -> Cryptosuite:
    """Register ``suite`` under its name; ``default_for`` names the key types it signs by default."""
    SUITES[suite.name] = suite
    for key_type in default_for:
        # A bundled suite, imported on first use, must not take back a default another suite was given before.
        if suite.name not in BUNDLED or key_type not in _DEFAULTS:
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
    name = _DEFAULTS.get(key_type) or BUNDLED_DEFAULTS.get(key_type)
    if name is None:
        raise UnsupportedError(f"no Data Integrity cryptosuite signs with {key_type} keys (secure it with JOSE instead: format jose)")
    return get_suite(name)
