"""Two `vctrade serve` replicas on loopback ports sharing one PostgreSQL registry (and one status site, as replicas
behind a load balancer share a volume), driven by concurrent clients: issue, revoke, suspend and reinstate through
either replica at random.

What must hold: no status index given twice, no status change lost or applied twice (each successful change is
exactly one audit log entry, in an order consistent with when the clients saw the answers; the final state is the
log replayed), the audit chain verifies, a revocation is in the list the *other* replica serves as soon as it was
answered, and the lists either replica serves at the end agree with each other and with the registry.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key
from vctrade.status import Bitstring, Registry

TOKEN = "replicas-token"
REVOCATION = "https://cbp.example/status/revocation"
SUSPENSION = "https://cbp.example/status/suspension"
CLIENTS, OPERATIONS, ISSUES = 8, 100, 12  # per client: ISSUES issues first, then status changes
TIME_LIMIT = 120.0  # seconds for all CLIENTS x OPERATIONS
VCTRADE = str(Path(sys.executable).with_name("vctrade"))

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs `vctrade serve` processes")


@dataclass
class Replica:
    process: subprocess.Popen[str]
    port: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(config: Path) -> Replica:
    port = _free_port()
    process = subprocess.Popen([VCTRADE, "serve", "--config", str(config), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return Replica(process, port)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"vctrade serve did not start: {process.communicate()[1]}")
        time.sleep(0.05)


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Replica, Replica, Key, Path]]:
    """Two replicas (each its own configuration folder) over one PostgreSQL registry with a revocation and a
    suspension list, publishing to one shared status site."""
    key = Key.generate("Ed25519")
    key.save(tmp_path / "cbp.jwk")
    site = tmp_path / "site"
    configs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        config = tmp_path / name / "service.toml"
        config.write_text(f"""
[server]
registry = {json.dumps(postgres_url)}
status_site = {json.dumps(str(site))}

[auth]
tokens = ["{TOKEN}"]

[[issuer]]
name = "cbp"
key = {json.dumps(str(tmp_path / "cbp.jwk"))}
""")
        configs.append(config)
    with Registry(postgres_url) as registry:
        registry.create_list(REVOCATION, key.did, "revocation", tmp_path / "cbp.jwk")
        registry.create_list(SUSPENSION, key.did, "suspension", tmp_path / "cbp.jwk")
    started: list[Replica] = []
    try:
        for config in configs:
            started.append(_start(config))
        yield started[0], started[1], key, site
    finally:
        for replica in started:
            replica.stop()


@dataclass
class Operation:
    client: int
    replica: int
    action: str  # issue, revoke, suspend, reinstate
    credential: str | None
    reason: str | None
    started: float
    ended: float
    status: int
    body: dict[str, Any]


def _list_bits(client: httpx.Client, replica: Replica, url: str) -> tuple[dict[str, Any], Bitstring]:
    """The list a replica serves — whole, even while the other replica replaces the file (read in one go)."""
    answer = client.get(replica.url("/status/" + url.rsplit("/status/", 1)[1]))
    assert answer.status_code == 200, answer.text
    document = answer.json()
    return document, Bitstring.decode(document["credentialSubject"]["encodedList"])


def _ones(bits: Bitstring) -> list[int]:
    return [index for index in range(len(bits)) if bits[index]]


def test_two_replicas_one_postgresql_registry(replicas: tuple[Replica, Replica, Key, Path], postgres_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, b, key, _site = replicas
    both = (a, b)
    issued: list[tuple[str, dict[str, int]]] = []  # (credential id, {list url: index}) as the clients saw them
    issued_lock = threading.Lock()
    operations: list[Operation] = []
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def run(number: int) -> None:
        rng = random.Random(number)
        mine: list[Operation] = []
        with httpx.Client(timeout=60) as client:
            try:
                for step in range(OPERATIONS):
                    which = rng.randrange(2)
                    replica = both[which]
                    if step < ISSUES:
                        credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                                      "credentialSubject": {"id": f"did:example:trader-{number}-{step}"}}
                        started = time.monotonic()
                        answer = client.post(replica.url("/credentials/issue"), json={"credential": credential},
                                             headers=headers)
                        ended = time.monotonic()
                        body = answer.json()
                        mine.append(Operation(number, which, "issue", None, None, started, ended, answer.status_code, body))
                        if answer.status_code != 201:
                            failures.append(f"issue: {answer.status_code} {answer.text[:300]}")
                            continue
                        signed = body["verifiableCredential"]
                        indexes = {entry["statusListCredential"]: int(entry["statusListIndex"])
                                   for entry in signed["credentialStatus"]}
                        with issued_lock:
                            issued.append((signed["id"], indexes))
                        continue
                    with issued_lock:
                        credential_id = rng.choice(issued)[0]
                    action = rng.choices(["revoke", "suspend", "reinstate"], weights=[1, 5, 5])[0]
                    reason = f"client {number} step {step}"
                    started = time.monotonic()
                    answer = client.post(replica.url("/credentials/status"), headers=headers,
                                         json={"credentialId": credential_id, "action": action, "reason": reason})
                    ended = time.monotonic()
                    body = answer.json()
                    mine.append(Operation(number, which, action, credential_id, reason, started, ended,
                                          answer.status_code, body))
                    if answer.status_code not in (200, 409):
                        failures.append(f"{action}: {answer.status_code} {answer.text[:300]}")
                    elif answer.status_code == 200 and action == "revoke":
                        # Revocation is never lost: the other replica already serves it.
                        index = body["status"]["revocation"]["index"]
                        _, bits = _list_bits(client, both[1 - which], REVOCATION)
                        if not bits[index]:
                            failures.append(f"{credential_id} revoked through one replica, not in the other's list")
            except Exception as exc:  # noqa: BLE001 - reported below, with the others
                failures.append(f"client {number}: {exc!r}")
        with issued_lock:
            operations.extend(mine)

    began = time.monotonic()
    threads = [threading.Thread(target=run, args=(number,), daemon=True) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, TIME_LIMIT - (time.monotonic() - began)))
    took = time.monotonic() - began
    assert not any(thread.is_alive() for thread in threads), f"not done within {TIME_LIMIT} s"
    assert took <= TIME_LIMIT, f"{CLIENTS * OPERATIONS} operations took {took:.1f} s, over {TIME_LIMIT} s"
    assert not failures, failures[:10]
    assert len(operations) == CLIENTS * OPERATIONS

    # No index given twice, and the registry holds the ones the clients were given.
    assert len(issued) == CLIENTS * ISSUES
    for url in (REVOCATION, SUSPENSION):
        indexes = [entry[url] for _, entry in issued]
        assert len(set(indexes)) == len(indexes), f"duplicate index in {url}"
    with Registry(postgres_url) as registry:
        log = registry.log()
        assert registry.verify_log() is None
        rows = registry._db.execute("SELECT e.credential_id, l.url, e.idx, e.status FROM entries e "
                                    "JOIN status_lists l ON l.id = e.list_id").fetchall()
        lists = {url: registry.bitstring(registry.status_list(url)) for url in (REVOCATION, SUSPENSION)}
    assert {(credential, url): index for credential, url, index, _ in rows} == \
        {(credential, url): index for credential, entry in issued for url, index in entry.items()}

    # Each successful change is exactly one audit log entry (its reason names it); a refused one (409) is none.
    changes = [op for op in operations if op.action != "issue"]
    succeeded = [op for op in changes if op.status == 200]
    logged = {entry["reason"]: entry for entry in log if entry["action"] in ("revoke", "suspend", "reinstate")}
    assert len(logged) == sum(1 for entry in log if entry["action"] in ("revoke", "suspend", "reinstate"))
    assert {op.reason for op in succeeded} == set(logged)
    for op in succeeded:
        assert (logged[op.reason]["action"], logged[op.reason]["credential_id"]) == (op.action, op.credential)
    assert Counter(entry["action"] for entry in log)["issue"] == CLIENTS * ISSUES
    # The log's order is one the clients could see: an answer received before another request was sent comes first.
    by_seq = sorted(succeeded, key=lambda op: logged[op.reason]["seq"])
    earliest_end_after = float("inf")
    for op in reversed(by_seq):
        assert earliest_end_after >= op.started, "a change answered earlier is logged after one sent later"
        earliest_end_after = min(earliest_end_after, op.ended)

    # The final state is the log replayed: the last successful change of each credential decides.
    expected: dict[str, dict[str, int]] = {credential: {"revocation": 0, "suspension": 0} for credential, _ in issued}
    for op in by_seq:
        assert op.credential is not None
        state = expected[op.credential]
        # Each applied change was a change when it was applied (two replicas never both applied the same one).
        if op.action == "revoke":
            assert state["revocation"] == 0, f"{op.credential} revoked twice"
            state["revocation"] = 1
        else:
            assert state["suspension"] == (0 if op.action == "suspend" else 1), f"{op.credential}: {op.action} twice"
            state["suspension"] = 1 if op.action == "suspend" else 0
    purposes = {REVOCATION: "revocation", SUSPENSION: "suspension"}
    assert {(credential, purposes[url]): status for credential, url, _, status in rows} == \
        {(credential, purpose): value for credential, state in expected.items() for purpose, value in state.items()}

    # Either replica serves the same lists, and they are the registry's.
    with httpx.Client(timeout=30) as client:
        for url in (REVOCATION, SUSPENSION):
            (doc_a, bits_a), (doc_b, bits_b) = _list_bits(client, a, url), _list_bits(client, b, url)
            assert doc_a == doc_b and "proof" in doc_a
            assert _ones(bits_a) == _ones(lists[url]) == _ones(bits_b)
            for credential, entry in issued:
                assert bits_a[entry[url]] == bool(expected[credential][purposes[url]])

    conflicts = sum(1 for op in changes if op.status == 409)
    per_replica = Counter(op.replica for op in operations)
    with capsys.disabled():
        print(f"\n[replicas] {len(operations)} operations ({CLIENTS} clients x {OPERATIONS}: {len(issued)} issues, "
              f"{len(changes)} status changes: {len(succeeded)} applied, {conflicts} conflicts (409), 0 retries) "
              f"through 2 replicas ({per_replica[0]}/{per_replica[1]}) in {took:.1f} s "
              f"({len(operations) / took:.0f} ops/s); audit log {len(log)} entries, chain verified")
