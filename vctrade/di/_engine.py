"""The generic Data Integrity engine: add proofs and verify proof sets and chains.

Cryptosuites (see :mod:`vctrade.suites`) do the suite-specific stages; this
module does what every suite shares: building the proof configuration,
``created``/``expires``, proof sets and ``previousProof`` chains, resolving
the verification method and checking what it is authorized for.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from vctrade._keys import Key
from vctrade._result import ERROR, FAILED, PASSED, Check, failure_check
from vctrade.di._registry import suite_for_proof
from vctrade.di._suite import Cryptosuite, JcsTransform, RdfcTransform
from vctrade.did._document import DIDDocument, VerificationMethod
from vctrade.errors import (
    ContextError,
    InputError,
    InvalidDocument,
    SigningError,
    UnsupportedError,
    VctradeError,
)
from vctrade.jsonld._jsonld import DocumentLoader, expand_safe
from vctrade.model._credentials import format_datetime, parse_datetime

__all__ = ["MethodResolver", "add_proof", "verify_proofs", "proofs_of"]


class MethodResolver(Protocol):
    """Anything that dereferences a verification method URL (a DID resolver, or static documents)."""

    def dereference(self, did_url: str) -> tuple[DIDDocument, VerificationMethod]:
        """The controller document and the verification method ``did_url`` names."""
        ...


def proofs_of(document: dict[str, Any]) -> list[Any]:
    """The document's proofs as a list (a single proof object becomes a one-item list)."""
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def _previous_ids(proof: dict[str, Any]) -> list[Any]:
    previous = proof.get("previousProof")
    if previous is None:
        return []
    return previous if isinstance(previous, list) else [previous]


def _unsecured_with_previous(document: dict[str, Any], proof: dict[str, Any], all_proofs: list[Any]) -> dict[str, Any]:
    """The document to canonicalize for ``proof``: no proofs, or only the ones it chains to."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    wanted = _previous_ids(proof)
    if wanted:
        unsecured["proof"] = [p for p in all_proofs if isinstance(p, dict) and p.get("id") in wanted and p is not proof]
    return unsecured


# A verification's canonical documents (or why there is none), by suite, key type and the document's JSON.
_TransformMemo = dict[tuple[str, str, str], "bytes | InputError"]


def _transform(
    suite: Cryptosuite, unsecured: dict[str, Any], key_type: str, loader: DocumentLoader, memo: _TransformMemo | None
) -> bytes:
    """The suite's transform of ``unsecured``; with ``memo``, once per document however many proofs sign it.

    Without the memo a proof set of N proofs would cost N canonicalizations, so
    a document just inside the limits, or one refused only after its budget is
    spent, would cost N times that.
    """
    if memo is None:
        return suite.transform(unsecured, key_type, loader)
    try:
        key = (suite.name, key_type, json.dumps(unsecured, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return suite.transform(unsecured, key_type, loader)  # not plain JSON: the transform says what is wrong
    if key not in memo:
        try:
            memo[key] = suite.transform(unsecured, key_type, loader)
        except InputError as exc:
            memo[key] = exc
    found = memo[key]
    if isinstance(found, InputError):
        raise found
    return found


def _signing_input(
    suite: Cryptosuite,
    unsecured: dict[str, Any],
    proof_options: dict[str, Any],
    key_type: str,
    loader: DocumentLoader,
    memo: _TransformMemo | None = None,
) -> bytes:
    canonical_document = _transform(suite, unsecured, key_type, loader, memo)
    canonical_config = suite.proof_config(proof_options, unsecured, key_type, loader)
    return suite.hash(canonical_config, canonical_document, key_type)


def add_proof(
    document: dict[str, Any],
    key: Key,
    suite: Cryptosuite,
    *,
    verification_method: str,
    loader: DocumentLoader,
    proof_purpose: str = "assertionMethod",
    created: datetime | None = None,
    expires: datetime | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    previous_proof: str | list[str] | None = None,
    proof_id: str | None = None,
    proof_context: bool = False,
) -> dict[str, Any]:
    """A copy of ``document`` with one more proof (a proof set, or a chain with ``previous_proof``).

    ``proof_context`` (legacy Linked Data suites only) writes the suite's
    context into the proof itself, ``"proof": {"@context": [<suite context>], …}``,
    as DIDKit does when the document's context lacks the suite's; the proof
    options are then canonicalized under that context, not the document's.
    """
    if key.key_type not in suite.key_types:
        raise SigningError(f"{suite.name} signs with {'/'.join(sorted(suite.key_types))} keys, not {key.key_type}")
    own_context = suite.suite_context or suite.context
    if proof_context and (not suite.legacy or not isinstance(suite, RdfcTransform) or not own_context
                          or not suite.proof_context_capable):
        raise SigningError(f"{suite.name} proofs cannot carry their own @context (only legacy Linked Data suites "
                           "whose context defines every term of the proof can); put the context in the document")
    secured = copy.deepcopy(document)
    existing = proofs_of(secured)
    if previous_proof is not None:
        known = {p.get("id") for p in existing if isinstance(p, dict)}
        for wanted in previous_proof if isinstance(previous_proof, list) else [previous_proof]:
            if wanted not in known:
                raise SigningError(f"previous proof {wanted!r}: the document has no proof with that id")
    options: dict[str, Any] = {"@context": [own_context]} if proof_context else {}
    options["type"] = suite.proof_type
    if proof_id is not None:
        options["id"] = proof_id
    if suite.proof_type == "DataIntegrityProof":
        options["cryptosuite"] = suite.name
    if created is not None:
        options["created"] = format_datetime(created)
    if expires is not None:
        options["expires"] = format_datetime(expires)
    options["verificationMethod"] = verification_method
    options["proofPurpose"] = proof_purpose
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    if previous_proof is not None:
        options["previousProof"] = previous_proof
    if isinstance(suite, JcsTransform) and "@context" in secured:
        options["@context"] = copy.deepcopy(secured["@context"])
    unsecured = _unsecured_with_previous(secured, options, existing)
    signature = suite.sign(key, _signing_input(suite, unsecured, options, key.key_type, loader))
    proof = {**options, suite.proof_value_member: signature}
    if not existing:
        secured["proof"] = proof
    else:
        secured["proof"] = [*existing, proof]
    return secured


@dataclass
class _ProofContext:
    """What every proof of one document is verified against."""

    document: dict[str, Any]
    all_proofs: list[Any]
    resolver: MethodResolver
    loader: DocumentLoader
    now: datetime
    skew: timedelta
    purpose: str
    challenge: str | None
    domain: str | None
    signer: str | None = None  # the controller of the proof being verified, once known
    transforms: _TransformMemo = field(default_factory=dict)


def verify_proofs(
    document: dict[str, Any],
    *,
    resolver: MethodResolver,
    loader: DocumentLoader,
    now: datetime,
    skew: timedelta,
    purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
) -> tuple[list[Check], list[str]]:
    """Verify every proof of ``document``.

    Returns the checks and the controllers of the proofs that verified (the
    caller binds those to the issuer or holder).
    """
    proofs = proofs_of(document)
    if not proofs:
        return [Check("proof", FAILED, "no_proof", "the document has no proof")], []
    context = _ProofContext(document, proofs, resolver, loader, now, skew, purpose, challenge, domain)
    checks: list[Check] = []
    controllers: list[str] = []
    for index, proof in enumerate(proofs):
        label = "proof" if len(proofs) == 1 else f"proof[{index}]"
        context.signer = None
        proof_checks = list(_verify_one(proof, label, context))
        checks.extend(proof_checks)
        if context.signer is not None and all(c.status == PASSED for c in proof_checks):
            controllers.append(context.signer)
    return checks, controllers


def _time_checks(label: str, proof: dict[str, Any], context: _ProofContext) -> Iterator[Check]:
    for name in ("created", "expires"):
        if name not in proof:
            continue
        try:
            moment = parse_datetime(proof[name])
        except InvalidDocument as exc:
            yield Check(f"{label}.{name}", FAILED, f"invalid_{name}", f"proof {name}: {exc}")
            continue
        shown = format_datetime(moment)  # every time vctrade prints in one format: 2026-06-01T00:00:00Z
        if name == "created" and moment > context.now + context.skew:
            yield Check(f"{label}.created", FAILED, "created_in_future", f"proof created in the future ({shown})")
        elif name == "expires" and moment < context.now - context.skew:
            yield Check(f"{label}.expires", FAILED, "proof_expired", f"proof expired at {shown}")
        else:
            yield Check(f"{label}.{name}", PASSED, f"{name}_ok", f"{name} {shown}")


def _verify_one(proof: Any, label: str, context: _ProofContext) -> Iterator[Check]:
    if not isinstance(proof, dict):
        yield Check(f"{label}.structure", FAILED, "invalid_proof", "a proof must be a JSON object")
        return
    try:
        suite = suite_for_proof(proof)
    except UnsupportedError as exc:
        yield Check(f"{label}.suite", FAILED, "unknown_suite", str(exc))
        return
    yield Check(f"{label}.suite", PASSED, "suite_known", suite.name)

    missing = [n for n in ("verificationMethod", "proofPurpose", suite.proof_value_member)
               if not isinstance(proof.get(n), str)]
    if missing:
        yield Check(f"{label}.structure", FAILED, "invalid_proof", f"proof is missing string {', '.join(missing)}")
        return

    purpose = proof["proofPurpose"]
    if purpose != context.purpose:
        yield Check(f"{label}.purpose", FAILED, "wrong_purpose", f"proofPurpose is {purpose!r}, expected {context.purpose!r}")
        return
    yield Check(f"{label}.purpose", PASSED, "purpose_ok", purpose)

    yield from _time_checks(label, proof, context)
    yield from _challenge_checks(label, proof, context)

    previous = _previous_ids(proof)
    if "previousProof" in proof:
        known = {p.get("id") for p in context.all_proofs if isinstance(p, dict) and p is not proof}
        bad = [p for p in previous if not isinstance(p, str)]
        absent = [p for p in previous if isinstance(p, str) and p not in known]
        if bad or not previous:
            yield Check(f"{label}.previous-proof", FAILED, "invalid_previous_proof", "previousProof must be a string or a list of strings")
            return
        if absent:
            yield Check(f"{label}.previous-proof", FAILED, "previous_proof_missing", f"previousProof {absent[0]!r} is not in the proof set")
            return
        yield Check(f"{label}.previous-proof", PASSED, "previous_proof_ok", f"chained to {', '.join(previous)}")

    vm_url = proof["verificationMethod"]
    try:
        controller_doc, method = context.resolver.dereference(vm_url)
    except VctradeError as exc:
        yield failure_check(f"{label}.verification-method", exc, vm_url)
        return
    yield Check(f"{label}.verification-method", PASSED, "method_resolved", method.id)

    if method.controller != controller_doc.id:
        yield Check(f"{label}.authorized", FAILED, "controller_mismatch",
                    f"{method.id} is controlled by {method.controller}, not by {controller_doc.id}")
        return
    if not controller_doc.authorizes(method.id, purpose):
        yield Check(f"{label}.authorized", FAILED, "not_authorized",
                    f"{method.id} is not listed under {purpose} in the document of {controller_doc.id}")
        return
    yield Check(f"{label}.authorized", PASSED, "authorized", f"listed under {purpose} by {controller_doc.id}")

    if method.key.key_type not in suite.key_types or method.type not in suite.method_types:
        yield Check(f"{label}.key-type", FAILED, "key_type_mismatch",
                    f"{suite.name} needs a {'/'.join(sorted(suite.key_types))} key, "
                    f"got {method.key.key_type} ({method.type})")
        return
    yield Check(f"{label}.key-type", PASSED, "key_type_ok", f"{method.key.key_type} {method.type}")
    context.signer = controller_doc.id
    yield _signature_check(label, proof, suite, method, controller_doc.id, context)


def _shown(value: Any) -> str:
    """A challenge (nonce) in a message: long ones cut to their start, an absent one named."""
    if value is None:
        return "none"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 16 else text[:8] + "…"


def _challenge_checks(label: str, proof: dict[str, Any], context: _ProofContext) -> Iterator[Check]:
    if context.challenge is not None:
        if proof.get("challenge") != context.challenge:
            yield Check(f"{label}.challenge", FAILED, "challenge_mismatch",
                        f"expected {_shown(context.challenge)}, got {_shown(proof.get('challenge'))}")
        else:
            yield Check(f"{label}.challenge", PASSED, "challenge_ok", "challenge matches")
    if context.domain is not None:
        domains = proof.get("domain")
        if context.domain not in (domains if isinstance(domains, list) else [domains]):
            yield Check(f"{label}.domain", FAILED, "domain_mismatch", f"the proof's domain is not {context.domain!r}")
        else:
            yield Check(f"{label}.domain", PASSED, "domain_ok", f"domain {context.domain}")


def _jcs_context_check(
    name: str, suite: Cryptosuite, proof_context: Any, unsecured: dict[str, Any], loader: DocumentLoader
) -> Check | None:
    """None if a JCS proof's @context covers what the document's @context says; else the failed (or error) check.

    The proof's context must be a prefix of the document's (the document is
    then checked under it). JCS signs the proof's @context, so whatever the
    document appends is unsigned: an inline object (``@language``, ``@vocab``,
    ``@base``, ``@direction``, terms) is refused; a context URL the loader pins
    is allowed (as the Data Integrity algorithms allow) only if the document
    says the same with it as without it.
    """
    wanted = proof_context if isinstance(proof_context, list) else [proof_context]
    document_context = unsecured.get("@context")
    have = document_context if isinstance(document_context, list) else [document_context]
    if have[: len(wanted)] != wanted:
        return Check(name, FAILED, "context_mismatch", "the proof's @context is not a prefix of the document's")
    appended = have[len(wanted):]
    for entry in appended:
        if not isinstance(entry, str):
            what = ", ".join(sorted(map(str, entry))[:4]) if isinstance(entry, dict) else type(entry).__name__
            return Check(name, FAILED, "unsigned_context",
                         f"the document appends an inline @context entry ({what}) that the {suite.name} proof "
                         "does not sign; only pinned context URLs may be appended")
        if not loader.knows(entry):
            return Check(name, ERROR, "unknown_context",
                         f"the document appends the context {entry}, which is not pinned; contexts are never fetched")
    if not appended:
        return None
    # A pinned context can still redefine a term the signed contexts left unprotected.
    try:
        same = expand_safe({**unsecured, "@context": proof_context}, loader) == expand_safe(unsecured, loader)
    except ContextError as exc:
        return Check(name, ERROR, exc.code, str(exc))
    except InputError as exc:
        return Check(name, FAILED, exc.code, str(exc))
    if not same:
        return Check(name, FAILED, "unsigned_context",
                     f"the contexts the document appends to the {suite.name} proof's change what the document says")
    return None


def _legacy_proof_context_check(name: str, suite: Cryptosuite, proof_context: Any) -> Check | None:
    """None if a legacy proof's own @context is one or more context URLs; else the failed check.

    The proof options are canonicalized under that context (as DIDKit and
    jsonld-signatures do). Only context URLs are taken, which the loader must
    pin (an unknown one is an error when canonicalizing): an inline context
    could re-map what the proof's members mean without changing the signed
    statements, and no implementation writes one.
    """
    entries = proof_context if isinstance(proof_context, list) else [proof_context]
    if not entries or not all(isinstance(entry, str) for entry in entries):
        return Check(name, FAILED, "invalid_proof_context",
                     f"the {suite.name} proof's own @context must be context URLs only (no inline context)")
    return None


def _signature_check(
    label: str,
    proof: dict[str, Any],
    suite: Cryptosuite,
    method: VerificationMethod,
    controller: str,
    context: _ProofContext,
) -> Check:
    name = f"{label}.signature"
    options = {k: v for k, v in proof.items() if k != suite.proof_value_member}
    unsecured = _unsecured_with_previous(context.document, proof, context.all_proofs)
    if isinstance(suite, JcsTransform) and "@context" in options:
        refused = _jcs_context_check(name, suite, options["@context"], unsecured, context.loader)
        if refused is not None:
            return refused
        unsecured["@context"] = options["@context"]
    if suite.legacy and "@context" in options:
        refused = _legacy_proof_context_check(name, suite, options["@context"])
        if refused is not None:
            return refused
    try:
        memo = context.transforms if len(context.all_proofs) > 1 else None  # one proof: nothing to share
        data = _signing_input(suite, unsecured, options, method.key.key_type, context.loader, memo)
        valid = suite.verify(method.key, proof[suite.proof_value_member], data)
    except ContextError as exc:
        return Check(name, ERROR, exc.code, str(exc))
    except InputError as exc:
        return Check(name, FAILED, exc.code, str(exc))
    if not valid:
        return Check(name, FAILED, "signature_invalid", f"the {suite.name} signature does not match the document")
    return Check(name, PASSED, "signature_valid", f"{suite.name} signature by {controller}")
