"""The issuer's registry: an embedded SQLite database of issued credentials and their status.

It records every credential issued through vctrade (id, types, subject,
issuer, dates, digest), the status lists an issuer keeps, each credential's
index in them, and an audit log of every status change.

The audit log is tamper-resistant and tamper-evident. Triggers refuse UPDATE,
DELETE and any INSERT that is not the next entry (``INSERT OR REPLACE`` too;
``recursive_triggers`` is on for every connection). And each entry carries a
hash over its content and the previous entry's hash, so an entry changed,
replaced or removed by someone who got around the triggers (``DROP TRIGGER``)
breaks the chain, and :meth:`Registry.verify_log` names the first bad entry.
The canonical bytes of entry *n* are the JCS (RFC 8785) serialization of::

    {"seq": n, "at": …, "actor": …, "action": …, "credential_id": … | null,
     "list_url": … | null, "index": … | null, "reason": … | null, "prev": <hash of entry n-1>}

its ``hash`` is the lowercase hex SHA-256 of those bytes, and entry 1's ``prev``
is :data:`GENESIS` (64 zeros). A chain proves nothing about a log rewritten
whole from the first entry on (SHA-256 is unkeyed): keep a checkpoint (an
entry's seq and hash) somewhere else and pass it to :meth:`Registry.verify_log`.

The schema version is ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`); a
registry of the previous version (0: no hashes) is migrated when opened, its
entries hashed as they are then, and the migration logged.

A list keeps ``status_size`` bits per entry (1 for revocation and suspension;
1-8 for a "message" list, whose ``messages`` name each value and whose
``reference`` URLs go into every entry as ``statusReference``). These columns
were added to ``status_lists`` within schema version 1 (a registry without them
is rebuilt in place when opened, and that is logged).

Several CLI processes may use one registry at once: writes take SQLite's
write lock (``BEGIN IMMEDIATE``), and list indexes are allocated at random
(herd privacy) under a UNIQUE constraint, so two processes never get the
same index. Publishing holds the write lock from reading a list's bits to
writing its file, so a list never goes out older than one already written.

``Registry("postgresql://…")`` opens a PostgreSQL registry instead
(:mod:`vctrade.status._postgres`, psycopg 3: ``pip install 'vctrade[postgres]'``)
with the same semantics, kept by the database: constraints, transactions,
row locks and advisory locks — for services running as several replicas.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import rfc8785

from vctrade._files import write_public
from vctrade.errors import (
    OperationalError,
    RegistryConflict,
    RegistryError,
    RegistryNotFound,
)
from vctrade.model._credentials import format_datetime, issuer_id, types_of
from vctrade.status._bitstring import (
    MAX_STATUS_SIZE,
    MIN_ENTRIES,
    PURPOSES,
    Bitstring,
    status_entry,
    status_hex,
    status_list_credential,
)

__all__ = ["Registry", "StatusList", "BrokenEntry", "default_registry_path", "entry_hash", "GENESIS", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1  # PRAGMA user_version; 0 is the previous version (an audit log without hashes)
GENESIS = "0" * 64  # the ``prev`` of the first audit log entry

# status_lists with the columns of multi-bit lists (status messages); {name}: built under another name to migrate.
_STATUS_LISTS = """CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension', 'message')),
    size INTEGER NOT NULL,
    key_file TEXT NOT NULL,
    verification_method TEXT NOT NULL,
    created TEXT NOT NULL,
    published TEXT,
    status_size INTEGER NOT NULL DEFAULT 1 CHECK (status_size BETWEEN 1 AND 8),
    messages TEXT,
    reference TEXT
)"""
_LISTS_MIGRATED = "status lists: columns status_size, messages, reference added (status messages)"
_OLD_LIST_COLUMNS = "id, url, issuer, purpose, size, key_file, verification_method, created, published"
_LIST_COLUMNS = "id, url, issuer, purpose, size, key_file, verification_method, published, status_size, messages, reference"

# The tables (status_lists as it is now; the others have not changed since version 0).
_TABLES = (
    _STATUS_LISTS.format(name="status_lists"),
    """CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    types TEXT NOT NULL,
    subject TEXT,
    issuer TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    issued TEXT NOT NULL,
    digest TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS entries (
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    list_id INTEGER NOT NULL REFERENCES status_lists(id),
    idx INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    UNIQUE (list_id, idx),
    UNIQUE (credential_id, list_id)
)""",
)
_AUDIT_LOG = """CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    credential_id TEXT,
    list_url TEXT,
    idx INTEGER,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)"""
_AUDIT_TRIGGERS = {
    "audit_log_no_update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "audit_log_no_delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    # INSERT OR REPLACE deletes the old row without a DELETE trigger unless recursive_triggers is on,
    # which a connection other than ours may not set: refuse any insert that is not a new, later seq.
    "audit_log_in_order": "CREATE TRIGGER audit_log_in_order BEFORE INSERT ON audit_log "
                          "WHEN NEW.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_log) "
                          "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are added after the last one'); END",
}
_LOG_FIELDS = ("seq", "at", "actor", "action", "credential_id", "list_url", "index", "reason")
_LOG_COLUMNS = "seq, at, actor, action, credential_id, list_url, idx, reason"


class _Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class _Database(Protocol):
    """What the registry's code uses of a connection: ``execute`` with ``?`` placeholders (sqlite3's, or the
    PostgreSQL back-end's adapter) and ``close``."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> _Cursor: ...
    def close(self) -> None: ...


# URL scheme -> (module, class) of the registry kept there; imported by name, only when such a URL is opened
_DATABASE_BACKENDS = {scheme: ("vctrade.status._postgres", "PostgresRegistry") for scheme in ("postgresql", "postgres")}


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL registry (``postgresql://…`` or ``postgres://…``), not a file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in _DATABASE_BACKENDS \
        and "://" in location


def entry_hash(entry: dict[str, Any], prev: str) -> str:
    """The hash of an audit log entry (its fields named as :meth:`Registry.log` names them) after ``prev``.

    Lowercase hex SHA-256 of the JCS (RFC 8785) serialization of the entry's
    eight fields plus ``prev``; see the module docstring.
    """
    content = {name: entry[name] for name in _LOG_FIELDS}
    return hashlib.sha256(rfc8785.dumps({**content, "prev": prev})).hexdigest()


def _well_typed(entry: dict[str, Any]) -> bool:
    """Whether an entry read back holds the types it was written with (a BLOB or REAL put in by hand is tampering)."""
    required = ("at", "actor", "action")
    optional = ("credential_id", "list_url", "reason")
    return (all(isinstance(entry[name], str) for name in required)
            and all(entry[name] is None or isinstance(entry[name], str) for name in optional)
            and (entry["index"] is None or type(entry["index"]) is int))


@dataclass(frozen=True)
class BrokenEntry:
    """The first audit log entry that does not verify (or the seq of the first one missing), and why."""

    seq: int
    problem: str


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
    status_size: int = 1
    messages: tuple[str, ...] | None = None  # messages[v]: the message of value v (2 ** status_size of them)
    reference: tuple[str, ...] = ()  # statusReference URLs

    @classmethod
    def _from_row(cls, row: Any) -> StatusList:
        status_size, messages, reference = row[8], row[9], row[10]
        return cls(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], status_size=int(status_size),
                   messages=tuple(json.loads(messages)) if messages else None,
                   reference=tuple(json.loads(reference)) if reference else ())

    def message(self, value: int) -> str | None:
        """The message of ``value`` (None for a list without messages)."""
        return self.messages[value] if self.messages is not None and 0 <= value < len(self.messages) else None


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
    # A web server decodes %2E%2E and %2F before mapping the path to files: refuse what would climb out once decoded.
    decoded = [unquote(part) for part in path.split("/")]
    if not path or any(part in ("", ".", "..") or "/" in part or "\\" in part for part in decoded):
        raise RegistryError(f"status list URL {url} has no usable path (no empty, dot or encoded-slash segments)")
    return Path(path)


def _check_messages(purpose: str, status_size: int,
                    messages: Mapping[int, str] | Sequence[str] | None) -> list[str] | None:
    """The messages in value order, checked: one per value, for "message" lists only."""
    if type(status_size) is not int or not 1 <= status_size <= MAX_STATUS_SIZE:
        raise RegistryError(f"statusSize must be 1-{MAX_STATUS_SIZE} bits, not {status_size!r}")
    if purpose != "message":
        if status_size != 1 or messages:
            raise RegistryError(f"a {purpose} list has 1 bit per entry and no messages; status messages take "
                                "the purpose \"message\"")
        return None
    wanted = 1 << status_size
    if not messages:
        raise RegistryError(f"the purpose \"message\" needs a message for each of the {wanted} values of statusSize "
                            f"{status_size} (0x0 … {status_hex(wanted - 1)})")
    by_value = dict(messages) if isinstance(messages, Mapping) else dict(enumerate(messages))
    missing = [status_hex(v) for v in range(wanted) if v not in by_value]
    extra = [str(v) for v in by_value if not (type(v) is int and 0 <= v < wanted)]
    if missing or extra:
        raise RegistryError(f"statusSize {status_size} needs exactly one message per value 0x0 … {status_hex(wanted - 1)}"
                            + (f"; missing {', '.join(missing)}" if missing else "")
                            + (f"; not a value: {', '.join(extra)}" if extra else ""))
    texts = [by_value[v] for v in range(wanted)]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        raise RegistryError("a status message must be non-empty text")
    return texts


def _check_reference(reference: str | Sequence[str] | None) -> list[str]:
    references = [reference] if isinstance(reference, str) else list(reference or [])
    for ref in references:
        parts = urlsplit(ref) if isinstance(ref, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in ref):
            raise RegistryError(f"a statusReference must be an http(s) URL, not {str(ref)[:80]!r}")
    return references


def _key_reference(key_file: str | Path) -> str:
    """What a status list records of its key: a key file's absolute path, or a key URI as given (``pkcs11:…``)."""
    from vctrade._keybackend import is_key_uri

    return str(key_file) if is_key_uri(str(key_file)) else str(Path(key_file).resolve())


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use 0644 less the umask); its -wal and -shm
    files take the database file's mode. An existing file keeps its mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class Registry:
    """An issuer's registry in one SQLite file (created on first use, mode 0600; migrated from the previous version).

    ``Registry("postgresql://user@host/db")`` is a PostgreSQL registry (a subclass, from
    :mod:`vctrade.status._postgres`) with the same methods and guarantees.
    """

    # Row locks for the entry a status change reads then writes (SQLite's write lock covers it already).
    _FOR_UPDATE = ""

    def __new__(cls, path: str | Path | None = None, *, clock: Any = _now) -> Registry:
        if cls is Registry and is_database_url(path):
            import importlib

            module, name = _DATABASE_BACKENDS[str(path).split("://", 1)[0].lower()]
            backend: type[Registry] = getattr(importlib.import_module(module), name)
            return super().__new__(backend)
        return super().__new__(cls)

    def __init__(self, path: str | Path | None = None, *, clock: Any = _now) -> None:
        self.path = Path(path) if path is not None else default_registry_path()
        self.location = str(self.path)  # for messages: the file, or a database URL without its password
        self._clock = clock
        self.index_retries = 0  # random indexes found taken and drawn again (by this object)
        try:
            _create_private(self.path)
            self._db: _Database = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise OperationalError(f"cannot open the registry {self.path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # REPLACE then fires the DELETE trigger (SQLite leaves it silent otherwise).
            self._db.execute("PRAGMA recursive_triggers = ON")
            self._prepare()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.Error):
                raise OperationalError(f"cannot open the registry {self.path}: {exc}") from exc
            raise

    def _version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _missing_triggers(self) -> list[str]:
        present = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        return [name for name in _AUDIT_TRIGGERS if name not in present]

    def _old_status_lists(self) -> bool:
        """Whether status_lists is there without the multi-bit columns (a registry written before status messages)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(status_lists)")}
        return bool(columns) and "status_size" not in columns

    def _prepare(self) -> None:
        """Create the schema, migrate a previous version's, or put back audit triggers someone dropped."""
        if self._version() == SCHEMA_VERSION and not self._missing_triggers() and not self._old_status_lists():
            return  # the usual case: no write lock taken
        # Rebuilding status_lists (entries refer to it) needs foreign keys off, which SQLite ignores in a transaction.
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            self._prepare_locked()
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _prepare_locked(self) -> None:
        with self._write() as db:
            version = self._version()  # again, under the lock: another process may have done it meanwhile
            if version > SCHEMA_VERSION:
                raise RegistryError(f"the registry {self.path} has schema version {version}, newer than this vctrade "
                                    f"reads ({SCHEMA_VERSION}); upgrade vctrade", code="registry_version")
            rebuilt = self._migrate_status_lists()
            if version < SCHEMA_VERSION:
                for table in _TABLES:
                    db.execute(table)
                if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").fetchone():
                    self._migrate_audit_log(version, rebuilt)
                else:
                    db.execute(_AUDIT_LOG)
                    for trigger in _AUDIT_TRIGGERS.values():
                        db.execute(trigger)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return
            missing = self._missing_triggers()
            for name in missing:
                db.execute(_AUDIT_TRIGGERS[name])
            if missing:
                self._log("repair", reason=f"the audit log's triggers {', '.join(missing)} were missing (dropped); restored")
            if rebuilt:
                self._log("migrate", reason=_LISTS_MIGRATED)

    def _migrate_status_lists(self) -> bool:
        """Add the multi-bit columns to status_lists (SQLite's table rebuild: its CHECK on purpose changes too)."""
        if not self._old_status_lists():
            return False
        self._db.execute(_STATUS_LISTS.format(name="status_lists_new"))
        self._db.execute(f"INSERT INTO status_lists_new ({_OLD_LIST_COLUMNS}) SELECT {_OLD_LIST_COLUMNS} FROM status_lists")
        self._db.execute("DROP TABLE status_lists")
        self._db.execute("ALTER TABLE status_lists_new RENAME TO status_lists")
        if self._db.execute("PRAGMA foreign_key_check").fetchone():
            raise RegistryError(f"the registry {self.path} has status entries of lists that are not there; not migrated")
        return True

    def _migrate_audit_log(self, version: int, lists_rebuilt: bool = False) -> None:
        """Version 0 -> 1: rebuild the audit log with a hash chain over its entries as they are now, and log that."""
        rows = self._db.execute(f"SELECT {_LOG_COLUMNS} FROM audit_log ORDER BY seq").fetchall()
        high = self._high_water()
        self._db.execute("DROP TABLE audit_log")  # drops the old triggers too; fires none
        self._db.execute(_AUDIT_LOG)
        prev = GENESIS
        for row in rows:
            entry = dict(zip(_LOG_FIELDS, row))
            # A value of a type vctrade never writes was put there by hand: left unhashable, verify_log names it.
            digest = entry_hash(entry, prev) if _well_typed(entry) else "unhashable"
            self._db.execute(f"INSERT INTO audit_log ({_LOG_COLUMNS}, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (*row, prev, digest))
            prev = digest
        # Keep AUTOINCREMENT's high-water mark: entries removed from the end before now stay visible as missing.
        self._db.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_log'")
        self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_log', ?)",
                         (max(high, rows[-1][0] if rows else 0),))
        for trigger in _AUDIT_TRIGGERS.values():
            self._db.execute(trigger)
        span = f"entries {rows[0][0]}-{rows[-1][0]}" if rows else "no entries"
        self._log("migrate", reason=f"registry schema {version} -> {SCHEMA_VERSION}: audit log hash chain added; "
                                    f"{span} hashed as they stood at migration"
                                    + (f"; {_LISTS_MIGRATED}" if lists_rebuilt else ""))

    def _high_water(self) -> int:
        """The largest seq the audit log ever had (AUTOINCREMENT's record; 0 if none)."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[_Database]:
        """A write transaction holding SQLite's write lock from its first statement."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction: every query in it sees the same committed state."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def _lock_list(self, status_list: StatusList) -> None:
        """Inside a write transaction: the right to publish ``status_list`` (SQLite's write lock is that already)."""

    def _chain_head(self) -> tuple[int, str]:
        """Inside a write transaction: the next entry's seq and the hash it chains to (nothing moves meanwhile)."""
        last = self._db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        # After the high-water mark, not the last row: entries removed from the end stay a visible gap.
        return max(self._high_water(), last[0] if last else 0) + 1, last[1] if last else GENESIS

    def _log(self, action: str, credential_id: str | None = None, list_url: str | None = None,
             idx: int | None = None, reason: str | None = None) -> None:
        """Append an entry, chained to the last one (inside a write transaction: nothing moves meanwhile)."""
        seq, prev = self._chain_head()
        entry = dict(zip(_LOG_FIELDS, (seq, format_datetime(self._clock()), _actor(), action, credential_id, list_url,
                                       idx, reason)))
        self._db.execute(
            f"INSERT INTO audit_log ({_LOG_COLUMNS}, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*entry.values(), prev, entry_hash(entry, prev)),
        )

    # -- status lists ---------------------------------------------------------------------------

    def create_list(self, url: str, issuer: str, purpose: str, key_file: str | Path, size: int = MIN_ENTRIES,
                    verification_method: str | None = None, *, status_size: int = 1,
                    messages: Mapping[int, str] | Sequence[str] | None = None,
                    reference: str | Sequence[str] | None = None) -> StatusList:
        """Register a new status list for ``issuer`` (signed later with the key in ``key_file``).

        ``verification_method`` is the issuer's DID URL of that key (default: ``issuer`` is a did:key).
        ``size`` counts entries; each takes ``status_size`` bits. A "message" list
        needs ``messages``: one per value 0 … 2 ** status_size - 1 (a mapping value ->
        message, or a sequence in value order); revocation and suspension lists are
        1 bit without messages. ``reference``: ``statusReference`` URL(s) for every entry.
        """
        if purpose not in PURPOSES:
            raise RegistryError(f"status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
        if not url.startswith("https://"):
            raise RegistryError(f"a status list URL must be https://…, got {url!r}")
        site_path(url)
        if size < MIN_ENTRIES or size % 8:
            raise RegistryError(f"a status list needs at least {MIN_ENTRIES} entries (a multiple of 8)")
        texts = _check_messages(purpose, status_size, messages)
        references = _check_reference(reference)
        with self._write() as db:
            if verification_method is None and not issuer.startswith("did:key:"):
                raise RegistryError(f"give the verification method of {issuer} that signs the list")
            method = verification_method or f"{issuer}#{issuer.removeprefix('did:key:')}"
            # The UNIQUE constraint on url decides (for a concurrent writer too).
            inserted = db.execute(
                "INSERT INTO status_lists (url, issuer, purpose, size, key_file, verification_method, created, "
                "status_size, messages, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING",
                (url, issuer, purpose, size, _key_reference(key_file), method, format_datetime(self._clock()),
                 status_size, json.dumps(texts) if texts is not None else None,
                 json.dumps(references) if references else None),
            )
            if inserted.rowcount == 0:
                raise RegistryConflict(f"a status list with URL {url} already exists")
            detail = ""
            if texts is not None:
                detail = f", statusSize {status_size}: " + ", ".join(
                    f"{status_hex(value)} {text}" for value, text in enumerate(texts))
            if references:
                detail += f"; statusReference {' '.join(references)}"
            self._log("init", list_url=url, reason=f"{purpose} list of {size} entries for {issuer}{detail}")
        return self.status_list(url)

    def status_list(self, url: str) -> StatusList:
        """The list registered at ``url``."""
        row = self._db.execute(f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise RegistryNotFound(f"no status list {url} in the registry {self.location}")
        return StatusList._from_row(row)

    def status_lists(self, issuer: str | None = None) -> list[StatusList]:
        """Every list (of ``issuer``), oldest first."""
        query = f"SELECT {_LIST_COLUMNS} FROM status_lists"
        rows = self._db.execute(query + (" WHERE issuer = ? ORDER BY id" if issuer else " ORDER BY id"),
                                (issuer,) if issuer else ()).fetchall()
        return [StatusList._from_row(row) for row in rows]

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
            # The primary key decides (for a concurrent writer too).
            reserved = db.execute(
                "INSERT INTO credentials (id, types, subject, issuer, issued, digest) VALUES (?, ?, ?, ?, ?, '') "
                "ON CONFLICT (id) DO NOTHING",
                (credential_id, json.dumps(types_of(credential)), None, issuer, format_datetime(self._clock())),
            )
            if reserved.rowcount == 0:
                raise RegistryConflict(f"a credential with id {credential_id!r} is already in the registry",
                                       code="duplicate_credential_id")
            # Revocation, then suspension (as before status messages), then message.
            for purpose, status_list in sorted(lists.items(), key=lambda item: PURPOSES.index(item[0])):
                index = self._free_index(db, status_list, credential_id)
                entries.append(status_entry(status_list.url, index, purpose, status_size=status_list.status_size,
                                            messages=status_list.messages, reference=status_list.reference))
        return entries

    def _free_index(self, db: _Database, status_list: StatusList, credential_id: str) -> int:
        """A random index of ``status_list`` not taken, given to ``credential_id``: the UNIQUE (list_id, idx)
        constraint decides, so a concurrent writer (another PostgreSQL client) never gets the same one."""
        tries = 0
        while True:
            if tries % 64 == 0:  # then now and again: a list filled meanwhile says so rather than spin
                used = db.execute("SELECT COUNT(*) FROM entries WHERE list_id = ?", (status_list.id,)).fetchone()[0]
                if used >= status_list.size:
                    raise RegistryError(f"the status list {status_list.url} is full; create another with "
                                        "`vctrade status init`")
            index = secrets.randbelow(status_list.size)
            inserted = db.execute("INSERT INTO entries (credential_id, list_id, idx) VALUES (?, ?, ?) "
                                  "ON CONFLICT (list_id, idx) DO NOTHING", (credential_id, status_list.id, index))
            if inserted.rowcount == 1:
                return index
            tries += 1
            self.index_retries += 1

    def record(self, credential: dict[str, Any]) -> None:
        """Record a signed credential (its digest, subject and dates) and log its issuance."""
        credential_id = credential.get("id")
        if not isinstance(credential_id, str):
            raise RegistryError("a credential needs an id to be recorded")
        subject = credential.get("credentialSubject")
        subject_id = subject.get("id") if isinstance(subject, dict) else None
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        with self._write() as db:
            # Complete the row allocate() reserved (digest ''); never overwrite a credential already recorded.
            cursor = db.execute(
                "INSERT INTO credentials (id, types, subject, issuer, valid_from, valid_until, issued, digest) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET types = excluded.types, "
                "subject = excluded.subject, valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
                "digest = excluded.digest WHERE credentials.digest = ''",
                (credential_id, json.dumps(types_of(credential)), subject_id, issuer_id(credential),
                 credential.get("validFrom") or credential.get("issuanceDate"),
                 credential.get("validUntil") or credential.get("expirationDate"),
                 format_datetime(self._clock()), digest),
            )
            if cursor.rowcount == 0:
                raise RegistryConflict(f"a credential with id {credential_id!r} is already in the registry",
                                       code="duplicate_credential_id")
            self._log("issue", credential_id, reason=", ".join(t for t in types_of(credential) if t != "VerifiableCredential"))

    # -- status changes -------------------------------------------------------------------------

    def _entry(self, credential_id: str, purpose: str) -> tuple[int, str, int, int]:
        row = self._db.execute(
            "SELECT e.list_id, l.url, e.idx, e.status FROM entries e JOIN status_lists l ON l.id = e.list_id "
            "WHERE e.credential_id = ? AND l.purpose = ?" + self._FOR_UPDATE, (credential_id, purpose)).fetchone()
        if row is None:
            known = self._db.execute("SELECT 1 FROM credentials WHERE id = ?", (credential_id,)).fetchone()
            if not known:
                raise RegistryNotFound(f"no credential {credential_id} in the registry {self.location}")
            raise RegistryNotFound(f"{credential_id} has no {purpose} status entry (it was issued without a {purpose} list)")
        list_id, url, index, status = row
        return int(list_id), str(url), int(index), int(status)

    def _set(self, credential_id: str, purpose: str, value: int, action: str, reason: str | None) -> None:
        with self._write() as db:
            list_id, url, idx, current = self._entry(credential_id, purpose)
            if purpose == "revocation" and current and value == 0:
                raise RegistryConflict("revocation is final; a revoked credential cannot be reinstated")
            if current == value:
                state = {("revocation", 1): "already revoked", ("suspension", 1): "already suspended",
                         ("revocation", 0): "not revoked"}.get((purpose, value), "not suspended")
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

    def set_status(self, credential_id: str, purpose: str, value: int, reason: str | None = None) -> None:
        """Set the credential's value in its ``purpose`` list (logged as ``set``, its reason naming the value).

        For "message": any value 0 … 2 ** statusSize - 1, the audit log's reason
        starting ``0x… "message"``. For revocation and suspension the value is the
        bit, logged as revoke / suspend / reinstate, with their rules (revocation is final).
        """
        if type(value) is not int:
            raise RegistryError(f"a status value is an integer, not {value!r}")
        if purpose in ("revocation", "suspension"):
            if value not in (0, 1):
                raise RegistryError(f"a {purpose} list holds 0 or 1, not {value}")
            # (revocation, 0) is always refused by _set: "final" once revoked, else "not revoked".
            action = {("revocation", 1): "revoke", ("suspension", 1): "suspend"}.get((purpose, value), "reinstate")
            self._set(credential_id, purpose, value, action, reason)
            return
        if purpose not in PURPOSES:
            raise RegistryError(f"status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
        with self._write() as db:
            list_id, url, idx, current = self._entry(credential_id, purpose)
            status_list = self._list_by_id(list_id)
            if not 0 <= value < 1 << status_list.status_size:
                raise RegistryError(f"{status_hex(value)} does not fit the list's statusSize {status_list.status_size} "
                                    f"(0x0 … {status_hex((1 << status_list.status_size) - 1)})")
            said = f"{status_hex(value)} {json.dumps(status_list.message(value), ensure_ascii=False)}"
            if current == value:
                raise RegistryConflict(f"{credential_id} already has {purpose} status {said}")
            db.execute("UPDATE entries SET status = ? WHERE list_id = ? AND idx = ?", (value, list_id, idx))
            self._log("set", credential_id, url, idx, said + (f": {reason}" if reason else ""))

    def _list_by_id(self, list_id: int) -> StatusList:
        return StatusList._from_row(self._db.execute(f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE id = ?",
                                                     (list_id,)).fetchone())

    # -- reading --------------------------------------------------------------------------------

    def credential_status(self, credential_id: str) -> dict[str, Any]:
        """The recorded credential, its current status per purpose, and its history."""
        row = self._db.execute(
            "SELECT id, types, subject, issuer, valid_from, valid_until, issued, digest FROM credentials WHERE id = ?",
            (credential_id,)).fetchone()
        if row is None:
            raise RegistryNotFound(f"no credential {credential_id} in the registry {self.location}")
        keys = ("id", "types", "subject", "issuer", "validFrom", "validUntil", "issued", "digest")
        record: dict[str, Any] = dict(zip(keys, row))
        record["types"] = json.loads(record["types"])
        record["status"] = {}
        for list_id, idx, status in self._db.execute(
                "SELECT e.list_id, e.idx, e.status FROM entries e WHERE e.credential_id = ? ORDER BY e.list_id",
                (credential_id,)).fetchall():
            status_list = self._list_by_id(int(list_id))
            state: dict[str, Any] = {"list": status_list.url, "index": idx, "set": bool(status)}
            if status_list.messages is not None:
                state.update(value=status_hex(status), statusSize=status_list.status_size,
                             message=status_list.message(status))
            record["status"][status_list.purpose] = state
        record["status"] = dict(sorted(record["status"].items(), key=lambda item: PURPOSES.index(item[0])))
        record["history"] = self.log(credential_id)
        return record

    def log(self, credential_id: str | None = None) -> list[dict[str, Any]]:
        """The audit trail (of one credential, or all), oldest first; each entry with its ``hash``."""
        query = f"SELECT {_LOG_COLUMNS}, hash FROM audit_log"
        rows = self._db.execute(query + (" WHERE credential_id = ? ORDER BY seq" if credential_id else " ORDER BY seq"),
                                (credential_id,) if credential_id else ()).fetchall()
        return [dict(zip((*_LOG_FIELDS, "hash"), row)) for row in rows]

    def verify_log(self, checkpoint: tuple[int, str] | None = None) -> BrokenEntry | None:
        """Check the audit log's hash chain; the first entry that breaks it, or None if it is intact.

        Entries run 1, 2, … with none missing (up to the highest seq SQLite ever
        gave out); each one's ``prev_hash`` is the previous entry's ``hash`` (entry 1's
        is :data:`GENESIS`) and its ``hash`` is :func:`entry_hash` of its content.
        ``checkpoint`` — an entry's ``(seq, hash)`` noted earlier and kept elsewhere —
        must still be in the log: that catches a log rewritten whole, which a chain alone cannot.
        """
        with self._snapshot():  # one snapshot for the rows and the high-water mark
            return self._first_break(checkpoint)

    def _first_break(self, checkpoint: tuple[int, str] | None) -> BrokenEntry | None:
        expected, prev = 1, GENESIS
        for row in self._db.execute(f"SELECT {_LOG_COLUMNS}, prev_hash, hash FROM audit_log ORDER BY seq"):
            entry = dict(zip(_LOG_FIELDS, row[:8]))
            stored_prev, stored = row[8], row[9]
            seq = entry["seq"]
            if seq != expected:
                gone = f"entry {expected}" if seq == expected + 1 else f"entries {expected}-{seq - 1}"
                return BrokenEntry(expected, f"{gone} missing: removed from the log (entry {seq} follows {expected - 1})")
            if stored_prev != prev:
                return BrokenEntry(seq, f"entry {seq} does not chain to entry {seq - 1}: one of them was rewritten"
                                   if seq > 1 else "entry 1 does not start the chain: it was rewritten")
            if not _well_typed(entry) or entry_hash(entry, prev) != stored:
                return BrokenEntry(seq, f"entry {seq} was changed after it was written: its content does not match its hash")
            if checkpoint is not None and seq == checkpoint[0] and stored != checkpoint[1]:
                return BrokenEntry(seq, f"entry {seq} is not the one the checkpoint names: the log was rewritten")
            expected, prev = seq + 1, stored
        high = self._high_water()
        if high >= expected:
            gone = f"entry {expected}" if high == expected else f"entries {expected}-{high}"
            return BrokenEntry(expected, f"{gone} missing: removed from the end of the log")
        if checkpoint is not None and checkpoint[0] >= expected:
            return BrokenEntry(checkpoint[0], f"entry {checkpoint[0]} (the checkpoint) missing: the log ends at entry "
                                              f"{expected - 1}")
        return None

    def bitstring(self, status_list: StatusList) -> Bitstring:
        """The list's current bits, from committed status changes."""
        bits = Bitstring(status_list.size * status_list.status_size)
        for idx, status in self._db.execute("SELECT idx, status FROM entries WHERE list_id = ? AND status != 0",
                                            (status_list.id,)):
            bits.set_value(idx, status_list.status_size, status)
        return bits

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, site: str | Path, sign_list: Any, *, lifetime: timedelta = timedelta(hours=24)) -> list[Path]:
        """Write every list as a signed status list credential under ``site`` (atomic writes, mode 0644).

        ``sign_list(unsigned_credential, status_list) -> signed_credential`` signs
        with the list's key; status changes are committed before this reads them.
        Each list is read, signed and written holding the right to publish it (SQLite's
        write lock; PostgreSQL's advisory lock of that list), so of two publishers the
        one that writes last has read last: a list file never goes back to older bits.
        """
        site = Path(site)
        written = []
        for status_list in self.status_lists():
            target = site / site_path(status_list.url)
            with self._write() as db:
                self._lock_list(status_list)
                now = self._clock()
                unsigned = status_list_credential(
                    status_list.url, status_list.issuer, status_list.purpose, self.bitstring(status_list),
                    valid_from=now, valid_until=now + lifetime,
                )
                signed = sign_list(unsigned, status_list)
                write_public(target, json.dumps(signed, indent=2))
                db.execute("UPDATE status_lists SET published = ? WHERE id = ?", (format_datetime(now), status_list.id))
                self._log("publish", list_url=status_list.url, reason=str(target))
            written.append(target)
        return written
