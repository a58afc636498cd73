"""The verifier page of ``vctrade serve``: a credential checked in the browser, by people who do not read JSON.

    GET  /verify                   the page: paste or drop a credential, presentation, bundle, JWT or SD-JWT
    GET  /verify?t=<token>         the page with a compact vc+jwt / SD-JWT (a QR code's link) verified and rendered
    GET  /verify?c=<base64url>     the page with a JSON credential (base64url of its UTF-8 JSON) verified and rendered
    POST /verify/render            {document, challenge?, domain?} → the rendered document (text/html, from
                                   :func:`vctrade.render.render_html`); with ``Accept: application/json`` →
                                   {verified, outcome, result, summary, html} (what the page's script shows)
    GET  /verify/static/<file>     the page's stylesheet and script (no CDN, no remote fonts or scripts)

**Verification.** A document is verified by the service's own verify path: ``Service.verify`` in the verification
threads of ``/credentials/verify`` (the same limits: at most ``max_pending_verifications`` waiting on the network,
503 with ``Retry-After`` when every fetch slot is taken), with the service's resolvers, contexts, status lists and
its ``[server] policy``. The verdict shown is that one, computed now; nothing the file says about itself is believed.

**The page.** The verdict ("VERIFIED", or "NOT VERIFIED: <check> — <reason>"), every check (those of the
credentials inside a presentation, the workflow's cross-document checks and the policy's grouped under them), the
policy's rules (each with what it requires) and the document as :func:`~vctrade.render.render_html` renders it.
The rendered document is shown in an ``<iframe sandbox srcdoc=…>`` without ``allow-scripts`` (nor
``allow-same-origin``): HTML that came from a credential's template can never run script in the page, nor reach its
origin. The page itself runs no inline script: its Content-Security-Policy is ``default-src 'self'`` with
``script-src 'self'`` (only ``static/verify.js``); styles may be inline (the rendered document carries its own, and a
``srcdoc`` frame lives under its parent's policy); images only from the service or ``data:``. The summary (verdict,
checks, policy) is HTML made here, every value escaped, for both ways in (the script puts the server's fragment in
place), so what a QR link shows and what a pasted document shows are the same markup.

**What a QR code should carry.** A verifier page cannot look a credential up by its id without a store of issued
credentials, so the link carries the credential itself:

* a compact vc+jwt or SD-JWT: ``https://<service>/verify?t=<the token as it is>`` (its characters are URL-safe);
* a JSON credential (Data Integrity): ``https://<service>/verify?c=<base64url of its UTF-8 JSON, padding optional>``.

A QR code holds at most 2,953 bytes (version 40, error correction L) and phones read dense codes badly, so in practice
only a short vc+jwt or SD-JWT presentation fits; a Data Integrity certificate of origin rarely does. For the others the
issuer prints a link to its own verifier (``vctrade render --verify-url https://…/{id}``), which keeps the credentials.
The query string is part of the request line: a proxy or access log that keeps query strings keeps the credential.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from vctrade._result import FAILED, PASSED, Check, VerificationResult
from vctrade.errors import NotFound, RequestError, RequestTooLarge, VctradeError
from vctrade.service._config import ServiceConfig
from vctrade.service._requests import read_json_object
from vctrade.trust import TrustPolicy

__all__ = ["verifier_page_router", "PAGE_CSP", "RENDERED_CSP"]

# Service.verify, run in the service's verification threads (_Verifications.run): (body, presentation) ->
# (HTTP status, the report, headers)
Verifier = Callable[[dict[str, Any], bool], Awaitable[tuple[int, dict[str, Any], dict[str, str]]]]

# The page: its own script and stylesheet only; inline styles (the rendered document's, in the srcdoc frame that
# inherits this policy); images from the service or data: URLs; no plug-ins, no <base>, not framed by other sites.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-src 'self'; frame-ancestors 'none'")
# The rendered document opened on its own (POST /verify/render as text/html): nothing but its inline styles and
# data: images, and a sandbox (no script, an opaque origin) whatever its markup says.
RENDERED_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; sandbox"

_STATIC = {"verify.css": "text/css; charset=utf-8", "verify.js": "text/javascript; charset=utf-8"}
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
_OUTCOMES = {"verified": "VERIFIED", "not-verified": "NOT VERIFIED", "undecided": "NOT VERIFIED"}
_log = logging.getLogger("vctrade.service")


@dataclasses.dataclass(frozen=True)
class _Verified:
    """A document verified for the page: the result, the rendered document (or why there is none), the HTTP status."""

    result: VerificationResult
    html: str | None
    render_error: str | None
    status: int
    headers: dict[str, str]

    @property
    def outcome(self) -> str:
        if self.result.verified:
            return "verified"
        return "undecided" if self.result.undecided else "not-verified"


def verifier_page_router(config: ServiceConfig, run_verification: Verifier) -> APIRouter:
    """The verifier page's routes; ``run_verification`` runs ``Service.verify`` where ``/credentials/verify`` does."""
    router = APIRouter(tags=["verifier page"])
    template = _asset("verify.html")
    policy_html = _policy_html(config.policy)  # the configuration's: made once

    async def check(document: dict[str, Any] | str, challenge: str | None, domain: str | None) -> _Verified:
        """Verify ``document`` the service's way, then render it with that verdict."""
        presentation = _looks_like_presentation(document)
        member = "verifiablePresentation" if presentation else "verifiableCredential"
        options = {key: value for key, value in (("challenge", challenge), ("domain", domain)) if value}
        status, report, headers = await run_verification({member: document, "options": options}, presentation)
        result = _result_from_report(report)
        rendered, error = await run_in_threadpool(_render, document, result)
        # Busy (every fetch slot taken) stays a 503 with Retry-After; any verdict, good or bad, is a rendered page.
        busy = status == 503 and "Retry-After" in headers
        return _Verified(result, rendered, error, 503 if busy else 200, headers)

    def page(content: str, *, document: str = "", status: int = 200,
             headers: dict[str, str] | None = None) -> HTMLResponse:
        """The page with ``content`` (a summary or an error) in its result slot, ``document`` in the text box."""
        body = (template.replace("<!--vctrade:policy-->", policy_html)
                .replace("<!--vctrade:document-->", html.escape(document))
                .replace("<!--vctrade:result-->", content))
        return HTMLResponse(body, status_code=status, headers=(
            {"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"} | _HEADERS | (headers or {})))

    @router.get("/verify", response_class=HTMLResponse)
    async def verifier_page(t: str | None = None, c: str | None = None) -> HTMLResponse:
        """The verifier page; with ``t`` (a compact vc+jwt or SD-JWT) or ``c`` (base64url of a JSON credential), that
        document verified and rendered in it: the link a QR code carries."""
        if t is None and c is None:
            return page(_error_html(None))
        try:
            document = _linked_document(t, c, config.max_body_bytes)
        except VctradeError as exc:
            return page(_error_html(exc.message), status=413 if isinstance(exc, RequestTooLarge) else 400)
        verified = await check(document, None, None)
        shown = document if isinstance(document, str) else json.dumps(document, indent=2, ensure_ascii=False)
        return page(_summary_html(verified, config.policy), document=shown, status=verified.status,
                    headers=verified.headers)

    @router.get("/verify/static/{name}")
    async def static_asset(name: str) -> Response:
        """The page's stylesheet and script."""
        if name not in _STATIC:
            raise NotFound(f"no static file {name!r}")
        return Response(_asset(name), media_type=_STATIC[name], headers={"Cache-Control": "no-cache"} | _HEADERS)

    @router.post("/verify/render", openapi_extra=_RENDER_OPENAPI)
    async def render(request: Request) -> Response:
        """Verify a document and render it: the rendered page (text/html), or with ``Accept: application/json``
        {verified, outcome, result, summary, html, renderError}. 200 whatever the verdict; 503 when busy."""
        body = await read_json_object(request, config.max_body_bytes)
        document, challenge, domain = _render_request(body)
        verified = await check(document, challenge, domain)
        if _wants_json(request.headers.get("accept", "")):
            answer = {"verified": verified.result.verified, "outcome": verified.outcome,
                      "result": verified.result.to_dict(), "summary": _summary_html(verified, config.policy),
                      "html": verified.html, "renderError": verified.render_error}
            return JSONResponse(answer, status_code=verified.status, headers=_HEADERS | verified.headers)
        if verified.html is None:
            return JSONResponse({"error": f"the document could not be rendered: {verified.render_error}",
                                 "code": "not_renderable", "result": verified.result.to_dict()}, status_code=422)
        return HTMLResponse(verified.html, status_code=verified.status, headers=(
            {"Content-Security-Policy": RENDERED_CSP, "Vctrade-Outcome": verified.outcome} | _HEADERS
            | verified.headers))

    return router


# The request body of POST /verify/render, for the OpenAPI document (the route reads the body itself, capped).
_RENDER_OPENAPI: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["document"], "additionalProperties": False,
    "properties": {
        "document": {"description": "a credential or presentation (a JSON object, or its JSON text), or a compact "
                                    "vc+jwt / SD-JWT", "oneOf": [{"type": "object"}, {"type": "string"}]},
        "challenge": {"type": "string", "description": "the challenge a presentation must be signed over"},
        "domain": {"type": "string", "description": "the domain a presentation must be signed for"},
    }}}}}}


def _linked_document(t: str | None, c: str | None, limit: int) -> dict[str, Any] | str:
    """The document a link carries: ``t``, a compact token; ``c``, base64url of a JSON credential."""
    if t is not None and c is not None:
        raise RequestError("give the credential once: t (a compact token) or c (base64url JSON), not both")
    raw = t if t is not None else c
    assert raw is not None
    if len(raw) > limit * 4 // 3 + 4:
        raise RequestTooLarge(f"the credential in the link is over {limit} bytes")
    return _token(raw) if t is not None else _from_base64url(raw)


def _asset(name: str) -> str:
    return resources.files("vctrade.service").joinpath("static", name).read_text(encoding="utf-8")


def _wants_json(accept: str) -> bool:
    kinds = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return "application/json" in kinds and "text/html" not in kinds


def _render_request(body: dict[str, Any]) -> tuple[dict[str, Any] | str, str | None, str | None]:
    """The document, challenge and domain of a render request (a 400 for anything else)."""
    unknown = sorted(set(body) - {"document", "challenge", "domain"})
    if unknown:
        raise RequestError(f"unknown field(s): {', '.join(unknown)}; the body is {{document, challenge?, domain?}}")
    document = body.get("document")
    if isinstance(document, str):
        text = document.strip()
        if not text:
            raise RequestError("the document is empty: paste a credential, presentation, JWT or SD-JWT")
        if text[:1] == '"':  # a token pasted as a JSON string
            try:
                text = str(json.loads(text))
            except ValueError:
                raise RequestError("the document is not valid JSON text", code="malformed_json") from None
        document = _json_object(text, "the document") if text[:1] in "{[" else _token(text)
    elif not isinstance(document, dict):
        raise RequestError("document must be a credential or presentation (a JSON object or its JSON text) or a "
                           "compact JWT / SD-JWT string")
    options: list[str | None] = []
    for name in ("challenge", "domain"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise RequestError(f"{name} must be a string")
        options.append(value.strip() or None if value is not None else None)  # "" (an empty field): not given
    return document, options[0], options[1]


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RequestError(f"{what} is not valid JSON: {exc}", code="malformed_json") from None
    except RecursionError:
        raise RequestError(f"{what} is nested too deeply", code="malformed_json") from None
    if not isinstance(value, dict):
        raise RequestError(f"{what} must be a JSON object (a credential or presentation), not a {type(value).__name__}")
    return value


def _token(text: str) -> str:
    """A compact JWT / SD-JWT (or base64 COSE) as given, without the whitespace a paste or a line break adds."""
    token = "".join(text.split())
    if not token:
        raise RequestError("the token is empty")
    return token


def _from_base64url(text: str) -> dict[str, Any]:
    """``?c=``: base64url (RFC 4648 §5, padding optional) of a JSON credential's UTF-8 text."""
    data = text.strip().rstrip("=")
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise RequestError("c must be base64url (RFC 4648 §5) of a credential's UTF-8 JSON; a compact JWT or SD-JWT "
                           "goes in t") from None
    return _json_object(raw, "the credential in the link (c)")


def _looks_like_presentation(document: dict[str, Any] | str) -> bool:
    """Whether ``document`` says it is a presentation (a guess to name its member; the verification decides)."""
    if isinstance(document, dict):
        kinds = document.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
        return "VerifiablePresentation" in kinds or "EnvelopedVerifiablePresentation" in kinds
    parts = document.split("~", 1)[0].split(".")
    if len(parts) != 3:
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(claims, dict) and ("vp" in claims or _looks_like_presentation(
        {"type": claims.get("type")}))


def _result_from_report(report: dict[str, Any]) -> VerificationResult:
    """The :class:`VerificationResult` of ``Service.verify``'s report (``VerificationResult.to_dict`` and errors).

    Service.verify adds a ``wrong_document_type`` check when the document is not what the route expects; the page
    takes either, so that one check (made for the route, not the document) is dropped again.
    """
    result = _from_dict(report)
    checks = result.checks
    if checks and checks[-1].code == "wrong_document_type" and checks[-1].name == "structure" and len(checks) > 1:
        result = dataclasses.replace(result, checks=checks[:-1])
    return result


def _from_dict(data: dict[str, Any]) -> VerificationResult:
    checks = tuple(Check(c["name"], c["status"], c["code"], c["message"]) for c in data["checks"])
    nested = tuple(_from_dict(r) for r in data.get("results", ()))
    return VerificationResult(checks, data.get("type", "credential"), data.get("issuer"), data.get("id"), nested)


def _render(document: dict[str, Any] | str, result: VerificationResult) -> tuple[str | None, str | None]:
    """The document rendered (with this verdict) by vctrade.render, or None and why it could not be."""
    from vctrade.render import (
        render_html,  # Jinja2, segno and nh3 load with the first document rendered
    )

    try:
        return render_html(document, result, verify_url=None), None
    except VctradeError as exc:
        return None, exc.message
    except Exception:  # noqa: BLE001 - the verdict and the checks are still worth showing
        _log.exception("the verifier page could not render a document")
        return None, "an internal error (logged by the service)"


def _summary_html(verified: _Verified, policy: TrustPolicy | None) -> str:
    """The verdict, every check and the rendered document in its sandboxed frame: HTML with every value escaped."""
    result = verified.result
    verdict = _OUTCOMES[verified.outcome]
    banner = f'<strong class="verdict-word">{verdict}</strong>'
    if not result.verified:
        where, check = _first_problem(result)
        prefix = "could not decide — " if verified.outcome == "undecided" else ""
        banner += (f'<span class="verdict-reason">: {html.escape(prefix)}<span class="check-name">'
                   f'{html.escape(where)}</span> — {html.escape(check.message)}</span>')
    subject = f"{result.document_type}" + (f" {result.id}" if result.id else "")
    issuer = f" · issued by {result.issuer}" if result.issuer and result.document_type == "credential" else ""
    if verified.status == 503:
        issuer += " · the service is busy: try again in a few seconds"
    parts = [
        f'<div id="verdict" class="verdict {verified.outcome}" role="status" data-outcome="{verified.outcome}">'
        f"{banner}</div>",
        f'<p class="subject">{html.escape(subject + issuer)}</p>',
        '<h2>Checks</h2><table id="checks" class="checks"><thead><tr><th scope="col">Result</th>'
        '<th scope="col">Check</th><th scope="col">Code</th><th scope="col">Details</th></tr></thead>',
    ]
    parts.extend(_check_rows(result, None))
    parts.append("</table>")
    if policy is None:
        parts.append('<p class="note">No trust policy is configured: the verdict covers the proofs, validity, status '
                     "and schemas, not whether the issuers are trusted.</p>")
    parts.append("<h2>Document</h2>")
    if verified.html is not None:
        # sandbox="" (no allow-scripts, no allow-same-origin): the document's HTML runs no script and has no origin.
        parts.append(f'<iframe id="rendered" class="document" sandbox="" referrerpolicy="no-referrer" '
                     f'title="The document as rendered" srcdoc="{html.escape(verified.html, quote=True)}"></iframe>')
    else:
        parts.append(f'<p class="note" id="render-error">The document could not be rendered: '
                     f"{html.escape(verified.render_error or 'unknown reason')}</p>")
    return f'<section id="result" class="result" aria-live="polite">{"".join(parts)}</section>'


def _first_problem(result: VerificationResult) -> tuple[str, Check]:
    """The check to name in the verdict: the first failed one (else the first undecided), with where it is."""
    found: list[tuple[str, Check]] = []

    def walk(node: VerificationResult, label: str | None) -> None:
        for check in node.checks:
            if check.status != PASSED:
                found.append((f"{label} › {check.name}" if label else check.name, check))
        for child in node.nested:
            walk(child, _label(child))

    walk(result, None)
    for where, check in found:
        if check.status == FAILED:
            return where, check
    if found:
        return found[0]
    # verified is False with no check left: an empty result (VerificationResult needs at least one check)
    return "verification", Check("verification", FAILED, "no_checks", "no check was made")


def _label(result: VerificationResult) -> str:
    if result.document_type == "policy":
        return f"policy {result.id}" if result.id else "policy"
    return result.document_type + (f" {result.id}" if result.id else "")


def _check_rows(result: VerificationResult, label: str | None) -> list[str]:
    rows = []
    if label is not None:
        state = "passed" if result.verified else "error" if result.undecided else "failed"
        rows.append(f'<tbody class="group"><tr class="group {state}"><th colspan="4" scope="rowgroup">'
                    f"{html.escape(label)}</th></tr>")
    else:
        rows.append("<tbody>")
    for check in result.checks:
        status = check.status if check.status in ("passed", "failed", "error") else "error"
        mark = {"passed": "✓ passed", "failed": "✗ failed", "error": "? undecided"}[status]
        rows.append(f'<tr class="check {status}" data-check="{html.escape(check.name)}"><td class="status">{mark}</td>'
                    f'<td class="check-name">{html.escape(check.name)}</td><td class="code">{html.escape(check.code)}'
                    f'</td><td class="message">{html.escape(check.message)}</td></tr>')
    rows.append("</tbody>")
    for child in result.nested:
        rows.extend(_check_rows(child, _label(child) if label is None else f"{label} › {_label(child)}"))
    return rows


def _error_html(error: str | None) -> str:
    if error is None:
        return '<section id="result" class="result" aria-live="polite" hidden></section>'
    return (f'<section id="result" class="result" aria-live="polite"><div id="request-error" class="verdict error" '
            f'role="alert">{html.escape(error)}</div></section>')


def _policy_html(policy: TrustPolicy | None) -> str:
    """The configured policy's rules, each with what it requires (read from the rule's fields)."""
    if policy is None:
        return ('<p id="policy-none">No trust policy is configured on this service (<code>[server] policy</code>): '
                "credentials are checked, issuers are not judged.</p>")
    items = [f'<p class="policy-name">{html.escape(policy.name)}</p><ol id="policy-rules" class="rules">']
    for rule in policy.rules:
        name = str(getattr(rule, "name", type(rule).__name__))
        doc = (type(rule).__doc__ or "").strip().splitlines()
        parts = [f'<li class="rule" data-rule="{html.escape(name)}"><span class="rule-name">{html.escape(name)}</span>']
        if doc:
            parts.append(f' <span class="rule-doc">{html.escape(doc[0])}</span>')
        if dataclasses.is_dataclass(rule):
            parts.append("<dl>")
            for field in dataclasses.fields(rule):
                if field.name == "name":
                    continue
                values = _describe(getattr(rule, field.name))
                shown = (html.escape(values[0]) if len(values) == 1 else
                         "<ul>" + "".join(f"<li>{html.escape(v)}</li>" for v in values) + "</ul>")
                parts.append(f"<dt>{html.escape(field.name.replace('_', ' '))}</dt><dd>{shown}</dd>")
            parts.append("</dl>")
        items.append("".join(parts) + "</li>")
    items.append("</ol>")
    return "".join(items)


def _describe(value: Any) -> list[str]:
    """A rule's parameter as lines of text: lists item by item, nested rules by name, records field by field."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value) or ["(none)"]
    if isinstance(value, (list, tuple)):
        return [line for item in value for line in _describe(item)] or ["(none)"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "evaluate") and hasattr(value, "name"):
            return [f"the rule {value.name}"]
        shown = [str(getattr(value, f.name)) for f in dataclasses.fields(value)]
        return [" · ".join(s for s in shown if s)]
    return [str(value)]

