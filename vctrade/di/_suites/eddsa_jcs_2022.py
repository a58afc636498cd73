"""eddsa-jcs-2022: Ed25519 over JCS (W3C Data Integrity EdDSA Cryptosuites v1.0)."""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, JcsTransform


class EddsaJcs2022(JcsTransform, Cryptosuite):
    """Ed25519 signatures over RFC 8785 canonical JSON."""

    name = "eddsa-jcs-2022"
    key_types = frozenset({"Ed25519"})


register_suite(EddsaJcs2022())
