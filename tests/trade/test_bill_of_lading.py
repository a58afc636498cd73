"""Multimodal bills of lading: the shipment's fixture issued and verified, every schema constraint and rule refusing a
bad bill by naming its field, ISO 6346 check digits, the CLI as the carrier uses it, and `vctrade show`."""

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
from vctrade.trade._types.bill_of_lading import (
    BILL_OF_LADING,
    build_bill_of_lading_credential,
    iso6346_check_digit,
)

NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
CREATED = datetime(2026, 11, 6, 18, tzinfo=timezone.utc)
CARRIER = "did:key:z6MkhghMibRvQ9j2yagTkQ6NZvCma6RBwer9qU4cPsf3CZoU"
SUMMARY = ("bill of lading GFIL-ATM-26-09912: Altamira (MXATM) → Houston (USHOU) on MV Golfo Azul 026N, shipped on board "
           "2026-11-06; 3 container(s), 2 good(s), 38 package(s), 712.4 TNE gross; "
           "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc.")
BILL = ["billOfLading"]
_DELETE = object()


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/bill-of-lading.yaml."""
    return trade_request("shipment", "bill-of-lading")


@pytest.fixture(scope="module")
def carrier(fixture_key: Callable[[str], Key]) -> Key:
    """Gulf Intermodal Lines' key: the carrier signs its bill of lading."""
    return fixture_key("gulf-intermodal")


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
def test_the_fixture_issues_and_verifies_with_every_check_passed(suite: str, carrier: Key, request_: dict[str, Any]) -> None:
    issued = issue(request_, carrier, trade_type="bill-of-lading", suite=suite, created=CREATED)
    credential = issued.credential
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2", TRADE_CONTEXT, SHIPMENT_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "BillOfLading", "MultiModalBillOfLadingCredential"]
    assert credential["name"] == "Bill of lading GFIL-ATM-26-09912"
    assert credential["credentialSchema"] == {"id": "https://vctrade.dev/schemas/bill-of-lading/v1", "type": "JsonSchema"}
    subject = credential["credentialSubject"]
    assert subject["type"] == "MultiModalBillOfLading"
    assert {subject[p]["type"] for p in ("shipper", "consignee", "notifyParty", "carrier")} == {"Organization"}
    assert {subject[p]["type"] for p in ("placeOfReceipt", "portOfLoading", "portOfDischarge", "placeOfDelivery")} == {"Place"}
    assert [c["type"] for c in subject["containers"]] == ["Container"] * 3
    assert [g["type"] for g in subject["goods"]] == ["ShippedGood"] * 2
    result = verify(issued.secured, now=NOW)
    assert result.verified, result.failures
    assert [c for c in result.checks if c.status != "passed"] == []
    assert _check(result, "proof.signature").message.startswith(suite)
    assert _check(result, "schema").message == "conforms to https://vctrade.dev/schemas/bill-of-lading/v1"


def test_every_issued_term_is_defined_by_the_contexts(carrier: Key, request_: dict[str, Any]) -> None:
    """Safe mode with no @vocab: the json-ld check passes because every term is defined, not as issuer-dependent.
    The request here uses every optional field the schema allows (a party's identifiers too)."""
    bill = request_["billOfLading"]
    bill["shipper"] |= {"taxId": "ADN9803125K4", "traderIdentificationNumber": "MXADN9803125K4", "eori": "MXADN9803125K4",
                        "email": "embarques@aceros-del-norte.example", "phoneNumber": "+52 81 8150 4502"}
    assert {"bookingNumber", "notifyParty", "vessel", "voyageNumber", "placeOfReceipt", "placeOfDelivery", "containers"} <= bill.keys()
    result = verify(issue(request_, carrier, trade_type="bill-of-lading", created=CREATED).secured, now=NOW)
    json_ld = _check(result, "json-ld")
    assert json_ld.status == "passed" and json_ld.code == "jsonld_ok" and json_ld.code != "jsonld_issuer_dependent"


def test_the_schema_names_only_terms_the_contexts_define(repo: Path) -> None:
    """Every property the schema allows below credentialSubject is a term of the contexts the bill uses."""
    contexts = repo / "contexts"
    defined = {term for name in ("credentials-v2.jsonld", "vctrade-trade-v1.jsonld", "vctrade-shipment-v1.jsonld")
               for term in json.loads((contexts / name).read_text(encoding="utf-8"))["@context"]}
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "bill-of-lading-v1.json").read_text(encoding="utf-8"))
    allowed = {key for definition in schema["$defs"].values() for key in definition.get("properties", {})}
    assert allowed - defined == set()


def test_iso6346_check_digits() -> None:
    assert iso6346_check_digit("CSQU3054383") == 3  # ISO 6346's own example
    assert iso6346_check_digit("GFIU1000070") == 0  # a remainder of 10 is written 0
    assert [iso6346_check_digit(n) for n in ("GFIU4120736", "GFIU4120886", "GFIU4120910")] == [6, 6, 0]  # the fixture's


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        ([*BILL, "billOfLadingNumber"], _DELETE, "credentialSubject: 'billOfLadingNumber' is required"),
        ([*BILL, "carrier"], _DELETE, "credentialSubject: 'carrier' is required"),
        ([*BILL, "portOfLoading"], _DELETE, "credentialSubject: 'portOfLoading' is required"),
        ([*BILL, "shippedOnBoardDate"], _DELETE, "credentialSubject: 'shippedOnBoardDate' is required"),
        ([*BILL, "goods", 1, "grossWeight"], _DELETE, "credentialSubject.goods[1]: 'grossWeight' is required"),
        ([*BILL, "goods", 0, "weightUnit"], _DELETE, "credentialSubject.goods[0]: 'weightUnit' is required"),
        ([*BILL, "portOfDischarge", "name"], _DELETE, "credentialSubject.portOfDischarge: 'name' is required"),
        ([*BILL, "containers", 1, "containerNumber"], _DELETE, "credentialSubject.containers[1]: 'containerNumber' is required"),
        ([*BILL, "carrier", "legalName"], _DELETE, "credentialSubject.carrier: 'legalName' is required"),
        # a party is identified (anyOf), the carrier too
        ([*BILL, "shipper", "id"], _DELETE, "credentialSubject.shipper must be a party identified by an id (a DID or URI)"),
        ([*BILL, "carrier", "id"], _DELETE, "credentialSubject.carrier must be a party identified by an id (a DID or URI)"),
        # patterns
        ([*BILL, "carrier", "scac"], "gfil", "credentialSubject.carrier.scac: 'gfil' is not a Standard Carrier Alpha Code"),
        ([*BILL, "carrier", "scac"], "GFILX", "credentialSubject.carrier.scac: 'GFILX' is not a Standard Carrier Alpha Code"),
        ([*BILL, "portOfLoading", "unLocode"], "MX-ATM", "credentialSubject.portOfLoading.unLocode: 'MX-ATM' is not a UN/LOCODE"),
        ([*BILL, "placeOfReceipt", "unLocode"], "MXMT1", "credentialSubject.placeOfReceipt.unLocode: 'MXMT1' is not a UN/LOCODE"),
        ([*BILL, "placeOfDelivery", "addressCountry"], "USA", "credentialSubject.placeOfDelivery.addressCountry: 'USA' is not an ISO 3166-1 alpha-2"),
        ([*BILL, "containers", 0, "containerNumber"], "GFIU412073",
         "credentialSubject.containers[0].containerNumber: 'GFIU412073' is not an ISO 6346 container number"),
        ([*BILL, "shippedOnBoardDate"], "06/11/2026", "credentialSubject.shippedOnBoardDate: '06/11/2026' is not a date written YYYY-MM-DD"),
        ([*BILL, "goods", 0, "hsCode"], "7208", "credentialSubject.goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        ([*BILL, "consignee", "importerOfRecordNumber"], "74 3198265",
         "credentialSubject.consignee.importerOfRecordNumber: '74 3198265' is not an importer-of-record number"),
        ([*BILL, "notifyParty", "phoneNumber"], "ask Rio Bravo", "credentialSubject.notifyParty.phoneNumber: 'ask Rio Bravo' is not a telephone number"),
        ([*BILL, "carrier", "id"], "Gulf Intermodal", "credentialSubject.carrier.id: 'Gulf Intermodal' is not a DID or URI"),
        # enum
        ([*BILL, "goods", 0, "weightUnit"], "KG", "credentialSubject.goods[0].weightUnit: 'KG' is not a mass unit: KGM, TNE or LBR"),
        # numbers
        ([*BILL, "goods", 0, "grossWeight"], 0, "credentialSubject.goods[0].grossWeight: 0 is less than or equal to the minimum of 0"),
        ([*BILL, "goods", 0, "packageCount"], 0, "credentialSubject.goods[0].packageCount: 0 is less than the minimum of 1"),
        ([*BILL, "goods", 0, "packageCount"], 26.5, "credentialSubject.goods[0].packageCount: 26.5 is not of type 'integer'"),
        # arrays
        ([*BILL, "goods"], [], "credentialSubject.goods: [] should be non-empty"),
        ([*BILL, "containers"], [], "credentialSubject.containers: [] should be non-empty"),
        ([*BILL, "containers", 0, "seals"], [""], "credentialSubject.containers[0].seals[0]: '' should be non-empty"),
        ([*BILL, "containers", 0, "seals"], "GFIL-S-884120", "credentialSubject.containers[0].seals: 'GFIL-S-884120' is not of type 'array'"),
        # strings, types, unknown fields
        ([*BILL, "vessel"], "", "credentialSubject.vessel: '' should be non-empty"),
        ([*BILL, "portOfLoading", "type"], "Port", "credentialSubject.portOfLoading.type: 'Place' was expected"),
        ([*BILL, "containers", 0, "type"], "FlatRack", "credentialSubject.containers[0].type: 'Container' was expected"),
        ([*BILL, "freightCharges"], "prepaid", "credentialSubject: fields are not allowed ('freightCharges' was unexpected)"),
        ([*BILL, "portOfLoading", "terminal"], "TMA", "credentialSubject.portOfLoading: fields are not allowed ('terminal' was unexpected)"),
        ([*BILL, "containers", 0, "sizeType"], "45P3", "credentialSubject.containers[0]: fields are not allowed ('sizeType' was unexpected)"),
        ([*BILL, "goods", 0, "netWeight"], 480, "credentialSubject.goods[0]: fields are not allowed ('netWeight' was unexpected)"),
        ([*BILL, "shipper", "scac"], "ADNM", "credentialSubject.shipper: fields are not allowed ('scac' was unexpected)"),
        # the credential's own fields
        (["validUntil"], "2026-11-01T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_schema_constraints_refuse_a_bad_bill_naming_the_field(path: list[Any], value: Any, message: str,
                                                               request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_bill_of_lading_credential(_with(request_, path, value), CARRIER)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ([*BILL, "containers", 2, "containerNumber"], "GFIU4120736",
         "credentialSubject.containers[2].containerNumber: container GFIU4120736 is listed twice (also containers[0])"),
        ([*BILL, "containers", 1, "containerNumber"], "GFIU4120887",
         "credentialSubject.containers[1].containerNumber: GFIU4120887 fails the ISO 6346 check digit (its 11th digit should be 6)"),
        ([*BILL, "portOfDischarge"], {"name": "Altamira, Tamaulipas", "unLocode": "MXATM"},
         "credentialSubject.portOfDischarge: the port of discharge (MXATM) is the port of loading"),
    ],
)
def test_rules_refuse_a_bad_bill_naming_the_field(path: list[Any], value: Any, message: str, request_: dict[str, Any]) -> None:
    bad = _with(request_, path, value)
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_bill_of_lading_credential(bad, CARRIER)
    assert message in str(raised.value)
    assert BILL_OF_LADING.schema.problems(BILL_OF_LADING.builder(bad, CARRIER, None)) == []  # the rule refuses it


def test_what_the_rules_allow(request_: dict[str, Any]) -> None:
    """Ports are compared by UN/LOCODE only (a port without one is not judged the same by name); breakbulk cargo has
    no containers; a container needs no seals; lines come in any weight unit."""
    bill = request_["billOfLading"]
    bill["portOfDischarge"] = {"name": "Altamira"}
    del bill["containers"]
    bill["goods"][1] |= {"grossWeight": 491189.1, "weightUnit": "LBR"}
    assert "containers" not in build_bill_of_lading_credential(request_, CARRIER)["credentialSubject"]
    bill["containers"] = [{"containerNumber": "CSQU3054383"}]
    assert build_bill_of_lading_credential(request_, CARRIER)["credentialSubject"]["containers"] == [
        {"type": "Container", "containerNumber": "CSQU3054383"}]


def test_missing_bill_mapping_and_unknown_request_fields(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs a 'billOfLading' mapping"):
        build_bill_of_lading_credential({"bill": request_["billOfLading"]}, CARRIER)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): vessel"):
        build_bill_of_lading_credential({**request_, "vessel": "MV Golfo Azul"}, CARRIER)


def test_the_credential_must_carry_both_contexts(request_: dict[str, Any]) -> None:
    credential = build_bill_of_lading_credential(request_, CARRIER)
    credential["@context"].remove(SHIPMENT_CONTEXT)
    assert BILL_OF_LADING.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1"]


def test_a_rule_broken_by_a_credential_signed_elsewhere_fails_verification(carrier: Key, request_: dict[str, Any]) -> None:
    credential = build_bill_of_lading_credential(request_, carrier.did)
    credential["credentialSubject"]["containers"][0]["containerNumber"] = "GFIU4120730"
    result = verify(sign(credential, carrier, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert not result.verified and schema.status == "failed" and "containers[0].containerNumber: GFIU4120730 fails" in schema.message
    assert _check(result, "proof.signature").status == "passed"


def _other_vctrade_types() -> list[str]:
    return sorted(name for name, t in trade_types().items() if t.type_iri.startswith(TRADE_VOCAB) and name != "bill-of-lading")


@pytest.mark.parametrize("other", _other_vctrade_types())
def test_a_bill_retyped_as_another_document_fails_the_schema_check(other: str, carrier: Key, request_: dict[str, Any]) -> None:
    """Signed anew with another type's type and schema, the bill is judged as that type, and is not one."""
    target = trade_types()[other]
    credential = build_bill_of_lading_credential(request_, carrier.did)
    credential["type"] = ["VerifiableCredential", target.type_names[0]]
    credential["credentialSchema"] = {"id": target.schema.id, "type": "JsonSchema"}
    result = verify(sign(credential, carrier, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert schema.status == "failed" and "credentialSubject" in schema.message and not result.verified
    assert _check(result, "proof.signature").status == "passed" and _check(result, "json-ld").status == "passed"


def test_a_bill_retyped_as_a_mill_test_report_names_what_a_report_needs(carrier: Key, request_: dict[str, Any]) -> None:
    credential = build_bill_of_lading_credential(request_, carrier.did)
    credential["type"] = ["VerifiableCredential", "MillTestReport", "MillTestReportCredential"]
    result = verify(sign(credential, carrier, created=CREATED), now=NOW)
    message = _check(result, "schema").message
    assert "credentialSubject: 'reportNumber' is required" in message
    assert "type must be a type list that includes BillOfLading" in message  # its credentialSchema still applies


def test_show_prints_the_summary(carrier: Key, request_: dict[str, Any]) -> None:
    secured = issue(request_, carrier, trade_type="bill-of-lading", created=CREATED).secured
    assert isinstance(secured, dict)
    text = render(secured)
    assert text.splitlines()[1].strip() == SUMMARY
    assert BILL_OF_LADING.summary({"credentialSubject": {"goods": [{"grossWeight": True}]}}) == (
        "bill of lading ?: ? → ?, shipped on board ?; 0 container(s), 1 good(s), ? gross; ? → ?")


def test_both_schema_validators_give_the_same_verdict(request_: dict[str, Any]) -> None:
    """jsonschema-rs decides conformance and jsonschema explains it: seeded mutations of the fixture agree."""
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "bill-of-lading-v1.json").read_text(encoding="utf-8"))
    slow = jsonschema.Draft202012Validator(schema)
    fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    credential = build_bill_of_lading_credential(request_, CARRIER)
    assert fast.is_valid(credential) and slow.is_valid(credential)
    values: list[Any] = [None, True, 0, -1, 1.5, 26, "", "x", "99", "US", "USA", "MXATM", "MXAT1", "GFIL", "gfil",
                         "GFIU4120736", "KGM", "KG", [], {}, ["A"], {"name": "Houston"}, "did:web:example.com", "7208.37"]
    rng, invalid = random.Random(20261106), 0
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


def test_cli_issues_shows_and_verifies_the_bill(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    out = tmp_path / "bol.json"
    issued = run_cli("issue", "bill-of-lading", "--key", str(fixtures_dir / "keys/gulf-intermodal.jwk"),
                     "--from", str(fixtures_dir / "shipment/bill-of-lading.yaml"), "-o", str(out),
                     "--registry", str(tmp_path / "registry.sqlite"))
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["issuer"] == {"id": CARRIER, "name": "Gulf Intermodal Lines"}
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and SUMMARY in shown.stdout
    verified = run_cli("verify", str(out), "--json", "--now", format_datetime(max(datetime.now(timezone.utc), NOW)))
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, report
    assert {c["name"]: c["status"] for c in report["checks"]}["schema"] == "passed"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('  shippedOnBoardDate: "2026-11-06"\n', ""), "credentialSubject: 'shippedOnBoardDate' is required"),
        (lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "7208"', 1),
         "credentialSubject.goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        (lambda text: text.replace("validFrom:", "carrier: GFIL\nvalidFrom:"), "unknown request field(s): carrier"),
        (lambda text: text.replace("GFIU4120886", "GFIU4120887"),
         "credentialSubject.containers[1].containerNumber: GFIU4120887 fails the ISO 6346 check digit"),
    ],
)
def test_cli_refuses_bad_requests_with_one_line_and_writes_nothing(
        edit: Callable[[str], str], message: str, tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
        fixtures_dir: Path) -> None:
    request = tmp_path / "bol.yaml"
    request.write_text(edit((fixtures_dir / "shipment/bill-of-lading.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "bill-of-lading", "--key", str(fixtures_dir / "keys/gulf-intermodal.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_cli_refuses_broken_yaml(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    request = tmp_path / "bol.yaml"
    request.write_text("billOfLading:\n  portOfLoading: {name: Altamira\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "bill-of-lading", "--key", str(fixtures_dir / "keys/gulf-intermodal.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.startswith(f"error: {request} is not valid YAML")
