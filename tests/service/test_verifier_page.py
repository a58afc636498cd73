"""The verifier page (GET /verify), served by a real uvicorn on 127.0.0.1 and used in a real headless Chromium.

Chromium is Debian's (``chromium`` on PATH, or ``$VCTRADE_CHROMIUM``), driven by Playwright for Python; the tests never
download a browser (tests/system-packages.sh installs the package). Every request the browser makes is intercepted:
one to any host but 127.0.0.1 is refused and fails the test. Screenshots go to the test's tmp_path, with copies of the
good and tampered certificates' in /tmp/s17/shots/ (good.png, tampered.png).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from vctrade import Key, TrustPolicy, issue, verify
from vctrade._result import VerificationResult
from vctrade.service import ServiceConfig
from vctrade.service._verifier_page import PAGE_CSP, RENDERED_CSP, _result_from_report
from vctrade.trade import load_request

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as missing:  # never a silent skip: the page is tested in a browser or the test fails
    raise ImportError("playwright is missing: install the test extra (pip install -e '.[test]')") from missing

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHOTS = Path("/tmp/s17/shots")
NOW = datetime.now(timezone.utc)
MAX_BODY = 200_000


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Documents:
    """The certificate of origin of fixtures/origin/usmca-steel.yaml, issued now by Aceros del Norte."""

    key: Key
    policy: TrustPolicy
    good: dict[str, Any]
    token: str  # the same certificate as a vc+jwt
    sd_jwt: str  # and as an SD-JWT (the exporter's e-mail disclosable)
    tampered: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.tampered = copy.deepcopy(self.good)
        self.tampered["credentialSubject"]["goods"][0]["quantity"] = 4800  # ten times what was certified


@dataclass
class Site:
    url: str
    documents: Documents
    folder: Path


@pytest.fixture(scope="module")
def documents() -> Documents:
    key = Key.load(FIXTURES / "keys" / "aceros-del-norte.jwk")
    request = load_request(FIXTURES / "origin" / "usmca-steel.yaml")
    # a validity window around today, so the certificate is valid whenever the tests run
    request["validFrom"], request["validUntil"] = _stamp(NOW - timedelta(days=1)), _stamp(NOW + timedelta(days=300))
    good = issue(request, key, trade_type="origin").secured
    token = issue(request, key, trade_type="origin", format="jose").secured
    sd_jwt = issue(request, key, trade_type="origin", format="sd-jwt",
                   disclosable=["/credentialSubject/exporterDetails/email"]).secured
    assert isinstance(good, dict) and isinstance(token, str) and isinstance(sd_jwt, str)
    return Documents(key, _policy(key), good, token, sd_jwt)


def _policy(key: Key) -> TrustPolicy:
    return TrustPolicy.from_dict({"name": "Test verifier: steel from Aceros del Norte",
                                  "issuer": [{"types": ["CertificateOfOrigin"], "dids": [key.did]}]})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, documents: Documents,
         service_server: Callable[[ServiceConfig], Any]) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("verifier-page")
    Key.generate("Ed25519").save(folder / "issuer.jwk")
    (folder / "policy.toml").write_text(f"""
name = "Test verifier: steel from Aceros del Norte"

[[issuer]]
types = ["CertificateOfOrigin"]
dids = ["{documents.key.did}"]
""", encoding="utf-8")
    (folder / "service.toml").write_text(f"""
[server]
max_body_bytes = {MAX_BODY}
policy = "policy.toml"

[[issuer]]
name = "test"
key = "issuer.jwk"
""", encoding="utf-8")
    with service_server(ServiceConfig.load(folder / "service.toml")) as server:
        yield Site(server.url(""), documents, folder)


# ---------------------------------------------------------------------------------------------------------- browser

def _chromium() -> str:
    found = os.environ.get("VCTRADE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: the verifier page is tested in a real browser. Install it with "
                    "`sh tests/system-packages.sh` (apt-get install -y chromium) or set VCTRADE_CHROMIUM.")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    with sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=executable, headless=True)
        except Exception as exc:  # noqa: BLE001 - the message says which browser and why
            pytest.fail(f"Chromium ({executable}) did not start under Playwright: {exc}")
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page in its own browser context: every request outside 127.0.0.1 refused and recorded, console kept."""

    page: Any
    site: Site
    foreign: list[str]
    console: list[str]

    def open(self, path: str = "/verify") -> Any:
        response = self.page.goto(self.site.url + path)
        assert response is not None
        return response

    def paste_and_verify(self, text: str) -> None:
        self.page.fill("#document", text)
        self.page.click("#verify")

    def verdict(self) -> Any:
        return self.page.locator("#verdict")

    def shot(self, path: Path, copy_as: str | None = None) -> None:
        """A full-page screenshot; Chromium paints a sandboxed frame only once it has been in view."""
        if self.page.locator("#rendered").count():
            self.page.locator("#rendered").scroll_into_view_if_needed()
        self.page.screenshot(path=str(path), full_page=True)
        if copy_as is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SHOTS / copy_as)


def _guard(context: Any, foreign: list[str]) -> None:
    """Refuse (and record) every request of ``context`` to a host other than 127.0.0.1."""
    def guard(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            foreign.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    foreign: list[str] = []
    console: list[str] = []

    _guard(context, foreign)
    page = context.new_page()
    def log(message: Any) -> None:
        # an HTTP error status is asserted by the tests that provoke it; anything else (a CSP violation, a script
        # error) is a failure
        if message.type in ("error", "warning") and not message.text.startswith("Failed to load resource: the server"):
            console.append(f"{message.type}: {message.text}")

    page.on("console", log)
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    def dialog(opened: Any) -> None:  # an alert() would mean script ran where none may
        console.append(f"dialog: {opened.message}")
        opened.dismiss()

    page.on("dialog", dialog)
    try:
        yield Tab(page, site, foreign, console)
    finally:
        context.close()
    assert not foreign, f"the page made requests outside 127.0.0.1: {foreign}"
    assert not console, f"the page logged errors (a CSP violation, a script error): {console}"


def _expected_failure(documents: Documents, document: dict[str, Any]) -> str:
    """The name of the first failed check, as the library's own verify (with the same policy) finds it."""
    result = verify(document, policy=documents.policy)
    assert not result.verified
    return next(check.name for check in result.all_checks() if check.status == "failed")


def _document_frame_text(tab: Tab) -> str:
    return str(tab.page.frame_locator("#rendered").locator("body").inner_text())


# --------------------------------------------------------------------------------------------------- browser tests

def test_the_page_loads_with_its_own_assets_only_and_shows_the_policy(tab: Tab) -> None:
    response = tab.open()
    assert response.status == 200
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert "default-src 'self'" in PAGE_CSP and "'unsafe-inline'" not in PAGE_CSP.split("script-src")[1].split(";")[0]
    # the script ran (it is a static file: the policy allows no inline script)
    tab.page.click("#verify")
    expect(tab.page.locator("#request-error")).to_contain_text("Paste a credential")
    policy = tab.page.locator("#policy")
    expect(policy).to_contain_text("Test verifier: steel from Aceros del Norte")
    expect(policy.locator('[data-rule="policy.trusted-issuer"]')).to_contain_text(tab.site.documents.key.did)
    expect(policy.locator('[data-rule="policy.trusted-issuer"]')).to_contain_text("CertificateOfOrigin")
    assert tab.page.locator("script:not([src])").count() == 0


def test_a_good_certificate_pasted_is_verified_with_every_check(tab: Tab, tmp_path: Path) -> None:
    documents = tab.site.documents
    tab.open()
    tab.paste_and_verify(json.dumps(documents.good, indent=2))
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")
    expect(tab.verdict().locator(".verdict-word")).to_have_text("VERIFIED")
    expected = verify(documents.good, policy=documents.policy)
    assert expected.verified
    rows = tab.page.locator("#checks tr.check")
    assert rows.count() == len(expected.all_checks())
    for check in expected.all_checks():
        row = tab.page.locator(f'#checks tr.check[data-check="{check.name}"]')
        expect(row).to_have_class("check passed")
    expect(tab.page.locator("#checks")).to_contain_text("policy Test verifier: steel from Aceros del Norte")
    # the document, rendered, in a frame that can run no script
    frame = tab.page.locator("iframe#rendered")
    assert frame.get_attribute("sandbox") == ""
    assert "Aceros del Norte" in _document_frame_text(tab)
    assert "VERIFIED" in _document_frame_text(tab)
    tab.shot(tmp_path / "good.png", "good.png")


def test_a_tampered_certificate_is_not_verified_and_names_the_failing_check(tab: Tab, tmp_path: Path) -> None:
    documents = tab.site.documents
    failing = _expected_failure(documents, documents.tampered)
    tab.open()
    tab.paste_and_verify(json.dumps(documents.tampered, indent=2))
    expect(tab.verdict()).to_have_attribute("data-outcome", "not-verified")
    expect(tab.verdict().locator(".verdict-word")).to_have_text("NOT VERIFIED")
    expect(tab.verdict().locator(".check-name")).to_have_text(failing)
    expect(tab.page.locator(f'#checks tr.check[data-check="{failing}"]')).to_have_class("check failed")
    assert "NOT VERIFIED" in _document_frame_text(tab)
    tab.shot(tmp_path / "tampered.png", "tampered.png")


def test_a_certificate_file_uploaded_is_verified(tab: Tab, tmp_path: Path) -> None:
    path = tmp_path / "coo.json"
    path.write_text(json.dumps(tab.site.documents.good), encoding="utf-8")
    tab.open()
    tab.page.set_input_files("#file", str(path))  # the page verifies a file as soon as it is chosen
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")
    assert json.loads(tab.page.input_value("#document")) == tab.site.documents.good
    tab.shot(tmp_path / "uploaded.png")


def test_a_vc_jwt_pasted_is_verified(tab: Tab, tmp_path: Path) -> None:
    tab.open()
    token = tab.site.documents.token
    tab.paste_and_verify(token[:80] + "\n" + token[80:] + "\n")  # a line break from the paste is no harm
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")
    expect(tab.page.locator('#checks tr.check[data-check="structure"]')).to_have_class("check passed")
    assert "Aceros del Norte" in _document_frame_text(tab)
    tab.shot(tmp_path / "vc-jwt.png")


def test_a_shipment_bundle_is_verified_with_the_challenge_and_domain_given(tab: Tab, tmp_path: Path) -> None:
    from vctrade import present

    bundle = present([tab.site.documents.good], Key.generate("Ed25519"), challenge="steel-42", domain="cbp.example")
    tab.open()
    tab.page.click("details.options summary")
    tab.page.fill("#challenge", "steel-42")
    tab.page.fill("#domain", "cbp.example")
    tab.paste_and_verify(json.dumps(bundle))
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")
    credential = tab.site.documents.good["id"]
    expect(tab.page.locator("#checks tr.group").first).to_contain_text(f"credential {credential}")
    assert tab.page.locator("#checks tr.check").count() == len(
        verify(bundle, challenge="steel-42", domain="cbp.example", policy=tab.site.documents.policy).all_checks())
    tab.page.fill("#challenge", "an-old-one")
    tab.page.click("#verify")
    expect(tab.verdict()).to_have_attribute("data-outcome", "not-verified")
    tab.shot(tmp_path / "bundle-replayed.png")


def test_a_qr_link_with_a_token_opens_the_certificate_verified(tab: Tab, tmp_path: Path) -> None:
    response = tab.open(f"/verify?t={tab.site.documents.token}")
    assert response.status == 200 and response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")  # rendered by the service: no click
    assert tab.page.input_value("#document") == tab.site.documents.token
    assert "Aceros del Norte" in _document_frame_text(tab)
    tab.shot(tmp_path / "qr-link.png")


def test_a_link_with_a_base64url_json_certificate_is_verified_and_a_tampered_one_is_not(tab: Tab) -> None:
    documents = tab.site.documents
    for document, outcome in ((documents.good, "verified"), (documents.tampered, "not-verified")):
        encoded = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
        assert tab.open(f"/verify?c={encoded}").status == 200
        expect(tab.verdict()).to_have_attribute("data-outcome", outcome)


def test_a_bad_link_is_explained_on_the_page(tab: Tab) -> None:
    response = tab.open("/verify?c=not*base64")
    assert response.status == 400
    expect(tab.page.locator("#request-error")).to_contain_text("base64url")


def test_markup_in_a_document_is_text_on_the_page_never_markup(tab: Tab) -> None:
    hostile = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
               "id": '"><img src=/x onerror="window.pwned=1"><script>window.pwned=2</script>',
               "issuer": "did:example:<b>bold</b>", "credentialSubject": {"id": "did:example:x"}}
    tab.open()
    tab.paste_and_verify(json.dumps(hostile))
    expect(tab.verdict()).to_have_attribute("data-outcome", "not-verified")
    assert tab.page.evaluate("window.pwned") is None
    assert tab.page.locator("#result img, #result script, #result b").count() == 0


def test_script_in_a_rendered_document_never_runs_and_fetches_nothing(tab: Tab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever HTML the renderer gives (a hostile template that got through, a bug), the frame runs no script."""
    import vctrade.render

    hostile = ('<!DOCTYPE html><html><body><p id="shown">certificate</p>'
               '<script>parent.document.title = "pwned"; document.getElementById("shown").textContent = "ran"</script>'
               '<img src="https://tracker.example/pixel.png"></body></html>')
    monkeypatch.setattr(vctrade.render, "render_html", lambda *args, **kwargs: hostile)
    tab.open()
    tab.paste_and_verify(json.dumps(tab.site.documents.good))
    expect(tab.verdict()).to_have_attribute("data-outcome", "verified")
    expect(tab.page.frame_locator("#rendered").locator("#shown")).to_have_text("certificate")
    assert tab.page.title() == "Verify a credential — vctrade"
    # Chromium says why: the sandbox (no allow-scripts) and the page's policy (no remote image)
    assert any("sandboxed" in line and "allow-scripts" in line for line in tab.console), tab.console
    assert any("tracker.example" in line and "Content Security Policy" in line for line in tab.console), tab.console
    tab.console.clear()  # these, and only these, were expected


def test_the_guard_refuses_and_records_other_hosts(browser: Any) -> None:
    """The interception every browser test relies on does catch a request outside 127.0.0.1."""
    context = browser.new_context()
    foreign: list[str] = []
    _guard(context, foreign)
    try:
        with pytest.raises(Exception, match="ERR_FAILED"):
            context.new_page().goto("http://example.com/")
    finally:
        context.close()
    assert foreign == ["http://example.com/"]


# ------------------------------------------------------------------------------------------------------ HTTP tests

def test_render_returns_the_rendered_page_sandboxed_by_its_csp(site: Site) -> None:
    answer = httpx.post(site.url + "/verify/render", json={"document": site.documents.good})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == RENDERED_CSP and "sandbox" in RENDERED_CSP
    assert answer.headers["vctrade-outcome"] == "verified"
    assert "Aceros del Norte" in answer.text


def test_render_as_json_carries_the_verdict_the_checks_and_the_page(site: Site) -> None:
    documents = site.documents
    for document, verified in ((documents.good, True), (json.dumps(documents.tampered), False),
                               (documents.token, True), (documents.sd_jwt, True), (json.dumps(documents.token), True)):
        answer = httpx.post(site.url + "/verify/render", json={"document": document},
                            headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["verified"] is verified and body["outcome"] == ("verified" if verified else "not-verified")
        assert body["result"]["checks"] and "<iframe" in body["summary"] and body["html"].lstrip().startswith("<")
        assert all(check["code"] != "wrong_document_type" for check in body["result"]["checks"])
        assert "Aceros del Norte" in body["html"]


def test_a_presentation_is_verified_with_its_challenge_and_domain(site: Site) -> None:
    from vctrade import present

    holder = Key.generate("Ed25519")
    presentation = present([site.documents.good], holder, challenge="steel-42", domain="cbp.example")
    for challenge, verified in (("steel-42", True), ("replayed", False)):
        answer = httpx.post(site.url + "/verify/render", headers={"Accept": "application/json"},
                            json={"document": presentation, "challenge": challenge, "domain": "cbp.example"})
        body = answer.json()
        assert body["result"]["type"] == "presentation" and body["verified"] is verified, body["result"]
        assert all(check["code"] != "wrong_document_type" for check in body["result"]["checks"])


@pytest.mark.parametrize(("body", "status", "says"), [
    ({}, 400, "document must be"),
    ({"document": "   "}, 400, "empty"),
    ({"document": "[1, 2]"}, 400, "JSON object"),
    ({"document": "{nope"}, 400, "not valid JSON"),
    ({"document": {"type": "x"}, "challenge": 7}, 400, "challenge must be a string"),
    ({"document": {"type": "x"}, "options": {}}, 400, "unknown field"),
    ({"document": "x" * (MAX_BODY + 1)}, 413, "over"),
])
def test_bad_render_requests_are_4xx_with_a_message(site: Site, body: dict[str, Any], status: int, says: str) -> None:
    answer = httpx.post(site.url + "/verify/render", json=body)
    assert answer.status_code == status and says in answer.json()["error"], answer.text


def test_the_body_cap_holds_without_a_content_length(site: Site) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"document": "'
        for _ in range(MAX_BODY // 10_000 + 1):
            yield b"x" * 10_000
        yield b'"}'

    answer = httpx.post(site.url + "/verify/render", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_static_assets_are_served_and_nothing_else(site: Site) -> None:
    for name, kind in (("verify.js", "text/javascript"), ("verify.css", "text/css")):
        answer = httpx.get(site.url + f"/verify/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
        assert "http://" not in answer.text and "https://" not in answer.text  # nothing remote
    for name in ("verify.html", "..%2f_app.py", "nope.js"):
        assert httpx.get(site.url + f"/verify/static/{name}").status_code == 404
    page = httpx.get(site.url + "/verify")
    assert "https://" not in page.text.split("<body>")[0]  # no remote stylesheet, script or font


def test_the_report_read_back_is_the_result(documents: Documents) -> None:
    """The page reads Service.verify's report back into a VerificationResult: nothing may be lost on the way."""
    from vctrade import present

    presentation = present([documents.good], Key.generate("Ed25519"), challenge="c", domain="d")
    result = verify(presentation, challenge="c", domain="d", policy=documents.policy)
    assert result.nested
    assert _result_from_report(result.to_dict()) == result
    tampered = verify(documents.tampered, policy=documents.policy)
    assert _result_from_report(tampered.to_dict() | {"errors": ["…"]}) == tampered
    assert isinstance(_result_from_report(result.to_dict()), VerificationResult)
