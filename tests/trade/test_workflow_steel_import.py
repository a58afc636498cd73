"""The steel-import workflow inside verification: the `[workflow]` policy section, the hook, the fixture policy, and
the fixture shipment signed end to end (then one invoice quantity changed and re-signed)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, TrustPolicy, VerificationResult, issue, present, verify
from vctrade._result import ERROR, FAILED, PASSED, Check
from vctrade.errors import PolicyError
from vctrade.trade import STEEL_IMPORT, WorkflowPolicy, WorkflowSettings, workflow_hook
from vctrade.trust import PolicyInput, TrustedIssuers
from vctrade.verification import WORKFLOW_RESULT

CREATED = datetime(2026, 11, 12, 12, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 13, tzinfo=timezone.utc)  # inside every document's period (the entry summary is of 11-12)
ANAM = "did:key:z6MkgjD1VBzjuJdUAeiLz1m4WY78CN6YjiFKAJ3Bh9jDP6Qn"
CBP = "did:key:z6MkpqZphxkgHLHeQnqE1H4QUK3GeWBmmgW8bQbcvE2c6GXJ"
PASSING = VerificationResult((Check("proof", PASSED, "proof_verified", "the proof verifies"),))
OTHER_WORKFLOW = "https://example.com/workflows/coffee/v1"
# the trade type of each fixtures/shipment/<name>.yaml (named after it, "sima-licence-a36" too) -> its issuer's key
SIGNERS = {
    "invoice": "aceros-del-norte",
    "mill-test-report": "siderurgica-golfo",
    "origin": "aceros-del-norte",
    "bill-of-lading": "gulf-intermodal",
    "sima-licence": "us-commerce-sima",
    "export-declaration": "anam-mx",
    "entry-summary": "rio-bravo-broker",
}


def _trade_type(fixture: str) -> str:
    name = "origin" if fixture == "certificate-of-origin" else fixture
    return next(kind for kind in SIGNERS if name == kind or name.startswith(f"{kind}-"))


def _policy(**workflow: Any) -> TrustPolicy:
    return TrustPolicy.from_dict({"workflow": {"name": "steel-import", **workflow}}, source="test.toml")


def _workflow_result(result: VerificationResult) -> VerificationResult:
    found = [nested for nested in result.nested if nested.document_type == WORKFLOW_RESULT]
    assert len(found) == 1, result.nested
    return found[0]


def _not_passed(result: VerificationResult) -> list[tuple[str, str]]:
    return [(check.name, check.code) for check in result.checks if check.status != PASSED]


# -- the [workflow] policy section --------------------------------------------------------------------------------


def test_the_workflow_section_makes_one_rule_with_its_settings() -> None:
    policy = TrustPolicy.from_dict({
        "workflow": {"name": "steel-import", "required": ["invoice", "origin"], "weight_tolerance": 1.5,
                     "quantity_tolerance": 0, "value_tolerance": 0.25},
        "programme": [{"name": "MX-OEA", "authority": ANAM, "country": "MX"}, {"name": "C-TPAT", "authority": CBP}],
    })
    rule = next(r for r in policy.rules if isinstance(r, WorkflowPolicy))
    assert rule.name == "policy.workflow" and rule.workflow is STEEL_IMPORT
    assert rule.settings == WorkflowSettings(("invoice", "origin"), 1.5, 0.0, 0.25, ((ANAM, "MX"), (CBP, "")))
    assert _policy().rules[0] == WorkflowPolicy(STEEL_IMPORT, WorkflowSettings())  # no [[programme]]: authorities unknown


@pytest.mark.parametrize(("section", "message"), [
    ({"name": "tea-import"}, r"unknown workflow 'tea-import'; registered: .*steel-import"),
    ({}, r"\[workflow\] needs name = a registered workflow \(.*steel-import"),
    ({"name": "steel-import", "colour": "red"}, r"unknown key\(s\): colour"),
    ({"name": "steel-import", "required": ["invoice", "packing-list"]}, r"unknown trade type\(s\): packing-list; registered: "),
    ({"name": "steel-import", "required": "invoice"}, r"required must be a list of trade type names"),
    ({"name": "steel-import", "weight_tolerance": -1}, r"weight_tolerance must be a number of percent ≥ 0, not -1"),
    ({"name": "steel-import", "value_tolerance": True}, r"value_tolerance must be a number"),
    ({"name": "steel-import", "quantity_tolerance": "0.5"}, r"quantity_tolerance must be a number"),
])
def test_a_bad_workflow_section_is_a_policy_error(section: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        TrustPolicy.from_dict({"workflow": section}, source="test.toml")


def test_the_workflow_section_validates_programmes_as_the_programme_section_does() -> None:
    with pytest.raises(PolicyError, match="authority must be a DID"):
        TrustPolicy.from_dict({"workflow": {"name": "steel-import"},
                               "programme": [{"name": "MX-OEA", "authority": "anam.example"}]})
    with pytest.raises(PolicyError, match=r"\[workflow\] must be a table"):
        TrustPolicy.from_dict({"workflow": "steel-import"})


@pytest.mark.parametrize(("presentation", "status", "code"), [
    (None, PASSED, "workflow_applies"),
    ({"type": ["VerifiablePresentation"]}, PASSED, "workflow_applies"),
    ({"workflow": {"definition": [STEEL_IMPORT.definition]}}, PASSED, "workflow_applies"),
    ({"workflow": {"definition": [OTHER_WORKFLOW]}}, FAILED, "workflow_mismatch"),
])
def test_the_policy_rule_checks_what_the_presentation_names(presentation: dict[str, Any] | None, status: str,
                                                            code: str) -> None:
    checks = _policy().rules[0].evaluate(PolicyInput((), presentation))
    assert [(c.name, c.status, c.code) for c in checks] == [("policy.workflow", status, code)]
    if status == FAILED:
        assert checks[0].message == (f"the presentation names workflow {OTHER_WORKFLOW}; this policy checks steel-import "
                                     f"shipments ({STEEL_IMPORT.definition})")


# -- the hook decides which workflow applies -----------------------------------------------------------------------


def _documents() -> tuple[tuple[dict[str, Any], VerificationResult], ...]:
    declaration = {"type": ["VerifiableCredential", "ExportDeclarationCredential"], "issuer": ANAM,
                   "credentialSubject": {"declarationNumber": "26 24 3912 6001234", "countryOfExportation": "MX"}}
    return ((declaration, PASSING),)


def _authority(result: VerificationResult | None) -> Check:
    assert result is not None and result.document_type == WORKFLOW_RESULT
    return next(c for c in result.checks if c.name == "shipment.export-authority")


def test_without_a_workflow_the_hook_stays_out() -> None:
    assert workflow_hook(PolicyInput(_documents(), None), None) is None
    assert workflow_hook(PolicyInput(_documents(), {"workflow": {"definition": [OTHER_WORKFLOW]}}), None) is None
    assert workflow_hook(PolicyInput(_documents(), None), TrustPolicy.from_dict({"programme": [
        {"name": "MX-OEA", "authority": ANAM}]})) is None


def test_a_presentation_naming_the_workflow_gets_default_settings() -> None:
    presentation = {"workflow": {"definition": [STEEL_IMPORT.definition], "instance": ["urn:uuid:1234"]}}
    result = workflow_hook(PolicyInput(_documents(), presentation), None)
    assert result is not None and result.id == "steel-import urn:uuid:1234"
    assert (_authority(result).status, _authority(result).code) == (ERROR, "authorities_unknown")
    # a policy without [workflow] may still say which authorities it recognizes
    programmes = TrustPolicy.from_dict({"programme": [{"name": "MX-OEA", "authority": ANAM, "country": "MX"}]})
    assert _authority(workflow_hook(PolicyInput(_documents(), presentation), programmes)).code == "authority_recognized"


def test_the_policys_workflow_wins_over_what_the_presentation_names() -> None:
    policy = TrustPolicy.from_dict({"workflow": {"name": "steel-import"},
                                    "programme": [{"name": "MX-OEA", "authority": ANAM, "country": "MX"}]})
    result = workflow_hook(PolicyInput(_documents(), {"workflow": {"definition": [OTHER_WORKFLOW]}}), policy)
    assert result is not None and result.id == "steel-import"
    assert _authority(result).code == "authority_recognized"


# -- the fixture policy ---------------------------------------------------------------------------------------------

GOVERNED = {
    "CTPATCertificate": CBP,
    "MillTestReport": "did:key:z6MkuTFGeN1rWhb59pcBPRtRdPkqE3jh7pwDpsAHTtAkKbNH",
    "SIMALicence": "did:key:z6MkiPEGggceQqH3gZnRS7dJeikZq5PHFsqtqhMT3F7qpzWn",
    "ExportDeclarationCredential": ANAM,
    "EntrySummary": "did:key:zDnaecYfEspFFm5iiLXt3HV3aiBaQ1UcwLsn5Ke9MJbeFzMXu",
    "BillOfLading": "did:key:z6MkhghMibRvQ9j2yagTkQ6NZvCma6RBwer9qU4cPsf3CZoU",
}


@pytest.fixture(scope="module")
def steel_policy(fixtures_dir: Path) -> TrustPolicy:
    return TrustPolicy.from_toml(fixtures_dir / "policy" / "us-cbp-steel.toml")


def test_the_fixture_policy_loads_with_every_section(steel_policy: TrustPolicy) -> None:
    names = [rule.name for rule in steel_policy.rules]
    assert names.count("policy.trusted-issuer") == len(GOVERNED)
    assert {"policy.required-types", "policy.programme", "policy.workflow"} <= set(names)
    assert "policy.provenance" not in names  # origin_requires_aeo = false
    workflow = next(rule for rule in steel_policy.rules if isinstance(rule, WorkflowPolicy))
    assert workflow.settings == WorkflowSettings(STEEL_IMPORT.documents, 2.0, 0.5, 1.0, ((CBP, "US"), (ANAM, "MX")))


@pytest.mark.parametrize("governed", sorted(GOVERNED))
def test_the_fixture_policy_trusts_only_the_named_issuer_of_each_type(steel_policy: TrustPolicy, governed: str) -> None:
    rules = [rule for rule in steel_policy.rules if isinstance(rule, TrustedIssuers) and governed in rule.types]
    assert len(rules) == 1
    for issuer, status in ((GOVERNED[governed], PASSED), ("did:key:z6MkWrongIssuer", FAILED)):
        document = {"type": ["VerifiableCredential", governed], "issuer": issuer}
        assert [c.status for c in rules[0].evaluate(PolicyInput(((document, PASSING),)))] == [status]


# -- the fixture shipment, signed ----------------------------------------------------------------------------------


def _issue(trade_type: str, request: dict[str, Any], key: Key) -> dict[str, Any]:
    secured = issue(request, key, trade_type=trade_type, created=CREATED).secured
    assert isinstance(secured, dict)
    return secured


@pytest.fixture(scope="module")
def requests(fixtures_dir: Path, trade_request: Callable[[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every request of the shipment: the importer's C-TPAT and each of fixtures/shipment/*.yaml."""
    names = sorted(path.stem for path in (fixtures_dir / "shipment").glob("*.yaml"))
    assert {_trade_type(name) for name in names} == set(SIGNERS)  # one of each (two SIMA licences)
    return {"ctpat": trade_request("aeo", "acme-ctpat"), **{name: trade_request("shipment", name) for name in names}}


@pytest.fixture(scope="module")
def shipment(requests: dict[str, dict[str, Any]], fixture_key: Callable[[str], Key]) -> dict[str, dict[str, Any]]:
    """The shipment's documents, each signed by its issuer."""
    signed = {"ctpat": _issue("aeo", requests["ctpat"], fixture_key("cbp"))}
    for name, request in requests.items():
        if name != "ctpat":
            signed[name] = _issue(_trade_type(name), request, fixture_key(SIGNERS[_trade_type(name)]))
    return signed


def test_the_signed_shipment_verifies_with_every_workflow_check_passing(shipment: dict[str, dict[str, Any]],
                                                                      steel_policy: TrustPolicy) -> None:
    first, *rest = shipment.values()
    result = verify(first, now=NOW, policy=steel_policy, with_credentials=rest)
    workflow = _workflow_result(result)
    assert _not_passed(workflow) == [] and len(workflow.checks) > 40
    assert result.verified, [(r.id, r.failures) for r in result.nested if not r.verified]


def test_a_presentation_of_the_shipment_naming_the_workflow_verifies(shipment: dict[str, dict[str, Any]],
                                                                     steel_policy: TrustPolicy,
                                                                     fixture_key: Callable[[str], Key]) -> None:
    # JCS: under RDFC-1.0 the bundle's many alike blank nodes (parties, lines) exceed the default work bound
    bundle = present(list(shipment.values()), fixture_key("acme-imports"), challenge="c", domain="d", created=CREATED,
                     suite="ecdsa-jcs-2019", workflow=STEEL_IMPORT.definition,
                     workflow_instance="urn:uuid:5b1f0c9e-7d0a-4f5e-9a43-2c7e8d1f6a20")
    result = verify(bundle, now=NOW, challenge="c", domain="d", policy=steel_policy)
    assert result.verified, [(r.id, r.failures) for r in result.nested if not r.verified]
    assert _workflow_result(result).id == "steel-import urn:uuid:5b1f0c9e-7d0a-4f5e-9a43-2c7e8d1f6a20"
    # without a policy the workflow still runs, but no one has said which customs authorities count: undecided
    alone = verify(bundle, now=NOW, challenge="c", domain="d")
    assert _not_passed(_workflow_result(alone)) == [("shipment.export-authority", "authorities_unknown")]
    assert not alone.verified and alone.undecided


def test_a_changed_invoice_quantity_re_signed_is_caught_by_the_rules_that_compare_it(
        requests: dict[str, dict[str, Any]], shipment: dict[str, dict[str, Any]], steel_policy: TrustPolicy,
        fixture_key: Callable[[str], Key]) -> None:
    request = copy.deepcopy(requests["invoice"])
    invoice = request["invoice"]
    invoice["lines"][0]["quantity"] = 560  # 80 t more coils invoiced than exported, shipped, licensed and entered
    if "totalValue" in invoice:  # keep the invoice itself consistent: only the documents together disagree
        invoice["totalValue"] = sum(line["quantity"] * line["unitPrice"] for line in invoice["lines"])
    tampered = {**shipment, "invoice": _issue("invoice", request, fixture_key("aceros-del-norte"))}
    first, *rest = tampered.values()
    result = verify(first, now=NOW, policy=steel_policy, with_credentials=rest)
    assert all(nested.verified for nested in result.nested if nested.document_type != WORKFLOW_RESULT)  # signatures hold
    failed = {check.name: check for check in _workflow_result(result).checks if check.status != PASSED}
    assert sorted(failed) == ["shipment.export-match[2]", "shipment.export-match[3]", "shipment.sima[2]",
                              "shipment.weights"]
    assert all(check.status == FAILED for check in failed.values())
    assert failed["shipment.weights"].message == (
        "bill of lading gross weight 712.4 t ↔ invoice 780 t: differ by 8.7%, tolerance 2%")
    assert failed["shipment.sima[2]"].message == (
        "SIMA licence S26-0093417 500 t ↔ invoice line 1 560 t: the invoice exceeds the licence by 60 t")
    assert failed["shipment.export-match[2]"].message == (
        "HS 7208.37 quantity: export declaration 700 t ↔ invoice 780 t: differ by 11.4%, tolerance 0.5%")
    assert failed["shipment.export-match[3]"].code == "values_differ"
    assert not result.verified
