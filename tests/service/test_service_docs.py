"""`vctrade serve` for the people who integrate it (issue #17, fix 12): /docs works — Swagger UI served by the service
itself, tried in a real headless Chromium that may fetch nothing from elsewhere —, the OpenAPI document has request and
response schemas and a bearer security scheme, and every request leaves one access-log line: no body, no token, no
query string."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest


SECRET_TOKEN = "t-very-secret-9f2c"
SHOTS = Path("/tmp/s17/shots")


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("service")
    config = (fixtures_dir / "service/service.toml").read_text().replace("../keys/", str(fixtures_dir / "keys") + "/")
    (folder / "service.toml").write_text(config)
    return folder / "service.toml"


@pytest.fixture(scope="module")
def spec(served: tuple[str, subprocess.Popen[str]]) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{served[0]}/openapi.json").json()
    return document


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def test_openapi_has_request_and_response_schemas(spec: dict[str, Any]) -> None:
    issue = spec["paths"]["/credentials/issue"]["post"]
    request = _resolve(spec, issue["requestBody"]["content"]["application/json"]["schema"])
    assert request["required"] == ["credential"] and "options" in request["properties"]
    issued = _resolve(spec, issue["responses"]["201"]["content"]["application/json"]["schema"])
    assert "verifiableCredential" in issued["properties"]
    assert _resolve(spec, issue["responses"]["401"]["content"]["application/json"]["schema"])["required"] == ["error", "code"]
    verify = spec["paths"]["/credentials/verify"]["post"]
    assert set(verify["responses"]) >= {"200", "422", "503"}
    report = _resolve(spec, verify["responses"]["422"]["content"]["application/json"]["schema"])
    assert {"verified", "checks", "results", "errors"} <= set(report["properties"])
    check = _resolve(spec, report["properties"]["checks"]["items"])
    assert check["properties"]["status"]["enum"] == ["passed", "failed", "error"]
    presentation = spec["paths"]["/presentations/verify"]["post"]["requestBody"]["content"]["application/json"]
    assert "challenge" in _resolve(spec, presentation["schema"])["properties"]["options"]["properties"]
    status = spec["paths"]["/credentials/status"]["post"]
    assert _resolve(spec, status["requestBody"]["content"]["application/json"]["schema"])["properties"]["action"]["enum"] \
        == ["revoke", "suspend", "reinstate"]
    every_ref = [value for value in _walk(spec) if isinstance(value, str) and value.startswith("#/components/schemas/")]
    assert every_ref and all(ref.removeprefix("#/components/schemas/") in spec["components"]["schemas"] for ref in every_ref)


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    else:
        yield node


def test_openapi_has_a_bearer_security_scheme_on_what_needs_a_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {**spec["components"]["securitySchemes"]["bearer"],
                                                                "type": "http", "scheme": "bearer"}
    for path in ("/credentials/issue", "/issuers/{name}/credentials/issue", "/credentials/derive", "/credentials/status"):
        assert spec["paths"][path]["post"]["security"] == [{"bearer": []}], path
    for path in ("/credentials/verify", "/presentations/verify"):
        assert "security" not in spec["paths"][path]["post"], path  # verifying is open


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(config_file: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`vctrade serve` itself, its stderr (the access log) kept."""
    yield from _serve(config_file)


@pytest.fixture
def served_alone(config_file: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`vctrade serve` for one test (which may stop it to read its whole log)."""
    yield from _serve(config_file)


def _serve(config_file: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    command = [str(Path(sys.executable).with_name("vctrade")), "serve", "--config", str(config_file), "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, "VCTRADE_API_TOKEN": SECRET_TOKEN},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "vctrade serve did not start"
                time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_docs_are_served_by_the_service(served: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = served
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "swagger-ui" in page.text and "/openapi.json" in page.text
    assert "cdn." not in page.text and "https://" not in page.text  # no resource from elsewhere
    for asset in ("/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"):
        assert httpx.get(f"{base}{asset}").status_code == 200, asset


def _chromium() -> str:
    found = os.environ.get("VCTRADE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: /docs is tested in a real browser. Install it with "
                    "`sh tests/system-packages.sh` (apt-get install -y chromium) or set VCTRADE_CHROMIUM.")
    return found


def test_docs_work_in_a_browser(served: tuple[str, subprocess.Popen[str]], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, _ = served
    elsewhere: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            page = browser.new_page()

            def route(request_route: Any) -> None:
                if urlsplit(request_route.request.url).hostname != "127.0.0.1":
                    elsewhere.append(request_route.request.url)
                    request_route.abort()
                else:
                    request_route.continue_()

            page.route("**/*", route)
            page.goto(f"{base}/docs")
            expect(page.locator(".opblock-summary-path", has_text="/credentials/verify").first).to_be_visible(timeout=15000)
            expect(page.locator("button.authorize")).to_be_visible()  # the bearer security scheme
            page.locator(".opblock-summary-path", has_text="/credentials/issue").first.click()
            body = page.locator(".opblock-body").first
            expect(body).to_contain_text("Request body", timeout=5000)  # the request's schema, as an example
            expect(body).to_contain_text('"mandatoryPointers"')
            expect(body).to_contain_text('"verifiableCredential"')  # the 201 answer's
            page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
            try:
                SHOTS.mkdir(parents=True, exist_ok=True)
                shutil.copy(tmp_path / "docs.png", SHOTS / "docs.png")
            except OSError:
                pass
        finally:
            browser.close()
    assert elsewhere == []


def test_one_access_log_line_per_request_without_bodies_tokens_or_queries(
        served_alone: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = served_alone
    marker = "urn:uuid:access-log-probe-7d1e"
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                  "id": marker, "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme"}}
    issued = httpx.post(f"{base}/credentials/issue", json={"credential": credential},
                        headers={"Authorization": f"Bearer {SECRET_TOKEN}"})
    assert issued.status_code == 201
    refused = httpx.post(f"{base}/credentials/issue", json={"credential": credential},
                         headers={"Authorization": "Bearer wrong-token-3b8a"})
    assert refused.status_code == 401
    verified = httpx.post(f"{base}/credentials/verify?token=query-secret-51c0",
                          json={"verifiableCredential": issued.json()["verifiableCredential"]})
    assert verified.status_code in (200, 503)  # its status list is not published in this trial: 503, undecided
    assert httpx.get(f"{base}/status/absent%0Aforged").status_code == 404
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    lines = [line for line in stderr.splitlines() if '"' in line and "ms" in line]
    wanted = [('"POST /credentials/issue"', " 201 "), ('"POST /credentials/issue"', " 401 "),
              ('"POST /credentials/verify"', f" {verified.status_code} "), ('"GET /status/absent%0Aforged"', " 404 ")]
    for request_line, status in wanted:
        assert sum(request_line in line and status in line for line in lines) == 1, (request_line, lines)
    assert all(line.split(" ", 1)[0].endswith("Z") and " 127.0.0.1 " in line for line in lines), lines
    for secret in (SECRET_TOKEN, "wrong-token-3b8a", "query-secret-51c0", marker, "forged\n"):
        assert secret not in stderr, secret
