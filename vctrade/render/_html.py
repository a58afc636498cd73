"""The rendered page: a credential, presentation or shipment bundle as self-contained, print-ready HTML.

:func:`render_html` takes the document and the :class:`~vctrade.VerificationResult` the caller's ``verify``
returned for it — a verdict in the file is never believed — and lays out one page per document (a trade type's
layout, or the generic one), each with the verdict across its top, its validity, status, proofs and checks, and a
QR code; a presentation gets a cover page (holder, workflow, the documents and their verdicts) and a page of its
own checks (the presentation's, the workflow's cross-document checks, the policy's). The page loads nothing: CSS
is inline, the QR code an inline SVG, and a Content-Security-Policy forbids every fetch.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from vctrade.errors import InputError, VctradeError
from vctrade.render._format import date_time
from vctrade.render._layouts import Body, Fact, Party, build_body, label
from vctrade.render._qr import QrCode, check_verify_url, qr_code, verify_link

if TYPE_CHECKING:
    from jinja2 import Environment

    from vctrade._result import Check, VerificationResult

__all__ = ["render_html", "Verdict", "verdict_of"]

_MARKS = {"passed": "ok", "failed": "FAIL", "error": "ERR"}
_MESSAGE_LIMIT = 400
_NESTED_GROUPS = ("workflow", "policy")


@dataclass(frozen=True)
class Verdict:
    """How a result is shown: ``state`` verified|failed|undecided, the headline across the page, a detail line."""

    state: str
    headline: str
    detail: str = ""

    @property
    def short(self) -> str:
        return {"verified": "VERIFIED", "failed": "NOT VERIFIED", "undecided": "UNDECIDED"}[self.state]

    @property
    def check_state(self) -> str:
        return {"verified": "passed", "failed": "failed", "undecided": "error"}[self.state]


@dataclass(frozen=True)
class CheckRow:
    name: str
    status: str
    message: str

    @property
    def mark(self) -> str:
        return _MARKS.get(self.status, self.status)


@dataclass(frozen=True)
class ProofRow:
    kind: str
    method: str = ""
    purpose: str = ""
    created: str = ""


@dataclass(frozen=True)
class Group:
    title: str
    checks: tuple[CheckRow, ...]


@dataclass
class DocumentView:
    """Everything one document's page shows."""

    anchor: str
    label: str
    layout: str
    kind_label: str
    bodies: list[Body]
    summary: str
    id: str | None
    issuer: Party
    verdict: Verdict
    validity: list[Fact]
    validity_check: CheckRow | None
    status: list[CheckRow]
    status_entries: list[Fact]
    status_note: str
    securing: str
    proofs: list[ProofRow]
    proof_check: CheckRow | None
    checks: list[CheckRow]
    counts: str
    groups: list[Group] = field(default_factory=list)
    bundle_verdict: Verdict | None = None
    position: str = ""
    qr: QrCode | None = None
    qr_note: str = ""
    issuer_html: Any = None
    template_label: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def qr_svg(self) -> Any:
        from markupsafe import Markup

        return Markup(self.qr.svg) if self.qr else ""  # segno's own SVG of our payload

    @property
    def qr_caption(self) -> str:
        return _qr_caption(self.qr)


@dataclass
class BundleView:
    """The cover page and the checks page of a presentation."""

    kind: str
    heading: str
    subtitle: str
    noun: str
    holder: Party
    facts: list[Fact]
    groups: list[Group]
    missing: str = ""
    qr: QrCode | None = None
    qr_note: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def qr_svg(self) -> Any:
        from markupsafe import Markup

        return Markup(self.qr.svg) if self.qr else ""

    @property
    def qr_caption(self) -> str:
        return _qr_caption(self.qr)


def _qr_caption(qr: QrCode | None) -> str:
    if qr is None:
        return ""
    if qr.kind == "link":
        return f"Scan to verify: {qr.payload}"
    return f"This code carries the credential itself ({len(qr.payload):,} characters): scan it with a verifier app"


# -- verdicts -------------------------------------------------------------------------------------------------------


def _walk(result: VerificationResult, labels: dict[int, str], prefix: str = "") -> list[tuple[str, Check]]:
    """Every check of ``result`` and its nested results, in order, each with the label of the document it is about."""
    found = [(prefix, check) for check in result.checks]
    credential_index = 0
    for nested in result.nested:
        if nested.document_type in _NESTED_GROUPS:
            found += _walk(nested, {}, prefix)
        else:
            where = labels.get(credential_index, f"{nested.document_type} {credential_index + 1}")
            credential_index += 1
            found += _walk(nested, {}, where)
    return found


def _cut(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT - 1] + "…"


def _counts(checks: Sequence[Check]) -> str:
    passed = sum(1 for c in checks if c.status == "passed")
    failed = sum(1 for c in checks if c.status == "failed")
    errors = sum(1 for c in checks if c.status == "error")
    parts = [f"{passed} passed"] + ([f"{failed} failed"] if failed else []) + ([f"{errors} undecided"] if errors else [])
    return ", ".join(parts)


def verdict_of(result: VerificationResult, as_of: str, labels: dict[int, str] | None = None) -> Verdict:
    """The verdict as the page shows it: "NOT VERIFIED: <failing check>: <message>" for a failure."""
    walked = _walk(result, labels or {})
    checks = [check for _, check in walked]
    if result.verified:
        return Verdict("verified", "VERIFIED",
                       f"All {len(checks)} checks passed as of {as_of}: verified by vctrade when this page was made, "
                       "not copied from the file.")
    failed = next(((where, c) for where, c in walked if c.status == "failed"), None)
    undecided = next(((where, c) for where, c in walked if c.status == "error"), None)
    if failed is None and undecided is not None:
        where, check = undecided
        state, word = "undecided", "UNDECIDED"
    elif failed is not None:
        where, check = failed
        state, word = "failed", "NOT VERIFIED"
    else:
        return Verdict("failed", "NOT VERIFIED: no check could be made", f"as of {as_of}")
    place = f"{where}: " if where else ""
    detail = f"As of {as_of}: {_counts(checks)}."
    if state == "undecided":
        detail += " Nothing failed, but vctrade could not decide every check: treat this document as not verified."
    return Verdict(state, _cut(f"{word}: {place}{check.name}: {check.message}"), detail)


def _rows(checks: Sequence[Check]) -> tuple[CheckRow, ...]:
    return tuple(CheckRow(c.name, c.status, _cut(c.message)) for c in checks)


def _worst(checks: Sequence[Check]) -> Check | None:
    """The first failed check, else the first undecided one, else the signature's, else the last."""
    for status in ("failed", "error"):
        found = next((c for c in checks if c.status == status), None)
        if found is not None:
            return found
    return next((c for c in checks if c.name.endswith("signature")), checks[-1] if checks else None)


# -- reading the document -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    document: dict[str, Any] | None
    token: str | None
    securing: str
    header: dict[str, Any]
    problem: str = ""


def _jose_header(token: str) -> dict[str, Any]:
    try:
        first = token.split("~", 1)[0].split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return header if isinstance(header, dict) else {}


def _open(document: dict[str, Any] | str) -> Opened:
    """The document as a mapping to show (a token is decoded, not verified: the caller's result decides)."""
    if isinstance(document, str) and document.lstrip().startswith("{"):
        try:
            parsed = json.loads(document)
        except ValueError as exc:
            return Opened(None, None, "unreadable", {}, f"the document is not JSON: {exc}")
        if isinstance(parsed, dict):
            return Opened(parsed, None, "", {})
    if isinstance(document, dict):
        return Opened(document, None, "", {})
    from vctrade._show import unwrap

    text = document.strip()
    try:
        found, securing = unwrap(text)
    except (VctradeError, ValueError, KeyError, TypeError) as exc:
        return Opened(None, text, "unreadable", {}, f"the document cannot be read: {exc}")
    compact = "." in text and not text.startswith("{")
    return Opened(found, text if compact else None, securing, _jose_header(text) if compact else {})


def _enveloped(entry: Any) -> dict[str, Any] | str | None:
    """A presentation entry as a document: itself, or the token inside an ``EnvelopedVerifiableCredential``."""
    if isinstance(entry, str):
        return entry
    if not isinstance(entry, dict):
        return None
    types = entry.get("type")
    if "EnvelopedVerifiableCredential" in (types if isinstance(types, list) else [types]):
        found = entry.get("id")
        if isinstance(found, str) and found.startswith("data:") and "," in found:
            return found.split(",", 1)[1]
        return None
    return entry


def _types(document: dict[str, Any]) -> list[str]:
    found = document.get("type")
    return [t for t in (found if isinstance(found, list) else [found]) if isinstance(t, str)]


def _issuer(document: dict[str, Any]) -> Party:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        found = issuer.get("id")
        return Party("Issuer", str(issuer.get("name") or found or "?"), (), found if isinstance(found, str) else None)
    return Party("Issuer", str(issuer or "?"), (), issuer if isinstance(issuer, str) else None)


def _proofs(opened: Opened, document: dict[str, Any]) -> list[ProofRow]:
    if opened.header:
        header = opened.header
        kind = f"{header.get('alg', '?')} JWS, typ {header.get('typ', '?')}"
        return [ProofRow(kind, str(header.get("kid") or header.get("iss") or ""))]
    if opened.securing.startswith("COSE"):
        return [ProofRow(opened.securing)]
    proofs = document.get("proof")
    rows = []
    for proof in proofs if isinstance(proofs, list) else [proofs] if proofs is not None else []:
        if not isinstance(proof, dict):
            rows.append(ProofRow("malformed proof"))
            continue
        kind = str(proof.get("cryptosuite") or proof.get("type") or "?")
        if proof.get("cryptosuite") and proof.get("type"):
            kind = f"{proof['type']} ({proof['cryptosuite']})"
        rows.append(ProofRow(kind, str(proof.get("verificationMethod") or ""), str(proof.get("proofPurpose") or ""),
                             date_time(proof["created"]) if proof.get("created") else ""))
    return rows


def _securing(opened: Opened, document: dict[str, Any]) -> str:
    if opened.securing:
        return opened.securing
    return "Data Integrity" if document.get("proof") is not None else "unsigned"


# -- the environment ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("vctrade.render", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def _layout_exists(name: str) -> bool:
    from jinja2 import TemplateNotFound

    try:
        _environment().get_template(f"layouts/{name}.html.j2")
    except TemplateNotFound:
        return False
    return True


# -- one document's page --------------------------------------------------------------------------------------------


def _kind(document: dict[str, Any]) -> tuple[str | None, str | None]:
    """(trade type name, its summary line) of the document, (None, None) for any other credential."""
    from vctrade.trade import trade_type_of

    trade_type = trade_type_of(document)
    if trade_type is None:
        return None, None
    try:
        summary = trade_type.summary(document)
    except Exception:  # noqa: BLE001 - a plug-in's summary of an odd document must not stop the page
        summary = None
    return trade_type.name, summary


def _document_view(document: dict[str, Any], opened: Opened, result: VerificationResult | None, as_of: str,
                   anchor: str, *, include_nested: bool, labels: dict[int, str] | None = None) -> DocumentView:
    kind, summary = _kind(document)
    types = [t for t in _types(document) if t not in ("VerifiableCredential", "VerifiablePresentation")]
    fallback = str(document.get("name") or (label(types[-1]) if types else "Credential"))
    layout, bodies = build_body(kind, document, fallback)
    if not _layout_exists(layout):
        layout = "generic"
    first = bodies[0]
    name = document.get("name")
    doc_label = str(name) if isinstance(name, str) and name else (
        f"{first.heading} {first.number.value}" if first.number else first.heading)
    checks = list(result.checks) if result is not None else []
    if result is None:
        verdict = Verdict("failed", "NOT VERIFIED: this document was not checked",
                          "Its verification result is missing (the presentation around it could not be read).")
    else:
        verdict = verdict_of(result, as_of, labels)
    start = document.get("validFrom") or document.get("issuanceDate")
    end = document.get("validUntil") or document.get("expirationDate")
    validity = [Fact("Valid from", date_time(start) if start else "—"),
                Fact("Valid until", date_time(end) if end else "no end date")]
    validity_check = next((CheckRow(c.name, c.status, c.message) for c in checks if c.name == "validity-period"), None)
    status_checks = [c for c in checks if c.name == "status" or c.name.startswith(("status.", "status["))]
    entries = document.get("credentialStatus")
    status_entries = []
    for entry in entries if isinstance(entries, list) else [entries] if entries is not None else []:
        if isinstance(entry, dict):
            purpose = str(entry.get("statusPurpose") or entry.get("type") or "status")
            status_entries.append(Fact(label(purpose), f"{entry.get('statusListCredential', '?')} "
                                                         f"index {entry.get('statusListIndex', '?')}"))
    status_note = ("This credential carries no credentialStatus: it cannot be revoked or suspended."
                   if entries is None else "")
    proof_checks = [c for c in checks if c.name.startswith(("proof", "jose", "sd-jwt", "cose", "issuer"))]
    worst = _worst(proof_checks)
    groups: list[Group] = []
    if include_nested and result is not None:  # a policy's and a workflow's checks (credentials beside: own pages)
        groups += [_group(nested, as_of) for nested in result.nested if nested.document_type in _NESTED_GROUPS]
    all_checks = result.all_checks() if result is not None else []
    return DocumentView(
        anchor=anchor, label=doc_label, layout=layout,
        kind_label=f"Verifiable credential · {_securing(opened, document)}", bodies=bodies, summary=summary or "",
        id=document.get("id") if isinstance(document.get("id"), str) else None, issuer=_issuer(document),
        verdict=verdict, validity=validity, validity_check=validity_check, status=list(_rows(status_checks)),
        status_entries=status_entries, status_note=status_note, securing=_securing(opened, document),
        proofs=_proofs(opened, document),
        proof_check=CheckRow(worst.name, worst.status, _cut(worst.message)) if worst else None,
        checks=list(_rows(checks)), counts=_counts(all_checks), groups=groups)


def _group(nested: VerificationResult, as_of: str) -> Group:
    """The checks of a workflow's or a policy's nested result, under a title with its verdict."""
    title = "Cross-document checks of the workflow" if nested.document_type == "workflow" else "Trust policy"
    named = f"{title} {nested.id}" if nested.id else title
    return Group(f"{named}: {verdict_of(nested, as_of).short}", _rows(nested.all_checks()))


def _place_qr(view: DocumentView | BundleView, document_id: str | None, token: str | None,
              verify_url: str | None) -> None:
    """Give the page its QR code: the verify link for its id, else the compact credential itself when it fits."""
    if verify_url is not None and document_id:
        view.qr = qr_code(verify_link(verify_url, document_id), "link")
        if view.qr is None:
            view.qr_note = "the verify link is too long for a QR code"
        return
    if token is not None:
        view.qr = qr_code(token, "credential")
        if view.qr is None:
            view.qr_note = (f"the credential ({len(token):,} characters) is too large for a QR code"
                            + ("" if verify_url else "; configure a verify URL to link to it instead"))
        return
    if verify_url is not None:
        view.qr_note = "the document has no id to put in the verify link"
    else:
        view.qr_note = ("no verify URL was configured, and this document is not a compact JWT or SD-JWT that a QR "
                        "code could carry")


def _apply_template(view: DocumentView, document: dict[str, Any], template: bytes | None) -> bool:
    """Use the issuer's own layout when the document's renderMethod allows it; whether ``template`` matched."""
    from vctrade.render._template import apply_render_method

    if document.get("renderMethod") is None:
        return False
    outcome = apply_render_method(document, template, usable=view.verdict.state == "verified")
    view.notes += outcome.notes
    view.warnings += outcome.warnings
    if outcome.html is not None and outcome.used is not None:
        from markupsafe import Markup

        view.issuer_html = Markup(outcome.html)  # sanitized by nh3 (see _template.sanitize)
        view.template_label = (f"Layout supplied by the issuer ({outcome.used.label}; its digest matches). "
                               "The verdict above is vctrade's, not the issuer's.")
    return outcome.given_matched


def _holder(presentation: dict[str, Any], documents: Sequence[dict[str, Any]], result: VerificationResult) -> Party:
    holder = presentation.get("holder")
    found = holder.get("id") if isinstance(holder, dict) else holder
    did = found if isinstance(found, str) else result.issuer
    if did is None:
        return Party("Holder", "(no holder named)")
    for document in documents:
        subject = document.get("credentialSubject")
        for value in subject.values() if isinstance(subject, dict) else []:
            if isinstance(value, dict) and value.get("id") == did and (value.get("legalName") or value.get("name")):
                return Party("Holder", str(value.get("legalName") or value.get("name")), (), did)
    return Party("Holder", did, (), did)


def _workflow(presentation: dict[str, Any]) -> tuple[str, str, Any]:
    """(definition, instance, the registered Workflow or None) of a presentation's ``workflow``."""
    from vctrade.verification import workflow_ids

    definitions, instances = workflow_ids(presentation), workflow_ids(presentation, "instance")
    definition = definitions[0] if definitions else ""
    known = None
    if definition:
        from vctrade.trade import workflow_for_definition

        known = workflow_for_definition(definition)
    return definition, instances[0] if instances else "", known


# -- the page -------------------------------------------------------------------------------------------------------


def render_html(
    document: dict[str, Any] | str,
    result: VerificationResult,
    *,
    verify_url: str | None = None,
    now: datetime | None = None,
    template: bytes | None = None,
    beside: Sequence[dict[str, Any] | str] = (),
) -> str:
    """A complete, self-contained HTML page of ``document`` with the verdict of ``result``.

    ``result`` is what the caller's :func:`vctrade.verify` returned for ``document`` (with ``beside`` given as
    ``with_credentials``, if any): it alone decides the verdict shown. ``document`` is a parsed credential or
    presentation, or a compact JWT / SD-JWT (decoded for display). ``verify_url`` is a URL template with ``{id}``
    for the QR code; ``now`` the moment the status and verdict are shown as of (default: now). ``template`` is an
    HTML template a credential's ``renderMethod`` names (used only when its digest matches).

    Raises :class:`InputError` for a ``verify_url`` that is not an http(s) URL with ``{id}``, and for a
    ``template`` that matches no render method's digest.
    """
    from vctrade import __version__

    if verify_url is not None:
        check_verify_url(verify_url)
    moment = now or datetime.now(timezone.utc)
    as_of = date_time(moment)
    opened = _open(document)
    documents: list[DocumentView] = []
    bundle: BundleView | None = None
    matched = False
    named_methods = False
    shown = opened.document
    if shown is None:
        view = _unreadable(opened, result, as_of)
        _place_qr(view, None, None, verify_url)
        documents.append(view)
    elif "VerifiablePresentation" in _types(shown):
        bundle, documents, matched, named_methods = _presentation(shown, opened, result, as_of, verify_url, template,
                                                                  beside)
    else:
        results = [r for r in result.nested if r.document_type not in _NESTED_GROUPS]  # those of `beside`, in order
        extras = [_beside_view(extra, results[index] if index < len(results) else None, as_of, index, verify_url)
                  for index, extra in enumerate(beside)]
        view = _document_view(shown, opened, result, as_of, "document-1", include_nested=True,
                              labels={index: extra.label for index, extra in enumerate(extras)})
        _place_qr(view, view.id, opened.token, verify_url)
        named_methods = shown.get("renderMethod") is not None
        matched = _apply_template(view, shown, template)
        documents += [view, *extras]
    if template is not None and not matched:
        from vctrade.render._template import digest_of

        if not named_methods:
            raise InputError("a template was given, but the document names no render method (renderMethod) to use it "
                             "for")
        raise InputError(f"the template given ({digest_of(template)}) does not match the digest of any render method "
                         "the document names; it is not used")
    overall = verdict_of(result, as_of, {i: d.label for i, d in enumerate(documents)} if bundle else None)
    if bundle is not None:
        for view in documents:
            if view.verdict.state == "verified" and overall.state != "verified":
                view.bundle_verdict = Verdict(overall.state, f"The {bundle.noun} this document belongs to is "
                                                             f"{overall.headline}")
    title = (bundle.heading if bundle else documents[0].label) + f" — {overall.short}"
    footer = (f"Rendered by vctrade {__version__} on {as_of}. The verdict was computed by vctrade's verify when this "
              "page was made; nothing in the file decides it. Status is shown as of that moment.")
    return _environment().get_template("page.html.j2").render(
        title=title, overall=overall, documents=documents, bundle=bundle, as_of=as_of, footer=footer,
        version=__version__)


def _unreadable(opened: Opened, result: VerificationResult, as_of: str) -> DocumentView:
    return DocumentView(
        anchor="document-1", label="Unreadable document", layout="generic", kind_label="Not a readable credential",
        bodies=[Body("Unreadable document", facts=(Fact("Problem", opened.problem),))], summary="", id=None,
        issuer=Party("Issuer", "?"), verdict=verdict_of(result, as_of), validity=[], validity_check=None, status=[],
        status_entries=[], status_note="", securing=opened.securing, proofs=[], proof_check=None,
        checks=list(_rows(result.checks)), counts=_counts(result.all_checks()))


def _beside_view(entry: dict[str, Any] | str, result: VerificationResult | None, as_of: str, index: int,
                 verify_url: str | None) -> DocumentView:
    opened = _open(entry)
    if opened.document is None:
        view = _unreadable(opened, result or _missing(), as_of)
    else:
        view = _document_view(opened.document, opened, result, as_of, f"beside-{index + 1}", include_nested=False)
    view.position = "Given beside the document, verified with it"
    _place_qr(view, view.id, opened.token, verify_url)
    return view


def _missing() -> VerificationResult:
    from vctrade._result import ERROR, Check, VerificationResult

    return VerificationResult((Check("render", ERROR, "not_checked", "this document's verification result is missing"),))


def _presentation(
    presentation: dict[str, Any], opened: Opened, result: VerificationResult, as_of: str, verify_url: str | None,
    template: bytes | None, beside: Sequence[dict[str, Any] | str],
) -> tuple[BundleView, list[DocumentView], bool, bool]:
    entries = presentation.get("verifiableCredential")
    entries = entries if isinstance(entries, list) else [entries] if entries is not None else []
    credential_results = [r for r in result.nested if r.document_type not in _NESTED_GROUPS]
    documents: list[DocumentView] = []
    matched = named = False
    readable: list[dict[str, Any]] = []
    for index, entry in enumerate([*entries, *beside]):
        own = credential_results[index] if index < len(credential_results) else None
        found = _enveloped(entry)
        entry_opened = _open(found) if found is not None else Opened(None, None, "unreadable", {},
                                                                     "the entry is not a credential")
        if entry_opened.document is None:
            view = _unreadable(entry_opened, own or _missing(), as_of)
        else:
            readable.append(entry_opened.document)
            view = _document_view(entry_opened.document, entry_opened, own, as_of, f"document-{index + 1}",
                                  include_nested=False)
            named = named or entry_opened.document.get("renderMethod") is not None
            matched = _apply_template(view, entry_opened.document, template) or matched
        total = len(entries)
        view.position = (f"Document {index + 1} of {total}" if index < total
                         else "Given beside the presentation, verified with it")
        _place_qr(view, view.id, entry_opened.token, verify_url)
        documents.append(view)
    definition, instance, workflow = _workflow(presentation)
    holder = _holder(presentation, readable, result)
    groups = [Group(f"The presentation: {verdict_of_checks(result.checks)}", _rows(result.checks))]
    groups += [_group(nested, as_of) for nested in result.nested if nested.document_type in _NESTED_GROUPS]
    facts = [Fact("Presentation", str(presentation.get("id") or "(no id)"))]
    if definition:
        facts.append(Fact("Workflow", f"{workflow.name} ({definition})" if workflow else definition))
    if instance:
        facts.append(Fact("Shipment (instance)", instance))
    facts.append(Fact("Securing", _securing(opened, presentation)))
    missing = ""
    if workflow is not None:
        from vctrade.trade import trade_type_of

        kinds = {kind.name for d in readable if (kind := trade_type_of(d)) is not None}
        absent = [name for name in workflow.documents if name not in kinds]
        if absent:
            missing = f"Not in this bundle: {', '.join(absent)} (the {workflow.name} workflow's other documents)."
    noun = "shipment" if definition else "presentation"
    heading = (f"Shipment {instance}".strip() if definition else "Verifiable presentation")
    subtitle = workflow.title if workflow is not None else (f"Workflow {definition}" if definition else "")
    bundle = BundleView(kind=f"{'Bundle' if definition else 'Presentation'} · {len(entries)} document(s)",
                        heading=heading, subtitle=subtitle, noun=noun, holder=holder, facts=facts, groups=groups,
                        missing=missing)
    presentation_id = presentation.get("id")
    _place_qr(bundle, presentation_id if isinstance(presentation_id, str) else None, opened.token, verify_url)
    if opened.token is not None and bundle.qr is not None:
        for view in documents:  # the presentation's token is on the cover; a document inside has no token of its own
            if view.qr is None and not view.qr_note.startswith("the document has no id"):
                view.qr_note = "the QR code on the first page carries the whole presentation"
    return bundle, documents, matched, named


def verdict_of_checks(checks: Sequence[Check]) -> str:
    """``passed`` / ``NOT VERIFIED`` / ``UNDECIDED`` for a list of checks alone."""
    statuses = {c.status for c in checks}
    return "NOT VERIFIED" if "failed" in statuses else "UNDECIDED" if "error" in statuses or not checks else "VERIFIED"
