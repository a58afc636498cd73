"""SIMA steel import licences: what Commerce's licence alone does (typed parties; one licence per invoice line),
every schema constraint and rule (a window of at most 75 days, steel only) refused by name.

What every shipment document does alike (issued and verified, its contexts, retyped, `vctrade show`, the CLI) is
tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vctrade.trade import get_trade_type
from vctrade.trade._types.sima_licence import (
    SIMA_LICENCE,
    build_sima_licence_credential,
)

from ._shipment import DELETE, changed, refusal

ISSUER = "did:key:z6MkiPEGggceQqH3gZnRS7dJeikZq5PHFsqtqhMT3F7qpzWn"  # us-commerce-sima.jwk


@pytest.fixture
def licence(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/sima-licence.yaml."""
    return trade_request("shipment", "sima-licence")


def test_the_licence_has_typed_parties(licence: dict[str, Any]) -> None:
    credential = build_sima_licence_credential(licence, ISSUER)
    subject = credential["credentialSubject"]
    assert subject["type"] == "SIMASteelImportLicense"
    assert all(subject[p]["type"] == "Organization" and subject[p]["address"]["type"] == "PostalAddress"
               for p in ("importer", "exporter", "mill"))
    assert get_trade_type("sima-licence") is SIMA_LICENCE and SIMA_LICENCE.describes(credential)


def test_the_two_licences_cover_the_invoice_lines(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """The fixtures agree with the invoice: one licence per HTS-10 line, each large enough for its line."""
    invoice = trade_request("shipment", "invoice")["invoice"]
    licences = [trade_request("shipment", name)["simaLicence"] for name in ("sima-licence", "sima-licence-a36")]
    for line, licence in zip(invoice["lines"], licences):
        assert line["hsCode"] == licence["hsCode"] and line["countryOfOrigin"] == licence["countryOfOrigin"]
        assert line["quantity"] <= licence["quantity"] and line["unitCode"] == licence["unitCode"]
        assert licence["value"] == licence["quantity"] * line["unitPrice"]
        assert licence["importer"]["id"] == invoice["buyer"]["id"] and licence["exporter"]["id"] == invoice["seller"]["id"]


MILL = ["simaLicence", "mill"]
IMPORTER = ["simaLicence", "importer"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        (["simaLicence", "licenseNumber"], DELETE, "credentialSubject: 'licenseNumber' is required"),
        ([*IMPORTER, "legalName"], DELETE, "credentialSubject.importer: 'legalName' is required"),
        ([*IMPORTER, "address", "addressCountry"], DELETE, "credentialSubject.importer.address: 'addressCountry' is required"),
        # pattern
        (["simaLicence", "hsCode"], "7208.37", "credentialSubject.hsCode: '7208.37' is not a 10-digit HTS number"),
        (["simaLicence", "countryOfMeltAndPour"], "Mexico",
         "credentialSubject.countryOfMeltAndPour: 'Mexico' is not an ISO 3166-1 alpha-2 country code"),
        (["simaLicence", "currency"], "usd", "credentialSubject.currency: 'usd' is not an ISO 4217 currency code"),
        (["simaLicence", "expectedDateOfImport"], "2026-13-12",
         "credentialSubject.expectedDateOfImport: '2026-13-12' is not a date written YYYY-MM-DD"),
        (["simaLicence", "portOfEntry"], "Houston", "credentialSubject.portOfEntry: 'Houston' is not a 4-digit CBP port code"),
        (["simaLicence", "licenseNumber"], "s26 0093417", "credentialSubject.licenseNumber: 's26 0093417' is not a SIMA licence number"),
        ([*IMPORTER, "id"], "acme", "credentialSubject.importer.id: 'acme' is not a DID or URI"),
        ([*IMPORTER, "importerOfRecordNumber"], "74", "credentialSubject.importer.importerOfRecordNumber: '74' is not an importer-of-record number"),
        # enum, const
        (["simaLicence", "unitCode"], "PCE", "credentialSubject.unitCode: 'PCE' is not a mass unit: KGM, TNE or LBR"),
        (["simaLicence", "type"], "Licence", "credentialSubject.type: 'SIMASteelImportLicense' was expected"),
        ([*MILL, "type"], "Person", "credentialSubject.mill.type: 'Organization' was expected"),
        # exclusiveMinimum, type, minLength
        (["simaLicence", "quantity"], 0, "credentialSubject.quantity: 0 is less than or equal to the minimum of 0"),
        (["simaLicence", "value"], -1, "credentialSubject.value: -1 is less than or equal to the minimum of 0"),
        (["simaLicence", "quantity"], "500", "credentialSubject.quantity: '500' is not of type 'number'"),
        (["simaLicence", "importer"], "ACME", "credentialSubject.importer: 'ACME' is not of type 'object'"),
        ([*IMPORTER, "legalName"], "", "credentialSubject.importer.legalName: '' should be non-empty"),
        # additionalProperties: an undefined term is named before it could reach JSON-LD
        (["simaLicence", "colour"], "red", "credentialSubject: fields are not allowed ('colour' was unexpected)"),
        ([*MILL, "website"], "https://golfo.example", "credentialSubject.mill: fields are not allowed ('website' was unexpected)"),
        # anyOf: a party is identified by its id or a registered identifier, never by name alone
        ([*MILL, "id"], DELETE, "credentialSubject.mill must be an organization identified by id, taxId, eori"),
    ],
)
def test_each_schema_constraint_is_refused_naming_the_field(path: list[Any], value: Any, message: str,
                                                           licence: dict[str, Any]) -> None:
    problems = refusal(build_sima_licence_credential, changed(licence, path, value), ISSUER).problems
    assert any(problem.startswith(message) for problem in problems), problems


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["validUntil"], DELETE, "'validUntil' is required: a SIMA licence is valid for a window of at most 75 days"),
        (["validFrom"], DELETE, "'validFrom' is required: a SIMA licence is valid for a window of at most 75 days"),
        (["validUntil"], "2026-10-19T00:00:00Z", "validUntil must be after validFrom"),
        (["validFrom"], "20 October 2026", "not a date-time with a timezone"),
        (["validUntil"], "2027-01-04T00:00:00Z", ("validUntil: the licence window 2026-10-20T00:00:00Z to 2027-01-04T00:00:00Z "
                                                 "is longer than 75 days, the most a SIMA licence is valid for")),
        (["simaLicence", "hsCode"], "7601.20.0000", ("credentialSubject.hsCode: '7601.20.0000' is not steel: "
                                                    "a SIMA licence covers HTS chapters 72 and 73")),
    ],
)
def test_each_rule_is_refused_naming_it(path: list[Any], value: Any, message: str, licence: dict[str, Any]) -> None:
    problems = refusal(build_sima_licence_credential, changed(licence, path, value), ISSUER).problems
    assert message in problems[0] and len(problems) == 1, problems


def test_a_window_of_exactly_75_days_and_chapter_73_are_allowed(licence: dict[str, Any]) -> None:
    request = changed(changed(licence, ["validUntil"], "2027-01-03T00:00:00Z"), ["simaLicence", "hsCode"], "7304.19.1020")
    assert build_sima_licence_credential(request, ISSUER)["validUntil"] == "2027-01-03T00:00:00Z"
