"""The claims checks: what a credential or presentation says, judged once, whatever secured it.

Structure (VCDM 2.0 / 1.1), JSON-LD safety, issuer (or holder) binding to the
signers the securing established, validity period, schema and trade rules
(through what plug-ins registered, by expanded type IRI), and status. Nothing
here verifies a signature or calls back into a securing mechanism.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vctrade._result import ERROR, FAILED, PASSED, Check, VerificationResult
from vctrade.errors import ContextError, InputError
from vctrade.jsonld._jsonld import DocumentLoader, expanded_types, issuer_dependent_terms
from vctrade.model._credentials import (
    credential_schema_problems,
    data_model_version,
    format_datetime,
    structure_problems,
    validity_problem,
)
from vctrade.status._check import check_status
from vctrade.verification._context import VerifyContext
from vctrade.verification._schemas import (
    is_registered,
    schema_problems,
    schemas_for_types,
)
from vctrade.verification._securing import Secured

__all__ = [
    "structure_check",
    "jsonld_check",
    "binding_check",
    "validity_check",
    "schema_check",
    "status_checks",
]


def structure_check(document: Any, kind: str, label: str = "") -> Check:
    """The data model's structure rules for a credential or presentation."""
    problems = structure_problems(document, kind="VerifiablePresentation" if kind == "presentation" else "VerifiableCredential")
    if problems:
        return Check("structure", FAILED, "invalid_structure", "; ".join(problems))
    version = data_model_version(document) or "?"
    return Check("structure", PASSED, "structure_ok", f"well-formed {'VP' if kind == 'presentation' else 'VC'} {label or version}")


def jsonld_check(parts: Iterable[dict[str, Any]], loader: DocumentLoader) -> Check:
    """Safe expansion of every signed JSON-LD document: no term dropped, no context fetched.

    These are the very documents an RDFC transform canonicalizes, so with
    expand_safe's memo the check costs no second expansion.
    """
    dependent: set[str] = set()
    try:
        for part in parts:
            dependent |= issuer_dependent_terms(part, loader)
    except ContextError as exc:
        return Check("json-ld", ERROR, exc.code, str(exc))
    except InputError as exc:
        return Check("json-ld", FAILED, exc.code, str(exc))
    if dependent:
        # Signed, not dropped, so not a failure; but no context defines them, and the report says so.
        names = ", ".join(sorted(dependent)[:8]) + (f" and {len(dependent) - 8} more" if len(dependent) > 8 else "")
        return Check("json-ld", PASSED, "jsonld_issuer_dependent",
                     f"no term is dropped, but {len(dependent)} defined by no context are issuer-dependent "
                     f"(a context's @vocab made them IRIs): {names}")
    return Check("json-ld", PASSED, "jsonld_ok", "every term is defined by pinned contexts")


def binding_check(role: str, controller: str | None, secured: Secured) -> Check:
    """The issuer (or holder) must be among the signers whose proofs verified; co-signers are allowed."""
    if controller in secured.signers:
        return Check(role, PASSED, f"{role}_signed", f"signed by the {role} {controller}")
    if secured.signers and role == "issuer":
        return Check(role, FAILED, "issuer_mismatch",
                     f"no valid proof is by the issuer {controller} (signed by {', '.join(secured.signers)})")
    if not secured.signers and any(c.status == ERROR for c in secured.checks):
        # The proofs could not be checked, so neither can the binding: undecided, not failed.
        return Check(role, ERROR, f"{role}_undecided", f"could not establish a proof by the {role} {controller}")
    return Check(role, FAILED, f"{role}_unproven", f"no valid proof by the {role} {controller}")


def validity_check(document: dict[str, Any], context: VerifyContext) -> Check:
    """validFrom/validUntil (issuanceDate/expirationDate in VC 1.1) at the verifier's clock, with skew."""
    problem = validity_problem(document, context.now, context.skew)
    if problem:
        return Check("validity-period", FAILED, "outside_validity_period", problem)
    return Check("validity-period", PASSED, "within_validity_period", f"valid at {format_datetime(context.now)}")


def schema_check(document: dict[str, Any], signed: dict[str, Any], loader: DocumentLoader) -> Check | None:
    """The registered schemas and rules that govern the document's expanded types or its ``credentialSchema``.

    The types are read from ``signed`` (the signed JSON-LD, which the json-ld
    check has already expanded). None when no schema applies. A
    ``credentialSchema`` entry that is not an object with string ``id`` and
    ``type`` is a forgery: failed, naming the entry. A well-formed one nobody
    registered cannot be checked (schemas are never fetched): an ``error``
    check, never a pass.
    """
    try:
        ids = schemas_for_types(expanded_types(signed, loader))
    except InputError:
        ids = []  # the json-ld check has already failed (or could not decide) on these types
    declared = document.get("credentialSchema", [])
    entries = declared if isinstance(declared, list) else [declared]
    fields = [f"credentialSchema[{n}]" if isinstance(declared, list) else "credentialSchema" for n in range(len(entries))]
    # A malformed reference is the document's fault (failed), whatever else is declared beside it ...
    malformed = credential_schema_problems(document)
    if malformed:
        return Check("schema", FAILED, "invalid_schema_reference", malformed[0])
    # ... while a well-formed one that no plug-in registered cannot be checked: undecided.
    for field, entry in zip(fields, entries, strict=True):
        schema_id = entry["id"]
        if entry["type"] != "JsonSchema" or not is_registered(schema_id):
            return Check("schema", ERROR, "unknown_schema",
                         f"{field} {schema_id[:200]!r} is not a bundled JsonSchema; schemas are never fetched")
        if schema_id not in ids:
            ids.append(schema_id)
    if not ids:
        return None
    ids.sort()
    problems = schema_problems(ids, document)
    if problems:
        return Check("schema", FAILED, "schema_invalid", "; ".join(problems))
    return Check("schema", PASSED, "schema_valid", "conforms to " + ", ".join(ids))


def status_checks(document: dict[str, Any], context: VerifyContext,
                  verify_list: Callable[[dict[str, Any]], VerificationResult] | None) -> list[Check]:
    """One check per ``credentialStatus`` entry; ``verify_list`` None means a status list's own status is not followed."""
    if "credentialStatus" not in document:
        return []
    if verify_list is None:
        return [Check("status", ERROR, "status_not_followed", "a status list that has a status of its own is not followed")]
    return check_status(document, source=context.status_source, verify_list=verify_list, now=context.now,
                        skew=context.skew)
