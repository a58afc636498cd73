"""Commercial invoices: what the seller's invoice alone does (typed parties, numbered lines), every schema constraint
and rule refusing a bad invoice by naming its field, and its summary of a malformed subject.

What every shipment document does alike (issued and verified, its contexts, retyped, `vctrade show`, the CLI) is
tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vctrade.trade._types.invoice import INVOICE, build_invoice_credential

from ._shipment import DELETE, changed, refusal

SELLER = "did:key:z6MksBSpNrwYTsZzuTk7q4meJWBZu7xnGjkSDFPFuwXViBxx"


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/invoice.yaml."""
    return trade_request("shipment", "invoice")


def test_the_invoice_has_typed_parties_and_numbered_typed_lines(request_: dict[str, Any]) -> None:
    subject = build_invoice_credential(request_, SELLER)["credentialSubject"]
    assert subject["type"] == "Invoice" and subject["seller"]["type"] == "Organization"
    assert subject["seller"]["address"]["type"] == "PostalAddress"
    assert [(line["type"], line["lineNumber"], line["hsCode"]) for line in subject["lines"]] == [
        ("InvoiceLine", 1, "7208.37.0030"), ("InvoiceLine", 2, "7208.37.0060")]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        (["invoice", "invoiceNumber"], DELETE, "credentialSubject: 'invoiceNumber' is required"),
        (["invoice", "lines"], DELETE, "credentialSubject: 'lines' is required"),
        (["invoice", "lines", 0, "hsCode"], DELETE, "credentialSubject.lines[0]: 'hsCode' is required"),
        (["invoice", "seller", "legalName"], DELETE, "credentialSubject.seller: 'legalName' is required"),
        (["invoice", "buyer", "address", "addressCountry"], DELETE, "credentialSubject.buyer.address: 'addressCountry' is required"),
        # a party is identified (anyOf)
        (["invoice", "seller", "id"], DELETE, "credentialSubject.seller must be a party identified by an id (a DID or URI) or by a taxId"),
        # patterns
        (["invoice", "seller", "id"], "Aceros", "credentialSubject.seller.id: 'Aceros' is not a DID or URI"),
        (["invoice", "lines", 0, "hsCode"], "7208", "credentialSubject.lines[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        (["invoice", "lines", 1, "countryOfOrigin"], "Mexico", "credentialSubject.lines[1].countryOfOrigin: 'Mexico' is not an ISO 3166-1 alpha-2 country code"),
        (["invoice", "buyer", "address", "addressCountry"], "USA", "credentialSubject.buyer.address.addressCountry: 'USA' is not an ISO 3166-1 alpha-2"),
        (["invoice", "currency"], "usd", "credentialSubject.currency: 'usd' is not an ISO 4217 currency code"),
        (["invoice", "lines", 0, "unitCode"], "tonnes", "credentialSubject.lines[0].unitCode: 'tonnes' is not a UN/ECE Recommendation 20 unit code"),
        (["invoice", "invoiceDate"], "2 Nov 2026", "credentialSubject.invoiceDate: '2 Nov 2026' is not a date written YYYY-MM-DD"),
        (["invoice", "invoiceDate"], "2026-13-02", "credentialSubject.invoiceDate: '2026-13-02' is not a date written YYYY-MM-DD"),
        (["invoice", "incoterms"], "Free on board", "credentialSubject.incoterms: 'Free on board' is not Incoterms 2020 terms of sale"),
        (["invoice", "incoterms"], "FCAX Altamira", "credentialSubject.incoterms: 'FCAX Altamira' is not Incoterms 2020"),
        (["invoice", "seller", "email"], "ventas", "credentialSubject.seller.email: 'ventas' is not an email address"),
        (["invoice", "seller", "phoneNumber"], "call us", "credentialSubject.seller.phoneNumber: 'call us' is not a telephone number"),
        (["invoice", "buyer", "importerOfRecordNumber"], "74", "credentialSubject.buyer.importerOfRecordNumber: '74' is not an importer-of-record number"),
        (["invoice", "buyer", "eori"], "X", "credentialSubject.buyer.eori: 'X' is not an EORI number"),
        (["invoice", "buyer", "traderIdentificationNumber"], "743198265", "credentialSubject.buyer.traderIdentificationNumber: '743198265' is not a WCO-style TIN"),
        # numbers
        (["invoice", "lines", 0, "quantity"], 0, "credentialSubject.lines[0].quantity: 0 is less than or equal to the minimum of 0"),
        (["invoice", "lines", 0, "quantity"], "480", "credentialSubject.lines[0].quantity: '480' is not of type 'number'"),
        (["invoice", "lines", 1, "unitPrice"], -1, "credentialSubject.lines[1].unitPrice: -1 is less than the minimum of 0"),
        (["invoice", "totalValue"], -1, "credentialSubject.totalValue: -1 is less than the minimum of 0"),
        # arrays
        (["invoice", "lines"], [], "credentialSubject.lines: [] should be non-empty"),
        (["invoice", "lines", 0, "heatNumbers"], [], "credentialSubject.lines[0].heatNumbers: [] should be non-empty"),
        (["invoice", "lines", 0, "heatNumbers"], ["H26-40871", "H26-40871"], "credentialSubject.lines[0].heatNumbers: ['H26-40871', 'H26-40871'] has non-unique elements"),
        (["invoice", "lines", 0, "heatNumbers"], [""], "credentialSubject.lines[0].heatNumbers[0]: '' should be non-empty"),
        # strings, types, unknown fields
        (["invoice", "portOfEntry"], "", "credentialSubject.portOfEntry: '' should be non-empty"),
        (["invoice", "seller", "type"], "Person", "credentialSubject.seller.type: 'Organization' was expected"),
        (["invoice", "lines", 0, "type"], "TradeGood", "credentialSubject.lines[0].type: 'InvoiceLine' was expected"),
        (["invoice", "paymentTerms"], "30 days", "credentialSubject: fields are not allowed ('paymentTerms' was unexpected)"),
        (["invoice", "lines", 0, "netWeight"], 480, "credentialSubject.lines[0]: fields are not allowed ('netWeight' was unexpected)"),
        (["invoice", "seller", "website"], "https://x.example", "credentialSubject.seller: fields are not allowed ('website' was unexpected)"),
        # the credential's own fields
        (["validFrom"], "soon", "not a date-time with a timezone (e.g. 2026-01-31T12:00:00Z): 'soon'"),
        (["validUntil"], "2026-11-01T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_schema_constraints_refuse_a_bad_invoice_naming_the_field(path: list[Any], value: Any, message: str,
                                                                  request_: dict[str, Any]) -> None:
    assert message in str(refusal(build_invoice_credential, changed(request_, path, value), SELLER))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["invoice", "lines", 1, "heatNumbers"], DELETE,
         "credentialSubject.lines[1].heatNumbers: a steel line (HS chapter 72 or 73, here 7208.37.0060) must carry the heat numbers"),
        (["invoice", "lines", 0, "currency"], "MXN",
         "credentialSubject.lines[0].currency: a line carries no currency; every line is priced in the invoice's currency (USD)"),
        (["invoice", "totalValue"], 575000,
         "credentialSubject.totalValue: 575,000.00 USD is not the sum of the lines' quantity × unitPrice (575,900.00 USD)"),
        (["invoice", "totalValue"], 575899.98, "is not the sum of the lines' quantity × unitPrice (575,900.00 USD)"),
    ],
)
def test_rules_refuse_a_bad_invoice_naming_the_field(path: list[Any], value: Any, message: str,
                                                     request_: dict[str, Any]) -> None:
    bad = changed(request_, path, value)
    assert message in str(refusal(build_invoice_credential, bad, SELLER))
    assert INVOICE.schema.problems(INVOICE.builder(bad, SELLER, None)) == []  # the rule, not the schema, refuses it


def test_what_the_rules_allow(request_: dict[str, Any]) -> None:
    """A line outside chapters 72/73 needs no heat numbers; a total within a cent of the lines' sum is the sum; no
    total at all is fine."""
    parts = {"description": "Steel wheels for trailers", "hsCode": "8716.90", "quantity": 40, "unitCode": "C62",
             "unitPrice": 55.0, "countryOfOrigin": "MX"}
    request_["invoice"]["lines"].append(parts)
    request_["invoice"]["totalValue"] = 575900 + 40 * 55.0 + 0.004
    credential = build_invoice_credential(request_, SELLER)
    assert credential["credentialSubject"]["lines"][2]["lineNumber"] == 3
    del request_["invoice"]["totalValue"]
    assert "totalValue" not in build_invoice_credential(request_, SELLER)["credentialSubject"]


def test_the_summary_of_a_malformed_subject() -> None:
    """`vctrade show` words any document, even one that fails its schema: what cannot be read is a `?`."""
    assert INVOICE.summary({"type": ["CommercialInvoice"], "credentialSubject": []}) == (
        "commercial invoice ?: 0 line(s), ?, 0.00 ?; ? → ?")
