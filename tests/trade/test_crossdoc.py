"""The steel-import workflow's cross-document rules, one by one, on unsigned documents in the shipment's shapes.

Each document is a plain dict (as the builders make it) paired with a passing verification result; each rule has a
test that passes and tests that make it fail, with the words a customs officer reads. Signed end to end: see
test_workflow_steel_import.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vctrade._result import ERROR, FAILED, PASSED, Check, VerificationResult
from vctrade.errors import UnsupportedError
from vctrade.trade import (
    STEEL_IMPORT,
    Shipment,
    ShipmentRule,
    WorkflowSettings,
    compare_parties,
    get_workflow,
    run_rules,
    workflow_for_definition,
    workflows,
)

ACEROS = "did:key:z6MksBSpNrwYTsZzuTk7q4meJWBZu7xnGjkSDFPFuwXViBxx"
ACME = "did:key:zDnaemuKhCXrUaUBPmyiqmCTw8MC1QJFyqhQYTHVBSvbQG2aH"
MILL = "did:key:z6MkuTFGeN1rWhb59pcBPRtRdPkqE3jh7pwDpsAHTtAkKbNH"
ANAM = "did:key:z6MkgjD1VBzjuJdUAeiLz1m4WY78CN6YjiFKAJ3Bh9jDP6Qn"
CBP = "did:key:z6MkpqZphxkgHLHeQnqE1H4QUK3GeWBmmgW8bQbcvE2c6GXJ"
COO_ID = "urn:uuid:6f0d3a4e-2b8c-4a51-9d2e-5c0b7e1a9f31"
PASSING = VerificationResult((Check("proof", PASSED, "proof_verified", "the proof verifies"),))
REVOKED = VerificationResult((Check("proof", PASSED, "proof_verified", "the proof verifies"),
                              Check("status[0]", FAILED, "revoked", "the issuer revoked it (status list bit 4217)")))
AUTHORITIES = ((CBP, "US"), (ANAM, "MX"))
SETTINGS = WorkflowSettings(customs_authorities=AUTHORITIES)
RULES = {rule.name: rule for rule in STEEL_IMPORT.rules}


def _party(did: str | None, name: str, **identifiers: str) -> dict[str, Any]:
    party: dict[str, Any] = {"type": "Organization", "legalName": name,
                             "address": {"type": "PostalAddress", "addressCountry": "MX" if did == ACEROS else "US"},
                             **identifiers}
    if did is not None:
        party["id"] = did
    return party


def _seller() -> dict[str, Any]:
    return _party(ACEROS, "Aceros del Norte S.A. de C.V.")


def _buyer() -> dict[str, Any]:
    return _party(ACME, "ACME Steel Imports Inc.", importerOfRecordNumber="74-3198265")


def _credential(types: list[str], subject: dict[str, Any], issuer: str, credential_id: str,
                valid_from: str, valid_until: str | None = None) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://vctrade.dev/contexts/trade/v1",
                     "https://vctrade.dev/contexts/shipment/v1"],
        "id": credential_id, "type": ["VerifiableCredential", *types], "issuer": issuer, "validFrom": valid_from,
        "credentialSubject": subject,
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until
    return credential


def _documents() -> dict[str, dict[str, Any]]:
    """The fixture shipment (SPEC.md), unsigned: every rule passes on it."""
    return {
        "aeo": _credential(["AEOCertificate", "CTPATCertificate"], {
            "id": ACME, "legalName": "ACME Steel Imports Inc.", "aeoProgramme": "C-TPAT", "tier": "Validated",
        }, CBP, "urn:uuid:00000000-0000-4000-8000-0000000000a0", "2026-04-01T00:00:00Z", "2027-03-31T23:59:59Z"),
        "invoice": _credential(["CommercialInvoice", "CommercialInvoiceCredential"], {
            "type": "Invoice", "invoiceNumber": "INV-2026-0417", "invoiceDate": "2026-11-02",
            "seller": _seller(), "buyer": _buyer(), "currency": "USD",
            "lines": [
                {"type": "InvoiceLine", "lineNumber": 1, "description": "coils A1011", "hsCode": "7208.37.0030",
                 "quantity": 480, "unitCode": "TNE", "unitPrice": 812.50, "countryOfOrigin": "MX",
                 "heatNumbers": ["H26-40871", "H26-40872"]},
                {"type": "InvoiceLine", "lineNumber": 2, "description": "coils A36", "hsCode": "7208.37.0060",
                 "quantity": 220, "unitCode": "TNE", "unitPrice": 845.00, "countryOfOrigin": "MX",
                 "heatNumbers": ["H26-40873"]},
            ],
        }, ACEROS, "urn:uuid:00000000-0000-4000-8000-0000000000a1", "2026-11-02T00:00:00Z"),
        "mill-test-report": _credential(["MillTestReport", "MillTestReportCredential"], {
            "type": "InspectionCertificate", "reportNumber": "MTR-SG-26-1187", "countryOfMeltAndPour": "MX",
            "mill": _party(MILL, "Siderúrgica del Golfo S.A. de C.V."),
            "heats": [{"type": "Heat", "heatNumber": number, "quantity": quantity, "unitCode": "TNE"}
                      for number, quantity in (("H26-40871", 250), ("H26-40872", 230), ("H26-40873", 220))],
        }, MILL, "urn:uuid:00000000-0000-4000-8000-0000000000a2", "2026-10-28T00:00:00Z"),
        "origin": _credential(["CertificateOfOrigin", "USMCACertificationOfOrigin"], {
            "type": "OriginDeclaration", "agreement": "USMCA", "exporterDetails": _seller(),
            "importerDetails": _party(ACME, "ACME Steel Imports Inc."),
            "goods": [{"type": "TradeGood", "hsCode": hs, "countryOfOrigin": "MX"} for hs in ("7208.37", "7208.51", "7214.20")],
        }, ACEROS, COO_ID, "2026-05-01T00:00:00Z", "2027-04-30T23:59:59Z"),
        "bill-of-lading": _credential(["BillOfLading", "MultiModalBillOfLadingCredential"], {
            "type": "MultiModalBillOfLading", "billOfLadingNumber": "GFIL-ATM-26-09912", "shipper": _seller(),
            "consignee": _buyer(), "shippedOnBoardDate": "2026-11-06",
            "goods": [{"type": "ShippedGood", "description": "coils", "hsCode": "7208.37", "grossWeight": weight,
                       "weightUnit": "TNE"} for weight in (489.6, 222.8)],
        }, "did:key:z6MkhghMibRvQ9j2yagTkQ6NZvCma6RBwer9qU4cPsf3CZoU", "urn:uuid:00000000-0000-4000-8000-0000000000a3",
            "2026-11-06T00:00:00Z"),
        "sima-licence": _licence("S26-0093417", "7208.37.0030", 500),
        "sima-licence-a36": _licence("S26-0093418", "7208.37.0060", 230),
        "export-declaration": _credential(["ExportDeclarationCredential"], {
            "type": "ExportDeclaration", "declarationNumber": "26 24 3912 6001234", "exportDate": "2026-11-05",
            "exporter": {**_seller(), "taxId": "ANO920415KL3"}, "consignee": _party(ACME, "ACME Steel Imports Inc."),
            "countryOfExportation": "MX", "destinationCountry": "US", "currency": "USD",
            "lines": [{"type": "DeclarationLine", "lineNumber": n, "description": "coils", "hsCode": "7208.37",
                       "quantity": quantity, "unitCode": "TNE", "value": value, "countryOfOrigin": "MX"}
                      for n, quantity, value in ((1, 480, 390000.0), (2, 220, 185900.0))],
        }, ANAM, "urn:uuid:00000000-0000-4000-8000-0000000000a4", "2026-11-05T00:00:00Z"),
        "entry-summary": _credential(["EntrySummary", "CBP7501EntrySummaryCredential"], {
            "type": "CBPEntrySummary", "entryNumber": "RBB-2611874-3", "importerOfRecord": _buyer(),
            "invoiceNumber": "INV-2026-0417", "billOfLadingNumber": "GFIL-ATM-26-09912", "certificateOfOrigin": COO_ID,
            "currency": "USD",
            "lines": [{"type": "EntryLine", "lineNumber": n, "description": "coils", "hsCode": hs, "countryOfOrigin": "MX",
                       "quantity": quantity, "unitCode": "TNE", "enteredValue": value, "specialProgram": "S",
                       "simaLicenseNumber": licence}
                      for n, hs, quantity, value, licence in ((1, "7208.37.0030", 480, 390000.0, "S26-0093417"),
                                                              (2, "7208.37.0060", 220, 185900.0, "S26-0093418"))],
        }, "did:key:zDnaecYfEspFFm5iiLXt3HV3aiBaQ1UcwLsn5Ke9MJbeFzMXu", "urn:uuid:00000000-0000-4000-8000-0000000000a5",
            "2026-11-12T00:00:00Z"),
    }


def _licence(number: str, hs: str, quantity: float) -> dict[str, Any]:
    return _credential(["SIMALicence", "SIMASteelImportLicenseCredential"], {
        "type": "SIMASteelImportLicense", "licenseNumber": number, "importer": _buyer(), "exporter": _seller(),
        "hsCode": hs, "countryOfOrigin": "MX", "countryOfMeltAndPour": "MX", "countryOfExportation": "MX",
        "quantity": quantity, "unitCode": "TNE", "value": 1.0, "currency": "USD",
    }, "did:key:z6MkiPEGggceQqH3gZnRS7dJeikZq5PHFsqtqhMT3F7qpzWn", f"urn:uuid:00000000-0000-4000-8000-{number[-6:]:0>12}",
        "2026-10-20T00:00:00Z", "2027-01-02T23:59:59Z")


def _shipment(documents: dict[str, dict[str, Any]], settings: WorkflowSettings = SETTINGS,
              results: dict[str, VerificationResult] | None = None) -> Shipment:
    return Shipment.from_credentials([(doc, (results or {}).get(key, PASSING)) for key, doc in documents.items()], settings)


def _run(rule: str, documents: dict[str, dict[str, Any]], settings: WorkflowSettings = SETTINGS,
         results: dict[str, VerificationResult] | None = None) -> list[Check]:
    return run_rules([RULES[rule]], _shipment(documents, settings, results))


def _changed(path: str, value: Any) -> dict[str, dict[str, Any]]:
    """The fixture shipment with one field changed: "invoice.lines.0.quantity" (document key, then the subject's path)."""
    documents = _documents()
    key, *parts = path.split(".")
    target: Any = documents[key]["credentialSubject"]
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if isinstance(target, list) else last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return documents


_DELETE = object()


def _without(*keys: str) -> dict[str, dict[str, Any]]:
    return {key: doc for key, doc in _documents().items() if key not in keys}


def _only(checks: list[Check], status: str) -> list[Check]:
    return [check for check in checks if check.status == status]


# -- the registry ---------------------------------------------------------------------------------------------------


def test_the_steel_import_workflow_is_registered_by_name_and_definition() -> None:
    workflow = get_workflow("steel-import")
    assert workflow is STEEL_IMPORT and workflows()["steel-import"] is workflow
    assert workflow.definition == "https://vctrade.dev/workflows/steel-import/v1"
    assert workflow_for_definition("https://vctrade.dev/workflows/steel-import/v1") is workflow
    assert workflow_for_definition("https://example.com/workflows/other/v1") is None
    assert workflow.documents == ("aeo", "invoice", "mill-test-report", "origin", "bill-of-lading", "sima-licence",
                                  "export-declaration", "entry-summary")
    assert [rule.name for rule in workflow.rules] == [
        "shipment.documents", "shipment.parties", "shipment.hs-coverage", "shipment.melt-and-pour", "shipment.sima",
        "shipment.weights", "shipment.export-authority", "shipment.export-match", "shipment.validity",
        "shipment.entry-references"]


def test_an_unknown_workflow_is_refused_naming_the_registered_ones() -> None:
    with pytest.raises(UnsupportedError, match="unknown workflow 'tea-import'; registered: .*steel-import"):
        get_workflow("tea-import")


def test_the_shipment_classifies_documents_by_trade_type_and_labels_them() -> None:
    documents = _documents()
    shipment = _shipment({**documents, "other": {"type": ["VerifiableCredential", "ExampleCredential"]},
                          "again": copy.deepcopy(documents["invoice"])})  # a non-trade credential; a duplicate
    assert [d.kind for d in shipment.documents] == ["aeo", "invoice", "mill-test-report", "origin", "bill-of-lading",
                                                    "sima-licence", "sima-licence", "export-declaration", "entry-summary"]
    assert [d.label for d in shipment.documents] == [
        "C-TPAT certification of ACME Steel Imports Inc.", "invoice INV-2026-0417", "mill test report MTR-SG-26-1187",
        f"certificate of origin {COO_ID}", "bill of lading GFIL-ATM-26-09912", "SIMA licence S26-0093417",
        "SIMA licence S26-0093418", "export declaration 26 24 3912 6001234", "entry summary RBB-2611874-3"]
    assert shipment.ref(shipment.of("invoice")[0]) == "invoice"  # alone of its kind: its noun
    assert shipment.ref(shipment.of("sima-licence")[0]) == "SIMA licence S26-0093417"


# -- the whole fixture shipment passes; names and the missing-documents outcome -----------------------------------


def test_every_rule_passes_on_the_fixture_shipment() -> None:
    required = STEEL_IMPORT.documents
    checks = run_rules(STEEL_IMPORT.rules, _shipment(_documents(), WorkflowSettings(required, customs_authorities=AUTHORITIES)))
    assert checks and [c for c in checks if c.status != PASSED] == []
    assert {c.name.split("[")[0] for c in checks} == set(RULES)


def test_the_issues_own_example_messages() -> None:
    documents = _documents()
    documents["invoice"]["credentialSubject"]["lines"][1]["hsCode"] = "7208.51"
    documents["origin"]["credentialSubject"]["goods"][0]["countryOfOrigin"] = "CA"  # 7208.51 is good 2 of the COO
    hs = _run("shipment.hs-coverage", documents)
    assert hs[1].message == "invoice line 2 HS 7208.51, origin MX ↔ certificate of origin good 2 HS 7208.51, origin MX: agree"
    weights = _changed("bill-of-lading.goods.0.grossWeight", 497.2)  # 497.2 + 222.8 = 720 t
    assert _run("shipment.weights", weights) == [Check(
        "shipment.weights", FAILED, "weights_differ", "bill of lading gross weight 720 t ↔ invoice 700 t: differ by 2.9%, tolerance 2%")]


def test_one_check_is_named_after_its_rule_several_are_numbered() -> None:
    assert [c.name for c in _run("shipment.weights", _documents())] == ["shipment.weights"]
    assert [c.name for c in _run("shipment.hs-coverage", _documents())] == ["shipment.hs-coverage[0]", "shipment.hs-coverage[1]"]


def test_a_rule_without_its_documents_cannot_decide_unless_the_policy_requires_them() -> None:
    checks = _run("shipment.hs-coverage", _without("origin"))
    assert checks == [Check("shipment.hs-coverage", ERROR, "documents_missing",
                            "needs an invoice and a certificate of origin; the shipment has no certificate of origin")]
    required = _run("shipment.melt-and-pour", _without("mill-test-report", "sima-licence", "sima-licence-a36"),
                    WorkflowSettings(required=("sima-licence",)))
    assert required == [Check("shipment.melt-and-pour", FAILED, "documents_missing",
                              "needs an invoice, a mill test report and a SIMA licence; the shipment has no mill test "
                              "report and no SIMA licence")]


def test_a_rule_that_stops_is_an_undecided_check_never_an_exception() -> None:
    def broken(_shipment: Shipment) -> list[tuple[Any, str, str]]:
        raise KeyError("surprise")

    checks = run_rules([ShipmentRule("shipment.broken", (), broken)], _shipment(_documents()))
    assert checks == [Check("shipment.broken", ERROR, "internal_error", "shipment.broken stopped: KeyError: 'surprise'")]


# -- 1. shipment.documents ------------------------------------------------------------------------------------------


def test_documents_only_with_a_policys_required_kinds() -> None:
    assert _run("shipment.documents", _documents()) == []  # nothing required, nothing said
    checks = _run("shipment.documents", _without("bill-of-lading"), WorkflowSettings(required=("invoice", "bill-of-lading")))
    assert [(c.status, c.code) for c in checks] == [(PASSED, "document_present"), (FAILED, "document_missing")]
    assert checks[1].message == "required bill of lading: the shipment has no bill of lading"


# -- 2. shipment.parties --------------------------------------------------------------------------------------------


def test_parties_agree_by_id_or_shared_identifier_never_by_name() -> None:
    assert compare_parties({"id": "did:a", "legalName": "X"}, {"id": "did:a", "legalName": "Y"})[:2] == (PASSED, "parties_agree")
    assert compare_parties({"taxId": "T1"}, {"id": "did:b", "taxId": "T1"})[:2] == (PASSED, "parties_agree")
    assert compare_parties({"id": "did:a", "legalName": "X"}, {"id": "did:b", "legalName": "X"})[:2] == (FAILED, "parties_differ")
    assert compare_parties({"id": "did:a", "eori": "E1"}, {"id": "did:a", "eori": "E2"}) == (
        FAILED, "parties_differ", "differ (eori E1 ≠ E2)")
    assert compare_parties({"legalName": "X", "taxId": "T"}, {"legalName": "X", "eori": "E"})[:2] == (ERROR, "party_not_comparable")
    assert compare_parties({"id": 5}, {"id": None})[:2] == (ERROR, "party_not_comparable")  # odd values: nothing to compare


def test_parties_pass_on_each_side_against_the_invoice() -> None:
    checks = _run("shipment.parties", _documents())
    assert len(checks) == 11 and all(c.status == PASSED for c in checks)
    assert checks[0].message == (f"invoice seller Aceros del Norte S.A. de C.V. ↔ certificate of origin exporter Aceros del "
                                 f"Norte S.A. de C.V.: agree (same id {ACEROS})")


def test_a_different_shipper_fails_the_parties() -> None:
    documents = _changed("bill-of-lading.shipper", _party("did:key:z6MkOther", "Aceros del Norte S.A. de C.V."))
    failed = _only(_run("shipment.parties", documents), FAILED)
    assert [(c.code, c.message) for c in failed] == [("parties_differ",
        "invoice seller Aceros del Norte S.A. de C.V. ↔ bill of lading shipper Aceros del Norte S.A. de C.V.: differ "
        f"(id {ACEROS} ≠ did:key:z6MkOther)")]


def test_parties_without_identifiers_cannot_be_compared_and_a_missing_party_fails() -> None:
    documents = _changed("entry-summary.importerOfRecord", _party(None, "ACME Steel Imports Inc."))
    assert [c.code for c in _run("shipment.parties", documents) if c.status != PASSED] == ["party_not_comparable"]
    documents = _changed("bill-of-lading.consignee", "ACME")
    failed = _only(_run("shipment.parties", documents), FAILED)
    assert [c.message for c in failed] == ["bill of lading GFIL-ATM-26-09912 has no consignee to compare "
                                           "(credentialSubject.consignee is not a party object)"]


def test_without_the_invoices_party_the_first_other_document_anchors() -> None:
    documents = _changed("invoice.seller", _DELETE)
    checks = _run("shipment.parties", documents)
    assert checks[0].code == "field_invalid" and "has no seller" in checks[0].message
    assert checks[1].message.startswith("certificate of origin exporter Aceros del Norte S.A. de C.V. ↔ bill of lading shipper")


def test_parties_need_another_party_bearing_document() -> None:
    checks = _run("shipment.parties", {"invoice": _documents()["invoice"]})
    assert [(c.status, c.code) for c in checks] == [(ERROR, "documents_missing")]


# -- 3. shipment.hs-coverage ----------------------------------------------------------------------------------------


def test_an_invoice_line_no_origin_good_covers_fails() -> None:
    documents = _changed("invoice.lines.1.hsCode", "7209.16.0040")
    checks = _run("shipment.hs-coverage", documents)
    assert checks[1] == Check("shipment.hs-coverage[1]", FAILED, "hs_not_covered",
                              "invoice line 2 HS 7209.16.0040, origin MX: no certificate of origin good covers HS 7209.16 of origin MX")


def test_an_origin_good_of_another_country_does_not_cover() -> None:
    documents = _changed("origin.goods.0.countryOfOrigin", "CA")
    failed = _only(_run("shipment.hs-coverage", documents), FAILED)
    assert len(failed) == 2 and failed[0].message.endswith(
        "no certificate of origin good covers HS 7208.37 of origin MX (certificate of origin good 1 HS 7208.37 is of origin CA)")


@pytest.mark.parametrize("value", [None, "72", 7208.37, ["7208.37"], "7208.37.0030.99"])
def test_a_malformed_hs_code_is_a_failed_check_naming_the_field(value: Any) -> None:
    checks = _run("shipment.hs-coverage", _changed("invoice.lines.0.hsCode", value))
    assert checks[0].status == FAILED and checks[0].code == "field_invalid"
    assert checks[0].message.startswith("invoice line 1: hsCode is ") and "HS code" in checks[0].message


# -- 4. shipment.melt-and-pour --------------------------------------------------------------------------------------


def test_melt_and_pour_per_heat() -> None:
    checks = _run("shipment.melt-and-pour", _documents())
    assert [c.message for c in checks] == [
        "invoice line 1 heat H26-40871: mill test report melt and pour MX ↔ SIMA licence S26-0093417 melt and pour MX: agree",
        "invoice line 1 heat H26-40872: mill test report melt and pour MX ↔ SIMA licence S26-0093417 melt and pour MX: agree",
        "invoice line 2 heat H26-40873: mill test report melt and pour MX ↔ SIMA licence S26-0093418 melt and pour MX: agree"]


def test_a_heat_on_no_mill_test_report_fails() -> None:
    checks = _run("shipment.melt-and-pour", _changed("invoice.lines.1.heatNumbers", ["H26-99999"]))
    assert checks[2] == Check("shipment.melt-and-pour[2]", FAILED, "heat_not_reported",
                              "invoice line 2 heat H26-99999: on no mill test report in the shipment")


def test_a_mill_that_melted_elsewhere_than_the_licence_says_fails() -> None:
    failed = _only(_run("shipment.melt-and-pour", _changed("mill-test-report.countryOfMeltAndPour", "CN")), FAILED)
    assert len(failed) == 3 and failed[0].code == "melt_pour_differ"
    assert failed[0].message == ("invoice line 1 heat H26-40871: mill test report melt and pour CN ↔ SIMA licence "
                                 "S26-0093417 melt and pour MX: differ")


@pytest.mark.parametrize("heats", [_DELETE, [], "H26-40871"])
def test_a_steel_line_without_heat_numbers_fails(heats: Any) -> None:
    checks = _run("shipment.melt-and-pour", _changed("invoice.lines.0.heatNumbers", heats))
    assert checks[0].code == "heat_numbers_missing" and checks[0].status == FAILED
    assert checks[0].message.startswith("invoice line 1 HS 7208.37.0030 is steel and names no heat numbers")


def test_a_steel_line_without_a_licence_cannot_compare_melt_and_pour() -> None:
    checks = _run("shipment.melt-and-pour", _changed("sima-licence.hsCode", "7208.38.0015"))
    assert [c.code for c in checks] == ["melt_pour_not_comparable"] * 2 + ["melt_pour_agree"]


# -- 5. shipment.sima -----------------------------------------------------------------------------------------------


def test_each_steel_line_has_a_licence_and_the_quantities_fit() -> None:
    assert [c.message for c in _run("shipment.sima", _documents())] == [
        "invoice line 1 HS 7208.37.0030, origin MX ↔ SIMA licence S26-0093417 HS 7208.37.0030, origin MX: licensed",
        "invoice line 2 HS 7208.37.0060, origin MX ↔ SIMA licence S26-0093418 HS 7208.37.0060, origin MX: licensed",
        "SIMA licence S26-0093417 500 t ↔ invoice line 1 480 t: within the licence",
        "SIMA licence S26-0093418 230 t ↔ invoice line 2 220 t: within the licence"]


def test_a_line_without_a_compatible_licence_fails() -> None:
    checks = _run("shipment.sima", _changed("sima-licence.countryOfOrigin", "BR"))
    assert checks[0].code == "sima_missing" and checks[0].message.startswith(
        "invoice line 1 HS 7208.37.0030, origin MX: no SIMA licence in the shipment covers it (SIMA licence S26-0093417 "
        "HS 7208.37.0030, origin BR; ")


def test_a_six_digit_licence_covers_every_line_under_its_heading() -> None:
    documents = _without("sima-licence-a36")
    documents["sima-licence"]["credentialSubject"].update(hsCode="7208.37", quantity=700)
    checks = _run("shipment.sima", documents)
    assert all(c.status == PASSED for c in checks)
    assert checks[-1].message == "SIMA licence 700 t ↔ invoice lines 1 and 2 700 t: within the licence"


def test_a_revoked_licence_is_no_licence() -> None:
    checks = _run("shipment.sima", _documents(), results={"sima-licence": REVOKED})
    assert checks[0].code == "sima_licence_invalid" and checks[0].status == FAILED
    assert checks[0].message.endswith("not a valid licence, it was revoked (the issuer revoked it (status list bit 4217))")


def test_a_valid_licence_is_preferred_to_a_revoked_one() -> None:
    documents = _documents()
    documents["spare"] = copy.deepcopy(documents["sima-licence"])
    documents["spare"]["credentialSubject"]["licenseNumber"] = "S26-0093499"
    checks = _run("shipment.sima", documents, results={"sima-licence": REVOKED})
    assert checks[0].status == PASSED and "SIMA licence S26-0093499" in checks[0].message


def test_invoice_quantities_beyond_the_licence_fail_in_mass_units() -> None:
    checks = _run("shipment.sima", _changed("invoice.lines.0.quantity", 560))
    assert checks[2] == Check("shipment.sima[2]", FAILED, "sima_quantity_exceeded",
                              "SIMA licence S26-0093417 500 t ↔ invoice line 1 560 t: the invoice exceeds the licence by 60 t")
    in_kilograms = _documents()
    in_kilograms["sima-licence"]["credentialSubject"].update(quantity=480000, unitCode="KGM")
    assert _run("shipment.sima", in_kilograms)[2].message == (
        "SIMA licence S26-0093417 480,000 KGM ↔ invoice line 1 480,000 KGM: within the licence")
    in_pounds = _changed("sima-licence.unitCode", "LBR")  # 500 lb is far less than 480 t
    assert _run("shipment.sima", in_pounds)[2].code == "sima_quantity_exceeded"


def test_a_count_cannot_be_compared_with_a_licensed_mass() -> None:
    checks = _run("shipment.sima", _changed("invoice.lines.0.unitCode", "PCE"))
    assert checks[2] == Check("shipment.sima[2]", ERROR, "units_not_comparable",
                              "SIMA licence S26-0093417 quantity ↔ invoice line 1: cannot compare units (PCE, TNE)")


def test_non_steel_lines_need_no_licence() -> None:
    documents = _changed("invoice.lines.1.hsCode", "7606.12")  # aluminium
    assert [c.status for c in _run("shipment.sima", documents)] == [PASSED, PASSED]


# -- 6. shipment.weights --------------------------------------------------------------------------------------------


def test_weights_within_the_tolerance_pass_and_say_by_how_much() -> None:
    assert _run("shipment.weights", _documents())[0].message == (
        "bill of lading gross weight 712.4 t ↔ invoice 700 t: differ by 1.8%, within the 2% tolerance")
    strict = WorkflowSettings(weight_tolerance=1.0)
    assert _run("shipment.weights", _documents(), strict)[0].code == "weights_differ"


def test_weights_convert_mass_units() -> None:
    documents = _documents()
    for good in documents["bill-of-lading"]["credentialSubject"]["goods"]:
        good.update(grossWeight=round(good["grossWeight"] * 1000 / 0.45359237), weightUnit="LBR")
    checks = _run("shipment.weights", documents)
    assert checks[0].status == PASSED and checks[0].message.startswith("bill of lading gross weight 712.4 t ↔ invoice 700 t")


def test_weights_of_a_count_cannot_be_compared() -> None:
    checks = _run("shipment.weights", _changed("invoice.lines.1.unitCode", "PCE"))
    assert checks == [Check("shipment.weights", ERROR, "units_not_comparable",
                            "invoice line 2 quantity 220 PCE is not a mass: cannot compare units with the bill of "
                            "lading's gross weight")]


@pytest.mark.parametrize(("path", "value"), [("bill-of-lading.goods.0.grossWeight", "489.6"),
                                             ("bill-of-lading.goods.0.weightUnit", "PCE"),
                                             ("bill-of-lading.goods", None),
                                             ("invoice.lines.0.quantity", True)])
def test_malformed_weights_fail_naming_the_field(path: str, value: Any) -> None:
    checks = _run("shipment.weights", _changed(path, value))
    assert [c.code for c in checks] == ["field_invalid"]


# -- 7. shipment.export-authority ------------------------------------------------------------------------------------


def test_the_export_declarations_issuer_is_a_recognized_customs_authority() -> None:
    assert _run("shipment.export-authority", _documents()) == [Check(
        "shipment.export-authority", PASSED, "authority_recognized",
        f"export declaration issuer {ANAM} ↔ the policy's customs authorities: recognized for MX, the country of exportation")]


def test_without_a_policy_no_authority_is_recognized() -> None:
    checks = _run("shipment.export-authority", _documents(), WorkflowSettings())
    assert [(c.status, c.code) for c in checks] == [(ERROR, "authorities_unknown")]
    assert checks[0].message.endswith("no policy names the customs authorities it recognizes")


def test_an_unrecognized_issuer_or_another_countrys_authority_fails() -> None:
    documents = _documents()
    documents["export-declaration"]["issuer"] = ACEROS  # the exporter declaring its own export
    assert _run("shipment.export-authority", documents)[0].code == "authority_not_recognized"
    documents = _changed("export-declaration.countryOfExportation", "GT")
    assert _run("shipment.export-authority", documents)[0].message == (
        f"export declaration issuer {ANAM}: recognized for MX, not for GT, the country of exportation")


# -- 8. shipment.export-match ---------------------------------------------------------------------------------------


def test_my_export_is_your_import() -> None:
    assert [c.message for c in _run("shipment.export-match", _documents())] == [
        f"export declaration exporter Aceros del Norte S.A. de C.V. ↔ invoice seller Aceros del Norte S.A. de C.V.: agree (same id {ACEROS})",
        f"export declaration consignee ACME Steel Imports Inc. ↔ invoice buyer ACME Steel Imports Inc.: agree (same id {ACME})",
        "HS 7208.37 quantity: export declaration 700 t ↔ invoice 700 t: agree",
        "HS 7208.37 value: export declaration 575,900.00 USD ↔ invoice 575,900.00 USD: agree",
        "HS 7208.37 quantity: export declaration 700 t ↔ entry summary 700 t: agree",
        "HS 7208.37 value: export declaration 575,900.00 USD ↔ entry summary 575,900.00 USD: agree"]


def test_export_quantities_and_values_within_the_tolerances() -> None:
    documents = _changed("export-declaration.lines.0.quantity", 482)  # 702 t against 700 t: 0.28%
    assert _run("shipment.export-match", documents)[2].code == "quantities_differ"
    loose = WorkflowSettings(quantity_tolerance=0.5)
    check = _run("shipment.export-match", documents, loose)[2]
    assert check.code == "quantities_agree" and check.message.endswith("differ by 0.3%, within the 0.5% tolerance")


def test_an_entered_value_that_differs_fails() -> None:
    checks = _run("shipment.export-match", _changed("entry-summary.lines.1.enteredValue", 158900.0))
    assert checks[5] == Check("shipment.export-match[5]", FAILED, "values_differ",
                              "HS 7208.37 value: export declaration 575,900.00 USD ↔ entry summary 548,900.00 USD: differ "
                              "by 4.7%, tolerance 0%")


def test_a_heading_on_one_side_only_fails() -> None:
    checks = _run("shipment.export-match", _changed("export-declaration.lines.1.hsCode", "7214.20"))
    unmatched = [c.message for c in checks if c.code == "hs_unmatched"]
    assert "HS 7214.20: on the export declaration (220 t), on no invoice line" in unmatched


def test_values_in_different_currencies_cannot_be_compared() -> None:
    checks = _run("shipment.export-match", _changed("export-declaration.currency", "MXN"))
    assert [c.code for c in checks if c.status == ERROR] == ["currencies_differ", "currencies_differ"]
    assert not [c for c in checks if c.code.startswith("values_")]


def test_the_export_declarations_parties_must_be_the_invoices() -> None:
    documents = _changed("export-declaration.consignee", _party("did:key:z6MkSomeoneElse", "ACME Steel Imports Inc."))
    assert _run("shipment.export-match", documents)[1].code == "parties_differ"


# -- 9. shipment.validity -------------------------------------------------------------------------------------------


def test_every_period_of_validity_covers_the_shipment_date() -> None:
    checks = _run("shipment.validity", _documents())
    assert [c.message for c in checks] == [
        "C-TPAT certification of ACME Steel Imports Inc. valid 2026-04-01 to 2027-03-31 ↔ shipment date 2026-11-06 "
        "(bill of lading shipped on board): covered",
        f"certificate of origin {COO_ID} valid 2026-05-01 to 2027-04-30 ↔ shipment date 2026-11-06 (bill of lading "
        "shipped on board): covered",
        "SIMA licence S26-0093417 valid 2026-10-20 to 2027-01-02 ↔ shipment date 2026-11-06 (bill of lading shipped on "
        "board): covered",
        "SIMA licence S26-0093418 valid 2026-10-20 to 2027-01-02 ↔ shipment date 2026-11-06 (bill of lading shipped on "
        "board): covered"]


def test_a_licence_that_expired_before_shipment_fails() -> None:
    documents = _documents()
    documents["sima-licence"].update(validFrom="2026-08-01T00:00:00Z", validUntil="2026-11-05T23:59:59Z")
    failed = _only(_run("shipment.validity", documents), FAILED)
    assert [(c.code, c.message) for c in failed] == [("date_not_covered",
        "SIMA licence S26-0093417 valid 2026-08-01 to 2026-11-05 ↔ shipment date 2026-11-06 (bill of lading shipped on "
        "board): not covered")]


def test_validity_is_judged_in_whole_days_in_utc() -> None:
    documents = _documents()
    documents["sima-licence"]["validUntil"] = "2026-11-05T20:00:00-05:00"  # 2026-11-06T01:00Z: the shipment's day
    assert not _only(_run("shipment.validity", documents), FAILED)


def test_the_shipment_date_falls_back_to_export_then_invoice_and_else_is_unknown() -> None:
    assert "(export declaration exported)" in _run("shipment.validity", _without("bill-of-lading"))[0].message
    assert "2026-11-02 (invoice invoiced)" in _run("shipment.validity", _without("bill-of-lading", "export-declaration"))[0].message
    checks = _run("shipment.validity", _without("bill-of-lading", "export-declaration", "invoice"))
    assert [(c.status, c.code) for c in checks] == [(ERROR, "shipment_date_unknown")]


def test_malformed_dates_fail_naming_the_field() -> None:
    checks = _run("shipment.validity", _changed("bill-of-lading.shippedOnBoardDate", "6 Nov 2026"))
    assert checks[0] == Check("shipment.validity[0]", FAILED, "field_invalid",
                              "bill of lading GFIL-ATM-26-09912: shippedOnBoardDate is '6 Nov 2026', not a date YYYY-MM-DD")
    assert "(export declaration exported)" in checks[1].message  # the next source decides
    documents = _documents()
    documents["origin"]["validUntil"] = "next April"
    failed = _only(_run("shipment.validity", documents), FAILED)
    assert failed[0].code == "field_invalid" and failed[0].message.startswith(f"certificate of origin {COO_ID}: validFrom/validUntil")


# -- 10. shipment.entry-references ----------------------------------------------------------------------------------


def test_the_entry_summarys_references_resolve() -> None:
    assert [c.message for c in _run("shipment.entry-references", _documents())] == [
        "entry summary invoice number INV-2026-0417 ↔ invoice INV-2026-0417: found",
        f"entry summary certificate of origin {COO_ID} ↔ certificate of origin {COO_ID}: found",
        "entry summary bill of lading GFIL-ATM-26-09912 ↔ bill of lading GFIL-ATM-26-09912: found",
        "entry summary line 1 SIMA licence S26-0093417 ↔ SIMA licence S26-0093417: found",
        "entry summary line 2 SIMA licence S26-0093418 ↔ SIMA licence S26-0093418: found"]


@pytest.mark.parametrize(("path", "value", "index", "message"), [
    ("entry-summary.invoiceNumber", "INV-2026-0418", 0,
     "entry summary invoice number INV-2026-0418 ↔ invoices in the shipment (INV-2026-0417): not found"),
    ("entry-summary.certificateOfOrigin", "urn:uuid:00000000-0000-4000-8000-000000000000", 1,
     f"entry summary certificate of origin urn:uuid:00000000-0000-4000-8000-000000000000 ↔ certificates of origin in the "
     f"shipment ({COO_ID}): not found"),
    ("entry-summary.billOfLadingNumber", "GFIL-ATM-26-00001", 2,
     "entry summary bill of lading GFIL-ATM-26-00001 ↔ bills of lading in the shipment (GFIL-ATM-26-09912): not found"),
    ("entry-summary.lines.1.simaLicenseNumber", "S26-0000001", 4,
     "entry summary line 2 SIMA licence S26-0000001 ↔ SIMA licences in the shipment (S26-0093417, S26-0093418): not found"),
])
def test_an_unresolved_reference_fails(path: str, value: str, index: int, message: str) -> None:
    checks = _run("shipment.entry-references", _changed(path, value))
    assert (checks[index].status, checks[index].code, checks[index].message) == (FAILED, "reference_unresolved", message)


def test_a_reference_to_an_absent_kind_is_undecided_unless_required() -> None:
    checks = _run("shipment.entry-references", _without("bill-of-lading"))
    assert (checks[2].status, checks[2].code) == (ERROR, "documents_missing")
    checks = _run("shipment.entry-references", _without("bill-of-lading"), WorkflowSettings(required=("bill-of-lading",)))
    assert checks[2].status == FAILED


def test_optional_references_are_checked_only_when_given() -> None:
    documents = _changed("entry-summary.billOfLadingNumber", _DELETE)
    del documents["entry-summary"]["credentialSubject"]["certificateOfOrigin"]
    assert len(_run("shipment.entry-references", documents)) == 3


# -- never an exception for an odd document --------------------------------------------------------------------------

ODD_VALUES = [None, "", "x", 0, -1, 1e308, True, [], [None], {}, {"id": 5}, [{"hsCode": 7}]]


def _paths(value: Any, prefix: str) -> list[str]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, f"{prefix}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, f"{prefix}.{index}")
    return found


ALL_PATHS = [path for key, doc in _documents().items() for path in _paths(doc["credentialSubject"], key)
             if "." in path]


@pytest.mark.parametrize("path", ALL_PATHS)
def test_no_odd_field_makes_a_rule_raise(path: str) -> None:
    for value in ODD_VALUES:
        checks = run_rules(STEEL_IMPORT.rules, _shipment(_changed(path, value)))
        assert checks and all(c.status in (PASSED, FAILED, ERROR) for c in checks)
        assert not [c for c in checks if c.code == "internal_error"], (path, value, checks)


@pytest.mark.parametrize("subject", [None, "a string", [], {"lines": "none"}, {"lines": [1, "two", None]}])
def test_a_document_without_a_usable_subject_is_judged_not_crashed(subject: Any) -> None:
    documents = _documents()
    for doc in documents.values():
        doc["credentialSubject"] = copy.deepcopy(subject)
        doc["validUntil"] = 12
    checks = run_rules(STEEL_IMPORT.rules, _shipment(documents, WorkflowSettings(required=STEEL_IMPORT.documents)))
    assert checks and not [c for c in checks if c.code == "internal_error"]
    assert not [c for c in checks if c.status == PASSED and c.name.startswith(("shipment.sima", "shipment.weights"))]



@pytest.mark.parametrize("rule", ["shipment.sima", "shipment.weights", "shipment.export-match"])
def test_an_absurd_quantity_never_passes(rule: str) -> None:
    checks = _run(rule, _changed("invoice.lines.0.quantity", 1e308))
    assert [c for c in checks if c.status == FAILED and "overflows" in c.message]
    assert not [c for c in checks if c.status == PASSED and " inf " in c.message]
