"""``vctrade serve``: an issuer/verifier HTTP service speaking the W3C VC API.

    POST /credentials/issue                 {credential, options}          → 201 {verifiableCredential}
    POST /issuers/{name}/credentials/issue  the same, with that issuer
    POST /credentials/verify                {verifiableCredential, options} → 200 verified, 422 not, 503 undecided
    POST /presentations/verify              {verifiablePresentation, options: {challenge, domain}}
    POST /credentials/status                {credentialId, action: revoke|suspend|reinstate, reason}
    GET  /status/{path}                     published status lists
    GET  /.well-known/did.json              the service's did:web document, when an issuer uses one
    GET  /openapi.json                      the OpenAPI document

Issue and status need a bearer token from the configuration (``[auth] tokens``,
or OAuth2 access tokens — JWTs — from the configured ``[auth.oauth2]`` issuer,
checked against its local JWKS); verify is open. Bodies are capped; malformed
JSON is a 400 with a JSON error; a server error never shows a traceback.
Verification runs in a worker thread, so one slow did:web fetch does not stall
other requests.

The configuration is read by :class:`~vctrade.service.ServiceConfig`.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from vctrade._batch import VerifyOptions
from vctrade._issuance import issue
from vctrade._keys import Key
from vctrade._result import VerificationResult
from vctrade.di import sign
from vctrade.did import create_did_web_document, network_resolver
from vctrade.errors import (
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
from vctrade.jose import ALGORITHMS, decode_jws, envelope, verify_jws_signature
from vctrade.service._config import IssuerConfig, ServiceConfig
from vctrade.status import Registry
from vctrade.verification import verify

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
    (NotFound, 404),
    (RequestTooLarge, 413),
    (RequestError, 400),
    (RegistryNotFound, 404),
    (RegistryConflict, 409),
    (InputError, 422),
    (OperationalError, 503),
)


def _authorize(config: ServiceConfig, header: str | None) -> None:
    """Bearer token from the config, or an OAuth2 JWT access token from the configured issuer."""
    if not header or not header.lower().startswith("bearer "):
        raise Unauthorized("this endpoint needs an Authorization: Bearer token")
    token = header[7:].strip()
    if any(hmac.compare_digest(token.encode(), known.encode()) for known in config.tokens):
        return
    if config.oauth2 and token.count(".") == 2:
        try:
            decoded = decode_jws(token)
        except VctradeError:
            raise Unauthorized("the bearer token is not valid") from None
        claims, alg = decoded.payload, decoded.header.get("alg")
        # The same strict JWS path as credentials: allow-listed alg fitting the key, no crit, jwcrypto verifies.
        signed = isinstance(alg, str) and "crit" not in decoded.header and any(
            ALGORITHMS.get(alg) == k.key_type and verify_jws_signature(decoded, k, alg) for k in config.oauth2_keys)
        audience = claims.get("aud")
        if (signed and claims.get("iss") == config.oauth2["issuer"]
                and config.oauth2["audience"] in (audience if isinstance(audience, list) else [audience])
                and isinstance(claims.get("exp"), (int, float)) and claims["exp"] > time.time()):
            return
    raise Unauthorized("the bearer token is not valid")


class Service:
    """The service's behaviour, independent of the web framework (and tested through it)."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.options = VerifyOptions(fetch=config.fetch)
        self.resolver = network_resolver(config.fetch)
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
        issuer = self.issuer(name or options.get("issuer"))
        registry = Registry(self.config.registry_path) if self.config.registry_path is not None else None
        try:
            issued = issue(credential, issuer.key, format=issuer.format, suite=issuer.suite,
                           verification_method=issuer.verification_method, registry=registry, loader=self.loader)
        finally:
            if registry is not None:
                registry.close()
        secured = issued.secured
        return {"verifiableCredential": envelope(secured) if isinstance(secured, str) else secured}

    def verify(self, body: dict[str, Any], presentation: bool) -> tuple[int, dict[str, Any]]:
        """Verify a credential or presentation; the HTTP status follows the verdict."""
        member = "verifiablePresentation" if presentation else "verifiableCredential"
        document, options = body.get(member), body.get("options") or {}
        if document is None or not isinstance(options, dict):
            raise RequestError(f"the body needs {member} (and options, an object)")
        if not isinstance(document, (dict, str)):
            raise RequestError(f"{member} must be an object or a JWT string")
        result: VerificationResult = verify(
            document, resolver=self.resolver, loader=self.loader, status_source=self.status_source,
            challenge=options.get("challenge"), domain=options.get("domain"), policy=self.config.policy,
        )
        report = result.to_dict() | {"errors": [c.message for c in result.all_checks() if c.status != "passed"]}
        if result.verified:
            return 200, report
        return (503 if result.undecided else 422), report

    def change_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """Revoke, suspend or reinstate an issued credential, then republish the lists."""
        if self.config.registry_path is None:
            raise NotFound("this service keeps no registry ([server] registry)", code="no_registry")
        credential_id, action = body.get("credentialId"), body.get("action")
        if action is None and isinstance(body.get("credentialStatus"), list) and body["credentialStatus"]:
            wanted = body["credentialStatus"][0].get("status")  # the VC API's shape
            action = {"revoked": "revoke", "suspended": "suspend", "active": "reinstate"}.get(wanted)
        if not isinstance(credential_id, str) or action not in ("revoke", "suspend", "reinstate"):
            raise RequestError("the body needs credentialId and action: revoke, suspend or reinstate")
        with Registry(self.config.registry_path) as registry:
            getattr(registry, action)(credential_id, body.get("reason"))
            self.publish(registry)
            return registry.credential_status(credential_id)

    def publish(self, registry: Registry) -> None:
        """Write every status list, signed by the issuer whose DID it belongs to."""
        if self.config.status_site is None:
            return
        by_did = {i.verification_method.split("#", 1)[0]: i for i in self.config.issuers.values()}

        def sign_list(unsigned: dict[str, Any], status_list: Any) -> dict[str, Any]:
            issuer = by_did.get(status_list.issuer)
            key = issuer.key if issuer else Key.load(status_list.key_file, os.environ.get("VCTRADE_KEY_PASSPHRASE"))
            return sign(unsigned, key, verification_method=status_list.verification_method, loader=self.loader)

        registry.publish(self.config.status_site, sign_list)

    def did_document(self) -> dict[str, Any]:
        """The did:web document of the issuers that sign as a did:web (one DID per service)."""
        web = [i for i in self.config.issuers.values() if i.did]
        if not web:
            raise NotFound("this service has no did:web issuer")
        did = web[0].did
        assert did is not None
        same = [i for i in web if i.did == did]
        return create_did_web_document(did, [i.key for i in same], [i.name for i in same])


def create_app(config: ServiceConfig) -> Any:
    """The ASGI application (FastAPI) for ``config``."""
    service = Service(config)
    app = FastAPI(title="vctrade", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Issue, verify and manage the status of verifiable credentials (W3C VC API).")

    @app.exception_handler(VctradeError)
    async def library_error(_request: Request, exc: VctradeError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message, "code": exc.code}
        if isinstance(exc, TradeDocumentError):
            body["problems"] = list(exc.problems)  # each names the field and the rule it breaks
        return JSONResponse(body, status_code=http_status(exc))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal server error", "code": "internal_error"}, status_code=500)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        declared = request.headers.get("content-length")
        if declared and (not declared.isdigit() or int(declared) > config.max_body_bytes):
            return JSONResponse({"error": f"the body is over {config.max_body_bytes} bytes", "code": "too_large"}, 413)
        return await call_next(request)

    async def json_body(request: Request) -> dict[str, Any]:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > config.max_body_bytes:
                raise RequestTooLarge(f"the body is over {config.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestError(f"the body is not valid JSON: {exc}", code="malformed_json") from None
        except RecursionError:
            raise RequestError("the body is nested too deeply", code="malformed_json") from None
        if not isinstance(body, dict):
            raise RequestError("the body must be a JSON object")
        return body

    @app.post("/credentials/issue", status_code=201)
    @app.post("/issuers/{name}/credentials/issue", status_code=201)
    async def issue(request: Request, name: str | None = None) -> JSONResponse:
        """Sign a credential (needs a bearer token)."""
        _authorize(config, request.headers.get("authorization"))
        body = await json_body(request)
        return JSONResponse(await run_in_threadpool(service.issue, body, name), status_code=201)

    @app.post("/credentials/verify")
    async def verify_credential(request: Request) -> JSONResponse:
        """Verify a credential: 200 verified, 422 not verified, 503 undecided."""
        status, report = await run_in_threadpool(service.verify, await json_body(request), False)
        return JSONResponse(report, status_code=status)

    @app.post("/presentations/verify")
    async def verify_presentation(request: Request) -> JSONResponse:
        """Verify a presentation with the expected challenge and domain."""
        status, report = await run_in_threadpool(service.verify, await json_body(request), True)
        return JSONResponse(report, status_code=status)

    @app.post("/credentials/status")
    async def change_status(request: Request) -> JSONResponse:
        """Revoke, suspend or reinstate a credential (needs a bearer token)."""
        _authorize(config, request.headers.get("authorization"))
        return JSONResponse(await run_in_threadpool(service.change_status, await json_body(request)))

    @app.get("/status/{path:path}")
    async def status_list(path: str) -> Any:
        """A published status list credential."""
        site = config.status_site
        target = (site / "status" / path).resolve() if site else None
        if site is None or target is None or site.resolve() not in target.parents or not target.is_file():
            raise NotFound("no such status list")
        return FileResponse(target, media_type="application/vc+ld+json")

    @app.get("/.well-known/did.json")
    async def did_document() -> JSONResponse:
        """The service's did:web document."""
        return JSONResponse(service.did_document(), media_type="application/did+json")

    return app
