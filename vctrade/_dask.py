"""Verifying a batch on a Dask cluster: `vctrade verify FOLDER --dask ADDRESS`, or :func:`verify_files_dask` with a
``distributed.Client``.

The same reports in the same order as the local batch (:mod:`vctrade._batch`), streamed as they come:

- The verify options go to each worker once, in a worker plugin registered for this batch (workers that join
  later get it too, and it is removed, caches and all, when the batch ends). Each worker thread builds its own
  verifier from them on its first chunk (resolver, context loader, status-list cache, policy), so contexts, DID
  documents and status lists are loaded once per worker thread, not once per file.
- The client reads the documents and sends their bytes with each chunk: the workers need not see the client's
  files. They do read the files the options name (``--policy``, ``--with``, ``--context``, ``--status-file``)
  at the same paths, and need vctrade installed (the same version).
- Chunks shrink towards the end of the batch and at most three per worker thread are in flight, so the client
  holds a few chunks of documents and reports whatever the batch's length and however slowly it is read.
- A worker lost mid-batch is Dask's to handle: its chunks run again on another worker (verifying is
  repeatable). When Dask gives up on a chunk (it was on ``distributed.scheduler.allowed-failures`` workers that
  died), when the scheduler is lost, or when the cluster has had no worker for the timeout, the batch ends with
  an :class:`~vctrade.errors.OperationalError`.

Dask is an optional extra (``pip install 'vctrade[dask]'``): this module is imported only when a batch uses it.
"""

from __future__ import annotations

import gc
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from vctrade._batch import (
    _CHUNKS_IN_FLIGHT_PER_JOB,
    _MAX_CHUNK,
    VerifyOptions,
    WorkerMemory,
    _Verifier,
    peak_rss_kib,
    read_for_report,
)
from vctrade.errors import InputError, OperationalError

try:
    from distributed import Client, KilledWorker, WorkerPlugin
except ImportError as exc:  # the extra is not installed
    raise InputError(f"a batch on a Dask cluster needs Dask's distributed scheduler: pip install 'vctrade[dask]' "
                     f"({exc})") from None

if TYPE_CHECKING:
    from distributed import Future, Worker

__all__ = ["DaskBatch", "connect", "verify_files_at", "verify_files_dask"]

# A chunk's reports (None: the worker no longer has the batch's options), the worker's address and its memory.
_Chunk = tuple[list[dict[str, Any]] | None, str, WorkerMemory | None]


def connect(address: str, *, timeout: float = 10.0) -> Client:
    """A client of the Dask scheduler at ``address`` (e.g. ``tcp://scheduler:8786``): InputError for an address
    that is not one, OperationalError when the scheduler cannot be reached within ``timeout`` seconds."""
    try:
        return Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        problem: Exception = InputError(f"{address!r} is not a Dask scheduler address such as tcp://host:8786: {exc}")
    except (OSError, TimeoutError) as exc:
        problem = OperationalError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {exc}")
    gc.collect()  # the half-made client closes now, while its event loop runs, not noisily at exit
    raise problem


def verify_files_dask(client: Client, files: list[Path], options: VerifyOptions, *,
                      timeout: float = 10.0) -> DaskBatch:
    """Verify ``files`` (in input order) on the workers of ``client``'s cluster: a :class:`DaskBatch` of one report
    per file, the reports the local batch (:func:`vctrade._batch.verify_files`) gives. ``timeout``: how long to
    wait for a worker when the cluster has none."""
    options.policy()  # a bad policy or --with file is a usage error before any work starts
    options.beside()
    return DaskBatch(client, [str(path) for path in files], options, timeout=timeout)


def verify_files_at(address: str, files: list[Path], options: VerifyOptions, *, timeout: float = 10.0) -> DaskBatch:
    """:func:`verify_files_dask` on the cluster whose scheduler is at ``address`` (see :func:`connect`), with a client
    of its own that the batch closes when it is closed."""
    options.policy()  # usage errors before any connection
    options.beside()
    client = connect(address, timeout=timeout)
    return DaskBatch(client, [str(path) for path in files], options, timeout=timeout, own_client=True)


class DaskBatch(Iterator[dict[str, Any]]):
    """The reports of one batch on a Dask cluster, in input order, as they are iterated; a context manager that
    cancels what is left and removes the batch's verifiers from the workers (and closes the client when the batch
    owns it)."""

    def __init__(self, client: Client, names: list[str], options: VerifyOptions, *, timeout: float = 10.0,
                 own_client: bool = False) -> None:
        self.workers: dict[str, WorkerMemory | None] = {}  # worker address -> its memory, as last reported
        self._client: Client | None = client
        self._own_client = own_client
        self._names = names
        self._timeout = timeout
        self._next = 0  # the first name not yet sent
        self._token = uuid.uuid4().hex
        self._plugin: str | None = None
        self._in_flight: deque[Future[_Chunk]] = deque()
        try:
            threads = self._threads()
            self._parallel = threads
            self._plugin = f"vctrade-verify-{self._token}"
            client.register_plugin(_VerifierPlugin(self._token, options), name=self._plugin)
        except BaseException:
            self.close()
            raise
        self._reports = self._in_order()
        self._fill()

    def _threads(self) -> int:
        """The cluster's worker threads, waiting up to the timeout for a first worker."""
        client = self._check_client()
        try:
            client.wait_for_workers(1, timeout=self._timeout)
            return max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise OperationalError(f"the Dask cluster has no worker (waited {self._timeout:g} s)") from None
        except OSError as exc:
            raise OperationalError(f"lost the Dask scheduler: {exc}") from None

    def _check_client(self) -> Client:
        if self._client is None:
            raise OperationalError("this batch is closed")
        return self._client

    def _fill(self) -> None:
        client = self._check_client()
        while len(self._in_flight) < self._parallel * _CHUNKS_IN_FLIGHT_PER_JOB and self._next < len(self._names):
            remaining = len(self._names) - self._next
            size = max(1, min(_MAX_CHUNK, remaining // (self._parallel * 4)))
            chunk = [(name, read_for_report(name)) for name in self._names[self._next:self._next + size]]
            key = f"vctrade-verify-{self._token}-{self._next}"
            self._next += size
            self._in_flight.append(client.submit(_verify_chunk, self._token, chunk, key=key, pure=False))

    def _in_order(self) -> Iterator[dict[str, Any]]:
        done = 0
        while self._in_flight:
            try:
                reports, worker, memory = self._result(self._in_flight.popleft())
                if reports is None:
                    raise OSError(f"the worker {worker} has lost this batch's verify options")
                self._fill()
            except KilledWorker:
                self.close()
                raise OperationalError(f"Dask workers died while verifying files, and Dask gave up on them, after "
                                       f"{done} of {len(self._names)} files") from None
            except (CancelledError, OSError) as exc:  # the scheduler is lost: its futures are cancelled
                self.close()
                raise OperationalError(f"lost the Dask scheduler after {done} of {len(self._names)} files: "
                                       f"{exc or type(exc).__name__}") from None
            self.workers[worker] = memory
            done += len(reports)
            yield from reports
        self.close()

    def _result(self, future: Future[_Chunk]) -> _Chunk:
        """The future's result; OperationalError once the cluster has had no worker for the timeout."""
        client = self._check_client()
        alone_since: float | None = None
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                pass
            if client.nthreads():  # type: ignore[no-untyped-call]
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > self._timeout:
                raise OSError(f"the cluster has had no worker for {self._timeout:g} s")

    @property
    def dispatched(self) -> int:
        """How many files have been sent to the cluster so far: a few chunks past those reported."""
        return self._next

    def __next__(self) -> dict[str, Any]:
        return next(self._reports)

    def close(self) -> None:
        """Cancel the work not done, remove this batch's verifiers from the workers; closing twice is harmless."""
        client, self._client = self._client, None
        if client is None:
            return
        pending, self._in_flight = list(self._in_flight), deque()
        try:
            if pending:
                client.cancel(pending)  # type: ignore[no-untyped-call]
            if self._plugin is not None:
                client.unregister_worker_plugin(self._plugin)  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001 - a lost scheduler has nothing left to clean up
            pass
        finally:
            if self._own_client:
                client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- on the workers ---------------------------------------------------------------------------------------------

_lock = threading.Lock()
_options: dict[str, tuple[VerifyOptions, int | None]] = {}  # batch token -> its options, the RSS at set-up
_verifiers: dict[str, dict[int, _Verifier]] = {}  # batch token -> thread id -> that thread's verifier


class _VerifierPlugin(WorkerPlugin):
    """A batch's verify options, sent to each worker once (and to workers that join later)."""

    def __init__(self, token: str, options: VerifyOptions) -> None:
        self.token = token
        self.options = options

    def setup(self, worker: Worker) -> None:
        with _lock:
            _options[self.token] = (self.options, peak_rss_kib())
            _verifiers[self.token] = {}

    def teardown(self, worker: Worker) -> None:
        with _lock:
            _options.pop(self.token, None)
            _verifiers.pop(self.token, None)


def _verify_chunk(token: str, chunk: list[tuple[str, bytes | str]]) -> _Chunk:
    """A worker's reports on ``chunk`` (names with their bytes, or why they could not be read), its address and
    memory. A worker runs chunks on several threads: each thread has its own verifier (its caches are not shared)."""
    from distributed import get_worker

    thread = threading.get_ident()
    with _lock:
        if token not in _options:  # the batch was closed while this chunk waited: nobody reads this
            return None, get_worker().address, None
        options, start_kib = _options[token]
        verifier = _verifiers[token].get(thread)
    if verifier is None:
        verifier = _Verifier(options)
        with _lock:
            _verifiers.setdefault(token, {})[thread] = verifier
    reports = [verifier(name, data) for name, data in chunk]
    peak = peak_rss_kib()
    memory = WorkerMemory(start_kib, peak) if start_kib is not None and peak is not None else None
    return reports, get_worker().address, memory
