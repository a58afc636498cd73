"""Every registered trade type renders in its own layout, any other credential in the generic one; JWTs too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from vctrade import Key, VerificationResult, issue, sign
from vctrade.render import render_html
from vctrade.trade import load_request, trade_types

from ._page import Page, remote_references

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)


def _deep(depth: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _ in range(depth):
        found = {"a": found}
    return found


def _nested_list(depth: int) -> list[Any]:
    found: list[Any] = [1]
    for _ in range(depth):
        found = [found]
    return found

# what each type's page must show: its heading, and figures formatted as the layout formats them
EXPECTED = {
    "aeo": ["C-TPAT Certification", "U.S. Customs and Border Protection certifies that", "ACME Steel Imports Inc.",
            "Validated", "64311", "57118961", "Importer of record no.: 74-3198265"],
    "origin": ["USMCA Certification of Origin", "María Fernanda Garza", "Certifier (producer)", "7208.37",
               "812.50", "390,000.00", "185,900.00", "Total 575,900.00 USD", "I certify that the goods",
               "single shipment, invoice INV-2026-0417"],
    "invoice": ["Commercial Invoice", "INV-2026-0417", "Seller", "Buyer", "Consignee", "FCA Altamira",
                "Unit price (USD)", "812.50", "845.00", "390,000.00", "185,900.00", "480 t", "220 t",
                "Total of the lines 575,900.00 USD", "Invoice total (stated) 575,900.00 USD", "H26-40871, H26-40872"],
    "mill-test-report": ["Mill Test Report", "MTR-SG-26-1187", "Inspection certificate EN 10204 3.1",
                         "Chemical composition (mass %)", "H26-40873", "0.18", "0.012", "Mechanical properties",
                         "Yield strength (MPa)", "Total 700 t", "ASTM A1011 / ASTM A36"],
    "bill-of-lading": ["Multimodal Bill of Lading", "GFIL-ATM-26-09912", "Shipped on board MV Golfo Azul 026N",
                       "Altamira (MXATM, MX)", "Houston (USHOU, US)", "GFIU4120736", "GFIL-S-884120, MX-ATM-26-55813",
                       "489.6 t", "222.8 t", "Gross weight 712.4 t", "Packages 38 coils", "SCAC: GFIL"],
    "sima-licence": ["SIMA Steel Import Licence", "S26-0093417", "7208.37.0030", "500 t", "406,250.00 USD",
                     "Manufacturer (mill)", "Siderúrgica del Golfo S.A. de C.V."],
    "export-declaration": ["Export Declaration (Pedimento)", "26 81 3912 6001234", "MX → US", "Altamira (810)",
                           "Value (USD)", "390,000.00", "Total value 575,900.00 USD", "Total quantity 700 t"],
    "entry-summary": ["Entry Summary", "CBP Form 7501", "RBB-2611874-3", "Importer of record", "SPI",
                      "S26-0093418", "Total entered value 575,900.00 USD"],
}


def test_every_registered_trade_type_has_a_layout_and_a_test() -> None:
    assert set(trade_types()) == set(EXPECTED)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_trade_type_renders_in_its_layout(kind: str, issued: dict[str, dict[str, Any]],
                                               checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    document = issued[kind]
    html = render_html(document, checked(document), now=render_now, verify_url="https://verify.cbp.example/c/{id}")
    page = Page(html)
    assert page.with_class(f"layout-{kind}"), f"the {kind} page is not laid out as a {kind}"
    for text in EXPECTED[kind]:
        assert text in page.text, f"{kind}: {text!r} missing"
    assert page.verdict == "verified"
    assert "VERIFIED All 12 checks passed as of 2026-11-13 00:00 UTC" in page.text
    assert f"Credential {document['id']}" in page.text
    assert "Status as of 2026-11-13 00:00 UTC" in page.text
    assert remote_references(html) == []
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_a_credential_of_no_trade_type_gets_the_generic_layout(key_of: Callable[[str], Key],
                                                               checked: Callable[..., VerificationResult],
                                                               render_now: datetime) -> None:
    credential = sign({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0b7d1a3e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": {"id": key_of("cbp").did, "name": "Example University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:alice",
            "degree": {"type": "BachelorDegree", "name": "Bachelor of Science and Arts"},
            "graduate": {"name": "Alice Example", "address": {"addressLocality": "Austin", "addressCountry": "US"}},
            "courses": [{"code": "CS101", "credits": 4}, {"code": "CS202", "credits": 3.5}],
        },
    }, key_of("cbp"), created=CREATED)
    html = render_html(credential, checked(credential), now=render_now)
    page = Page(html)
    assert page.with_class("layout-generic")
    for text in ("Example degree credential", "Example University", "Degree", "Bachelor of Science and Arts",
                 "Alice Example", "Austin, US", "CS101", "4.0", "3.5"):
        assert text in page.text, text
    assert page.verdict == "verified"
    assert "no verify URL was configured" in page.text  # and so no QR code
    assert not page.tags("svg")


def test_a_vc_jwt_renders_and_its_qr_code_carries_it(jwt_credential: str, checked: Callable[..., VerificationResult],
                                                     render_now: datetime) -> None:
    html = render_html(jwt_credential, checked(jwt_credential), now=render_now)
    page = Page(html)
    assert page.with_class("layout-aeo") and "C-TPAT Certification" in page.text
    assert "EdDSA JWS, typ vc+jwt" in page.text and page.verdict == "verified"
    assert f"This code carries the credential itself ({len(jwt_credential):,} characters)" in page.text
    assert len(page.tags("svg")) == 1


def test_an_sd_jwt_renders_with_what_it_discloses(fixtures_dir: Any, key_of: Callable[[str], Key],
                                                  checked: Callable[..., VerificationResult],
                                                  render_now: datetime) -> None:
    token = issue(load_request(fixtures_dir / "aeo" / "acme-ctpat.yaml"), key_of("cbp"), trade_type="aeo",
                  format="sd-jwt", disclosable=["/credentialSubject/sviNumber"]).secured
    assert isinstance(token, str) and "~" in token
    page = Page(render_html(token, checked(token), now=render_now))
    assert "C-TPAT Certification" in page.text and "57118961" in page.text  # every disclosure presented
    assert "SD-JWT" in page.text and page.verdict == "verified"


def test_an_unreadable_document_still_shows_the_verdict(checked: Callable[..., VerificationResult],
                                                        render_now: datetime) -> None:
    token = "eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln"
    result = checked(token)
    page = Page(render_html(token, result, now=render_now))
    assert not result.verified
    assert page.verdict == "failed" and "NOT VERIFIED: " in page.text and "Unreadable document" in page.text


@pytest.mark.parametrize("document", [
    {},
    {"type": "VerifiableCredential", "credentialSubject": "a string", "issuer": 7, "proof": ["not a proof", {}]},
    {"type": ["VerifiableCredential", "CommercialInvoice"], "credentialSubject": {"lines": [1, "two", {"quantity": True}],
                                                                                 "currency": 5, "totalValue": "lots"}},
    {"type": ["VerifiableCredential", "CertificateOfOrigin"], "credentialSubject": [{"goods": 3}, {"agreement": None}],
     "validFrom": "yesterday", "credentialStatus": ["x", {"statusPurpose": 1}]},
    {"type": ["VerifiableCredential", "MillTestReport"], "credentialSubject": {"heats": [
        {"heatNumber": 1, "chemicalComposition": "C 0.1", "mechanicalProperties": {"yieldStrength": [1, 2]}}]}},
    {"type": ["VerifiableCredential", "BillOfLading"], "credentialSubject": {"goods": [{"grossWeight": "1 t"}],
                                                                           "containers": "none", "portOfLoading": 3}},
    {"type": ["VerifiablePresentation"], "verifiableCredential": [None, "eyJ.bad.jwt", {"type": "Enveloped"},
                                                                    {"type": "EnvelopedVerifiableCredential",
                                                                     "id": "data:application/vc+jwt,bad"}]},
    {"type": ["VerifiableCredential"], "credentialSubject": {"deep": _deep(5000), "list": _nested_list(5000)}},
], ids=["empty", "odd-types", "odd-invoice", "odd-origin", "odd-report", "odd-bill", "odd-presentation", "deep"])
def test_any_json_object_renders_with_a_verdict(document: dict[str, Any],
                                                 checked: Callable[..., VerificationResult]) -> None:
    result = checked(document)
    page = Page(render_html(document, result))
    assert not result.verified and page.verdict in ("failed", "undecided")
    assert "NOT VERIFIED: " in page.text or "UNDECIDED: " in page.text
