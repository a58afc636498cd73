"""No rendered page loads anything: no remote (or any) URL in src/href, no script, no stylesheet link, no CSS url(),
a Content-Security-Policy that forbids every fetch — whatever the document carries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from vctrade import Key, VerificationResult, sign
from vctrade.render import render_html

from ._page import Page, remote_references

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _outputs(issued: dict[str, dict[str, Any]], bundle: dict[str, Any], jwt_credential: str,
             checked: Callable[..., VerificationResult]) -> dict[str, str]:
    pages = {}
    for name, document in issued.items():
        pages[name] = render_html(document, checked(document), verify_url="https://verify.example/c/{id}")
        broken = copy.deepcopy(document)
        broken["validFrom"] = "2020-01-01T00:00:00Z"
        pages[f"{name} (tampered)"] = render_html(broken, checked(broken))
    pages["bundle"] = render_html(bundle, checked(bundle, challenge="c", domain="d"),
                                  verify_url="https://verify.example/c/{id}")
    pages["vc+jwt"] = render_html(jwt_credential, checked(jwt_credential))
    return pages


def test_no_output_loads_anything(issued: dict[str, dict[str, Any]], bundle: dict[str, Any], jwt_credential: str,
                                  checked: Callable[..., VerificationResult]) -> None:
    for name, html in _outputs(issued, bundle, jwt_credential, checked).items():
        assert remote_references(html) == [], name
        page = Page(html)
        assert page.tags("meta")[2] == {"http-equiv": "Content-Security-Policy", "content": CSP}, name
        assert not page.tags("a") and not page.tags("img"), name
        # URLs appear only as text (ids, DIDs, the verify link under the QR code), never as something to load
        for tag, attrs in page.elements:
            assert not any("http" in value for value in attrs.values()), (name, tag, attrs)


def test_markup_in_a_credential_is_shown_as_text(key_of: Callable[[str], Key],
                                                 checked: Callable[..., VerificationResult]) -> None:
    hostile = '<img src="https://evil.example/x.png" onerror="alert(1)"><script>alert(2)</script>'
    credential = sign({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0b7d1a3e-0000-4000-8000-00000000000" + "2",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": {"id": key_of("cbp").did, "name": hostile},
        "name": hostile,
        "credentialSubject": {"id": "did:example:x", "note": hostile, "items": [{"label": hostile, "count": 1}]},
    }, key_of("cbp"), created=CREATED)
    html = render_html(credential, checked(credential))
    assert remote_references(html) == []
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert hostile in Page(html).text  # what the issuer wrote is visible, as text
