"""ecdsa-jcs-2019: ECDSA P-256/P-384 over JCS (W3C Data Integrity ECDSA Cryptosuites v1.0)."""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, JcsTransform


class EcdsaJcs2019(JcsTransform, Cryptosuite):
    """ECDSA (IEEE P1363 r||s) over RFC 8785 canonical JSON."""

    name = "ecdsa-jcs-2019"
    key_types = frozenset({"P-256", "P-384"})


register_suite(EcdsaJcs2019())
