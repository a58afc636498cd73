"""Which securing format a document is in — decided here, once, for every caller.

``detect`` takes what a user or a service hands over (a parsed JSON object,
JSON text, a compact JWS, an SD-JWT, COSE bytes or base64 text, or an
``Enveloped…`` object carrying one of these in a ``data:`` URL) and says what
it is, without verifying anything. Verification, ``vctrade show``, batch
reading and the service all ask this one function.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from vctrade.errors import InvalidDocument
from vctrade.jose._cose import looks_like_cose
from vctrade.jose._jws import looks_like_jws
from vctrade.model._json import parse_json_int

__all__ = ["Format", "Detected", "detect", "ENVELOPE_TYPES"]

ENVELOPE_TYPES = ("EnvelopedVerifiableCredential", "EnvelopedVerifiablePresentation")
# data: URL media types of enveloped documents -> their format
_ENVELOPED_MEDIA = {
    "application/vc+jwt": "jwt", "application/vc-ld+jwt": "jwt", "application/vp+jwt": "jwt",
    "application/vc+sd-jwt": "sd-jwt", "application/vp+sd-jwt": "sd-jwt",
    "application/vc+cose": "cose", "application/vp+cose": "cose",
}


class Format(str, Enum):
    """How a document is secured (JSON covers Data Integrity and unsecured JSON-LD)."""

    JSON = "json"
    JWT = "jwt"
    SD_JWT = "sd-jwt"
    COSE = "cose"


@dataclass(frozen=True)
class Detected:
    """A document and its format: ``value`` is a parsed JSON value, token text, or COSE bytes."""

    format: Format
    value: Any


def _jose_text(data: str | bytes) -> str | None:
    try:
        text = data.decode("ascii") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return None
    text = text.strip()
    return text if text and text[0] not in "{[\"" and looks_like_jws(text) else None


def _from_envelope(entry: dict[str, Any]) -> Detected:
    value = entry.get("id")
    if not isinstance(value, str) or not value.startswith("data:") or "," not in value:
        raise InvalidDocument(f"an enveloped document needs a data: URL, got {str(value)[:40]!r}")
    media, payload = value[5:].split(",", 1)
    kind = _ENVELOPED_MEDIA.get(media.split(";", 1)[0].strip().lower())
    if kind is None:
        raise InvalidDocument(f"an enveloped document of media type {media[:40]!r} is not supported")
    if kind == "cose":
        return Detected(Format.COSE, payload.encode("ascii", "replace"))
    return Detected(Format.SD_JWT if kind == "sd-jwt" else Format.JWT, payload.strip())


def detect(document: str | bytes | dict[str, Any]) -> Detected:
    """The format of ``document``; :class:`~vctrade.errors.InvalidDocument` when it is none of them."""
    if isinstance(document, dict):
        if document.get("type") in ENVELOPE_TYPES:
            return _from_envelope(document)
        return Detected(Format.JSON, document)
    if not isinstance(document, (str, bytes)):
        raise InvalidDocument(f"a document is a JSON object or text, not {type(document).__name__}")
    raw = document.encode("latin-1", "replace") if isinstance(document, str) else document
    if looks_like_cose(raw):
        return Detected(Format.COSE, raw)
    token = _jose_text(document)
    if token is not None:
        return Detected(Format.SD_JWT if "~" in token else Format.JWT, token)
    try:
        # An integer too long for int() reaches the structure check, which names its field.
        parsed = json.loads(document, parse_int=parse_json_int)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise InvalidDocument(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidDocument("not valid JSON: nested too deeply") from exc
    if isinstance(parsed, dict) and parsed.get("type") in ENVELOPE_TYPES:
        return _from_envelope(parsed)
    return Detected(Format.JSON, parsed)
