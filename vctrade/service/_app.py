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

import time
from collections.abc import Callable
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from vctrade.errors import (
    Forbidden,
    NotFound,
    TradeDocumentError,
    Unauthorized,
    VctradeError,
)
from vctrade.service._access import install_access_log
from vctrade.service._config import IssuerConfig, ServiceConfig
from vctrade.service._oauth import authenticate, require_scope, token_router
from vctrade.service._openapi import install_openapi
from vctrade.service._requests import read_json_object
from vctrade.service._service import Service, http_status

__all__ = ["ServiceConfig", "IssuerConfig", "create_app", "http_status"]


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
    from vctrade.service._verifier_page import (
        verifier_page_router,  # GET /verify: the verifier page (its module)
    )

    app.include_router(verifier_page_router(config, verifications.run))
    install_openapi(app, config)  # request/response schemas and the bearer security scheme in /openapi.json
    install_access_log(app)  # last: the outermost middleware logs every answer
    return app
