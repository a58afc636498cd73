"""Entry summaries (CBP Form 7501): what the broker's entry alone does (a typed importer of record, numbered typed
lines that refer to the shipment's other documents), every schema constraint and rule (a USMCA claim needs the
certificate of origin, a steel line its SIMA licence) refused by name.

What every shipment document does alike (issued and verified, its contexts and terms, retyped, numbered lines,
`vctrade show`, the CLI) is tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vctrade.errors import TradeDocumentError
from vctrade.trade._types.entry_summary import (
    ENTRY_SUMMARY,
    build_entry_summary_credential,
)

from ._shipment import DELETE, changed, refusal

ISSUER = "did:key:zDnaecYfEspFFm5iiLXt3HV3aiBaQ1UcwLsn5Ke9MJbeFzMXu"  # rio-bravo-broker.jwk


@pytest.fixture
def entry(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/entry-summary.yaml."""
    return trade_request("shipment", "entry-summary")


def test_the_entry_has_a_typed_importer_of_record_and_numbered_typed_lines(entry: dict[str, Any]) -> None:
    subject = build_entry_summary_credential(entry, ISSUER)["credentialSubject"]
    assert subject["type"] == "CBPEntrySummary" and subject["importerOfRecord"]["type"] == "Organization"
    assert [(line["type"], line["lineNumber"], line["simaLicenseNumber"]) for line in subject["lines"]] == [
        ("EntryLine", 1, "S26-0093417"), ("EntryLine", 2, "S26-0093418")]
    assert ENTRY_SUMMARY.type_names == ("EntrySummary", "CBP7501EntrySummaryCredential")


def test_the_entry_refers_to_the_shipments_documents(entry: dict[str, Any],
                                                     trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """Its references are the other fixtures' numbers; its lines the invoice's (HTS-10, quantity, value)."""
    subject = entry["entrySummary"]
    invoice = trade_request("shipment", "invoice")["invoice"]
    licences = {trade_request("shipment", n)["simaLicence"]["licenseNumber"]: trade_request("shipment", n)["simaLicence"]
                for n in ("sima-licence", "sima-licence-a36")}
    exported = trade_request("shipment", "export-declaration")["exportDeclaration"]
    assert subject["invoiceNumber"] == invoice["invoiceNumber"] and subject["exportDate"] == exported["exportDate"]
    assert subject["importerOfRecord"]["id"] == invoice["buyer"]["id"]
    assert subject["importerOfRecord"]["importerOfRecordNumber"] == invoice["buyer"]["importerOfRecordNumber"]
    for line, sold in zip(subject["lines"], invoice["lines"]):
        assert line["hsCode"] == sold["hsCode"] == licences[line["simaLicenseNumber"]]["hsCode"]
        assert line["quantity"] == sold["quantity"] and line["enteredValue"] == sold["quantity"] * sold["unitPrice"]


SUBJECT = ["entrySummary"]
LINE = ["entrySummary", "lines", 0]
IOR = ["entrySummary", "importerOfRecord"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required (the importer of record's number is required here, not on every party)
        ([*SUBJECT, "entryNumber"], DELETE, "credentialSubject: 'entryNumber' is required"),
        ([*IOR, "importerOfRecordNumber"], DELETE, "credentialSubject.importerOfRecord: 'importerOfRecordNumber' is required"),
        ([*LINE, "enteredValue"], DELETE, "credentialSubject.lines[0]: 'enteredValue' is required"),
        # pattern
        ([*SUBJECT, "entryNumber"], "RBB-261187-3", "credentialSubject.entryNumber: 'RBB-261187-3' is not a CBP entry number"),
        ([*SUBJECT, "entryType"], "1", "credentialSubject.entryType: '1' is not a 2-digit CBP entry type"),
        ([*SUBJECT, "portOfEntry"], "Houston, TX", "credentialSubject.portOfEntry: 'Houston, TX' is not a 4-digit CBP port code"),
        ([*SUBJECT, "entryDate"], "2026-11-32", "credentialSubject.entryDate: '2026-11-32' is not a date written YYYY-MM-DD"),
        ([*SUBJECT, "certificateOfOrigin"], "the USMCA certificate",
         "credentialSubject.certificateOfOrigin: 'the USMCA certificate' is not the certificate of origin credential's id"),
        ([*SUBJECT, "countryOfExportation"], "Mexico", "credentialSubject.countryOfExportation: 'Mexico' is not an ISO 3166-1"),
        ([*LINE, "hsCode"], "7208.37", "credentialSubject.lines[0].hsCode: '7208.37' is not a 10-digit HTS number"),
        ([*LINE, "specialProgram"], "USMCA", "credentialSubject.lines[0].specialProgram: 'USMCA' is not a special programme indicator"),
        ([*LINE, "simaLicenseNumber"], "934", "credentialSubject.lines[0].simaLicenseNumber: '934' is not a SIMA licence number"),
        ([*IOR, "importerOfRecordNumber"], "743198265?", "credentialSubject.importerOfRecord.importerOfRecordNumber: '743198265?' is not"),
        ([*IOR, "email"], "acme", "credentialSubject.importerOfRecord.email: 'acme' is not an email address"),
        # exclusiveMinimum, type, minItems, minLength, const
        ([*LINE, "enteredValue"], 0, "credentialSubject.lines[0].enteredValue: 0 is less than or equal to the minimum of 0"),
        ([*LINE, "quantity"], None, "credentialSubject.lines[0].quantity: None is not of type 'number'"),
        ([*SUBJECT, "lines"], [], "credentialSubject.lines: [] should be non-empty"),
        ([*SUBJECT, "billOfLadingNumber"], "", "credentialSubject.billOfLadingNumber: '' should be non-empty"),
        ([*SUBJECT, "type"], "EntrySummary", "credentialSubject.type: 'CBPEntrySummary' was expected"),
        # additionalProperties
        ([*LINE, "dutyRate"], "free", "credentialSubject.lines[0]: fields are not allowed ('dutyRate' was unexpected)"),
        ([*IOR, "ein"], "74-3198265", "credentialSubject.importerOfRecord: fields are not allowed ('ein' was unexpected)"),
        # anyOf: the importer of record is a party identified by id or a registered identifier
        ([*IOR], {"legalName": "ACME Steel Imports Inc."},
         "credentialSubject.importerOfRecord must be an organization identified by id, taxId"),
    ],
)
def test_each_schema_constraint_is_refused_naming_the_field(path: list[Any], value: Any, message: str,
                                                           entry: dict[str, Any]) -> None:
    problems = refusal(build_entry_summary_credential, changed(entry, path, value), ISSUER).problems
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ([*SUBJECT, "certificateOfOrigin"], DELETE,
         ("credentialSubject.lines[0].specialProgram: 'S' claims USMCA preference, which needs "
         "credentialSubject.certificateOfOrigin (the certificate of origin's id)")),
        ([*LINE, "simaLicenseNumber"], DELETE,
         ("credentialSubject.lines[0]: 'simaLicenseNumber' is required: HTS 7208.37.0030 is steel (chapter 72 or 73), "
         "which enters under a SIMA licence")),
        (["validUntil"], "2026-11-11T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_each_rule_is_refused_naming_it(path: list[Any], value: Any, message: str, entry: dict[str, Any]) -> None:
    assert refusal(build_entry_summary_credential, changed(entry, path, value), ISSUER).problems[0] == message


def test_s_plus_needs_the_certificate_and_other_programmes_and_goods_do_not(entry: dict[str, Any]) -> None:
    no_certificate = changed(entry, [*SUBJECT, "certificateOfOrigin"], DELETE)
    with pytest.raises(TradeDocumentError, match=r"lines\[1\].specialProgram: 'S\+' claims USMCA preference"):
        build_entry_summary_credential(changed(no_certificate, ["entrySummary", "lines", 1, "specialProgram"], "S+"), ISSUER)
    # Another programme needs no USMCA certificate, and a line outside chapters 72 and 73 needs no SIMA licence.
    aluminium = {"description": "Aluminium plates", "hsCode": "7606.12.3091", "countryOfOrigin": "MX", "quantity": 12,
                 "unitCode": "TNE", "enteredValue": 38000.0, "specialProgram": "A"}
    request = changed(changed(no_certificate, [*SUBJECT, "lines"], [aluminium]), [*SUBJECT, "invoiceNumber"], "INV-2026-0418")
    assert build_entry_summary_credential(request, ISSUER)["credentialSubject"]["lines"][0]["lineNumber"] == 1
