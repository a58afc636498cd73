"""Presentations, whatever secures them: the holder's proof, the holder binding, and every credential inside."""

from __future__ import annotations

from typing import Any

from vctrade._result import VerificationResult
from vctrade.model._credentials import holder_id
from vctrade.verification._claims import binding_check, jsonld_check, structure_check
from vctrade.verification._context import Request, VerifyContext
from vctrade.verification._pipeline import verify_entry
from vctrade.verification._securing import Opened

__all__ = ["verify_presentation", "Pairs"]

Pairs = list[tuple[dict[str, Any], VerificationResult]]


def verify_presentation(opened: Opened, context: VerifyContext, request: Request) -> tuple[VerificationResult, Pairs]:
    """The presentation's result (its credentials' results nested) and each (credential, result) inside."""
    document = opened.document
    structure = structure_check(document, "presentation")
    if structure.status != "passed":
        return VerificationResult((structure,), "presentation"), []
    checks = [structure, jsonld_check(opened.signed_jsonld, context.loader)]
    secured = opened.secure(context, request)
    checks.extend(secured.checks)
    holder = holder_id(document)
    if holder is not None:
        checks.append(binding_check("holder", holder, secured))
    entries = document.get("verifiableCredential", [])
    pairs: Pairs = []
    nested = []
    for entry in entries if isinstance(entries, list) else [entries]:
        credential, result = verify_entry(entry, context)
        nested.append(result)
        if credential is not None:
            pairs.append((credential, result))
    presenter = holder if holder is not None else (secured.signers[0] if secured.signers else None)
    return VerificationResult(tuple(checks), "presentation", presenter, document.get("id"), tuple(nested)), pairs
