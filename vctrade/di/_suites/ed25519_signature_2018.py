"""Ed25519Signature2018: the legacy Linked Data proof (W3C CCG) with a detached JWS, for older issuers.

RDFC-1.0 (URDNA2015) canonicalization and SHA-256, as Ed25519Signature2020,
but the signature is a detached EdDSA JWS with an unencoded payload
(``{"alg":"EdDSA","b64":false,"crit":["b64"]}``) in the proof's ``jws``.
Verified whenever a proof says so; signed only when asked by name (never a
default). A VC 1.1 document's context already defines the suite (and the
suite's own context would redefine its protected terms), so signing adds no
context to the document; ``proof_context`` puts the suite's context in the proof.
"""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, DetachedJws, RdfcTransform


class Ed25519Signature2018(DetachedJws, RdfcTransform, Cryptosuite):
    """Ed25519 over RDFC-1.0, a detached ``EdDSA`` JWS, ``type: Ed25519Signature2018``."""

    name = "Ed25519Signature2018"
    proof_type = "Ed25519Signature2018"
    key_types = frozenset({"Ed25519"})
    algorithms = frozenset({"EdDSA"})
    method_types = frozenset(
        {"Ed25519VerificationKey2018", "Ed25519VerificationKey2020", "Multikey", "JsonWebKey", "JsonWebKey2020"}
    )
    suite_context = "https://w3id.org/security/suites/ed25519-2018/v1"


register_suite(Ed25519Signature2018())
