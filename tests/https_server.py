"""A real HTTPS server on 127.0.0.1 for tests (trustme certificates), serving what a test puts in it.

    with HttpsServer() as server:
        server.routes["/status/1"] = Route(body=b"{...}")
        url = server.url("/status/1")          # https://127.0.0.1:<port>/status/1
        policy = server.policy()               # a FetchPolicy that trusts the test CA and allows 127.0.0.1

A route may answer with another status, redirect, delay, drip its body, or send a huge one; the
server counts hits per path so tests can see what a cache saved.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from vctrade._http import FetchPolicy


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    drip: float = 0.0  # seconds between the body's bytes (a server that answers, slowly, forever)


class HttpsServer:
    """A threaded HTTPS server on 127.0.0.1 with an ephemeral port; files under ``root`` are served too."""

    def __init__(self, root: Path | None = None) -> None:
        self.ca = trustme.CA()
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.root = root
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                route = server.routes.get(path) or server._file_route(path)
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if route.drip:
                        for byte in route.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(route.drip)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client gave up (timeouts, size caps): that is what the test wanted

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _file_route(self, path: str) -> Route:
        if self.root is not None:
            candidate = (self.root / path.lstrip("/")).resolve()
            if candidate.is_file() and self.root.resolve() in candidate.parents:
                return Route(body=candidate.read_bytes())
        return Route(body=b'{"error": "not found"}', status=404)

    @property
    def origin(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The https URL of ``path`` on this server."""
        return self.origin + path

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def policy(self, **overrides: Any) -> FetchPolicy:
        """A FetchPolicy for this server: its CA trusted, loopback explicitly allowed."""
        return FetchPolicy(**{"allow_private_hosts": True, "verify": self.client_context(), "timeout": 2.0, **overrides})

    def ca_file(self, folder: Path) -> Path:
        """Write the CA certificate as PEM (for SSL_CERT_FILE) and return its path."""
        path = folder / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def __enter__(self) -> HttpsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
