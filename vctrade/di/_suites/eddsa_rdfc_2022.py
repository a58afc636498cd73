"""eddsa-rdfc-2022: Ed25519 over RDFC-1.0 (W3C Data Integrity EdDSA Cryptosuites v1.0)."""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, RdfcTransform


class EddsaRdfc2022(RdfcTransform, Cryptosuite):
    """Ed25519 signatures over RDFC-1.0 canonical N-Quads."""

    name = "eddsa-rdfc-2022"
    key_types = frozenset({"Ed25519"})


register_suite(EddsaRdfc2022(), default_for=("Ed25519",))
