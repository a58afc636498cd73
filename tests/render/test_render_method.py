"""renderMethod (RenderTemplate2024): an issuer's template is used only when it is in the credential or given, and its
digest matches; never fetched; rendered in a sandbox; its HTML sanitized (no script, handlers or remote resources)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, VerificationResult, sign
from vctrade._encoding import multibase_encode
from vctrade.errors import InputError
from vctrade.render import render_html, sanitize
from vctrade.trade import build_aeo_credential, load_request

from ._page import Page, remote_references

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
# The render method's terms, defined inline (the trade context has no @vocab: an undefined term would not be signed).
RENDER_CONTEXT = {"rm": "https://www.w3.org/2018/credentials#renderMethod#", "template": "rm:template",
                  "url": "rm:url", "mediaQuery": "rm:mediaQuery", "RenderTemplate2024": "rm:RenderTemplate2024"}
TEMPLATE = ('<section style="border: 2px solid #003366; padding: 8px"><h1 style="color: #003366">'
            "{{ credentialSubject.legalName }}</h1><p>C-TPAT tier {{ credentialSubject.tier }}, account "
            "{{ credentialSubject.ctpatAccountNumber }}</p>"
            "<ul>{% for key, value in credentialSubject.address.items() %}<li>{{ value }}</li>{% endfor %}</ul>"
            "</section>")
HOSTILE = (
    '<script>alert("x")</script><p onclick="steal()">Certificate of {{ credentialSubject.legalName }}</p>'
    '<img src="https://evil.example/track.png" onerror="steal()" alt="tracker">'
    '<img src="//evil.example/protocol-relative.png"><img srcset="https://evil.example/a.png 2x">'
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo">'
    '<a href="https://evil.example/phish">verify here</a><a href="javascript:steal()">js</a><a href="#top">top</a>'
    '<link rel="stylesheet" href="https://evil.example/x.css"><style>@import url(https://evil.example/y.css)</style>'
    '<div style="background: url(https://evil.example/bg.png); color: red">bg</div>'
    '<div style="position: fixed; top: 0; left: 0; z-index: 99; background-color: green">VERIFIED</div>'
    '<iframe src="https://evil.example/frame"></iframe><form action="https://evil.example/post"><input name="q"></form>'
    '<svg><image href="https://evil.example/svg.png"/></svg><object data="https://evil.example/o"></object>'
    '<q cite="https://evil.example/cite">quote</q><meta http-equiv="refresh" content="0;url=https://evil.example">'
)


def _multihash(text: str | bytes, base: str = "z") -> str:
    data = text.encode() if isinstance(text, str) else text
    return multibase_encode(b"\x12\x20" + hashlib.sha256(data).digest(), base)


def _sri(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.fixture(scope="module")
def with_method(fixtures_dir: Path, key_of: Callable[[str], Key]) -> Callable[..., dict[str, Any]]:
    """``with_method(method, status=None, **subject)``: the C-TPAT certification carrying ``method`` as its
    renderMethod (and ``status`` as its credentialStatus), with ``subject`` fields changed, signed."""

    def make(method: dict[str, Any], status: dict[str, Any] | None = None, **subject: Any) -> dict[str, Any]:
        request = load_request(fixtures_dir / "aeo" / "acme-ctpat.yaml")
        request["subject"].update(subject)
        credential = build_aeo_credential(request, key_of("cbp").did, credential_status=status)
        credential["@context"].append(RENDER_CONTEXT)
        credential["renderMethod"] = [{"type": "RenderTemplate2024", "mediaType": "text/html", **method}]
        return sign(credential, key_of("cbp"), created=CREATED)

    return make


def _issuer_layout(html: str) -> str:
    found = re.search(r'<div class="content">(.*?)</div>\s*</div>\s*(?:<div class="notes">|<h2>)', html, re.DOTALL)
    assert found, "no issuer layout on the page"
    return found.group(1)


@pytest.mark.parametrize("digest", [
    {"digestMultibase": _multihash(TEMPLATE, "z")},
    {"digestMultibase": _multihash(TEMPLATE, "u")},
    {"digestSRI": _sri(TEMPLATE)},
    {"digestMultibase": _multihash(TEMPLATE), "digestSRI": _sri(TEMPLATE)},
])
def test_a_template_in_the_credential_whose_digest_matches_is_used(
        digest: dict[str, str], with_method: Callable[..., dict[str, Any]],
        checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    credential = with_method({"name": "CBP certificate", "template": TEMPLATE, **digest})
    result = checked(credential)
    assert result.verified, result.failures
    html = render_html(credential, result, now=render_now)
    page = Page(html)
    layout = _issuer_layout(html)
    assert '<h1 style="color:#003366">ACME Steel Imports Inc.</h1>' in layout.replace("color: #", "color:#")
    assert "C-TPAT tier Validated, account 64311" in layout and "<li>Houston</li>" in layout
    assert "Layout supplied by the issuer (renderMethod[0] “CBP certificate”; its digest matches)" in page.text
    assert page.verdict == "verified" and page.with_class("issuer-layout")
    assert not page.with_class("certificate")  # the issuer's layout replaces vctrade's
    assert remote_references(html) == []


def test_a_template_that_does_not_match_its_digest_is_not_used(with_method: Callable[..., dict[str, Any]],
                                                                checked: Callable[..., VerificationResult],
                                                                render_now: datetime) -> None:
    credential = with_method({"template": TEMPLATE, "digestMultibase": _multihash(TEMPLATE + " ")})
    page = Page(render_html(credential, checked(credential), now=render_now))
    assert page.with_class("layout-aeo") and not page.with_class("issuer-layout")
    assert "renderMethod[0]: the template it carries does not match its digest; it is not used" in page.text
    assert page.with_class("warning")


def test_a_template_without_a_digest_is_not_used(with_method: Callable[..., dict[str, Any]],
                                                 checked: Callable[..., VerificationResult]) -> None:
    credential = with_method({"template": TEMPLATE})
    page = Page(render_html(credential, checked(credential)))
    assert page.with_class("layout-aeo")
    assert "renderMethod[0] declares no digest (digestMultibase or digestSRI), so its template is not used" in page.text


def test_a_referenced_template_is_never_fetched_but_used_when_given(
        with_method: Callable[..., dict[str, Any]], checked: Callable[..., VerificationResult],
        render_now: datetime) -> None:
    credential = with_method({"url": "https://templates.cbp.example/ctpat.html", "digestSRI": _sri(TEMPLATE)})
    result = checked(credential)
    page = Page(render_html(credential, result, now=render_now))
    assert page.with_class("layout-aeo")
    assert ("renderMethod[0] names the template https://templates.cbp.example/ctpat.html; vctrade never fetches "
            "templates") in page.text
    given = render_html(credential, result, now=render_now, template=TEMPLATE.encode())
    assert "ACME Steel Imports Inc.</h1>" in _issuer_layout(given)
    with pytest.raises(InputError, match=r"^the template given \(sha256-.*\) does not match the digest of any render "
                                         r"method the document names; it is not used$"):
        render_html(credential, result, template=b"<p>another template</p>")


def test_a_template_given_for_a_credential_without_render_method_is_refused(
        issued: dict[str, dict[str, Any]], checked: Callable[..., VerificationResult]) -> None:
    with pytest.raises(InputError, match="names no render method"):
        render_html(issued["aeo"], checked(issued["aeo"]), template=TEMPLATE.encode())


def test_the_issuers_template_is_not_used_when_the_credential_does_not_verify(
        with_method: Callable[..., dict[str, Any]], checked: Callable[..., VerificationResult]) -> None:
    credential = copy.deepcopy(with_method({"template": TEMPLATE, "digestMultibase": _multihash(TEMPLATE)}))
    credential["credentialSubject"]["tier"] = "Exceeding"
    page = Page(render_html(credential, checked(credential)))
    assert page.verdict == "failed" and page.with_class("layout-aeo") and not page.with_class("issuer-layout")
    assert "the issuer's layout is not used because the credential is not verified" in page.text


def test_the_issuers_template_is_not_used_when_the_verdict_is_undecided(
        with_method: Callable[..., dict[str, Any]], checked: Callable[..., VerificationResult]) -> None:
    from vctrade.status import StatusFiles

    status = {"id": "https://status.cbp.example/1#7", "type": "BitstringStatusListEntry",
              "statusPurpose": "revocation", "statusListIndex": "7",
              "statusListCredential": "https://status.cbp.example/1"}
    credential = with_method({"template": TEMPLATE, "digestMultibase": _multihash(TEMPLATE)}, status=status)
    result = checked(credential, status_source=StatusFiles({}))  # the status list cannot be had offline
    assert result.undecided
    page = Page(render_html(credential, result))
    assert page.verdict == "undecided" and not page.with_class("issuer-layout") and page.with_class("certificate")
    assert "the issuer's layout is not used because the credential is not verified" in page.text


def test_a_hostile_template_is_sanitized(with_method: Callable[..., dict[str, Any]],
                                         checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    credential = with_method({"template": HOSTILE, "digestMultibase": _multihash(HOSTILE)},
                             legalName='ACME <img src=x onerror="alert(1)"> Imports')
    result = checked(credential)
    assert result.verified, result.failures
    html = render_html(credential, result, now=render_now)
    layout = _issuer_layout(html)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", layout)  # no event handler on any element
    assert "<script" not in layout and "alert(\"x\")" not in layout
    for gone in ("evil.example", "<link", "<style", "@import", "<iframe",
                 "<form", "<input", "<svg", "<object", "javascript:", "position", "z-index", "<meta", "srcset"):
        assert gone not in layout, gone
    assert 'Certificate of ACME &lt;img src=x onerror="alert(1)"&gt; Imports' in layout  # the data is text
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo">' in layout
    assert '<a href="#top">top</a>' in layout and "<a>verify here</a>" in layout
    assert "background-color:green" in layout.replace(" ", "")  # harmless styles stay, inside the frame
    assert remote_references(html) == []
    assert Page(html).verdict == "verified"  # vctrade's band, above the issuer's frame, is the verdict


def test_sanitize_alone_keeps_only_inert_markup() -> None:
    cleaned = sanitize('<p style="color: red; position: absolute">x</p><img src="http://a/b.png">'
                       '<img src="data:text/html;base64,PHNjcmlwdD4=">')
    assert cleaned == '<p style="color:red">x</p><img><img>'


@pytest.mark.parametrize(("template", "reason"), [
    ('{{ "x" * 100000000 }}', "the operator * is allowed on numbers only"),
    ('{{ "%0999999999d" % 1 }}', "the operator % is allowed on numbers only"),
    ("{{ credentialSubject.legalName.ljust(1000000000) }}", "is not safely callable"),
    ("{{ range(10) }}", "not safely callable"),
    ("{{ credentialSubject.__class__.__mro__ }}", "access to attribute '__class__' of 'dict' object is unsafe"),
    ("{% for a in type %}{% for b in type %}{% for c in type %}{% for d in credentialSubject.legalName * 1 %}"
     "{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "allowed on numbers only"),
    ("{% for a in '" + "x" * 400 + "' %}{% for b in '" + "x" * 400 + "' %}{% for c in '" + "x" * 400 + "' %}"
     "{% endfor %}{% endfor %}{% endfor %}", "took more than 1 s"),
    ("{% include 'page.html.j2' %}", "the template failed"),
    ("{{#each credentialSubject}}{{name}}{{/each}}", "the template is not valid"),
])
def test_the_sandbox_refuses_what_could_hang_or_escape(template: str, reason: str,
                                                        with_method: Callable[..., dict[str, Any]],
                                                        checked: Callable[..., VerificationResult]) -> None:
    credential = with_method({"template": template, "digestMultibase": _multihash(template)})
    html = render_html(credential, checked(credential))
    page = Page(html)
    assert not page.with_class("issuer-layout") and page.with_class("certificate")  # vctrade's layout instead
    assert "the issuer's template cannot be used" in page.text and reason in page.text


def test_the_cli_uses_a_matching_template_and_refuses_another(
        tmp_path: Path, with_method: Callable[..., dict[str, Any]],
        run_cli: Callable[..., Any]) -> None:
    credential = with_method({"url": "https://templates.cbp.example/ctpat.html", "digestMultibase": _multihash(TEMPLATE)})
    source = tmp_path / "ctpat.json"
    source.write_text(json.dumps(credential))
    (tmp_path / "ctpat.html").write_text(TEMPLATE)
    (tmp_path / "other.html").write_text("<p>other</p>")
    done = run_cli("render", str(source), "--template", str(tmp_path / "ctpat.html"), "-o", str(tmp_path / "out.html"),
                   "--now", "2026-11-13T00:00:00Z")
    assert done.returncode == 0, done.stderr
    assert "ACME Steel Imports Inc.</h1>" in (tmp_path / "out.html").read_text()
    refused = run_cli("render", str(source), "--template", str(tmp_path / "other.html"), "-o",
                      str(tmp_path / "no.html"), "--now", "2026-11-13T00:00:00Z")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: the template given (sha256-")
    assert "does not match the digest of any render method" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "no.html").exists()
