"""The QR code: segno's SVG of exactly the verify link (the id percent-encoded) or of the compact credential itself.

segno does not decode; each test re-encodes the payload it expects with the same options and compares the SVG.
tests/render/test_pdf.py decodes the printed code for real (zxing-cpp) from a page Chromium rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import segno

from vctrade import Key, VerificationResult, issue
from vctrade.errors import InputError
from vctrade.render import render_html, verify_link
from vctrade.render._qr import QR_OPTIONS
from vctrade.trade import load_request

from ._page import Page, remote_references

_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def _svgs(html: str) -> list[str]:
    return _SVG.findall(html)


def _segno_svg(payload: str, error: str = "m") -> str:
    return segno.make(payload, error=error, micro=False).svg_inline(**QR_OPTIONS)


def test_the_qr_code_is_segnos_drawing_of_the_verify_link(issued: dict[str, dict[str, Any]],
                                                          checked: Callable[..., VerificationResult],
                                                          render_now: datetime) -> None:
    document = issued["origin"]
    html = render_html(document, checked(document), now=render_now, verify_url="https://verify.cbp.example/c/{id}")
    expected = "https://verify.cbp.example/c/urn%3Auuid%3A6f0d3a4e-2b8c-4a51-9d2e-5c0b7e1a9f31"
    assert verify_link("https://verify.cbp.example/c/{id}", document["id"]) == expected
    assert _svgs(html) == [_segno_svg(expected)]
    assert _svgs(html) != [_segno_svg(expected + "x")]  # the comparison tells payloads apart
    assert f"Scan to verify: {expected}" in Page(html).text
    assert remote_references(html) == []  # the link is text under the code, never an href


def test_an_id_is_one_percent_encoded_path_segment() -> None:
    assert (verify_link("https://v.example/verify?c={id}", "https://issuer.example/creds/7?x=a b&y=ü")
            == "https://v.example/verify?c=https%3A%2F%2Fissuer.example%2Fcreds%2F7%3Fx%3Da%20b%26y%3D%C3%BC")


@pytest.mark.parametrize(("template", "message"), [
    ("https://verify.example/c/", r"has no \{id\}"),
    ("ftp://verify.example/{id}", "not an absolute https://"),
    ("/c/{id}", "not an absolute https://"),
])
def test_a_bad_verify_url_template_is_refused(template: str, message: str, issued: dict[str, dict[str, Any]],
                                              checked: Callable[..., VerificationResult]) -> None:
    with pytest.raises(InputError, match=message):
        render_html(issued["aeo"], checked(issued["aeo"]), verify_url=template)


def test_a_compact_jwt_that_fits_is_carried_whole(jwt_credential: str, checked: Callable[..., VerificationResult],
                                                  render_now: datetime) -> None:
    html = render_html(jwt_credential, checked(jwt_credential), now=render_now)
    assert _svgs(html) == [_segno_svg(jwt_credential)]


def test_with_a_verify_url_a_jwt_links_instead(jwt_credential: str, checked: Callable[..., VerificationResult],
                                               render_now: datetime) -> None:
    from vctrade._show import unwrap

    credential_id = unwrap(jwt_credential)[0]["id"]
    html = render_html(jwt_credential, checked(jwt_credential), now=render_now, verify_url="https://v.example/{id}")
    assert _svgs(html) == [_segno_svg(verify_link("https://v.example/{id}", credential_id))]


def test_a_jwt_too_large_for_a_qr_code_says_so(fixtures_dir: Path, key_of: Callable[[str], Key],
                                               checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    token = issue(load_request(fixtures_dir / "shipment" / "bill-of-lading.yaml"), key_of("gulf-intermodal"),
                  trade_type="bill-of-lading", format="jose").secured
    assert isinstance(token, str) and len(token) > 2953  # a version 40 QR code holds at most 2,953 bytes
    page = Page(render_html(token, checked(token), now=render_now))
    assert not page.tags("svg")
    assert f"No QR code: the credential ({len(token):,} characters) is too large for a QR code" in page.text


def test_without_a_link_or_a_token_the_page_says_why_there_is_no_code(issued: dict[str, dict[str, Any]],
                                                                      checked: Callable[..., VerificationResult]) -> None:
    page = Page(render_html(issued["invoice"], checked(issued["invoice"])))
    assert not page.tags("svg")
    assert ("No QR code: no verify URL was configured, and this document is not a compact JWT or SD-JWT that a QR "
            "code could carry") in page.text
