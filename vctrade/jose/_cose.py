"""COSE_Sign1 for credentials (VC-JOSE-COSE ``application/vc+cose`` / ``vp+cose``).

A COSE_Sign1 (CBOR tag 18) carries the credential as its payload; the
signature covers the CBOR ``Sig_structure`` ("Signature1", protected header,
empty external AAD, payload). A decoded COSE object is presented to the
verifier in the same shape as a JWS (header names ``alg``, ``kid``, ``typ``,
``cty``, ``crit``), so JOSE and COSE share one set of checks.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from vctrade._keys import Key
from vctrade.errors import InvalidDocument, SigningError
from vctrade.jose._jws import ALGORITHMS, DecodedJws, strict_json
from vctrade.model._credentials import with_signer

__all__ = ["COSE_ALGORITHMS", "looks_like_cose", "decode_cose", "sign_cose", "cose_text"]

# COSE algorithm ids -> JOSE names (the allow-list is the same)
COSE_ALGORITHMS = {-8: "EdDSA", -7: "ES256", -35: "ES384", -36: "ES512", -47: "ES256K"}
_JOSE_TO_COSE = {name: number for number, name in COSE_ALGORITHMS.items()}
_ALG, _CRIT, _CTY, _KID, _TYP = 1, 2, 3, 4, 16


def looks_like_cose(data: bytes) -> bool:
    """Whether ``data`` is a tagged COSE_Sign1, raw or base64 (standard or url-safe) text."""
    return data[:2] == b"\xd2\x84" or data.strip()[:3] == b"0oR"


def _raw(data: bytes) -> bytes:
    if data[:2] == b"\xd2\x84":
        return data  # binary CBOR: never strip, its last bytes may look like whitespace
    stripped = data.strip()
    try:
        text = stripped.decode("ascii")
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
    except (UnicodeDecodeError, binascii.Error, ValueError) as exc:
        raise InvalidDocument(f"the COSE object is not valid base64: {exc}") from exc


def _label(value: Any) -> Any:
    """A header value as the checks may show it: text, a small integer, None, or the name of its type.

    (CBOR integers are unbounded: printing a bignum of 5,000 digits would raise.)
    """
    if value is None or isinstance(value, str) or (isinstance(value, int) and -(2**64) <= value < 2**64):
        return value
    return f"<{type(value).__name__}>"


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    import cbor2  # COSE is read and written only when a COSE document is at hand

    return cbor2.dumps(["Signature1", protected, b"", payload])


def decode_cose(data: bytes) -> DecodedJws:
    """Decode a COSE_Sign1 into the JWS-shaped view the verifier checks."""
    import cbor2

    try:
        message = cbor2.loads(_raw(data))
        if not isinstance(message, cbor2.CBORTag) or message.tag != 18:
            raise InvalidDocument("not a tagged COSE_Sign1 (CBOR tag 18)")
        protected_bytes, unprotected, payload_bytes, signature = message.value
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidDocument(f"the COSE object does not decode: {exc}") from exc
    if not isinstance(protected, Mapping) or not isinstance(payload_bytes, bytes) or not isinstance(signature, bytes):
        raise InvalidDocument("a COSE_Sign1 needs a protected header map, an attached payload and a signature")
    if not isinstance(unprotected, Mapping):
        raise InvalidDocument("the COSE unprotected header must be a map")
    if set(unprotected) & {_ALG, _KID, _TYP, _CTY}:
        raise InvalidDocument("alg, kid, typ and cty must be in the protected header")
    try:
        payload = strict_json(payload_bytes)  # the same JSON rules as a JWS payload
    except InvalidDocument as exc:
        raise InvalidDocument(f"the COSE payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidDocument("the COSE payload must be a JSON object")
    kid, alg = protected.get(_KID), protected.get(_ALG)
    header: dict[str, Any] = {
        "alg": COSE_ALGORITHMS.get(alg, f"cose:{_label(alg)}") if isinstance(alg, int) else f"cose:{_label(alg)}",
        "kid": kid.decode("utf-8", "replace") if isinstance(kid, bytes) else _label(kid),
        "typ": _label(protected.get(_TYP)),
        "cty": _label(protected.get(_CTY)),
    }
    if _CRIT in protected:
        crit = protected[_CRIT]
        header["crit"] = [_label(c) for c in crit] if isinstance(crit, list) else _label(crit)
    return DecodedJws({k: v for k, v in header.items() if v is not None}, payload,
                      _sig_structure(protected_bytes, payload_bytes), signature, base64.b64encode(_raw(data)).decode())


def sign_cose(document: dict[str, Any], key: Key, *, verification_method: str, kind: str = "vc") -> bytes:
    """A COSE_Sign1 of ``document`` (``kind`` vc or vp) signed with ``key``."""
    import cbor2

    if key.jose_alg not in ALGORITHMS:
        raise SigningError(f"{key.key_type} keys cannot sign COSE here")
    signer = verification_method.split("#", 1)[0]
    document = with_signer(document, signer, kind="VerifiableCredential" if kind == "vc" else "VerifiablePresentation")
    protected = cbor2.dumps({_ALG: _JOSE_TO_COSE[key.jose_alg], _CTY: f"application/{kind}",
                             _KID: verification_method.encode("utf-8"), _TYP: f"application/{kind}+cose"})
    payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = key.sign(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def cose_text(data: bytes) -> str:
    """The base64 text form used in files and ``data:`` URLs."""
    return base64.b64encode(data).decode("ascii")
