"""Export declarations: what the exporting authority's declaration alone does (typed parties, numbered typed lines
that agree with the invoice), every schema constraint and rule (a pedimento for an export from MX, another country
of destination) refused by name, and its summary.

What every shipment document does alike (issued and verified, its contexts, retyped, numbered lines, `vctrade show`,
the CLI) is tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vctrade.trade._types.export_declaration import (
    EXPORT_DECLARATION,
    build_export_declaration_credential,
)

from ._shipment import DELETE, changed, refusal

ISSUER = "did:key:z6MkgjD1VBzjuJdUAeiLz1m4WY78CN6YjiFKAJ3Bh9jDP6Qn"  # anam-mx.jwk


@pytest.fixture
def declaration(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/export-declaration.yaml."""
    return trade_request("shipment", "export-declaration")


def test_the_declaration_has_typed_parties_and_numbered_typed_lines(declaration: dict[str, Any]) -> None:
    credential = build_export_declaration_credential(declaration, ISSUER)
    subject = credential["credentialSubject"]
    assert subject["type"] == "ExportDeclaration"
    assert [(line["type"], line["lineNumber"], line["quantity"]) for line in subject["lines"]] == [
        ("DeclarationLine", 1, 480), ("DeclarationLine", 2, 220)]
    assert subject["exporter"]["type"] == subject["consignee"]["type"] == "Organization"
    assert EXPORT_DECLARATION.aliases == () and EXPORT_DECLARATION.describes(credential)


def test_the_declaration_agrees_with_the_invoice(declaration: dict[str, Any],
                                                 trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """Per line, HS 6 digits, quantity and value (quantity × unit price) equal the invoice's; same parties."""
    invoice = trade_request("shipment", "invoice")["invoice"]
    exported = declaration["exportDeclaration"]
    assert exported["invoiceNumber"] == invoice["invoiceNumber"] and exported["currency"] == invoice["currency"]
    assert exported["exporter"]["id"] == invoice["seller"]["id"] and exported["consignee"]["id"] == invoice["buyer"]["id"]
    for line, sold in zip(exported["lines"], invoice["lines"]):
        assert sold["hsCode"].startswith(line["hsCode"]) and line["quantity"] == sold["quantity"]
        assert line["value"] == sold["quantity"] * sold["unitPrice"] and line["countryOfOrigin"] == sold["countryOfOrigin"]


SUBJECT = ["exportDeclaration"]
LINE = ["exportDeclaration", "lines", 1]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        ([*SUBJECT, "exportDate"], DELETE, "credentialSubject: 'exportDate' is required"),
        ([*LINE, "value"], DELETE, "credentialSubject.lines[1]: 'value' is required"),
        ([*SUBJECT, "consignee", "legalName"], DELETE, "credentialSubject.consignee: 'legalName' is required"),
        # anyOf: a pedimento, or another country's declaration number
        ([*SUBJECT, "declarationNumber"], "26 81 3912 600123",
         "credentialSubject.declarationNumber: '26 81 3912 600123' is not a declaration number: a Mexican pedimento (15 digits"),
        # pattern
        ([*LINE, "hsCode"], "7208", "credentialSubject.lines[1].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        ([*LINE, "unitCode"], "tonnes", "credentialSubject.lines[1].unitCode: 'tonnes' is not a UN/ECE Recommendation 20 unit code"),
        ([*LINE, "countryOfOrigin"], "MEX", "credentialSubject.lines[1].countryOfOrigin: 'MEX' is not an ISO 3166-1 alpha-2 country code"),
        ([*SUBJECT, "destinationCountry"], "us", "credentialSubject.destinationCountry: 'us' is not an ISO 3166-1 alpha-2"),
        ([*SUBJECT, "currency"], "US$", "credentialSubject.currency: 'US$' is not an ISO 4217 currency code"),
        ([*SUBJECT, "exportDate"], "05/11/2026", "credentialSubject.exportDate: '05/11/2026' is not a date written YYYY-MM-DD"),
        ([*SUBJECT, "exporter", "address", "addressCountry"], "Mexico",
         "credentialSubject.exporter.address.addressCountry: 'Mexico' is not an ISO 3166-1 alpha-2 country code"),
        # exclusiveMinimum, type, minItems, minLength
        ([*LINE, "value"], 0, "credentialSubject.lines[1].value: 0 is less than or equal to the minimum of 0"),
        ([*LINE, "quantity"], -220, "credentialSubject.lines[1].quantity: -220 is less than or equal to the minimum of 0"),
        ([*LINE, "quantity"], "220", "credentialSubject.lines[1].quantity: '220' is not of type 'number'"),
        ([*SUBJECT, "lines"], [], "credentialSubject.lines: [] should be non-empty"),
        ([*SUBJECT, "customsOffice"], "", "credentialSubject.customsOffice: '' should be non-empty"),
        # const
        ([*LINE, "type"], "InvoiceLine", "credentialSubject.lines[1].type: 'DeclarationLine' was expected"),
        # additionalProperties: an undefined term is named before it could reach JSON-LD
        ([*LINE, "unitPrice"], 845.0, "credentialSubject.lines[1]: fields are not allowed ('unitPrice' was unexpected)"),
        ([*SUBJECT, "pedimento"], "x", "credentialSubject: fields are not allowed ('pedimento' was unexpected)"),
        # anyOf: a party is identified by its id or a registered identifier, never by name alone
        ([*SUBJECT, "consignee", "id"], DELETE, "credentialSubject.consignee must be an organization identified by id, taxId"),
    ],
)
def test_each_schema_constraint_is_refused_naming_the_field(path: list[Any], value: Any, message: str,
                                                           declaration: dict[str, Any]) -> None:
    problems = refusal(build_export_declaration_credential, changed(declaration, path, value), ISSUER).problems
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ([*SUBJECT, "declarationNumber"], "26813912600123",
         ("credentialSubject.declarationNumber: '26813912600123' is not a pedimento number (15 digits: year, customs office, "
         "broker's patent, sequence), which an export from MX must have")),
        ([*SUBJECT, "destinationCountry"], "MX",
         ("credentialSubject.destinationCountry: 'MX' is also the country of exportation; "
         "an export declaration's goods leave for another country")),
        (["validUntil"], "2026-11-01T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_each_rule_is_refused_naming_it(path: list[Any], value: Any, message: str, declaration: dict[str, Any]) -> None:
    assert refusal(build_export_declaration_credential, changed(declaration, path, value), ISSUER).problems == (message,)


def test_another_countrys_declaration_number_needs_no_pedimento(declaration: dict[str, Any]) -> None:
    request = changed(changed(declaration, [*SUBJECT, "countryOfExportation"], "CA"),
                      [*SUBJECT, "declarationNumber"], "CA-20261105-0042")
    assert build_export_declaration_credential(request, ISSUER)["credentialSubject"]["declarationNumber"] == "CA-20261105-0042"


def test_the_summary_sums_per_unit_and_survives_a_malformed_subject(declaration: dict[str, Any]) -> None:
    """`vctrade show` words any document, even one that fails its schema: what cannot be read is a `?`."""
    credential = build_export_declaration_credential(declaration, ISSUER)
    credential["credentialSubject"]["lines"][1].update(quantity=1250.5, unitCode="KGM")
    assert EXPORT_DECLARATION.summary(credential) == (
        "export declaration 26 81 3912 6001234: 2 line(s), 480 TNE + 1,250.5 KGM, 575,900.00 USD; MX → US; "
        "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc.")
    assert EXPORT_DECLARATION.summary({"credentialSubject": {"lines": "two", "exporter": "Aceros", "currency": 840}}) == (
        "export declaration ?: 0 line(s), ?, 0.00 ?; ? → ?; ? → ?")
