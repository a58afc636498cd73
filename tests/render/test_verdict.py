"""The verdict on the page is the caller's verify, shown unmistakably: red NOT VERIFIED naming the failing check, amber
UNDECIDED, green VERIFIED; a bundle has one page per document, the presentation's and the workflow's checks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vctrade import Key, TrustPolicy, VerificationResult, sign
from vctrade.render import render_html
from vctrade.status import StatusFiles
from vctrade.trade import build_aeo_credential, load_request

from ._page import Page, remote_references

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)


def test_a_tampered_credential_says_not_verified_with_the_failing_check(
        tampered_invoice: dict[str, Any], checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    html = render_html(tampered_invoice, checked(tampered_invoice), now=render_now)
    page = Page(html)
    assert page.verdict == "failed"
    band = html[html.index('<div class="verdict failed"'):]
    assert band.startswith('<div class="verdict failed" role="status">NOT VERIFIED: proof.signature: the '
                           'eddsa-rdfc-2022 signature does not match the document')
    assert page.with_class("watermark") and "NOT VERIFIED" in page.text
    assert "As of 2026-11-13 00:00 UTC: 9 passed, 3 failed." in page.text
    # the failed checks are listed with their messages; the figures shown are the tampered ones
    assert "FAIL proof.signature" in page.text and "FAIL issuer" in page.text
    assert "560 t" in page.text
    assert "The stated total 575,900.00 USD is not the sum of the lines (640,900.00 USD)." in page.text
    assert "<title>Commercial invoice INV-2026-0417 — NOT VERIFIED</title>" in html


def test_a_verdict_written_in_the_file_is_never_believed(issued: dict[str, dict[str, Any]],
                                                         checked: Callable[..., VerificationResult],
                                                         render_now: datetime) -> None:
    forged = copy.deepcopy(issued["aeo"])
    forged["verified"] = True
    forged["credentialSubject"]["tier"] = "Exceeding"
    page = Page(render_html(forged, checked(forged), now=render_now))
    assert page.verdict == "failed" and "Exceeding" in page.text


def test_an_undecided_verification_is_amber_and_says_why(fixtures_dir: Path, key_of: Callable[[str], Key],
                                                         checked: Callable[..., VerificationResult],
                                                         render_now: datetime) -> None:
    status = {"id": "https://status.cbp.example/1#7", "type": "BitstringStatusListEntry",
              "statusPurpose": "revocation", "statusListIndex": "7",
              "statusListCredential": "https://status.cbp.example/1"}
    credential = sign(build_aeo_credential(load_request(fixtures_dir / "aeo" / "acme-ctpat.yaml"), key_of("cbp").did,
                                           credential_status=status), key_of("cbp"), created=CREATED)
    result = checked(credential, status_source=StatusFiles({}))  # offline: the status list cannot be had
    assert result.undecided
    html = render_html(credential, result, now=render_now)
    page = Page(html)
    assert page.verdict == "undecided"
    assert "UNDECIDED: status.revocation: cannot get the status list https://status.cbp.example/1" in page.text
    assert "treat this document as not verified" in page.text
    assert page.with_class("watermark") and page.with_class("watermark")[0]["class"] == "watermark undecided"
    assert "Status as of 2026-11-13 00:00 UTC ERR status.revocation" in page.text
    assert "Revocation: https://status.cbp.example/1 index 7" in page.text
    assert remote_references(html) == []  # the status list URL is shown as text, never linked


def test_a_policy_failure_is_the_verdict_and_its_checks_are_shown(issued: dict[str, dict[str, Any]],
                                                                  checked: Callable[..., VerificationResult],
                                                                  render_now: datetime) -> None:
    policy = TrustPolicy.from_dict({"name": "test", "issuer": [{"types": ["CTPATCertificate"], "dids": ["did:key:z6MkSomeoneElse"]}]},
                                   source="test.toml")
    result = checked(issued["aeo"], policy=policy)
    page = Page(render_html(issued["aeo"], result, now=render_now))
    assert page.verdict == "failed"
    assert "NOT VERIFIED: policy.trusted-issuer" in page.text
    assert "Trust policy test: NOT VERIFIED" in page.text


def test_a_bundle_has_a_page_per_document_and_the_workflow_checks(bundle: dict[str, Any], fixtures_dir: Path,
                                                                    checked: Callable[..., VerificationResult],
                                                                    render_now: datetime) -> None:
    policy = TrustPolicy.from_toml(fixtures_dir / "policy" / "us-cbp-steel.toml")
    result = checked(bundle, challenge="c", domain="d", policy=policy)
    assert result.verified
    html = render_html(bundle, result, now=render_now, verify_url="https://verify.cbp.example/c/{id}")
    page = Page(html)
    documents = page.with_class("document")
    assert len(documents) == len(bundle["verifiableCredential"]) == 9
    assert [attrs["class"].split()[-1] for attrs in documents] == [
        "layout-aeo", "layout-origin", "layout-invoice", "layout-mill-test-report", "layout-bill-of-lading",
        "layout-sima-licence", "layout-export-declaration", "layout-entry-summary", "layout-sima-licence"]
    assert page.with_class("bundle") and page.with_class("checks-page")
    assert all(attrs["class"] == "verdict verified" for attrs in page.with_class("verdict"))
    for text in ("Shipment urn:uuid:5b1f0c9e-7d0a-4f5e-9a43-2c7e8d1f6a20", "Presented by ACME Steel Imports Inc.",
                 "steel-import (https://vctrade.dev/workflows/steel-import/v1)", "Documents (9)",
                 "Document 3 of 9", "The presentation: VERIFIED", "Cross-document checks of the workflow steel-import",
                 "bill of lading gross weight 712.4 t ↔ invoice 700 t", "Trust policy", "proof.challenge"):
        assert text in page.text, text
    assert len(page.tags("svg")) == 10  # the presentation's id and each document's link to the verifier page
    assert remote_references(html) == []


def test_a_bundle_with_a_tampered_document_names_it_on_every_page(
        bundle: dict[str, Any], tampered_invoice: dict[str, Any], key_of: Callable[[str], Key],
        checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    from vctrade import present
    from vctrade.trade import STEEL_IMPORT

    documents = [tampered_invoice if d.get("id") == tampered_invoice["id"] else d
                 for d in bundle["verifiableCredential"]]
    changed = present(documents, key_of("acme-imports"), challenge="c", domain="d", created=CREATED,
                      suite="ecdsa-jcs-2019", workflow=STEEL_IMPORT.definition, workflow_instance="urn:uuid:1")
    page = Page(render_html(changed, checked(changed, challenge="c", domain="d"), now=render_now))
    assert page.verdict == "failed"
    assert ("NOT VERIFIED: Commercial invoice INV-2026-0417: proof.signature: the eddsa-rdfc-2022 signature does "
            "not match the document") in page.text
    bands = [attrs["class"] for attrs in page.with_class("verdict")]
    assert bands.count("verdict failed") == 3  # the cover, the invoice's page, the checks page
    # a document that verifies alone still says that its shipment does not
    assert "The shipment this document belongs to is NOT VERIFIED: Commercial invoice INV-2026-0417" in page.text


def test_credentials_given_beside_get_their_own_pages_and_count_in_the_verdict(
        issued: dict[str, dict[str, Any]], checked: Callable[..., VerificationResult], render_now: datetime) -> None:
    aeo = copy.deepcopy(issued["aeo"])
    aeo["credentialSubject"]["tier"] = "Exceeding"
    result = checked(issued["origin"], with_credentials=[aeo])
    page = Page(render_html(issued["origin"], result, now=render_now, beside=[aeo]))
    assert [attrs["class"] for attrs in page.with_class("verdict")] == ["verdict failed", "verdict failed"]
    assert page.text.count("NOT VERIFIED: U.S. Customs-Trade Partnership Against Terrorism certification: "
                           "proof.signature: ") == 1
    assert "Given beside the document, verified with it" in page.text and "Exceeding" in page.text
    assert [attrs["class"].split()[-1] for attrs in page.with_class("document")] == ["layout-origin", "layout-aeo"]
