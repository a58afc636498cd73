"""Verification: format detection, securing mechanisms, the claims checks, presentations, policies.

Plug-ins register schemas and rules with :func:`register_schema`; they are
applied by expanded type IRI (see :mod:`vctrade.verification._schemas`), and checks over a presentation's
credentials together with :func:`register_workflow_hook` (see :mod:`vctrade.verification._workflow`).
"""

from __future__ import annotations

from vctrade.verification._context import DEFAULT_SKEW, VerifyContext
from vctrade.verification._entry import verify
from vctrade.verification._formats import Detected, Format, detect
from vctrade.verification._schemas import register_schema
from vctrade.verification._workflow import (
    WORKFLOW_RESULT,
    WorkflowHook,
    register_workflow_hook,
    workflow_ids,
)

__all__ = ["verify", "VerifyContext", "DEFAULT_SKEW", "detect", "Detected", "Format", "register_schema",
           "register_workflow_hook", "WorkflowHook", "workflow_ids", "WORKFLOW_RESULT"]
