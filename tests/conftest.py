"""Shared fixtures: the checkout's paths, the spec vectors, a fixed clock, JSON loading, the installed `vctrade`
script, a real HTTPS server on 127.0.0.1, and the trade documents signed from fixtures/.

Tests reach all of this through fixtures (a conftest is never imported). A test module that needs a path while it is
collected, for a ``pytest.mark.parametrize`` list, computes it from ``Path(__file__)`` itself.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from vctrade import Key, sign
from vctrade._http import FetchPolicy
from vctrade.trade import build_aeo_credential, build_origin_credential, load_request

REPO = Path(__file__).resolve().parent.parent
# The W3C vectors live in shared/ beside the checkout (CI clones main with shared/ beside it).
VECTORS = Path(os.environ.get("VCTRADE_VECTORS", REPO.parent / "shared" / "vectors"))
FIXED_NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
VCTRADE = str(Path(sys.executable).with_name("vctrade"))


def pytest_configure(config: pytest.Config) -> None:
    """Keep the CLI's registry (issued credentials, status lists) out of the user's data directory."""
    os.environ["VCTRADE_HOME"] = tempfile.mkdtemp(prefix="vctrade-tests-")


# -- paths, clock, JSON ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def repo() -> Path:
    """The checkout (the folder holding pyproject.toml)."""
    return REPO


@pytest.fixture(scope="session")
def fixtures_dir(repo: Path) -> Path:
    """The checkout's fixtures/ folder: keys, trade requests, policies, traceability credentials, service config."""
    return repo / "fixtures"


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The spec vectors folder (the suite requires it: vectors are tests, never skipped)."""
    assert VECTORS.is_dir(), f"spec vectors not found at {VECTORS} (set VCTRADE_VECTORS)"
    return VECTORS


@pytest.fixture(scope="session")
def now() -> datetime:
    """A fixed clock for verification: 2024-06-01T00:00:00Z."""
    return FIXED_NOW


def _load_json(path: Path | str) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def load_json() -> Callable[[Path | str], Any]:
    """``load_json(path)``: read a JSON file."""
    return _load_json


# -- the installed command ------------------------------------------------------------------------


def _run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `vctrade` script the way a user would; ``env`` is added to the current environment."""
    return subprocess.run(
        [VCTRADE, *args], capture_output=True, text=True, cwd=cwd, timeout=120, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli("verify", path, env={...})``: the installed `vctrade` script as a subprocess (text output)."""
    return _run_cli


# -- a real HTTPS server on 127.0.0.1 ---------------------------------------------------------------


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    drip: float = 0.0  # seconds between the body's bytes (a server that answers, slowly, forever)


class Routes(dict[str, Route]):
    """Path -> Route. A test may assign the Route's fields as a mapping (``routes[p] = dict(body=b"{}", status=404)``);
    what it reads back is always a Route."""

    def __setitem__(self, path: str, route: Route | Mapping[str, Any]) -> None:
        super().__setitem__(path, route if isinstance(route, Route) else Route(**route))


class HttpsServer:
    """A threaded HTTPS server on 127.0.0.1 (ephemeral port, trustme certificates), serving what a test puts in it.

        with make_https_server(root=folder) as server:   # or the `https_server` fixture, already started
            server.routes["/status/1"] = dict(body=b"{...}")
            url = server.url("/status/1")          # https://127.0.0.1:<port>/status/1
            policy = server.policy()               # a FetchPolicy that trusts the test CA and allows 127.0.0.1

    A route may answer with another status, redirect, delay, drip its body, or send a huge one; files under ``root``
    are served too. The server counts hits per path so tests can see what a cache saved.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.ca = trustme.CA()
        self.routes = Routes()
        self.hits: Counter[str] = Counter()
        self.root = root
        self._started = self._closed = False
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

    def start(self) -> HttpsServer:
        self._started = True
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port (once; a server never started is only closed)."""
        if self._closed:
            return
        self._closed = True
        if self._started:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._started:
            self._thread.join(timeout=5)

    def __enter__(self) -> HttpsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def make_https_server() -> Iterator[Callable[..., HttpsServer]]:
    """``make_https_server(root=folder)``: a new, not yet started HttpsServer, for tests that pass construction
    arguments or decide its lifetime (``with make_https_server() as server: ...``). Any left open is closed at teardown."""
    made: list[HttpsServer] = []

    def make(**options: Any) -> HttpsServer:
        server = HttpsServer(**options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


@pytest.fixture
def https_server(make_https_server: Callable[..., HttpsServer]) -> Iterator[HttpsServer]:
    """A started HttpsServer with no routes (every path answers 404 until a test adds one)."""
    with make_https_server() as server:
        yield server


# -- trade documents signed from fixtures/ ----------------------------------------------------------

TRADE_NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)  # the clock the tests using `trade` verify at (their NOW)


@pytest.fixture(scope="session")
def fixture_key(fixtures_dir: Path) -> Callable[[str], Key]:
    """``fixture_key("cbp")``: the key in fixtures/keys/cbp.jwk."""
    return lambda name: Key.load(fixtures_dir / "keys" / f"{name}.jwk")


@pytest.fixture(scope="session")
def trade_request(fixtures_dir: Path) -> Callable[[str, str], dict[str, Any]]:
    """``trade_request("aeo", "acme-ctpat")``: the issuance request fixtures/aeo/acme-ctpat.yaml."""
    return lambda kind, name: load_request(fixtures_dir / kind / f"{name}.yaml")


@pytest.fixture(scope="module")
def trade(fixture_key: Callable[[str], Key], trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Signed a day before 2026-06-01: an MX-OEA AEO ("aeo"), a C-TPAT one ("ctpat"), a USMCA certificate of origin
    by the OEA-certified producer ("coo"); and the importer's key ("importer")."""
    created = TRADE_NOW - timedelta(days=1)
    anam, cbp = fixture_key("anam-mx"), fixture_key("cbp")
    aceros, acme = fixture_key("aceros-del-norte"), fixture_key("acme-imports")
    return {
        "aeo": sign(build_aeo_credential(trade_request("aeo", "mx-oea-aceros"), anam.did), anam, created=created),
        "ctpat": sign(build_aeo_credential(trade_request("aeo", "acme-ctpat"), cbp.did), cbp, created=created),
        "coo": sign(build_origin_credential(trade_request("origin", "usmca-steel"), aceros.did), aceros, created=created),
        "importer": acme,
    }


# -- a real PostgreSQL server (the registry's PostgreSQL back-end) ------------------------------------------------


class PostgresServer:
    """A PostgreSQL server of its own in a temporary folder, listening only on a Unix socket there (no TCP port).

    The machine's server binaries (Debian's ``postgresql``: tests/system-packages.sh installs it). As root it runs
    as the ``postgres`` user (PostgreSQL refuses root). ``database()`` makes a fresh database and gives its URL.
    """

    def __init__(self) -> None:
        import glob
        import pwd
        import shutil

        initdb = shutil.which("initdb")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if initdb is None and found:
            initdb = found[-1]
        if initdb is None:
            raise RuntimeError("no PostgreSQL server found (initdb): run `sh tests/system-packages.sh` as root")
        self._bin = Path(initdb).resolve().parent
        self.folder = Path(tempfile.mkdtemp(prefix="vctrade-pg-"))
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres" if _has_user("postgres") else "nobody"
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run([str(self._bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-locale", "--no-sync"])
        self.socket_dir = self.folder
        self._process = subprocess.Popen(
            [str(self._bin / "postgres"), "-D", str(self.folder / "data"), "-k", str(self.socket_dir),
             "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB"],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "server.log", "wb"), **self._as_user())
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
                time.sleep(0.05)
        self._count = 0

    def _as_user(self) -> dict[str, Any]:
        return {"user": self._user, "group": self._user if _has_group(self._user) else None,
                "extra_groups": []} if self._user else {}

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder, **self._as_user())

    def url(self, database: str) -> str:
        """``postgresql://postgres@/<database>?host=<socket folder>``."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def database(self) -> str:
        """A new empty database's URL."""
        import psycopg

        self._count += 1
        name = f"t{os.getpid()}_{self._count}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database of ``url`` (its connections closed first)."""
        import psycopg

        name = url.split("/")[3].split("?")[0]
        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then remove the folder."""
        import shutil
        import signal

        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the test session, on a Unix socket in a temporary folder; stopped at the end."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database on the session's PostgreSQL server (dropped after the test): its postgresql:// URL."""
    url = postgres_server.database()
    try:
        yield url
    finally:
        postgres_server.drop(url)
