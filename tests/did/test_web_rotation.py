"""did:web key rotation: a key's method id comes from the key (or the document it was already published in), so a
credential signed with it verifies in any document that lists it, in any order, and fails as "not listed" once it is
removed — never as a signature mismatch, which reads like tampering. Against a real HTTPS server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, issue, verify
from vctrade.did import (
    create_did_web_document,
    did_web,
    method_for_key,
    network_resolver,
)
from vctrade.errors import InvalidDID

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def unsigned() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:acme"}}


class Site:
    """A did:web controller whose document the test rewrites, served by a real local HTTPS server."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.did = did_web(f"127.0.0.1:{server.port}")

    def publish(self, keys: list[Key], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        document = create_did_web_document(self.did, [k.public() for k in keys], previous=previous)
        self.server.routes["/.well-known/did.json"] = dict(body=json.dumps(document).encode())
        return document

    def verify(self, signed: dict[str, Any] | str) -> Any:
        return verify(signed, now=NOW, resolver=network_resolver(self.server.policy()))  # a fresh cache each time


@pytest.mark.parametrize("fmt", ["di", "jose"])
def test_sign_with_a_then_publish_a_ab_ba_and_it_still_verifies(https_server: Any, fmt: str) -> None:
    site = Site(https_server)
    a, b = Key.generate(), Key.generate("P-256")
    site.publish([a])
    method = method_for_key(site.did, a, network_resolver(https_server.policy()))
    assert method == f"{site.did}#{a.public_multibase}"
    signed = issue(unsigned(), a, format=fmt, verification_method=method, created=NOW).secured
    for keys in ([a], [a, b], [b, a]):
        site.publish(keys)
        result = site.verify(signed)
        assert result.verified, (keys, [c for c in result.all_checks() if c.status != "passed"])


def test_a_removed_key_fails_as_not_listed(https_server: Any) -> None:
    site = Site(https_server)
    a, b = Key.generate(), Key.generate()
    site.publish([a, b])
    signed = issue(unsigned(), a, verification_method=f"{site.did}#{a.public_multibase}", created=NOW).secured
    site.publish([b])
    result = site.verify(signed)
    failed = [c for c in result.all_checks() if c.status != "passed"]
    assert not result.verified and failed[0].code == "method_not_listed"
    assert "is not listed" in failed[0].message and a.public_multibase in failed[0].message
    assert "signature_invalid" not in {c.code for c in failed}


def test_ids_kept_from_the_earlier_document(https_server: Any) -> None:
    """A document made by the previous version numbered its keys (#key-1…): given as ``previous``, each listed key
    keeps its id, a new key gets its own, and a key no longer listed leaves its id unused."""
    site = Site(https_server)
    a, b, c = Key.generate(), Key.generate(), Key.generate()
    earlier = create_did_web_document(site.did, [a, b], ["key-1", "key-2"])
    site.server.routes["/.well-known/did.json"] = dict(body=json.dumps(earlier).encode())
    signed = issue(unsigned(), a, verification_method=f"{site.did}#key-1", created=NOW).secured
    rotated = site.publish([c, a], previous=earlier)
    assert [m["id"] for m in rotated["verificationMethod"]] == [f"{site.did}#{c.public_multibase}", f"{site.did}#key-1"]
    assert site.verify(signed).verified
    assert [m["id"] for m in site.publish([c, b], previous=rotated)["verificationMethod"]] == [
        f"{site.did}#{c.public_multibase}", f"{site.did}#{b.public_multibase}"]  # b was not in `rotated`
    failed = [c for c in site.verify(signed).all_checks() if c.status != "passed"]  # a is gone, key-1 with it
    assert failed and failed[0].code == "method_not_listed"


def test_an_earlier_document_of_another_did_or_with_a_broken_key_is_refused() -> None:
    a = Key.generate()
    other = create_did_web_document("did:web:other.example", [a])
    with pytest.raises(InvalidDID, match="not of did:web:cbp.example") as raised:
        create_did_web_document("did:web:cbp.example", [a], previous=other)
    assert raised.value.code == "id_mismatch"
    broken = create_did_web_document("did:web:cbp.example", [a])
    broken["verificationMethod"][0]["publicKeyMultibase"] = "zNOTAKEY"
    with pytest.raises(InvalidDID, match="earlier document"):
        create_did_web_document("did:web:cbp.example", [a], previous=broken)
    # An earlier document naming another key with this key's derived id: two keys cannot share one id.
    b = Key.generate()
    clash = create_did_web_document("did:web:cbp.example", [b], [a.public_multibase])
    with pytest.raises(InvalidDID, match="distinct"):
        create_did_web_document("did:web:cbp.example", [a, b], previous=clash)
