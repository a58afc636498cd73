"""Mill test reports: the shipment's fixture issued and verified, every schema constraint and rule refusing a bad
report by naming its field, the CLI as the mill uses it, and `vctrade show`."""

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
from vctrade.trade._types.mill_test_report import (
    MILL_TEST_REPORT,
    build_mill_test_report_credential,
)

NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
CREATED = datetime(2026, 10, 28, 12, tzinfo=timezone.utc)
MILL = "did:key:z6MkuTFGeN1rWhb59pcBPRtRdPkqE3jh7pwDpsAHTtAkKbNH"
SUMMARY = ("mill test report MTR-SG-26-1187 (EN 10204 3.1): Hot-rolled steel coils, ASTM A1011 / ASTM A36 grade "
           "CS Type B / A36; 3 heat(s), 700 TNE; melted and poured in MX; mill Siderúrgica del Golfo S.A. de C.V.")
HEAT = ["millTestReport", "heats", 0]
_DELETE = object()


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/mill-test-report.yaml."""
    return trade_request("shipment", "mill-test-report")


@pytest.fixture(scope="module")
def mill(fixture_key: Callable[[str], Key]) -> Key:
    """Siderúrgica del Golfo's key: the mill signs its report."""
    return fixture_key("siderurgica-golfo")


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
def test_the_fixture_issues_and_verifies_with_every_check_passed(suite: str, mill: Key, request_: dict[str, Any]) -> None:
    issued = issue(request_, mill, trade_type="mill-test-report", suite=suite, created=CREATED)
    credential = issued.credential
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2", TRADE_CONTEXT, SHIPMENT_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "MillTestReport", "MillTestReportCredential"]
    assert credential["name"] == "Mill test report MTR-SG-26-1187" and "validUntil" not in credential
    assert credential["credentialSchema"] == {"id": "https://vctrade.dev/schemas/mill-test-report/v1", "type": "JsonSchema"}
    subject = credential["credentialSubject"]
    assert subject["type"] == "InspectionCertificate" and subject["mill"]["type"] == "Organization"
    assert [heat["type"] for heat in subject["heats"]] == ["Heat"] * 3
    assert subject["heats"][2]["chemicalComposition"]["C"] == 0.18  # a JSON literal, kept as written
    result = verify(issued.secured, now=NOW)
    assert result.verified, result.failures
    assert [c for c in result.checks if c.status != "passed"] == []
    assert _check(result, "proof.signature").message.startswith(suite)
    assert _check(result, "schema").message == "conforms to https://vctrade.dev/schemas/mill-test-report/v1"


def test_chemistry_and_mechanics_are_signed(mill: Key, request_: dict[str, Any]) -> None:
    """chemicalComposition and mechanicalProperties are @json literals: RDFC signs their content too."""
    secured = issue(request_, mill, trade_type="mill-test-report", created=CREATED).secured
    assert isinstance(secured, dict)
    for path, value in ((["chemicalComposition", "S"], 0.08), (["mechanicalProperties", "yieldStrength", "value"], 355)):
        tampered = copy.deepcopy(secured)
        target: Any = tampered["credentialSubject"]["heats"][1]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        result = verify(tampered, now=NOW)
        assert not result.verified and _check(result, "proof.signature").status == "failed"


def test_every_issued_term_is_defined_by_the_contexts(mill: Key, request_: dict[str, Any]) -> None:
    """Safe mode with no @vocab: the json-ld check passes because every term is defined, not as issuer-dependent.
    The request here uses every optional field the schema allows (a party's identifiers too)."""
    report = request_["millTestReport"]
    report["mill"] |= {"taxId": "SGO870512AB1", "traderIdentificationNumber": "MXSGO870512AB1", "eori": "MXSGO870512AB1"}
    assert {"inspectionDocumentType", "hsCode", "countryOfOrigin"} <= report.keys()
    result = verify(issue(request_, mill, trade_type="mill-test-report", created=CREATED).secured, now=NOW)
    json_ld = _check(result, "json-ld")
    assert json_ld.status == "passed" and json_ld.code == "jsonld_ok" and json_ld.code != "jsonld_issuer_dependent"


def test_the_schema_names_only_terms_the_contexts_define(repo: Path) -> None:
    """Every property the schema allows is a term of the contexts, except inside the two JSON literals."""
    contexts = repo / "contexts"
    defined = {term for name in ("credentials-v2.jsonld", "vctrade-trade-v1.jsonld", "vctrade-shipment-v1.jsonld")
               for term in json.loads((contexts / name).read_text(encoding="utf-8"))["@context"]}
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "mill-test-report-v1.json").read_text(encoding="utf-8"))
    literals = {"chemicalComposition", "mechanicalProperties", "strength"}  # what only the @json literals hold
    allowed = {key for name, definition in schema["$defs"].items() if name not in literals
               for key in definition.get("properties", {})}
    assert allowed - defined == set()
    shipment = json.loads((contexts / "vctrade-shipment-v1.jsonld").read_text(encoding="utf-8"))["@context"]
    assert all(shipment[name]["@type"] == "@json" for name in ("chemicalComposition", "mechanicalProperties"))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        (["millTestReport", "reportNumber"], _DELETE, "credentialSubject: 'reportNumber' is required"),
        (["millTestReport", "countryOfMeltAndPour"], _DELETE, "credentialSubject: 'countryOfMeltAndPour' is required"),
        (["millTestReport", "heats"], _DELETE, "credentialSubject: 'heats' is required"),
        ([*HEAT, "chemicalComposition"], _DELETE, "credentialSubject.heats[0]: 'chemicalComposition' is required"),
        ([*HEAT, "mechanicalProperties", "yieldStrength", "unitCode"], _DELETE,
         "credentialSubject.heats[0].mechanicalProperties.yieldStrength: 'unitCode' is required"),
        (["millTestReport", "mill", "legalName"], _DELETE, "credentialSubject.mill: 'legalName' is required"),
        # a party is identified (anyOf)
        (["millTestReport", "mill", "id"], _DELETE, "credentialSubject.mill must be a party identified by an id (a DID or URI)"),
        # patterns
        (["millTestReport", "mill", "id"], "Siderurgica", "credentialSubject.mill.id: 'Siderurgica' is not a DID or URI"),
        (["millTestReport", "countryOfMeltAndPour"], "Mexico", "credentialSubject.countryOfMeltAndPour: 'Mexico' is not an ISO 3166-1 alpha-2 country code"),
        (["millTestReport", "countryOfOrigin"], "mx", "credentialSubject.countryOfOrigin: 'mx' is not an ISO 3166-1 alpha-2"),
        (["millTestReport", "hsCode"], "72", "credentialSubject.hsCode: '72' is not an HS tariff classification of at least 6 digits"),
        ([*HEAT, "unitCode"], "tonnes", "credentialSubject.heats[0].unitCode: 'tonnes' is not a UN/ECE Recommendation 20 unit code"),
        ([*HEAT, "mechanicalProperties", "tensileStrength", "unitCode"], "MPa",
         "credentialSubject.heats[0].mechanicalProperties.tensileStrength.unitCode: 'MPa' is not a UN/ECE Recommendation 20 unit code"),
        ([*HEAT, "chemicalComposition", "Carbon"], 0.06,
         "credentialSubject.heats[0].chemicalComposition: 'Carbon' is not a chemical element symbol such as C, Mn or Si"),
        (["millTestReport", "mill", "email"], "calidad", "credentialSubject.mill.email: 'calidad' is not an email address"),
        # numbers
        ([*HEAT, "chemicalComposition", "Mn"], 120, "credentialSubject.heats[0].chemicalComposition.Mn: 120 is greater than the maximum of 100"),
        ([*HEAT, "chemicalComposition", "P"], -0.01, "credentialSubject.heats[0].chemicalComposition.P: -0.01 is less than the minimum of 0"),
        ([*HEAT, "chemicalComposition", "C"], "0.06", "credentialSubject.heats[0].chemicalComposition.C: '0.06' is not of type 'number'"),
        ([*HEAT, "mechanicalProperties", "elongation"], 134, "credentialSubject.heats[0].mechanicalProperties.elongation: 134 is greater than the maximum of 100"),
        ([*HEAT, "mechanicalProperties", "yieldStrength", "value"], 0,
         "credentialSubject.heats[0].mechanicalProperties.yieldStrength.value: 0 is less than or equal to the minimum of 0"),
        ([*HEAT, "quantity"], 0, "credentialSubject.heats[0].quantity: 0 is less than or equal to the minimum of 0"),
        # arrays and objects
        (["millTestReport", "heats"], [], "credentialSubject.heats: [] should be non-empty"),
        ([*HEAT, "chemicalComposition"], {}, "credentialSubject.heats[0].chemicalComposition: {} should be non-empty"),
        ([*HEAT, "mechanicalProperties"], {}, "credentialSubject.heats[0].mechanicalProperties: {} should be non-empty"),
        ([*HEAT, "mechanicalProperties"], "see PDF", "credentialSubject.heats[0].mechanicalProperties: 'see PDF' is not of type 'object'"),
        # a quantity needs its unit
        ([*HEAT, "unitCode"], _DELETE, "credentialSubject.heats[0]: 'unitCode' is a dependency of 'quantity'"),
        # strings, types, unknown fields
        (["millTestReport", "product"], "", "credentialSubject.product: '' should be non-empty"),
        ([*HEAT, "type"], "Coil", "credentialSubject.heats[0].type: 'Heat' was expected"),
        (["millTestReport", "colour"], "grey", "credentialSubject: fields are not allowed ('colour' was unexpected)"),
        ([*HEAT, "coilWeight"], 18.5, "credentialSubject.heats[0]: fields are not allowed ('coilWeight' was unexpected)"),
        ([*HEAT, "mechanicalProperties", "hardness"], 140,
         "credentialSubject.heats[0].mechanicalProperties: fields are not allowed ('hardness' was unexpected)"),
        ([*HEAT, "mechanicalProperties", "yieldStrength", "method"], "0.2% offset",
         "credentialSubject.heats[0].mechanicalProperties.yieldStrength: fields are not allowed ('method' was unexpected)"),
        # the credential's own fields
        (["validUntil"], "2026-10-01T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_schema_constraints_refuse_a_bad_report_naming_the_field(path: list[Any], value: Any, message: str,
                                                                 request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_mill_test_report_credential(_with(request_, path, value), MILL)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["millTestReport", "heats", 2, "heatNumber"], "H26-40871",
         "credentialSubject.heats[2].heatNumber: heat H26-40871 is listed twice (also heats[0])"),
        ([*HEAT, "chemicalComposition", "Fe"], 99.5,
         "credentialSubject.heats[0].chemicalComposition: the elements add up to 100.185%, more than 100%"),
        ([*HEAT, "mechanicalProperties", "tensileStrength", "value"], 250,
         "credentialSubject.heats[0].mechanicalProperties.tensileStrength: 250 MPA is below the yield strength 262 MPA"),
    ],
)
def test_rules_refuse_a_bad_report_naming_the_field(path: list[Any], value: Any, message: str,
                                                    request_: dict[str, Any]) -> None:
    bad = _with(request_, path, value)
    with pytest.raises(InvalidDocument, match="the request is not a valid credential") as raised:
        build_mill_test_report_credential(bad, MILL)
    assert message in str(raised.value)
    assert MILL_TEST_REPORT.schema.problems(MILL_TEST_REPORT.builder(bad, MILL, None)) == []  # the rule refuses it


def test_what_the_rules_allow(request_: dict[str, Any]) -> None:
    """Strengths in different units are not compared; elements may add up to exactly 100%; a heat needs no quantity."""
    heats = request_["millTestReport"]["heats"]
    heats[0]["mechanicalProperties"]["tensileStrength"] = {"value": 60, "unitCode": "KSI"}  # ksi vs MPa: not compared
    heats[1]["chemicalComposition"] = {"Fe": 98.5, "Mn": 1.0, "C": 0.5}
    del heats[2]["quantity"], heats[2]["unitCode"]
    subject = build_mill_test_report_credential(request_, MILL)["credentialSubject"]
    assert "quantity" not in subject["heats"][2]


def test_missing_report_mapping_and_unknown_request_fields(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs a 'millTestReport' mapping"):
        build_mill_test_report_credential({"report": request_["millTestReport"]}, MILL)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): heats"):
        build_mill_test_report_credential({**request_, "heats": []}, MILL)


def test_the_credential_must_carry_both_contexts(request_: dict[str, Any]) -> None:
    credential = build_mill_test_report_credential(request_, MILL)
    credential["@context"].remove(SHIPMENT_CONTEXT)
    assert MILL_TEST_REPORT.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1"]


def test_a_rule_broken_by_a_credential_signed_elsewhere_fails_verification(mill: Key, request_: dict[str, Any]) -> None:
    credential = build_mill_test_report_credential(request_, mill.did)
    credential["credentialSubject"]["heats"][1]["heatNumber"] = "H26-40871"
    result = verify(sign(credential, mill, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert not result.verified and schema.status == "failed" and "heats[1].heatNumber: heat H26-40871 is listed twice" in schema.message
    assert _check(result, "proof.signature").status == "passed"


def _other_vctrade_types() -> list[str]:
    return sorted(name for name, t in trade_types().items()
                  if t.type_iri.startswith(TRADE_VOCAB) and name != "mill-test-report")


@pytest.mark.parametrize("other", _other_vctrade_types())
def test_a_report_retyped_as_another_document_fails_the_schema_check(other: str, mill: Key, request_: dict[str, Any]) -> None:
    """Signed anew with another type's type and schema, the report is judged as that type, and is not one."""
    target = trade_types()[other]
    credential = build_mill_test_report_credential(request_, mill.did)
    credential["type"] = ["VerifiableCredential", target.type_names[0]]
    credential["credentialSchema"] = {"id": target.schema.id, "type": "JsonSchema"}
    result = verify(sign(credential, mill, created=CREATED), now=NOW)
    schema = _check(result, "schema")
    assert schema.status == "failed" and "credentialSubject" in schema.message and not result.verified
    assert _check(result, "proof.signature").status == "passed" and _check(result, "json-ld").status == "passed"


def test_a_report_retyped_as_an_invoice_names_what_an_invoice_needs(mill: Key, request_: dict[str, Any]) -> None:
    credential = build_mill_test_report_credential(request_, mill.did)
    credential["type"] = ["VerifiableCredential", "CommercialInvoice", "CommercialInvoiceCredential"]
    result = verify(sign(credential, mill, created=CREATED), now=NOW)
    message = _check(result, "schema").message
    assert "credentialSubject: 'invoiceNumber' is required" in message
    assert "type must be a type list that includes MillTestReport" in message  # its credentialSchema still applies


def test_show_prints_the_summary(mill: Key, request_: dict[str, Any]) -> None:
    secured = issue(request_, mill, trade_type="mill-test-report", created=CREATED).secured
    assert isinstance(secured, dict)
    text = render(secured)
    assert text.splitlines()[1].strip() == SUMMARY
    assert MILL_TEST_REPORT.summary({"credentialSubject": {"heats": "?"}}) == (
        "mill test report ?: ?, ? grade ?; 0 heat(s); melted and poured in ?; mill ?")


def test_both_schema_validators_give_the_same_verdict(request_: dict[str, Any]) -> None:
    """jsonschema-rs decides conformance and jsonschema explains it: seeded mutations of the fixture agree."""
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / "mill-test-report-v1.json").read_text(encoding="utf-8"))
    slow = jsonschema.Draft202012Validator(schema)
    fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    credential = build_mill_test_report_credential(request_, MILL)
    assert fast.is_valid(credential) and slow.is_valid(credential)
    values: list[Any] = [None, True, 0, -1, 1.5, 101, "", "x", "99", "US", "USA", [], {}, {"Carbon": 1}, {"C": 0.2},
                         {"value": 300, "unitCode": "MPA"}, "did:web:example.com", "7208", "7208.37"]
    rng, invalid = random.Random(20261028), 0
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


def test_cli_issues_shows_and_verifies_the_report(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                  fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    out = tmp_path / "mtr.json"
    issued = run_cli("issue", "mill-test-report", "--key", str(fixtures_dir / "keys/siderurgica-golfo.jwk"),
                     "--from", str(fixtures_dir / "shipment/mill-test-report.yaml"), "-o", str(out),
                     "--registry", str(tmp_path / "registry.sqlite"))
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["issuer"] == {"id": MILL, "name": "Siderúrgica del Golfo S.A. de C.V."}
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and SUMMARY in shown.stdout
    verified = run_cli("verify", str(out), "--json", "--now", format_datetime(max(datetime.now(timezone.utc), NOW)))
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, report
    assert {c["name"]: c["status"] for c in report["checks"]}["schema"] == "passed"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("  countryOfMeltAndPour: MX\n", ""), "credentialSubject: 'countryOfMeltAndPour' is required"),
        (lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "72"'),
         "credentialSubject.hsCode: '72' is not an HS tariff classification of at least 6 digits"),
        (lambda text: text.replace("validFrom:", "mill: Siderúrgica\nvalidFrom:"), "unknown request field(s): mill"),
        (lambda text: text.replace("{C: 0.18,", "{Carbon: 0.18,"),
         "credentialSubject.heats[2].chemicalComposition: 'Carbon' is not a chemical element symbol"),
    ],
)
def test_cli_refuses_bad_requests_with_one_line_and_writes_nothing(
        edit: Callable[[str], str], message: str, tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
        fixtures_dir: Path) -> None:
    request = tmp_path / "mtr.yaml"
    request.write_text(edit((fixtures_dir / "shipment/mill-test-report.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "mill-test-report", "--key", str(fixtures_dir / "keys/siderurgica-golfo.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_cli_refuses_broken_yaml(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    request = tmp_path / "mtr.yaml"
    request.write_text("millTestReport:\n  heats: {heatNumber: H26-40871\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "mill-test-report", "--key", str(fixtures_dir / "keys/siderurgica-golfo.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.startswith(f"error: {request} is not valid YAML")
