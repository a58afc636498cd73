"""Entry summaries (CBP Form 7501): the fixture issued and verified, every schema constraint and rule refused by name,
no undefined term in any issued shipment document, `vctrade issue entry-summary` and `vctrade show` as a broker
uses them."""

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
from vctrade.errors import InvalidDocument, JsonLdSafetyError, TradeDocumentError
from vctrade.model import format_datetime
from vctrade.trade._types.entry_summary import (
    ENTRY_SUMMARY,
    build_entry_summary_credential,
)

NOW = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
CREATED = datetime(2026, 11, 12, 8, tzinfo=timezone.utc)
ISSUER = "did:key:zDnaecYfEspFFm5iiLXt3HV3aiBaQ1UcwLsn5Ke9MJbeFzMXu"  # rio-bravo-broker.jwk
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
def entry(trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The request fixtures/shipment/entry-summary.yaml."""
    return trade_request("shipment", "entry-summary")


@pytest.mark.parametrize(("key_name", "suite"), [
    # The broker's fixture key is P-256: the EdDSA suites sign with an Ed25519 key of its own.
    (None, "eddsa-rdfc-2022"),
    (None, "eddsa-jcs-2022"),
    ("rio-bravo-broker", "ecdsa-rdfc-2019"),
    ("rio-bravo-broker", "ecdsa-jcs-2019"),
])
def test_the_fixture_issues_and_verifies_with_every_check_passed(key_name: str | None, suite: str, entry: dict[str, Any],
                                                                 fixture_key: Callable[[str], Key]) -> None:
    key = fixture_key(key_name) if key_name else Key.generate("Ed25519")
    issued = issue(entry, key, trade_type="entry-summary", suite=suite, created=CREATED)
    result = verify(issued.secured, now=NOW)
    assert result.verified and all(c.status == "passed" for c in result.checks), result.checks
    checks = {c.name: c for c in result.checks}
    assert "entry-summary/v1" in checks["schema"].message and checks["json-ld"].code == "jsonld_ok"


_SHIPMENT = [  # (fixture, trade type, signer)
    ("sima-licence", "sima-licence", "us-commerce-sima"),
    ("sima-licence-a36", "sima-licence", "us-commerce-sima"),
    ("export-declaration", "export-declaration", "anam-mx"),
    ("entry-summary", "entry-summary", "rio-bravo-broker"),
]


@pytest.mark.parametrize(("name", "trade_type", "signer"), _SHIPMENT, ids=[row[0] for row in _SHIPMENT])
def test_no_issued_document_carries_a_term_the_contexts_do_not_define(name: str, trade_type: str, signer: str,
                                                                      fixture_key: Callable[[str], Key],
                                                                      trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """Safe mode refuses a term that would be dropped; one a context's @vocab turned into an issuer-dependent IRI
    would pass with the code jsonld_issuer_dependent. Every term of these documents is the contexts' own."""
    key = fixture_key(signer)
    result = verify(issue(trade_request("shipment", name), key, trade_type=trade_type, created=CREATED).secured, now=NOW)
    jsonld = next(c for c in result.checks if c.name == "json-ld")
    assert jsonld.status == "passed" and jsonld.code == "jsonld_ok", jsonld


def test_an_undefined_term_is_named_by_the_schema_by_signing_and_by_verification(fixture_key: Callable[[str], Key],
                                                                                  entry: dict[str, Any]) -> None:
    """The control for the test above: these contexts have no @vocab, so an undefined term is dropped, and refused."""
    key = fixture_key("rio-bravo-broker")
    credential = build_entry_summary_credential(entry, key.did)
    credential["credentialSubject"]["lines"][0]["dutyRate"] = "free"
    assert ENTRY_SUMMARY.problems(credential) == ["credentialSubject.lines[0]: fields are not allowed ('dutyRate' was unexpected)"]
    with pytest.raises(JsonLdSafetyError, match=r"term 'dutyRate' at credentialSubject.lines\[0\].dutyRate is not defined"):
        sign(credential, key, created=CREATED)
    signed = sign(build_entry_summary_credential(entry, key.did), key, created=CREATED)
    signed["credentialSubject"]["dutyRate"] = "free"  # added after signing
    jsonld = next(c for c in verify(signed, now=NOW).checks if c.name == "json-ld")
    assert jsonld.status == "failed" and "dutyRate" in jsonld.message


def test_the_entry_has_its_types_and_numbered_typed_lines(entry: dict[str, Any]) -> None:
    credential = build_entry_summary_credential(entry, ISSUER)
    assert credential["type"] == ["VerifiableCredential", "EntrySummary", "CBP7501EntrySummaryCredential"]
    assert credential["@context"][1:] == ["https://vctrade.dev/contexts/trade/v1", "https://vctrade.dev/contexts/shipment/v1"]
    assert credential["credentialSchema"]["id"] == "https://vctrade.dev/schemas/entry-summary/v1"
    assert credential["name"] == "Entry summary RBB-2611874-3"
    assert credential["issuer"] == {"id": ISSUER, "name": "Rio Bravo Customs Brokers LLC"}
    subject = credential["credentialSubject"]
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
        ([*SUBJECT, "entryNumber"], _DELETE, "credentialSubject: 'entryNumber' is required"),
        ([*IOR, "importerOfRecordNumber"], _DELETE, "credentialSubject.importerOfRecord: 'importerOfRecordNumber' is required"),
        ([*LINE, "enteredValue"], _DELETE, "credentialSubject.lines[0]: 'enteredValue' is required"),
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
    with pytest.raises(TradeDocumentError) as raised:
        build_entry_summary_credential(_with(entry, path, value), ISSUER)
    assert any(problem.startswith(message) for problem in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ([*SUBJECT, "certificateOfOrigin"], _DELETE,
         ("credentialSubject.lines[0].specialProgram: 'S' claims USMCA preference, which needs "
         "credentialSubject.certificateOfOrigin (the certificate of origin's id)")),
        ([*LINE, "simaLicenseNumber"], _DELETE,
         ("credentialSubject.lines[0]: 'simaLicenseNumber' is required: HTS 7208.37.0030 is steel (chapter 72 or 73), "
         "which enters under a SIMA licence")),
        (["validUntil"], "2026-11-11T00:00:00Z", "validUntil must be after validFrom"),
    ],
)
def test_each_rule_is_refused_naming_it(path: list[Any], value: Any, message: str, entry: dict[str, Any]) -> None:
    with pytest.raises(TradeDocumentError) as raised:
        build_entry_summary_credential(_with(entry, path, value), ISSUER)
    assert raised.value.problems[0] == message


def test_s_plus_needs_the_certificate_and_other_programmes_and_goods_do_not(entry: dict[str, Any]) -> None:
    no_certificate = _with(entry, [*SUBJECT, "certificateOfOrigin"], _DELETE)
    with pytest.raises(TradeDocumentError, match=r"lines\[1\].specialProgram: 'S\+' claims USMCA preference"):
        build_entry_summary_credential(_with(no_certificate, ["entrySummary", "lines", 1, "specialProgram"], "S+"), ISSUER)
    # Another programme needs no USMCA certificate, and a line outside chapters 72 and 73 needs no SIMA licence.
    aluminium = {"description": "Aluminium plates", "hsCode": "7606.12.3091", "countryOfOrigin": "MX", "quantity": 12,
                 "unitCode": "TNE", "enteredValue": 38000.0, "specialProgram": "A"}
    request = _with(_with(no_certificate, [*SUBJECT, "lines"], [aluminium]), [*SUBJECT, "invoiceNumber"], "INV-2026-0418")
    assert build_entry_summary_credential(request, ISSUER)["credentialSubject"]["lines"][0]["lineNumber"] == 1


def test_lines_are_numbered_one_to_n_each_once(entry: dict[str, Any]) -> None:
    credential = build_entry_summary_credential(entry, ISSUER)
    credential["credentialSubject"]["lines"][0]["lineNumber"] = 2
    assert ENTRY_SUMMARY.problems(credential) == ["credentialSubject.lines: line numbers must be 1 to 2, each once, not 2, 2"]
    with pytest.raises(InvalidDocument, match=r"entrySummary.lines\[0\].lineNumber: lines are numbered in request order"):
        build_entry_summary_credential(_with(entry, [*LINE, "lineNumber"], 1), ISSUER)


def test_bad_request_shapes_are_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument, match="needs an 'entrySummary' mapping"):
        build_entry_summary_credential({"entry": entry["entrySummary"]}, ISSUER)
    with pytest.raises(InvalidDocument, match=r"unknown request field\(s\): entryNumber"):
        build_entry_summary_credential({**entry, "entryNumber": "RBB-2611874-3"}, ISSUER)


def test_an_entry_retyped_as_an_export_declaration_fails_the_schema_check(fixture_key: Callable[[str], Key],
                                                                          entry: dict[str, Any]) -> None:
    key = fixture_key("rio-bravo-broker")
    forged = build_entry_summary_credential(entry, key.did)
    forged["type"] = ["VerifiableCredential", "ExportDeclarationCredential"]
    del forged["credentialSchema"]  # judged by its (forged) type alone
    result = verify(sign(forged, key, created=CREATED), now=NOW)
    schema = next(c for c in result.checks if c.name == "schema")
    assert schema.status == "failed" and "'declarationNumber' is required" in schema.message and not result.verified


def test_show_prints_the_summary(fixture_key: Callable[[str], Key], entry: dict[str, Any]) -> None:
    key = fixture_key("rio-bravo-broker")
    text = render(sign(build_entry_summary_credential(entry, key.did), key, created=CREATED))
    assert text.splitlines()[1].strip() == (
        "entry summary RBB-2611874-3 (type 01, port 5301): 2 line(s), 700 TNE, 575,900.00 USD entered; "
        "importer of record ACME Steel Imports Inc. (74-3198265)")


def test_the_builder_does_not_mutate_the_request(entry: dict[str, Any]) -> None:
    kept = copy.deepcopy(entry)
    build_entry_summary_credential(entry, ISSUER)
    assert entry == kept


# -- the command line ------------------------------------------------------------------------------


def test_cli_issues_verifies_and_shows_an_entry(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    out = tmp_path / "7501.json"
    now = datetime.now(timezone.utc)  # issued and verified on the real clock
    issued = run_cli("issue", "entry-summary", "--key", str(fixtures_dir / "keys/rio-bravo-broker.jwk"),
                     "--from", str(fixtures_dir / "shipment/entry-summary.yaml"),
                     "--valid-from", format_datetime(now - timedelta(days=1)),
                     "--registry", str(tmp_path / "reg.sqlite"), "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    assert load_json(out)["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"  # the broker's P-256 key's default
    verified = run_cli("verify", str(out))
    assert verified.returncode == 0, verified.stdout
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and "entry summary RBB-2611874-3 (type 01, port 5301): 2 line(s)" in shown.stdout


_BAD_REQUESTS = [
    ("missing field", lambda text: text.replace('  entryType: "01"\n', ""), "credentialSubject: 'entryType' is required"),
    ("wrong HTS", lambda text: text.replace('hsCode: "7208.37.0060"', 'hsCode: "7208.37"'),
     "credentialSubject.lines[1].hsCode: '7208.37' is not a 10-digit HTS number"),
    ("unknown field", lambda text: text + "  colour: red\n", "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("steel without licence", lambda text: text.replace("      simaLicenseNumber: S26-0093418\n", ""),
     "credentialSubject.lines[1]: 'simaLicenseNumber' is required"),
]


@pytest.mark.parametrize(("case", "edit", "message"), _BAD_REQUESTS, ids=[case[0] for case in _BAD_REQUESTS])
def test_cli_refuses_bad_requests_in_one_line_and_writes_nothing(case: str, edit: Callable[[str], str], message: str,
                                                                 tmp_path: Path, fixtures_dir: Path,
                                                                 run_cli: Callable[..., CompletedProcess[str]]) -> None:
    request = tmp_path / "request.yaml"
    request.write_text(edit((fixtures_dir / "shipment/entry-summary.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "entry-summary", "--key", str(fixtures_dir / "keys/rio-bravo-broker.jwk"),
                     "--from", str(request), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_cli_refuses_broken_yaml_and_writes_nothing(tmp_path: Path, fixtures_dir: Path,
                                                    run_cli: Callable[..., CompletedProcess[str]]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("entrySummary:\n  entryType: \"01\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = run_cli("issue", "entry-summary", "--key", str(fixtures_dir / "keys/rio-bravo-broker.jwk"),
                     "--from", str(broken), "-o", str(out))
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert f"{broken} is not valid YAML" in result.stderr.splitlines()[0]
