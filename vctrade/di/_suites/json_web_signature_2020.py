"""JsonWebSignature2020: the legacy Linked Data proof (W3C CCG "Linked Data Proof JWS 2020") with a detached JWS.

RDFC-1.0 (URDNA2015) canonicalization and SHA-256 (for every key type, as the
suite's implementations hash), signed as a detached JWS with an unencoded
payload (``b64: false``, ``crit: ["b64"]``) in the proof's ``jws``: EdDSA for
Ed25519 keys, ES256 for P-256, keys usually given as JWK (``JsonWebKey2020``
verification methods). P-384 (ES384) is left out until it is cross-checked
with another implementation. Verified whenever a proof says so; signed only
when asked by name (never a default).
"""

from __future__ import annotations

from vctrade.di._registry import register_suite
from vctrade.di._suite import Cryptosuite, DetachedJws, RdfcTransform


class JsonWebSignature2020(DetachedJws, RdfcTransform, Cryptosuite):
    """Ed25519 / P-256 over RDFC-1.0, a detached JWS, ``type: JsonWebSignature2020``."""

    name = "JsonWebSignature2020"
    proof_type = "JsonWebSignature2020"
    key_types = frozenset({"Ed25519", "P-256"})
    algorithms = frozenset({"EdDSA", "ES256"})
    method_types = frozenset({"JsonWebKey2020", "JsonWebKey", "Multikey"})
    context = "https://w3id.org/security/suites/jws-2020/v1"
    # jws-2020/v1 does not define `type` outside its scoped contexts: a proof cannot carry it alone
    proof_context_capable = False

    def hash_name(self, key_type: str) -> str:
        """SHA-256 for every key: the suite's verify data is always two SHA-256 digests."""
        return "sha256"


register_suite(JsonWebSignature2020())
