"""Data Integrity: the proof engine (proof sets and chains, proof configuration) and cryptosuites by name.

A cryptosuite is a small stateless object (:class:`Cryptosuite`): its name,
the key types it accepts, and the stages ``transform``, ``proof_config``,
``hash``, ``sign`` and ``verify``. Register one with :func:`register_suite`;
the bundled suites live one file each in ``vctrade/di/_suites/``, each
imported the first time its name is looked up (ecdsa-sd-2023 and ``derive``
too, when first named here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vctrade.di._engine import MethodResolver, add_proof, proofs_of, verify_proofs
from vctrade.di._registry import (
    SUITES,
    default_suite_for,
    get_suite,
    register_suite,
    suite_for_proof,
)
from vctrade.di._signing import sign
from vctrade.di._suite import Cryptosuite, DetachedJws, JcsTransform, RdfcTransform

if TYPE_CHECKING:
    from vctrade.di._suites.ecdsa_sd_2023 import EcdsaSd2023, derive

__all__ = [
    "Cryptosuite",
    "RdfcTransform",
    "JcsTransform",
    "DetachedJws",
    "SUITES",
    "register_suite",
    "get_suite",
    "suite_for_proof",
    "default_suite_for",
    "MethodResolver",
    "add_proof",
    "verify_proofs",
    "proofs_of",
    "sign",
    "EcdsaSd2023",
    "derive",
]


def __getattr__(name: str) -> Any:
    if name in ("EcdsaSd2023", "derive"):
        from vctrade.di._suites import ecdsa_sd_2023

        return getattr(ecdsa_sd_2023, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
