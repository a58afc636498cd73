"""The cryptosuite protocol and the shared Data Integrity stages.

A cryptosuite is a small stateless object: its ``name``, the proof ``type`` it
writes, the key types it accepts, and three stages — ``transform`` (document →
canonical bytes), ``hash`` (canonical proof config + canonical document →
bytes to sign) and ``sign``/``verify``. Suites differ only where the specs
make them differ: eddsa-jcs-2022 is eddsa-rdfc-2022 with another transform;
the legacy Linked Data suites that sign a detached JWS (Ed25519Signature2018,
JsonWebSignature2020) are RDFC suites with :class:`DetachedJws` signing.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, ClassVar

import rfc8785

from vctrade._encoding import b64url_decode, b64url_encode, multibase_decode, multibase_encode
from vctrade._keys import Key
from vctrade.errors import CanonicalizationLimitError, EncodingError, InvalidDocument, SigningError
from vctrade.jsonld._jsonld import DocumentLoader, canonize

__all__ = ["Cryptosuite", "RdfcTransform", "JcsTransform", "DetachedJws"]

_HASH_FOR_KEY = {"Ed25519": "sha256", "P-256": "sha256", "P-384": "sha384"}
_BASE58BTC_MULTIBASE = re.compile(r"z[1-9A-HJ-NP-Za-km-z]+")


class Cryptosuite:
    """Base of every Data Integrity cryptosuite (subclasses set the class attributes)."""

    name: ClassVar[str]
    proof_type: ClassVar[str] = "DataIntegrityProof"
    key_types: ClassVar[frozenset[str]]
    # verification method types whose keys this suite may use
    method_types: ClassVar[frozenset[str]] = frozenset({"Multikey", "JsonWebKey", "JsonWebKey2020"})
    # the proof member that carries the signature (``jws`` for the detached-JWS suites)
    proof_value_member: ClassVar[str] = "proofValue"
    # the context that defines the proof's terms, when the document's own context may not (legacy suites)
    context: ClassVar[str | None] = None
    # the context a proof carries itself when asked (``proof_context``): ``context``, unless the suite says another
    suite_context: ClassVar[str | None] = None
    # whether that context alone defines every term of a proof (so a proof may carry it instead of the document)
    proof_context_capable: ClassVar[bool] = True

    @property
    def legacy(self) -> bool:
        """Whether this is a Linked Data Proof suite (the proof ``type`` names it; no ``cryptosuite``)."""
        return self.proof_type != "DataIntegrityProof"

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
    """Mixin: RDFC-1.0 canonicalization, proof config in the document's context.

    A legacy (Linked Data Proof) suite's proof may carry its own ``@context``
    (DIDKit writes one when the document's context lacks the suite's, as
    jsonld-signatures reads it): the proof options are then canonicalized under
    that context, which they sign, instead of the document's. A Data Integrity
    proof's options are always canonicalized under the document's context.
    """

    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        return canonize(document, loader, hash_name=self.hash_name(key_type)).encode("utf-8")  # type: ignore[attr-defined]

    def proof_config(
        self, proof: dict[str, Any], document: dict[str, Any], key_type: str, loader: DocumentLoader
    ) -> bytes:
        own = getattr(self, "legacy", False) and "@context" in proof
        config = {**proof, "@context": proof["@context"] if own else document.get("@context")}
        return canonize(config, loader, hash_name=self.hash_name(key_type)).encode("utf-8")  # type: ignore[attr-defined]


class JcsTransform:
    """Mixin: JSON Canonicalization Scheme (RFC 8785); the proof carries the document's context."""

    def transform(self, document: dict[str, Any], key_type: str, loader: DocumentLoader) -> bytes:
        return _jcs(document, loader)

    def proof_config(
        self, proof: dict[str, Any], document: dict[str, Any], key_type: str, loader: DocumentLoader
    ) -> bytes:
        return _jcs(proof, loader)


# JavaScript's Number.MAX_SAFE_INTEGER: integers up to this are exact doubles and rfc8785 writes them as they are.
_MAX_SAFE_INTEGER = 2**53 - 1


def _as_doubles(value: Any) -> Any:
    """``value`` with every integer beyond ±(2^53 - 1) as the double a JSON parser of JavaScript reads it as.

    RFC 8785 §3.2.2.3 serializes every number as an IEEE 754 double through
    ECMAScript's Number.prototype.toString, so ``100000000000000000000`` is
    signed as ``100000000000000000000`` and 2^53 + 1 as ``9007199254740992``
    (the nearest double); the rfc8785 package refuses such integers instead.
    Floats it already writes as ECMAScript does (``1e+21``, ``1e-7``, ``0``
    for -0). The caller has bounded the depth; a value with no such integer
    is returned as it is.
    """
    if isinstance(value, dict):
        items = {k: _as_doubles(v) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list):
        converted = [_as_doubles(v) for v in value]
        return value if all(a is b for a, b in zip(converted, value)) else converted
    if isinstance(value, int) and not isinstance(value, bool) and not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        try:
            return float(value)
        except OverflowError:
            raise InvalidDocument("document cannot be canonicalized with JCS: a number is beyond the range of "
                                  "an IEEE 754 double") from None
    return value


class _NotPlain(Exception):
    """The value has a number or key that Python's JSON encoder does not write as RFC 8785 does."""


def _plain_json(value: Any) -> Any:
    """``value`` ready for Python's own JSON encoder to write exactly as RFC 8785 does, or :class:`_NotPlain`.

    The encoder agrees with JCS on strings (both escape quote, backslash and the
    control characters alike: the short escapes for backspace, form feed,
    newline, carriage return and tab, lower-case u00XX for the others; all else
    is UTF-8), on integers within ±(2^53 - 1), and on finite non-integral floats
    it writes without an exponent (rfc8785 writes those as ``str()`` does). An
    integral float within 2^53 becomes the integer JCS writes for it (``845.0``
    is ``845``, ``-0.0`` is ``0``). Anything else — larger integers, exponents,
    a key with a character beyond U+FFFF (JCS sorts keys by UTF-16 code units,
    Python by code points; the orders differ only there) — is left to rfc8785.
    The result is ``value`` itself when nothing needed changing.
    """
    kind = type(value)
    if kind is dict or kind is list:
        changed: Any = None  # a copy, made when the first item changes
        for slot, item in value.items() if kind is dict else enumerate(value):
            if kind is dict and (type(slot) is not str or (not slot.isascii() and max(slot, default="") > "\uffff")):
                raise _NotPlain
            if type(item) in _PLAIN_LEAVES:
                continue  # most values: nothing to check, no call
            new = _plain_json(item)
            if new is not item:
                if changed is None:
                    changed = dict(value) if kind is dict else list(value)
                changed[slot] = new
        return value if changed is None else changed
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        if value.is_integer():
            if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
                return int(value)
            raise _NotPlain
        if "e" in repr(value):
            raise _NotPlain
        return value
    if kind is int:
        if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            raise _NotPlain
        return value
    if kind in _PLAIN_LEAVES:
        return value
    raise _NotPlain  # a subclass or another type: rfc8785 writes it or says what is wrong


# Values the encoder writes as JCS does whatever they hold (ints are checked for their range, floats for form).
_PLAIN_LEAVES = frozenset({str, bool, type(None)})


def _jcs(value: Any, loader: DocumentLoader) -> bytes:
    # rfc8785 recurses once per level: the loader's depth and size caps come first.
    loader.check_json_limits(value)
    try:
        return json.dumps(_plain_json(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (_NotPlain, UnicodeEncodeError, TypeError, ValueError):
        pass  # not plain, a lone surrogate, not JSON at all ...: rfc8785 below writes it or says what is wrong
    try:
        return rfc8785.dumps(_as_doubles(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidDocument(f"document cannot be canonicalized with JCS: {exc}") from exc
    except RecursionError:
        # Only if a caller raised max_json_depth past what Python's stack holds.
        raise CanonicalizationLimitError("document is nested too deeply for JCS", code="document_too_deep") from None


# The detached-JWS header of RFC 7797 as the Linked Data proof suites write it (jsonld-signatures' order).
_B64_FALSE_HEADER = ("alg", "b64", "crit")
# JWS alg -> (key type, signature length): Ed25519, or ECDSA r || s.
_JWS_ALGORITHMS = {"EdDSA": ("Ed25519", 64), "ES256": ("P-256", 64), "ES384": ("P-384", 96)}


class DetachedJws:
    """Mixin: the signature is a detached JWS with an unencoded payload (RFC 7797), in the proof's ``jws``.

    As the Linked Data Proofs suites define it: the signed bytes are
    ``base64url(header) + "." + data``, where ``data`` is the suite's
    ``sha256(canonical proof options) || sha256(canonical document)``, and
    ``jws`` is ``base64url(header) + ".." + base64url(signature)``. Verification
    is strict: the header holds ``alg``, ``b64`` and ``crit`` only, ``b64`` is
    ``false``, ``crit`` is exactly ``["b64"]``, ``alg`` is one the suite allows
    and fits the key; every part is canonical base64url and the signature has
    the algorithm's length.
    """

    proof_value_member: ClassVar[str] = "jws"
    algorithms: ClassVar[frozenset[str]]

    def sign(self, key: Key, data: bytes) -> str:
        alg = key.jose_alg
        if alg not in self.algorithms or _JWS_ALGORITHMS[alg][0] != key.key_type:
            raise SigningError(f"{getattr(self, 'name', 'this suite')} does not sign {alg} with {key.key_type} keys")
        header = b64url_encode(json.dumps({"alg": alg, "b64": False, "crit": ["b64"]}, separators=(",", ":")).encode())
        return f"{header}..{b64url_encode(key.sign(header.encode('ascii') + b'.' + data))}"

    def verify(self, key: Key, proof_value: Any, data: bytes) -> bool:
        header_text, signature = _split_detached_jws(proof_value)
        header = _jws_header(header_text)
        alg = header.get("alg")
        if set(header) != set(_B64_FALSE_HEADER):
            raise EncodingError(f"the jws header must hold exactly alg, b64 and crit, not {', '.join(sorted(header))}",
                                code="invalid_jws_header")
        if header["b64"] is not False:
            raise EncodingError("the jws header must say b64: false (a detached, unencoded payload)",
                                code="invalid_jws_header")
        if header["crit"] != ["b64"]:
            raise EncodingError("the jws header's crit must be exactly [\"b64\"]", code="invalid_jws_header")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise EncodingError(f"{getattr(self, 'name', 'this suite')} does not allow alg {alg!r} "
                                f"(allowed: {', '.join(sorted(self.algorithms))})", code="invalid_jws_alg")
        key_type, length = _JWS_ALGORITHMS[alg]
        if key.key_type != key_type:
            raise EncodingError(f"alg {alg} needs a {key_type} key, not {key.key_type}", code="jws_alg_key_mismatch")
        if len(signature) != length:
            return False
        return key.verify(signature, header_text.encode("ascii") + b"." + data)


def _split_detached_jws(value: Any) -> tuple[str, bytes]:
    """The header text and the signature of a detached compact JWS (``header..signature``)."""
    if not isinstance(value, str):
        raise EncodingError("jws must be a string", code="invalid_jws")
    parts = value.split(".")
    if len(parts) != 3 or parts[1] != "" or not parts[0] or not parts[2]:
        raise EncodingError("jws must be a detached compact JWS (header..signature)", code="invalid_jws")
    try:
        return parts[0], b64url_decode(parts[2])
    except EncodingError as exc:
        raise EncodingError(f"jws signature: {exc}", code="invalid_jws") from exc


def _jws_header(text: str) -> dict[str, Any]:
    from vctrade.jose._jws import strict_json  # duplicate members, NaN and unbounded JSON refused

    try:
        header = strict_json(b64url_decode(text))
    except (EncodingError, InvalidDocument) as exc:
        raise EncodingError(f"jws header does not decode: {exc}", code="invalid_jws_header") from exc
    if not isinstance(header, dict):
        raise EncodingError("the jws header must be a JSON object", code="invalid_jws_header")
    return header
