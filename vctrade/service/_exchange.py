"""The traceability profile's presentation exchange: challenges handed out, presentations proved, received, verified.

Served under the profile's base path (see ``_traceability``), each route behind the OAuth2 scope the profile names
(checked from the headers before the body is read)::

    POST /presentations/available    submit:presentations  {query?, workflow?: {definition}} → 200 {domain, challenge}
    POST /presentations/prove        prove:presentations   {presentation, options: {challenge, domain?, type?}}
                                                           → 201 the presentation, signed as the organisation
    POST /presentations/submissions  submit:presentations  the presentation (or {verifiablePresentation})
                                                           → 200 {verified, checks, warnings, errors}, stored
    POST /presentations              submit:presentations  a presentation from an authenticated client, its own
                                                           proof optional → 200 {verified, …}, stored
    POST /presentations/verify       verify:presentations  {verifiablePresentation, options: {challenge?, domain?}}
                                                           → 200 {verified, checks, warnings, errors}

The exchange: a partner asks ``available`` for a challenge (for a workflow, if it names one), has its own service
sign the presentation with that challenge and the domain (``prove``), and submits it. A challenge is 128 random bits,
bound to this service's domain (the host of the organisation's did:web), to the workflow and the client it was handed
out for, valid for ``challenge_ttl_seconds`` and used at most once: the submission that answers it is verified first
(the holder's proof with that challenge and domain, every credential, and — for a presentation that names a
workflow — the workflow's cross-document checks, nested), then the challenge is consumed and the submission stored in
one SQLite transaction, so of two submissions racing with one challenge exactly one is accepted. A refused
submission leaves the challenge unused.

Refusals (in the profile's error shape ``{message, code, reason}``, ``code`` the HTTP status): an unknown, used or
expired challenge, or one handed to another client, is a 400 whose ``reason`` says which (``unknown_challenge``,
``challenge_used``, ``challenge_expired``, ``challenge_not_yours``); a presentation that is not verified — a check
failed, or could not be decided (a DID out of reach, a workflow no plug-in knows) — is a 400 carrying the verdict
(``verified: false``, ``checks``, ``errors``), and the challenge stays unused for another try; when every fetch slot
was busy it is a 503 with ``Retry-After``. A store holding ``max_challenges`` live challenges answers ``available``
with 503 and ``Retry-After`` (expired ones make room first); a body over the service's cap is a 413.
``POST /presentations`` takes a presentation without a proof (and without a holder) from an authenticated client:
its sender is the token's client, and everything else (each credential, a named workflow) must verify.

The store (one SQLite file, ``[traceability] store``, WAL, created on first use with mode 0600, schema version in
``PRAGMA user_version``) has two tables: ``challenges`` (the unused ones: challenge, domain, workflow, client_id,
created_at, expires_at) and ``submissions`` (id, challenge — NULL for ``POST /presentations`` —, presentation as
JSON, presentation_id, holder, workflow_definition and workflow_instance as JSON arrays, client_id, endpoint,
received_at). Times are POSIX seconds from the injected clock.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from vctrade._result import FAILED, PASSED, Check, VerificationResult
from vctrade.di import sign
from vctrade.did import did_to_url
from vctrade.errors import (
    ConfigError,
    InputError,
    OperationalError,
    RequestError,
    RequestTooLarge,
)
from vctrade.model._credentials import holder_id
from vctrade.service._config import ServiceConfig
from vctrade.service._oauth import Caller, scoped
from vctrade.service._requests import read_json_object
from vctrade.service._service import Service
from vctrade.verification import verify, workflow_ids

__all__ = ["MAX_LIVE_CHALLENGES", "PROOF_TYPES", "SCHEMA_VERSION", "Challenge", "ChallengeRefused", "Exchange",
           "ExchangeStore", "Outcome", "StoreFull", "Submission", "exchange_routes", "verification_report"]

SCHEMA_VERSION = 1  # PRAGMA user_version of the exchange store
MAX_LIVE_CHALLENGES = 10_000  # unused, unexpired challenges the store keeps at once; one more: 503
PROOF_TYPES = ("Ed25519Signature2018", "JsonWebSignature2020")  # what prove signs with (options.type)
_CHALLENGE_BYTES = 16  # 128 random bits
_MAX_CHALLENGE_CHARS = 256  # a longer proof.challenge is no challenge this service handed out

_TABLES = (
    """CREATE TABLE IF NOT EXISTS challenges (
        challenge  TEXT PRIMARY KEY,
        domain     TEXT NOT NULL,
        workflow   TEXT,
        client_id  TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS challenges_by_expiry ON challenges (expires_at)",
    """CREATE TABLE IF NOT EXISTS submissions (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        challenge           TEXT UNIQUE,
        presentation        TEXT NOT NULL,
        presentation_id     TEXT,
        holder              TEXT,
        workflow_definition TEXT NOT NULL,
        workflow_instance   TEXT NOT NULL,
        client_id           TEXT,
        endpoint            TEXT NOT NULL CHECK (endpoint IN ('submissions', 'presentations')),
        received_at         REAL NOT NULL
    )""",
)


# -- the store ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """A challenge this service handed out, unused so far."""

    value: str
    domain: str
    workflow: str | None
    client_id: str | None
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class Submission:
    """An accepted presentation as stored."""

    id: int
    challenge: str | None
    presentation: dict[str, Any]
    workflow_definition: tuple[str, ...]
    workflow_instance: tuple[str, ...]
    client_id: str | None
    endpoint: str
    received_at: float


class ChallengeRefused(RequestError):
    """A submission answers a challenge this service cannot accept (400); its ``code`` says why:
    ``unknown_challenge``, ``challenge_used``, ``challenge_expired`` or ``challenge_not_yours``."""

    code = "challenge_refused"


class StoreFull(OperationalError):
    """The store holds as many live challenges as it may; one frees within ``retry_after`` seconds."""

    code = "store_full"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its -wal and -shm files take the file's mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class ExchangeStore:
    """Challenges (single use, expiring) and accepted submissions in one SQLite file, created on first use.

    Each operation opens its own connection (operations run in worker threads, and several worker processes may
    share the file); writes take SQLite's write lock from their first statement (``BEGIN IMMEDIATE``).
    """

    def __init__(self, path: str | Path, *, ttl_seconds: float, clock: Callable[[], float] = time.time,
                 max_challenges: int = MAX_LIVE_CHALLENGES, max_presentation_bytes: int | None = None) -> None:
        if not ttl_seconds > 0 or not math.isfinite(ttl_seconds):
            raise ConfigError(f"challenge_ttl_seconds must be a positive number, not {ttl_seconds!r}")
        if max_challenges < 1:
            raise ConfigError(f"the store must keep at least one challenge, not {max_challenges}")
        self.path = Path(path)
        self.ttl_seconds = float(ttl_seconds)
        self.max_challenges = max_challenges
        self.max_presentation_bytes = max_presentation_bytes
        self._clock = clock
        self._ready = False
        self._ready_lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._ready:
                with self._ready_lock:
                    if not self._ready:
                        self._prepare()
                        self._ready = True
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise OperationalError(f"cannot open the exchange store {self.path}: {exc}") from None
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            yield db
        except sqlite3.Error as exc:
            raise OperationalError(f"the exchange store {self.path} failed: {exc}") from None
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its first statement; rolled back on any exception."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _prepare(self) -> None:
        """Create the file (0600) and the schema, or check that an existing one is a version this code reads."""
        _create_private(self.path)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA journal_mode = WAL")
            if int(db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])  # again, under the lock
                if version > SCHEMA_VERSION:
                    raise ConfigError(f"the exchange store {self.path} has schema version {version}, newer than "
                                      f"this vctrade reads ({SCHEMA_VERSION}); upgrade vctrade")
                if version == 0:
                    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone():
                        raise ConfigError(f"{self.path} is an SQLite database of something else, not an exchange store")
                    for table in _TABLES:
                        db.execute(table)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def issue(self, domain: str, workflow: str | None, client_id: str | None) -> Challenge:
        """A fresh challenge bound to ``domain``, ``workflow`` and ``client_id``; :class:`StoreFull` when no room."""
        with self._write() as db:
            now = self._clock()
            if _count(db) >= self.max_challenges:
                # Expired challenges make room first (oldest first: all of them, they can answer nothing).
                db.execute("DELETE FROM challenges WHERE expires_at <= ?", (now,))
                if _count(db) >= self.max_challenges:
                    soonest = db.execute("SELECT MIN(expires_at) FROM challenges").fetchone()[0]
                    raise StoreFull(f"the service holds {self.max_challenges} live challenges; try again later",
                                    retry_after=max(1.0, float(soonest) - now))
            challenge = Challenge(secrets.token_urlsafe(_CHALLENGE_BYTES), domain, workflow, client_id, now,
                                  now + self.ttl_seconds)
            db.execute("INSERT INTO challenges (challenge, domain, workflow, client_id, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", dataclasses.astuple(challenge))
            return challenge

    def challenge(self, value: Any) -> Challenge:
        """The unused, unexpired challenge ``value``; :class:`ChallengeRefused` says why it is not one."""
        with self._connect() as db:
            return self._live(db, value, self._clock())

    def _live(self, db: sqlite3.Connection, value: Any, now: float) -> Challenge:
        if not isinstance(value, str) or not value or len(value) > _MAX_CHALLENGE_CHARS:
            raise ChallengeRefused("the presentation's proof carries no challenge this service handed out",
                                   code="unknown_challenge")
        row = db.execute("SELECT challenge, domain, workflow, client_id, created_at, expires_at FROM challenges "
                         "WHERE challenge = ?", (value,)).fetchone()
        if row is not None:
            challenge = Challenge(*row)
            if challenge.expires_at <= now:
                raise ChallengeRefused("the challenge has expired; ask for a new one (presentations/available)",
                                       code="challenge_expired")
            return challenge
        if db.execute("SELECT 1 FROM submissions WHERE challenge = ?", (value,)).fetchone():
            raise ChallengeRefused("the challenge was already used: a submission answering it was accepted",
                                   code="challenge_used")
        raise ChallengeRefused("this service did not hand out that challenge (or it expired long ago)",
                               code="unknown_challenge")

    def accept(self, presentation: dict[str, Any], *, challenge: Challenge | None, client_id: str | None,
               endpoint: str) -> Submission:
        """Store a verified presentation, consuming ``challenge`` in the same transaction.

        Of two submissions answering one challenge, the first to take the write lock consumes it; the other gets
        :class:`ChallengeRefused` (used). A presentation whose JSON is over the cap is :class:`RequestTooLarge`.
        """
        text = json.dumps(presentation, ensure_ascii=False, separators=(",", ":"))
        if self.max_presentation_bytes is not None and len(text.encode()) > self.max_presentation_bytes:
            raise RequestTooLarge(f"the presentation is over {self.max_presentation_bytes} bytes")
        definition = tuple(workflow_ids(presentation))
        instance = tuple(workflow_ids(presentation, "instance"))
        identifier = presentation.get("id")
        with self._write() as db:
            now = self._clock()
            if challenge is not None:
                self._live(db, challenge.value, now)  # under the write lock: used or expired meanwhile?
                db.execute("DELETE FROM challenges WHERE challenge = ?", (challenge.value,))
            cursor = db.execute(
                "INSERT INTO submissions (challenge, presentation, presentation_id, holder, workflow_definition, "
                "workflow_instance, client_id, endpoint, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (challenge.value if challenge else None, text, identifier if isinstance(identifier, str) else None,
                 holder_id(presentation), json.dumps(definition), json.dumps(instance), client_id, endpoint, now))
            number = cursor.lastrowid
        assert number is not None
        return Submission(number, challenge.value if challenge else None, presentation, definition, instance,
                          client_id, endpoint, now)

    def submission(self, number: int) -> Submission | None:
        """The stored submission ``number``, or None."""
        with self._connect() as db:
            row = db.execute(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions WHERE id = ?", (number,)).fetchone()
        return _submission(row) if row is not None else None

    def submissions(self) -> list[Submission]:
        """Every stored submission, oldest first."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {_SUBMISSION_COLUMNS} FROM submissions ORDER BY id").fetchall()
        return [_submission(row) for row in rows]


_SUBMISSION_COLUMNS = ("id, challenge, presentation, workflow_definition, workflow_instance, client_id, endpoint, "
                       "received_at")


def _submission(row: tuple[Any, ...]) -> Submission:
    number, challenge, presentation, definition, instance, client_id, endpoint, received_at = row
    return Submission(number, challenge, json.loads(presentation), tuple(json.loads(definition)),
                      tuple(json.loads(instance)), client_id, endpoint, received_at)


def _count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM challenges").fetchone()[0])


# -- the verification result as the profile has it --------------------------------------------------------------------


def verification_report(result: VerificationResult) -> dict[str, Any]:
    """The profile's VerificationResult: ``{verified, checks, warnings, errors}``, every entry a string.

    ``checks`` names what was checked, once per family (``proof`` for every ``proof.*`` check, as the VC API has
    it); ``errors`` says what each check that did not pass found (``proof.signature: …``). A nested result's
    entries are prefixed with it: ``credential[0].proof``, ``workflow[0].shipment.parties: …``.
    """
    checks: list[str] = []
    errors: list[str] = []

    def walk(node: VerificationResult, prefix: str) -> None:
        for check in node.checks:
            family = prefix + check.name.split(".", 1)[0]
            if family not in checks:
                checks.append(family)
            if check.status != PASSED:
                errors.append(f"{prefix}{check.name}: {check.message}")
        seen: dict[str, int] = {}
        for child in node.nested:
            index = seen.get(child.document_type, 0)
            seen[child.document_type] = index + 1
            walk(child, f"{prefix}{child.document_type}[{index}].")

    walk(result, "")
    return {"verified": result.verified, "checks": checks, "warnings": [], "errors": errors}


# -- the exchange -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """An HTTP answer: status, JSON body, headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def _refusal(status: int, message: str, reason: str, **extra: Any) -> Outcome:
    """A refusal in the profile's error shape, as the profile router words raised errors: ``{message, code, reason}``
    (``code`` the HTTP status, ``reason`` vctrade's code), with ``extra`` members."""
    return Outcome(status, {"message": message, "code": status, "reason": reason, **extra})


class Exchange:
    """The exchange's behaviour, independent of the web framework: each method takes a parsed body, gives an Outcome."""

    def __init__(self, config: ServiceConfig, service: Service, *, clock: Callable[[], float] = time.time,
                 max_challenges: int = MAX_LIVE_CHALLENGES) -> None:
        profile = config.traceability
        if profile is None:
            raise ConfigError("the presentation exchange needs [traceability] in the configuration")
        self.config = config
        self.service = service
        self.organisation = profile.did  # the configuration made sure it is the signer's did:web
        self.signer = service.issuer(profile.issuer)
        # The proofs' domain: the host (and port) of the organisation's did:web, as the profile's examples have it.
        self.domain = urlsplit(did_to_url(self.organisation)).netloc
        self.store = ExchangeStore(profile.store, ttl_seconds=profile.challenge_ttl_seconds, clock=clock,
                                   max_challenges=max_challenges, max_presentation_bytes=config.max_body_bytes)
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # POST /presentations/available
    def available(self, body: dict[str, Any], caller: Caller) -> Outcome:
        """A challenge for the caller (for the workflow the body names, if any) and this service's domain."""
        query = body.get("query")
        if query is not None and not isinstance(query, (list, dict)):
            raise RequestError("query must be an array (or an object) of queries")
        workflow = _requested_workflow(body.get("workflow"))
        try:
            challenge = self.store.issue(self.domain, workflow, caller.client_id)
        except StoreFull as exc:
            outcome = _refusal(503, "Service Unavailable: the service cannot hand out more challenges now",
                               exc.code, details=[exc.message])
            return dataclasses.replace(outcome, headers={"Retry-After": str(math.ceil(exc.retry_after))})
        return Outcome(200, {"domain": challenge.domain, "challenge": challenge.value})

    # POST /presentations/prove
    def prove(self, body: dict[str, Any]) -> Outcome:
        """The body's presentation, signed by the organisation with the options' challenge, domain and proof type."""
        presentation, options = body.get("presentation"), body.get("options")
        if not isinstance(presentation, dict):
            raise RequestError("the body needs presentation, an object")
        if not isinstance(options, dict):
            raise RequestError("the body needs options, an object with the challenge to answer")
        challenge, domain, proof_type = options.get("challenge"), options.get("domain"), options.get("type")
        if not isinstance(challenge, str) or not challenge:
            raise RequestError("options.challenge must be the verifier's challenge (a non-empty string)")
        if domain is not None and (not isinstance(domain, str) or not domain):
            raise RequestError("options.domain must be a non-empty string")
        if proof_type is None:
            proof_type = "Ed25519Signature2018" if self.signer.key.key_type == "Ed25519" else "JsonWebSignature2020"
        if proof_type not in PROOF_TYPES:
            raise RequestError(f"options.type must be one of {', '.join(PROOF_TYPES)}")
        if "proof" in presentation:
            raise RequestError("the presentation already has a proof; send it without one")
        document = dict(presentation)
        holder = document.get("holder")
        if holder is None:
            document["holder"] = self.organisation
        elif holder_id(document) != self.organisation:
            raise RequestError(f"the presentation's holder must be this organisation ({self.organisation}): "
                               "the service signs only as itself")
        entries = document.get("verifiableCredential", [])
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict) and "proof" not in entry:
                raise RequestError("every presented credential must be signed (an object with a proof, or a JWT)")
        try:
            signed = sign(document, self.signer.key, suite=proof_type,
                          verification_method=self.signer.verification_method, proof_purpose="authentication",
                          challenge=challenge, domain=domain, created=self._now(), loader=self.service.loader,
                          kind="VerifiablePresentation")
        except InputError as exc:  # not a presentation, an undefined term, a context that is not pinned …
            raise RequestError(f"cannot sign the presentation: {exc.message}", code=exc.code) from None
        return Outcome(201, signed)

    # POST /presentations/submissions
    def submit(self, body: dict[str, Any], caller: Caller) -> Outcome:
        """Verify a presentation answering one of this service's challenges; store it, consuming the challenge."""
        presentation = _presentation_of(body)
        challenge = self.store.challenge(_proof_challenge(presentation))
        if challenge.client_id is not None and caller.client_id != challenge.client_id:
            raise ChallengeRefused("the challenge was handed out to another client", code="challenge_not_yours")
        result = self._verify(presentation, challenge.value, challenge.domain)
        if challenge.workflow is not None:
            result = _with_checks(result, _workflow_check(presentation, challenge.workflow))
        if not result.verified:
            return self._not_verified(result)
        # Under the write lock the challenge is checked again: answered (or expired) while this one was verified?
        self.store.accept(presentation, challenge=challenge, client_id=caller.client_id, endpoint="submissions")
        return Outcome(200, verification_report(result))

    # POST /presentations
    def receive(self, body: dict[str, Any], caller: Caller) -> Outcome:
        """Verify a presentation sent by an authenticated client (its own proof optional) and store it."""
        presentation = _presentation_of(body)
        result = self._verify(presentation, None, None)
        if "proof" not in presentation:
            result = _sent_by(result, caller)
        if not result.verified:
            return self._not_verified(result)
        self.store.accept(presentation, challenge=None, client_id=caller.client_id, endpoint="presentations")
        return Outcome(200, verification_report(result))

    # POST /presentations/verify
    def verify(self, body: dict[str, Any]) -> Outcome:
        """Verify a presentation with the options' challenge and domain: 200 with the verdict (an undecided one is
        ``verified: false``), stored nowhere; the challenge is not consumed (the exchange may have used it)."""
        presentation, options = body.get("verifiablePresentation"), body.get("options", {})
        if not isinstance(presentation, (dict, str)) or not presentation:
            raise RequestError("the body needs verifiablePresentation (an object, or a JWT)")
        if not isinstance(options, dict):
            raise RequestError("options must be an object")
        challenge, domain = options.get("challenge"), options.get("domain")
        for name, value in (("challenge", challenge), ("domain", domain)):
            if value is not None and not isinstance(value, str):
                raise RequestError(f"options.{name} must be a string")
        result = self._verify(presentation, challenge, domain)
        if _busy(result):
            return self._not_verified(result)
        return Outcome(200, verification_report(result))

    def _verify(self, presentation: dict[str, Any] | str, challenge: str | None,
                domain: str | None) -> VerificationResult:
        service = self.service
        result = verify(presentation, now=self._now(), resolver=service.resolver, loader=service.loader,
                        status_source=service.status_source, challenge=challenge, domain=domain,
                        policy=self.config.policy)
        if result.document_type != "presentation" and not any(c.code == "internal_error" for c in result.checks):
            result = _with_checks(result, Check("structure", FAILED, "wrong_document_type",
                                                f"a presentation is expected, not a {result.document_type}"))
        return result

    def _not_verified(self, result: VerificationResult) -> Outcome:
        """400 with the verdict; 503 and Retry-After when it was undecided because every fetch slot was busy."""
        report = verification_report(result)
        if _busy(result):
            return dataclasses.replace(
                _refusal(503, "Service Unavailable: the presentation could not be verified now", "busy", **report),
                headers={"Retry-After": str(math.ceil(self.config.fetch.timeout))})
        return _refusal(400, "Bad Request: the presentation is not verified", "not_verified", **report)


def _busy(result: VerificationResult) -> bool:
    """Undecided only because every fetch slot was taken (each frees within one fetch deadline)."""
    return result.undecided and any(check.code == "busy" for check in result.all_checks())


def _requested_workflow(value: Any) -> str | None:
    """The one workflow definition id an ``available`` request names (``{"definition": id | [id]}``), or None."""
    if value is None:
        return None
    definition = value.get("definition") if isinstance(value, dict) else None
    if isinstance(definition, list) and len(definition) == 1:
        definition = definition[0]
    if not isinstance(definition, str) or not definition or len(definition) > 2048:
        raise RequestError('workflow must be {"definition": "<the workflow definition id>"} (one id)')
    return definition


def _presentation_of(body: dict[str, Any]) -> dict[str, Any]:
    """The presentation a submission carries: the body itself, or its ``verifiablePresentation``."""
    presentation = body.get("verifiablePresentation", body)
    if not isinstance(presentation, dict):
        raise RequestError("the body must be a verifiable presentation (a JSON object)")
    return presentation


def _proof_challenge(presentation: dict[str, Any]) -> Any:
    """The challenge the presentation's proof (or proofs, all the same one) answers; None when there is none."""
    proof = presentation.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    found = {p.get("challenge") for p in proofs if isinstance(p, dict)}
    return found.pop() if len(found) == 1 else None


def _with_checks(result: VerificationResult, *extra: Check) -> VerificationResult:
    return dataclasses.replace(result, checks=(*result.checks, *extra))


def _workflow_check(presentation: dict[str, Any], workflow: str) -> Check:
    """The presentation names the workflow its challenge was handed out for."""
    if workflow in workflow_ids(presentation):
        return Check("exchange.workflow", PASSED, "workflow_matches", f"for workflow {workflow}, as asked")
    return Check("exchange.workflow", FAILED, "workflow_mismatch",
                 f"the challenge was handed out for workflow {workflow}; the presentation does not name it")


def _sent_by(result: VerificationResult, caller: Caller) -> VerificationResult:
    """An unsigned presentation from an authenticated client: its sender is the client, not a holder proof.

    The check that says the presentation has no proof gives way to one that names the authenticated sender; every
    other check stands — each credential's, the workflow's, and the holder's: a presentation that names a holder
    must be signed by it (an unsigned one that names none is the client's).
    """
    kept = tuple(c for c in result.checks if (c.name, c.code) != ("proof", "no_proof"))
    if len(kept) == len(result.checks):  # its structure was refused before any proof was looked for
        return result
    who = f"the OAuth2 client {caller.client_id}" if caller.client_id else "a holder of the service's API token"
    sender = Check("sender", PASSED, "authenticated_sender", f"unsigned presentation sent by {who}")
    return dataclasses.replace(result, checks=(*kept, sender))


# -- the routes -------------------------------------------------------------------------------------------------------


def _respond(outcome: Outcome) -> JSONResponse:
    return JSONResponse(outcome.body, status_code=outcome.status, headers=outcome.headers or None)


def exchange_routes(router: APIRouter, config: ServiceConfig, service: Service) -> None:
    """Add the presentation exchange's routes to the profile's ``router`` (its prefix is the profile's base path)."""
    exchange = Exchange(config, service)
    limit = config.max_body_bytes

    async def body_of(request: Request) -> dict[str, Any]:
        return await read_json_object(request, limit)

    submitter = Depends(scoped(config, "submit:presentations"))  # the caller, who must have the scope

    @router.post("/presentations/available")
    async def presentations_available(request: Request, caller: Caller = submitter) -> JSONResponse:
        """Start an exchange: a single-use challenge and this service's domain."""
        body = await body_of(request)
        return _respond(await run_in_threadpool(exchange.available, body, caller))

    @router.post("/presentations/prove", status_code=201, dependencies=[Depends(scoped(config, "prove:presentations"))])
    async def presentations_prove(request: Request) -> JSONResponse:
        """Sign a presentation as the organisation."""
        body = await body_of(request)
        return _respond(await run_in_threadpool(exchange.prove, body))

    @router.post("/presentations/submissions")
    async def presentations_submissions(request: Request, caller: Caller = submitter) -> JSONResponse:
        """End an exchange: a presentation answering a challenge, verified and stored."""
        body = await body_of(request)
        return _respond(await run_in_threadpool(exchange.submit, body, caller))

    @router.post("/presentations")
    async def presentations(request: Request, caller: Caller = submitter) -> JSONResponse:
        """Receive a presentation from an authenticated client, verified and stored."""
        body = await body_of(request)
        return _respond(await run_in_threadpool(exchange.receive, body, caller))

    @router.post("/presentations/verify", dependencies=[Depends(scoped(config, "verify:presentations"))])
    async def presentations_verify(request: Request) -> JSONResponse:
        """Verify a presentation with the expected challenge and domain."""
        body = await body_of(request)
        return _respond(await run_in_threadpool(exchange.verify, body))
