"""Fixtures for the JOSE tests: a trade credential, hand-made (forged) JWS, checks by name.

They verify at 2026-06-01T00:00:00Z, the NOW of the test modules that use them (a module's T is NOW.timestamp()).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade._encoding import b64url_encode

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _credential(**extra: Any) -> dict[str, Any]:
    """An unsigned VCDM 2.0 credential with a few claims worth hiding."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:6c0f2a4e-1111-4d3a-9e1b-2f0c3d4e5f60",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme", "invoiceNumber": "INV-1", "unitPrice": 812.5, "tier": "Validated"},
        **extra,
    }


def _base_payload(key: Key) -> dict[str, Any]:
    """A vc+jwt payload issued by ``key``'s did:key."""
    return {**_credential(), "issuer": key.did, "iss": key.did}


def _checks(token: str, **options: Any) -> dict[str, Any]:
    """Verify ``token`` at NOW; the checks (nested too) by name."""
    result = verify(token, now=NOW, **options)
    return {c.name: c for c in result.all_checks()}


def _forged(key: Key, header: dict[str, Any] | str, payload: dict[str, Any] | str, signature: bytes | None = None) -> str:
    """A compact JWS built by hand, so a test can put in it what vctrade would never sign (raw JSON text too)."""
    protected = b64url_encode((header if isinstance(header, str) else json.dumps(header)).encode())
    body = b64url_encode((payload if isinstance(payload, str) else json.dumps(payload)).encode())
    signed = signature if signature is not None else key.sign(f"{protected}.{body}".encode())
    return f"{protected}.{body}.{b64url_encode(signed)}"


@pytest.fixture(scope="session")
def credential() -> Callable[..., dict[str, Any]]:
    """``credential(**extra)``: an unsigned VCDM 2.0 credential (invoiceNumber, unitPrice, tier), ``extra`` merged in."""
    return _credential


@pytest.fixture(scope="session")
def base_payload() -> Callable[[Key], dict[str, Any]]:
    """``base_payload(key)``: a vc+jwt payload of ``credential()`` issued by ``key``'s did:key (issuer and iss)."""
    return _base_payload


@pytest.fixture(scope="session")
def checks() -> Callable[..., dict[str, Any]]:
    """``checks(token, **verify_options)``: verify at NOW; the checks (nested too) by name."""
    return _checks


@pytest.fixture(scope="session")
def forged() -> Callable[..., str]:
    """``forged(key, header, payload, signature=None)``: a compact JWS built by hand (header/payload as dicts or raw
    JSON text), signed by ``key`` unless ``signature`` is given."""
    return _forged
