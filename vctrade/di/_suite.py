"""The cryptosuite protocol and the shared Data Integrity stages.

A cryptosuite is a small stateless object: its ``name``, the proof ``type`` it
writes, the key types it accepts, and three stages — ``transform`` (document →
canonical bytes), ``hash`` (canonical proof config + canonical document →
bytes to sign) and ``sign``/``verify``. Suites differ only where the specs
make them differ: eddsa-jcs-2022 is eddsa-rdfc-2022 with another transform.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar

import rfc8785

from vctrade._encoding import multibase_decode, multibase_encode
from vctrade._keys import Key
from vctrade.errors import CanonicalizationLimitError, EncodingError, InvalidDocument
from vctrade.jsonld._jsonld import DocumentLoader, canonize

__all__ = ["Cryptosuite", "RdfcTransform", "JcsTransform"]

_HASH_FOR_KEY = {"Ed25519": "sha256", "P-256": "sha256", "P-384": "sha384"}
_BASE58BTC_MULTIBASE = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")


class Cryptosuite:
    """Base of every Data Integrity cryptosuite (subclasses set the class attributes)."""

    name: ClassVar[str]
    proof_type: ClassVar[str] = "DataIntegrityProof"
    key_types: ClassVar[frozenset[str]]
    # verification method types whose keys this suite may use
    method_types: ClassVar[frozenset[str]] = frozenset({"Multikey", "JsonWebKey", "JsonWebKey2020"})

    def hash_name(self, key_type: str) -> str:
        """The hash for this key type: SHA-384 for P-384, SHA-256 otherwise."""
        return _HASH_FOR_KEY[key_type]

    # -- stage 1: transform -----------------------------------------------------------------
    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        """Canonicalize the unsecured document."""
        raise NotImplementedError

    def proof_config(
        self, proof: dict[str, Any], document: dict[str, Any], key_type: str, loader: DocumentLoader
    ) -> bytes:
        """Canonicalize the proof options (the proof without ``proofValue``)."""
        raise NotImplementedError

    # -- stage 2: hash ------------------------------------------------------------------------
    def hash(self, canonical_proof_config: bytes, canonical_document: bytes, key_type: str) -> bytes:
        """``hash(proof config) || hash(document)``: the bytes that are signed."""
        hasher = self.hash_name(key_type)
        return hashlib.new(hasher, canonical_proof_config).digest() + hashlib.new(hasher, canonical_document).digest()

    # -- stage 3: sign / verify -------------------------------------------------------------
    def sign(self, key: Key, data: bytes) -> str:
        """Sign and encode as ``proofValue`` (multibase base58btc)."""
        return multibase_encode(key.sign(data))

    def verify(self, key: Key, proof_value: Any, data: bytes) -> bool:
        """Whether ``proof_value`` is a valid signature of ``data`` by ``key``.

        Only the canonical form is accepted: ``z``, then base58btc characters
        only, exactly as the signature's bytes encode (base58 decoders skip
        whitespace and the like, so one signature would otherwise have many
        accepted spellings).
        """
        if not isinstance(proof_value, str) or not _BASE58BTC_MULTIBASE.fullmatch(proof_value):
            raise EncodingError("proofValue must be a base58btc multibase string ('z' and base58btc characters only)",
                                code="invalid_proof_value")
        signature = multibase_decode(proof_value)
        if multibase_encode(signature) != proof_value:
            raise EncodingError("proofValue is not the canonical base58btc encoding of its bytes",
                                code="invalid_proof_value")
        return key.verify(signature, data)


class RdfcTransform:
    """Mixin: RDFC-1.0 canonicalization, proof config in the document's context."""

    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        return canonize(document, loader, hash_name=self.hash_name(key_type)).encode("utf-8")  # type: ignore[attr-defined]

    def proof_config(
        self, proof: dict[str, Any], document: dict[str, Any], key_type: str, loader: DocumentLoader
    ) -> bytes:
        config = {**proof, "@context": document.get("@context")}
        return canonize(config, loader, hash_name=self.hash_name(key_type)).encode("utf-8")  # type: ignore[attr-defined]


class JcsTransform:
    """Mixin: JSON Canonicalization Scheme (RFC 8785); the proof carries the document's context."""

    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        return _jcs(document, loader)

    def proof_config(
        self, proof: dict[str, Any], document: dict[str, Any], key_type: str, loader: DocumentLoader
    ) -> bytes:
        return _jcs(proof, loader)


def _jcs(value: Any, loader: DocumentLoader) -> bytes:
    # rfc8785 recurses once per level: the loader's depth and size caps come first.
    loader.check_json_limits(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidDocument(f"document cannot be canonicalized with JCS: {exc}") from exc
    except RecursionError:
        # Only if a caller raised max_json_depth past what Python's stack holds.
        raise CanonicalizationLimitError("document is nested too deeply for JCS", code="document_too_deep") from None
