"""Data Integrity: the proof engine (proof sets and chains, proof configuration) and cryptosuites by name.

A cryptosuite is a small stateless object (:class:`Cryptosuite`): its name,
the key types it accepts, and the stages ``transform``, ``proof_config``,
``hash``, ``sign`` and ``verify``. Register one with :func:`register_suite`;
the bundled suites live one file each in ``vctrade/di/_suites/``.
"""

from __future__ import annotations

from vctrade.di import _suites  # noqa: F401  (registers the bundled suites)
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
