"""Data Integrity as a securing mechanism: a JSON-LD document whose ``proof`` the DI engine verifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vctrade._result import Check
from vctrade.di._engine import proofs_of, verify_proofs
from vctrade.model._credentials import types_of
from vctrade.verification._context import Request, VerifyContext
from vctrade.verification._securing import Secured

__all__ = ["DataIntegrityOpened", "open_json"]


@dataclass(frozen=True)
class DataIntegrityOpened:
    """A JSON-LD credential or presentation secured (or not) by Data Integrity proofs."""

    kind: str
    document: Any
    signed_jsonld: tuple[dict[str, Any], ...]
    opening_checks: tuple[Check, ...] = ()

    def secure(self, context: VerifyContext, request: Request) -> Secured:
        """Verify every proof; the signers are the controllers of the proofs that verified."""
        presenting = request.purpose == "authentication"
        checks, signers = verify_proofs(
            self.document, resolver=context.resolver, loader=context.loader, now=context.now, skew=context.skew,
            purpose=request.purpose, challenge=request.challenge if presenting else None,
            domain=request.domain if presenting else None,
        )
        return Secured(tuple(checks), tuple(signers))


def open_json(document: Any) -> DataIntegrityOpened:
    """Open a JSON document: the signed JSON-LD is the document without its proofs, and each proof's options.

    The proof options are checked in the document's context, so a JCS proof
    (which never expands JSON-LD to sign) cannot carry an undefined term either.
    """
    if not isinstance(document, dict):
        return DataIntegrityOpened("credential", document, ())
    kind = "presentation" if "VerifiablePresentation" in types_of(document) else "credential"
    proofs = proofs_of(document)
    parts = [{k: v for k, v in document.items() if k != "proof"}] if proofs else [document]
    for proof in proofs:
        if isinstance(proof, dict):
            options = {k: v for k, v in proof.items() if k != "proofValue"}
            parts.append({**options, "@context": options.get("@context", document.get("@context"))})
    return DataIntegrityOpened(kind, document, tuple(parts))
