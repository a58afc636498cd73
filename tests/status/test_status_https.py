"""Status checks against lists served by a real HTTPS server on 127.0.0.1: revoke, suspend, reinstate flip them."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.status import Registry
from vctrade.status import Bitstring, CachingSource, HttpsStatusSource, StatusFiles, status_list_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


class World:
    """An issuer with a registry, lists published into the folder the HTTPS server serves."""

    def __init__(self, server: Any, folder: Path) -> None:
        self.server, self.site = server, folder / "site"
        self.key = Key.generate()
        self.key.save(folder / "cbp.jwk")
        self.registry = Registry(folder / "registry.sqlite", clock=lambda: NOW)
        self.revocation_url = server.url("/status/aeo-1")
        self.suspension_url = server.url("/status/aeo-s")
        self.registry.create_list(self.revocation_url, self.key.did, "revocation", folder / "cbp.jwk")
        self.registry.create_list(self.suspension_url, self.key.did, "suspension", folder / "cbp.jwk")
        unsigned = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:7d9c6c6e-1b0e-4a5b-9f4e-5a2f0c7e1d11",
            "type": ["VerifiableCredential"],
            "issuer": self.key.did,
            "credentialSubject": {"id": "did:example:acme"},
        }
        unsigned["credentialStatus"] = self.registry.allocate(unsigned)
        self.credential = sign(unsigned, self.key, created=NOW - timedelta(days=1))
        self.registry.record(self.credential)
        self.publish()

    def publish(self) -> None:
        self.registry.publish(self.site, lambda unsigned, _: sign(unsigned, self.key, created=NOW))

    def verify(self, document: dict[str, Any] | None = None, source: Any = None, now: datetime = NOW) -> Any:
        return verify(document or self.credential, now=now,
                      status_source=source or HttpsStatusSource(self.server.policy()))


@pytest.fixture
def world(tmp_path: Path, make_https_server: Callable[..., Any]) -> Iterator[World]:
    with make_https_server(root=tmp_path / "site") as server:
        yield World(server, tmp_path)


def status_checks(result: Any) -> dict[str, Any]:
    return {c.name: c for c in result.checks if c.name.startswith("status")}


def test_revoke_suspend_reinstate_flip_verification(world: World) -> None:
    assert world.verify().verified
    world.registry.suspend(world.credential["id"], "audit")
    world.publish()
    suspended = world.verify()
    assert not suspended.verified and status_checks(suspended)["status.suspension"].code == "suspended"
    world.registry.reinstate(world.credential["id"])
    world.publish()
    assert world.verify().verified
    world.registry.revoke(world.credential["id"], "validation failed")
    world.publish()
    revoked = world.verify()
    check = status_checks(revoked)["status.revocation"]
    assert check.status == "failed" and check.code == "revoked" and "revoked" in check.message


def test_unpublished_change_is_not_visible_and_the_cache_holds_until_ttl(world: World) -> None:
    clock = [0.0]
    source = CachingSource(HttpsStatusSource(world.server.policy()), clock=lambda: clock[0])
    assert world.verify(source=source).verified
    assert world.verify(source=source).verified
    assert world.server.hits["/status/aeo-1"] == 1  # fetched once, then cached
    world.registry.revoke(world.credential["id"])
    world.publish()
    assert world.verify(source=source).verified  # still the cached list: stale by design, bounded by max_age
    clock[0] += 301  # past the default 5-minute max age
    assert not world.verify(source=source).verified
    assert world.server.hits["/status/aeo-1"] == 2


def test_unreachable_or_refused_lists_are_errors_never_passes(world: World) -> None:
    world.server.routes["/status/aeo-1"] = dict(body=b"{}", status=404)
    result = world.verify()
    assert status_checks(result)["status.revocation"].status == "error" and result.undecided
    blocked = world.verify(source=HttpsStatusSource(world.server.policy(allow_private_hosts=False)))
    check = status_checks(blocked)["status.suspension"]
    assert check.status == "error" and check.code == "blocked_address" and "127.0.0.1" in check.message
    untrusted = world.verify(source=HttpsStatusSource(world.server.policy(verify=True)))
    assert status_checks(untrusted)["status.suspension"].code == "tls_failure"


def _serve(world: World, path: str, document: dict[str, Any]) -> None:
    world.server.routes[path] = dict(body=json.dumps(document).encode())


def _published(world: World, name: str) -> dict[str, Any]:
    return json.loads((world.site / "status" / name).read_text())


def test_a_list_from_another_issuer_fails(world: World) -> None:
    other = Key.generate()
    forged = _published(world, "aeo-1")
    del forged["proof"]
    forged["issuer"] = other.did
    _serve(world, "/status/aeo-1", sign(forged, other, created=NOW))
    check = status_checks(world.verify())["status.revocation"]
    assert check.status == "failed" and "not by the credential's issuer" in check.message


def test_a_tampered_list_fails(world: World) -> None:
    tampered = _published(world, "aeo-1")
    tampered["credentialSubject"]["encodedList"] = Bitstring(131_072 * 2).encode()
    _serve(world, "/status/aeo-1", tampered)
    check = status_checks(world.verify())["status.revocation"]
    assert check.status == "failed" and check.code == "status_list_unverified"


def _resigned(world: World, change: Any) -> dict[str, Any]:
    document = _published(world, "aeo-1")
    del document["proof"]
    change(document)
    return sign(document, world.key, created=NOW)


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        (lambda d: d["credentialSubject"].update(statusPurpose="suspension"), "status_list_unusable", "failed"),
        (lambda d: d["credentialSubject"].update(encodedList=Bitstring(1024).encode()), "status_list_too_short", "failed"),
        (lambda d: d["credentialSubject"].update(encodedList="uNOTGZIP"), "invalid_status_list", "failed"),
        (lambda d: d.update(type=["VerifiableCredential"]), "status_list_unusable", "failed"),
    ],
)
def test_unusable_lists(world: World, change: Any, code: str, status: str) -> None:
    _serve(world, "/status/aeo-1", _resigned(world, change))
    check = status_checks(world.verify())["status.revocation"]
    assert (check.code, check.status) == (code, status)


def test_an_expired_list_is_undecided(world: World) -> None:
    result = world.verify(now=NOW + timedelta(days=2))  # the list's validUntil was NOW + 24 h
    check = status_checks(result)["status.revocation"]
    assert check.status == "error" and "expired" in check.message


def test_index_out_of_range_and_bad_entries(world: World) -> None:
    document = copy.deepcopy(world.credential)
    del document["proof"]
    document["credentialStatus"][0]["statusListIndex"] = str(10**9)
    out_of_range = world.verify(sign(document, world.key, created=NOW))
    assert status_checks(out_of_range)["status.revocation"].code == "status_index_out_of_range"
    document["credentialStatus"][0]["statusListIndex"] = 5  # a number, not a string
    bad = world.verify(sign(document, world.key, created=NOW))
    assert any(c.code == "invalid_status_entry" for c in bad.checks)


def test_offline_status_files(world: World) -> None:
    files = StatusFiles({world.revocation_url: world.site / "status/aeo-1", world.suspension_url: world.site / "status/aeo-s"})
    assert world.verify(source=files).verified
    only_one = StatusFiles({world.revocation_url: world.site / "status/aeo-1"})
    assert world.verify(source=only_one).undecided


def test_statuslist2021_is_read(world: World) -> None:
    url = world.server.url("/status/2021")
    bits = Bitstring()
    bits[42] = True
    status_list = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
        "id": url,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuanceDate": "2026-05-01T00:00:00Z",
        "credentialSubject": {"id": f"{url}#list", "type": "StatusList2021", "statusPurpose": "revocation",
                              "encodedList": b64url_encode(gzip.compress(bytes(bits._bytes)))},
    }
    _serve(world, "/status/2021", sign(status_list, world.key, created=NOW - timedelta(days=1)))

    def credential(index: int) -> dict[str, Any]:
        return sign({
            "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
            "type": ["VerifiableCredential"],
            "issuanceDate": "2026-05-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:acme"},
            "credentialStatus": {"id": f"{url}#{index}", "type": "StatusList2021Entry", "statusPurpose": "revocation",
                                 "statusListIndex": str(index), "statusListCredential": url},
        }, world.key, created=NOW - timedelta(days=1))

    assert world.verify(credential(41)).verified
    revoked = world.verify(credential(42))
    assert status_checks(revoked)["status.revocation"].code == "revoked"


def test_status_list_builder_sets_ttl() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    document = status_list_credential("https://x.example/s", "did:example:i", "revocation", Bitstring(),
                                      valid_from=start, valid_until=start + timedelta(hours=6))
    assert document["credentialSubject"]["ttl"] == 6 * 3600 * 1000


def test_a_cached_list_is_verified_once(world: World) -> None:
    source = CachingSource(HttpsStatusSource(world.server.policy()))
    calls: list[str] = []
    from vctrade.status import check_status

    def verify_list(document: dict[str, Any]) -> Any:
        calls.append(document["id"])
        return verify(document, now=NOW, status_source=source)

    for _ in range(3):
        results = check_status(world.credential, source=source, verify_list=verify_list, now=NOW)
        assert all(c.status == "passed" for c in results)
    assert len(calls) == 2  # two lists (revocation, suspension), each verified once while cached


def test_the_cache_keeps_a_bounded_number_of_lists(tmp_path: Path) -> None:
    """Past max_entries the least recently used list is forgotten and read again (memory stays bounded)."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text('{"version": 1}')
    second.write_text('{"version": 1}')
    source = CachingSource(StatusFiles({"https://s.example/a": first, "https://s.example/b": second}), max_entries=1)
    assert source.get("https://s.example/a") == {"version": 1}
    first.write_text('{"version": 2}')
    assert source.get("https://s.example/a") == {"version": 1}  # cached
    source.get("https://s.example/b")  # pushes a out
    assert source.get("https://s.example/a") == {"version": 2}
