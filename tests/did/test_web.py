"""did:web against a real HTTPS server on 127.0.0.1: resolution, every refusal, the cache, rotation, every suite."""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade._http import is_public_address
from vctrade.did import DIDResolver, WebMethod, method_for_key, network_resolver
from vctrade.did import create_did_web_document, did_to_url, did_web, document_path
from vctrade.errors import InvalidDID, ResolutionError, SigningError, UnsupportedError

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
# Read while collecting (parametrize): the folder of the `vectors` fixture (tests/conftest.py).
VECTORS = Path(os.environ.get("VCTRADE_VECTORS", Path(__file__).resolve().parents[3] / "shared" / "vectors"))


@pytest.mark.parametrize("case", json.loads((VECTORS / "did-web/did-to-url.json").read_text(encoding="utf-8"))["cases"],
                         ids=lambda c: c["did"])
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

    def __init__(self, server: Any) -> None:
        self.server = server
        self.did = did_web(f"127.0.0.1:{server.port}")
        self.current, self.old = Key.generate(), Key.generate()
        self.publish([self.current, self.old])

    def publish(self, keys: list[Key], **changes: Any) -> None:
        document = create_did_web_document(self.did, keys) | changes
        self.server.routes["/.well-known/did.json"] = dict(body=json.dumps(document).encode())

    def resolver(self, **policy: Any) -> DIDResolver:
        return network_resolver(self.server.policy(**policy))


@pytest.fixture
def site(https_server: Any) -> Site:
    return Site(https_server)


def test_resolves_and_dereferences(site: Site) -> None:
    document = site.resolver().resolve(site.did)
    assert document.id == site.did
    method = document.verification_method(f"{site.did}#{site.old.public_multibase}")  # ids come from the keys
    assert method is not None and method.key == site.old
    assert document.authorizes(f"{site.did}#{site.current.public_multibase}", "assertionMethod")


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
    signed = sign(_unsigned(), site.current, verification_method=f"{site.did}#{site.current.public_multibase}", created=NOW)
    result = verify(signed, now=NOW, resolver=resolver)
    assert not result.verified
    return next(c for c in result.checks if c.name == "proof.verification-method")


@pytest.mark.parametrize(
    ("route", "code", "status"),
    [
        (dict(body=b"{}", status=404), "did_not_found", "failed"),
        (dict(body=b"oops", status=500), "http_error", "error"),
        (dict(body=b"not json"), "http_error", "error"),
        (dict(body=json.dumps({"id": "did:web:elsewhere.example"}).encode()), "id_mismatch", "failed"),
        (dict(body=b"[1, 2]"), "invalid_did_document", "failed"),
        (dict(body=b"{" + b" " * 2_000_000 + b"}"), "too_large", "failed"),
        (dict(status=302, headers={"Location": "https://evil.example/.well-known/did.json"}), "redirect_refused", "failed"),
        (dict(status=301, headers={"Location": "http://127.0.0.1/.well-known/did.json"}), "redirect_refused", "failed"),
        (dict(body=b"{}", delay=1.5), "timeout", "error"),
    ],
)
def test_each_refusal_is_a_named_check(site: Site, route: dict[str, Any], code: str, status: str) -> None:
    site.server.routes["/.well-known/did.json"] = route
    check = _check(site, site.resolver(timeout=0.5))
    assert (check.code, check.status) == (code, status), check.message


def test_bad_verification_method_in_document(site: Site) -> None:
    document = create_did_web_document(site.did, [site.current])
    document["verificationMethod"][0]["publicKeyMultibase"] = "zNOTAKEY"
    site.server.routes["/.well-known/did.json"] = dict(body=json.dumps(document).encode())
    assert _check(site, site.resolver()).code == "invalid_did_document"


def test_same_host_redirect_is_followed(site: Site) -> None:
    body = site.server.routes.pop("/.well-known/did.json").body
    site.server.routes["/moved/did.json"] = dict(body=body)
    site.server.routes["/.well-known/did.json"] = dict(status=301, headers={"Location": "/moved/did.json"})
    assert site.resolver().resolve(site.did).id == site.did


def test_loopback_is_blocked_unless_allowed_and_tls_must_verify(site: Site) -> None:
    blocked = _check(site, site.resolver(allow_private_hosts=False))
    assert blocked.code == "blocked_address" and "this fetch policy does not allow private hosts" in blocked.message
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


def test_resolution_error_is_operational(make_https_server: Callable[..., Any]) -> None:
    with make_https_server() as server:
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
    site.server.routes["/.well-known/did.json"] = dict(body=body)
    assert site.resolver().resolve(did).id == did
    blocked = site.resolver(allow_private_hosts=False)
    with pytest.raises(InvalidDID, match="resolves to 127.0.0.1"):
        blocked.resolve(did)


# -- what real documents hold, and fetches that try to get around the limits ---------------------

def _test_suite_documents() -> list[tuple[str, dict[str, Any]]]:
    """The did:web documents of the W3C DID test suite's implementers (RSA, BLS, PGP and X25519 keys included)."""
    documents = []
    for path in sorted((VECTORS / "did-test-suite").glob("did-web-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for did in data["dids"]:
            entry = data[did]
            representation = entry.get("application/did+json") or entry.get("application/did+ld+json")
            document = json.loads(representation["representation"]) if representation else entry["didDocumentDataModel"]["properties"]
            documents.append((did, document))
    return documents


def test_the_did_test_suite_documents_are_found() -> None:
    assert len(_test_suite_documents()) >= 5  # the parametrization below would silently run nothing without them


@pytest.mark.parametrize(("did", "document"), _test_suite_documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_did_test_suite_documents_resolve_and_dereference(site: Site, did: str, document: dict[str, Any]) -> None:
    """Served as this site's document, each resolves; its methods (relative '#g1' ids too) dereference or are unsupported."""
    served = json.loads(json.dumps(document).replace(did, site.did))
    site.server.routes["/.well-known/did.json"] = dict(body=json.dumps(served).encode())
    resolved = site.resolver().resolve(site.did)
    assert resolved.id == site.did
    for entry in served.get("verificationMethod", []):
        try:
            method = resolved.verification_method(entry["id"])
        except UnsupportedError:
            assert entry["type"] in {"Bls12381G1Key2020", "Bls12381G2Key2020", "JsonWebKey2020", "RsaVerificationKey2018",
                                     "X25519KeyAgreementKey2019"}
            continue
        assert method is not None and method.id == resolved.absolute(entry["id"]) and method.id.startswith(site.did + "#")


def test_unreadable_keys_beside_the_signing_key(site: Site) -> None:
    """An RSA key in the document does not stop the Ed25519 one from signing and verifying; a proof naming it fails."""
    rsa = next(m for _, d in _test_suite_documents() for m in d.get("verificationMethod", []) if m["type"] == "RsaVerificationKey2018")
    document = create_did_web_document(site.did, [site.current])
    document["verificationMethod"].append(rsa | {"id": f"{site.did}#rsa-1", "controller": site.did})
    document["assertionMethod"].append(f"{site.did}#rsa-1")
    site.server.routes["/.well-known/did.json"] = dict(body=json.dumps(document).encode())
    resolver = site.resolver()
    method = method_for_key(site.did, site.current, resolver)
    assert method == f"{site.did}#{site.current.public_multibase}"
    signed = sign(_unsigned(), site.current, verification_method=method, created=NOW)
    assert verify(signed, now=NOW, resolver=resolver).verified
    forged = json.loads(json.dumps(signed))
    forged["proof"]["verificationMethod"] = f"{site.did}#rsa-1"
    check = next(c for c in verify(forged, now=NOW, resolver=resolver).checks if c.name == "proof.verification-method")
    assert (check.status, check.code) == ("failed", "unsupported") and "RSA" in check.message


def test_gzip_is_read_and_a_gzip_bomb_hits_the_cap(site: Site) -> None:
    body = site.server.routes["/.well-known/did.json"].body
    gzipped = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    site.server.routes["/.well-known/did.json"] = dict(body=gzip.compress(body), headers=gzipped)
    assert site.resolver().resolve(site.did).id == site.did
    bomb = gzip.compress(b"{" + b" " * 100_000_000 + b"}")  # ~100 KB on the wire, 100 MB inflated
    site.server.routes["/.well-known/did.json"] = dict(body=bomb, headers=gzipped)
    tracemalloc.start()
    try:
        check = _check(site, site.resolver())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (check.code, check.status) == ("too_large", "failed") and "1048576-byte cap" in check.message
    assert peak < 16_000_000, peak  # refused at the cap, never inflated a network chunk whole
    site.server.routes["/.well-known/did.json"] = dict(body=body, headers=gzipped | {"Content-Encoding": "br"})
    assert _check(site, site.resolver()).code == "http_error"  # an encoding that was not asked for


def test_a_dripping_server_is_cut_off_by_the_deadline(site: Site) -> None:
    """Each byte comes well within the read timeout; the whole fetch still ends near the timeout."""
    site.server.routes["/.well-known/did.json"] = dict(body=b"{" + b" " * 40 + b"}", drip=0.1)
    started = time.monotonic()
    check = _check(site, site.resolver(timeout=0.5))
    assert (check.code, check.status) == ("timeout", "error") and "longer than 0.5 s" in check.message
    assert time.monotonic() - started < 1.5


def test_a_redirect_to_another_port_of_the_same_host_is_refused(site: Site) -> None:
    other = f"https://127.0.0.1:{site.server.port + 1}/.well-known/did.json"
    site.server.routes["/.well-known/did.json"] = dict(status=302, headers={"Location": other})
    check = _check(site, site.resolver())
    assert (check.code, check.status) == ("redirect_refused", "failed") and "another origin" in check.message


@pytest.mark.parametrize(
    ("address", "public"),
    [("93.184.215.14", True), ("2606:4700::6810:84e5", True), ("::ffff:93.184.215.14", True),
     ("127.0.0.1", False), ("10.1.2.3", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
     ("224.0.0.1", False), ("240.0.0.1", False), ("::1", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
     ("::ffff:127.0.0.1", False), ("64:ff9b::7f00:1", False), ("64:ff9b::a9fe:a9fe", False), ("::127.0.0.1", False),
     ("2002:7f00:1::", False), ("2002:a00:1::", False)],
)
def test_which_addresses_count_as_public(address: str, public: bool) -> None:
    """Loopback, private, link-local (cloud metadata), shared, multicast, reserved: refused, also inside IPv6 forms."""
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_the_cache_keeps_a_bounded_number_of_dids(site: Site) -> None:
    """The least recently used DID is forgotten past max_entries (a service meets any number of issuers)."""
    other = did_web(f"127.0.0.1:{site.server.port}", "other")
    site.server.routes["/other/did.json"] = dict(
        body=json.dumps(create_did_web_document(other, [Key.generate()])).encode())
    resolver = DIDResolver({"web": WebMethod(site.server.policy(), ttl=60, max_entries=1)})
    resolver.resolve(site.did)
    resolver.resolve(site.did)
    resolver.resolve(other)  # pushes site.did out
    resolver.resolve(site.did)
    assert site.server.hits["/.well-known/did.json"] == 2
