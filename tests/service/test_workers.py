"""`vctrade serve --workers 2`, run for real: each worker keeps every limit, issuing through both allocates distinct
status indexes, a worker that dies stops the service, and SIGTERM / Ctrl-C stop every worker."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key, sign
from vctrade.errors import ConfigError
from vctrade.service import ServiceConfig, serve
from vctrade.status import Registry

TOKEN = "workers-token"
LIST_URL = "https://cbp.example/status/workers"
FREE_INDEXES = 24  # the list is filled but for these: concurrent allocations would collide if they could
VCTRADE = str(Path(sys.executable).with_name("vctrade"))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="several workers need Linux")


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@dataclass
class Served:
    """A `vctrade serve --workers 2` process (its own session: a process group the test can signal)."""

    process: subprocess.Popen[str]
    port: int
    workers: list[int]
    folder: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_of(self, connection: socket.socket) -> int:
        """The worker that accepted ``connection`` (its server-side socket is among that worker's files)."""
        client_port = connection.getsockname()[1]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            inodes = {fields[9] for fields in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
                      if int(fields[1].split(":")[1], 16) == self.port and int(fields[2].split(":")[1], 16) == client_port}
            for pid in self.workers:
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        if os.readlink(fd) in {f"socket:[{inode}]" for inode in inodes}:
                            return pid
                    except OSError:
                        continue
            time.sleep(0.02)  # not accepted yet
        raise AssertionError("no worker accepted the connection")

    def stop(self) -> None:
        """Kill whatever is left of the service's process group (workers that outlived a failed test too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(folder: Path, *extra: str) -> Served:
    port = _free_port()
    process = subprocess.Popen([VCTRADE, "serve", "--config", str(folder / "service.toml"), "--port", str(port), *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"vctrade serve did not start: {process.communicate()[1]}")
        time.sleep(0.05)
    workers = _children(process.pid)
    return Served(process, port, workers, folder)


def _service_folder(folder: Path) -> Key:
    key = Key.generate("Ed25519")
    key.save(folder / "cbp.jwk")
    (folder / "service.toml").write_text(f"""
[server]
registry = "registry.sqlite"
status_site = "site"
max_body_bytes = 4096
header_timeout_seconds = 1

[auth]
tokens = ["{TOKEN}"]

[[issuer]]
name = "cbp"
key = "cbp.jwk"
""")
    return key


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Key, set[int]]]:
    """Two workers over a registry whose one revocation list has only FREE_INDEXES indexes left."""
    folder = tmp_path_factory.mktemp("workers")
    key = _service_folder(folder)
    with Registry(folder / "registry.sqlite") as registry:
        status_list = registry.create_list(LIST_URL, key.did, "revocation", folder / "cbp.jwk")
    size = status_list.size
    free = set(range(0, size, size // FREE_INDEXES))
    # Every other index taken by a credential issued before (rows as the registry writes them).
    with sqlite3.connect(folder / "registry.sqlite") as db:
        taken = [index for index in range(size) if index not in free]
        db.executemany("INSERT INTO credentials (id, types, issuer, issued, digest) VALUES (?, '[]', ?, '2024-01-01', 'x')",
                       ((f"urn:earlier:{index}", key.did) for index in taken))
        db.executemany("INSERT INTO entries (credential_id, list_id, idx) VALUES (?, ?, ?)",
                       ((f"urn:earlier:{index}", status_list.id, index) for index in taken))
    server = _start(folder, "--workers", "2")
    try:
        assert len(server.workers) == 2, server.workers
        yield server, key, free
    finally:
        server.stop()


def _exchange(connection: socket.socket, request: bytes) -> tuple[int, bytes]:
    """One request on a kept-alive connection: the status and the body of its answer."""
    connection.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed: {received!r}"
        received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += connection.recv(65536)
    return int(head.split(b" ")[1]), body


def _post(path: str, body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{header}\r\n" for header in headers)
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _credential() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme", "tier": "Validated"}}


def test_each_worker_verifies_and_keeps_the_caps_auth_and_header_deadline(served: tuple[Served, Key, set[int]]) -> None:
    server, key, _ = served
    by_worker: dict[int, socket.socket] = {}
    opened = []
    for _ in range(64):  # the kernel spreads connections over the workers' sockets
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        opened.append(connection)
        by_worker.setdefault(server.worker_of(connection), connection)
        if len(by_worker) == 2:
            break
    try:
        assert sorted(by_worker) == server.workers
        signed = json.dumps({"verifiableCredential": sign(_credential(), key)}).encode()
        for connection in by_worker.values():
            took = []
            for _ in range(9):
                started = time.perf_counter()
                status, body = _exchange(connection, _post("/credentials/verify", signed))
                took.append(time.perf_counter() - started)
                assert status == 200 and json.loads(body)["verified"] is True
            # An answer is not held back ~40 ms by Nagle's algorithm waiting on the client's delayed ACK (TCP_NODELAY).
            assert sorted(took)[4] < 0.03, took
            status, body = _exchange(connection, _post("/credentials/verify", b" " * 5000))
            assert status == 413 and json.loads(body)["code"] == "too_large"
            status, body = _exchange(connection, _post("/credentials/issue", b"{}"))
            assert status == 401 and json.loads(body)["code"] == "unauthorized"
            connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
        for connection in by_worker.values():
            started, received = time.monotonic(), b""
            while chunk := connection.recv(4096):
                received += chunk
            assert received.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started < 3
    finally:
        for connection in opened:
            connection.close()


def test_concurrent_issuing_through_both_workers_never_shares_a_status_index(
        served: tuple[Served, Key, set[int]]) -> None:
    server, _, free = served
    ticks = {pid: _cpu_ticks(pid) for pid in server.workers}
    answers: list[httpx.Response] = []
    start = threading.Barrier(16)

    def issue_one(number: int) -> None:
        credential = _credential() | {"id": f"urn:uuid:workers-{number}"}
        with httpx.Client(timeout=60) as client:  # a connection of its own: spread over the workers
            start.wait()
            answers.append(client.post(server.url("/credentials/issue"), json={"credential": credential},
                                       headers={"Authorization": f"Bearer {TOKEN}"}))

    threads = [threading.Thread(target=issue_one, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [201] * 16, [answer.text for answer in answers]
    indexes = [int(answer.json()["verifiableCredential"]["credentialStatus"]["statusListIndex"]) for answer in answers]
    assert len(set(indexes)) == 16 and set(indexes) <= free
    assert all(_cpu_ticks(pid) > ticks[pid] for pid in server.workers), "both workers issued"
    with Registry(server.folder / "registry.sqlite") as registry:
        assert registry.verify_log() is None  # 16 issue entries, one hash chain, whichever worker wrote them
        assert sum(entry["action"] == "issue" for entry in registry.log()) == 16


def test_a_worker_that_dies_is_reported_and_stops_the_service(tmp_path: Path) -> None:
    _service_folder(tmp_path)
    server = _start(tmp_path, "--workers", "2")
    try:
        victim, survivor = server.workers
        os.kill(victim, signal.SIGKILL)
        assert server.process.wait(timeout=20) == 3
        stderr = server.process.stderr.read() if server.process.stderr else ""
        assert f"worker 1 (pid {victim}) was killed by SIGKILL; stopping the other workers" in stderr \
            or f"worker 2 (pid {victim}) was killed by SIGKILL; stopping the other workers" in stderr, stderr
        assert "error: the service stopped:" in stderr
        assert not _alive(survivor)
    finally:
        server.stop()


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    _service_folder(tmp_path)
    server = _start(tmp_path, "--workers", "2")
    try:
        server.process.kill()  # SIGKILL: the supervisor cannot stop anything itself
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in server.workers):
            assert time.monotonic() < deadline, "workers serve on without their supervisor"
            time.sleep(0.1)
    finally:
        server.stop()


@pytest.mark.parametrize("how", ["SIGTERM to the service", "Ctrl-C to its process group"])
def test_sigterm_and_ctrl_c_stop_every_worker(tmp_path: Path, how: str) -> None:
    _service_folder(tmp_path)
    server = _start(tmp_path, "--workers", "2")
    try:
        with httpx.Client() as client:  # a kept-alive connection: does not hold the stop up
            assert client.get(server.url("/openapi.json")).status_code == 200
            if how.startswith("SIGTERM"):
                server.process.send_signal(signal.SIGTERM)
            else:
                os.killpg(server.process.pid, signal.SIGINT)
            assert server.process.wait(timeout=20) == 0
        assert not any(_alive(pid) for pid in server.workers)
    finally:
        server.stop()


def test_several_workers_are_started_from_the_main_thread(tmp_path: Path) -> None:
    _service_folder(tmp_path)
    config = ServiceConfig.load(tmp_path / "service.toml")
    raised: list[BaseException] = []

    def serve_here() -> None:
        try:
            serve(config, port=_free_port(), workers=2)
        except ConfigError as exc:
            raised.append(exc)

    thread = threading.Thread(target=serve_here)
    thread.start()
    thread.join(timeout=30)
    assert len(raised) == 1 and str(raised[0]).startswith("several workers are started from the main thread")


def test_bad_worker_counts_and_a_taken_port_are_clear_errors(tmp_path: Path) -> None:
    _service_folder(tmp_path)
    command = [VCTRADE, "serve", "--config", str(tmp_path / "service.toml")]
    zero = subprocess.run([*command, "--workers", "0"], capture_output=True, text=True, timeout=60, check=False)
    assert zero.returncode == 2 and "--workers must be at least 1" in zero.stderr
    (tmp_path / "zero.toml").write_text((tmp_path / "service.toml").read_text().replace("[server]", "[server]\nworkers = 0"))
    configured = subprocess.run([*command[:3], str(tmp_path / "zero.toml")], capture_output=True, text=True, timeout=60, check=False)
    assert configured.returncode == 2 and "workers must be a positive whole number" in configured.stderr
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        busy = subprocess.run([*command, "--workers", "2", "--port", port], capture_output=True, text=True, timeout=60, check=False)
    assert busy.returncode == 3 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr and "Traceback" not in busy.stderr
