"""The traceability-interop profile's discovery, identifiers and credentials endpoints, spoken to over HTTPS.

Each organisation is a real ``vctrade serve`` (uvicorn, a trustme certificate for 127.0.0.1) whose did:web names the
port it listens on: ``did:web:127.0.0.1%3A<port>:traceability``, its document at ``/traceability/did.json``. Tokens
come from the service's own token endpoint (client credentials, scopes as asked) or are the static admin token.
"""

from __future__ import annotations

import copy
import dataclasses
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import trustme
import uvicorn

from vctrade import Key, sign
from vctrade._http import FetchPolicy
from vctrade._presentation import present_jwt
from vctrade.model._credentials import parse_datetime
from vctrade.service import ServiceConfig, server_config
from vctrade.service._oauth import hash_client_secret
from vctrade.status import Registry

ADMIN = "admin-token-3f1c9a"
SECRET = "profile-client-secret-7d20"
SCOPES = ["resolve:dids", "issue:credentials", "verify:credentials", "update:credentials"]
V1 = "https://www.w3.org/2018/credentials/v1"
SL2021 = "https://w3id.org/vc/status-list/2021/v1"
MESSAGE_400 = "Bad Request: Your request body does not conform to the required schema"
MESSAGE_401 = "Unauthorized: This endpoint requires an OAuth2 bearer token"
MESSAGE_403 = "Forbidden: OAuth2 bearer token does not have the required scope"
MESSAGE_404 = "Not Found: The requested resource could not be found"


class Org:
    """An organisation's ``vctrade serve`` over HTTPS on 127.0.0.1, its did:web naming its port.

    ``lists``: the purposes it keeps a one-bit status list for (``message``: a two-bit one) in its registry;
    ``site``: its status site's name in its folder (None: no status site; ``file``: a file, nothing can be written
    under it); ``registry``: whether it keeps one; ``key_type``: the organisation's key; ``fetch``: its fetch policy
    (default: trusting the test CA, loopback allowed); ``pending``: its ``max_pending_verifications``. Beside the
    organisation's issuer it has one more, ``other`` (a did:key), for the W3C VC API at the root.
    """

    def __init__(self, folder: Path, ca: trustme.CA, trust: ssl.SSLContext, *, lists: tuple[str, ...] = (),
                 site: str | None = "site", registry: bool = True, key_type: str = "Ed25519",
                 fetch: FetchPolicy | None = None, pending: int = 16) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        self.api = f"{self.origin}/traceability"
        self.did = f"did:web:127.0.0.1%3A{self.port}:traceability"
        leaf = ca.issue_cert("127.0.0.1")
        leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
        for pem in leaf.cert_chain_pems:
            pem.write_to_path(str(folder / "cert.pem"), append=True)
        self.key = Key.generate(key_type)
        self.key.save(folder / "org.jwk")
        Key.generate().save(folder / "other.jwk")
        Key.generate("P-256").save(folder / "signer.jwk")
        if site == "file":
            (folder / site).write_text("not a folder")
        (folder / "service.toml").write_text(f"""
[server]
port = {self.port}
max_body_bytes = 200000
{'registry = "registry.sqlite"' if registry else ""}
{f'status_site = "{site}"' if site else ""}
tls_cert = "cert.pem"
tls_key = "key.pem"
allow_private_hosts = true
fetch_timeout_seconds = 5
max_pending_verifications = {pending}

[auth]
tokens = ["{ADMIN}"]

[auth.token_endpoint]
key = "signer.jwk"
audience = "vctrade"

[[auth.client]]
id = "partner"
secret_hash = "{hash_client_secret(SECRET)}"
scopes = {SCOPES!r}

[[issuer]]
name = "org"
key = "org.jwk"
did = "{self.did}"

[[issuer]]
name = "other"
key = "other.jwk"

[traceability]
issuer = "org"
did = "{self.did}"
store = "exchange.sqlite"
""".replace("'", '"'))
        config = ServiceConfig.load(folder / "service.toml")
        # the organisations trust the test CA
        config.fetch = fetch or dataclasses.replace(config.fetch, verify=trust)
        if lists:
            with Registry(folder / "registry.sqlite") as kept:
                for purpose in lists:
                    two_bits = {"status_size": 2, "messages": ["ok", "late", "lost", "held"]} if purpose == "message" \
                        else {}
                    kept.create_list(f"{self.origin}/status/org/{purpose}", self.did, purpose, folder / "org.jwk",
                                     verification_method=f"{self.did}#org", **two_bits)
        self.http = httpx.Client(verify=trust, timeout=30)
        self._server = uvicorn.Server(server_config(config, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop serving and free the port."""
        self.http.close()  # its kept-alive connections first: the server waits for open ones when it stops
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def token(self, scope: str | None = None) -> str:
        """An access token of the partner client with ``scope`` (None: all the client's scopes; "": none)."""
        form = {"grant_type": "client_credentials", "client_id": "partner", "client_secret": SECRET}
        answer = self.http.post(f"{self.origin}/oauth/token", data=form | ({} if scope is None else {"scope": scope}))
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def get(self, path: str, token: str | None = ADMIN) -> httpx.Response:
        """GET ``{api}{path}`` with the bearer token (None: no Authorization header)."""
        return self.http.get(self.api + path, headers={"Authorization": f"Bearer {token}"} if token else {})

    def post(self, path: str, body: Any = None, token: str | None = ADMIN, **kwargs: Any) -> httpx.Response:
        """POST ``body`` (JSON) to ``{api}{path}`` with the bearer token (None: no Authorization header)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            kwargs["json"] = body
        return self.http.post(self.api + path, headers=headers, **kwargs)

    def issue(self, options: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """A credential issued by this organisation (201 checked)."""
        answer = self.post("/credentials/issue", issue_body(fields.pop("issuer", self.did), options, **fields))
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def ca() -> tuple[trustme.CA, ssl.SSLContext]:
    authority = trustme.CA()
    trust = ssl.create_default_context()
    authority.configure_trust(trust)
    return authority, trust


@pytest.fixture(scope="module")
def make_org(tmp_path_factory: pytest.TempPathFactory,
             ca: tuple[trustme.CA, ssl.SSLContext]) -> Iterator[Callable[..., Org]]:
    made: list[Org] = []

    def make(**kwargs: Any) -> Org:
        org = Org(tmp_path_factory.mktemp("org"), *ca, **kwargs)
        made.append(org)
        return org

    yield make
    for org in made:
        org.close()


@pytest.fixture(scope="module")
def org(make_org: Callable[..., Org]) -> Org:
    """The organisation everything is tried on: revocation and suspension lists."""
    return make_org(lists=("revocation", "suspension"))


@pytest.fixture(scope="module")
def partner(make_org: Callable[..., Org]) -> Org:
    """A second organisation (no status lists) that resolves and verifies the first one's over HTTPS."""
    return make_org()


def issue_body(issuer: Any, options: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The conformance suite's base issue request (a subject with an id), ``fields`` replacing the credential's."""
    credential = {"@context": [V1], "type": ["VerifiableCredential"], "issuer": issuer,
                  "issuanceDate": "2006-01-02T15:04:05Z", "credentialSubject": {"id": "did:example:123"}} | fields
    default = {"type": "Ed25519Signature2018", "created": "2020-04-02T18:48:36Z"}
    return {"credential": credential, "options": default if options is None else options}


def refused(answer: httpx.Response, status: int, message: str) -> dict[str, Any]:
    """The error body of ``answer``, checked to be the profile's: that status and message, the status as ``code``."""
    assert answer.status_code == status, answer.text
    body = dict(answer.json())
    assert body["message"] == message and body["code"] == status, body
    assert isinstance(body["reason"], str) and all(isinstance(d, str) for d in body["details"]), body
    return body


# -- discovery ---------------------------------------------------------------------------------------------------------


def test_did_json_is_the_organisations_document(org: Org) -> None:
    answer = org.http.get(f"{org.api}/did.json")  # no token: discovery is public
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/did+json"
    document = answer.json()
    assert document["id"] == org.did
    assert document["alsoKnownAs"] == [org.api, org.did]  # [1] is what the tutorials issue as
    assert document["service"][0] == {"id": f"{org.did}#traceability-api", "type": ["TraceabilityAPI"],
                                      "serviceEndpoint": org.api}
    [method] = document["verificationMethod"]
    assert method["id"] == f"{org.did}#org" and method["type"] == "JsonWebKey2020"
    assert method["controller"] == document["id"] and method["publicKeyJwk"] == org.key.to_jwk()
    assert "d" not in method["publicKeyJwk"]
    assert document["assertionMethod"] == document["authentication"] == [method["id"]]


# -- identifiers -------------------------------------------------------------------------------------------------------


def test_identifiers_needs_a_token_then_its_scope(org: Org) -> None:
    missing = org.get(f"/identifiers/{org.did}", token=None)
    assert refused(missing, 401, MESSAGE_401)["reason"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    refused(org.get(f"/identifiers/{org.did}", token="not-a-token"), 401, MESSAGE_401)
    scopeless = org.get(f"/identifiers/{org.did}", token=org.token(""))
    assert refused(scopeless, 403, MESSAGE_403)["reason"] == "forbidden"
    assert scopeless.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    refused(org.get(f"/identifiers/{org.did}", token=org.token("issue:credentials")), 403, MESSAGE_403)
    assert org.get(f"/identifiers/{org.did}", token=org.token("resolve:dids")).status_code == 200


def test_identifiers_answers_the_organisation_from_its_raw_path(org: Org) -> None:
    # The DID goes in the path as it is: its %3A (the port) must not be read as ":" (another DID).
    answer = org.get(f"/identifiers/{org.did}")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["didResolutionMetadata"] == {"contentType": "application/did+json"}
    assert result["didDocumentMetadata"] == {}
    document = result["didDocument"]
    assert document["id"] == org.did and document["alsoKnownAs"][1] == org.did
    # the same set of service types, written as the profile's resolution schema wants it
    assert document["service"][0]["type"] == "TraceabilityAPI"
    # a DID percent-encoded whole is decoded once
    assert org.get(f"/identifiers/{quote(org.did, safe='')}").json() == result


def test_identifiers_resolves_other_dids_with_the_services_resolvers(org: Org, partner: Org) -> None:
    key_did = Key.generate().did
    by_key = org.get(f"/identifiers/{key_did}")
    assert by_key.status_code == 200 and by_key.json()["didDocument"]["id"] == key_did
    across = partner.get(f"/identifiers/{org.did}")  # fetched over HTTPS from the other organisation
    assert across.status_code == 200, across.text
    assert across.json()["didDocument"]["verificationMethod"][0]["publicKeyJwk"] == org.key.to_jwk()


@pytest.mark.parametrize(("named", "status", "reason"), [
    ("invalid_did", 400, "invalid_did"),
    ("did:web", 400, "invalid_did"),
    ("did:WEB:example.com", 400, "invalid_did"),
    ("did:web:exa_mple.com", 400, "invalid_did"),            # a did:web host that is not a domain name
    ("did:key:z6Mk-not-base58", 400, "invalid_did"),         # an identifier that does not decode
    ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", 404, "not_a_did"),
    ("did:example:123", 404, "unsupported_did_method"),
    ("did:web:127.0.0.1%3A1", 404, "did_unreachable"),       # nothing listens there
    ("did:web:" + "a" * 2100, 400, "invalid_did"),           # longer than any DID this endpoint takes
])
def test_identifiers_refusals(org: Org, named: str, status: int, reason: str) -> None:
    answer = org.get(f"/identifiers/{named}")
    message = {400: "Bad Request: Invalid DID", 404: MESSAGE_404}[status]
    assert refused(answer, status, message)["reason"] == reason


def test_identifiers_a_did_its_host_does_not_have_is_not_found(org: Org, partner: Org) -> None:
    elsewhere = f"did:web:127.0.0.1%3A{partner.port}:elsewhere"  # partner answers 404 for /elsewhere/did.json
    assert refused(org.get(f"/identifiers/{elsewhere}"), 404, MESSAGE_404)["reason"] == "did_not_found"


# -- issuing -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("proof_type", ["Ed25519Signature2018", "JsonWebSignature2020"])
def test_issue_with_each_suite_then_verify(org: Org, proof_type: str) -> None:
    vc = org.issue({"type": proof_type, "created": "2020-04-02T18:48:36Z"})
    assert vc["proof"]["type"] == proof_type and vc["proof"]["proofPurpose"] == "assertionMethod"
    assert vc["proof"]["verificationMethod"] == f"{org.did}#org" and vc["proof"]["created"] == "2020-04-02T18:48:36Z"
    assert vc["issuer"] == org.did and vc["issuanceDate"] == "2006-01-02T15:04:05Z"  # as sent, byte for byte
    assert vc["credentialSubject"] == {"id": "did:example:123"}
    assert all(isinstance(c, str) for c in vc["@context"]) and vc["@context"][0] == V1
    verified = org.post("/credentials/verify", {"verifiableCredential": vc})
    assert verified.status_code == 200, verified.text
    report = verified.json()
    assert report["verified"] is True and report["errors"] == [] and report["warnings"] == []
    assert "proof" in report["checks"]
    vc["credentialSubject"]["id"] = "did:example:456"
    tampered = org.post("/credentials/verify", {"verifiableCredential": vc})
    assert tampered.status_code == 200 and tampered.json()["verified"] is False  # the profile's 200, not a 422
    assert any(error.startswith("proof.signature") for error in tampered.json()["errors"])


def test_verify_takes_any_issuers_credential(org: Org) -> None:
    key = Key.generate()
    unsigned = issue_body(key.did)["credential"]
    vc = sign(unsigned, key, suite="Ed25519Signature2018")  # a did:key issuer, resolved offline
    report = org.post("/credentials/verify", {"verifiableCredential": vc})
    assert report.status_code == 200 and report.json()["verified"] is True, report.text


def test_issue_a_vc_jwt_as_text_then_verify_it(org: Org) -> None:
    body = issue_body(org.did, {"type": "jwt_vc"})
    body["credential"]["@context"].append("https://w3id.org/security/suites/jws-2020/v1")
    answer = org.post("/credentials/issue", body)
    assert answer.status_code == 201 and answer.headers["content-type"] == "application/jwt"
    assert answer.text.count(".") == 2 and not answer.text.startswith('"')  # the compact JWT itself, not JSON text
    verified = org.post("/credentials/verify", {"verifiableCredential": answer.text})
    assert verified.status_code == 200 and verified.json()["verified"] is True, verified.text
    assert verified.json()["warnings"] == [] and verified.json()["errors"] == []


def test_issue_keeps_the_requests_forms(org: Org) -> None:
    issuer = {"id": org.did, "type": ["Organization"], "name": "Acme Steel"}  # as workflow-join sends it
    vc = org.issue(issuer=issuer, id="urn:uuid:0f0b6f34-1e5a-4c1a-8f1f-5d1d2b1f0a01",
                   issuanceDate="2024-01-01T00:00:00.000Z", **{"@context": [V1, "https://w3id.org/traceability/v1"]})
    assert vc["issuer"] == issuer and vc["id"] == "urn:uuid:0f0b6f34-1e5a-4c1a-8f1f-5d1d2b1f0a01"
    assert vc["issuanceDate"] == "2024-01-01T00:00:00.000Z"
    ms = org.issue({"type": "Ed25519Signature2018", "created": "2024-03-04T05:06:07.123Z"})
    assert ms["proof"]["created"] == "2024-03-04T05:06:07Z"


def test_a_created_that_is_no_date_leaves_the_signing_time(org: Org) -> None:
    # The profile's suite sends any string as options.created and expects 201: the proof then says when it was made.
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    vc = org.issue({"type": "Ed25519Signature2018", "created": "an arbitrary string"})
    assert before <= parse_datetime(vc["proof"]["created"]) <= datetime.now(timezone.utc) + timedelta(seconds=2)


def _mutated(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the issue request: set (or, for ``...``, delete) the member at ``path`` (names joined by dots)."""
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node[name]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return change


ISSUE_REFUSALS = {
    "credential missing": _mutated("credential", ...),
    "@context missing": _mutated("credential.@context", ...),
    "@context 42": _mutated("credential.@context", 42),
    "@context numbers": _mutated("credential.@context", [1, 2, 3]),
    "@context VC 2.0": _mutated("credential.@context", ["https://www.w3.org/ns/credentials/v2"]),
    "id numbers": _mutated("credential.id", [1, 2, 3]),
    "type missing": _mutated("credential.type", ...),
    "type 42": _mutated("credential.type", 42),
    "type numbers": _mutated("credential.type", [1, 2, 3]),
    "issuer missing": _mutated("credential.issuer", ...),
    "issuer array": _mutated("credential.issuer", ["arrays are invalid"]),
    "issuer not a URI": _mutated("credential.issuer", "not.a.uri"),
    "issuer unknown": _mutated("credential.issuer", "urn:uuid:4b0fb4a4-3b5e-4f41-9d4e-2a1f7d7b8c11"),
    "issuer {}": _mutated("credential.issuer", {}),
    "issuer.id array": _mutated("credential.issuer", {"id": ["arrays are invalid"]}),
    "issuer.id not a URI": _mutated("credential.issuer", {"id": "not.a.uri"}),
    "issuer.id unknown": _mutated("credential.issuer", {"id": "did:example:not-this-organisation"}),
    "issuanceDate missing": _mutated("credential.issuanceDate", ...),
    "issuanceDate array": _mutated("credential.issuanceDate", ["arrays are invalid"]),
    "issuanceDate not a date": _mutated("credential.issuanceDate", "not an xml date time string"),
    "issuanceDate without zone": _mutated("credential.issuanceDate", "2006-01-02T15:04:05"),
    "credentialSubject missing": _mutated("credential.credentialSubject", ...),
    "credentialSubject string": _mutated("credential.credentialSubject", "did:example:1234"),
    "credentialSubject.id array": _mutated("credential.credentialSubject", {"id": ["did:example:1234"]}),
    # VC 1.1 §4.4: a subject object holds one or more properties (the suite's base request has none)
    "credentialSubject empty": _mutated("credential.credentialSubject", {}),
    "proof given": _mutated("credential.proof", {"type": "Ed25519Signature2018"}),
    "options missing": _mutated("options", ...),
    "options array": _mutated("options", ["array", "element"]),
    "options.type missing": _mutated("options.type", ...),
    "options.type array": _mutated("options.type", ["an", "array"]),
    "options.type unknown": _mutated("options.type", "invalid value"),
    "options.type another suite": _mutated("options.type", "eddsa-rdfc-2022"),
    "options.created array": _mutated("options.created", ["an", "array"]),
    "options.credentialStatus string": _mutated("options.credentialStatus", "a string"),
    "options.credentialStatus.type object": _mutated("options.credentialStatus", {"type": {"foo": 42}}),
    "options.credentialStatus.type unknown": _mutated("options.credentialStatus", {"type": "invalid value"}),
    "options.credentialStatus other member": _mutated("options.credentialStatus", {"statusPurpose": "revocation"}),
    "options other member": _mutated("options.issuer", "org"),
    "two credentialStatus": _mutated("credential.credentialStatus", {"type": "StatusList2021Entry"}),
}


@pytest.mark.parametrize("change", ISSUE_REFUSALS.values(), ids=ISSUE_REFUSALS.keys())
def test_issue_refuses_what_breaks_the_profile(org: Org, change: Callable[[dict[str, Any]], None]) -> None:
    body = issue_body(org.did, {"type": "Ed25519Signature2018", "credentialStatus": {}})
    change(body)
    body_refused = refused(org.post("/credentials/issue", body), 400, MESSAGE_400)
    assert body_refused["details"] and body_refused["details"][0]


def test_the_token_and_its_scope_are_checked_before_the_body(org: Org) -> None:
    for path in ("/credentials/issue", "/credentials/verify", "/credentials/status"):
        refused(org.post(path, content=b"{not json", token=None), 401, MESSAGE_401)
        refused(org.post(path, content=b"{not json", token=org.token("")), 403, MESSAGE_403)
        assert refused(org.post(path, content=b"{not json"), 400, MESSAGE_400)["reason"] == "malformed_json"
    refused(org.post("/credentials/issue", issue_body(org.did), token=org.token("verify:credentials")), 403,
            MESSAGE_403)
    assert org.post("/credentials/issue", issue_body(org.did), token=org.token("issue:credentials")).status_code == 201


def test_a_body_that_is_no_json_object_is_a_400(org: Org) -> None:
    for path in ("/credentials/issue", "/credentials/verify", "/credentials/status"):
        assert refused(org.post(path, []), 400, MESSAGE_400)["details"] == ["the body must be a JSON object"]


def test_a_body_over_the_cap_is_refused_while_read(org: Org) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is applied as the body streams in
        yield b'{"credential": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}'

    answer = org.post("/credentials/issue", content=chunks())
    assert refused(answer, 413, "Payload Too Large: The request body is over this service's limit")["reason"] == \
        "too_large"


def test_a_p256_organisation_signs_jsonwebsignature2020_only(make_org: Callable[..., Org]) -> None:
    p256 = make_org(key_type="P-256")
    vc = p256.issue({"type": "JsonWebSignature2020"})
    assert p256.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"] is True
    ed25519_suite = p256.post("/credentials/issue", issue_body(p256.did, {"type": "Ed25519Signature2018"}))
    assert refused(ed25519_suite, 400, MESSAGE_400)["reason"] == "unsupported"


# -- verifying ---------------------------------------------------------------------------------------------------------


VERIFY_REFUSALS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "nothing": lambda vc: {},
    "string": lambda vc: {"verifiableCredential": "string"},
    "JSON text": lambda vc: {"verifiableCredential": '{"@context": []}'},
    "null": lambda vc: {"verifiableCredential": None},
    "integer": lambda vc: {"verifiableCredential": 123},
    "boolean": lambda vc: {"verifiableCredential": True},
    "array": lambda vc: {"verifiableCredential": []},
    "@context missing": lambda vc: {"verifiableCredential": {k: v for k, v in vc.items() if k != "@context"}},
    "@context string": lambda vc: {"verifiableCredential": vc | {"@context": V1}},
    "@context object": lambda vc: {"verifiableCredential": vc | {"@context": {"@vocab": "https://example.org/#"}}},
    "@context item object": lambda vc: {"verifiableCredential": vc | {"@context": [V1, {"@vocab": "https://x/#"}]}},
    "@context item null": lambda vc: {"verifiableCredential": vc | {"@context": [V1, None]}},
    "id integer": lambda vc: {"verifiableCredential": vc | {"id": 123}},
    "type missing": lambda vc: {"verifiableCredential": {k: v for k, v in vc.items() if k != "type"}},
    "type string": lambda vc: {"verifiableCredential": vc | {"type": "VerifiableCredential"}},
    "type item object": lambda vc: {"verifiableCredential": vc | {"type": ["VerifiableCredential", {"k": "v"}]}},
    "issuer missing": lambda vc: {"verifiableCredential": {k: v for k, v in vc.items() if k != "issuer"}},
    "issuer array": lambda vc: {"verifiableCredential": vc | {"issuer": ["did:example:123"]}},
    "issuer {}": lambda vc: {"verifiableCredential": vc | {"issuer": {}}},
    "issuer.id null": lambda vc: {"verifiableCredential": vc | {"issuer": {"id": None}}},
    "issuanceDate not a date": lambda vc: {"verifiableCredential": vc | {"issuanceDate": "not a valid XML Date"}},
    "issuanceDate object": lambda vc: {"verifiableCredential": vc | {"issuanceDate": {"k": "2010-01-01T19:23:24Z"}}},
    "credentialSubject missing": lambda vc: {"verifiableCredential": {k: v for k, v in vc.items()
                                                                      if k != "credentialSubject"}},
    "credentialSubject string": lambda vc: {"verifiableCredential": vc | {"credentialSubject": "did:example:123"}},
    "credentialSubject array": lambda vc: {"verifiableCredential": vc | {"credentialSubject": ["did:example:123"]}},
    "credentialSubject.id false": lambda vc: {"verifiableCredential": vc | {"credentialSubject": {"id": False}}},
    "proof missing": lambda vc: {"verifiableCredential": {k: v for k, v in vc.items() if k != "proof"}},
    "proof array": lambda vc: {"verifiableCredential": vc | {"proof": [vc["proof"]]}},
    "proof string": lambda vc: {"verifiableCredential": vc | {"proof": "string"}},
    "proof.type another": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {"type": "not valid"}}},
    "proof.type array": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {
        "type": [vc["proof"]["type"]]}}},
    "proof.created integer": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {"created": 123}}},
    "proof.verificationMethod object": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {
        "verificationMethod": {"key": vc["proof"]["verificationMethod"]}}}},
    "proof.jws null": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {"jws": None}}},
    "proof.proofPurpose another": lambda vc: {"verifiableCredential": vc | {"proof": vc["proof"] | {
        "proofPurpose": "authentication"}}},
}


@pytest.mark.parametrize("body_of", VERIFY_REFUSALS.values(), ids=VERIFY_REFUSALS.keys())
def test_verify_refuses_what_breaks_the_profile(org: Org, body_of: Callable[[dict[str, Any]], Any]) -> None:
    vc = org.issue()
    refused(org.post("/credentials/verify", body_of(copy.deepcopy(vc))), 400, MESSAGE_400)


def test_verify_a_presentation_posted_as_a_credential_is_not_verified(org: Org) -> None:
    holder = Key.generate()
    presentation = present_jwt([org.issue()], holder)  # a well-signed VP-JWT: compact, so past the schema
    report = org.post("/credentials/verify", {"verifiableCredential": presentation})
    assert report.status_code == 200 and report.json()["verified"] is False
    assert any(e.startswith("structure: verifiableCredential must be a credential") for e in report.json()["errors"])


# -- status ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", [{}, {"type": "StatusList2021Entry"}, {"type": "RevocationList2020Status"}])
def test_issue_with_status_gives_statuslist2021_entries(org: Org, asked: dict[str, Any]) -> None:
    vc = org.issue({"type": "Ed25519Signature2018", "credentialStatus": asked})
    entries = vc["credentialStatus"]
    assert [e["type"] for e in entries] == ["StatusList2021Entry"] * 2
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert all(e["statusListCredential"] == f"{org.origin}/status/org/{e['statusPurpose']}" and
               e["id"] == f"{e['statusListCredential']}#{e['statusListIndex']}" for e in entries)
    assert vc["@context"] == [V1, SL2021] and vc["id"].startswith("urn:uuid:")
    published = org.http.get(entries[0]["statusListCredential"]).json()
    assert published["type"] == ["VerifiableCredential", "StatusList2021Credential"]
    assert published["@context"] == [V1, SL2021] and published["issuer"] == org.did
    assert published["credentialSubject"]["type"] == "StatusList2021"
    assert not published["credentialSubject"]["encodedList"].startswith("u")  # bare base64url, not multibase
    assert published["proof"]["type"] == "Ed25519Signature2018"
    assert org.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"] is True


def _status(org: Org, credential_id: str, purpose: str, value: str, **extra: Any) -> httpx.Response:
    return org.post("/credentials/status", {"credentialId": credential_id, "credentialStatus": [
        {"type": "StatusList2021Entry", "statusPurpose": purpose, "status": value} | extra]})


def test_revoke_then_verify_fails_and_revocation_is_final(org: Org) -> None:
    body = issue_body(org.did, {"type": "Ed25519Signature2018", "credentialStatus": {"type": "StatusList2021Entry"}})
    body["credential"]["@context"].append("https://w3id.org/vc-revocation-list-2020/v1")  # as the tutorial sends it
    vc = org.post("/credentials/issue", body).json()
    assert org.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"] is True
    revoked = _status(org, vc["id"], "revocation", "1")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"credentialId": vc["id"], "credentialStatus": [
        {"type": "StatusList2021Entry", "statusPurpose": "revocation", "status": "1"},
        {"type": "StatusList2021Entry", "statusPurpose": "suspension", "status": "0"}]}
    report = org.post("/credentials/verify", {"verifiableCredential": vc}).json()
    assert report["verified"] is False and any("revoked" in error for error in report["errors"])
    assert _status(org, vc["id"], "revocation", "1").status_code == 200  # already so: no change
    assert refused(_status(org, vc["id"], "revocation", "0"), 409,
                   "Conflict: The request conflicts with the current state of the resource")["reason"] == \
        "registry_conflict"


def test_suspend_then_reinstate(org: Org) -> None:
    vc = org.issue({"type": "JsonWebSignature2020", "credentialStatus": {}})
    assert _status(org, vc["id"], "suspension", "1").status_code == 200
    assert org.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"] is False
    legacy = org.post("/credentials/status", {"credentialId": vc["id"], "credentialStatus": [
        {"type": "RevocationList2020Status", "status": "0"}]})  # the profile's example shape: revocation implied
    assert legacy.status_code == 200
    assert _status(org, vc["id"], "suspension", "0").status_code == 200
    assert org.post("/credentials/verify", {"verifiableCredential": vc}).json()["verified"] is True


REVOKE = {"type": "StatusList2021Entry", "statusPurpose": "revocation", "status": "1"}
STATUS_REFUSALS = {
    "credentialId missing": {"credentialStatus": [REVOKE]},
    "credentialId number": {"credentialId": 7, "credentialStatus": [REVOKE]},
    "credentialStatus missing": {"credentialId": "urn:uuid:x"},
    "credentialStatus empty": {"credentialId": "urn:uuid:x", "credentialStatus": []},
    "entry a string": {"credentialId": "urn:uuid:x", "credentialStatus": ["revocation"]},
    "status a number": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE | {"status": 1}]},
    "status 2": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE | {"status": "2"}]},
    "purpose message": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE | {"statusPurpose": "message"}]},
    "purpose missing": {"credentialId": "urn:uuid:x", "credentialStatus": [
        {"type": "StatusList2021Entry", "status": "1"}]},
    "RevocationList2020 suspension": {"credentialId": "urn:uuid:x", "credentialStatus": [
        REVOKE | {"type": "RevocationList2020Status", "statusPurpose": "suspension"}]},
    "type unknown": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE | {"type": "SomeStatus"}]},
    "type array": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE | {"type": ["StatusList2021Entry"]}]},
    "purpose twice": {"credentialId": "urn:uuid:x", "credentialStatus": [REVOKE, REVOKE]},
}


@pytest.mark.parametrize("body", STATUS_REFUSALS.values(), ids=STATUS_REFUSALS.keys())
def test_status_refuses_what_breaks_the_profile(org: Org, body: dict[str, Any]) -> None:
    refused(org.post("/credentials/status", body), 400, MESSAGE_400)


def test_status_of_a_credential_it_does_not_hold_is_not_found(org: Org) -> None:
    unknown = _status(org, "urn:uuid:00000000-0000-4000-8000-000000000000", "revocation", "1")
    assert refused(unknown, 404, MESSAGE_404)["reason"] == "registry_not_found"
    without = org.issue(id="urn:uuid:1d2e3f40-0000-4000-8000-00000000aa01")  # recorded, but no status asked for
    assert refused(_status(org, without["id"], "revocation", "1"), 404, MESSAGE_404)["reason"] == "registry_not_found"


def test_status_of_another_issuers_credential_is_not_found(org: Org) -> None:
    # Issued at the root (W3C VC API) by the service's other issuer: in the registry, but not the organisation's.
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "id": "urn:uuid:5e3d0b8a-0000-4000-8000-0000000000b2", "credentialSubject": {"id": "did:example:123"}}
    root = org.http.post(f"{org.origin}/credentials/issue", headers={"Authorization": f"Bearer {ADMIN}"},
                         json={"credential": credential, "options": {"issuer": "other"}})
    assert root.status_code == 201, root.text
    assert refused(_status(org, credential["id"], "revocation", "1"), 404, MESSAGE_404)["reason"] == \
        "registry_not_found"


def test_an_organisation_without_a_registry(make_org: Callable[..., Org]) -> None:
    bare = make_org(registry=False)
    vc = bare.issue()  # issued, not recorded
    asked = bare.post("/credentials/issue", issue_body(bare.did, {"type": "Ed25519Signature2018",
                                                                  "credentialStatus": {}}))
    assert refused(asked, 400, MESSAGE_400)["reason"] == "no_status_list"
    assert "id" not in vc and refused(_status(bare, "urn:uuid:x", "revocation", "1"), 404, MESSAGE_404)[
        "reason"] == "no_registry"


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"lists": ("revocation",), "site": None}, "status_site, which is not set"),
    ({"lists": ("revocation", "message")}, "more than one bit per entry"),
])
def test_status_lists_the_service_cannot_write_are_its_500(make_org: Callable[..., Org], kwargs: dict[str, Any],
                                                           problem: str) -> None:
    misconfigured = make_org(**kwargs)
    asked = misconfigured.post("/credentials/issue", issue_body(misconfigured.did, {
        "type": "Ed25519Signature2018", "credentialStatus": {}}))
    body = refused(asked, 500, "Internal Server Error: The request could not be completed")
    assert body["reason"] == "invalid_config" and problem in body["details"][0]


def test_a_status_update_without_a_status_site_is_a_500(make_org: Callable[..., Org]) -> None:
    unpublished = make_org(lists=("revocation",), site=None)
    body = refused(_status(unpublished, "urn:uuid:x", "revocation", "1"), 500,
                   "Internal Server Error: The request could not be completed")
    assert "status_site" in body["details"][0]


def test_status_asked_of_an_organisation_without_lists_is_a_400(partner: Org) -> None:
    answer = partner.post("/credentials/issue", issue_body(partner.did, {"type": "Ed25519Signature2018",
                                                                          "credentialStatus": {}}))
    assert refused(answer, 400, MESSAGE_400)["reason"] == "no_status_list"


def test_a_status_site_that_cannot_be_written_is_a_500_without_a_traceback(make_org: Callable[..., Org]) -> None:
    broken = make_org(lists=("revocation",), site="file")
    answer = broken.post("/credentials/issue", issue_body(broken.did, {"type": "Ed25519Signature2018",
                                                                        "credentialStatus": {}}))
    assert answer.status_code == 500
    assert answer.json() == {"message": "Internal Server Error: The request could not be completed", "code": 500,
                             "reason": "internal_error"}
    assert "Traceback" not in answer.text


# -- two organisations -------------------------------------------------------------------------------------------------


def test_a_partner_verifies_the_organisations_credentials_over_https(org: Org, partner: Org) -> None:
    vc = org.issue({"type": "Ed25519Signature2018", "credentialStatus": {}})
    revoked = org.issue({"type": "JsonWebSignature2020", "credentialStatus": {}})
    assert _status(org, revoked["id"], "revocation", "1").status_code == 200
    # The partner resolves the organisation's did:web and fetches its status lists over HTTPS (and caches them).
    report = partner.post("/credentials/verify", {"verifiableCredential": vc}).json()
    assert report["verified"] is True and "status" in report["checks"], report
    report = partner.post("/credentials/verify", {"verifiableCredential": revoked}).json()
    assert report["verified"] is False and any("revoked" in error for error in report["errors"]), report
    own = partner.issue()
    assert org.post("/credentials/verify", {"verifiableCredential": own}).json()["verified"] is True


# -- a host that answers too slowly ----------------------------------------------------------------------------------


def test_when_every_fetch_slot_is_taken_the_profile_answers_503_at_once(make_org: Callable[..., Org],
                                                                       dripping_host: Any) -> None:
    slow = make_org(fetch=dripping_host.policy(timeout=2.0), pending=1)
    key = Key.generate()
    unsigned = issue_body(dripping_host.did)["credential"]
    stuck = {"verifiableCredential": sign(unsigned, key, suite="Ed25519Signature2018",
                                          verification_method=f"{dripping_host.did}#key-1")}
    with ThreadPoolExecutor(4) as callers:
        waiting = [callers.submit(slow.post, "/credentials/verify", stuck) for _ in range(3)]
        time.sleep(0.3)  # one of them holds the one slot, on the host, until its deadline
        resolving = slow.get(f"/identifiers/{dripping_host.did}")
        answers = [future.result(timeout=10) for future in waiting]
    busy = [a for a in [*answers, resolving] if a.status_code == 503]
    assert len(busy) >= 3, [a.text for a in answers]
    for answer in busy:
        assert refused(answer, 503, "Service Unavailable: The request cannot be completed now; try again later")[
            "reason"] == "busy"
        assert answer.headers["retry-after"] == "2"
    held = [a for a in answers if a.status_code == 200]
    assert len(held) == 1 and held[0].json()["verified"] is False  # undecided at the deadline: not verified
    assert any("timeout" in error or "longer than" in error for error in held[0].json()["errors"])
