"""The vctrade service run for real (uvicorn) on 127.0.0.1 with an ephemeral port, in a thread; and a did:web host
that answers too slowly, for what the service and the fetches do under attack."""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Self

import pytest
import trustme
import uvicorn

from vctrade._http import FetchPolicy
from vctrade.did import did_web
from vctrade.service import ServiceConfig, server_config


class ServiceServer:
    """``with service_server(config) as server: httpx.post(server.url("/credentials/verify"), ...)``."""

    def __init__(self, config: ServiceConfig) -> None:
        # IPPROTO_TCP spelt out, as `vctrade serve` has it: asyncio then sets TCP_NODELAY on each connection.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        # The limits `vctrade serve` runs with (the header deadline among them), on this socket.
        self._server = uvicorn.Server(server_config(config, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def url(self, path: str) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        return self

    def close(self) -> None:
        """Stop serving (if started) and free the port; closing twice is harmless."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture(scope="session")
def service_server() -> Iterator[Callable[[ServiceConfig], ServiceServer]]:
    """``service_server(config)``: a ServiceServer for ``config``, started by ``with``; any left open is closed at the
    end of the session."""
    made: list[ServiceServer] = []

    def make(config: ServiceConfig) -> ServiceServer:
        server = ServiceServer(config)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


class DrippingHost:
    """An HTTPS server on 127.0.0.1 (trustme certificate) that answers every GET with a status line and then one
    response-header line every ``interval`` seconds, forever: each read comes well within any read timeout, the
    headers never end.

        with DrippingHost() as host:
            policy = host.policy(timeout=2.0)     # trusts the test CA, allows 127.0.0.1
            host.did                               # did:web:127.0.0.1%3A<port>
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.ca = trustme.CA()
        self._stop = threading.Event()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        host = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    with context.wrap_socket(self.request, server_side=True) as tls:
                        request = b""
                        while b"\r\n\r\n" not in request:
                            data = tls.recv(4096)
                            if not data:
                                return
                            request += data
                        tls.sendall(b"HTTP/1.1 200 OK\r\n")
                        line = 0
                        while not host._stop.wait(interval):
                            line += 1
                            tls.sendall(b"X-Drip-%d: still coming\r\n" % line)
                except OSError:
                    pass  # the client gave up: what the deadline is for

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.did = did_web(f"127.0.0.1:{self.port}")
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def policy(self, **overrides: Any) -> FetchPolicy:
        """A FetchPolicy for this host: its CA trusted, loopback explicitly allowed."""
        client = ssl.create_default_context()
        self.ca.configure_trust(client)
        return FetchPolicy(**{"allow_private_hosts": True, "verify": client, "timeout": 2.0, **overrides})

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def dripping_host() -> Iterator[DrippingHost]:
    """A started DrippingHost (one header line every 0.5 s, forever)."""
    with DrippingHost() as host:
        yield host
