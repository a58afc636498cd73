"""Export declarations: the fixture issued and verified, every schema constraint and rule refused by name, numbered
lines, `vctrade issue export-declaration` and `vctrade show` as Mexico's customs authority uses them."""

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
from vctrade.trade._types.export_declaration import (
    EXPORT_DECLARATION,
    build_export_declaration_credential,
)

NOW = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
CREATED = datetime(2026, 11, 5, 15, tzinfo=timezone.utc)
ISSUER = "did:key:z6MkgjD1VBzjuJdUAeiLz1m4WY78CN6YjiFKAJ3Bh9jDP6Qn"  # anam-mx.jwk
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
def declaration(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/export-declaration.yaml."""
    return trade_request("shipment", "export-declaration")


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_the_fixture_issues_and_verifies_with_every_check_passed(suite: str, fixture_key: Callable[[str], Key],
                                                                 declaration: dict[str, Any]) -> None:
    key = fixture_key("anam-mx")
    issued = issue(declaration, key, trade_type="export-declaration", suite=suite, created=CREATED)
    result = verify(issued.secured, now=NOW)
    assert result.verified and all(c.status == "passed" for c in result.checks), result.checks
    checks = {c.name: c for c in result.checks}
    assert "export-declaration/v1" in checks["schema"].message
    # Every term is defined by the pinned contexts: none fell to the VC context's issuer-dependent @vocab.
    assert checks["json-ld"].code == "jsonld_ok"


def test_the_declaration_has_its_types_and_numbered_typed_lines(declaration: dict[str, Any]) -> None:
    credential = build_export_declaration_credential(declaration, ISSUER)
    assert credential["type"] == ["VerifiableCredential", "ExportDeclarationCredential"]
    assert credential["@context"][1:] == ["https://vctrade.dev/contexts/trade/v1", "https://vctrade.dev/contexts/shipment/v1"]
    assert credential["credentialSchema"]["id"] == "https://vctrade.dev/schemas/export-declaration/v1"
    assert credential["name"] == "Export declaration 26 81 3912 6001234"
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
        ([*SUBJECT, "exportDate"], _DELETE, "credentialSubject: 'exportDate' is required"),
        ([*LINE, "value"], _DELETE, "credentialSubject.lines[1]: 'value' is required"),
        ([*SUBJECT, "consignee", "legalName"], _DELETE, "credentialSubject.consignee: 'legalName' is required"),
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
        ([*SUBJECT, "consignee", "id"], _DELETE, "credentialSubject.consignee must be an organization identified by id, taxId"),
    ],
)
def test_each_schema_constraint_is_refused_naming_the_field(path: list[Any], value: Any, message: str,
                                                           declaration: dict[str, Any]) -> None:
    with pytest.raises(TradeDocumentError) as raised:
        build_export_declaration_credential(_with(declaration, path, value), ISSUER)
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value.problems


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
    with pytest.raises(TradeDocumentError) as raised:
        build_export_declaration_credential(_with(declaration, path, value), ISSUER)
    assert raised.value.problems == (message,)


def test_another_countrys_declaration_number_needs_no_pedimento(declaration: dict[str, Any]) -> None:
    request = _with(_with(declaration, [*SUBJECT, "countryOfExportation"], "CA"), [*SUBJECT, "declarationNumber"], "CA-20261105-0042")
    assert build_export_declaration_credential(request, ISSUER)["credentialSubject"]["declarationNumber"] == "CA-20261105-0042"


def test_a_request_must_not_number_its_lines(declaration: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match=r"exportDeclaration.lines\[1\].lineNumber: lines are numbered in request order"):
        build_export_declaration_credential(_with(declaration, [*LINE, "lineNumber"], 2), ISSUER)


def test_bad_request_shapes_are_refused(declaration: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs an 'exportDeclaration' mapping"):
        build_export_declaration_credential({"exportDeclaration": ["26 81 3912 6001234"]}, ISSUER)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): pedimento"):
        build_export_declaration_credential({**declaration, "pedimento": "26 81 3912 6001234"}, ISSUER)
    with pytest.raises(TradeDocumentError, match=r"credentialSubject.lines: 'one line' is not of type 'array'"):
        build_export_declaration_credential(_with(declaration, [*SUBJECT, "lines"], "one line"), ISSUER)
    with pytest.raises(TradeDocumentError) as raised:
        build_export_declaration_credential(_with(declaration, [*SUBJECT, "lines"], ["coils"]), ISSUER)
    assert raised.value.problems == ("credentialSubject.lines[0]: 'coils' is not of type 'object'",)


@pytest.mark.parametrize(("numbers", "problems"), [
    ([1, 1], ["credentialSubject.lines: line numbers must be 1 to 2, each once, not 1, 1"]),
    ([0, 2], ["credentialSubject.lines[0].lineNumber: 0 is less than the minimum of 1",
              "credentialSubject.lines: line numbers must be 1 to 2, each once, not 0, 2"]),
    ([1.5, 2], ["credentialSubject.lines[0].lineNumber: 1.5 is not of type 'integer'"]),
    ([2, 1], []),  # the order of a JSON-LD list is not signed: only the numbers are
])
def test_lines_are_numbered_one_to_n_each_once(numbers: list[Any], problems: list[str], declaration: dict[str, Any]) -> None:
    credential = build_export_declaration_credential(declaration, ISSUER)
    for line, number in zip(credential["credentialSubject"]["lines"], numbers):
        line["lineNumber"] = number
    assert EXPORT_DECLARATION.problems(credential) == problems


def test_lines_reordered_by_a_holder_still_verify_and_keep_their_numbers(fixture_key: Callable[[str], Key],
                                                                         declaration: dict[str, Any]) -> None:
    """RDFC signs the lines as a set: reordering them keeps the proof, and lineNumber keeps each line's identity."""
    key = fixture_key("anam-mx")
    signed = sign(build_export_declaration_credential(declaration, key.did), key, created=CREATED)
    signed["credentialSubject"]["lines"].reverse()
    result = verify(signed, now=NOW)
    assert result.verified, result.failures
    assert [line["lineNumber"] for line in signed["credentialSubject"]["lines"]] == [2, 1]


def test_a_declaration_retyped_as_a_sima_licence_fails_the_schema_check(fixture_key: Callable[[str], Key],
                                                                        declaration: dict[str, Any]) -> None:
    key = fixture_key("anam-mx")
    forged = build_export_declaration_credential(declaration, key.did)
    forged["type"] = ["VerifiableCredential", "SIMALicence", "SIMASteelImportLicenseCredential"]
    result = verify(sign(forged, key, created=CREATED), now=NOW)  # a valid proof over the forged types
    schema = next(c for c in result.checks if c.name == "schema")
    assert schema.status == "failed" and not result.verified
    assert "type must be a type list that includes ExportDeclarationCredential" in schema.message
    assert "'licenseNumber' is required" in schema.message


def test_show_prints_the_summary(fixture_key: Callable[[str], Key], declaration: dict[str, Any]) -> None:
    key = fixture_key("anam-mx")
    text = render(sign(build_export_declaration_credential(declaration, key.did), key, created=CREATED))
    assert text.splitlines()[1].strip() == (
        "export declaration 26 81 3912 6001234: 2 line(s), 700 TNE, 575,900.00 USD; MX → US; "
        "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc.")


def test_the_summary_sums_per_unit_and_survives_a_malformed_subject(declaration: dict[str, Any]) -> None:
    """`vctrade show` words any document, even one that fails its schema: what cannot be read is a `?`."""
    credential = build_export_declaration_credential(declaration, ISSUER)
    credential["credentialSubject"]["lines"][1].update(quantity=1250.5, unitCode="KGM")
    assert EXPORT_DECLARATION.summary(credential) == (
        "export declaration 26 81 3912 6001234: 2 line(s), 480 TNE + 1,250.5 KGM, 575,900.00 USD; MX → US; "
        "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc.")
    assert EXPORT_DECLARATION.summary({"credentialSubject": {"lines": "two", "exporter": "Aceros", "currency": 840}}) == (
        "export declaration ?: 0 line(s), ?, 0.00 ?; ? → ?; ? → ?")


def test_the_builder_does_not_mutate_the_request(declaration: dict[str, Any]) -> None:
    kept = copy.deepcopy(declaration)
    build_export_declaration_credential(declaration, ISSUER)
    assert declaration == kept


# -- the command line ------------------------------------------------------------------------------


def test_cli_issues_verifies_and_shows_a_declaration(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                     load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    out = tmp_path / "pedimento.json"
    now = datetime.now(timezone.utc)  # issued and verified on the real clock
    issued = run_cli("issue", "export-declaration", "--key", str(fixtures_dir / "keys/anam-mx.jwk"),
                     "--from", str(fixtures_dir / "shipment/export-declaration.yaml"),
                     "--valid-from", format_datetime(now - timedelta(days=1)),
                     "--registry", str(tmp_path / "reg.sqlite"), "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    assert load_json(out)["credentialSubject"]["exporter"]["address"]["addressRegion"] == "Nuevo León"
    verified = run_cli("verify", str(out))
    assert verified.returncode == 0, verified.stdout
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and "export declaration 26 81 3912 6001234: 2 line(s), 700 TNE" in shown.stdout


_BAD_REQUESTS = [
    ("missing field", lambda text: text.replace('  exportDate: "2026-11-05"\n', ""), "credentialSubject: 'exportDate' is required"),
    ("wrong HS", lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "72"', 1), "credentialSubject.lines[0].hsCode: '72' is not"),
    ("unknown field", lambda text: text + "  colour: red\n", "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("14-digit pedimento", lambda text: text.replace("26 81 3912 6001234", "26 81 3912 600123"),
     "credentialSubject.declarationNumber: '26 81 3912 600123' is not a declaration number"),
    ("14 digits unspaced", lambda text: text.replace("26 81 3912 6001234", '"26813912600123"'),
     "credentialSubject.declarationNumber: '26813912600123' is not a pedimento number"),
    ("numbered line", lambda text: text.replace("    - description:", "    - lineNumber: 7\n      description:", 1),
     "exportDeclaration.lines[0].lineNumber: lines are numbered in request order"),
]


@pytest.mark.parametrize(("case", "edit", "message"), _BAD_REQUESTS, ids=[case[0] for case in _BAD_REQUESTS])
def test_cli_refuses_bad_requests_in_one_line_and_writes_nothing(case: str, edit: Callable[[str], str], message: str,
                                                                 tmp_path: Path, fixtures_dir: Path,
                                                                 run_cli: Callable[..., CompletedProcess[str]]) -> None:
    request = tmp_path / "request.yaml"
    request.write_text(edit((fixtures_dir / "shipment/export-declaration.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "export-declaration", "--key", str(fixtures_dir / "keys/anam-mx.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_cli_refuses_broken_yaml_and_writes_nothing(tmp_path: Path, fixtures_dir: Path,
                                                    run_cli: Callable[..., CompletedProcess[str]]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("exportDeclaration:\n  lines: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "export-declaration", "--key", str(fixtures_dir / "keys/anam-mx.jwk"),
                     "--from", str(broken), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert f"{broken} is not valid YAML" in result.stderr.splitlines()[0]
