"""The presentation exchange between two organisations' services, each run for real (uvicorn, HTTPS with a throwaway
CA) on 127.0.0.1: the verifier hands out a challenge, the issuer's service proves a presentation with it, the
verifier verifies the submission (resolving the issuer's did:web over HTTPS) and stores it — once."""

from __future__ import annotations

import copy
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
import uvicorn

from vctrade import Key
from vctrade._http import FetchPolicy
from vctrade.did import did_web
from vctrade.service import ServiceConfig, server_config
from vctrade.service._exchange import ExchangeStore
from vctrade.service._oauth import hash_client_secret

ALL_SCOPES = ["resolve:dids", "issue:credentials", "verify:credentials", "update:credentials", "prove:presentations",
              "verify:presentations", "submit:presentations"]
PARTNER_SECRET = "partner-secret-4d1c9a7e02"


@dataclass
class Organisation:
    """One organisation's running service: its API base, DID, store and a client of its token endpoint."""

    name: str
    base: str
    did: str
    store: Path
    client: httpx.Client
    config: ServiceConfig

    def token(self, scope: str | None = None) -> str:
        body = {"grant_type": "client_credentials", "client_id": "partner", "client_secret": PARTNER_SECRET,
                "audience": "vctrade"} | ({"scope": scope} if scope is not None else {})
        answer = self.client.post(self.base.removesuffix("/traceability") + "/oauth/token", data=body)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return self.client.post(self.base + path, json=body, headers=headers)


class Running:
    """A uvicorn server for ``config`` on an already bound socket, in a thread."""

    def __init__(self, config: ServiceConfig, sock: socket.socket) -> None:
        self._socket = sock
        self._server = uvicorn.Server(server_config(config, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def _organisation(name: str, folder: Path, ca: trustme.CA, trust: ssl.SSLContext) -> tuple[Organisation, Running]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    did = did_web(f"127.0.0.1:{port}", "traceability")
    home = folder / name
    home.mkdir()
    Key.generate("Ed25519").save(home / "org.jwk")
    Key.generate("Ed25519").save(home / "token-signer.jwk")
    certificate = ca.issue_cert("127.0.0.1")
    certificate.private_key_pem.write_to_path(str(home / "key.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(home / "cert.pem"))
    (home / "service.toml").write_text(f"""
[server]
port = {port}
max_body_bytes = 100000
tls_cert = "cert.pem"
tls_key = "key.pem"
allow_private_hosts = true

[auth.token_endpoint]
key = "token-signer.jwk"
audience = "vctrade"

[[auth.client]]
id = "partner"
secret_hash = "{hash_client_secret(PARTNER_SECRET)}"
scopes = {ALL_SCOPES!r}

[[auth.client]]
id = "other"
secret_hash = "{hash_client_secret(PARTNER_SECRET)}"
scopes = ["submit:presentations"]

[[issuer]]
name = "org"
key = "org.jwk"
did = "{did}"

[traceability]
issuer = "org"
did = "{did}"
challenge_ttl_seconds = 300
store = "exchange.sqlite"
""".replace("'", '"'))
    config = ServiceConfig.load(home / "service.toml")
    # Verifications resolve the partner's did:web over HTTPS on loopback, trusting the test CA.
    config.fetch = FetchPolicy(allow_private_hosts=True, verify=trust, timeout=5.0)
    running = Running(config, sock)
    client = httpx.Client(verify=trust, timeout=30)
    return Organisation(name, f"https://127.0.0.1:{port}/traceability", did, home / "exchange.sqlite", client,
                        config), running


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Organisation, Organisation]]:
    folder = tmp_path_factory.mktemp("exchange")
    ca = trustme.CA()
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    issuer, issuer_server = _organisation("issuer", folder, ca, trust)
    verifier, verifier_server = _organisation("verifier", folder, ca, trust)
    issuer_server.start()
    verifier_server.start()
    try:
        yield issuer, verifier
    finally:
        for organisation, server in ((issuer, issuer_server), (verifier, verifier_server)):
            organisation.client.close()
            server.stop()


def issued_credential(issuer: Organisation) -> dict[str, Any]:
    answer = issuer.post("/credentials/issue", {
        "credential": {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:uuid:0f6c2e1a-exchange",
                       "type": ["VerifiableCredential"], "issuer": issuer.did,
                       "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:123"}},
        "options": {"type": "Ed25519Signature2018", "created": "2026-01-01T00:00:00Z"}})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def proved(issuer: Organisation, grant: dict[str, Any], **options: Any) -> dict[str, Any]:
    answer = issuer.post("/presentations/prove", {
        "presentation": {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiablePresentation"],
                         "holder": issuer.did, "verifiableCredential": [issued_credential(issuer)]},
        "options": {"domain": grant["domain"], "challenge": grant["challenge"]} | options})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def granted(verifier: Organisation) -> dict[str, Any]:
    answer = verifier.post("/presentations/available", {"query": [{"type": "QueryByExample", "credentialQuery": [
        {"type": ["VerifiableCredential"], "reason": "We want to present credentials."}]}]})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_available_prove_submit_stores_the_submission_then_refuses_the_challenge_again(
        orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    grant = granted(verifier)
    assert set(grant) == {"domain", "challenge"} and grant["domain"] == verifier.base.split("/")[2]
    vp = proved(issuer, grant)
    submitted = verifier.post("/presentations/submissions", vp)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["verified"] is True and submitted.json()["errors"] == []
    everything = ExchangeStore(verifier.store, ttl_seconds=300).submissions()
    stored = [s for s in everything if s.challenge == grant["challenge"]]
    assert [(s.presentation, s.client_id, s.endpoint) for s in stored] == [(vp, "partner", "submissions")]
    # The presentations-verify tutorial verifies the submitted presentation afterwards, same challenge and domain.
    verified = verifier.post("/presentations/verify", {"verifiablePresentation": vp, "options": grant})
    assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text

    again = verifier.post("/presentations/submissions", vp)
    assert again.status_code == 400 and again.json()["code"] == 400 and again.json()["reason"] == "challenge_used"


def test_an_expired_challenge_is_refused(orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    # Handed out 301 seconds ago (the store's clock injected): the service sees it expired, nobody sleeps.
    earlier = ExchangeStore(verifier.store, ttl_seconds=300, clock=lambda: time.time() - 301)
    challenge = earlier.issue(verifier.base.split("/")[2], None, "partner")
    vp = proved(issuer, {"domain": challenge.domain, "challenge": challenge.value})
    refused = verifier.post("/presentations/submissions", vp)
    assert refused.status_code == 400 and refused.json()["reason"] == "challenge_expired", refused.text


def test_a_challenge_for_another_domain_is_refused_with_the_checks(orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    grant = granted(verifier)
    vp = proved(issuer, grant, domain="elsewhere.example")
    refused = verifier.post("/presentations/submissions", vp)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["verified"] is False and "proof" in body["checks"]
    assert any(error.startswith("proof.domain:") for error in body["errors"])
    # Refused, so the challenge is still there for a presentation made for this verifier.
    assert verifier.post("/presentations/submissions", proved(issuer, grant)).status_code == 200


def test_a_tampered_presentation_is_refused_with_the_checks(orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    vp = proved(issuer, granted(verifier))
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:mallory"
    refused = verifier.post("/presentations/submissions", tampered)
    assert refused.status_code == 400 and refused.json()["verified"] is False
    assert any(e.startswith("credential[0].proof.signature:") for e in refused.json()["errors"])


def test_one_challenge_submitted_concurrently_is_accepted_exactly_once(orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    vp = proved(issuer, granted(verifier))
    token = verifier.token()
    racers = 6
    barrier = threading.Barrier(racers)
    answers: list[httpx.Response] = []

    def submit() -> None:
        with httpx.Client(verify=verifier.config.fetch.verify, timeout=30) as client:
            barrier.wait()
            answers.append(client.post(verifier.base + "/presentations/submissions", json=vp,
                                       headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=submit) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * (racers - 1), [a.text for a in answers]
    assert all(a.json()["reason"] == "challenge_used" for a in answers if a.status_code == 400)


def test_a_challenge_is_answered_only_by_the_client_it_was_handed_to(orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    vp = proved(issuer, granted(verifier))
    other = verifier.client.post(verifier.base.removesuffix("/traceability") + "/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "other", "client_secret": PARTNER_SECRET})
    refused = verifier.post("/presentations/submissions", vp, token=other.json()["access_token"])
    assert refused.status_code == 400 and refused.json()["reason"] == "challenge_not_yours"


@pytest.mark.parametrize("path, scope", [("/presentations/available", "submit:presentations"),
                                         ("/presentations/prove", "prove:presentations"),
                                         ("/presentations/submissions", "submit:presentations"),
                                         ("/presentations", "submit:presentations"),
                                         ("/presentations/verify", "verify:presentations")])
def test_every_route_wants_a_token_with_its_scope_before_reading_the_body(
        orgs: tuple[Organisation, Organisation], path: str, scope: str) -> None:
    _, verifier = orgs
    url = verifier.base + path
    assert verifier.client.post(url, content=b"{not json").status_code == 401
    others = " ".join(s for s in ALL_SCOPES if s != scope)
    forbidden = verifier.client.post(url, content=b"{not json",
                                     headers={"Authorization": f"Bearer {verifier.token(others)}"})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == 403
    malformed = verifier.client.post(url, content=b"{not json",
                                     headers={"Authorization": f"Bearer {verifier.token(scope)}"})
    assert malformed.status_code == 400 and malformed.json()["code"] == 400


def test_presentations_receives_a_presentation_from_an_authenticated_client(
        orgs: tuple[Organisation, Organisation]) -> None:
    issuer, verifier = orgs
    unsigned = {"@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/traceability/v1"],
                "type": ["VerifiablePresentation", "TraceablePresentation"],
                "verifiableCredential": [issued_credential(issuer)]}
    answer = verifier.post("/presentations", unsigned)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json"), answer.text
    assert answer.json()["verified"] is True
    stored = ExchangeStore(verifier.store, ttl_seconds=300).submissions()
    assert any(s.presentation == unsigned and s.endpoint == "presentations" for s in stored)


def test_a_body_over_the_cap_is_refused(orgs: tuple[Organisation, Organisation]) -> None:
    _, verifier = orgs
    answer = verifier.post("/presentations/submissions", {"padding": "x" * 100_001})
    assert answer.status_code == 413
