"""The documents the rendering tests lay out, issued here from fixtures/ (every trade type, a bundle, a JWT)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, VerificationResult, issue, present, verify
from vctrade.trade import STEEL_IMPORT, load_request

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 13, tzinfo=timezone.utc)  # inside every shipment document's period
VERIFY_URL = "https://verify.cbp.example/c/{id}"
# trade type -> (fixture request, issuer key); one document of each registered type
DOCUMENTS = {
    "aeo": ("aeo/acme-ctpat.yaml", "cbp"),
    "origin": ("shipment/certificate-of-origin.yaml", "aceros-del-norte"),
    "invoice": ("shipment/invoice.yaml", "aceros-del-norte"),
    "mill-test-report": ("shipment/mill-test-report.yaml", "siderurgica-golfo"),
    "bill-of-lading": ("shipment/bill-of-lading.yaml", "gulf-intermodal"),
    "sima-licence": ("shipment/sima-licence.yaml", "us-commerce-sima"),
    "export-declaration": ("shipment/export-declaration.yaml", "anam-mx"),
    "entry-summary": ("shipment/entry-summary.yaml", "rio-bravo-broker"),
}


@pytest.fixture(scope="session")
def render_now() -> datetime:
    """The clock the rendering tests verify at: 2026-11-13T00:00:00Z."""
    return NOW


@pytest.fixture(scope="session")
def key_of(fixtures_dir: Path) -> Callable[[str], Key]:
    return lambda name: Key.load(fixtures_dir / "keys" / f"{name}.jwk")


@pytest.fixture(scope="session")
def issued(fixtures_dir: Path, key_of: Callable[[str], Key]) -> dict[str, dict[str, Any]]:
    """One signed credential of each trade type, issued from the fixture requests (plus the SIMA licence A36)."""
    found: dict[str, dict[str, Any]] = {}
    for kind, (request, signer) in DOCUMENTS.items():
        secured = issue(load_request(fixtures_dir / request), key_of(signer), trade_type=kind, created=CREATED).secured
        assert isinstance(secured, dict)
        found[kind] = secured
    a36 = issue(load_request(fixtures_dir / "shipment" / "sima-licence-a36.yaml"), key_of("us-commerce-sima"),
                trade_type="sima-licence", created=CREATED).secured
    assert isinstance(a36, dict)
    found["sima-licence-a36"] = a36
    return found


@pytest.fixture(scope="session")
def bundle(issued: dict[str, dict[str, Any]], key_of: Callable[[str], Key]) -> dict[str, Any]:
    """The steel shipment as one traceable presentation by the importer (challenge "c", domain "d")."""
    return present(list(issued.values()), key_of("acme-imports"), challenge="c", domain="d", created=CREATED,
                   suite="ecdsa-jcs-2019", workflow=STEEL_IMPORT.definition,
                   workflow_instance="urn:uuid:5b1f0c9e-7d0a-4f5e-9a43-2c7e8d1f6a20")


@pytest.fixture(scope="session")
def tampered_invoice(issued: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The signed invoice with 80 t more on its first line, not signed again."""
    changed = copy.deepcopy(issued["invoice"])
    changed["credentialSubject"]["lines"][0]["quantity"] = 560
    return changed


@pytest.fixture(scope="session")
def jwt_credential(fixtures_dir: Path, key_of: Callable[[str], Key]) -> str:
    """The C-TPAT certification as a compact vc+jwt (about 2 kB: it fits in a QR code)."""
    secured = issue(load_request(fixtures_dir / "aeo" / "acme-ctpat.yaml"), key_of("cbp"), trade_type="aeo",
                    format="jose", created=CREATED).secured
    assert isinstance(secured, str)
    return secured


@pytest.fixture(scope="session")
def checked() -> Callable[..., VerificationResult]:
    """``checked(document, **options)``: verify at the rendering tests' clock."""
    return lambda document, **options: verify(document, now=NOW, **options)
