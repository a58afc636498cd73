"""The registry's audit log is tamper-evident: a hash chain over its entries names the first one rewritten, replaced or
removed — by the attacks that get past SQLite triggers — and a registry of the previous version is migrated onto it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from vctrade.errors import RegistryError
from vctrade.status import Registry
from vctrade.status._registry import entry_hash

URL = "https://cbp.example/status/aeo-1"
SUSPEND_URL = "https://cbp.example/status/aeo-s"
ISSUER = "did:example:cbp"

# The previous version's schema (user_version 0), as vctrade/registry.py created it before the hash chain.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS status_lists (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    size INTEGER NOT NULL,
    key_file TEXT NOT NULL,
    verification_method TEXT NOT NULL,
    created TEXT NOT NULL,
    published TEXT
);
CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    types TEXT NOT NULL,
    subject TEXT,
    issuer TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    issued TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    list_id INTEGER NOT NULL REFERENCES status_lists(id),
    idx INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    UNIQUE (list_id, idx),
    UNIQUE (credential_id, list_id)
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    credential_id TEXT,
    list_url TEXT,
    idx INTEGER,
    reason TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# What the previous version had written for two lists, one credential suspended, reinstated and revoked.
OLD_ROWS = """
INSERT INTO status_lists VALUES (1, 'https://cbp.example/status/aeo-1', 'did:example:cbp', 'revocation', 131072,
    '/keys/cbp.jwk', 'did:example:cbp#1', '2025-01-02T00:00:00Z', NULL);
INSERT INTO status_lists VALUES (2, 'https://cbp.example/status/aeo-s', 'did:example:cbp', 'suspension', 131072,
    '/keys/cbp.jwk', 'did:example:cbp#1', '2025-01-02T00:00:00Z', NULL);
INSERT INTO credentials VALUES ('urn:uuid:1', '["VerifiableCredential"]', 'did:example:acme', 'did:example:cbp', NULL, NULL,
    '2025-01-03T00:00:00Z', 'ab12');
INSERT INTO entries VALUES ('urn:uuid:1', 1, 4711, 1);
INSERT INTO entries VALUES ('urn:uuid:1', 2, 815, 0);
INSERT INTO audit_log (at, actor, action, credential_id, list_url, idx, reason) VALUES
    ('2025-01-02T00:00:00Z', 'ana', 'init', NULL, 'https://cbp.example/status/aeo-1', NULL, 'revocation list'),
    ('2025-01-02T00:00:00Z', 'ana', 'init', NULL, 'https://cbp.example/status/aeo-s', NULL, 'suspension list'),
    ('2025-01-03T00:00:00Z', 'ana', 'issue', 'urn:uuid:1', NULL, NULL, 'AEOCertificate'),
    ('2025-02-01T00:00:00Z', 'ben', 'suspend', 'urn:uuid:1', 'https://cbp.example/status/aeo-s', 815, 'pending review'),
    ('2025-02-09T00:00:00Z', 'ben', 'reinstate', 'urn:uuid:1', 'https://cbp.example/status/aeo-s', 815, 'review passed'),
    ('2025-03-01T00:00:00Z', 'ana', 'revoke', 'urn:uuid:1', 'https://cbp.example/status/aeo-1', 4711, 'validation failed');
"""


def credential(number: int) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": f"urn:uuid:{number}",
            "type": ["VerifiableCredential"], "issuer": ISSUER, "credentialSubject": {"id": f"did:example:t{number}"}}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A registry with seven log entries: init, init, issue, suspend, reinstate, revoke, issue."""
    path = tmp_path / "registry.sqlite"
    with Registry(path) as registry:
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
    return path


def attacker(path: Path) -> sqlite3.Connection:
    """A plain connection, as someone with write access to the file has: recursive_triggers off (SQLite's default)."""
    return sqlite3.connect(path, isolation_level=None)


def test_each_entry_hashes_its_canonical_bytes_chained_to_the_one_before(path: Path) -> None:
    """The documented format, recomputed here independently: sorted compact JSON (= JCS for these values), SHA-256."""
    with Registry(path) as registry:
        rows = registry._db.execute("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
        entries = registry.log()
    prev = "0" * 64
    for entry, (seq, stored_prev, stored) in zip(entries, rows):
        content = {k: entry[k] for k in ("seq", "at", "actor", "action", "credential_id", "list_url", "index", "reason")}
        canonical = json.dumps({**content, "prev": prev}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert (stored_prev, stored, entry["hash"]) == (prev, hashlib.sha256(canonical.encode()).hexdigest(), stored), seq
        prev = stored


def test_insert_or_replace_is_refused_and_when_forced_entry_1_is_named(path: Path) -> None:
    """REPLACE deletes the old row without firing a DELETE trigger unless recursive_triggers is on."""
    forged = ("INSERT OR REPLACE INTO audit_log (seq, at, actor, action, list_url, reason, prev_hash, hash) "
              "SELECT 1, at, actor, action, list_url, 'nothing happened', prev_hash, hash FROM audit_log WHERE seq = 1")
    db = attacker(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(forged)  # refused even on a connection without recursive_triggers
    with Registry(path) as registry:
        assert registry._db.execute("PRAGMA recursive_triggers").fetchone() == (1,)
        registry._db.execute("DROP TRIGGER audit_log_in_order")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            registry._db.execute(forged)  # our connection: REPLACE's delete fires the DELETE trigger
    db.execute("DROP TRIGGER IF EXISTS audit_log_in_order")
    db.execute(forged)  # the attack: row 1 replaced, its original hash copied over
    assert db.execute("SELECT reason FROM audit_log WHERE seq = 1").fetchone() == ("nothing happened",)
    db.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
    assert broken is not None and broken.seq == 1 and "entry 1 was changed" in broken.problem


def test_drop_trigger_then_delete_a_middle_entry_is_named(path: Path) -> None:
    db = attacker(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE seq = 4")
    db.execute("DROP TRIGGER audit_log_no_delete")
    db.execute("DELETE FROM audit_log WHERE seq = 4")  # the suspension, gone
    db.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
        assert broken is not None and broken.seq == 4 and "entry 4 missing" in broken.problem
        # Opening put the trigger back, and said so in the log.
        assert registry.log()[-1]["action"] == "repair" and "audit_log_no_delete" in registry.log()[-1]["reason"]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            registry._db.execute("DELETE FROM audit_log WHERE seq = 5")


def test_delete_the_last_entries_is_named(path: Path) -> None:
    """Cut off the end and put the trigger back, covering tracks: nothing after the cut to break a link, yet named."""
    db = attacker(path)
    (trigger,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_delete'").fetchone()
    db.execute("DROP TRIGGER audit_log_no_delete")
    db.execute("DELETE FROM audit_log WHERE seq >= 6")  # the revocation and the last issue
    db.execute(trigger)
    db.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
        assert broken is not None and broken.seq == 6 and "entries 6-7 missing: removed from the end" in broken.problem
        registry.record(credential(3))  # a later entry does not paper over the cut: it comes after the high-water mark
        assert [e["seq"] for e in registry.log()][-2:] == [5, 8]
        again = registry.verify_log()
        assert again is not None and again.seq == 6 and "entries 6-7 missing" in again.problem


def test_update_of_a_middle_entrys_reason_is_named(path: Path) -> None:
    db = attacker(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_log SET reason = 'routine check' WHERE seq = 6")
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET reason = 'routine check' WHERE seq = 6")
    db.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
    assert broken is not None and broken.seq == 6 and "entry 6 was changed after it was written" in broken.problem


def test_a_rehashed_entry_breaks_the_link_to_the_next(path: Path) -> None:
    """Rewriting an entry with a correct new hash shows at the next entry, whose prev_hash no longer matches."""
    with Registry(path) as registry:
        entry = registry.log()[4]
    entry["reason"] = "routine check"
    db = attacker(path)
    db.execute("DROP TRIGGER audit_log_no_update")
    prev = db.execute("SELECT hash FROM audit_log WHERE seq = 4").fetchone()[0]
    db.execute("UPDATE audit_log SET reason = ?, hash = ? WHERE seq = 5", (entry["reason"], entry_hash(entry, prev)))
    db.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
    assert broken is not None and broken.seq == 6 and "does not chain to entry 5" in broken.problem


def test_a_log_rewritten_whole_is_caught_by_a_checkpoint(path: Path) -> None:
    with Registry(path) as registry:
        entries = registry.log()
    checkpoint = (entries[-1]["seq"], entries[-1]["hash"])
    db = attacker(path)
    db.execute("DROP TRIGGER audit_log_no_update")
    prev = "0" * 64
    for entry in entries:  # the revocation's reason changed, and every hash from it on recomputed
        if entry["seq"] == 6:
            entry["reason"] = "routine check"
        digest = entry_hash(entry, prev)
        db.execute("UPDATE audit_log SET reason = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   (entry["reason"], prev, digest, entry["seq"]))
        prev = digest
    db.close()
    with Registry(path) as registry:
        assert registry.verify_log() is None  # a chain alone cannot tell
        broken = registry.verify_log(checkpoint)
        assert broken is not None and broken.seq == 7 and "checkpoint" in broken.problem
        assert registry.verify_log((99, checkpoint[1])) is not None  # a checkpoint past the end: truncated


def test_a_registry_of_the_previous_version_is_migrated_and_its_chain_verifies(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA + OLD_ROWS)
    old.close()
    with Registry(path) as registry:
        assert registry._db.execute("PRAGMA user_version").fetchone() == (1,)
        assert registry.verify_log() is None
        log = registry.log()
        assert [e["action"] for e in log] == ["init", "init", "issue", "suspend", "reinstate", "revoke", "migrate"]
        assert [e["seq"] for e in log] == list(range(1, 8))
        assert log[3]["reason"] == "pending review" and log[3]["index"] == 815 and log[3]["actor"] == "ben"
        assert "entries 1-6 hashed as they stood at migration" in log[-1]["reason"]
        assert registry.credential_status("urn:uuid:1")["status"]["revocation"]["set"]
        registry.record(credential(2))
        assert registry.verify_log() is None and registry.log()[-1]["seq"] == 8
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            registry._db.execute("UPDATE audit_log SET reason = 'x' WHERE seq = 4")
    with Registry(path) as registry:  # opened again: migrated once
        assert [e["action"] for e in registry.log()].count("migrate") == 1


@pytest.mark.parametrize(("tampering", "seq", "problem"), [
    ("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 6;", 6, "entry 6 missing"),
    ("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log;", 1, "entries 1-6 missing"),
    ("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET reason = x'00ff' WHERE seq = 4;", 4, "entry 4 was changed"),
])
def test_tampering_before_the_migration_stays_visible(tmp_path: Path, tampering: str, seq: int, problem: str) -> None:
    """The old log was tampered with (REPLACE, or triggers dropped) before the upgrade: hashing it then does not
    launder that — entries cut off, the end included, and a value no vctrade writes (a BLOB) are still reported."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA + OLD_ROWS + tampering)
    old.close()
    with Registry(path) as registry:
        broken = registry.verify_log()
        assert registry.log()[-1]["seq"] == 7 and registry.log()[-1]["action"] == "migrate"
    assert broken is not None and broken.seq == seq and problem in broken.problem


def test_a_registry_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Registry(path).close()
    db = attacker(path)
    db.execute("PRAGMA user_version = 2")
    db.close()
    with pytest.raises(RegistryError, match="schema version 2") as raised:
        Registry(path)
    assert raised.value.code == "registry_version"
