"""The issuer's registry: an embedded SQLite database of issued credentials and their status.

It records every credential issued through vctrade (id, types, subject,
issuer, dates, digest), the status lists an issuer keeps, each credential's
index in them, and an append-only audit log of every status change (SQLite
triggers refuse UPDATE and DELETE on it).

Several CLI processes may use one registry at once: writes take SQLite's
write lock (``BEGIN IMMEDIATE``), and list indexes are allocated at random
(herd privacy) under a UNIQUE constraint, so two processes never get the
same index.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vctrade.errors import (
    OperationalError,
    RegistryConflict,
    RegistryError,
    RegistryNotFound,
)
from vctrade.model._credentials import format_datetime, issuer_id, types_of
from vctrade.status._bitstring import (
    MIN_ENTRIES,
    PURPOSES,
    Bitstring,
    status_entry,
    status_list_credential,
)

__all__ = ["Registry", "StatusList", "default_registry_path"]

_SCHEMA = """
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


def default_registry_path() -> Path:
    """``$VCTRADE_HOME/registry.sqlite``, else under the user's data directory (XDG)."""
    home = os.environ.get("VCTRADE_HOME")
    if home:
        return Path(home) / "registry.sqlite"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "vctrade" / "registry.sqlite"


@dataclass(frozen=True)
class StatusList:
    """A status list the issuer keeps."""

    id: int
    url: str
    issuer: str
    purpose: str
    size: int
    key_file: str
    verification_method: str
    published: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"uid:{os.getuid()}"


def site_path(url: str) -> Path:
    """Where a status list at ``url`` goes under a site folder: its URL path."""
    path = urlsplit(url).path.lstrip("/")
    if not path or ".." in Path(path).parts:
        raise RegistryError(f"status list URL {url} has no usable path")
    return Path(path)


class Registry:
    """An issuer's registry in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path | None = None, *, clock: Any = _now) -> None:
        self.path = Path(path) if path is not None else default_registry_path()
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)  # idempotent: IF NOT EXISTS everywhere
        except sqlite3.Error as exc:
            raise OperationalError(f"cannot open the registry {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from its first statement."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _log(self, action: str, credential_id: str | None = None, list_url: str | None = None,
             idx: int | None = None, reason: str | None = None) -> None:
        self._db.execute(
            "INSERT INTO audit_log (at, actor, action, credential_id, list_url, idx, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (format_datetime(self._clock()), _actor(), action, credential_id, list_url, idx, reason),
        )

    # -- status lists ---------------------------------------------------------------------------

    def create_list(self, url: str, issuer: str, purpose: str, key_file: str | Path, size: int = MIN_ENTRIES,
                    verification_method: str | None = None) -> StatusList:
        """Register a new status list for ``issuer`` (signed later with the key in ``key_file``).

        ``verification_method`` is the issuer's DID URL of that key (default: ``issuer`` is a did:key).
        """
        if purpose not in PURPOSES:
            raise RegistryError(f"status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
        if not url.startswith("https://"):
            raise RegistryError(f"a status list URL must be https://…, got {url!r}")
        site_path(url)
        if size < MIN_ENTRIES or size % 8:
            raise RegistryError(f"a status list needs at least {MIN_ENTRIES} entries (a multiple of 8)")
        try:
            with self._write() as db:
                if verification_method is None and not issuer.startswith("did:key:"):
                    raise RegistryError(f"give the verification method of {issuer} that signs the list")
                method = verification_method or f"{issuer}#{issuer.removeprefix('did:key:')}"
                db.execute(
                    "INSERT INTO status_lists (url, issuer, purpose, size, key_file, verification_method, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (url, issuer, purpose, size, str(Path(key_file).resolve()), method, format_datetime(self._clock())),
                )
                self._log("init", list_url=url, reason=f"{purpose} list of {size} entries for {issuer}")
        except sqlite3.IntegrityError:
            raise RegistryConflict(f"a status list with URL {url} already exists") from None
        return self.status_list(url)

    def status_list(self, url: str) -> StatusList:
        """The list registered at ``url``."""
        row = self._db.execute(
            "SELECT id, url, issuer, purpose, size, key_file, verification_method, published FROM status_lists WHERE url = ?", (url,)
        ).fetchone()
        if row is None:
            raise RegistryNotFound(f"no status list {url} in the registry {self.path}")
        return StatusList(*row)

    def status_lists(self, issuer: str | None = None) -> list[StatusList]:
        """Every list (of ``issuer``), oldest first."""
        query = "SELECT id, url, issuer, purpose, size, key_file, verification_method, published FROM status_lists"
        rows = self._db.execute(query + (" WHERE issuer = ? ORDER BY id" if issuer else " ORDER BY id"),
                                (issuer,) if issuer else ()).fetchall()
        return [StatusList(*row) for row in rows]

    # -- issuing --------------------------------------------------------------------------------

    def allocate(self, credential: dict[str, Any]) -> list[dict[str, Any]]:
        """Status entries for a credential about to be issued: one per purpose the issuer keeps a list for.

        Indexes are random and unique per list. The credential is recorded by
        :meth:`record` once it is signed; an allocation whose credential is never
        recorded holds its index (never reused: a reused index could revoke another credential).
        """
        issuer = issuer_id(credential)
        credential_id = credential.get("id")
        if not isinstance(credential_id, str) or issuer is None:
            raise RegistryError("a credential needs an id and an issuer to get a status entry")
        lists: dict[str, StatusList] = {}
        for status_list in self.status_lists(issuer):
            lists[status_list.purpose] = status_list  # the newest list per purpose
        entries = []
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO credentials (id, types, subject, issuer, issued, digest) VALUES (?, ?, ?, ?, ?, '')",
                (credential_id, json.dumps(types_of(credential)), None, issuer, format_datetime(self._clock())),
            )
            for purpose, status_list in sorted(lists.items()):
                index = self._free_index(db, status_list)
                db.execute("INSERT INTO entries (credential_id, list_id, idx) VALUES (?, ?, ?)",
                           (credential_id, status_list.id, index))
                entries.append(status_entry(status_list.url, index, purpose))
        return entries

    def _free_index(self, db: sqlite3.Connection, status_list: StatusList) -> int:
        used = db.execute("SELECT COUNT(*) FROM entries WHERE list_id = ?", (status_list.id,)).fetchone()[0]
        if used >= status_list.size:
            raise RegistryError(f"the status list {status_list.url} is full; create another with `vctrade status init`")
        while True:
            index = secrets.randbelow(status_list.size)
            taken = db.execute("SELECT 1 FROM entries WHERE list_id = ? AND idx = ?", (status_list.id, index)).fetchone()
            if not taken:
                return index

    def record(self, credential: dict[str, Any]) -> None:
        """Record a signed credential (its digest, subject and dates) and log its issuance."""
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            raise RegistryError("a credential needs an id to be recorded")
        subject = credential.get("credentialSubject")
        subject_id = subject.get("id") if isinstance(subject, dict) else None
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        with self._write() as db:
            db.execute(
                "INSERT INTO credentials (id, types, subject, issuer, valid_from, valid_until, issued, digest) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET types = excluded.types, "
                "subject = excluded.subject, valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
                "digest = excluded.digest",
                (credential_id, json.dumps(types_of(credential)), subject_id, issuer_id(credential),
                 credential.get("validFrom") or credential.get("issuanceDate"),
                 credential.get("validUntil") or credential.get("expirationDate"),
                 format_datetime(self._clock()), digest),
            )
            self._log("issue", credential_id, reason=", ".join(t for t in types_of(credential) if t != "VerifiableCredential"))

    # -- status changes -------------------------------------------------------------------------

    def _entry(self, credential_id: str, purpose: str) -> tuple[int, str, int, int]:
        row = self._db.execute(
            "SELECT e.list_id, l.url, e.idx, e.status FROM entries e JOIN status_lists l ON l.id = e.list_id "
            "WHERE e.credential_id = ? AND l.purpose = ?", (credential_id, purpose)).fetchone()
        if row is None:
            known = self._db.execute("SELECT 1 FROM credentials WHERE id = ?", (credential_id,)).fetchone()
            if not known:
                raise RegistryNotFound(f"no credential {credential_id} in the registry {self.path}")
            raise RegistryNotFound(f"{credential_id} has no {purpose} status entry (it was issued without a {purpose} list)")
        list_id, url, index, status = row
        return int(list_id), str(url), int(index), int(status)

    def _set(self, credential_id: str, purpose: str, value: int, action: str, reason: str | None) -> None:
        with self._write() as db:
            list_id, url, idx, current = self._entry(credential_id, purpose)
            if purpose == "revocation" and current and value == 0:
                raise RegistryConflict("revocation is final; a revoked credential cannot be reinstated")
            if current == value:
                state = {("revocation", 1): "already revoked", ("suspension", 1): "already suspended"}.get((purpose, value), "not suspended")
                raise RegistryConflict(f"{credential_id} is {state}")
            db.execute("UPDATE entries SET status = ? WHERE list_id = ? AND idx = ?", (value, list_id, idx))
            self._log(action, credential_id, url, idx, reason)

    def revoke(self, credential_id: str, reason: str | None = None) -> None:
        """Set the revocation bit (final)."""
        self._set(credential_id, "revocation", 1, "revoke", reason)

    def suspend(self, credential_id: str, reason: str | None = None) -> None:
        """Set the suspension bit."""
        self._set(credential_id, "suspension", 1, "suspend", reason)

    def reinstate(self, credential_id: str, reason: str | None = None) -> None:
        """Clear the suspension bit."""
        self._set(credential_id, "suspension", 0, "reinstate", reason)

    # -- reading --------------------------------------------------------------------------------

    def credential_status(self, credential_id: str) -> dict[str, Any]:
        """The recorded credential, its current status per purpose, and its history."""
        row = self._db.execute(
            "SELECT id, types, subject, issuer, valid_from, valid_until, issued, digest FROM credentials WHERE id = ?",
            (credential_id,)).fetchone()
        if row is None:
            raise RegistryNotFound(f"no credential {credential_id} in the registry {self.path}")
        keys = ("id", "types", "subject", "issuer", "validFrom", "validUntil", "issued", "digest")
        record: dict[str, Any] = dict(zip(keys, row))
        record["types"] = json.loads(record["types"])
        record["status"] = {
            purpose: {"list": url, "index": idx, "set": bool(status)}
            for purpose, url, idx, status in self._db.execute(
                "SELECT l.purpose, l.url, e.idx, e.status FROM entries e JOIN status_lists l ON l.id = e.list_id "
                "WHERE e.credential_id = ? ORDER BY l.purpose", (credential_id,))
        }
        record["history"] = self.log(credential_id)
        return record

    def log(self, credential_id: str | None = None) -> list[dict[str, Any]]:
        """The audit trail (of one credential, or all), oldest first."""
        keys = ("seq", "at", "actor", "action", "credential_id", "list_url", "index", "reason")
        query = "SELECT seq, at, actor, action, credential_id, list_url, idx, reason FROM audit_log"
        rows = self._db.execute(query + (" WHERE credential_id = ? ORDER BY seq" if credential_id else " ORDER BY seq"),
                                (credential_id,) if credential_id else ()).fetchall()
        return [dict(zip(keys, row)) for row in rows]

    def bitstring(self, status_list: StatusList) -> Bitstring:
        """The list's current bits, from committed status changes."""
        bits = Bitstring(status_list.size)
        for (idx,) in self._db.execute("SELECT idx FROM entries WHERE list_id = ? AND status = 1", (status_list.id,)):
            bits[idx] = True
        return bits

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, site: str | Path, sign_list: Any, *, lifetime: timedelta = timedelta(hours=24)) -> list[Path]:
        """Write every list as a signed status list credential under ``site`` (atomic writes).

        ``sign_list(unsigned_credential, status_list) -> signed_credential`` signs
        with the list's key; status changes are committed before this reads them.
        """
        site = Path(site)
        written = []
        now = self._clock()
        for status_list in self.status_lists():
            unsigned = status_list_credential(
                status_list.url, status_list.issuer, status_list.purpose, self.bitstring(status_list),
                valid_from=now, valid_until=now + lifetime,
            )
            signed = sign_list(unsigned, status_list)
            target = site / site_path(status_list.url)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp", encoding="utf-8")
            try:
                with handle:
                    json.dump(signed, handle, indent=2)
                os.replace(handle.name, target)  # readers see the old file or the new one, never half of one
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
            with self._write() as db:
                db.execute("UPDATE status_lists SET published = ? WHERE id = ?", (format_datetime(now), status_list.id))
                self._log("publish", list_url=status_list.url, reason=str(target))
            written.append(target)
        return written
