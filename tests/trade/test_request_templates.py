"""Requests as users write them (issue #17, fix 9): shipped templates to fill in, numbers read as written where the
schema wants text, a date without a time named with the fix, and no EU-only requirement in a C-TPAT request's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, issue
from vctrade.errors import TradeDocumentError, UnsupportedError
from vctrade.trade import build_aeo_credential, load_request, trade_types
from vctrade.trade._build import request_template, request_templates

KEY = Key.generate()
BUNDLED = ("aeo", "origin", "invoice", "mill-test-report", "bill-of-lading", "sima-licence", "export-declaration",
           "entry-summary")


def test_every_bundled_type_ships_a_template() -> None:
    assert set(BUNDLED) <= set(trade_types())
    assert request_templates("aeo") == ["ctpat", "eu-aeo", "mx-oea"]
    assert request_templates("origin") == ["cafta-dr", "usmca"]
    for name in BUNDLED[2:]:
        assert request_templates(name) == ["steel-import"], name


@pytest.mark.parametrize(("kind", "template"), [(k, t) for k in BUNDLED for t in request_templates(k)])
def test_each_template_is_a_valid_request(kind: str, template: str, tmp_path: Path) -> None:
    path = tmp_path / "request.yaml"
    path.write_text(request_template(kind, template))
    assert issue(load_request(path), KEY, trade_type=kind).credential["type"][0] == "VerifiableCredential"


def test_an_unknown_template_names_the_ones_there_are() -> None:
    with pytest.raises(UnsupportedError, match="its templates: cafta-dr, usmca"):
        request_template("origin", "nafta")


def _request(tmp_path: Path, text: str, suffix: str = ".yaml") -> dict[str, Any]:
    path = tmp_path / f"request{suffix}"
    path.write_text(text)
    return load_request(path)


def test_numbers_the_schema_wants_as_text_keep_the_text_as_written(tmp_path: Path) -> None:
    text = request_template("origin", "usmca").replace('hsCode: "7208.37"', "hsCode: 7208.10")
    text = text.replace('postalCode: "64540"', "postalCode: 064540")
    credential = issue(_request(tmp_path, text), KEY, trade_type="origin").credential
    good = credential["credentialSubject"]["goods"][0]
    assert good["hsCode"] == "7208.10"  # YAML's number is 7208.1
    assert credential["credentialSubject"]["certifier"]["address"]["postalCode"] == "064540"
    assert type(good["quantity"]) is int and type(good["unitPrice"]) is float  # plain numbers, as before
    json.dumps(credential)


def test_a_json_request_keeps_its_numbers_text_too(tmp_path: Path) -> None:
    request = _request(tmp_path, request_template("origin", "usmca"))
    text = json.dumps(request).replace('"hsCode": "7208.37"', '"hsCode": 7208.30')
    credential = issue(_request(tmp_path, text, ".json"), KEY, trade_type="origin").credential
    assert credential["credentialSubject"]["goods"][0]["hsCode"] == "7208.30"


def test_a_code_that_is_still_wrong_as_text_is_named(tmp_path: Path) -> None:
    text = request_template("origin", "usmca").replace('hsCode: "7208.37"', "hsCode: 72083")
    with pytest.raises(TradeDocumentError, match="hsCode: '72083' is not an HS tariff classification"):
        issue(_request(tmp_path, text), KEY, trade_type="origin")


def test_yaml_booleans_are_only_true_and_false(tmp_path: Path) -> None:
    """YAML 1.1 reads NO (Norway), on, yes as booleans; a request reads them as the text they are."""
    request = _request(tmp_path, "a: NO\nb: yes\nc: true\nd: False\n")
    assert request == {"a": "NO", "b": "yes", "c": True, "d": False}


def test_a_date_without_a_time_is_named_with_the_fix(tmp_path: Path) -> None:
    text = request_template("aeo", "ctpat").replace('validUntil: "2027-03-31T23:59:59Z"', "validUntil: 2027-03-31")
    with pytest.raises(TradeDocumentError) as raised:
        issue(_request(tmp_path, text), KEY, trade_type="aeo")
    assert list(raised.value.problems) == ["validUntil: '2027-03-31' is a date without a time; validUntil is a date-time "
                                     'with a timezone, e.g. validUntil: "2027-03-31T00:00:00Z"']


@pytest.mark.parametrize("missing", ["aeoProgramme", "tier", "ctpatAccountNumber"])
def test_a_ctpat_request_is_not_told_about_eu_fields(missing: str, trade_request: Any) -> None:
    request = trade_request("aeo", "acme-ctpat")
    del request["subject"][missing]
    with pytest.raises(TradeDocumentError) as raised:
        build_aeo_credential(request, KEY.did)
    assert f"credentialSubject: '{missing}' is required" in raised.value.problems
    assert not any("eori" in p or "aeoType" in p for p in raised.value.problems), raised.value.problems


def test_a_cafta_certificate_without_an_agreement_is_not_judged_by_usmca(trade_request: Any) -> None:
    from vctrade.trade import build_origin_credential

    request = trade_request("origin", "cafta-apparel")
    del request["declaration"]["agreement"]
    with pytest.raises(TradeDocumentError) as raised:
        build_origin_credential(request, KEY.did)
    assert list(raised.value.problems) == ["credentialSubject: 'agreement' is required"]
