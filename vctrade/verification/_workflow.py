"""Checks over a presentation's credentials together — a shipment's documents — that plug-ins register.

A presentation may name a ``workflow`` (the traceability interop profile's traceable presentations carry
``workflow.definition`` and ``workflow.instance`` ids). A plug-in that knows a workflow registers a hook; the hook
sees every verified credential (embedded, and given beside) with its result, and the policy, and returns one
nested result of document type ``workflow`` — or None when the workflow is not its own. A workflow no hook knows
is an ``error`` (its documents were not checked against each other), never a silent pass. The core knows no
trade type: vctrade.trade registers the steel-import workflow's cross-document rules here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vctrade._result import ERROR, Check, VerificationResult
from vctrade.trust._policy import PolicyInput, TrustPolicy

__all__ = ["WorkflowHook", "register_workflow_hook", "workflow_ids", "names_workflow", "workflow_results", "WORKFLOW_RESULT"]

WORKFLOW_RESULT = "workflow"  # the document_type of a workflow's nested result

# (the credentials with their results and the presentation, the policy or None) -> the workflow's result, or None
WorkflowHook = Callable[[PolicyInput, "TrustPolicy | None"], "VerificationResult | None"]
_hooks: list[WorkflowHook] = []


def register_workflow_hook(hook: WorkflowHook) -> None:
    """Let ``hook`` judge presentations (or policies) that name a workflow it knows."""
    if hook not in _hooks:
        _hooks.append(hook)


def workflow_ids(presentation: dict[str, Any] | None, key: str = "definition") -> list[str]:
    """The presentation's ``workflow.definition`` (or ``.instance``) ids: a string or a list of strings."""
    workflow = presentation.get("workflow") if isinstance(presentation, dict) else None
    if not isinstance(workflow, dict):
        return []
    found = workflow.get(key)
    values = found if isinstance(found, list) else [found] if found is not None else []
    return [value for value in values if isinstance(value, str)]


def names_workflow(presentation: dict[str, Any] | None) -> bool:
    """Whether the presentation carries a ``workflow`` at all."""
    return isinstance(presentation, dict) and "workflow" in presentation


def workflow_results(subject: PolicyInput, policy: TrustPolicy | None) -> tuple[VerificationResult, ...]:
    """The nested results of every hook that knows the workflow; an ``error`` result when none does."""
    from vctrade._plugins import load_plugins  # workflows are a plug-in's: load them only when one is named

    load_plugins()
    results = tuple(result for hook in _hooks if (result := hook(subject, policy)) is not None)
    if results or not names_workflow(subject.presentation):
        return results
    named = ", ".join(workflow_ids(subject.presentation)) or "(no definition id)"
    check = Check("workflow", ERROR, "workflow_unknown",
                  f"the presentation names workflow {named}, which no installed plug-in knows: its documents were "
                  "not checked against each other")
    return (VerificationResult((check,), WORKFLOW_RESULT, None, named),)
