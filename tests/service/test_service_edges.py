"""The service's edges: bad input is a 4xx with a code (never a 500, never a traceback in the server log), access
tokens get the JWS and RFC 9068 checks, and connections that never finish a request's headers are closed."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key
from vctrade._encoding import b64url_encode
from vctrade.errors import ConfigError
from vctrade.jose import encode_jws
from vctrade.service import ServiceConfig
from vctrade.status import Registry

TOKEN = "edge-token-5d2e"
ISSUER, AUDIENCE = "https://auth.example", "vctrade"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory,
          service_server: Callable[[ServiceConfig], Any]) -> Iterator[tuple[Any, Key, Key]]:
    folder = tmp_path_factory.mktemp("edges")
    issuer, oauth = Key.generate(), Key.generate("P-256")
    issuer.save(folder / "issuer.jwk")
    (folder / "jwks.json").write_text(json.dumps({"keys": [oauth.to_jwk()]}))
    (folder / "service.toml").write_text(f"""
[server]
registry = "registry.sqlite"
status_site = "site"
header_timeout_seconds = 1

[auth]
tokens = ["{TOKEN}"]

[auth.oauth2]
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
jwks = "jwks.json"

[[issuer]]
name = "customs"
key = "issuer.jwk"
""")
    with Registry(folder / "registry.sqlite") as registry:  # the issuer keeps a revocation list
        registry.create_list("https://status.example/status/1", issuer.did, "revocation", folder / "issuer.jwk")
    with service_server(ServiceConfig.load(folder / "service.toml")) as server:
        yield server, issuer, oauth


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs while the test runs; the test ends by checking that no record carries a traceback."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, logger = Keep(), logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    assert not [r.getMessage() for r in records if r.exc_info], "the server logged a traceback"


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credential(**members: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:acme"}, **members}


def test_a_duplicate_credential_id_is_a_409(setup: Any, server_log: list[logging.LogRecord]) -> None:
    server, _, _ = setup
    body = {"credential": credential(id="urn:uuid:6a1f0e4c-5d1e-4c55-9a39-0d8d2f1c0001")}
    first = httpx.post(server.url("/credentials/issue"), json=body, headers=auth())
    assert first.status_code == 201 and first.json()["verifiableCredential"]["credentialStatus"]
    again = httpx.post(server.url("/credentials/issue"), json=body, headers=auth())
    assert again.status_code == 409 and again.json()["code"] == "duplicate_credential_id", again.text


@pytest.mark.parametrize("body", [
    {"credentialId": "urn:uuid:x", "credentialStatus": ["x"]},
    {"credentialId": "urn:uuid:x", "credentialStatus": [{"status": ["revoked"]}]},
    {"credentialId": "urn:uuid:x", "credentialStatus": [{"status": {"revoked": True}}]},
    {"credentialId": "urn:uuid:x", "credentialStatus": "revoked"},
    {"credentialId": "urn:uuid:x", "credentialStatus": []},
    {"credentialId": "urn:uuid:x", "action": "revoke", "reason": {"why": "fraud"}},
])
def test_a_malformed_status_change_is_a_400(setup: Any, server_log: list[logging.LogRecord], body: dict[str, Any]) -> None:
    server, _, _ = setup
    response = httpx.post(server.url("/credentials/status"), json=body, headers=auth())
    assert response.status_code == 400 and response.json()["code"] == "invalid_request", response.text


@pytest.mark.parametrize("chosen", [["customs"], {"name": "customs"}, 7])
def test_an_issuer_option_that_is_not_a_name_is_a_400(setup: Any, server_log: list[logging.LogRecord], chosen: Any) -> None:
    server, _, _ = setup
    response = httpx.post(server.url("/credentials/issue"), json={"credential": credential(), "options": {"issuer": chosen}},
                          headers=auth())
    assert response.status_code == 400 and response.json()["code"] == "invalid_request", response.text


@pytest.mark.parametrize("path", ["/credentials/verify", "/presentations/verify", "/credentials/issue", "/credentials/status"])
def test_an_integer_of_5000_digits_is_a_400(setup: Any, server_log: list[logging.LogRecord], path: str) -> None:
    server, _, _ = setup
    content = b'{"verifiableCredential": {"n": ' + b"7" * 5000 + b"}}"
    response = httpx.post(server.url(path), content=content, headers={"content-type": "application/json", **auth()})
    assert response.status_code == 400 and response.json()["code"] == "malformed_json", response.text


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "broker-1", "exp": int(time.time()) + 300, "iat": int(time.time())}
    return {name: value for name, value in (claims | changes).items() if value is not None}


def _with_header(token: str, header: dict[str, Any]) -> str:
    """``token`` with its protected header replaced (its signature no longer matches; the header is refused first)."""
    return b64url_encode(json.dumps(header).encode()) + token[token.index("."):]


def test_access_tokens_pass_within_the_clock_skew(setup: Any, server_log: list[logging.LogRecord]) -> None:
    server, _, oauth = setup
    now = int(time.time())
    for header, claims in [({"typ": "at+jwt"}, _claims()), ({"typ": "application/at+jwt"}, _claims()),
                           ({"typ": "at+jwt"}, _claims(exp=now - 60, nbf=now + 60, iat=now + 60))]:
        token = encode_jws(header, claims, oauth)
        response = httpx.post(server.url("/credentials/issue"), json={"credential": credential()}, headers=auth(token))
        assert response.status_code == 201, (header, claims, response.text)


@pytest.mark.parametrize(("header", "claims", "reason"), [
    ({"typ": "JWT"}, _claims(), "not at+jwt"),
    ({}, _claims(), "not at+jwt"),
    ({"typ": "at+jwt", "crit": ["b64"], "b64": True}, _claims(), "critical"),
    ({"typ": "at+jwt"}, _claims(exp=None), "exp is missing"),
    ({"typ": "at+jwt"}, _claims(exp="tomorrow"), "exp is missing or not a NumericDate"),
    ({"typ": "at+jwt"}, _claims(exp=True), "exp is missing or not a NumericDate"),
    ({"typ": "at+jwt"}, _claims(exp=int(time.time()) - 400), "expired"),
    ({"typ": "at+jwt"}, _claims(nbf=int(time.time()) + 3600), "nbf"),
    ({"typ": "at+jwt"}, _claims(iat=int(time.time()) + 3600), "iat"),
    ({"typ": "at+jwt"}, _claims(aud="another-service"), "aud"),
])
def test_access_tokens_get_the_jws_and_rfc_9068_checks(
        setup: Any, server_log: list[logging.LogRecord], header: dict[str, Any], claims: dict[str, Any], reason: str) -> None:
    server, _, oauth = setup
    response = httpx.post(server.url("/credentials/issue"), json={"credential": credential()},
                          headers=auth(encode_jws(header, claims, oauth)))
    assert response.status_code == 401 and response.json()["code"] == "unauthorized", response.text
    assert reason in response.json()["error"] and response.headers["WWW-Authenticate"] == "Bearer"


def test_an_access_token_whose_alg_is_a_list_is_a_401(setup: Any, server_log: list[logging.LogRecord]) -> None:
    server, _, oauth = setup
    token = _with_header(encode_jws({"typ": "at+jwt"}, _claims(), oauth), {"alg": ["ES256"], "typ": "at+jwt"})
    response = httpx.post(server.url("/credentials/issue"), json={"credential": credential()}, headers=auth(token))
    assert response.status_code == 401 and "alg ['ES256'] is not allowed" in response.json()["error"]


def _read_until_closed(connection: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it."""
    started, received = time.monotonic(), b""
    connection.settimeout(limit)
    try:
        while chunk := connection.recv(4096):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for more than {limit} s")
    return received, time.monotonic() - started


def test_connections_that_never_finish_their_headers_are_closed(setup: Any, server_log: list[logging.LogRecord]) -> None:
    """header_timeout_seconds = 1: fifty half-sent requests get 408 and are closed; the service answers meanwhile."""
    server, _, _ = setup
    half_sent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]
    silent = socket.create_connection(("127.0.0.1", server.port))  # never sends a byte
    try:
        for connection in half_sent:
            connection.sendall(b"POST /credentials/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
        assert httpx.get(server.url("/openapi.json")).status_code == 200
        for connection in half_sent:
            received, took = _read_until_closed(connection, limit=5)
            assert received.startswith(b"HTTP/1.1 408 ") and took < 2.5
        assert _read_until_closed(silent, limit=5)[0] == b""
    finally:
        for connection in [*half_sent, silent]:
            connection.close()


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_request(
        setup: Any, server_log: list[logging.LogRecord]) -> None:
    server, _, _ = setup
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first:
            first += connection.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        head, _, rest = first.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        while len(rest) < length:
            rest += connection.recv(65536)
        connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the next request, half sent
        received, took = _read_until_closed(connection, limit=5)
        assert received.startswith(b"HTTP/1.1 408 ") and took < 2.5


def test_vctrade_serve_closes_half_sent_requests(tmp_path: Path) -> None:
    """`serve` (what `vctrade serve` runs) reads header_timeout_seconds from the configuration."""
    Key.generate().save(tmp_path / "k.jwk")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "s.toml").write_text(f'[server]\nport = {port}\nheader_timeout_seconds = 1\n[[issuer]]\nname = "a"\nkey = "k.jwk"\n')
    code = "import sys; from vctrade.service import ServiceConfig, serve; serve(ServiceConfig.load(sys.argv[1]))"
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s.toml")], env=os.environ.copy(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.1)
        with connection:
            connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            received, took = _read_until_closed(connection, limit=5)
        assert received.startswith(b"HTTP/1.1 408 ") and took < 2.5
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(("text", "message"), [
    ("[server]\nmax_pending_verification = 4\n", "unknown \\[server\\] setting"),
    ("[server]\nmax_pending_verifications = 0\n", "positive whole number"),
    ("[server]\nmax_pending_verifications = 2.5\n", "positive whole number"),
    ('[server]\nheader_timeout_seconds = "5"\n', "positive number"),
    ("[server]\nfetch_timeout_seconds = -1\n", "positive number"),
    ("[server]\nfetch_timeout_seconds = inf\n", "positive number"),
])
def test_bad_limits_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        ServiceConfig.load(tmp_path / "s.toml")


def test_the_limits_are_read_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text("[server]\nmax_pending_verifications = 4\nheader_timeout_seconds = 2.5\n"
                                     "fetch_timeout_seconds = 3\n")
    config = ServiceConfig.load(tmp_path / "s.toml")
    assert (config.max_pending_verifications, config.header_timeout_seconds, config.fetch.timeout) == (4, 2.5, 3)
    defaults = ServiceConfig.from_dict({}, tmp_path)
    assert (defaults.max_pending_verifications, defaults.header_timeout_seconds, defaults.fetch.timeout) == (16, 5.0, 10.0)
