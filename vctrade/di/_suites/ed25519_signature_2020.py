"""Ed25519Signature2020: the legacy Linked Data proof (W3C CCG), for older issuers.

Same stages as eddsa-rdfc-2022, but the proof ``type`` is the suite's name and
there is no ``cryptosuite`` property.
"""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, RdfcTransform


class Ed25519Signature2020(RdfcTransform, Cryptosuite):
    """Ed25519 over RDFC-1.0 with ``type: Ed25519Signature2020``."""

    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    key_types = frozenset({"Ed25519"})
    method_types = frozenset({"Ed25519VerificationKey2020", "Multikey", "JsonWebKey", "JsonWebKey2020"})
    context = "https://w3id.org/security/suites/ed25519-2020/v1"


register_suite(Ed25519Signature2020())
