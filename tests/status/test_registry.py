"""The issuer's registry: records, unique random indexes under concurrency, append-only audit, publishing — each
test against an SQLite file and a real PostgreSQL database (``registry_location``, tests/status/conftest.py)."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign
from vctrade.status import Registry
from vctrade.errors import OperationalError, RegistryError
from vctrade.status import Bitstring

URL = "https://cbp.example/status/aeo-1"
SUSPEND_URL = "https://cbp.example/status/aeo-s"


def credential(issuer: str, number: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": f"did:example:trader{number}"},
    }


@pytest.fixture
def setup(tmp_path: Path, registry_location: str) -> tuple[Registry, Key, Path]:
    key = Key.generate()
    key.save(tmp_path / "cbp.jwk")
    registry = Registry(registry_location)
    registry.create_list(URL, key.did, "revocation", tmp_path / "cbp.jwk")
    registry.create_list(SUSPEND_URL, key.did, "suspension", tmp_path / "cbp.jwk")
    return registry, key, tmp_path


def test_allocate_gives_one_entry_per_purpose(setup: tuple[Registry, Key, Path]) -> None:
    registry, key, _ = setup
    entries = registry.allocate(credential(key.did, 1))
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert entries[0]["id"] == f"{URL}#{entries[0]['statusListIndex']}"
    assert registry.allocate(credential("did:example:other", 2)) == []  # no lists for that issuer


def _allocate_many(path: str, issuer: str, start: int, count: int, queue: Any) -> None:
    registry = Registry(path)
    indexes = [int(registry.allocate(credential(issuer, start + i))[0]["statusListIndex"]) for i in range(count)]
    queue.put(indexes)


def test_indexes_are_unique_across_concurrent_processes(setup: tuple[Registry, Key, Path], registry_location: str) -> None:
    registry, key, tmp_path = setup
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_allocate_many, args=(registry_location, key.did, n * 1000, 40, queue)) for n in range(4)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    indexes = [i for chunk in results for i in chunk]
    assert len(indexes) == 160 and len(set(indexes)) == 160
    assert len({i // 8192 for i in indexes}) > 4  # random spread, not sequential


def test_status_changes_and_audit_trail(setup: tuple[Registry, Key, Path]) -> None:
    registry, key, _ = setup
    issued = sign({**credential(key.did, 1), "credentialStatus": registry.allocate(credential(key.did, 1))}, key)
    registry.record(issued)
    registry.suspend(issued["id"], "pending review")
    registry.reinstate(issued["id"], "review passed")
    registry.revoke(issued["id"], "validation failed")
    with pytest.raises(RegistryError, match="final"):
        registry._set(issued["id"], "revocation", 0, "unrevoke", None)
    with pytest.raises(RegistryError, match="already revoked"):
        registry.revoke(issued["id"])
    with pytest.raises(RegistryError, match="not suspended"):
        registry.reinstate(issued["id"])
    record = registry.credential_status(issued["id"])
    assert record["status"]["revocation"]["set"] and not record["status"]["suspension"]["set"]
    assert [e["action"] for e in record["history"]] == ["issue", "suspend", "reinstate", "revoke"]
    assert record["history"][-1]["reason"] == "validation failed"
    assert record["subject"] == "did:example:trader1" and len(record["digest"]) == 64


def test_audit_log_is_append_only(setup: tuple[Registry, Key, Path], registry_location: str) -> None:
    registry, _, _ = setup
    refused = OperationalError if registry_location.startswith("postgresql:") else sqlite3.DatabaseError
    with pytest.raises(refused, match="append-only"):
        registry._db.execute("UPDATE audit_log SET reason = 'x'")
    with pytest.raises(refused, match="append-only"):
        registry._db.execute("DELETE FROM audit_log")
    if refused is sqlite3.DatabaseError:
        with pytest.raises(refused, match="append-only"):  # REPLACE deletes without a DELETE trigger
            registry._db.execute("INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE seq = 1")
    else:
        with pytest.raises(refused, match="append-only"):
            registry._db.execute("TRUNCATE audit_log")
        with pytest.raises(refused, match="append-only"):  # an upsert updates: refused by the UPDATE trigger
            registry._db.execute("INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 1 "
                                 "ON CONFLICT (seq) DO UPDATE SET reason = 'x'")
        with pytest.raises(refused, match="append-only"):  # the high-water mark only moves forward
            registry._db.execute("UPDATE audit_state SET high = 0")
    assert registry.verify_log() is None


def test_unknown_credentials_and_bad_lists(setup: tuple[Registry, Key, Path]) -> None:
    registry, key, tmp_path = setup
    with pytest.raises(RegistryError, match="no credential"):
        registry.revoke("urn:uuid:unknown")
    with pytest.raises(RegistryError, match="already exists"):
        registry.create_list(URL, key.did, "revocation", tmp_path / "cbp.jwk")
    with pytest.raises(RegistryError, match="https"):
        registry.create_list("http://cbp.example/s", key.did, "revocation", tmp_path / "cbp.jwk")
    with pytest.raises(RegistryError, match="purpose"):
        registry.create_list("https://cbp.example/x", key.did, "message", tmp_path / "cbp.jwk")
    for hostile in ("https://cbp.example/status/%2E%2E%2F%2E%2E%2Fetc", "https://cbp.example/%2e%2e", "https://cbp.example/a/"):
        with pytest.raises(RegistryError, match="no usable path"):  # a web server decodes it into ../../etc
            registry.create_list(hostile, key.did, "revocation", tmp_path / "cbp.jwk")
    with pytest.raises(RegistryError, match="at least 131072"):
        registry.create_list("https://cbp.example/y", key.did, "revocation", tmp_path / "cbp.jwk", size=1024)


def test_a_full_list_says_so(tmp_path: Path, registry_location: str) -> None:
    registry = Registry(registry_location)
    registry.create_list(URL, "did:example:cbp", "revocation", tmp_path / "k.jwk", verification_method="did:example:cbp#1")
    status_list = registry.status_list(URL)
    registry._db.execute("UPDATE status_lists SET size = 8 WHERE id = ?", (status_list.id,))
    for n in range(8):
        registry.allocate(credential("did:example:cbp", n))
    with pytest.raises(RegistryError, match="is full"):
        registry.allocate(credential("did:example:cbp", 99))


def test_publish_writes_signed_lists_atomically(setup: tuple[Registry, Key, Path]) -> None:
    registry, key, tmp_path = setup
    entries = registry.allocate(credential(key.did, 7))
    registry.record(credential(key.did, 7))
    registry.revoke(credential(key.did, 7)["id"])
    moment = datetime(2026, 6, 1, tzinfo=timezone.utc)
    registry._clock = lambda: moment
    written = registry.publish(tmp_path / "site", lambda unsigned, status_list: sign(unsigned, key, created=moment))
    assert sorted(p.relative_to(tmp_path / "site").as_posix() for p in written) == ["status/aeo-1", "status/aeo-s"]
    assert not list((tmp_path / "site" / "status").glob("*.tmp"))
    published = json.loads((tmp_path / "site/status/aeo-1").read_text())
    assert published["validUntil"] == "2026-06-02T00:00:00Z" and published["credentialSubject"]["ttl"] == 86_400_000
    bits = Bitstring.decode(published["credentialSubject"]["encodedList"])
    assert bits[int(entries[0]["statusListIndex"])] and "proof" in published


def test_a_publish_never_overwrites_a_list_with_older_bits(setup: tuple[Registry, Key, Path],
                                                            registry_location: str) -> None:
    """Publisher A has read the bits and is signing when B revokes and publishes. A holds the list's publish right
    (SQLite's write lock, PostgreSQL's advisory lock) from reading to writing: B's change lands after A's write and
    B's list is written last, so the file shows the revocation. (Without the lock A wrote its older list last.)"""
    registry, key, tmp_path = setup
    registry.allocate(credential(key.did, 1))
    registry.record(credential(key.did, 1))
    registry.publish(tmp_path / "site", lambda unsigned, _: sign(unsigned, key))
    signing, go = threading.Event(), threading.Event()

    def slow_sign(unsigned: dict[str, Any], status_list: Any) -> dict[str, Any]:
        if status_list.url == URL and not signing.is_set():
            signing.set()
            go.wait(10)
        return sign(unsigned, key)

    def publish() -> None:  # each thread its own connection (sqlite3 objects stay in their thread)
        with Registry(registry_location) as mine:
            mine.publish(tmp_path / "site", slow_sign)

    def revoke_and_publish() -> None:
        with Registry(registry_location) as other:
            other.revoke(credential(key.did, 1)["id"])
            other.publish(tmp_path / "site", lambda unsigned, _: sign(unsigned, key))

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert signing.wait(10)
    reviser = threading.Thread(target=revoke_and_publish)
    reviser.start()
    reviser.join(timeout=1.0)  # with the lock it waits for A; without it, it would be done by now
    go.set()
    publisher.join(timeout=30)
    reviser.join(timeout=30)
    assert not publisher.is_alive() and not reviser.is_alive()
    published = json.loads((tmp_path / "site/status/aeo-1").read_text())
    index = int(registry.credential_status(credential(key.did, 1)["id"])["status"]["revocation"]["index"])
    assert Bitstring.decode(published["credentialSubject"]["encodedList"])[index]
