"""One credential through the pipeline: open (by format) → structure → JSON-LD → securing → claims."""

from __future__ import annotations

from typing import Any

from vctrade._result import FAILED, Check, VerificationResult
from vctrade.errors import InputError
from vctrade.model._credentials import issuer_id
from vctrade.verification._claims import (
    binding_check,
    jsonld_check,
    schema_check,
    status_checks,
    structure_check,
    validity_check,
)
from vctrade.verification._context import Request, VerifyContext
from vctrade.verification._data_integrity import open_json
from vctrade.verification._formats import Detected, Format, detect
from vctrade.verification._jose import OpenFailure, open_jose
from vctrade.verification._related import related_resource_check
from vctrade.verification._securing import Opened

__all__ = ["open_document", "failed", "verify_opened_credential", "verify_entry", "envelope_mismatch"]


def failed(name: str, code: str, message: str, kind: str = "credential") -> VerificationResult:
    """A result of one failed check."""
    return VerificationResult((Check(name, FAILED, code, message),), kind)


def envelope_mismatch(envelope: str, kind: str) -> Check:
    """An Enveloped… object whose secured document is not what its type says it carries."""
    return Check("structure", FAILED, "invalid_envelope",
                 f"an Enveloped{'VerifiablePresentation' if envelope == 'presentation' else 'VerifiableCredential'} "
                 f"must carry a {envelope}, not a {kind}")


def open_document(detected: Detected) -> Opened | OpenFailure:
    """Take the document out of its securing with the mechanism its format names."""
    if detected.format is Format.JSON:
        return open_json(detected.value)
    return open_jose(detected)


def verify_opened_credential(opened: Opened, context: VerifyContext, request: Request = Request(), *,
                             follow_status: bool = True) -> VerificationResult:
    """Structure, JSON-LD, the securing's checks, then the claims: issuer, validity, schema, status."""
    document = opened.document
    structure = structure_check(document, "credential")
    if structure.status != "passed":
        return VerificationResult((structure,), "credential")
    checks = [structure, jsonld_check(opened.signed_jsonld, context.loader)]
    secured = opened.secure(context, request)
    checks.extend(secured.checks)
    issuer = issuer_id(document)
    checks.append(binding_check("issuer", issuer, secured))
    checks.append(validity_check(document, context))
    schema = schema_check(document, opened.signed_jsonld[0], context.loader)
    if schema is not None:
        checks.append(schema)
    related = related_resource_check(document, context.loader)
    if related is not None:
        checks.append(related)

    def verify_list(status_list: dict[str, Any]) -> VerificationResult:
        # A status list is itself a credential: verified fully, but its own status is not followed.
        return verify_opened_credential(open_json(status_list), context, follow_status=False)

    checks.extend(status_checks(document, context, verify_list if follow_status else None))
    return VerificationResult(tuple(checks), "credential", issuer, document.get("id"))


def verify_entry(entry: Any, context: VerifyContext) -> tuple[dict[str, Any] | None, VerificationResult]:
    """A credential given inside a presentation or beside one: embedded JSON, or enveloped (JWT, SD-JWT, COSE)."""
    if not isinstance(entry, dict):
        return None, failed("structure", "invalid_credential", "a presented credential must be an object")
    try:
        detected = detect(entry)
    except InputError as exc:
        return None, failed("structure", "invalid_envelope", str(exc))
    opened = open_document(detected)
    if isinstance(opened, OpenFailure):
        return None, VerificationResult((opened.check,), "credential")
    if detected.envelope is not None and opened.kind != detected.envelope:
        return None, VerificationResult((envelope_mismatch(detected.envelope, opened.kind),), "credential")
    if opened.kind != "credential":
        return None, failed("structure", "invalid_credential", "a presentation was given where a credential belongs")
    return opened.document, verify_opened_credential(opened, context)
