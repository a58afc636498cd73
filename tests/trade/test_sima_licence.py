"""SIMA steel import licences: the fixtures issued and verified, every schema constraint and rule refused by name,
`vctrade issue sima-licence` and `vctrade show` as Commerce and an importer use them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade import Key, issue, sign, verify
from vctrade._show import render
from vctrade.errors import InvalidDocument, TradeDocumentError
from vctrade.model import format_datetime
from vctrade.trade import get_trade_type
from vctrade.trade._types.sima_licence import (
    SIMA_LICENCE,
    build_sima_licence_credential,
)

NOW = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)  # the day of import, inside both licences' windows
CREATED = datetime(2026, 10, 20, 9, tzinfo=timezone.utc)
ISSUER = "did:key:z6MkiPEGggceQqH3gZnRS7dJeikZq5PHFsqtqhMT3F7qpzWn"  # us-commerce-sima.jwk
_DELETE = object()


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


@pytest.fixture
def licence(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/sima-licence.yaml."""
    return trade_request("shipment", "sima-licence")


@pytest.mark.parametrize("name", ["sima-licence", "sima-licence-a36"])
@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_fixtures_issue_and_verify_with_every_check_passed(name: str, suite: str, fixture_key: Callable[[str], Key],
                                                           trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key("us-commerce-sima")
    issued = issue(trade_request("shipment", name), key, trade_type="sima-licence", suite=suite, created=CREATED)
    result = verify(issued.secured, now=NOW)
    assert result.verified and all(c.status == "passed" for c in result.checks), result.checks
    checks = {c.name: c for c in result.checks}
    assert "sima-licence/v1" in checks["schema"].message
    # Every term is defined by the pinned contexts: none fell to the VC context's issuer-dependent @vocab.
    assert checks["json-ld"].code == "jsonld_ok"


def test_the_licence_has_its_types_contexts_and_typed_parties(licence: dict[str, Any]) -> None:
    credential = build_sima_licence_credential(licence, ISSUER)
    assert credential["type"] == ["VerifiableCredential", "SIMALicence", "SIMASteelImportLicenseCredential"]
    assert credential["@context"][1:] == ["https://vctrade.dev/contexts/trade/v1", "https://vctrade.dev/contexts/shipment/v1"]
    assert credential["credentialSchema"] == {"id": "https://vctrade.dev/schemas/sima-licence/v1", "type": "JsonSchema"}
    assert credential["name"] == "SIMA steel import licence S26-0093417"
    assert credential["issuer"] == {"id": ISSUER, "name": "U.S. Department of Commerce, Enforcement and Compliance"}
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
        (["simaLicence", "licenseNumber"], _DELETE, "credentialSubject: 'licenseNumber' is required"),
        ([*IMPORTER, "legalName"], _DELETE, "credentialSubject.importer: 'legalName' is required"),
        ([*IMPORTER, "address", "addressCountry"], _DELETE, "credentialSubject.importer.address: 'addressCountry' is required"),
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
        ([*MILL, "id"], _DELETE, "credentialSubject.mill must be an organization identified by id, taxId, eori"),
    ],
)
def test_each_schema_constraint_is_refused_naming_the_field(path: list[Any], value: Any, message: str,
                                                           licence: dict[str, Any]) -> None:
    with pytest.raises(TradeDocumentError) as raised:
        build_sima_licence_credential(_with(licence, path, value), ISSUER)
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["validUntil"], _DELETE, "'validUntil' is required: a SIMA licence is valid for a window of at most 75 days"),
        (["validFrom"], _DELETE, "'validFrom' is required: a SIMA licence is valid for a window of at most 75 days"),
        (["validUntil"], "2026-10-19T00:00:00Z", "validUntil must be after validFrom"),
        (["validFrom"], "20 October 2026", "not a date-time with a timezone"),
        (["validUntil"], "2027-01-04T00:00:00Z", ("validUntil: the licence window 2026-10-20T00:00:00Z to 2027-01-04T00:00:00Z "
                                                 "is longer than 75 days, the most a SIMA licence is valid for")),
        (["simaLicence", "hsCode"], "7601.20.0000", ("credentialSubject.hsCode: '7601.20.0000' is not steel: "
                                                    "a SIMA licence covers HTS chapters 72 and 73")),
    ],
)
def test_each_rule_is_refused_naming_it(path: list[Any], value: Any, message: str, licence: dict[str, Any]) -> None:
    with pytest.raises(TradeDocumentError) as raised:
        build_sima_licence_credential(_with(licence, path, value), ISSUER)
    assert message in raised.value.problems[0] and len(raised.value.problems) == 1, raised.value.problems


def test_a_window_of_exactly_75_days_and_chapter_73_are_allowed(licence: dict[str, Any]) -> None:
    request = _with(_with(licence, ["validUntil"], "2027-01-03T00:00:00Z"), ["simaLicence", "hsCode"], "7304.19.1020")
    assert build_sima_licence_credential(request, ISSUER)["validUntil"] == "2027-01-03T00:00:00Z"


def test_bad_request_shapes_are_refused(licence: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs a 'simaLicence' mapping"):
        build_sima_licence_credential({"validFrom": "2026-10-20T00:00:00Z"}, ISSUER)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): licence"):
        build_sima_licence_credential({**licence, "licence": {}}, ISSUER)


def test_the_context_and_type_lists_are_part_of_the_schema(licence: dict[str, Any]) -> None:
    credential = build_sima_licence_credential(licence, ISSUER)
    credential["@context"] = credential["@context"][:2]
    credential["type"] = ["VerifiableCredential", "SIMASteelImportLicenseCredential"]
    assert SIMA_LICENCE.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1",
        "type must be a type list that includes SIMALicence",
    ]


@pytest.mark.parametrize(("types", "schema", "named"), [
    (["EntrySummary", "CBP7501EntrySummaryCredential"], "entry-summary", "'entryNumber' is required"),
    (["ExportDeclarationCredential"], "export-declaration", "'declarationNumber' is required"),
])
def test_a_licence_retyped_as_another_document_fails_the_schema_check(types: list[str], schema: str, named: str,
                                                                      fixture_key: Callable[[str], Key],
                                                                      licence: dict[str, Any]) -> None:
    """Re-signed with a valid proof, a licence passed off as another document is judged as that one, and fails."""
    key = fixture_key("us-commerce-sima")
    forged = build_sima_licence_credential(licence, key.did)
    forged["type"] = ["VerifiableCredential", *types]
    forged["credentialSchema"] = {"id": f"https://vctrade.dev/schemas/{schema}/v1", "type": "JsonSchema"}
    result = verify(sign(forged, key, created=CREATED), now=NOW)
    checks = {c.name: c for c in result.checks}
    assert checks["proof.signature"].status == "passed"
    assert checks["schema"].status == "failed" and named in checks["schema"].message and not result.verified


def test_show_prints_the_summary(fixture_key: Callable[[str], Key], licence: dict[str, Any]) -> None:
    key = fixture_key("us-commerce-sima")
    text = render(sign(build_sima_licence_credential(licence, key.did), key, created=CREATED))
    assert text.splitlines()[1].strip() == (
        "SIMA steel import licence S26-0093417: HTS 7208.37.0030, 500 TNE, 406,250.00 USD; origin MX, "
        "melted and poured in MX; importer ACME Steel Imports Inc.")


def test_the_builder_does_not_mutate_the_request(licence: dict[str, Any]) -> None:
    kept = copy.deepcopy(licence)
    build_sima_licence_credential(licence, ISSUER)
    assert licence == kept


# -- the command line ------------------------------------------------------------------------------


def test_cli_issues_verifies_and_shows_a_licence(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                 load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    out = tmp_path / "sima.json"
    now = datetime.now(timezone.utc)  # issued and verified on the real clock, the window around it
    window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=60)))
    issued = run_cli("issue", "sima-licence", "--key", str(fixtures_dir / "keys/us-commerce-sima.jwk"),
                     "--from", str(fixtures_dir / "shipment/sima-licence.yaml"), *window,
                     "--registry", str(tmp_path / "reg.sqlite"), "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    assert load_json(out)["credentialSubject"]["mill"]["legalName"] == "Siderúrgica del Golfo S.A. de C.V."
    verified = run_cli("verify", str(out))
    assert verified.returncode == 0, verified.stdout
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and "SIMA steel import licence S26-0093417: HTS 7208.37.0030, 500 TNE" in shown.stdout


_BAD_REQUESTS = [
    ("missing field", lambda text: text.replace("  licenseNumber: S26-0093417\n", ""), (),
     "credentialSubject: 'licenseNumber' is required"),
    ("wrong HTS", lambda text: text.replace('hsCode: "7208.37.0030"', 'hsCode: "7208.37"'), (),
     "credentialSubject.hsCode: '7208.37' is not a 10-digit HTS number"),
    ("not steel", lambda text: text.replace('hsCode: "7208.37.0030"', 'hsCode: "7601.20.0000"'), (),
     "credentialSubject.hsCode: '7601.20.0000' is not steel"),
    ("unknown field", lambda text: text + "  colour: red\n", (), "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("76-day licence", lambda text: text, ("--valid-until", "2027-01-04T00:00:00Z"),
     "is longer than 75 days, the most a SIMA licence is valid for"),
]


@pytest.mark.parametrize(("case", "edit", "options", "message"), _BAD_REQUESTS, ids=[case[0] for case in _BAD_REQUESTS])
def test_cli_refuses_bad_requests_in_one_line_and_writes_nothing(case: str, edit: Callable[[str], str], options: tuple[str, ...],
                                                                 message: str, tmp_path: Path, fixtures_dir: Path,
                                                                 run_cli: Callable[..., CompletedProcess[str]]) -> None:
    request = tmp_path / "request.yaml"
    request.write_text(edit((fixtures_dir / "shipment/sima-licence.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "sima-licence", "--key", str(fixtures_dir / "keys/us-commerce-sima.jwk"),
                     "--from", str(request), *options, "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_cli_refuses_broken_yaml_and_writes_nothing(tmp_path: Path, fixtures_dir: Path,
                                                    run_cli: Callable[..., CompletedProcess[str]]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("simaLicence: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "sima-licence", "--key", str(fixtures_dir / "keys/us-commerce-sima.jwk"),
                     "--from", str(broken), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert f"{broken} is not valid YAML" in result.stderr.splitlines()[0]
