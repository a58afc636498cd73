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
_BASE_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# data: URL media types an envelope may carry -> their format, by the envelope's position (VC-JOSE-COSE §3:
# a credential is vc+jwt / vc+sd-jwt / vc+cose, a presentation vp+…; vc-ld+jwt is the draft spelling of vc+jwt).
_ENVELOPED_MEDIA = {
    "EnvelopedVerifiableCredential": {
        "application/vc+jwt": "jwt", "application/vc-ld+jwt": "jwt",
        "application/vc+sd-jwt": "sd-jwt", "application/vc+cose": "cose",
    },
    "EnvelopedVerifiablePresentation": {
        "application/vp+jwt": "jwt", "application/vp+sd-jwt": "sd-jwt", "application/vp+cose": "cose",
    },
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
    # "credential" or "presentation" when it came in an Enveloped… object: what the envelope says it carries
    envelope: str | None = None


def _jose_text(data: str | bytes) -> str | None:
    try:
        text = data.decode("ascii") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return None
    text = text.strip()
    return text if text and text[0] not in "{[\"" and looks_like_jws(text) else None


def _from_envelope(entry: dict[str, Any]) -> Detected:
    """VCDM 2.0 §4.13.1/§4.13.2: an envelope's @context includes the base context, its id is a data: URL (RFC 2397)
    of a secured credential (presentation) in a media type for that position."""
    kind = entry.get("type")
    value = entry.get("id")
    if not isinstance(value, str) or not value.startswith("data:") or "," not in value:
        raise InvalidDocument(f"an enveloped document ({kind}) needs an id that is a data: URL, got {str(value)[:40]!r}")
    media, payload = value[5:].split(",", 1)
    accepted = _ENVELOPED_MEDIA[str(kind)]
    secured = accepted.get(media.split(";", 1)[0].strip().lower())
    if secured is None:
        raise InvalidDocument(f"an enveloped document ({kind}) of media type {media[:40]!r} is not supported "
                              f"(it carries {', '.join(m for m in accepted if 'ld+' not in m)})")
    contexts = entry.get("@context")
    listed = contexts if isinstance(contexts, list) else [contexts]
    if _BASE_CONTEXT not in listed:
        raise InvalidDocument(f"an enveloped document ({kind}) needs an @context that includes {_BASE_CONTEXT}")
    position = "presentation" if kind == "EnvelopedVerifiablePresentation" else "credential"
    if secured == "cose":
        return Detected(Format.COSE, payload.encode("ascii", "replace"), position)
    return Detected(Format.SD_JWT if secured == "sd-jwt" else Format.JWT, payload.strip(), position)


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
