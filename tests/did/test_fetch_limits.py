"""Limits of the careful HTTPS fetch that need no slow host: name resolution within the deadline, the addresses
refused, and answers that are JSON Python will not parse."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade._http import FetchPolicy, fetch_json, is_public_address
from vctrade.did import did_web, network_resolver
from vctrade.errors import FetchError


def test_a_slow_name_resolution_counts_against_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system resolver takes no timeout; the fetch still ends at its deadline while the lookup hangs."""
    def slow_lookup(*args: Any, **kwargs: Any) -> Any:
        time.sleep(3)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    outcome: list[Any] = []

    def fetch() -> None:
        started = time.monotonic()
        try:
            fetch_json("https://did.invalid/.well-known/did.json", FetchPolicy(timeout=1.0))
        except FetchError as exc:
            outcome.extend([exc, time.monotonic() - started])

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(6)
    assert not worker.is_alive(), "the fetch is still waiting for the resolver"
    error, took = outcome
    assert error.code == "timeout" and "resolving did.invalid" in error.message and took < 1.5


@pytest.mark.parametrize("address", ["fec0::1", "fec0:1234::5", "feff:ffff::1"])
def test_ipv6_site_local_addresses_are_not_public(address: str) -> None:
    """fec0::/10 (deprecated site-local, RFC 3879) is still routed inside some networks; Python calls it global."""
    assert is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"id": ' + b"7" * 5000 + b"}", "Exceeds the limit"),  # Python's int-string limit: a ValueError in json.loads
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_json_python_will_not_parse_is_an_http_error(https_server: Any, body: bytes, reason: str) -> None:
    """A host's answer that json.loads refuses outside JSONDecodeError is undecided with a named code."""
    did = did_web(f"127.0.0.1:{https_server.port}")
    https_server.routes["/.well-known/did.json"] = dict(body=body)
    credential = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                       "credentialSubject": {"id": "did:example:acme"}}, Key.generate(), verification_method=f"{did}#key-1")
    result = verify(credential, resolver=network_resolver(https_server.policy()))
    resolution = next(check for check in result.all_checks() if check.status == "error")
    assert result.undecided and resolution.code == "http_error" and reason in resolution.message
