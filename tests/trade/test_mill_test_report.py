"""Mill test reports: what the mill's report alone does (typed heats, chemistry and mechanics as signed JSON
literals), every schema constraint and rule refusing a bad report by naming its field, and its summary of a malformed
subject.

What every shipment document does alike (issued and verified, its contexts, retyped, `vctrade show`, the CLI) is
tested over all of them in test_shipment_types.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, issue, verify
from vctrade.trade._types.mill_test_report import (
    MILL_TEST_REPORT,
    build_mill_test_report_credential,
)

from ._shipment import DELETE, changed, check, refusal

NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
CREATED = datetime(2026, 10, 28, 12, tzinfo=timezone.utc)
MILL = "did:key:z6MkuTFGeN1rWhb59pcBPRtRdPkqE3jh7pwDpsAHTtAkKbNH"
HEAT = ["millTestReport", "heats", 0]


@pytest.fixture
def request_(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """fixtures/shipment/mill-test-report.yaml."""
    return trade_request("shipment", "mill-test-report")


@pytest.fixture(scope="module")
def mill(fixture_key: Callable[[str], Key]) -> Key:
    """Siderúrgica del Golfo's key: the mill signs its report."""
    return fixture_key("siderurgica-golfo")


def test_the_report_has_a_typed_mill_and_typed_heats(request_: dict[str, Any]) -> None:
    credential = build_mill_test_report_credential(request_, MILL)
    assert "validUntil" not in credential
    subject = credential["credentialSubject"]
    assert subject["type"] == "InspectionCertificate" and subject["mill"]["type"] == "Organization"
    assert [heat["type"] for heat in subject["heats"]] == ["Heat"] * 3
    assert subject["heats"][2]["chemicalComposition"]["C"] == 0.18  # a JSON literal, kept as written


def test_chemistry_and_mechanics_are_signed(mill: Key, request_: dict[str, Any]) -> None:
    """chemicalComposition and mechanicalProperties are @json literals: RDFC signs their content too."""
    secured = issue(request_, mill, trade_type="mill-test-report", created=CREATED).secured
    assert isinstance(secured, dict)
    for path, value in ((["chemicalComposition", "S"], 0.08), (["mechanicalProperties", "yieldStrength", "value"], 355)):
        result = verify(changed(secured, ["credentialSubject", "heats", 1, *path], value), now=NOW)
        assert not result.verified and check(result, "proof.signature").status == "failed"


def test_chemistry_and_mechanics_are_json_literals(repo: Path) -> None:
    """The schema's terms are the contexts' (test_shipment_types.py), except inside these two @json literals."""
    shipment = json.loads((repo / "contexts" / "vctrade-shipment-v1.jsonld").read_text(encoding="utf-8"))["@context"]
    assert all(shipment[name]["@type"] == "@json" for name in ("chemicalComposition", "mechanicalProperties"))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # required
        (["millTestReport", "reportNumber"], DELETE, "credentialSubject: 'reportNumber' is required"),
        (["millTestReport", "countryOfMeltAndPour"], DELETE, "credentialSubject: 'countryOfMeltAndPour' is required"),
        (["millTestReport", "heats"], DELETE, "credentialSubject: 'heats' is required"),
        ([*HEAT, "chemicalComposition"], DELETE, "credentialSubject.heats[0]: 'chemicalComposition' is required"),
        ([*HEAT, "mechanicalProperties", "yieldStrength", "unitCode"], DELETE,
         "credentialSubject.heats[0].mechanicalProperties.yieldStrength: 'unitCode' is required"),
        (["millTestReport", "mill", "legalName"], DELETE, "credentialSubject.mill: 'legalName' is required"),
        # a party is identified (anyOf)
        (["millTestReport", "mill", "id"], DELETE, "credentialSubject.mill must be a party identified by an id (a DID or URI)"),
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
        ([*HEAT, "unitCode"], DELETE, "credentialSubject.heats[0]: 'unitCode' is a dependency of 'quantity'"),
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
    assert message in str(refusal(build_mill_test_report_credential, changed(request_, path, value), MILL))


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
    bad = changed(request_, path, value)
    assert message in str(refusal(build_mill_test_report_credential, bad, MILL))
    assert MILL_TEST_REPORT.schema.problems(MILL_TEST_REPORT.builder(bad, MILL, None)) == []  # the rule refuses it


def test_what_the_rules_allow(request_: dict[str, Any]) -> None:
    """Strengths in different units are not compared; elements may add up to exactly 100%; a heat needs no quantity."""
    heats = request_["millTestReport"]["heats"]
    heats[0]["mechanicalProperties"]["tensileStrength"] = {"value": 60, "unitCode": "KSI"}  # ksi vs MPa: not compared
    heats[1]["chemicalComposition"] = {"Fe": 98.5, "Mn": 1.0, "C": 0.5}
    del heats[2]["quantity"], heats[2]["unitCode"]
    subject = build_mill_test_report_credential(request_, MILL)["credentialSubject"]
    assert "quantity" not in subject["heats"][2]


def test_the_summary_of_a_malformed_subject() -> None:
    """`vctrade show` words any document, even one that fails its schema: what cannot be read is a `?`."""
    assert MILL_TEST_REPORT.summary({"credentialSubject": {"heats": "?"}}) == (
        "mill test report ?: ?, ? grade ?; 0 heat(s); melted and poured in ?; mill ?")
