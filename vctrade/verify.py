"""The verification pipeline: a document in, a :class:`VerificationResult` out.

``verify`` never raises for a bad document: every problem is a failed check,
and anything it could not decide (a DID that does not resolve, an unknown
context) is an ``error`` check. It raises only for misuse of the API (a naive
``now``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from .credentials import data_model_version, issuer_id, structure_problems, types_of, validity_problem
from .did.resolver import default_resolver
from .errors import ContextError, InputError
from .jsonld import DocumentLoader, default_loader, expand_safe
from .policy import PolicyInput, TrustPolicy
from .proofs import MethodResolver, proofs_of, verify_proofs
from .result import ERROR, FAILED, PASSED, Check, VerificationResult
from .status import StatusListSource, default_status_source
from .status import check_status as status_checks
from .suites.cose import looks_like_cose
from .suites.jose import looks_like_jws
from .trade.validation import schema_check

__all__ = ["verify", "verify_credential", "VerifyContext", "DEFAULT_SKEW", "parse_document"]

DEFAULT_SKEW = timedelta(minutes=5)


def parse_document(data: str | bytes | dict[str, Any]) -> Any:
    """A document from JSON text or an already-parsed object (raises InputError on bad JSON)."""
    if isinstance(data, dict):
        return data
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError("not valid JSON: nested too deeply") from exc


def _clock(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return now


def _jsonld_check(document: dict[str, Any], loader: DocumentLoader) -> Check:
    """Safe expansion of the document and of each proof's options (in the document's context).

    These are the very documents the RDFC transform canonicalizes, so with
    expand_safe's memo the check costs no second expansion; it also covers JCS
    proofs, which never go through JSON-LD otherwise.
    """
    proofs = proofs_of(document)
    parts = [{k: v for k, v in document.items() if k != "proof"}] if proofs else [document]
    for proof in proofs:
        if isinstance(proof, dict):
            options = {k: v for k, v in proof.items() if k != "proofValue"}
            parts.append({**options, "@context": options.get("@context", document.get("@context"))})
    try:
        for part in parts:
            expand_safe(part, loader)
    except ContextError as exc:
        return Check("json-ld", ERROR, exc.code, str(exc))
    except InputError as exc:
        return Check("json-ld", FAILED, exc.code, str(exc))
    return Check("json-ld", PASSED, "jsonld_ok", "every term is defined by pinned contexts")


@dataclass(frozen=True)
class VerifyContext:
    """What one verification runs against: clock, resolver, loader, skew, status lists."""

    now: datetime
    resolver: MethodResolver
    loader: DocumentLoader
    skew: timedelta
    status_source: StatusListSource


def verify(
    document: str | bytes | dict[str, Any],
    *,
    now: datetime | None = None,
    resolver: MethodResolver | None = None,
    loader: DocumentLoader | None = None,
    skew: timedelta = DEFAULT_SKEW,
    challenge: str | None = None,
    domain: str | None = None,
    status_source: StatusListSource | None = None,
    policy: TrustPolicy | None = None,
    with_credentials: Sequence[dict[str, Any]] = (),
) -> VerificationResult:
    """Verify a credential (or presentation): structure, JSON-LD, proofs, issuer, validity, schema, status.

    With ``policy``, the credentials (embedded, and ``with_credentials`` given
    beside) are also judged by its rules; the policy's result is nested and a
    failed rule closes the verdict.

    ``status_source`` gives status list credentials (default: HTTPS with a cache);
    a status that cannot be had is an ``error`` check, never a pass.
    """
    context = VerifyContext(
        now=_clock(now),
        resolver=resolver or default_resolver(),
        loader=loader or default_loader(),
        skew=skew,
        status_source=status_source or default_status_source(),
    )
    try:
        return _verify(document, context, challenge, domain, policy, with_credentials)
    except Exception as exc:  # noqa: BLE001 - the contract: a bad input (or a bug) is a verdict, never a crash
        message = f"verification stopped: {type(exc).__name__}: {exc}"
        return VerificationResult((Check("internal", ERROR, "internal_error", message[:500]),))


def _verify(
    document: str | bytes | dict[str, Any],
    context: VerifyContext,
    challenge: str | None,
    domain: str | None,
    policy: TrustPolicy | None,
    with_credentials: Sequence[dict[str, Any]],
) -> VerificationResult:
    if isinstance(document, (bytes, str)) and looks_like_cose(document.encode("latin-1") if isinstance(document, str) else document):
        from .verify_jose import verify_cose

        raw = document.encode("latin-1") if isinstance(document, str) else document
        result, credentials = verify_cose(raw, context, challenge, domain)
        return _with_policy(result, credentials, None, context, policy, with_credentials)
    jose = _jose_text(document)
    if jose is not None:
        from .verify_jose import verify_jose  # a late import: verify_jose builds on this module

        result, credentials = verify_jose(jose, context, challenge, domain)
        return _with_policy(result, credentials, None, context, policy, with_credentials)
    try:
        parsed = parse_document(document)
    except InputError as exc:
        return VerificationResult((Check("structure", FAILED, exc.code, str(exc)),))
    if isinstance(parsed, dict) and "VerifiablePresentation" in types_of(parsed):
        result = _verify_presentation(parsed, context, challenge, domain)
        embedded = parsed.get("verifiableCredential", [])
        credentials = list(zip(embedded if isinstance(embedded, list) else [embedded], result.nested))
    else:
        result = verify_credential(parsed, context)
        credentials = [(parsed, result)] if isinstance(parsed, dict) else []
    presentation = parsed if credentials and parsed is not credentials[0][0] else None
    return _with_policy(result, credentials, presentation, context, policy, with_credentials)


def _jose_text(document: str | bytes | dict[str, Any]) -> str | None:
    """The text of a compact JWS / SD-JWT input, or None for anything else (JSON, objects)."""
    if isinstance(document, dict):
        return None
    try:
        text = document.decode("ascii") if isinstance(document, bytes) else document
    except UnicodeDecodeError:
        return None
    text = text.strip()
    return text if text and text[0] not in "{[\"" and looks_like_jws(text) else None


def _with_policy(
    result: VerificationResult,
    credentials: list[tuple[Any, VerificationResult]],
    presentation: dict[str, Any] | None,
    context: VerifyContext,
    policy: TrustPolicy | None,
    with_credentials: Sequence[dict[str, Any]],
) -> VerificationResult:
    """Nest the results of credentials given beside, and the policy's verdict."""
    if policy is None and not with_credentials:
        return result
    beside = [(credential, verify_credential(credential, context)) for credential in with_credentials]
    nested = result.nested + tuple(r for _, r in beside)
    if policy is not None:
        nested += (policy.evaluate(PolicyInput(tuple(credentials + beside), presentation)),)
    return replace(result, nested=nested)


Securing = Callable[[dict[str, Any]], tuple[list[Check], list[str]]]


def verify_credential(
    document: Any, context: VerifyContext, *, check_status: bool = True, securing: Securing | None = None
) -> VerificationResult:
    """Verify one credential (already parsed) in ``context``.

    ``securing`` checks how it is secured and returns (checks, the DIDs whose
    signature verified); the default checks its Data Integrity proofs. JOSE
    passes its own, so everything else is one pipeline.
    """
    problems = structure_problems(document)
    if problems:
        return VerificationResult((Check("structure", FAILED, "invalid_structure", "; ".join(problems)),))
    issuer = issuer_id(document)
    checks = [Check("structure", PASSED, "structure_ok", "well-formed VC " + _version_label(document))]
    checks.append(_jsonld_check(document, context.loader))
    if securing is None:
        proof_checks, signers = verify_proofs(
            document, resolver=context.resolver, loader=context.loader, now=context.now, skew=context.skew
        )
    else:
        proof_checks, signers = securing(document)
    checks.extend(proof_checks)
    if issuer in signers:
        checks.append(Check("issuer", PASSED, "issuer_signed", f"signed by the issuer {issuer}"))
    elif signers:
        checks.append(Check("issuer", FAILED, "issuer_mismatch",
                            f"no valid proof is by the issuer {issuer} (signed by {', '.join(signers)})"))
    elif any(c.status == ERROR for c in proof_checks):
        # The proofs could not be checked, so neither can the issuer: undecided, not failed.
        checks.append(Check("issuer", ERROR, "issuer_undecided", f"could not establish a proof by the issuer {issuer}"))
    else:
        checks.append(Check("issuer", FAILED, "issuer_unproven", f"no valid proof by the issuer {issuer}"))
    problem = validity_problem(document, context.now, context.skew)
    if problem:
        checks.append(Check("validity-period", FAILED, "outside_validity_period", problem))
    else:
        checks.append(Check("validity-period", PASSED, "within_validity_period", f"valid at {context.now.isoformat()}"))
    schema = schema_check(document)
    if schema is not None:
        checks.append(schema)
    if "credentialStatus" in document:
        if check_status:
            checks.extend(status_checks(
                document,
                source=context.status_source,
                # A status list is itself a credential: verified fully, but its own status is not followed.
                verify_list=lambda status_list: verify_credential(status_list, context, check_status=False),
                now=context.now,
            ))
        else:
            checks.append(Check("status", ERROR, "status_not_followed",
                                "a status list that has a status of its own is not followed"))
    return VerificationResult(tuple(checks), "credential", issuer, document.get("id"))


def _verify_presentation(
    document: dict[str, Any], context: VerifyContext, challenge: str | None, domain: str | None
) -> VerificationResult:
    problems = structure_problems(document, kind="VerifiablePresentation")
    if problems:
        return VerificationResult((Check("structure", FAILED, "invalid_structure", "; ".join(problems)),), "presentation")
    checks = [Check("structure", PASSED, "structure_ok", "well-formed VP " + _version_label(document))]
    checks.append(_jsonld_check(document, context.loader))
    proof_checks, signers = verify_proofs(
        document, resolver=context.resolver, loader=context.loader, now=context.now, skew=context.skew,
        purpose="authentication", challenge=challenge, domain=domain,
    )
    checks.extend(proof_checks)
    holder = document.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    if holder is not None:
        if holder in signers:
            checks.append(Check("holder", PASSED, "holder_signed", f"signed by the holder {holder}"))
        else:
            checks.append(Check("holder", FAILED, "holder_unproven", f"no valid proof by the holder {holder}"))
    embedded = document.get("verifiableCredential", [])
    nested = tuple(
        verify_credential(credential, context)
        for credential in (embedded if isinstance(embedded, list) else [embedded])
    )
    return VerificationResult(tuple(checks), "presentation", holder, document.get("id"), nested)


def _version_label(document: dict[str, Any]) -> str:
    return data_model_version(document) or "?"
