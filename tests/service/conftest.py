"""The vctrade service run for real (uvicorn) on 127.0.0.1 with an ephemeral port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from vctrade.service import ServiceConfig, create_app


class ServiceServer:
    """``with service_server(config) as server: httpx.post(server.url("/credentials/verify"), ...)``."""

    def __init__(self, config: ServiceConfig) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def url(self, path: str) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> ServiceServer:
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

    def __exit__(self, *exc: Any) -> None:
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
