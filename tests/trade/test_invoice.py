"""Commercial invoices: the shipment's fixture issued and verified, every schema constraint and rule refusing a bad
invoice by naming its field, the CLI as the seller uses it, and `vctrade show`."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from vctrade import Key, issue, sign, verify
from vctrade._show import render
from vctrade.errors import InvalidDocument
from vctrade.model import format_datetime
from vctrade.trade import SHIPMENT_CONTEXT, TRADE_CONTEXT, TRADE_VOCAB, trade_types
from vctrade.trade._types.invoice import INVOICE, build_invoice_credential

NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
CREATED = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)
SELLER = "did:key:z6MksBSpNrwYTsZzuTk7q4meJWBZu7xnGjkSDFPFuwXViBxx"
SUMMARY = ("commercial invoice INV-2026-0417: 2 line(s), 700 TNE, 575,900.00 USD; "
           "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc.")
_DELETE = object()


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/invoice.yaml."""
    return trade_request("shipment", "invoice")


@pytest.fixture(scope="module")
def seller(fixture_key: Callable[[str], Key]) -> Key:
    """Aceros del Norte's key: the seller signs its invoice."""
    return fixture_key("aceros-del-norte")


def _with(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    target = changed
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


def _check(result: Any, name: str) -> Any:
    return next(c for c in result.checks if c.name == name)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_the_fixture_issues_and_verifies_with_every_check_passed(suite: str, seller: Key, request_: dict[str, Any]) -> None:
    issued = issue(request_, seller, trade_type="invoice", suite=suite, created=CREATED)
    credential = issued.credential
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2", TRADE_CONTEXT, SHIPMENT_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "CommercialInvoice", "CommercialInvoiceCredential"]
    assert credential["name"] == "Commercial invoice INV-2026-0417"
    assert credential["credentialSchema"] == {"id": "https://vctrade.dev/schemas/commercial-invoice/v1", "type": "JsonSchema"}
    subject = credential["credentialSubject"]
    assert subject["type"] == "Invoice" and subject["seller"]["type"] == "Organization"
    assert subject["seller"]["address"]["type"] == "PostalAddress"
    assert [(line["type"], line["lineNumber"], line["hsCode"]) for line in subject["lines"]] == [
        ("InvoiceLine", 1, "7208.37.0030"), ("InvoiceLine", 2, "7208.37.0060")]
    result = verify(issued.secured, now=NOW)
    assert result.verified, result.failures
    assert [c for c in result.checks if c.status != "passed"] == []
    assert _check(result, "proof.signature").message.startswith(suite)
    assert _check(result, "schema").message == "conforms to https://vctrade.dev/schemas/commercial-invoice/v1"


def test_every_issued_term_is_defined_by_the_contexts(seller: Key, request_: dict[str, Any]) -> None:
    """Safe mode with no @vocab: the json-ld check passes because every term is defined, not as issuer-dependent.
    The request here uses every optional field the schema allows (a party's identifiers too)."""
    invoice = request_["invoice"]
    invoice["seller"] |= {"taxId": "ADN9803125K4", "traderIdentificationNumber": "MXADN9803125K4", "eori": "MXADN9803125K4"}
    assert {"consignee", "incoterms", "portOfEntry", "totalValue"} <= invoice.keys()
    result = verify(issue(request_, seller, trade_type="invoice", created=CREATED).secured, now=NOW)
    json_ld = _check(result, "json-ld")
    assert json_ld.status == "passed" and json_ld.code == "jsonld_ok" and json_ld.code != "jsonld_issuer_dependent"


def test_the_schema_names_only_terms_the_contexts_define(repo: Path) -> None:
    """Every property the schema allows below credentialSubject is a term of the contexts the invoice uses."""
    contexts = repo / "contexts"
    defined = {term for name in ("credentials-v2.jsonld", "vctrade-trade-v1.jsonld", "vctrade-shipment-v1.jsonld")
               for term in json.loads((contexts / name).read_text(encoding="utf-8"))["@context"]}
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "commercial-invoice-v1.json").read_text(encoding="utf-8"))
    allowed = {key for definition in schema["$defs"].values() for key in definition.get("properties", {})}
    assert allowed - defined == set()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        (["invoice", "invoiceNumber"], _DELETE, "credentialSubject: 'invoiceNumber' is required"),
        (["invoice", "lines"], _DELETE, "credentialSubject: 'lines' is required"),
        (["invoice", "lines", 0, "hsCode"], _DELETE, "credentialSubject.lines[0]: 'hsCode' is required"),
        (["invoice", "seller", "legalName"], _DELETE, "credentialSubject.seller: 'legalName' is required"),
        (["invoice", "buyer", "address", "addressCountry"], _DELETE, "credentialSubject.buyer.address: 'addressCountry' is required"),
        # a party is identified (anyOf)
        (["invoice", "seller", "id"], _DELETE, "credentialSubject.seller must be a party identified by an id (a DID or URI) or by a taxId"),
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
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_invoice_credential(_with(request_, path, value), SELLER)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["invoice", "lines", 1, "heatNumbers"], _DELETE,
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
    bad = _with(request_, path, value)
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_invoice_credential(bad, SELLER)
    assert message in str(raised.value)
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


def test_line_numbers_are_the_builders(request_: dict[str, Any]) -> None:
    request_["invoice"]["lines"][1]["lineNumber"] = 7
    with pytest.raises(InvalidDocument, match=r"invoice\.lines\[1\]\.lineNumber: lines are numbered in request order"):
        build_invoice_credential(request_, SELLER)


def test_line_numbers_must_be_one_to_n(request_: dict[str, Any]) -> None:
    credential = build_invoice_credential(request_, SELLER)
    credential["credentialSubject"]["lines"][1]["lineNumber"] = 1
    assert INVOICE.problems(credential) == ["credentialSubject.lines: line numbers must be 1 to 2, each once, not 1, 1"]


def test_missing_invoice_mapping_and_unknown_request_fields(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs an 'invoice' mapping"):
        build_invoice_credential({"validFrom": "2026-11-02T00:00:00Z"}, SELLER)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): shipment"):
        build_invoice_credential({**request_, "shipment": "GFIL-ATM-26-09912"}, SELLER)


def test_the_credential_must_carry_both_contexts(request_: dict[str, Any]) -> None:
    credential = build_invoice_credential(request_, SELLER)
    credential["@context"].remove(SHIPMENT_CONTEXT)
    assert INVOICE.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1"]
    credential["@context"].remove(TRADE_CONTEXT)
    assert "@context must be a @context list that includes https://vctrade.dev/contexts/trade/v1" in INVOICE.problems(credential)


def test_a_rule_broken_by_a_credential_signed_elsewhere_fails_verification(seller: Key, request_: dict[str, Any]) -> None:
    credential = build_invoice_credential(request_, seller.did)
    del credential["credentialSubject"]["lines"][0]["heatNumbers"]
    result = verify(sign(credential, seller, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert not result.verified and schema.status == "failed" and "lines[0].heatNumbers: a steel line" in schema.message
    assert _check(result, "proof.signature").status == "passed"


def _other_vctrade_types() -> list[str]:
    return sorted(name for name, t in trade_types().items() if t.type_iri.startswith(TRADE_VOCAB) and name != "invoice")


@pytest.mark.parametrize("other", _other_vctrade_types())
def test_an_invoice_retyped_as_another_document_fails_the_schema_check(other: str, seller: Key,
                                                                        request_: dict[str, Any]) -> None:
    """Signed anew with another type's type and schema, the invoice is judged as that type, and is not one."""
    target = trade_types()[other]
    credential = build_invoice_credential(request_, seller.did)
    credential["type"] = ["VerifiableCredential", target.type_names[0]]
    credential["credentialSchema"] = {"id": target.schema.id, "type": "JsonSchema"}
    result = verify(sign(credential, seller, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert schema.status == "failed" and "credentialSubject" in schema.message and not result.verified
    assert _check(result, "proof.signature").status == "passed" and _check(result, "json-ld").status == "passed"


def test_an_invoice_retyped_as_a_bill_of_lading_names_what_a_bill_of_lading_needs(seller: Key, request_: dict[str, Any]) -> None:
    credential = build_invoice_credential(request_, seller.did)
    credential["type"] = ["VerifiableCredential", "BillOfLading", "MultiModalBillOfLadingCredential"]
    result = verify(sign(credential, seller, created=CREATED), now=NOW)
    message = _check(result, "schema").message
    assert "credentialSubject: 'billOfLadingNumber' is required" in message
    assert "type must be a type list that includes CommercialInvoice" in message  # its credentialSchema still applies


def test_show_prints_the_summary(seller: Key, request_: dict[str, Any]) -> None:
    secured = issue(request_, seller, trade_type="invoice", created=CREATED).secured
    assert isinstance(secured, dict)
    text = render(secured)
    assert text.splitlines()[1].strip() == SUMMARY
    assert INVOICE.summary({"type": ["CommercialInvoice"], "credentialSubject": []}) == (
        "commercial invoice ?: 0 line(s), ?, 0.00 ?; ? → ?")


def test_both_schema_validators_give_the_same_verdict(request_: dict[str, Any]) -> None:
    """jsonschema-rs decides conformance and jsonschema explains it: seeded mutations of the fixture agree."""
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "commercial-invoice-v1.json").read_text(encoding="utf-8"))
    slow = jsonschema.Draft202012Validator(schema)
    fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    credential = build_invoice_credential(request_, SELLER)
    assert fast.is_valid(credential) and slow.is_valid(credential)
    values: list[Any] = [None, True, 0, -1, 1.5, "", "x", "99", "2026-13-45", "US", "USA", [], {}, ["A", "A"],
                         "did:web:example.com", "7208", "7208.37", "FOB Houston", "FOBX"]
    rng, invalid = random.Random(20261115), 0
    paths = _paths(credential)
    for _ in range(600):
        candidate = copy.deepcopy(credential)
        path = rng.choice(paths)
        parent: Any = candidate
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(values))
        verdict = slow.is_valid(candidate)
        assert fast.is_valid(candidate) == verdict, json.dumps(candidate)[:300]
        invalid += not verdict
    assert invalid > 150


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


# -- the CLI -------------------------------------------------------------------------------------------


def test_cli_issues_shows_and_verifies_the_invoice(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                   fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    out = tmp_path / "invoice.json"
    issued = run_cli("issue", "invoice", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"),
                     "--from", str(fixtures_dir / "shipment/invoice.yaml"), "-o", str(out),
                     "--registry", str(tmp_path / "registry.sqlite"))
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["id"] == "urn:uuid:3b7e1c52-8d4f-4e0a-9c61-2f5a8e7d4b10"
    assert credential["issuer"] == {"id": SELLER, "name": "Aceros del Norte S.A. de C.V."}
    assert "Nuevo León" in out.read_text(encoding="utf-8")
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and SUMMARY in shown.stdout
    verified = run_cli("verify", str(out), "--json", "--now", format_datetime(max(datetime.now(timezone.utc), NOW)))
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, report
    assert {c["name"]: c["status"] for c in report["checks"]}["schema"] == "passed"
    listing = run_cli("issue")
    assert listing.returncode == 0 and "invoice" in listing.stdout and "commercial invoice" in listing.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('  invoiceDate: "2026-11-02"\n', ""), "credentialSubject: 'invoiceDate' is required"),
        (lambda text: text.replace('hsCode: "7208.37.0060"', 'hsCode: "7208"'),
         "credentialSubject.lines[1].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        (lambda text: text.replace("validFrom:", "colour: red\nvalidFrom:"), "unknown request field(s): colour"),
        (lambda text: text.replace("  currency: USD\n", "  currency: USD\n  paymentTerms: net 30\n"),
         "credentialSubject: fields are not allowed ('paymentTerms' was unexpected)"),
    ],
)
def test_cli_refuses_bad_requests_with_one_line_and_writes_nothing(
        edit: Callable[[str], str], message: str, tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
        fixtures_dir: Path) -> None:
    request = tmp_path / "invoice.yaml"
    request.write_text(edit((fixtures_dir / "shipment/invoice.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "invoice", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from", str(request),
                     "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_cli_refuses_broken_yaml(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    request = tmp_path / "invoice.yaml"
    request.write_text("invoice:\n  invoiceNumber: [INV-2026-0417\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "invoice", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from", str(request),
                     "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.startswith(f"error: {request} is not valid YAML")
