"""The service's own OAuth2 client-credentials token endpoint and the scopes its tokens carry, spoken to over HTTP
on 127.0.0.1 (uvicorn, the app's clock injected): issuance, client authentication, scopes, and the checks every
access token gets where it is used (401 without one or with a bad one, 403 without the scope — before the body)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Depends, Request

from vctrade import Key
from vctrade._encoding import b64url_encode
from vctrade.jose import decode_jws, encode_jws
from vctrade.service import ServiceConfig, server_config
from vctrade.service._oauth import Caller, hash_client_secret, scoped

TOKEN = "static-token-9a4e"
ISSUER = "https://vctrade.test"
SECRET = "verifier-secret-0b6f3c9e1a"
ODD_SECRET = "a secret+with:odd%chars&more"  # sent form-urlencoded, as RFC 6749 §2.3.1 asks
READER_SECRET = "reader-secret-77d1e2f4c8"
VERIFIER_SCOPES = ["issue:credentials", "resolve:dids", "update:credentials"]


class Clock:
    """The app's clock: the real time plus ``offset`` seconds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Setup:
    base: str
    clock: Clock
    signer: Key
    external: Key

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("oauth")
    issuer, signer, external = Key.generate(), Key.generate(), Key.generate("P-256")
    issuer.save(folder / "issuer.jwk")
    signer.save(folder / "signer.jwk")
    (folder / "jwks.json").write_text(json.dumps({"keys": [external.to_jwk()]}))
    (folder / "service.toml").write_text(f"""
[server]
registry = "registry.sqlite"

[auth]
tokens = ["{TOKEN}"]

[auth.oauth2]
issuer = "https://auth.example"
audience = "vctrade"
jwks = "jwks.json"

[auth.token_endpoint]
key = "signer.jwk"
issuer = "{ISSUER}"
audience = "vctrade"
audiences = ["vctrade", "https://partner.example/traceability"]
lifetime_seconds = 300

[[auth.client]]
id = "verifier-org"
secret_hash = "{hash_client_secret(SECRET)}"
scopes = {json.dumps(VERIFIER_SCOPES)}

[[auth.client]]
id = "odd-org"
secret_hash = "{hash_client_secret(ODD_SECRET)}"
scopes = ["resolve:dids"]

[[auth.client]]
id = "reader"
secret_hash = "{hash_client_secret(READER_SECRET)}"
scopes = ["verify:credentials"]

[[issuer]]
name = "customs"
key = "issuer.jwk"
""")
    config = ServiceConfig.load(folder / "service.toml")
    clock = Clock()
    settings = server_config(config, clock=clock, log_level="warning", lifespan="off")
    settings.app.include_router(_profile_like_router(config, clock))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.02)
    try:
        yield Setup(f"http://127.0.0.1:{sock.getsockname()[1]}", clock, signer, external)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _profile_like_router(config: ServiceConfig, clock: Callable[[], float]) -> APIRouter:
    """A route as the profile's are made: ``scoped`` as its dependency, the body read by the handler itself.

    (The dependency is a default value: with postponed annotations an ``Annotated[..., Depends(local)]`` would
    not resolve, and FastAPI would take ``caller`` for a query parameter.)
    """
    router = APIRouter(prefix="/profile")
    needs_resolve = Depends(scoped(config, "resolve:dids", clock=clock))

    @router.post("/identifiers")
    async def identifiers(request: Request, caller: Caller = needs_resolve) -> Any:
        return {"client": caller.client_id, "kind": caller.kind, "scopes": sorted(caller.scopes),
                "body": json.loads(await request.body())}

    return router


def token_request(setup: Setup, *, json_body: bool = False, auth: tuple[str, str] | None = None,
                  headers: dict[str, str] | None = None, **fields: str | None) -> httpx.Response:
    """POST to the token endpoint: ``fields`` (None: left out) over the verifier's defaults, as a form or JSON."""
    defaults: dict[str, str | None] = {"grant_type": "client_credentials", "client_id": "verifier-org",
                                       "client_secret": SECRET}
    body = {k: v for k, v in (defaults | fields).items() if v is not None}
    if json_body:
        return httpx.post(setup.url("/oauth/token"), json=body, auth=auth, headers=headers)
    return httpx.post(setup.url("/oauth/token"), data=body, auth=auth, headers=headers)


def access_token(setup: Setup, **fields: str | None) -> str:
    response = token_request(setup, **fields)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credential() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:acme"}}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "verifier-org", "client_id": "verifier-org", "aud": "vctrade",
            "scope": "issue:credentials", "iat": now, "exp": now + 300, "jti": "j-1"}
    return {name: value for name, value in (base | changes).items() if value is not None}


def issue(setup: Setup, token: str) -> httpx.Response:
    return httpx.post(setup.url("/credentials/issue"), json={"credential": credential()}, headers=bearer(token))


# -- issuance ---------------------------------------------------------------------------------------

def test_a_form_request_gets_a_bearer_access_token(setup: Setup) -> None:
    before = int(time.time())
    response = token_request(setup, audience="vctrade")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["scope"] == " ".join(VERIFIER_SCOPES)  # no scope asked for: all the client's
    decoded = decode_jws(body["access_token"])
    assert decoded.header == {"alg": "EdDSA", "typ": "at+jwt"}
    token_claims = decoded.payload
    assert {k: token_claims[k] for k in ("iss", "sub", "client_id", "aud", "scope")} == {
        "iss": ISSUER, "sub": "verifier-org", "client_id": "verifier-org", "aud": "vctrade", "scope": body["scope"]}
    assert before <= token_claims["iat"] <= int(time.time()) and token_claims["exp"] == token_claims["iat"] + 300
    assert token_claims["jti"] != decode_jws(access_token(setup)).payload["jti"]


def test_a_json_request_gets_a_token(setup: Setup) -> None:
    response = token_request(setup, json_body=True, scope="resolve:dids")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "resolve:dids"


def test_http_basic_client_authentication(setup: Setup) -> None:
    response = token_request(setup, client_id=None, client_secret=None, auth=("verifier-org", SECRET))
    assert response.status_code == 200, response.text
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into Basic.
    basic = base64.b64encode(f"odd-org:{quote_plus(ODD_SECRET)}".encode()).decode()
    response = token_request(setup, client_id=None, client_secret=None, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200 and decode_jws(response.json()["access_token"]).payload["sub"] == "odd-org"
    # the body may name the same client, never authenticate it a second time
    assert token_request(setup, client_secret=None, auth=("verifier-org", SECRET)).status_code == 200
    twice = token_request(setup, auth=("verifier-org", SECRET))
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    other = token_request(setup, client_id="reader", client_secret=None, auth=("verifier-org", SECRET))
    assert other.status_code == 400 and other.json()["error"] == "invalid_request"
    garbled = token_request(setup, client_id=None, client_secret=None, headers={"Authorization": "Basic %%%"})
    assert garbled.status_code == 400 and garbled.json()["error"] == "invalid_request"


def test_a_wrong_secret_and_an_unknown_client_get_the_same_401(setup: Setup) -> None:
    wrong = token_request(setup, client_secret=SECRET + "x")
    unknown = token_request(setup, client_id="nobody-org")
    basic_wrong = token_request(setup, client_id=None, client_secret=None, auth=("verifier-org", "not-it"))
    for response in (wrong, unknown, basic_wrong):
        assert response.status_code == 401, response.text
        assert response.json() == {"error": "invalid_client", "error_description": "client authentication failed"}
        assert response.headers["www-authenticate"].startswith("Basic")
    assert token_request(setup, client_id="reader", client_secret=SECRET).status_code == 401  # another's secret


def test_a_request_without_client_authentication_is_a_401(setup: Setup) -> None:
    for fields in ({"client_secret": None}, {"client_id": None}, {"client_id": ""}):
        response = token_request(setup, **fields)
        assert response.status_code == 401 and response.json()["error"] == "invalid_client", fields


def test_only_the_client_credentials_grant(setup: Setup) -> None:
    for grant in ("password", "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
        response = token_request(setup, grant_type=grant)
        assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type", grant
    missing = token_request(setup, grant_type=None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_a_subset_of_the_clients_scopes(setup: Setup) -> None:
    response = token_request(setup, scope="update:credentials  resolve:dids")
    assert response.status_code == 200 and response.json()["scope"] == "resolve:dids update:credentials"
    assert decode_jws(response.json()["access_token"]).payload["scope"] == "resolve:dids update:credentials"
    # An empty scope asks for none (the interop suite gets its "without the scope" tokens so).
    empty = token_request(setup, scope="")
    assert empty.status_code == 200 and empty.json()["scope"] == ""


@pytest.mark.parametrize("scope", ["verify:credentials", "resolve:dids verify:credentials", "admin", 'a"b'])
def test_a_scope_the_client_may_not_have_is_a_400(setup: Setup, scope: str) -> None:
    response = token_request(setup, scope=scope)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope", response.text
    assert "access_token" not in response.json()


def test_the_audience_is_one_the_service_accepts(setup: Setup) -> None:
    partner = token_request(setup, audience="https://partner.example/traceability")
    assert partner.status_code == 200
    assert decode_jws(partner.json()["access_token"]).payload["aud"] == "https://partner.example/traceability"
    other = token_request(setup, audience="https://elsewhere.example")
    assert other.status_code == 400 and other.json()["error"] == "invalid_request"


@pytest.mark.parametrize(("content", "content_type"), [
    (b"grant_type=client_credentials&grant_type=client_credentials&client_id=verifier-org&client_secret=x",
     "application/x-www-form-urlencoded"),
    (b"grant_type=client_credentials&&client_id", "application/x-www-form-urlencoded"),
    (b"grant_type=client_credentials&client_id=\xff", "application/x-www-form-urlencoded"),
    (b'{"grant_type": "client_credentials", "client_id": ["verifier-org"]}', "application/json"),
    (b"{not json", "application/json"),
    (b"[1]", "application/json"),
    (b"grant_type=client_credentials", "text/plain"),
    (b"&".join(b"f%d=1" % i for i in range(40)), "application/x-www-form-urlencoded"),
])
def test_a_malformed_token_request_is_a_400(setup: Setup, content: bytes, content_type: str) -> None:
    response = httpx.post(setup.url("/oauth/token"), content=content, headers={"content-type": content_type})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text


def test_a_token_request_over_8_kib_is_a_413(setup: Setup) -> None:
    def chunks() -> Iterator[bytes]:  # chunked: no content-length for the middleware to judge
        yield b"grant_type=client_credentials&pad="
        yield b"x" * 9000

    response = httpx.post(setup.url("/oauth/token"), content=chunks(),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and response.json()["error"] == "invalid_request"


# -- the tokens, used -------------------------------------------------------------------------------

def test_a_token_with_the_scope_is_accepted_by_the_vc_api(setup: Setup) -> None:
    issued = issue(setup, access_token(setup, scope="issue:credentials"))
    assert issued.status_code == 201, issued.text
    status = httpx.post(setup.url("/credentials/status"), json={"credentialId": "urn:uuid:x", "action": "revoke"},
                        headers=bearer(access_token(setup, scope="update:credentials")))
    assert status.status_code == 404 and status.json()["code"] == "registry_not_found"  # past the token, to the registry


def test_a_request_without_a_token_is_a_401(setup: Setup) -> None:
    response = httpx.post(setup.url("/credentials/issue"), json={"credential": credential()})
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    profile = httpx.post(setup.url("/profile/identifiers"), json={})
    assert profile.status_code == 401


@pytest.mark.parametrize(("path", "scope"), [("/credentials/issue", "update:credentials"),
                                             ("/credentials/derive", "resolve:dids"),
                                             ("/credentials/status", "issue:credentials")])
def test_a_token_without_the_scope_is_a_403_before_the_body_is_read(setup: Setup, path: str, scope: str) -> None:
    token = access_token(setup, scope=scope)
    response = httpx.post(setup.url(path), content=b"{not json at all", headers=bearer(token))
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden" and "scope" in response.json()["error"]
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


def test_scoped_checks_the_token_and_the_scope_before_the_body(setup: Setup) -> None:
    with_scope = access_token(setup, scope="resolve:dids")
    ok = httpx.post(setup.url("/profile/identifiers"), json={"did": "did:web:example.com"}, headers=bearer(with_scope))
    assert ok.status_code == 200 and ok.json() == {"client": "verifier-org", "kind": "client",
                                                   "scopes": ["resolve:dids"], "body": {"did": "did:web:example.com"}}
    for token in (access_token(setup, scope=""), access_token(setup, client_id="reader", client_secret=READER_SECRET)):
        refused = httpx.post(setup.url("/profile/identifiers"), content=b"{not json", headers=bearer(token))
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    bad = httpx.post(setup.url("/profile/identifiers"), content=b"{not json", headers=bearer("nonsense"))
    assert bad.status_code == 401
    admin = httpx.post(setup.url("/profile/identifiers"), json={}, headers=bearer(TOKEN))  # static: every scope
    assert admin.status_code == 200 and admin.json()["kind"] == "token"


def test_an_external_token_carries_its_scopes_in_its_scope_claim(setup: Setup) -> None:
    external = {"iss": "https://auth.example", "aud": "vctrade", "sub": "partner", "exp": int(time.time()) + 300}
    scoped_token = encode_jws({"typ": "at+jwt"}, external | {"scope": "resolve:dids verify:credentials"}, setup.external)
    ok = httpx.post(setup.url("/profile/identifiers"), json={}, headers=bearer(scoped_token))
    assert ok.status_code == 200 and ok.json()["kind"] == "oauth2" and ok.json()["client"] == "partner"
    unscoped = encode_jws({"typ": "at+jwt"}, external, setup.external)
    assert httpx.post(setup.url("/profile/identifiers"), json={}, headers=bearer(unscoped)).status_code == 403
    assert issue(setup, unscoped).status_code == 201  # the VC API keeps taking them as it always has
    malformed = encode_jws({"typ": "at+jwt"}, external | {"scope": ["resolve:dids"]}, setup.external)
    refused = httpx.post(setup.url("/profile/identifiers"), json={}, headers=bearer(malformed))
    assert refused.status_code == 401 and "scope" in refused.json()["error"]


def test_an_expired_token_is_a_401(setup: Setup) -> None:
    token = access_token(setup, scope="issue:credentials")
    try:
        setup.clock.offset = 300 + 5 * 60 + 5  # past its lifetime and the 5-minute skew
        response = issue(setup, token)
    finally:
        setup.clock.offset = 0
    assert response.status_code == 401 and "expired" in response.json()["error"], response.text
    assert issue(setup, token).status_code == 201


def test_a_token_issued_before_the_clock_moved_back_is_refused(setup: Setup) -> None:
    token = access_token(setup, scope="issue:credentials")
    try:
        setup.clock.offset = -3600  # the token's iat is an hour ahead of the service's now
        response = issue(setup, token)
    finally:
        setup.clock.offset = 0
    assert response.status_code == 401 and "iat" in response.json()["error"]


@pytest.mark.parametrize(("header", "token_claims", "reason"), [
    ({"typ": "at+jwt"}, claims(aud="another-service"), "aud"),
    ({"typ": "at+jwt"}, claims(aud=["another-service"]), "aud"),
    ({"typ": "JWT"}, claims(), "not at+jwt"),
    ({}, claims(), "not at+jwt"),
    ({"typ": "at+jwt", "crit": ["b64"], "b64": True}, claims(), "critical"),
    ({"typ": "at+jwt"}, claims(exp=None), "exp is missing"),
    ({"typ": "at+jwt"}, claims(sub="nobody-org", client_id="nobody-org"), "no configured client"),
    ({"typ": "at+jwt"}, claims(client_id="reader"), "no configured client"),
])
def test_tokens_of_the_endpoint_get_the_jws_and_rfc_9068_checks(
        setup: Setup, header: dict[str, Any], token_claims: dict[str, Any], reason: str) -> None:
    response = issue(setup, encode_jws(header, token_claims, setup.signer))
    assert response.status_code == 401 and reason in response.json()["error"], response.text


def test_the_same_claims_signed_with_the_endpoint_key_pass(setup: Setup) -> None:
    assert issue(setup, encode_jws({"typ": "at+jwt"}, claims(), setup.signer)).status_code == 201


def test_a_token_signed_by_another_key_is_a_401(setup: Setup) -> None:
    for key in (Key.generate(), Key.generate("P-256"), setup.external):
        response = issue(setup, encode_jws({"typ": "at+jwt"}, claims(), key))
        assert response.status_code == 401 and "signature" in response.json()["error"], response.text


def test_alg_none_is_a_401(setup: Setup) -> None:
    def unsigned(header: dict[str, Any]) -> str:
        return f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims()).encode())}."

    for header in ({"alg": "none", "typ": "at+jwt"}, {"alg": "HS256", "typ": "at+jwt"}):
        response = issue(setup, unsigned(header))
        assert response.status_code == 401 and "is not allowed" in response.json()["error"], header


def test_a_tampered_scope_is_a_401(setup: Setup) -> None:
    token = access_token(setup, scope="resolve:dids")
    head, _, signature = token.split(".")
    forged = f"{head}.{b64url_encode(json.dumps(claims(scope='issue:credentials')).encode())}.{signature}"
    assert issue(setup, forged).status_code == 401


def test_scopes_are_narrowed_to_what_the_client_may_have_today(setup: Setup) -> None:
    """A token the endpoint's key signed with scopes its client is not (or no longer) allowed gets none of them."""
    widened = encode_jws({"typ": "at+jwt"}, claims(sub="reader", client_id="reader",
                                                   scope="issue:credentials verify:credentials"), setup.signer)
    response = issue(setup, widened)
    assert response.status_code == 403, response.text
