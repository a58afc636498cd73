"""The VC API service, started for real on 127.0.0.1 and spoken to over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key
from vctrade.status import Registry
from vctrade.errors import ConfigError
from vctrade.service import ServiceConfig
from vctrade.jose import encode_jws

TOKEN = "test-token-7c1f"
SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory,
          service_server: Callable[[ServiceConfig], Any]) -> Iterator[tuple[Any, Path, Key]]:
    folder = tmp_path_factory.mktemp("service")
    keys = {"ed": Key.generate("Ed25519"), "p256": Key.generate("P-256"), "oauth": Key.generate("P-256"),
            "revocable": Key.generate("Ed25519")}
    for name, key in keys.items():
        key.save(folder / f"{name}.jwk")
    (folder / "jwks.json").write_text(json.dumps({"keys": [keys["oauth"].to_jwk()]}))
    issuers = "\n".join(
        f'[[issuer]]\nname = "{suite}"\nkey = "{"ed" if suite.startswith("eddsa") else "p256"}.jwk"\nsuite = "{suite}"\n'
        + ('default = true\n' if suite == "eddsa-rdfc-2022" else "")
        for suite in SUITES
    )
    (folder / "service.toml").write_text(f"""
[server]
max_body_bytes = 200000
registry = "registry.sqlite"
status_site = "site"

[auth]
tokens = ["{TOKEN}"]

[auth.oauth2]
issuer = "https://auth.example"
audience = "vctrade"
jwks = "jwks.json"

{issuers}
[[issuer]]
name = "jose"
key = "ed.jwk"
format = "jose"

[[issuer]]
name = "revocable"    # its own key: the status lists it keeps do not touch the other issuers' credentials
key = "revocable.jwk"
""")
    config = ServiceConfig.load(folder / "service.toml")
    with service_server(config) as server:
        yield server, folder, keys["oauth"]


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credential() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme", "tier": "Validated"}}


@pytest.mark.parametrize("suite", SUITES)
def test_issue_with_each_suite_then_verify(setup: Any, suite: str) -> None:
    server, _, _ = setup
    issued = httpx.post(server.url(f"/issuers/{suite}/credentials/issue"), json={"credential": credential(), "options": {}}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == suite and "credentialStatus" not in vc  # no status list configured yet
    verified = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": vc, "options": {}})
    assert verified.status_code == 200 and verified.json()["verified"] is True
    vc["credentialSubject"]["tier"] = "Exceeding"
    rejected = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": vc})
    assert rejected.status_code == 422 and rejected.json()["verified"] is False and rejected.json()["errors"]


def test_jose_issuer_and_issuer_by_option(setup: Any) -> None:
    server, _, _ = setup
    issued = httpx.post(server.url("/credentials/issue"), json={"credential": credential(), "options": {"issuer": "jose"}}, headers=auth())
    envelope = issued.json()["verifiableCredential"]
    assert issued.status_code == 201 and envelope["type"] == "EnvelopedVerifiableCredential"
    verified = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": envelope})
    assert verified.status_code == 200, verified.text
    unknown = httpx.post(server.url("/credentials/issue"), json={"credential": credential(), "options": {"issuer": "nope"}}, headers=auth())
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_issuer"


def test_w3c_suite_vc11_with_data_integrity_v2_verifies(setup: Any, load_json: Callable[[Path], Any], vectors: Path) -> None:
    server, _, _ = setup
    document = load_json(vectors / "data-integrity-proof-chains/eddsa-rdfc-2022/1.1-previousProofStringOk-SimpleSigned2.json")
    response = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": document})
    assert response.status_code == 200, response.text


def test_issue_and_status_need_a_token(setup: Any) -> None:
    server, _, _ = setup
    body = {"credential": credential()}
    assert httpx.post(server.url("/credentials/issue"), json=body).status_code == 401
    assert httpx.post(server.url("/credentials/issue"), json=body, headers=auth("wrong")).status_code == 401
    assert httpx.post(server.url("/credentials/status"), json={"credentialId": "x", "action": "revoke"}).status_code == 401


def test_oauth2_access_tokens(setup: Any) -> None:
    server, _, oauth_key = setup
    claims = {"iss": "https://auth.example", "aud": "vctrade", "exp": int(time.time()) + 300, "sub": "broker-1"}
    token = encode_jws({"typ": "at+jwt"}, claims, oauth_key)
    ok = httpx.post(server.url("/credentials/issue"), json={"credential": credential()}, headers=auth(token))
    assert ok.status_code == 201
    # exp gets verification's 5-minute clock skew: expired means more than 5 minutes ago.
    for bad in ({**claims, "exp": int(time.time()) - 400}, {**claims, "aud": "other"}, {**claims, "iss": "https://evil"}):
        refused = httpx.post(server.url("/credentials/issue"), json={"credential": credential()},
                             headers=auth(encode_jws({"typ": "at+jwt"}, bad, oauth_key)))
        assert refused.status_code == 401
    forged = encode_jws({"typ": "at+jwt"}, claims, Key.generate("P-256"))
    assert httpx.post(server.url("/credentials/issue"), json={"credential": credential()}, headers=auth(forged)).status_code == 401


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [(b"{not json", 400, "malformed_json"), (b"[1, 2]", 400, "invalid_request"), (b'{"verifiableCredential": 5}', 400, "invalid_request"),
     (b"{" + b" " * 300_000 + b"}", 413, "too_large")],
)
def test_bad_bodies(setup: Any, content: bytes, status: int, code: str) -> None:
    server, _, _ = setup
    response = httpx.post(server.url("/credentials/verify"), content=content, headers={"content-type": "application/json"})
    assert response.status_code == status and response.json()["code"] == code
    assert "Traceback" not in response.text


def test_issue_refuses_another_issuer_and_bad_credentials(setup: Any) -> None:
    server, _, _ = setup
    other = credential() | {"issuer": "did:example:someone-else"}
    assert httpx.post(server.url("/credentials/issue"), json={"credential": other}, headers=auth()).status_code == 422
    broken = {"credential": {"type": ["VerifiableCredential"]}}
    response = httpx.post(server.url("/credentials/issue"), json=broken, headers=auth())
    assert response.status_code == 422 and "@context" in response.json()["error"]


def test_presentation_verify_with_challenge(setup: Any) -> None:
    server, _, _ = setup
    from vctrade import sign
    from vctrade import present

    issuer, holder = Key.generate(), Key.generate()
    vp = present([sign(credential(), issuer)], holder, challenge="c-1", domain="cbp.example")
    ok = httpx.post(server.url("/presentations/verify"), json={"verifiablePresentation": vp, "options": {"challenge": "c-1", "domain": "cbp.example"}})
    assert ok.status_code == 200, ok.text
    replay = httpx.post(server.url("/presentations/verify"), json={"verifiablePresentation": vp, "options": {"challenge": "c-2"}})
    assert replay.status_code == 422


def test_revocation_through_the_api_and_published_lists(setup: Any) -> None:
    server, folder, _ = setup
    key = Key.load(folder / "revocable.jwk")
    with Registry(folder / "registry.sqlite") as registry:
        if not registry.status_lists(key.did):
            registry.create_list(server.url("/status/1").replace("http://", "https://"), key.did, "revocation",
                                 folder / "revocable.jwk")
    issued = httpx.post(server.url("/issuers/revocable/credentials/issue"), json={"credential": credential()},
                        headers=auth()).json()["verifiableCredential"]
    assert issued["credentialStatus"]["statusPurpose"] == "revocation"
    changed = httpx.post(server.url("/credentials/status"), json={"credentialId": issued["id"], "action": "revoke", "reason": "test"}, headers=auth())
    assert changed.status_code == 200 and changed.json()["status"]["revocation"]["set"] is True
    published = httpx.get(server.url("/status/1"))
    assert published.status_code == 200 and published.json()["type"][1] == "BitstringStatusListCredential"
    again = httpx.post(server.url("/credentials/status"), json={"credentialId": issued["id"], "credentialStatus": [{"status": "revoked"}]}, headers=auth())
    assert again.status_code == 409
    unknown = httpx.post(server.url("/credentials/status"), json={"credentialId": "urn:uuid:none", "action": "revoke"}, headers=auth())
    assert unknown.status_code == 404
    # Status lists are fetched over HTTPS only, so this http:// service's list is undecided: 503, never 200.
    undecided = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": issued})
    assert undecided.status_code == 503
    assert httpx.get(server.url("/status/../service.toml")).status_code == 404


def test_openapi_and_did_document(setup: Any) -> None:
    server, _, _ = setup
    spec = httpx.get(server.url("/openapi.json")).json()
    assert {"/credentials/issue", "/credentials/verify", "/presentations/verify", "/credentials/status"} <= set(spec["paths"])
    assert httpx.get(server.url("/.well-known/did.json")).status_code == 404  # no did:web issuer configured


@pytest.mark.parametrize(
    ("text", "message"),
    [("[oops", "cannot read"), ("[server]\n[unknown]\n", "unknown configuration section"),
     ('[[issuer]]\nname = "x"\n', "needs name and key"), ('[auth]\ntokens = ["env:VCTRADE_NOT_SET_ANYWHERE"]', "not set")],
)
def test_bad_configurations(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        ServiceConfig.load(tmp_path / "s.toml")


def test_vctrade_serve_command(tmp_path: Path, fixtures_dir: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    config = (fixtures_dir / "service/service.toml").read_text().replace("../keys/", str(fixtures_dir / "keys") + "/")
    (tmp_path / "service.toml").write_text(config)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("vctrade")), "serve", "--config", str(tmp_path / "service.toml"), "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, "VCTRADE_API_TOKEN": "t-1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.1)
        assert response.status_code == 200
        issued = httpx.post(f"http://127.0.0.1:{port}/issuers/ecdsa-jcs-2019/credentials/issue",
                            json={"credential": credential()}, headers=auth("t-1"))
        assert issued.status_code == 201 and issued.json()["verifiableCredential"]["proof"]["cryptosuite"] == "ecdsa-jcs-2019"
    finally:
        process.terminate()
        process.wait(timeout=10)
    missing = subprocess.run([*command[:3], str(tmp_path / "absent.toml")], capture_output=True, text=True)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_did_web_issuer_serves_its_document(tmp_path: Path, service_server: Callable[[ServiceConfig], Any]) -> None:
    Key.generate().save(tmp_path / "k.jwk")
    Key.generate("P-256").save(tmp_path / "p.jwk")
    (tmp_path / "s.toml").write_text('[[issuer]]\nname = "key-ed"\nkey = "k.jwk"\ndid = "did:web:issuer.example"\ndefault = true\n'
                                     '[[issuer]]\nname = "key-p256"\nkey = "p.jwk"\ndid = "did:web:issuer.example"\n')
    with service_server(ServiceConfig.load(tmp_path / "s.toml")) as server:
        document = httpx.get(server.url("/.well-known/did.json"))
        assert document.status_code == 200 and document.headers["content-type"].startswith("application/did+json")
        body = document.json()
        assert body["id"] == "did:web:issuer.example"
        assert [m["id"] for m in body["verificationMethod"]] == ["did:web:issuer.example#key-ed", "did:web:issuer.example#key-p256"]
        issued = httpx.post(server.url("/credentials/issue"), json={"credential": credential()}, headers=auth())
        assert issued.status_code == 401  # no tokens configured: issuing is closed, never open by default
