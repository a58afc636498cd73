"""A presentation that names a workflow: its documents are checked together by the hook that knows it, else undecided."""

from __future__ import annotations

from typing import Any

import pytest

from vctrade import present, verify
from vctrade._result import FAILED, PASSED, Check, VerificationResult
from vctrade.trust import PolicyInput, TrustPolicy
from vctrade.verification import _workflow
from vctrade.verification._workflow import WORKFLOW_RESULT, register_workflow_hook, workflow_ids

from ..conftest import TRADE_NOW

TEST_WORKFLOW = "https://example.com/workflows/test/v1"


def _bundle(trade: dict[str, Any], workflow: str | None, instance: str | None = None) -> dict[str, Any]:
    return present([trade["coo"], trade["aeo"]], trade["importer"], challenge="c", domain="d", created=TRADE_NOW,
                   workflow=workflow, workflow_instance=instance)


def _verify(document: dict[str, Any]) -> VerificationResult:
    return verify(document, now=TRADE_NOW, challenge="c", domain="d")


def test_a_workflow_presentation_is_a_traceable_presentation(trade: dict[str, Any]) -> None:
    bundle = _bundle(trade, TEST_WORKFLOW, "urn:uuid:00000000-0000-4000-8000-000000000001")
    assert bundle["@context"] == ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/traceability/v1"]
    assert bundle["type"] == ["VerifiablePresentation", "TraceablePresentation"]
    assert bundle["workflow"] == {"definition": [TEST_WORKFLOW], "instance": ["urn:uuid:00000000-0000-4000-8000-000000000001"]}
    assert workflow_ids(bundle) == [TEST_WORKFLOW]
    assert workflow_ids(bundle, "instance") == ["urn:uuid:00000000-0000-4000-8000-000000000001"]
    assert _bundle(trade, TEST_WORKFLOW)["workflow"]["instance"][0].startswith("urn:uuid:")


def test_an_instance_without_a_workflow_is_refused(trade: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="a workflow instance needs its workflow"):
        _bundle(trade, None, "urn:uuid:00000000-0000-4000-8000-000000000001")


def test_a_workflow_no_plugin_knows_is_undecided(trade: dict[str, Any]) -> None:
    result = _verify(_bundle(trade, TEST_WORKFLOW))
    workflow = [r for r in result.nested if r.document_type == WORKFLOW_RESULT]
    assert len(workflow) == 1 and workflow[0].checks[0].code == "workflow_unknown"
    assert TEST_WORKFLOW in workflow[0].checks[0].message
    assert not result.verified and result.undecided
    # every other check passed: the signatures, the holder, each credential
    assert all(c.status == PASSED for c in result.checks)
    assert all(r.verified for r in result.nested if r.document_type != WORKFLOW_RESULT)


def test_a_presentation_without_a_workflow_has_no_workflow_result(trade: dict[str, Any]) -> None:
    result = _verify(_bundle(trade, None))
    assert result.verified and not [r for r in result.nested if r.document_type == WORKFLOW_RESULT]


def test_the_hook_that_knows_the_workflow_decides(trade: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[PolicyInput, TrustPolicy | None]] = []

    def hook(subject: PolicyInput, policy: TrustPolicy | None) -> VerificationResult | None:
        seen.append((subject, policy))
        if TEST_WORKFLOW not in workflow_ids(subject.presentation):
            return None
        status = PASSED if len(subject.credentials) == 2 else FAILED
        return VerificationResult((Check("test.count", status, "counted", f"{len(subject.credentials)} documents"),),
                                  WORKFLOW_RESULT, None, "test")

    monkeypatch.setattr(_workflow, "_hooks", [])
    register_workflow_hook(hook)
    register_workflow_hook(hook)  # registering twice keeps one
    result = _verify(_bundle(trade, TEST_WORKFLOW))
    assert result.verified and len(seen) == 1
    assert [r.id for r in result.nested if r.document_type == WORKFLOW_RESULT] == ["test"]
    assert all(isinstance(pair[1], VerificationResult) for pair in seen[0][0].credentials)
    # a document given beside counts among the workflow's documents: the hook now sees three and fails
    result = verify(_bundle(trade, TEST_WORKFLOW), now=TRADE_NOW, challenge="c", domain="d",
                    with_credentials=[trade["ctpat"]])
    assert not result.verified
    assert [c.code for r in result.nested if r.document_type == WORKFLOW_RESULT for c in r.checks] == ["counted"]


def test_a_tampered_workflow_breaks_the_holders_proof(trade: dict[str, Any]) -> None:
    bundle = _bundle(trade, TEST_WORKFLOW)
    bundle["workflow"]["definition"] = ["https://example.com/workflows/other/v1"]
    result = _verify(bundle)
    assert not result.verified and any(c.status == FAILED for c in result.checks)
