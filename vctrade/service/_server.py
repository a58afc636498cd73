"""Running the service under uvicorn, with the connection limits the app itself cannot see.

uvicorn gives a connection unlimited time to send a request's headers (its
keep-alive timer stops at the first byte), so clients that open connections and
never finish a request would keep them forever. Here each request's headers
must arrive within ``header_timeout_seconds`` of the connection opening (or of
the previous response on a kept-alive connection); a connection that has sent
part of a request by then gets ``408 Request Timeout`` and is closed, an idle
one is closed quietly.

With ``workers`` > 1 (on Linux), :func:`serve` binds one listening socket per
worker on the port (SO_REUSEPORT: the kernel spreads connections over them) and
forks that many worker processes, each running uvicorn on its socket with its
own app (its own caches, limits and verification threads). The parent only
supervises: SIGINT or SIGTERM stops every worker (gracefully, as uvicorn stops),
and a worker that exits on its own — a crash, an out-of-memory kill — is logged,
the others are stopped, and :func:`serve` raises :class:`OperationalError`
(``vctrade serve`` exits 3), so a process manager sees the failure and restarts
the whole service instead of it serving on silently with fewer workers. A
worker whose supervisor is gone stops too.

With ``[server] tls_cert`` and ``tls_key`` uvicorn serves HTTPS (every worker
with the same certificate); otherwise plain HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from vctrade.errors import ConfigError, OperationalError
from vctrade.service._app import create_app
from vctrade.service._config import ServiceConfig

if TYPE_CHECKING:  # uvicorn is imported when the service starts, not when vctrade does
    import uvicorn

__all__ = ["serve", "server_config"]

_TOO_LATE = b"the request headers came too late"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(_TOO_LATE), _TOO_LATE))


def _header_deadline_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive within ``header_timeout``."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request's headers are in (or it was refused)
                self._stop_waiting()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self._await_headers()  # the next request on a kept-alive connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._stop_waiting()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_late)

        def _stop_waiting(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
                return
            if self.conn.trailing_data[0]:  # part of a request came: say why it is dropped
                self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    return HeaderDeadlineProtocol


def server_config(config: ServiceConfig, *, clock: Callable[[], float] = time.time, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration serving ``config`` on its host and port (HTTPS with its TLS certificate);
    ``options`` override uvicorn settings, ``clock`` is the app's (:func:`~vctrade.service.create_app`)."""
    import uvicorn

    settings: dict[str, Any] = {"host": config.host, "port": config.port, "log_level": "warning",
                                "http": _header_deadline_protocol(config.header_timeout_seconds)}
    if config.tls_cert is not None and config.tls_key is not None:
        settings |= {"ssl_certfile": str(config.tls_cert), "ssl_keyfile": str(config.tls_key)}
    return uvicorn.Config(create_app(config, clock=clock), **(settings | options))


def serve(config: ServiceConfig, *, host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve ``config`` until interrupted (``host``/``port``/``workers`` override the configuration's).

    Several workers need Linux and the main thread (the supervisor takes SIGINT and SIGTERM).
    """
    import uvicorn

    host, port, workers = host or config.host, port or config.port, config.workers if workers is None else workers
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        uvicorn.Server(server_config(config, host=host, port=port)).run()
        return
    if not sys.platform.startswith("linux"):
        # fork, and SO_REUSEPORT that spreads connections over the workers' sockets: as Linux has them.
        raise ConfigError("several workers need Linux; use workers = 1 here")
    if threading.current_thread() is not threading.main_thread():
        raise ConfigError("several workers are started from the main thread (it takes SIGINT and SIGTERM for them)")
    _supervise(config, host, port, workers)


_log = logging.getLogger("vctrade.service")
# How long stopped workers get to finish their requests before they are killed.
_STOP_GRACE_SECONDS = 30.0


def _listeners(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per worker, all on ``host:port`` (SO_REUSEPORT), bound before any worker starts.

    The kernel spreads new connections over them. On one shared socket the first worker to wake would take every
    connection waiting (asyncio accepts up to its backlog at once): kept-alive clients all end up on one worker.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # A plain bind first: it fails if anything listens on the port, another service's SO_REUSEPORT
        # sockets included, which ours would otherwise silently share connections with.
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        return [_listener(family, host, port) for _ in range(count)]
    except OSError as exc:
        raise OperationalError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _listener(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    # IPPROTO_TCP spelt out: asyncio sets TCP_NODELAY only on connections whose socket says it is TCP;
    # without it, Nagle's algorithm and delayed ACKs hold every answer back some 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _supervise(config: ServiceConfig, host: str, port: int, workers: int) -> None:
    """Fork ``workers`` uvicorn processes, one socket each; stop them all on a signal or when any exits on its own."""
    listeners = _listeners(host, port, workers)
    context = multiprocessing.get_context("fork")  # the checked configuration (keys included) passes as it is
    processes = [context.Process(target=_worker, args=(config, host, port, listeners, number, os.getpid()),
                                 name=f"worker {number + 1}", daemon=False)
                 for number in range(workers)]
    stopping = False
    failure: str | None = None

    def stop_all(_signum: int = signal.SIGTERM, _frame: object = None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.pid is not None and process.exitcode is None:
                os.kill(process.pid, signal.SIGTERM)  # uvicorn's graceful stop (a second Ctrl-C forces it)

    signals = {signal.SIGINT, signal.SIGTERM}
    previous = {sig: signal.signal(sig, stop_all) for sig in signals}
    try:
        # Held until every worker has its own handlers: one forked meanwhile must not run the supervisor's.
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            for process in processes:
                process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
            for listener in listeners:
                listener.close()  # each is its worker's now: one that ends takes its socket (and port share) with it
        running = list(processes)
        while running:
            for ended in wait([p.sentinel for p in running]):
                process = next(p for p in running if p.sentinel == ended)
                process.join()
                running.remove(process)
                if not stopping:
                    failure = f"{process.name} (pid {process.pid}) {_how_it_ended(process.exitcode)}"
                    _log.error("vctrade serve: %s; stopping the other workers", failure)
                    stop_all()
            if stopping:
                _reap(running)
                running = []
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure is not None:
        raise OperationalError(f"the service stopped: {failure}")


def _reap(processes: list[Any]) -> None:
    """Wait for stopped workers (they finish the requests they have), killing any still there after the grace time."""
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            _log.error("vctrade serve: %s (pid %s) did not stop within %.0f s; killed",
                       process.name, process.pid, _STOP_GRACE_SECONDS)
            process.kill()
            process.join()


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}"
    return f"exited unexpectedly with code {exitcode}"


def _worker(config: ServiceConfig, host: str, port: int, listeners: list[socket.socket], number: int,
            supervisor: int) -> None:
    """Worker ``number``: its own app (caches, limits, threads) under uvicorn, on its own listening socket."""
    import uvicorn

    listener = listeners[number]
    for other in listeners:
        if other is not listener:
            other.close()  # the other workers' sockets: not held open here once their worker ends

    server = uvicorn.Server(server_config(config, host=host, port=port))

    def stop(_signum: int, _frame: object) -> None:
        server.should_exit = True

    # Until uvicorn takes the signals over (and after it gives them back), a stop request just ends the serving.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked by the supervisor

    def watch_supervisor() -> None:
        while os.getppid() == supervisor:
            time.sleep(0.5)
        server.should_exit = True  # the supervisor is gone (killed): no worker serves on unsupervised

    threading.Thread(target=watch_supervisor, name="vctrade-supervisor-watch", daemon=True).start()
    server.run(sockets=[listener])
