"""The issuer's registry in PostgreSQL: ``Registry("postgresql://user@host/db")``, for replicas sharing one database.

The same tables, methods and guarantees as the SQLite registry (:mod:`vctrade.status._registry`), kept by the
database itself, never by locks inside one process:

- status list indexes are random and unique by the ``UNIQUE (list_id, idx)`` constraint (an index another
  client took first is drawn again); a credential id is unique by its primary key;
- a status change reads the entry ``FOR UPDATE`` and writes it and its audit log entry in one transaction:
  two replicas changing one credential are serialized, neither change is lost, and "already revoked" is
  decided on the committed state;
- the audit log is append-only by triggers that refuse UPDATE, DELETE, TRUNCATE and any INSERT that is not after
  the last entry; its hash chain is the SQLite registry's, byte for byte (:func:`~vctrade.status._registry.entry_hash`).
  Appending takes the row lock of ``audit_state`` (the log's high-water mark, which only moves forward) and reads
  the last entry after it, so entries chain in commit order and entries removed from the end stay a visible gap;
- publishing a list holds a transaction-level advisory lock of that list (``pg_advisory_xact_lock``) from reading
  its bits to writing its file: whichever replica writes last has read last;
- the schema version is the one row of ``registry_schema``; creating or repairing the schema holds an advisory lock.

psycopg 3 is an optional dependency (``pip install 'vctrade[postgres]'``), imported only here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from vctrade.errors import OperationalError, RegistryError
from vctrade.status._registry import GENESIS, Registry, StatusList, _Cursor, _Database, _now

__all__ = ["PostgresRegistry", "SCHEMA_VERSION", "redacted"]

SCHEMA_VERSION = 1  # registry_schema.version
_LOCK_CLASS = 0x76637472  # "vctr": the first key of vctrade's advisory locks; the second is 0 (schema) or a list's id

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS registry_schema (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    version INTEGER NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS status_lists (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
)""",
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
    list_id BIGINT NOT NULL REFERENCES status_lists(id),
    idx INTEGER NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    UNIQUE (list_id, idx),
    UNIQUE (credential_id, list_id)
)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY CHECK (seq > 0),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    credential_id TEXT,
    list_url TEXT,
    idx INTEGER,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS audit_state (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    high BIGINT NOT NULL
)""",
    "INSERT INTO audit_state (one, high) VALUES (TRUE, 0) ON CONFLICT DO NOTHING",
    """CREATE OR REPLACE FUNCTION vctrade_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_log) THEN
            RAISE EXCEPTION 'the audit log is append-only: entries are added after the last one';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END $$""",
    """CREATE OR REPLACE FUNCTION vctrade_audit_state_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.high >= OLD.high THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: its high-water mark only moves forward';
END $$""",
)
_TRIGGERS = {
    "audit_log_no_update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION vctrade_audit_log_append_only()",
    "audit_log_no_delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION vctrade_audit_log_append_only()",
    "audit_log_no_truncate": "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                             "FOR EACH STATEMENT EXECUTE FUNCTION vctrade_audit_log_append_only()",
    "audit_log_in_order": "CREATE TRIGGER audit_log_in_order BEFORE INSERT ON audit_log "
                          "FOR EACH ROW EXECUTE FUNCTION vctrade_audit_log_append_only()",
    "audit_state_forward": "CREATE TRIGGER audit_state_forward BEFORE UPDATE OR DELETE ON audit_state "
                           "FOR EACH ROW EXECUTE FUNCTION vctrade_audit_state_forward()",
    "audit_state_no_truncate": "CREATE TRIGGER audit_state_no_truncate BEFORE TRUNCATE ON audit_state "
                               "FOR EACH STATEMENT EXECUTE FUNCTION vctrade_audit_state_forward()",
}
_TABLE_OF = {name: "audit_state" if name.startswith("audit_state") else "audit_log" for name in _TRIGGERS}


def redacted(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise OperationalError("a postgresql:// registry needs psycopg 3: pip install 'vctrade[postgres]'",
                               code="missing_dependency") from None
    return psycopg


def _first_line(error: Exception) -> str:
    """PostgreSQL's message without the CONTEXT / DETAIL lines psycopg appends."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class _Connection:
    """A psycopg connection (autocommit: each statement its own transaction unless inside ``transaction()``)
    spoken to as the registry's code speaks to sqlite3: ``?`` placeholders; database errors become OperationalError,
    with PostgreSQL's message."""

    def __init__(self, raw: Any, location: str) -> None:
        self.raw = raw
        self._location = location
        self._error: type[Exception] = _psycopg().Error

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Cursor:
        try:
            if parameters:
                return cast(_Cursor, self.raw.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(parameters)))
            return cast(_Cursor, self.raw.execute(sql))
        except self._error as exc:
            raise OperationalError(f"the registry {self._location}: {_first_line(exc)}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (READ COMMITTED: each statement sees what was committed before it started)."""
        try:
            with self.raw.transaction():
                yield
        except self._error as exc:
            raise OperationalError(f"the registry {self._location}: {_first_line(exc)}") from exc

    def close(self) -> None:
        self.raw.close()


class PostgresRegistry(Registry):
    """An issuer's registry in a PostgreSQL database (the schema created on first use)."""

    _FOR_UPDATE = " FOR UPDATE OF e"

    def __init__(self, path: str | Path | None = None, *, clock: Any = _now) -> None:
        url = str(path)
        self.location = redacted(url)
        self._clock = clock
        self.index_retries = 0
        psycopg = _psycopg()
        try:
            raw = psycopg.connect(url, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise OperationalError(f"cannot open the registry {self.location}: {_first_line(exc)}") from None
        self._pg = _Connection(raw, self.location)
        self._db = self._pg
        try:
            self._prepare()
        except BaseException:
            self._pg.close()
            raise

    # -- the schema -----------------------------------------------------------------------------

    def _version(self) -> int:
        if self._db.execute("SELECT to_regclass('registry_schema')").fetchone()[0] is None:
            return 0
        row = self._db.execute("SELECT version FROM registry_schema").fetchone()
        return int(row[0]) if row else 0

    def _missing_triggers(self) -> list[str]:
        present = {name for (name,) in self._db.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
            "AND tgrelid IN (to_regclass('audit_log'), to_regclass('audit_state'))")}
        return [name for name in _TRIGGERS if name not in present]

    def _prepare(self) -> None:
        """Create the schema, or put back audit triggers someone dropped or disabled (under the schema lock)."""
        if self._version() == SCHEMA_VERSION and not self._missing_triggers():
            return  # the usual case: no lock taken
        with self._write() as db:
            db.execute("SELECT pg_advisory_xact_lock(?, 0)", (_LOCK_CLASS,))
            version = self._version()  # again, under the lock: another replica may have done it meanwhile
            if version > SCHEMA_VERSION:
                raise RegistryError(f"the registry {self.location} has schema version {version}, newer than this "
                                    f"vctrade reads ({SCHEMA_VERSION}); upgrade vctrade", code="registry_version")
            if version < SCHEMA_VERSION:
                for statement in _SCHEMA:
                    db.execute(statement)
                for name, trigger in _TRIGGERS.items():
                    db.execute(f"DROP TRIGGER IF EXISTS {name} ON {_TABLE_OF[name]}")
                    db.execute(trigger)
                db.execute("INSERT INTO registry_schema (one, version) VALUES (TRUE, ?) "
                           "ON CONFLICT (one) DO UPDATE SET version = excluded.version", (SCHEMA_VERSION,))
                return
            missing = self._missing_triggers()
            for name in missing:
                db.execute(f"DROP TRIGGER IF EXISTS {name} ON {_TABLE_OF[name]}")  # a disabled one
                db.execute(_TRIGGERS[name])
            if missing:
                self._log("repair", reason=f"the audit log's triggers {', '.join(missing)} were missing (dropped or "
                                           "disabled); restored")

    # -- transactions and locks -----------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[_Database]:
        """A transaction; what it reads it locks as it goes (rows, advisory locks), never the whole database."""
        with self._pg.transaction():
            yield self._db

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read-only REPEATABLE READ transaction: one snapshot for every query in it."""
        with self._pg.transaction():
            self._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield

    def _lock_list(self, status_list: StatusList) -> None:
        """The list's advisory lock, held until the transaction ends (every replica's publisher takes it)."""
        self._db.execute("SELECT pg_advisory_xact_lock(?, ?)", (_LOCK_CLASS, status_list.id % 2_147_483_647 + 1))

    def _high_water(self) -> int:
        row = self._db.execute("SELECT high FROM audit_state").fetchone()
        return int(row[0]) if row else 0

    def _chain_head(self) -> tuple[int, str]:
        """The next seq and the hash to chain to, holding ``audit_state``'s row lock until the transaction ends.

        The last entry is read after the lock is granted (READ COMMITTED: a new snapshot per statement), so it is
        the entry of whoever held the lock before, committed.
        """
        high = self._db.execute("SELECT high FROM audit_state FOR UPDATE").fetchone()
        if high is None:
            raise RegistryError(f"the registry {self.location} has no audit log high-water mark (audit_state emptied)")
        last = self._db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq = max(int(high[0]), int(last[0]) if last else 0) + 1
        self._db.execute("UPDATE audit_state SET high = ?", (seq,))
        return seq, str(last[1]) if last else GENESIS

    def close(self) -> None:
        """Close the connection."""
        self._pg.close()
