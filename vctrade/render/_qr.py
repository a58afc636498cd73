"""The QR code on a rendered page: a link to the verifier page for the credential, or the credential itself.

The issuer configures a URL template (``https://verify.cbp.example/c/{id}``): ``{id}`` is replaced by the
credential's id, percent-encoded as one path segment. Without one, a compact credential (a vc+jwt, an SD-JWT) that
fits in a QR code is carried whole, so a phone's verifier app can check it offline. The code is an inline SVG made
by segno; nothing is fetched to show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from vctrade.errors import InputError

__all__ = ["QrCode", "qr_code", "verify_link", "check_verify_url", "QR_ERROR_LEVELS", "QR_OPTIONS"]

# The error correction tried in order: M (15 % damage) for a printed page, L (7 %) when only that fits.
QR_ERROR_LEVELS = ("m", "l")
# How the SVG is written (a test re-encodes the payload with the same options and compares).
QR_OPTIONS: dict[str, object] = {"border": 4, "omitsize": True, "svgclass": "qr", "lineclass": None, "dark": "#000",
                                 "light": "#fff"}


@dataclass(frozen=True)
class QrCode:
    """A QR code: what it carries, how (``link`` or ``credential``) and the SVG drawing it."""

    payload: str
    kind: str
    svg: str
    version: str


def check_verify_url(template: str) -> str:
    """The verify URL template if it is an absolute http(s) URL with ``{id}`` in it; :class:`InputError` otherwise."""
    if "{id}" not in template:
        raise InputError(f"the verify URL template {template[:200]!r} has no {{id}} to put the credential's id in")
    parts = urlsplit(template.replace("{id}", "x"))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InputError(f"the verify URL template {template[:200]!r} is not an absolute https:// (or http://) URL")
    return template


def verify_link(template: str, document_id: str) -> str:
    """``template`` with ``{id}`` replaced by ``document_id``, percent-encoded (``urn:uuid:1`` → ``urn%3Auuid%3A1``)."""
    return check_verify_url(template).replace("{id}", quote(document_id, safe=""))


def qr_code(payload: str, kind: str) -> QrCode | None:
    """The QR code of ``payload`` (None when it is too long for any QR code)."""
    import segno

    for level in QR_ERROR_LEVELS:
        try:
            made = segno.make(payload, error=level, micro=False)
        except segno.DataOverflowError:
            continue
        return QrCode(payload, kind, made.svg_inline(**QR_OPTIONS), made.designator)
    return None
