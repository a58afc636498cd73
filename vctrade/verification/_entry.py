"""``verify``: a document in, a :class:`~vctrade.VerificationResult` out — never an exception for a bad document.

The format is detected once; the securing mechanism it names opens and
verifies the document; the claims checks judge what it carries; a
presentation's credentials go through the same pipeline; a trust policy, if
given, judges the verified credentials last; before it, a workflow the presentation (or the policy) names checks
the credentials against each other (see ``_workflow``). Every problem is a failed check;
anything that could not be decided (a DID that does not resolve, an unknown
context) is an ``error`` check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Any

from vctrade._result import ERROR, FAILED, Check, VerificationResult
from vctrade.di._engine import MethodResolver
from vctrade.did._resolver import default_resolver
from vctrade.errors import InputError
from vctrade.jsonld._jsonld import DocumentLoader, default_loader, expansion_scope
from vctrade.status._sources import StatusListSource, default_status_source
from vctrade.trust._policy import PolicyInput, TrustPolicy
from vctrade.verification._context import DEFAULT_SKEW, Request, VerifyContext, clock
from vctrade.verification._formats import detect
from vctrade.verification._jose import OpenFailure
from vctrade.verification._pipeline import (
    envelope_mismatch,
    open_document,
    verify_entry,
    verify_opened_credential,
)
from vctrade.verification._presentation import Pairs, verify_presentation
from vctrade.verification._workflow import names_workflow, workflow_results

__all__ = ["verify"]


def verify(
    document: str | bytes | dict[str, Any] | PathLike[str],
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
    """Verify a credential or presentation in any supported format; never raises for a bad document.

    ``document`` is a parsed JSON object, JSON text, a JWT / SD-JWT, COSE
    bytes or base64, or an ``Enveloped…`` object. ``challenge``/``domain`` are
    what the verifier asked the holder for (a presentation's proof, or an
    SD-JWT's key binding). With ``policy``, the credentials (embedded, and
    ``with_credentials`` given beside) are also judged by its rules; its
    result is nested and a failed rule closes the verdict. ``status_source``
    gives status list credentials (default: HTTPS with a cache); a status that
    cannot be had is an ``error`` check, never a pass. A path (:class:`~pathlib.Path`) is read: the file holds any
    of these. Raises only for misuse: :class:`TypeError` for a ``document`` of another type (a list, None …),
    :class:`~vctrade.errors.InputError` for a file that cannot be read, a naive ``now``.
    """
    document = _document_of(document)
    context = VerifyContext(
        now=clock(now),
        resolver=resolver or default_resolver(),
        loader=loader or default_loader(),
        skew=skew,
        status_source=status_source or default_status_source(),
    )
    try:
        with expansion_scope():  # each document expanded once for this verification, freed at its end
            return _verify(document, context, challenge, domain, policy, with_credentials)
    except Exception as exc:  # noqa: BLE001 - the contract: a bad input (or a bug) is a verdict, never a crash
        message = f"verification stopped: {type(exc).__name__}: {exc}"
        return VerificationResult((Check("internal", ERROR, "internal_error", message[:500]),))


def _document_of(document: object) -> str | bytes | dict[str, Any]:
    """What ``verify`` was given, as a document: a path's bytes; TypeError for what is no document at all."""
    if isinstance(document, (str, bytes, dict)):
        return document
    if isinstance(document, (bytearray, memoryview)):
        return bytes(document)
    if isinstance(document, PathLike):
        path = Path(document)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"file not found: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a folder, not a file") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
    raise TypeError(f"verify() takes a credential or presentation (a dict, JSON text, a JWT / SD-JWT / COSE string or "
                    f"bytes, or a Path to a file), not {type(document).__name__}")


def _verify(
    document: str | bytes | dict[str, Any],
    context: VerifyContext,
    challenge: str | None,
    domain: str | None,
    policy: TrustPolicy | None,
    with_credentials: Sequence[dict[str, Any]],
) -> VerificationResult:
    try:
        detected = detect(document)
    except InputError as exc:
        return VerificationResult((Check("structure", FAILED, exc.code, str(exc)),))
    opened = open_document(detected)
    if isinstance(opened, OpenFailure):
        return VerificationResult((opened.check,), opened.kind)
    if detected.envelope is not None and opened.kind != detected.envelope:
        return VerificationResult((envelope_mismatch(detected.envelope, opened.kind),), opened.kind)
    presentation: dict[str, Any] | None = None
    if opened.kind == "presentation":
        result, pairs = verify_presentation(opened, context, Request("authentication", challenge, domain))
        presentation = opened.document
    else:
        result = verify_opened_credential(opened, context, Request("assertionMethod", challenge, domain))
        pairs = [(opened.document, result)] if isinstance(opened.document, dict) else []
    if policy is None and not with_credentials and not names_workflow(presentation):
        return result
    return _with_policy(result, pairs, presentation, context, policy, with_credentials)


def _with_policy(
    result: VerificationResult,
    pairs: Pairs,
    presentation: dict[str, Any] | None,
    context: VerifyContext,
    policy: TrustPolicy | None,
    with_credentials: Sequence[dict[str, Any]],
) -> VerificationResult:
    """Nest the results of the credentials given beside, the workflow's cross-document checks, and the policy's."""
    beside: Pairs = []
    nested = result.nested
    for entry in with_credentials:
        credential, outcome = verify_entry(entry, context)
        nested += (outcome,)
        if credential is not None:
            beside.append((credential, outcome))
    subject = PolicyInput(tuple(pairs + beside), presentation)
    nested += workflow_results(subject, policy)
    if policy is not None:
        nested += (policy.evaluate(subject),)
    return replace(result, nested=nested)
