"""``vctrade serve``: an issuer/verifier HTTP service speaking the W3C VC API.

    POST /credentials/issue                 {credential, options}          → 201 {verifiableCredential}
    POST /issuers/{name}/credentials/issue  the same, with that issuer (options.mandatoryPointers: ecdsa-sd-2023 only)
    POST /credentials/derive                {verifiableCredential, options: {selectivePointers}} → 201 (ecdsa-sd-2023)
    POST /credentials/verify                {verifiableCredential, options} → 200 verified, 422 not, 503 undecided
    POST /presentations/verify              {verifiablePresentation, options: {challenge, domain}}
    POST /credentials/status                {credentialId, action: revoke|suspend|reinstate, reason}
    GET  /status/{path}                     published status lists
    GET  /.well-known/did.json              the service's did:web document, when an issuer uses one
    GET  /openapi.json                      the OpenAPI document (request/response schemas, bearer security)
    GET  /docs                              the API's Swagger UI, served by the service (no CDN)

Each request is logged on stderr in one line (``vctrade.service._access``): never a body, a header or a query.

Issue, derive and status need a bearer token (``vctrade.service._oauth`` checks it): a static token of
``[auth] tokens``, an OAuth2 access token — a JWT — of the configured ``[auth.oauth2]`` issuer (checked against
its local JWKS), or one of the service's own token endpoint (``[auth.token_endpoint]``, ``POST /oauth/token`` by
default), which must carry the scope: ``issue:credentials`` to issue or derive, ``update:credentials`` to change
a status (403 ``forbidden`` otherwise, before the body is read). Verify is open. An access token gets the JWS
checks a credential gets (allow-listed ``alg`` fitting the key, no ``crit``) and those of RFC 9068: ``typ`` must
be ``at+jwt`` (an ID token or any other JWT of the same issuer is not an access token), ``iss`` and ``aud`` must
match, ``exp`` is required and not past, ``nbf`` and ``iat`` (when present) not in the future, all with the
5-minute clock skew verification allows; any refusal is a 401 ``unauthorized`` that says why.

With ``[traceability]`` the service also speaks the traceability-interop API profile under that section's
``base_path`` (``vctrade.service._traceability``); the routes above stay as they are.

Bodies are capped; malformed JSON (an integer over Python's 4,300-digit limit
included) is a 400 with a JSON error; a bad request is a 4xx, never a 500, and
a server error never shows a traceback. Verification runs in worker threads of
its own: at most ``max_pending_verifications`` of them wait on the network (a
did:web or status-list fetch, each within ``fetch_timeout_seconds``), one more
is answered at once with 503, code ``busy`` in its checks and ``Retry-After``,
so hosts that answer slowly never stall verifications that need no network.

The configuration is read by :class:`~vctrade.service.ServiceConfig`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from vctrade._batch import VerifyOptions
from vctrade._http import FetchSlots
from vctrade._issuance import issue
from vctrade._result import FAILED, Check, VerificationResult
from vctrade.di import Cryptosuite, EcdsaSd2023
from vctrade.did import create_did_web_document
from vctrade.errors import (
    Forbidden,
    InputError,
    NotFound,
    OperationalError,
    RegistryConflict,
    RegistryNotFound,
    RequestError,
    RequestTooLarge,
    TradeDocumentError,
    Unauthorized,
    VctradeError,
)
from vctrade.jose import envelope
from vctrade.service._access import install_access_log
from vctrade.service._config import IssuerConfig, ServiceConfig
from vctrade.service._oauth import authenticate, require_scope, token_router
from vctrade.service._openapi import install_openapi
from vctrade.service._requests import read_json_object
from vctrade.status import Registry
from vctrade.verification import verify
from vctrade.verification._formats import Format, detect

__all__ = ["ServiceConfig", "IssuerConfig", "create_app", "http_status"]


def http_status(error: VctradeError) -> int:
    """The HTTP status for a library error, chosen by its class (never by its message)."""
    for cls, status in _STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 500


# Most specific first.
_STATUS_BY_CLASS: tuple[tuple[type[VctradeError], int], ...] = (
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (RequestTooLarge, 413),
    (RequestError, 400),
    (RegistryNotFound, 404),
    (RegistryConflict, 409),
    (InputError, 422),
    (OperationalError, 503),
)


class Service:
    """The service's behaviour, independent of the web framework (and tested through it)."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        # Every verification's fetches share these slots: slow hosts hold at most that many threads.
        fetch = dataclasses.replace(config.fetch, slots=FetchSlots(config.max_pending_verifications))
        self.options = VerifyOptions(fetch=fetch)
        self.resolver = self.options.resolver()
        self.loader = self.options.loader()
        self.status_source = self.options.status_source()

    def issuer(self, name: str | None) -> IssuerConfig:
        """The issuer named (by path or options.issuer), or the default one."""
        chosen = name or self.config.default_issuer
        if chosen is None or chosen not in self.config.issuers:
            raise NotFound(f"no issuer {chosen!r}; configured: {', '.join(self.config.issuers)}", code="unknown_issuer")
        return self.config.issuers[chosen]

    def issue(self, body: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Issue the credential of an IssueCredentialRequest through the one issuance path."""
        credential, options = body.get("credential"), body.get("options") or {}
        if not isinstance(credential, dict) or not isinstance(options, dict):
            raise RequestError("the body needs a credential object (and options, an object)")
        chosen = name or options.get("issuer")
        if chosen is not None and not isinstance(chosen, str):
            raise RequestError("options.issuer must be the name of an issuer (a string)")
        issuer = self.issuer(chosen)
        suite = _issuing_suite(issuer, options)
        registry = Registry(self.config.registry_path) if self.config.registry_path is not None else None
        try:
            issued = issue(credential, issuer.key, format=issuer.format, suite=suite,
                           verification_method=issuer.verification_method, registry=registry, loader=self.loader)
        finally:
            if registry is not None:
                registry.close()
        secured = issued.secured
        if isinstance(secured, str):  # VC-JOSE-COSE: the envelope's media type names what it carries
            return {"verifiableCredential": envelope(secured, _ENVELOPE_MEDIA.get(issued.format, "vc+jwt"))}
        return {"verifiableCredential": secured}

    def derive(self, body: dict[str, Any]) -> dict[str, Any]:
        """A DeriveCredentialRequest: an ecdsa-sd-2023 credential reduced to options.selectivePointers."""
        from vctrade.di import derive

        credential, options = body.get("verifiableCredential"), body.get("options") or {}
        if not isinstance(credential, dict) or not isinstance(options, dict):
            raise RequestError("the body needs a verifiableCredential object (and options, an object)")
        pointers = options.get("selectivePointers", [])
        if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
            raise RequestError("options.selectivePointers must be a list of JSON pointer strings")
        return {"verifiableCredential": derive(credential, pointers, loader=self.loader)}

    def verify(self, body: dict[str, Any], presentation: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Verify a credential or presentation; the HTTP status (and headers) follow the verdict."""
        member = "verifiablePresentation" if presentation else "verifiableCredential"
        document, options = body.get(member), body.get("options") or {}
        if document is None or not isinstance(options, dict):
            raise RequestError(f"the body needs {member} (and options, an object)")
        if not isinstance(document, (dict, str)):
            raise RequestError(f"{member} must be an object or a JWT string")
        if isinstance(document, str) and _is_json_text(document):
            # The VC API's field is an object (or an Enveloped… one); Data Integrity §4.2 (verify proof): a secured
            # document that is not a map is a PARSING_ERROR. A compact JWS / SD-JWT / COSE string stays accepted.
            raise RequestError(f"{member} must be a JSON object (or a JWT string), not JSON text in a string",
                               code="parsing_error")
        result: VerificationResult = verify(
            document, resolver=self.resolver, loader=self.loader, status_source=self.status_source,
            challenge=options.get("challenge"), domain=options.get("domain"), policy=self.config.policy,
        )
        wanted = "presentation" if presentation else "credential"
        if result.document_type != wanted and not any(c.code == "internal_error" for c in result.checks):
            wrong = Check("structure", FAILED, "wrong_document_type",
                          f"{member} must be a {wanted}, not a {result.document_type}")
            result = dataclasses.replace(result, checks=(*result.checks, wrong))
        report = result.to_dict() | {"errors": [c.message for c in result.all_checks() if c.status != "passed"]}
        if result.verified:
            return 200, report, {}
        if not result.undecided:
            return 422, report, {}
        if any(check.code == "busy" for check in result.all_checks()):
            # Every fetch slot was taken; each frees within one fetch deadline.
            return 503, report, {"Retry-After": str(math.ceil(self.config.fetch.timeout))}
        return 503, report, {}

    def change_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """Revoke, suspend or reinstate an issued credential, then republish the lists."""
        if self.config.registry_path is None:
            raise NotFound("this service keeps no registry ([server] registry)", code="no_registry")
        credential_id, action, reason = body.get("credentialId"), body.get("action"), body.get("reason")
        if action is None and "credentialStatus" in body:  # the VC API's shape: [{"status": "revoked"}]
            statuses = body["credentialStatus"]
            first = statuses[0] if isinstance(statuses, list) and statuses else None
            wanted = first.get("status") if isinstance(first, dict) else None
            action = _ACTIONS.get(wanted) if isinstance(wanted, str) else None
        if not isinstance(credential_id, str) or not isinstance(action, str) or action not in _ACTIONS.values():
            raise RequestError("the body needs credentialId and action: revoke, suspend or reinstate "
                               '(or credentialStatus: [{"status": "revoked" | "suspended" | "active"}])')
        if reason is not None and not isinstance(reason, str):
            raise RequestError("reason must be a string")
        with Registry(self.config.registry_path) as registry:
            getattr(registry, action)(credential_id, reason)
            self.publish(registry)
            return registry.credential_status(credential_id)

    def publish(self, registry: Registry) -> None:
        """Write every status list, signed by the issuer whose DID it belongs to."""
        if self.config.status_site is None:
            return
        # the profile's organisation publishes StatusList2021 lists its entries can read; any other issuer as usual
        from vctrade.service._traceability import sign_status_list

        registry.publish(self.config.status_site,
                         lambda unsigned, status_list: sign_status_list(self.config, self.loader, unsigned, status_list))

    def did_document(self) -> dict[str, Any]:
        """The did:web document of the issuers that sign as a did:web (one DID per service)."""
        web = [i for i in self.config.issuers.values() if i.did]
        if not web:
            raise NotFound("this service has no did:web issuer")
        did = web[0].did
        assert did is not None
        same = [i for i in web if i.did == did]
        return create_did_web_document(did, [i.key for i in same], [i.name for i in same])


def _issuing_suite(issuer: IssuerConfig, options: dict[str, Any]) -> str | Cryptosuite | None:
    """The issuer's suite; for an ecdsa-sd-2023 issuer, configured with ``options.mandatoryPointers`` when given.

    Mandatory pointers mean something only to a selective-disclosure suite: any other issuer refuses them
    (400), since ignoring them would sign a credential without the disclosure its issuer asked to make mandatory.
    """
    if "mandatoryPointers" not in options:
        return issuer.suite
    pointers = options["mandatoryPointers"]
    if issuer.format != "di" or issuer.suite != _SD_SUITE:
        raise RequestError(f"options.mandatoryPointers is for {_SD_SUITE} issuers; issuer {issuer.name!r} signs with "
                           f"{issuer.suite or 'format ' + issuer.format}", code="mandatory_pointers_unsupported")
    if not isinstance(pointers, list) or not all(isinstance(p, str) for p in pointers):
        raise RequestError("options.mandatoryPointers must be a list of JSON pointer strings")
    return EcdsaSd2023(pointers)


_SD_SUITE = "ecdsa-sd-2023"
_ACTIONS = {"revoked": "revoke", "suspended": "suspend", "active": "reinstate"}
# issue()'s format -> the media type of the EnvelopedVerifiableCredential that carries it
_ENVELOPE_MEDIA = {"jose": "vc+jwt", "sd-jwt": "vc+sd-jwt", "cose": "vc+cose"}


def _is_json_text(text: str) -> bool:
    """Whether a string holds JSON text (an object, array, string …) rather than a JWT, SD-JWT or COSE."""
    try:
        return detect(text).format is Format.JSON
    except VctradeError:
        return text.lstrip()[:1] in ("{", "[", '"')

# Threads for verifications beyond those that may wait on the network: the ones that need none keep answering.
_SPARE_VERIFY_THREADS = 8


class _Verifications:
    """Runs verifications in worker threads, at most ``max_pending_verifications`` + 8 at once.

    Verifications have a thread limit of their own (issuing and status changes keep anyio's
    default one). At most ``max_pending_verifications`` of their threads wait on the network (the
    fetch slots see to that), so the others stay free for verifications that need none.
    """

    def __init__(self, config: ServiceConfig, service: Service) -> None:
        self._service = service
        self._size = config.max_pending_verifications + _SPARE_VERIFY_THREADS
        self._limiter: CapacityLimiter | None = None

    async def run(self, body: dict[str, Any], presentation: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        """``Service.verify`` in a worker thread."""
        if self._limiter is None:  # made inside the event loop, which older anyio versions need
            self._limiter = CapacityLimiter(self._size)
        return await to_thread.run_sync(self._service.verify, body, presentation, limiter=self._limiter)


def _mount_traceability(app: FastAPI, config: ServiceConfig, service: Service) -> None:
    """The traceability-interop profile's routes, under ``[traceability] base_path``."""
    from vctrade.service._traceability import traceability_router

    app.include_router(traceability_router(config, service))


def create_app(config: ServiceConfig, *, clock: Callable[[], float] = time.time) -> Any:
    """The ASGI application (FastAPI) for ``config``; ``clock`` (seconds since the epoch) times access tokens."""
    service = Service(config)
    verifications = _Verifications(config, service)
    # /docs: Swagger UI from the service itself (fastapi-offline ships its files: no CDN, works offline)
    app = FastAPIOffline(title="vctrade", version="0.1.0", docs_url="/docs", redoc_url=None, static_url="/docs/static",
                         description="Issue, verify and manage the status of verifiable credentials (W3C VC API).")

    @app.exception_handler(VctradeError)
    async def library_error(_request: Request, exc: VctradeError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message, "code": exc.code}
        if isinstance(exc, TradeDocumentError):
            body["problems"] = list(exc.problems)  # each names the field and the rule it breaks
        # RFC 6750: a 401 says which scheme it wants; a 403 that the token lacks a scope.
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else \
            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'} if isinstance(exc, Forbidden) else None
        return JSONResponse(body, status_code=http_status(exc), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal server error", "code": "internal_error"}, status_code=500)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        declared = request.headers.get("content-length")
        if declared and (not declared.isdigit() or int(declared) > config.max_body_bytes):
            return JSONResponse({"error": f"the body is over {config.max_body_bytes} bytes", "code": "too_large"}, 413)
        return await call_next(request)

    def authorize(request: Request, scope: str) -> None:
        """A caller with a bearer token; the token endpoint's tokens must carry ``scope``.

        Static and ``[auth.oauth2]`` tokens keep the rights they have always had here (every one).
        """
        caller = authenticate(config, request.headers.get("authorization"), now=clock())
        if caller.kind == "client":
            require_scope(caller, scope)

    async def json_body(request: Request) -> dict[str, Any]:
        return await read_json_object(request, config.max_body_bytes)

    @app.post("/credentials/issue", status_code=201)
    @app.post("/issuers/{name}/credentials/issue", status_code=201)
    async def issue(request: Request, name: str | None = None) -> JSONResponse:
        """Sign a credential (needs a bearer token; scope issue:credentials)."""
        authorize(request, "issue:credentials")
        body = await json_body(request)
        return JSONResponse(await run_in_threadpool(service.issue, body, name), status_code=201)

    @app.post("/credentials/derive", status_code=201)
    async def derive_credential(request: Request) -> JSONResponse:
        """Derive a selectively disclosed ecdsa-sd-2023 credential (needs a bearer token; scope issue:credentials)."""
        authorize(request, "issue:credentials")
        body = await json_body(request)
        return JSONResponse(await run_in_threadpool(service.derive, body), status_code=201)

    @app.post("/credentials/verify")
    async def verify_credential(request: Request) -> JSONResponse:
        """Verify a credential: 200 verified, 422 not verified, 503 undecided."""
        status, report, headers = await verifications.run(await json_body(request), False)
        return JSONResponse(report, status_code=status, headers=headers)

    @app.post("/presentations/verify")
    async def verify_presentation(request: Request) -> JSONResponse:
        """Verify a presentation with the expected challenge and domain."""
        status, report, headers = await verifications.run(await json_body(request), True)
        return JSONResponse(report, status_code=status, headers=headers)

    @app.post("/credentials/status")
    async def change_status(request: Request) -> JSONResponse:
        """Revoke, suspend or reinstate a credential (needs a bearer token; scope update:credentials)."""
        authorize(request, "update:credentials")
        return JSONResponse(await run_in_threadpool(service.change_status, await json_body(request)))

    @app.get("/status/{path:path}")
    async def status_list(path: str) -> Any:
        """A published status list credential."""
        site = config.status_site
        target = (site / "status" / path).resolve() if site else None
        if site is None or target is None or site.resolve() not in target.parents:
            raise NotFound("no such status list")
        try:  # read in one go: another replica may replace the file (atomically) at any moment
            body = target.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound("no such status list") from None
        return Response(body, media_type="application/vc+ld+json")

    @app.get("/.well-known/did.json")
    async def did_document() -> JSONResponse:
        """The service's did:web document."""
        return JSONResponse(service.did_document(), media_type="application/did+json")

    if config.token_endpoint is not None:
        app.include_router(token_router(config, clock=clock))
    if config.traceability is not None:
        _mount_traceability(app, config, service)
    from vctrade.service._verifier_page import verifier_page_router  # GET /verify: the verifier page (its module)

    app.include_router(verifier_page_router(config, verifications.run))
    install_openapi(app, config)  # request/response schemas and the bearer security scheme in /openapi.json
    install_access_log(app)  # last: the outermost middleware logs every answer
    return app
