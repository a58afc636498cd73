"""did:web against a real HTTPS server on 127.0.0.1: resolution, every refusal, the cache, rotation, every suite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from https_server import HttpsServer, Route
from support import VECTORS, load_json

from vctrade import Key, sign, verify
from vctrade.did import DIDResolver, WebMethod, method_for_key, network_resolver
from vctrade.did.web import create_did_web_document, did_to_url, did_web, document_path
from vctrade.errors import InvalidDID, ResolutionError, SigningError

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("case", load_json(VECTORS / "did-web/did-to-url.json")["cases"], ids=lambda c: c["did"])
def test_did_to_url_vectors(case: dict[str, str]) -> None:
    assert did_to_url(case["did"]) == case["url"]


@pytest.mark.parametrize(
    "did",
    ["did:web:", "did:web:exa mple.com", "did:web:example.com:..", "did:web:example.com#key-1", "did:web:-bad.example",
     "did:web:example.com:a b", "did:key:z6Mk"],
)
def test_malformed_did_web_is_refused(did: str) -> None:
    with pytest.raises(InvalidDID):
        did_to_url(did)


def test_building_did_web_with_port_and_path() -> None:
    assert did_web("trade.example:8443", "customs:aeo") == "did:web:trade.example%3A8443:customs:aeo"
    assert document_path("did:web:trade.example%3A8443:customs:aeo") == "customs/aeo/did.json"
    assert document_path("did:web:cbp.example") == ".well-known/did.json"
    with pytest.raises(InvalidDID):
        did_web("cbp.example:http")


class Site:
    """A did:web controller served by a real local HTTPS server."""

    def __init__(self, server: HttpsServer) -> None:
        self.server = server
        self.did = did_web(f"127.0.0.1:{server.port}")
        self.current, self.old = Key.generate(), Key.generate()
        self.publish([self.current, self.old])

    def publish(self, keys: list[Key], **changes: Any) -> None:
        document = create_did_web_document(self.did, keys) | changes
        self.server.routes["/.well-known/did.json"] = Route(body=json.dumps(document).encode())

    def resolver(self, **policy: Any) -> DIDResolver:
        return network_resolver(self.server.policy(**policy))


@pytest.fixture
def site() -> Iterator[Site]:
    with HttpsServer() as server:
        yield Site(server)


def test_resolves_and_dereferences(site: Site) -> None:
    document = site.resolver().resolve(site.did)
    assert document.id == site.did
    method = document.verification_method(f"{site.did}#key-2")
    assert method is not None and method.key == site.old
    assert document.authorizes(f"{site.did}#key-1", "assertionMethod")


def _unsigned() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:acme", "tier": "Validated"},
    }


@pytest.mark.parametrize(
    ("suite", "key_type"),
    [("eddsa-rdfc-2022", "Ed25519"), ("eddsa-jcs-2022", "Ed25519"), ("Ed25519Signature2020", "Ed25519"),
     ("ecdsa-rdfc-2019", "P-256"), ("ecdsa-jcs-2019", "P-384")],
)
def test_every_suite_end_to_end_with_did_web(site: Site, suite: str, key_type: str) -> None:
    key = Key.generate(key_type)
    site.publish([key])
    resolver = site.resolver()
    method = method_for_key(site.did, key, resolver)
    signed = sign(_unsigned(), key, suite=suite, verification_method=method, created=NOW)
    assert signed["issuer"] == site.did
    assert verify(signed, now=NOW, resolver=resolver).verified


def test_rotation(site: Site) -> None:
    resolver = site.resolver()
    signed_old = sign(_unsigned(), site.old, verification_method=method_for_key(site.did, site.old, resolver), created=NOW)
    assert verify(signed_old, now=NOW, resolver=site.resolver()).verified  # still listed: still verifies
    site.publish([site.current])  # the old key is removed
    result = verify(signed_old, now=NOW, resolver=site.resolver())
    check = next(c for c in result.checks if c.name == "proof.verification-method")
    assert check.status == "failed" and "is not a verification method in the DID document" in check.message
    with pytest.raises(SigningError, match="lists no assertionMethod method with this key"):
        method_for_key(site.did, site.old, site.resolver())


def _check(site: Site, resolver: DIDResolver) -> Any:
    signed = sign(_unsigned(), site.current, verification_method=f"{site.did}#key-1", created=NOW)
    result = verify(signed, now=NOW, resolver=resolver)
    assert not result.verified
    return next(c for c in result.checks if c.name == "proof.verification-method")


@pytest.mark.parametrize(
    ("route", "code", "status"),
    [
        (Route(body=b"{}", status=404), "did_not_found", "failed"),
        (Route(body=b"oops", status=500), "http_error", "error"),
        (Route(body=b"not json"), "http_error", "error"),
        (Route(body=json.dumps({"id": "did:web:elsewhere.example"}).encode()), "id_mismatch", "failed"),
        (Route(body=b"[1, 2]"), "invalid_did_document", "failed"),
        (Route(body=b"{" + b" " * 2_000_000 + b"}"), "too_large", "failed"),
        (Route(status=302, headers={"Location": "https://evil.example/.well-known/did.json"}), "redirect_refused", "failed"),
        (Route(status=301, headers={"Location": "http://127.0.0.1/.well-known/did.json"}), "redirect_refused", "failed"),
        (Route(body=b"{}", delay=1.5), "timeout", "error"),
    ],
)
def test_each_refusal_is_a_named_check(site: Site, route: Route, code: str, status: str) -> None:
    site.server.routes["/.well-known/did.json"] = route
    check = _check(site, site.resolver(timeout=0.5))
    assert (check.code, check.status) == (code, status), check.message


def test_bad_verification_method_in_document(site: Site) -> None:
    document = create_did_web_document(site.did, [site.current])
    document["verificationMethod"][0]["publicKeyMultibase"] = "zNOTAKEY"
    site.server.routes["/.well-known/did.json"] = Route(body=json.dumps(document).encode())
    assert _check(site, site.resolver()).code == "invalid_did_document"


def test_same_host_redirect_is_followed(site: Site) -> None:
    body = site.server.routes.pop("/.well-known/did.json").body
    site.server.routes["/moved/did.json"] = Route(body=body)
    site.server.routes["/.well-known/did.json"] = Route(status=301, headers={"Location": "/moved/did.json"})
    assert site.resolver().resolve(site.did).id == site.did


def test_loopback_is_blocked_unless_allowed_and_tls_must_verify(site: Site) -> None:
    blocked = _check(site, site.resolver(allow_private_hosts=False))
    assert blocked.code == "blocked_address" and "--allow-private-hosts" in blocked.message
    untrusted = _check(site, site.resolver(verify=True))  # the system CAs do not know the test CA
    assert (untrusted.code, untrusted.status) == ("tls_failure", "error")


def test_the_cache_resolves_once_per_ttl(site: Site) -> None:
    clock = [0.0]
    method = WebMethod(site.server.policy(), ttl=60, clock=lambda: clock[0])
    resolver = DIDResolver({"web": method})
    for _ in range(5):
        resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 1
    clock[0] += 61
    resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 2


def test_cache_control_no_store_and_max_age_are_respected(site: Site) -> None:
    route = site.server.routes["/.well-known/did.json"]
    route.headers = {**route.headers, "Cache-Control": "no-store"}
    clock = [0.0]
    resolver = DIDResolver({"web": WebMethod(site.server.policy(), clock=lambda: clock[0])})
    resolver.resolve(site.did)
    resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 2
    route.headers = {**route.headers, "Cache-Control": "public, max-age=10"}
    resolver.resolve(site.did)
    clock[0] += 5
    resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 3
    clock[0] += 6
    resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 4


def test_resolution_error_is_operational() -> None:
    with HttpsServer() as server:
        did = did_web(f"127.0.0.1:{server.port}")
    with pytest.raises(ResolutionError):  # the server is gone: connection refused
        network_resolver(server.policy()).resolve(did)


def test_a_host_name_is_pinned_to_its_checked_address_and_tls_checks_the_name(site: Site) -> None:
    """did:web:localhost: resolved once, connected to that address, the certificate checked for 'localhost'."""
    import socket

    if socket.getaddrinfo("localhost", site.server.port, type=socket.SOCK_STREAM)[0][4][0] != "127.0.0.1":
        pytest.fail("this test needs localhost to resolve to 127.0.0.1 first (the test server listens there)")
    did = did_web(f"localhost:{site.server.port}")
    body = json.dumps(create_did_web_document(did, [site.current])).encode()
    site.server.routes["/.well-known/did.json"] = Route(body=body)
    assert site.resolver().resolve(did).id == did
    blocked = site.resolver(allow_private_hosts=False)
    with pytest.raises(InvalidDID, match="resolves to 127.0.0.1"):
        blocked.resolve(did)
