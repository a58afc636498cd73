"""The PostgreSQL registry (against a real server, tests/conftest.py): what differs from SQLite's — its triggers and
high-water mark under an attacker's plain connection, its schema version, repair on open, the CLI and the service
configuration taking a postgresql:// URL, and a clear message without psycopg."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vctrade.errors import OperationalError, RegistryError
from vctrade.status import Registry
from vctrade.status._postgres import PostgresRegistry, redacted

URL = "https://cbp.example/status/aeo-1"
SUSPEND_URL = "https://cbp.example/status/aeo-s"
ISSUER = "did:example:cbp"


def credential(number: int) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": f"urn:uuid:{number}",
            "type": ["VerifiableCredential"], "issuer": ISSUER, "credentialSubject": {"id": f"did:example:t{number}"}}


@pytest.fixture
def url(postgres_url: str, tmp_path: Path) -> str:
    """A registry with seven log entries: init, init, issue, suspend, reinstate, revoke, issue (as test_audit_chain)."""
    with Registry(postgres_url) as registry:
        assert isinstance(registry, PostgresRegistry)
        registry.create_list(URL, ISSUER, "revocation", tmp_path / "k.jwk", verification_method=f"{ISSUER}#1")
        registry.create_list(SUSPEND_URL, ISSUER, "suspension", tmp_path / "k.jwk", verification_method=f"{ISSUER}#1")
        for number in (1, 2):
            registry.allocate(credential(number))
        registry.record(credential(1))
        registry.suspend("urn:uuid:1", "pending review")
        registry.reinstate("urn:uuid:1", "review passed")
        registry.revoke("urn:uuid:1", "validation failed")
        registry.record(credential(2))
        assert len(registry.log()) == 7 and registry.verify_log() is None
    return postgres_url


@pytest.fixture
def attacker(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain connection with the database owner's rights (it can drop triggers)."""
    with psycopg.connect(url, autocommit=True) as db:
        yield db


def test_the_chain_is_the_documented_one(url: str) -> None:
    """The same canonical bytes and hashes as the SQLite registry: sorted compact JSON, SHA-256, chained."""
    with Registry(url) as registry:
        rows = registry._db.execute("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
        entries = registry.log()
    prev = "0" * 64
    for entry, (seq, stored_prev, stored) in zip(entries, rows, strict=True):
        content = {k: entry[k] for k in ("seq", "at", "actor", "action", "credential_id", "list_url", "index", "reason")}
        canonical = json.dumps({**content, "prev": prev}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert (stored_prev, stored) == (prev, hashlib.sha256(canonical.encode()).hexdigest()), seq
        prev = stored


def test_drop_trigger_then_delete_a_middle_entry_is_named_and_the_trigger_restored(
        url: str, attacker: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        attacker.execute("DELETE FROM audit_log WHERE seq = 4")
    attacker.execute("DROP TRIGGER audit_log_no_delete ON audit_log")
    attacker.execute("DELETE FROM audit_log WHERE seq = 4")
    with Registry(url) as registry:
        broken = registry.verify_log()
        assert broken is not None and broken.seq == 4 and "entry 4 missing" in broken.problem
        assert registry.log()[-1]["action"] == "repair" and "audit_log_no_delete" in registry.log()[-1]["reason"]
        with pytest.raises(OperationalError, match="append-only"):
            registry._db.execute("DELETE FROM audit_log WHERE seq = 5")


def test_disabled_triggers_are_put_back(url: str, attacker: psycopg.Connection[Any]) -> None:
    attacker.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    attacker.execute("UPDATE audit_log SET reason = 'routine check' WHERE seq = 6")
    with Registry(url) as registry:
        broken = registry.verify_log()
        assert broken is not None and broken.seq == 6 and "entry 6 was changed after it was written" in broken.problem
        assert registry.log()[-1]["action"] == "repair"
        with pytest.raises(OperationalError, match="append-only"):
            registry._db.execute("UPDATE audit_log SET reason = 'x' WHERE seq = 5")


def test_delete_the_last_entries_is_named_by_the_high_water_mark(url: str, attacker: psycopg.Connection[Any]) -> None:
    attacker.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete")
    attacker.execute("DELETE FROM audit_log WHERE seq >= 6")
    attacker.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete")  # tracks covered
    with pytest.raises(psycopg.errors.RaiseException, match="only moves forward"):
        attacker.execute("UPDATE audit_state SET high = 5")
    with Registry(url) as registry:
        broken = registry.verify_log()
        assert broken is not None and broken.seq == 6 and "entries 6-7 missing: removed from the end" in broken.problem
        registry.record(credential(3))  # after the high-water mark: the cut stays visible
        assert [e["seq"] for e in registry.log()][-2:] == [5, 8]


def test_a_log_rewritten_whole_is_caught_by_a_checkpoint(url: str, attacker: psycopg.Connection[Any]) -> None:
    from vctrade.status._registry import entry_hash

    with Registry(url) as registry:
        entries = registry.log()
    checkpoint = (entries[-1]["seq"], entries[-1]["hash"])
    attacker.execute("DROP TRIGGER audit_log_no_update ON audit_log")
    prev = "0" * 64
    for entry in entries:
        if entry["seq"] == 6:
            entry["reason"] = "routine check"
        digest = entry_hash(entry, prev)
        attacker.execute("UPDATE audit_log SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                         (entry["reason"], prev, digest, entry["seq"]))
        prev = digest
    with Registry(url) as registry:
        assert registry.verify_log() is None  # a chain alone cannot tell
        broken = registry.verify_log(checkpoint)
        assert broken is not None and broken.seq == 7 and "checkpoint" in broken.problem


def test_a_registry_from_a_newer_version_is_refused(url: str, attacker: psycopg.Connection[Any]) -> None:
    attacker.execute("UPDATE registry_schema SET version = 2")
    with pytest.raises(RegistryError, match="schema version 2") as raised:
        Registry(url)
    assert raised.value.code == "registry_version"


def test_two_openings_of_a_new_database_at_once_make_one_schema(postgres_url: str) -> None:
    """Replicas starting together: the schema is created under an advisory lock, once."""
    import threading

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Registry(postgres_url).close()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    with Registry(postgres_url) as registry:
        assert registry.log() == [] and registry.verify_log() is None


def test_the_url_is_shown_without_its_password() -> None:
    assert redacted("postgresql://vctrade:s3cret@db:5432/registry") == "postgresql://vctrade:***@db:5432/registry"
    assert redacted("postgresql://vctrade@db/registry") == "postgresql://vctrade@db/registry"
    with pytest.raises(OperationalError) as raised:
        Registry("postgresql://vctrade:s3cret@127.0.0.1:1/registry")
    assert "s3cret" not in raised.value.message and "***" in raised.value.message


def test_without_psycopg_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(OperationalError, match=r"pip install 'vctrade\[postgres\]'"):
        Registry("postgresql://vctrade@db/registry")


def test_the_cli_takes_a_postgresql_registry(postgres_url: str, tmp_path: Path,
                                             run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    from vctrade import Key

    key = Key.generate()
    key.save(tmp_path / "cbp.jwk")
    made = run_cli("status", "init", "--key", str(tmp_path / "cbp.jwk"), "--url", URL, "--registry", postgres_url)
    assert made.returncode == 0, made.stderr
    assert postgres_url in made.stdout
    with Registry(postgres_url) as registry:
        registry.allocate({**credential(1), "issuer": key.did})
        registry.record({**credential(1), "issuer": key.did})
    revoked = run_cli("status", "revoke", "urn:uuid:1", "--reason", "gone", "--registry", postgres_url)
    assert revoked.returncode == 0, revoked.stderr
    log = run_cli("status", "log", "--verify", "--registry", postgres_url)
    assert log.returncode == 0, log.stdout + log.stderr
    published = run_cli("status", "publish", "-o", str(tmp_path / "site"), "--registry", postgres_url)
    assert published.returncode == 0, published.stderr
    assert (tmp_path / "site/status/aeo-1").is_file()


def test_the_service_configuration_keeps_a_postgresql_url(tmp_path: Path) -> None:
    from vctrade.service import ServiceConfig

    config = ServiceConfig.from_dict({"server": {"registry": "postgresql://vctrade@db/registry"}}, tmp_path)
    assert config.registry_path == "postgresql://vctrade@db/registry"
    config = ServiceConfig.from_dict({"server": {"registry": "registry.sqlite"}}, tmp_path)
    assert config.registry_path == tmp_path / "registry.sqlite"
