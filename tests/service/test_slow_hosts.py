"""A did:web host that drips its response headers: one deadline ends each fetch, and the service keeps answering.

The host sends one header line every 0.5 s, forever: every read comes well within any read timeout, so only a
deadline for the whole fetch ends it. Under 50 verifications that wait on it, the service holds at most
``max_pending_verifications`` of them on the network, refuses the rest at once (503, ``busy``, Retry-After), and
verifies a did:key credential (no network) within a second all along.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from vctrade import Key, sign, verify
from vctrade._http import fetch_json
from vctrade.did import network_resolver
from vctrade.errors import FetchError
from vctrade.service import ServiceConfig


def _credential() -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:acme"}}


def _timed(call: Callable[[], Any], limit: float) -> tuple[Any, float]:
    """``call()``'s result (or exception) and how long it took; fails if it is still running after ``limit`` s."""
    outcome: list[Any] = []

    def run() -> None:
        started = time.monotonic()
        try:
            outcome.append(call())
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)
        outcome.append(time.monotonic() - started)

    worker = threading.Thread(target=run, daemon=True)  # a fetch that never ends must not hang the suite
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"still running after {limit} s"
    return outcome[0], outcome[1]


def test_fetch_json_gives_up_at_its_deadline_against_a_host_that_drips_headers(dripping_host: Any) -> None:
    url = f"https://127.0.0.1:{dripping_host.port}/.well-known/did.json"
    error, took = _timed(lambda: fetch_json(url, dripping_host.policy(timeout=2.0)), limit=6)
    assert isinstance(error, FetchError) and error.code == "timeout" and "longer than 2 s" in error.message
    assert 1.9 < took < 2.5


def test_verify_against_the_dripping_host_is_undecided_at_the_deadline(dripping_host: Any) -> None:
    key = Key.generate()
    credential = sign(_credential(), key, verification_method=f"{dripping_host.did}#key-1")
    resolver = network_resolver(dripping_host.policy(timeout=1.0))
    result, took = _timed(lambda: verify(credential, resolver=resolver), limit=5)
    assert not result.verified and result.undecided
    assert "timeout" in [check.code for check in result.all_checks() if check.status == "error"]
    assert took < 1.5


def test_fifty_verifications_stuck_on_a_slow_host_leave_the_service_answering(
        dripping_host: Any, service_server: Callable[[ServiceConfig], Any]) -> None:
    config = ServiceConfig(issuers={}, default_issuer=None, fetch=dripping_host.policy(timeout=2.0))
    assert config.max_pending_verifications == 16  # the default
    key = Key.generate()
    stuck = {"verifiableCredential": sign(_credential(), key, verification_method=f"{dripping_host.did}#key-1")}
    offline = {"verifiableCredential": sign(_credential(), Key.generate())}  # did:key: no network
    with service_server(config) as server, ThreadPoolExecutor(50) as attackers:
        def attack() -> tuple[httpx.Response, float]:
            started = time.monotonic()
            response = httpx.post(server.url("/credentials/verify"), json=stuck, timeout=30)
            return response, time.monotonic() - started

        attacks = [attackers.submit(attack) for _ in range(50)]
        time.sleep(0.3)  # let them reach the host
        latencies = []
        with httpx.Client(timeout=30) as client:
            ends = time.monotonic() + 3
            while time.monotonic() < ends:
                started = time.monotonic()
                answer = client.post(server.url("/credentials/verify"), json=offline)
                latencies.append(time.monotonic() - started)
                assert answer.status_code == 200, answer.text
        results = [attack.result(timeout=10) for attack in attacks]
    assert max(latencies) < 1.0, latencies
    codes = []
    for response, took in results:
        assert response.status_code == 503 and took < 4.0  # undecided, and held at most the 2 s deadline (+ queueing)
        errors = [check["code"] for check in response.json()["checks"] if check["status"] == "error"]
        codes.append("busy" if "busy" in errors else "timeout" if "timeout" in errors else str(errors))
        assert ("Retry-After" in response.headers) is (codes[-1] == "busy")
    assert codes.count("timeout") <= 16 and codes.count("busy") >= 34 and len(codes) == 50, codes
    assert next(r for r, _ in results if "Retry-After" in r.headers).headers["Retry-After"] == "2"
