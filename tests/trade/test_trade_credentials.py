"""Trade credentials: builders, schemas and trade rules, verification, traceability compatibility, show."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, sign, verify
from vctrade.errors import InvalidDocument
from vctrade._show import render
from vctrade.trade import build_aeo_credential, build_origin_credential

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = datetime(2026, 5, 15, tzinfo=timezone.utc)
AEO_FIXTURES = ["acme-ctpat", "eu-aeo-holder", "mx-oea-aceros"]
ORIGIN_FIXTURES = ["usmca-steel", "cafta-apparel"]


def check(result: Any, name: str) -> Any:
    return next(c for c in result.checks if c.name == name)


@pytest.mark.parametrize("name", AEO_FIXTURES)
@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_aeo_fixtures_issue_and_verify(name: str, suite: str, fixture_key: Callable[[str], Key],
                                       trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key("cbp")
    credential = build_aeo_credential(trade_request("aeo", name), key.did)
    assert "AEOCertificate" in credential["type"]
    assert credential["credentialSchema"] == {"id": "https://vctrade.dev/schemas/aeo-certificate/v1", "type": "JsonSchema"}
    result = verify(sign(credential, key, suite=suite, created=CREATED), now=NOW)
    assert result.verified, result.failures
    assert check(result, "schema").status == "passed"


def test_ctpat_gets_the_traceability_type_and_eu_does_not(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    ctpat = build_aeo_credential(trade_request("aeo", "acme-ctpat"), "did:web:cbp.example")
    eu = build_aeo_credential(trade_request("aeo", "eu-aeo-holder"), "did:web:zoll.example")
    assert "CTPATCertificate" in ctpat["type"] and "CTPATCertificate" not in eu["type"]
    assert ctpat["issuer"] == {"id": "did:web:cbp.example", "name": "U.S. Customs and Border Protection"}
    assert ctpat["credentialSubject"]["tier"] == "Validated"
    assert eu["credentialSubject"]["aeoType"] == "AEOF"


@pytest.mark.parametrize("name", ORIGIN_FIXTURES)
@pytest.mark.parametrize("key_name", ["aceros-del-norte", "acme-imports", "textiles-maya"])
def test_origin_fixtures_issue_and_verify(name: str, key_name: str, fixture_key: Callable[[str], Key],
                                          trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key(key_name)
    credential = build_origin_credential(trade_request("origin", name), key.did)
    result = verify(sign(credential, key, created=CREATED), now=NOW)
    assert result.verified, result.failures
    assert check(result, "schema").status == "passed"


def test_usmca_has_the_nine_elements(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    credential = build_origin_credential(trade_request("origin", "usmca-steel"), "did:web:aceros-del-norte.example")
    subject = credential["credentialSubject"]
    assert "USMCACertificationOfOrigin" in credential["type"]
    assert subject["certifierRole"] == "producer"
    assert {"name", "jobTitle", "address", "phoneNumber", "email"} <= subject["certifier"].keys()
    assert {"exporterDetails", "producerDetails", "importerDetails", "goods"} <= subject.keys()
    assert all({"description", "hsCode", "originCriterion"} <= g.keys() for g in subject["goods"])
    assert credential["validFrom"] and credential["validUntil"]  # blanket period
    assert subject["certificationStatement"].startswith("I certify that the goods")


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


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["declaration", "certifier"], _DELETE, "credentialSubject: 'certifier' is required"),
        (["declaration", "goods", 0, "hsCode"], "7208", "goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits"),
        (["validUntil"], "2027-07-01T00:00:00Z", "longer than 12 months"),
        (["declaration", "goods", 1, "originCriterion"], "E", "goods[1].originCriterion: 'E' is not a USMCA origin criterion A, B, C or D"),
        (["declaration", "goods", 0, "countryOfOrigin"], "CN", "'CN' is not a USMCA party"),
        (["declaration", "certifierRole"], "broker", "certifierRole: 'broker' is not one of importer, exporter, producer"),
        (["declaration", "certifier", "email"], "not-an-email", "certifier.email: 'not-an-email' is not an email address"),
        (["declaration", "goods"], [], "goods: [] should be non-empty"),
        (["declaration", "colour"], "red", "'colour' was unexpected"),
        (["validFrom"], _DELETE, "needs a blanket period"),
        (["validUntil"], "2026-04-01T00:00:00Z", "validUntil must be after validFrom"),
        (["validFrom"], "May 1st", "not a date-time"),
        (["surprise"], 1, "unknown request field(s): surprise"),
    ],
)
def test_bad_origin_requests_are_refused_naming_field_and_rule(path: list[Any], value: Any, message: str,
                                                               trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    bad = _with(trade_request("origin", "usmca-steel"), path, value)
    with pytest.raises(InvalidDocument, match="the request is not a valid credential|unknown request field") as raised:
        build_origin_credential(bad, "did:web:aceros-del-norte.example")
    assert message in str(raised.value)


def test_single_shipment_needs_no_blanket_period_and_producer_may_be_various(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    credential = build_origin_credential(trade_request("origin", "cafta-apparel"), "did:web:textiles-maya.example")
    assert "validUntil" not in credential and credential["credentialSubject"]["invoiceNumber"] == "TM-2026-00871"
    assert credential["credentialSubject"]["producerDetails"] == "Various"
    assert "USMCACertificationOfOrigin" not in credential["type"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["subject", "tier"], _DELETE, "'tier' is required"),
        (["subject", "tier"], "Platinum", "'Platinum' is not one of Certified, Validated, Exceeding"),
        (["subject", "aeoProgramme"], "XX-AEO", "aeoProgramme: 'XX-AEO' is not one of"),
        (["subject", "id"], "acme", "'acme' is not the trader's DID"),
        (["subject", "address", "addressCountry"], "USA", "'USA' is not an ISO 3166-1 alpha-2 country code"),
        (["subject", "dateOfLastValidation"], "March 2026", "is not a date"),
        (["validUntil"], _DELETE, "'validUntil' is required"),
    ],
)
def test_bad_aeo_requests_are_refused(path: list[Any], value: Any, message: str,
                                      trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    with pytest.raises(InvalidDocument) as raised:
        build_aeo_credential(_with(trade_request("aeo", "acme-ctpat"), path, value), "did:web:cbp.example")
    assert message in str(raised.value)


def test_eu_aeo_needs_type_and_eori(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    bad = _with(trade_request("aeo", "eu-aeo-holder"), ["subject", "eori"], _DELETE)
    with pytest.raises(InvalidDocument, match="'eori' is required"):
        build_aeo_credential(bad, "did:web:zoll.example")


def test_missing_subject_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="needs a 'subject'"):
        build_aeo_credential({"validFrom": "2026-01-01T00:00:00Z"}, "did:web:cbp.example")


def test_verify_checks_the_schema_even_if_the_reference_is_dropped(fixture_key: Callable[[str], Key],
                                                                   trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key("aceros-del-norte")
    credential = build_origin_credential(trade_request("origin", "usmca-steel"), key.did)
    credential["credentialSubject"]["goods"][0]["hsCode"] = "72"
    del credential["credentialSchema"]
    result = verify(sign(credential, key, created=CREATED), now=NOW)  # signed, but not a valid certificate
    schema = check(result, "schema")
    assert schema.status == "failed" and "hsCode" in schema.message and not result.verified


def test_unknown_credential_schema_is_an_error_not_a_fetch(fixture_key: Callable[[str], Key],
                                                           trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key("cbp")
    credential = build_aeo_credential(trade_request("aeo", "acme-ctpat"), key.did)
    credential["credentialSchema"] = {"id": "https://schemas.example/aeo.json", "type": "JsonSchema"}
    result = verify(sign(credential, key, created=CREATED), now=NOW)
    assert check(result, "schema").status == "error" and result.undecided


def test_a_sixteen_month_blanket_fails_verification(fixture_key: Callable[[str], Key],
                                                    trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    key = fixture_key("aceros-del-norte")
    credential = build_origin_credential(trade_request("origin", "usmca-steel"), key.did)
    credential["validUntil"] = "2027-09-01T00:00:00Z"
    result = verify(sign(credential, key, created=CREATED), now=NOW)
    assert "longer than 12 months" in check(result, "schema").message


@pytest.mark.parametrize("name", ["ctpat-certificate", "usmca-certification-of-origin"])
def test_traceability_context_credentials_verify(name: str, fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    signed = load_json(fixtures_dir / "traceability" / f"{name}.signed.json")
    assert "https://w3id.org/traceability/v1" in signed["@context"]
    result = verify(signed, now=NOW)
    assert result.verified, result.failures
    tampered = copy.deepcopy(signed)
    subject = tampered["credentialSubject"]
    (subject[0] if isinstance(subject, list) else subject)["countryOfOrigin" if isinstance(subject, list) else "sviNumber"] = "CN"
    assert not verify(tampered, now=NOW).verified


def test_traceability_fixtures_are_signed_copies_of_the_templates(fixtures_dir: Path, load_json: Callable[[Path], Any]) -> None:
    for name in ("ctpat-certificate", "usmca-certification-of-origin"):
        template = load_json(fixtures_dir / "traceability" / f"{name}.json")
        signed = load_json(fixtures_dir / "traceability" / f"{name}.signed.json")
        assert {k: v for k, v in signed.items() if k not in ("proof", "issuer", "@context")} == {
            k: v for k, v in template.items() if k != "@context"
        }


def test_show_renders_trade_and_other_credentials(fixture_key: Callable[[str], Key],
                                                  trade_request: Callable[[str, str], dict[str, Any]],
                                                  load_json: Callable[[Path], Any], vectors: Path) -> None:
    key = fixture_key("aceros-del-norte")
    signed = sign(build_origin_credential(trade_request("origin", "usmca-steel"), key.did), key, created=CREATED)
    text = render(signed)
    assert "USMCA certificate of origin: 3 good(s), blanket period; certified by the producer" in text
    assert "7208.37" in text and "Aceros del Norte" in text and "eddsa-rdfc-2022 by" in text
    assert "not verified" in text
    aeo = render(build_aeo_credential(trade_request("aeo", "acme-ctpat"), "did:web:cbp.example"))
    assert "C-TPAT Validated certification of ACME Steel Imports Inc. (importer)" in aeo and "none (unsigned)" in aeo
    generic = render(load_json(vectors / "vc-di-eddsa/unsigned.json"))
    assert "AlumniCredential" in generic and "alumniOf" in generic


def test_builders_do_not_mutate_the_request(trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    original = trade_request("origin", "usmca-steel")
    kept = copy.deepcopy(original)
    build_origin_credential(original, "did:web:aceros-del-norte.example")
    assert original == kept
