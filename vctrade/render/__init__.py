"""Rendering for people: credentials, presentations and shipment bundles as printable pages, with the verdict.

:func:`render_html` lays out a document with the :class:`~vctrade.VerificationResult` its caller's
:func:`vctrade.verify` returned — one print-ready, self-contained HTML page per document (a layout per trade
type, a generic one for any other credential), the verdict across each page, a QR code to the verifier page or
carrying a compact credential itself. :func:`render_pdf` prints that HTML with the system's Chromium. A
credential's ``renderMethod`` template is used only when it is in the credential or given, and its digest matches;
it is never fetched, and its HTML is sanitized.

Importing this package loads Jinja2, segno and nh3 only when a page is made: the CLI imports it only for
``vctrade render``.
"""

from __future__ import annotations

from vctrade.render._html import Verdict, render_html, verdict_of
from vctrade.render._pdf import find_chromium, render_pdf
from vctrade.render._qr import check_verify_url, verify_link
from vctrade.render._template import render_methods, sanitize

__all__ = ["render_html", "render_pdf", "find_chromium", "Verdict", "verdict_of", "verify_link", "check_verify_url",
           "render_methods", "sanitize"]
