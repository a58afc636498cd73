"""What every shipment document type does alike, tested once over the table of types: the fixtures issued and
verified with every check passed, no term the contexts do not define, a document re-signed as another type failing
the schema check, the request's shape, numbered lines, `vctrade show`, and the CLI as each issuer uses it, bad
requests refused in one line.

What one type alone does (its schema constraints and rules, each made to fail naming the field) is in its module:
test_invoice.py, test_mill_test_report.py, test_bill_of_lading.py, test_sima_licence.py, test_export_declaration.py,
test_entry_summary.py. The schemas' two validators are compared in test_schema_validators_agree.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade import Key, issue, sign, verify
from vctrade._show import render
from vctrade.errors import InvalidDocument, JsonLdSafetyError, TradeDocumentError
from vctrade.model import format_datetime
from vctrade.trade import SHIPMENT_CONTEXT, TRADE_CONTEXT, TRADE_VOCAB, TradeType, get_trade_type, trade_types

from ._shipment import DELETE, changed, check

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EDDSA = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
ECDSA = ("ecdsa-rdfc-2019", "ecdsa-jcs-2019")
ACEROS_IDS = {"taxId": "ADN9803125K4", "traderIdentificationNumber": "MXADN9803125K4", "eori": "MXADN9803125K4"}
GOLFO_IDS = {"taxId": "SGO870512AB1", "traderIdentificationNumber": "MXSGO870512AB1", "eori": "MXSGO870512AB1"}
ACME_IDS = {"taxId": "74-3198265", "traderIdentificationNumber": "US74-3198265", "eori": "US743198265",
            "email": "trade.compliance@acme-imports.example", "phoneNumber": "+1 713 555 0142"}


@dataclass(frozen=True)
class Shipment:
    """A shipment document type as these tests use it."""

    trade_type: str  # `vctrade issue NAME`
    fixtures: tuple[str, ...]  # fixtures/shipment/NAME.yaml, the first the one named below
    signer: str  # fixtures/keys/NAME.jwk: its issuer
    request_key: str  # the request's mapping that becomes the credential's subject
    number_key: str  # the field that numbers the document (each type's schema requires its own)
    types: tuple[str, ...]  # the credential's types after VerifiableCredential
    name: str  # the credential's name
    summary: str  # the line `vctrade show` prints first
    schema_file: str  # in vctrade/trade/schemas/
    created: datetime  # when the tests sign it
    now: datetime  # when they verify it: inside the fixtures' validity
    identified: tuple[str, dict[str, str]]  # a party, and the identifiers it can have beyond the fixture's
    optional: tuple[str, ...]  # optional fields of the subject the fixture has
    broken_rule: tuple[list[Any], Any, str]  # a change to the credential that only a rule refuses, and its words
    retyped_as: str  # another shipment type to pass the document off as
    broken_yaml: str  # a request that is not YAML
    cli_expect: tuple[tuple[tuple[str, ...], str], ...] = ()  # what the CLI writes, at these paths, as written
    suites: tuple[str, ...] = EDDSA
    numbered_lines: bool = False  # its `lines` are numbered by the issuer
    json_literals: frozenset[str] = field(default_factory=frozenset)  # schema $defs of @json literals

    @property
    def type(self) -> TradeType:
        return get_trade_type(self.trade_type)


SHIPMENTS = [
    Shipment(
        trade_type="invoice",
        fixtures=("invoice",),
        signer="aceros-del-norte",
        request_key="invoice",
        number_key="invoiceNumber",
        types=("CommercialInvoice", "CommercialInvoiceCredential"),
        name="Commercial invoice INV-2026-0417",
        summary=("commercial invoice INV-2026-0417: 2 line(s), 700 TNE, 575,900.00 USD; "
                 "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc."),
        schema_file="commercial-invoice-v1.json",
        created=datetime(2026, 11, 2, 12, tzinfo=timezone.utc),
        now=datetime(2026, 11, 15, tzinfo=timezone.utc),
        identified=("seller", ACEROS_IDS),
        optional=("consignee", "incoterms", "portOfEntry", "totalValue"),
        broken_rule=(["credentialSubject", "lines", 0, "heatNumbers"], DELETE, "lines[0].heatNumbers: a steel line"),
        retyped_as="bill-of-lading",
        broken_yaml="invoice:\n  invoiceNumber: [INV-2026-0417\n",
        cli_expect=((("credentialSubject", "seller", "address", "addressRegion"), "Nuevo León"),),
        numbered_lines=True,
    ),
    Shipment(
        trade_type="mill-test-report",
        fixtures=("mill-test-report",),
        signer="siderurgica-golfo",
        request_key="millTestReport",
        number_key="reportNumber",
        types=("MillTestReport", "MillTestReportCredential"),
        name="Mill test report MTR-SG-26-1187",
        summary=("mill test report MTR-SG-26-1187 (EN 10204 3.1): Hot-rolled steel coils, ASTM A1011 / ASTM A36 grade "
                 "CS Type B / A36; 3 heat(s), 700 TNE; melted and poured in MX; mill Siderúrgica del Golfo S.A. de C.V."),
        schema_file="mill-test-report-v1.json",
        created=datetime(2026, 10, 28, 12, tzinfo=timezone.utc),
        now=datetime(2026, 11, 15, tzinfo=timezone.utc),
        identified=("mill", GOLFO_IDS),
        optional=("inspectionDocumentType", "hsCode", "countryOfOrigin"),
        broken_rule=(["credentialSubject", "heats", 1, "heatNumber"], "H26-40871",
                     "heats[1].heatNumber: heat H26-40871 is listed twice"),
        retyped_as="invoice",
        broken_yaml="millTestReport:\n  heats: {heatNumber: H26-40871\n",
        json_literals=frozenset({"chemicalComposition", "mechanicalProperties", "strength"}),
    ),
    Shipment(
        trade_type="bill-of-lading",
        fixtures=("bill-of-lading",),
        signer="gulf-intermodal",
        request_key="billOfLading",
        number_key="billOfLadingNumber",
        types=("BillOfLading", "MultiModalBillOfLadingCredential"),
        name="Bill of lading GFIL-ATM-26-09912",
        summary=("bill of lading GFIL-ATM-26-09912: Altamira (MXATM) → Houston (USHOU) on MV Golfo Azul 026N, shipped "
                 "on board 2026-11-06; 3 container(s), 2 good(s), 38 package(s), 712.4 TNE gross; "
                 "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc."),
        schema_file="bill-of-lading-v1.json",
        created=datetime(2026, 11, 6, 18, tzinfo=timezone.utc),
        now=datetime(2026, 11, 15, tzinfo=timezone.utc),
        identified=("shipper", {**ACEROS_IDS, "email": "embarques@aceros-del-norte.example",
                                "phoneNumber": "+52 81 8150 4502"}),
        optional=("bookingNumber", "notifyParty", "vessel", "voyageNumber", "placeOfReceipt", "placeOfDelivery",
                  "containers"),
        broken_rule=(["credentialSubject", "containers", 0, "containerNumber"], "GFIU4120730",
                     "containers[0].containerNumber: GFIU4120730 fails"),
        retyped_as="mill-test-report",
        broken_yaml="billOfLading:\n  portOfLoading: {name: Altamira\n",
    ),
    Shipment(
        trade_type="sima-licence",
        fixtures=("sima-licence", "sima-licence-a36"),
        signer="us-commerce-sima",
        request_key="simaLicence",
        number_key="licenseNumber",
        types=("SIMALicence", "SIMASteelImportLicenseCredential"),
        name="SIMA steel import licence S26-0093417",
        summary=("SIMA steel import licence S26-0093417: HTS 7208.37.0030, 500 TNE, 406,250.00 USD; origin MX, "
                 "melted and poured in MX; importer ACME Steel Imports Inc."),
        schema_file="sima-licence-v1.json",
        created=datetime(2026, 10, 20, 9, tzinfo=timezone.utc),
        now=datetime(2026, 11, 12, 12, tzinfo=timezone.utc),  # the day of import, inside both licences' windows
        identified=("mill", {**GOLFO_IDS, "email": "calidad@siderurgica-golfo.example", "phoneNumber": "+52 833 230 1100"}),
        optional=("countryOfExportation", "expectedDateOfImport", "exporter", "mill", "portOfEntry"),
        broken_rule=(["credentialSubject", "hsCode"], "7601.20.0000",
                     "credentialSubject.hsCode: '7601.20.0000' is not steel"),
        retyped_as="entry-summary",
        broken_yaml="simaLicence: [unclosed\n",
        cli_expect=((("credentialSubject", "mill", "legalName"), "Siderúrgica del Golfo S.A. de C.V."),),
    ),
    Shipment(
        trade_type="export-declaration",
        fixtures=("export-declaration",),
        signer="anam-mx",
        request_key="exportDeclaration",
        number_key="declarationNumber",
        types=("ExportDeclarationCredential",),
        name="Export declaration 26 81 3912 6001234",
        summary=("export declaration 26 81 3912 6001234: 2 line(s), 700 TNE, 575,900.00 USD; MX → US; "
                 "Aceros del Norte S.A. de C.V. → ACME Steel Imports Inc."),
        schema_file="export-declaration-v1.json",
        created=datetime(2026, 11, 5, 15, tzinfo=timezone.utc),
        now=datetime(2026, 11, 12, 12, tzinfo=timezone.utc),
        identified=("consignee", ACME_IDS),
        optional=("customsOffice", "invoiceNumber"),
        broken_rule=(["credentialSubject", "destinationCountry"], "MX",
                     "credentialSubject.destinationCountry: 'MX' is also the country of exportation"),
        retyped_as="sima-licence",
        broken_yaml="exportDeclaration:\n  lines: [unclosed\n",
        cli_expect=((("credentialSubject", "exporter", "address", "addressRegion"), "Nuevo León"),),
        numbered_lines=True,
    ),
    Shipment(
        trade_type="entry-summary",
        fixtures=("entry-summary",),
        signer="rio-bravo-broker",  # a P-256 key: the EdDSA suites sign with an Ed25519 key of their own
        request_key="entrySummary",
        number_key="entryNumber",
        types=("EntrySummary", "CBP7501EntrySummaryCredential"),
        name="Entry summary RBB-2611874-3",
        summary=("entry summary RBB-2611874-3 (type 01, port 5301): 2 line(s), 700 TNE, 575,900.00 USD entered; "
                 "importer of record ACME Steel Imports Inc. (74-3198265)"),
        schema_file="entry-summary-v1.json",
        created=datetime(2026, 11, 12, 8, tzinfo=timezone.utc),
        now=datetime(2026, 11, 12, 12, tzinfo=timezone.utc),
        identified=("importerOfRecord", ACME_IDS),
        optional=("billOfLadingNumber", "certificateOfOrigin", "exportDate", "importDate"),
        broken_rule=(["credentialSubject", "lines", 0, "simaLicenseNumber"], DELETE,
                     "credentialSubject.lines[0]: 'simaLicenseNumber' is required: HTS 7208.37.0030 is steel"),
        retyped_as="export-declaration",
        broken_yaml='entrySummary:\n  entryType: "01\n',
        cli_expect=((("proof", "cryptosuite"), "ecdsa-rdfc-2019"),),  # the broker's P-256 key's default
        suites=EDDSA + ECDSA,
        numbered_lines=True,
    ),
]
BY_TYPE = {shipment.trade_type: shipment for shipment in SHIPMENTS}
LINED = [shipment for shipment in SHIPMENTS if shipment.numbered_lines]
_IDS = [shipment.trade_type for shipment in SHIPMENTS]


def _key(shipment: Shipment, suite: str, fixture_key: Callable[[str], Key]) -> Key:
    """The issuer's key, or an Ed25519 key of its own for an EdDSA suite when the issuer's key is not Ed25519."""
    key = fixture_key(shipment.signer)
    return Key.generate("Ed25519") if suite.startswith("eddsa") and key.key_type != "Ed25519" else key


def _at(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@pytest.fixture
def request_of(trade_request: Callable[[str, str], dict[str, Any]]) -> Callable[[Shipment], dict[str, Any]]:
    """``request_of(shipment)``: the request of its (first) fixture."""
    return lambda shipment: trade_request("shipment", shipment.fixtures[0])


def test_the_table_holds_every_bundled_shipment_type() -> None:
    """A shipment type bundled in vctrade/trade/_types/ is tested here too: the table must have its row."""
    bundled = {name for name, t in trade_types().items() if t.builder.__module__.startswith("vctrade.trade._types.")}
    assert sorted(BY_TYPE) == sorted(bundled - {"aeo", "origin"})


# -- issued and verified -----------------------------------------------------------------------------


_ISSUED = [pytest.param(shipment, fixture, suite, id=f"{fixture}-{suite}")
           for shipment in SHIPMENTS for fixture in shipment.fixtures for suite in shipment.suites]


@pytest.mark.parametrize(("shipment", "fixture", "suite"), _ISSUED)
def test_the_fixture_issues_and_verifies_with_every_check_passed(shipment: Shipment, fixture: str, suite: str,
                                                                 fixture_key: Callable[[str], Key],
                                                                 trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = _key(shipment, suite, fixture_key)
    request = trade_request("shipment", fixture)
    issued = issue(request, key, trade_type=shipment.trade_type, suite=suite, created=shipment.created)
    credential = issued.credential
    assert credential["@context"] == [VC_CONTEXT, TRADE_CONTEXT, SHIPMENT_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", *shipment.types]
    assert credential["credentialSchema"] == {"id": shipment.type.schema.id, "type": "JsonSchema"}
    assert credential["id"] == request["id"]
    assert credential["issuer"] == {"id": key.did, "name": request["issuerName"]}
    if fixture == shipment.fixtures[0]:
        assert credential["name"] == shipment.name
    result = verify(issued.secured, now=shipment.now)
    assert result.verified, result.failures
    assert [c for c in result.checks if c.status != "passed"] == []
    assert check(result, "proof.signature").message.startswith(suite)
    assert check(result, "schema").message == f"conforms to {shipment.type.schema.id}"
    assert check(result, "json-ld").code == "jsonld_ok"


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_the_builder_does_not_mutate_the_request(shipment: Shipment, request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    request = request_of(shipment)
    kept = copy.deepcopy(request)
    shipment.type.build(request, "did:example:issuer")
    assert request == kept


# -- every term defined -------------------------------------------------------------------------------


_FIXTURES = [pytest.param(shipment, fixture, id=fixture) for shipment in SHIPMENTS for fixture in shipment.fixtures]


@pytest.mark.parametrize(("shipment", "fixture"), _FIXTURES)
def test_every_issued_term_is_defined_by_the_contexts(shipment: Shipment, fixture: str, fixture_key: Callable[[str], Key],
                                                      trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """Safe mode refuses a term that would be dropped; one a context's @vocab turned into an issuer-dependent IRI
    would pass with the code jsonld_issuer_dependent. The request here uses the optional fields the schema allows, a
    party's identifiers too: every term is the contexts' own."""
    request = trade_request("shipment", fixture)
    subject = request[shipment.request_key]
    party, identifiers = shipment.identified
    subject[party] |= identifiers
    assert set(shipment.optional) <= subject.keys()
    result = verify(issue(request, fixture_key(shipment.signer), trade_type=shipment.trade_type,
                          created=shipment.created).secured, now=shipment.now)
    json_ld = check(result, "json-ld")
    assert result.verified, result.failures
    assert json_ld.status == "passed" and json_ld.code == "jsonld_ok" and json_ld.code != "jsonld_issuer_dependent"


def test_an_undefined_term_is_named_by_the_schema_by_signing_and_by_verification(
        fixture_key: Callable[[str], Key], trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    """The control for the test above: these contexts have no @vocab, so an undefined term is dropped, and refused."""
    key = fixture_key("rio-bravo-broker")
    entry = trade_request("shipment", "entry-summary")
    entry_summary = get_trade_type("entry-summary")
    credential = entry_summary.build(entry, key.did)
    credential["credentialSubject"]["lines"][0]["dutyRate"] = "free"
    assert entry_summary.problems(credential) == [
        "credentialSubject.lines[0]: fields are not allowed ('dutyRate' was unexpected)"]
    with pytest.raises(JsonLdSafetyError, match=r"term 'dutyRate' at credentialSubject.lines\[0\].dutyRate is not defined"):
        sign(credential, key, created=BY_TYPE["entry-summary"].created)
    signed = sign(entry_summary.build(entry, key.did), key, created=BY_TYPE["entry-summary"].created)
    signed["credentialSubject"]["dutyRate"] = "free"  # added after signing
    json_ld = check(verify(signed, now=BY_TYPE["entry-summary"].now), "json-ld")
    assert json_ld.status == "failed" and "dutyRate" in json_ld.message


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_the_schema_names_only_terms_the_contexts_define(shipment: Shipment, repo: Path) -> None:
    """Every property the schema allows below credentialSubject is a term of the contexts the document uses, except
    inside JSON literals."""
    contexts = repo / "contexts"
    defined = {term for name in ("credentials-v2.jsonld", "vctrade-trade-v1.jsonld", "vctrade-shipment-v1.jsonld")
               for term in json.loads((contexts / name).read_text(encoding="utf-8"))["@context"]}
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / shipment.schema_file).read_text(encoding="utf-8"))
    assert schema["$id"] == shipment.type.schema.id
    allowed = {key for name, definition in schema["$defs"].items() if name not in shipment.json_literals
               for key in definition.get("properties", {})}
    assert allowed and allowed - defined == set()


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_the_credential_must_carry_both_contexts_and_its_type(shipment: Shipment,
                                                              request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    credential = shipment.type.build(request_of(shipment), "did:example:issuer")
    credential["@context"].remove(SHIPMENT_CONTEXT)
    assert shipment.type.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1"]
    credential["@context"].remove(TRADE_CONTEXT)
    assert "@context must be a @context list that includes https://vctrade.dev/contexts/trade/v1" in (
        shipment.type.problems(credential))
    credential["@context"] = [VC_CONTEXT, TRADE_CONTEXT]
    credential["type"] = ["VerifiableCredential", *shipment.types[1:]]
    assert shipment.type.problems(credential) == [
        "@context must be a @context list that includes https://vctrade.dev/contexts/shipment/v1",
        f"type must be a type list that includes {shipment.types[0]}",
    ]


# -- rules and types judged at verification ----------------------------------------------------------


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_a_rule_broken_by_a_credential_signed_elsewhere_fails_verification(
        shipment: Shipment, fixture_key: Callable[[str], Key], request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    key = fixture_key(shipment.signer)
    path, value, message = shipment.broken_rule
    credential = changed(shipment.type.build(request_of(shipment), key.did), path, value)
    assert shipment.type.schema.problems(credential) == []  # the rule, not the schema, refuses it
    result = verify(sign(credential, key, created=shipment.created), now=shipment.now)
    schema = check(result, "schema")
    assert not result.verified and schema.status == "failed" and message in schema.message
    assert check(result, "proof.signature").status == "passed"


_RETYPED = [pytest.param(shipment, other, id=f"{shipment.trade_type}-as-{other}") for shipment in SHIPMENTS
            for other, other_type in sorted(trade_types().items())
            if other_type.type_iri.startswith(TRADE_VOCAB) and other != shipment.trade_type]


@pytest.mark.parametrize(("shipment", "other"), _RETYPED)
def test_a_document_retyped_as_another_fails_the_schema_check(shipment: Shipment, other: str,
                                                              fixture_key: Callable[[str], Key],
                                                              request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    """Signed anew with another type's type and schema, the document is judged as that type, and is not one."""
    key, target = fixture_key(shipment.signer), get_trade_type(other)
    credential = shipment.type.build(request_of(shipment), key.did)
    credential["type"] = ["VerifiableCredential", target.type_names[0]]
    credential["credentialSchema"] = {"id": target.schema.id, "type": "JsonSchema"}
    result = verify(sign(credential, key, created=shipment.created), now=shipment.now)
    schema = check(result, "schema")
    assert schema.status == "failed" and "credentialSubject" in schema.message and not result.verified
    assert check(result, "proof.signature").status == "passed" and check(result, "json-ld").status == "passed"
    needed = BY_TYPE[other].number_key if other in BY_TYPE else None
    if needed is not None and needed not in credential["credentialSubject"]:
        assert f"credentialSubject: '{needed}' is required" in schema.message


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
@pytest.mark.parametrize("own_schema", [True, False], ids=["keeping-its-schema", "without-a-schema"])
def test_a_document_retyped_as_another_names_what_that_one_needs(shipment: Shipment, own_schema: bool,
                                                                 fixture_key: Callable[[str], Key],
                                                                 request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    """Re-signed with a valid proof under the other type's types: judged as the other type, and still by its own
    credentialSchema when it keeps one; without one, by its (forged) type alone."""
    key, other = fixture_key(shipment.signer), BY_TYPE[shipment.retyped_as]
    forged = shipment.type.build(request_of(shipment), key.did)
    forged["type"] = ["VerifiableCredential", *other.types]
    if not own_schema:
        del forged["credentialSchema"]
    result = verify(sign(forged, key, created=shipment.created), now=shipment.now)
    schema = check(result, "schema")
    assert schema.status == "failed" and not result.verified
    assert check(result, "proof.signature").status == "passed"
    assert f"credentialSubject: '{other.number_key}' is required" in schema.message
    own = f"type must be a type list that includes {shipment.types[0]}"
    assert (own in schema.message) is own_schema


# -- the request's shape and numbered lines -----------------------------------------------------------


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_a_request_without_its_mapping_or_with_unknown_fields_is_refused(
        shipment: Shipment, request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    request = request_of(shipment)
    mapping = request[shipment.request_key]
    article = "an" if shipment.request_key[0] in "aeiou" else "a"
    for bad in ({"validFrom": "2026-11-02T00:00:00Z"},  # no mapping
                {"document": mapping},  # under another name
                {shipment.request_key: [mapping]}):  # not a mapping
        with pytest.raises(InvalidDocument, match=f"^the request needs {article} '{shipment.request_key}' mapping"):
            shipment.type.build(bad, "did:example:issuer")
    allowed = ", ".join(sorted(shipment.type.request_fields))
    with pytest.raises(InvalidDocument) as raised:  # a document's field given beside its mapping
        shipment.type.build({**request, shipment.number_key: mapping[shipment.number_key]}, "did:example:issuer")
    assert str(raised.value) == f"unknown request field(s): {shipment.number_key} (allowed: {allowed})"


@pytest.mark.parametrize("shipment", LINED, ids=[shipment.trade_type for shipment in LINED])
def test_a_request_must_not_number_its_lines(shipment: Shipment, request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    request = changed(request_of(shipment), [shipment.request_key, "lines", 1, "lineNumber"], 7)
    where = rf"^{shipment.request_key}\.lines\[1\]\.lineNumber: lines are numbered in request order by the issuer"
    with pytest.raises(InvalidDocument, match=where):
        shipment.type.build(request, "did:example:issuer")


@pytest.mark.parametrize("shipment", LINED, ids=[shipment.trade_type for shipment in LINED])
@pytest.mark.parametrize(("numbers", "problems"), [
    ([1, 1], ["credentialSubject.lines: line numbers must be 1 to 2, each once, not 1, 1"]),
    ([2, 2], ["credentialSubject.lines: line numbers must be 1 to 2, each once, not 2, 2"]),
    ([0, 2], ["credentialSubject.lines[0].lineNumber: 0 is less than the minimum of 1",
              "credentialSubject.lines: line numbers must be 1 to 2, each once, not 0, 2"]),
    ([1.5, 2], ["credentialSubject.lines[0].lineNumber: 1.5 is not of type 'integer'"]),
    ([2, 1], []),  # the order of a JSON-LD list is not signed: only the numbers are
], ids=["1-1", "2-2", "0-2", "1.5-2", "2-1"])
def test_lines_are_numbered_one_to_n_each_once(shipment: Shipment, numbers: list[Any], problems: list[str],
                                               request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    credential = shipment.type.build(request_of(shipment), "did:example:issuer")
    for line, number in zip(credential["credentialSubject"]["lines"], numbers, strict=True):
        line["lineNumber"] = number
    assert shipment.type.problems(credential) == problems


@pytest.mark.parametrize("shipment", LINED, ids=[shipment.trade_type for shipment in LINED])
def test_lines_that_are_not_a_list_of_objects_are_left_for_the_schema_to_name(
        shipment: Shipment, request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    request = request_of(shipment)
    with pytest.raises(TradeDocumentError) as raised:
        shipment.type.build(changed(request, [shipment.request_key, "lines"], "one line"), "did:example:issuer")
    assert "credentialSubject.lines: 'one line' is not of type 'array'" in raised.value.problems
    with pytest.raises(TradeDocumentError) as raised:
        shipment.type.build(changed(request, [shipment.request_key, "lines"], ["coils"]), "did:example:issuer")
    assert raised.value.problems == ("credentialSubject.lines[0]: 'coils' is not of type 'object'",)


@pytest.mark.parametrize("shipment", LINED, ids=[shipment.trade_type for shipment in LINED])
def test_lines_reordered_by_a_holder_still_verify_and_keep_their_numbers(
        shipment: Shipment, fixture_key: Callable[[str], Key], request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    """RDFC signs the lines as a set: reordering them keeps the proof, and lineNumber keeps each line's identity."""
    key = fixture_key(shipment.signer)
    signed = sign(shipment.type.build(request_of(shipment), key.did), key, created=shipment.created)
    assert signed["proof"]["cryptosuite"].split("-")[1] == "rdfc"
    signed["credentialSubject"]["lines"].reverse()
    result = verify(signed, now=shipment.now)
    assert result.verified, result.failures
    assert [line["lineNumber"] for line in signed["credentialSubject"]["lines"]] == [2, 1]


# -- vctrade show --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_show_prints_the_summary(shipment: Shipment, fixture_key: Callable[[str], Key],
                                 request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    secured = issue(request_of(shipment), fixture_key(shipment.signer), trade_type=shipment.trade_type,
                    created=shipment.created).secured
    assert isinstance(secured, dict)
    assert render(secured).splitlines()[1].strip() == shipment.summary


# -- the command line ----------------------------------------------------------------------------------


def test_cli_issue_lists_every_shipment_type_with_its_title(run_cli: Callable[..., CompletedProcess[str]]) -> None:
    listing = run_cli("issue")
    assert listing.returncode == 0, listing.stderr
    for shipment in SHIPMENTS:
        assert shipment.trade_type in listing.stdout and shipment.type.title.split(",")[0] in listing.stdout


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_cli_issues_shows_and_verifies_the_document(shipment: Shipment, tmp_path: Path, fixtures_dir: Path,
                                                    run_cli: Callable[..., CompletedProcess[str]],
                                                    load_json: Callable[[Path], Any], fixture_key: Callable[[str], Key],
                                                    request_of: Callable[[Shipment], dict[str, Any]]) -> None:
    """Issued and verified on the real clock (the CLI has no other): the fixture's window moved to today."""
    request, now = request_of(shipment), datetime.now(timezone.utc)
    window = ["--valid-from", format_datetime(now - timedelta(days=1))]
    if "validUntil" in request:
        window += ["--valid-until", format_datetime(now + timedelta(days=60))]
    out = tmp_path / f"{shipment.trade_type}.json"
    issued = run_cli("issue", shipment.trade_type, "--key", str(fixtures_dir / "keys" / f"{shipment.signer}.jwk"),
                     "--from", str(fixtures_dir / "shipment" / f"{shipment.fixtures[0]}.yaml"), *window, "-o", str(out),
                     "--registry", str(tmp_path / "registry.sqlite"))
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["id"] == request["id"]
    assert credential["issuer"] == {"id": fixture_key(shipment.signer).did, "name": request["issuerName"]}
    for path, value in shipment.cli_expect:
        assert _at(credential, path) == value and value in out.read_text(encoding="utf-8")  # as written, not escaped
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and shipment.summary in shown.stdout
    verified = run_cli("verify", str(out), "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, report
    assert {c["name"]: c["status"] for c in report["checks"]}["schema"] == "passed"


def _cli_refused(result: CompletedProcess[str], out: Path, message: str) -> None:
    """Exit 2, nothing on stdout, no output file, and one line on stderr that says ``message``."""
    assert result.returncode == 2 and result.stdout == "" and not out.exists(), result
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


_BAD_REQUESTS = [
    # (trade type, case, edit of the fixture's text, options, what stderr says)
    ("invoice", "missing field", lambda text: text.replace('  invoiceDate: "2026-11-02"\n', ""), (),
     "credentialSubject: 'invoiceDate' is required"),
    ("invoice", "wrong HS", lambda text: text.replace('hsCode: "7208.37.0060"', 'hsCode: "7208"'), (),
     "credentialSubject.lines[1].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
    ("invoice", "unknown request field", lambda text: text.replace("validFrom:", "colour: red\nvalidFrom:"), (),
     "unknown request field(s): colour"),
    ("invoice", "unknown field", lambda text: text.replace("  currency: USD\n", "  currency: USD\n  paymentTerms: net 30\n"),
     (), "credentialSubject: fields are not allowed ('paymentTerms' was unexpected)"),
    ("mill-test-report", "missing field", lambda text: text.replace("  countryOfMeltAndPour: MX\n", ""), (),
     "credentialSubject: 'countryOfMeltAndPour' is required"),
    ("mill-test-report", "wrong HS", lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "72"'), (),
     "credentialSubject.hsCode: '72' is not an HS tariff classification of at least 6 digits"),
    ("mill-test-report", "unknown request field", lambda text: text.replace("validFrom:", "mill: Siderúrgica\nvalidFrom:"),
     (), "unknown request field(s): mill"),
    ("mill-test-report", "not an element", lambda text: text.replace("{C: 0.18,", "{Carbon: 0.18,"), (),
     "credentialSubject.heats[2].chemicalComposition: 'Carbon' is not a chemical element symbol"),
    ("bill-of-lading", "missing field", lambda text: text.replace('  shippedOnBoardDate: "2026-11-06"\n', ""), (),
     "credentialSubject: 'shippedOnBoardDate' is required"),
    ("bill-of-lading", "wrong HS", lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "7208"', 1), (),
     "credentialSubject.goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
    ("bill-of-lading", "unknown request field", lambda text: text.replace("validFrom:", "carrier: GFIL\nvalidFrom:"), (),
     "unknown request field(s): carrier"),
    ("bill-of-lading", "check digit", lambda text: text.replace("GFIU4120886", "GFIU4120887"), (),
     "credentialSubject.containers[1].containerNumber: GFIU4120887 fails the ISO 6346 check digit"),
    ("sima-licence", "missing field", lambda text: text.replace("  licenseNumber: S26-0093417\n", ""), (),
     "credentialSubject: 'licenseNumber' is required"),
    ("sima-licence", "wrong HTS", lambda text: text.replace('hsCode: "7208.37.0030"', 'hsCode: "7208.37"'), (),
     "credentialSubject.hsCode: '7208.37' is not a 10-digit HTS number"),
    ("sima-licence", "not steel", lambda text: text.replace('hsCode: "7208.37.0030"', 'hsCode: "7601.20.0000"'), (),
     "credentialSubject.hsCode: '7601.20.0000' is not steel"),
    ("sima-licence", "unknown field", lambda text: text + "  colour: red\n", (),
     "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("sima-licence", "76-day licence", lambda text: text, ("--valid-until", "2027-01-04T00:00:00Z"),
     "is longer than 75 days, the most a SIMA licence is valid for"),
    ("export-declaration", "missing field", lambda text: text.replace('  exportDate: "2026-11-05"\n', ""), (),
     "credentialSubject: 'exportDate' is required"),
    ("export-declaration", "wrong HS", lambda text: text.replace('hsCode: "7208.37"', 'hsCode: "72"', 1), (),
     "credentialSubject.lines[0].hsCode: '72' is not"),
    ("export-declaration", "unknown field", lambda text: text + "  colour: red\n", (),
     "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("export-declaration", "14-digit pedimento", lambda text: text.replace("26 81 3912 6001234", "26 81 3912 600123"), (),
     "credentialSubject.declarationNumber: '26 81 3912 600123' is not a declaration number"),
    ("export-declaration", "14 digits unspaced", lambda text: text.replace("26 81 3912 6001234", '"26813912600123"'), (),
     "credentialSubject.declarationNumber: '26813912600123' is not a pedimento number"),
    ("export-declaration", "numbered line",
     lambda text: text.replace("    - description:", "    - lineNumber: 7\n      description:", 1), (),
     "exportDeclaration.lines[0].lineNumber: lines are numbered in request order"),
    ("entry-summary", "missing field", lambda text: text.replace('  entryType: "01"\n', ""), (),
     "credentialSubject: 'entryType' is required"),
    ("entry-summary", "wrong HTS", lambda text: text.replace('hsCode: "7208.37.0060"', 'hsCode: "7208.37"'), (),
     "credentialSubject.lines[1].hsCode: '7208.37' is not a 10-digit HTS number"),
    ("entry-summary", "unknown field", lambda text: text + "  colour: red\n", (),
     "credentialSubject: fields are not allowed ('colour' was unexpected)"),
    ("entry-summary", "steel without licence", lambda text: text.replace("      simaLicenseNumber: S26-0093418\n", ""), (),
     "credentialSubject.lines[1]: 'simaLicenseNumber' is required"),
]


@pytest.mark.parametrize(("trade_type", "case", "edit", "options", "message"), _BAD_REQUESTS,
                         ids=[f"{row[0]}-{row[1]}" for row in _BAD_REQUESTS])
def test_cli_refuses_bad_requests_in_one_line_and_writes_nothing(trade_type: str, case: str, edit: Callable[[str], str],
                                                                 options: tuple[str, ...], message: str, tmp_path: Path,
                                                                 fixtures_dir: Path,
                                                                 run_cli: Callable[..., CompletedProcess[str]]) -> None:
    shipment = BY_TYPE[trade_type]
    text = (fixtures_dir / "shipment" / f"{shipment.fixtures[0]}.yaml").read_text(encoding="utf-8")
    assert edit(text) != text or options, f"the edit {case!r} changes nothing: the fixture changed"
    request, out = tmp_path / "request.yaml", tmp_path / "out.json"
    request.write_text(edit(text), encoding="utf-8")
    result = run_cli("issue", trade_type, "--key", str(fixtures_dir / "keys" / f"{shipment.signer}.jwk"),
                     "--from", str(request), *options, "-o", str(out))
    _cli_refused(result, out, message)


@pytest.mark.parametrize("shipment", SHIPMENTS, ids=_IDS)
def test_cli_refuses_broken_yaml_in_one_line_and_writes_nothing(shipment: Shipment, tmp_path: Path, fixtures_dir: Path,
                                                                run_cli: Callable[..., CompletedProcess[str]]) -> None:
    request, out = tmp_path / "broken.yaml", tmp_path / "out.json"
    request.write_text(shipment.broken_yaml, encoding="utf-8")
    result = run_cli("issue", shipment.trade_type, "--key", str(fixtures_dir / "keys" / f"{shipment.signer}.jwk"),
                     "--from", str(request), "-o", str(out))
    _cli_refused(result, out, f"{request} is not valid YAML: ")
    assert result.stderr.startswith(f"error: {request} is not valid YAML: ") and "(line " in result.stderr
