"""ecdsa-rdfc-2019: ECDSA P-256/P-384 over RDFC-1.0 (W3C Data Integrity ECDSA Cryptosuites v1.0).

For P-384 the spec requires SHA-384 throughout, including RDFC-1.0's own
internal hash (which changes blank-node labels), not only the final digests.
"""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, RdfcTransform


class EcdsaRdfc2019(RdfcTransform, Cryptosuite):
    """ECDSA (IEEE P1363 r||s) over RDFC-1.0 canonical N-Quads."""

    name = "ecdsa-rdfc-2019"
    key_types = frozenset({"P-256", "P-384"})


register_suite(EcdsaRdfc2019(), default_for=("P-256", "P-384"))
