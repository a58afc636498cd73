"""Verifying many files: folders of credentials and presentations, in worker processes.

Each worker builds its verifier once (resolver, context loader, status-list
cache, policy), so contexts, DID documents and status lists are loaded once
per worker rather than once per file. Results come back in input order, as
they are read (see :class:`Batch`): a batch of any length holds only a few
chunks of reports at a time.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from vctrade._http import FetchPolicy
from vctrade._result import Check, VerificationResult
from vctrade.did import DIDResolver, network_resolver
from vctrade.errors import InputError, InvalidDocument, OperationalError
from vctrade.jsonld import DocumentLoader, default_loader
from vctrade.model import parse_json_int
from vctrade.status import (
    CachingSource,
    HttpsStatusSource,
    StatusFiles,
    StatusListSource,
)
from vctrade.trust import TrustPolicy, combine
from vctrade.verification import DEFAULT_SKEW, Format, detect, verify

if TYPE_CHECKING:  # the pool's machinery is imported when a batch starts it: one file's verify needs none of it
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["DOCUMENT_SUFFIXES", "STDIN", "Batch", "VerifyOptions", "WorkerMemory", "collect_files", "input_name",
           "is_stdin", "peak_rss_kib", "read_document", "read_for_report", "read_input", "read_json_object",
           "verify_files"]

DOCUMENT_SUFFIXES = (".json", ".jsonld", ".jwt", ".sd-jwt", ".cose", ".vc", ".vp")


@dataclass(frozen=True)
class VerifyOptions:
    """Everything a verification run needs, in a form that can be sent to worker processes."""

    now: datetime | None = None
    skew: timedelta = DEFAULT_SKEW
    challenge: str | None = None
    domain: str | None = None
    contexts: tuple[tuple[str, str], ...] = ()
    status_files: tuple[tuple[str, str], ...] = ()
    policy_files: tuple[str, ...] = ()
    with_files: tuple[str, ...] = ()
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    def resolver(self) -> DIDResolver:
        """DID resolution with this run's fetch policy for did:web."""
        return network_resolver(self.fetch)

    def loader(self) -> DocumentLoader:
        """The context loader: bundled contexts plus the ones given."""
        return DocumentLoader(dict(self.contexts)) if self.contexts else default_loader()

    def status_source(self) -> StatusListSource:
        """Offline status files when given, else HTTPS with a cache."""
        if self.status_files:
            return StatusFiles(dict(self.status_files))
        return CachingSource(HttpsStatusSource(self.fetch))

    def policy(self) -> TrustPolicy | None:
        """The combined policy of every policy file, or None."""
        if not self.policy_files:
            return None
        return combine(TrustPolicy.from_toml(path) for path in self.policy_files)

    def beside(self) -> list[dict[str, Any]]:
        """The credentials given with --with."""
        return [read_json_object(Path(path)) for path in self.with_files]


STDIN = "-"  # a file argument naming standard input (or, written to, standard output)
_stdin_read = False


def is_stdin(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is ``-``: standard input (standard output, for a file written)."""
    return os.fspath(path) == STDIN


def input_name(path: str | os.PathLike[str]) -> str:
    """How messages name ``path``: ``standard input`` for ``-``."""
    return "standard input" if is_stdin(path) else os.fspath(path)


def read_input(path: Path) -> bytes:
    """The bytes of ``path``, or of standard input for ``-`` (which one command reads once: it has one stdin)."""
    global _stdin_read
    if not is_stdin(path):
        return path.read_bytes()
    if _stdin_read:
        raise InputError("standard input (-) is already read: give - for one file only")
    _stdin_read = True
    return sys.stdin.buffer.read()


def read_document(path: Path) -> dict[str, Any] | str:
    """A credential or presentation from a file (``-``: standard input): a JSON object, or the text of a JWT /
    SD-JWT / COSE object."""
    name = input_name(path)
    data = _read(path)
    stripped = data.strip()
    if stripped[:1] in (b"{", b"[", b'"') or not stripped:
        return _json_object(data, name)
    try:
        detected = detect(data)
    except InvalidDocument:
        raise InvalidDocument(f"{name} is neither JSON nor a compact JWT / SD-JWT nor COSE") from None
    if detected.format is Format.COSE:
        return data.decode("latin-1")  # raw CBOR (unstripped: its bytes are exact) or base64 text
    if detected.format is Format.JSON:
        return _json_object(data, name)
    return str(detected.value)


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file (``-``: standard input), or InvalidDocument with a one-line reason."""
    return _json_object(_read(path), input_name(path))


def _read(path: Path) -> bytes:
    """The bytes of a file, or InvalidDocument with a one-line reason."""
    try:
        return read_input(path)
    except FileNotFoundError:
        raise InvalidDocument(f"file not found: {path}") from None
    except IsADirectoryError:
        raise InvalidDocument(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InvalidDocument(f"cannot read {input_name(path)}: {exc.strerror}") from None


def _json_object(data: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(data, parse_int=parse_json_int)  # a 5,000-digit number is a field problem
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDocument(f"{name} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidDocument(f"{name} is nested too deeply") from None
    if not isinstance(document, dict):
        raise InvalidDocument(f"{name} holds a JSON {type(document).__name__}, not a JSON object")
    return document


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The documents to verify: files as given, folders searched recursively by suffix, sorted."""
    found: list[Path] = []
    for path in paths:
        if is_stdin(path):
            raise InputError("- (standard input) is one document: verify it alone, not in a batch")
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(DOCUMENT_SUFFIXES)))
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"file not found: {path}")
    return found


def read_for_report(path: str) -> bytes | str:
    """The bytes of ``path`` to verify in a batch, or (unreadable) the reason its report gives."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"


class _Verifier:
    """One verifier per process: shared caches across the files it verifies."""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self.resolver = options.resolver()
        self.loader = options.loader()
        self.status_source = options.status_source()
        self.policy = options.policy()
        self.beside = options.beside()

    def __call__(self, path: str, data: bytes | str | None = None) -> dict[str, Any]:
        """The report on ``path``; ``data``, when given, is its bytes read elsewhere (a str: why they could not be
        read), e.g. by the client of a Dask cluster whose workers do not share its files."""
        if data is None:
            data = read_for_report(path)
        if isinstance(data, str):
            result = VerificationResult((Check("structure", "failed", "unreadable", data),))
        else:
            result = verify(
                data, now=self.options.now, resolver=self.resolver, loader=self.loader, skew=self.options.skew,
                challenge=self.options.challenge, domain=self.options.domain, status_source=self.status_source,
                policy=self.policy, with_credentials=self.beside,
            )
        return result.report(path)  # the shape `vctrade verify --json` prints for one file too


@dataclass(frozen=True)
class WorkerMemory:
    """A worker's resident set size in KiB: when it was ready to work (what it shares with the parent after a
    fork included), and at its peak so far."""

    start_kib: int
    peak_kib: int


_worker: _Verifier | None = None
_worker_start_kib: int | None = None


def _init_worker(options: VerifyOptions, parent: int) -> None:
    global _worker, _worker_start_kib
    _worker = _Verifier(options)
    _worker_start_kib = peak_rss_kib()  # a new process's peak is where it stands now
    # the parent's pid as the parent saw it: if it was killed before this ran, getppid() already names another
    threading.Thread(target=_exit_with, args=(parent,), name="vctrade-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once ``parent`` is gone (killed): a forked worker holds both ends of its work queue, so it
    would otherwise wait for work forever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _verify_chunk(paths: list[str]) -> tuple[list[dict[str, Any]], int, WorkerMemory | None]:
    """A worker's reports on ``paths``, with its pid and memory so far."""
    assert _worker is not None, "worker not initialised"
    reports = [_worker(path) for path in paths]
    peak = peak_rss_kib()
    memory = WorkerMemory(_worker_start_kib, peak) if _worker_start_kib is not None and peak is not None else None
    return reports, os.getpid(), memory


def peak_rss_kib() -> int | None:
    """This process's peak resident set size in KiB (None where the platform has no ``resource`` module)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes, Linux KiB


# At most this many files per chunk sent to a worker, and this many chunks per worker in flight: a worker
# never waits for work, and reports not yet printed stay few, however long the batch.
_MAX_CHUNK = 32
_CHUNKS_IN_FLIGHT_PER_JOB = 3


class Batch(Iterator[dict[str, Any]]):
    """The reports of one batch, in input order, as they are iterated; a context manager that stops its workers.

    With ``jobs`` > 1 the worker processes start when the Batch is made: make it before starting any thread
    (a progress bar), so that on Linux they are forked from a single-threaded process — already importing
    everything, no interpreter start-up — instead of spawned. Chunks shrink towards the end of the batch
    (guided scheduling), so both workers finish together; at most a few chunks are in flight, so memory does not
    grow with the batch, however slowly the reports are consumed.
    """

    def __init__(self, names: list[str], options: VerifyOptions, jobs: int) -> None:
        self.workers: dict[int, WorkerMemory | None] = {}  # worker pid -> its memory, as last reported
        self._names = names
        self._jobs = min(jobs, len(names))  # no more workers than files
        self._next = 0  # the first name not yet sent to a worker
        self._pool: ProcessPoolExecutor | None = None
        if self._jobs < 2:
            self._reports: Iterator[dict[str, Any]] = map(_Verifier(options), names)
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork only from a single-threaded process (a fork copies locks other threads may hold); else spawn.
        method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"
        self._pool = ProcessPoolExecutor(max_workers=self._jobs, mp_context=multiprocessing.get_context(method),
                                         initializer=_init_worker, initargs=(options, os.getpid()))
        self._in_flight: deque[Future[tuple[list[dict[str, Any]], int, WorkerMemory | None]]] = deque()
        self._fill()  # starts the workers now
        self._reports = self._in_order()

    def _fill(self) -> None:
        assert self._pool is not None
        while len(self._in_flight) < self._jobs * _CHUNKS_IN_FLIGHT_PER_JOB and self._next < len(self._names):
            remaining = len(self._names) - self._next
            size = max(1, min(_MAX_CHUNK, remaining // (self._jobs * 4)))
            chunk = self._names[self._next:self._next + size]
            self._next += size
            self._in_flight.append(self._pool.submit(_verify_chunk, chunk))

    def _in_order(self) -> Iterator[dict[str, Any]]:
        from concurrent.futures.process import BrokenProcessPool

        done = 0
        while self._in_flight:
            try:
                reports, pid, memory = self._in_flight.popleft().result()
                self._fill()  # a pool broken since that result refuses new work here, not at .result()
            except BrokenProcessPool:
                self.close()
                raise OperationalError(f"a worker process stopped unexpectedly, after {done} of {len(self._names)} "
                                       "files") from None
            self.workers[pid] = memory
            done += len(reports)
            yield from reports
        self.close()

    @property
    def dispatched(self) -> int:
        """How many files have been handed to workers so far (0 with one job): a few chunks past those reported."""
        return self._next

    def __next__(self) -> dict[str, Any]:
        return next(self._reports)

    def close(self) -> None:
        """Stop the workers (work not started is dropped); closing twice is harmless."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verify_files(files: list[Path], options: VerifyOptions, *, jobs: int = 1) -> Batch:
    """Verify ``files`` (in input order) with ``jobs`` worker processes: a :class:`Batch` of one report per file."""
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, not {jobs}")
    options.policy()  # a bad policy or --with file is a usage error before any work starts
    options.beside()
    return Batch([str(path) for path in files], options, jobs)
