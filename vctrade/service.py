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

The configuration (TOML)::

    [server]
    host = "127.0.0.1"
    port = 8080
    max_body_bytes = 1048576
    registry = "registry.sqlite"       # optional: status entries for issued credentials
    status_site = "site"               # where published status lists are written and served from
    policy = "policy.toml"             # optional: applied to every verification
    allow_private_hosts = false

    [auth]
    tokens = ["env:VCTRADE_API_TOKEN"] # literal tokens, or env:NAME

    [auth.oauth2]                      # optional
    issuer = "https://auth.example"
    audience = "vctrade"
    jwks = "auth-jwks.json"

    [[issuer]]
    name = "eddsa-rdfc-2022"           # /issuers/{name}/credentials/issue, or options.issuer
    key = "keys/issuer.jwk"
    suite = "eddsa-rdfc-2022"          # or format = "jose" / "sd-jwt"
    did = "did:web:issuer.example"     # optional: sign as this did:web (the service serves its document)
    default = true
"""

from __future__ import annotations

import hmac
import json
import os
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from ._http import FetchPolicy
from .batch import VerifyOptions
from .credentials import issuer_id
from .did import network_resolver
from .did.web import create_did_web_document
from .errors import InputError, VctradeError
from .keys import Key
from .policy import TrustPolicy
from .registry import Registry, RegistryError
from .result import VerificationResult
from .signing import sign
from .suites.jose import ALGORITHMS, decode_jws, envelope, sign_vc_jwt
from .verify import verify

__all__ = ["ServiceConfig", "IssuerConfig", "ConfigError", "create_app"]

_ENVELOPE = "data:application/vc+jwt,"


class ConfigError(InputError):
    """The service configuration is missing, malformed or refers to files that cannot be read."""

    code = "invalid_config"


@dataclass(frozen=True)
class IssuerConfig:
    """One issuer the service signs for."""

    name: str
    key: Key
    suite: str | None = None
    format: str = "di"
    did: str | None = None

    @property
    def verification_method(self) -> str:
        """The DID URL that signs: the did:web's ``#key-1`` style id, or the key's did:key method."""
        return f"{self.did}#{self.name}" if self.did else self.key.did_key_verification_method


@dataclass
class ServiceConfig:
    """Everything the service needs, from TOML (paths relative to the config file)."""

    issuers: dict[str, IssuerConfig]
    default_issuer: str | None
    tokens: tuple[str, ...] = ()
    oauth2: dict[str, Any] | None = None
    oauth2_keys: tuple[Key, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    registry_path: Path | None = None
    status_site: Path | None = None
    policy: TrustPolicy | None = None
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    @classmethod
    def load(cls, path: str | Path) -> ServiceConfig:
        """Read and check a service configuration file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file not found: {path}") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        return cls.from_dict(data, path.parent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path) -> ServiceConfig:
        """Build from parsed TOML; ``base`` resolves relative paths."""
        unknown = set(data) - {"server", "auth", "issuer"}
        if unknown:
            raise ConfigError(f"unknown configuration section(s): {', '.join(sorted(unknown))}")
        server, auth = data.get("server", {}), data.get("auth", {})
        issuers: dict[str, IssuerConfig] = {}
        default = None
        for entry in data.get("issuer", []):
            try:
                name, key_file = entry["name"], base / entry["key"]
            except (KeyError, TypeError):
                raise ConfigError("every [[issuer]] needs name and key") from None
            fmt = entry.get("format", "di")
            if fmt not in ("di", "jose"):
                raise ConfigError(f"issuer {name}: format must be di or jose")
            key = Key.load(key_file, os.environ.get("VCTRADE_KEY_PASSPHRASE"))
            issuers[name] = IssuerConfig(name, key, entry.get("suite"), fmt, entry.get("did"))
            if entry.get("default"):
                default = name
        tokens = tuple(_secret(t) for t in auth.get("tokens", []))
        oauth2 = auth.get("oauth2")
        keys: tuple[Key, ...] = ()
        if oauth2 is not None:
            if not {"issuer", "audience", "jwks"} <= set(oauth2):
                raise ConfigError("[auth.oauth2] needs issuer, audience and jwks")
            try:
                jwks = json.loads((base / oauth2["jwks"]).read_text(encoding="utf-8"))
                keys = tuple(Key.from_jwk(k) for k in jwks["keys"])
            except (OSError, ValueError, KeyError, VctradeError) as exc:
                raise ConfigError(f"cannot read the OAuth2 JWKS: {exc}") from None
        policy = TrustPolicy.from_toml(base / server["policy"]) if server.get("policy") else None
        return cls(
            issuers=issuers,
            default_issuer=default or (next(iter(issuers)) if len(issuers) == 1 else None),
            tokens=tokens,
            oauth2=oauth2,
            oauth2_keys=keys,
            host=str(server.get("host", "127.0.0.1")),
            port=int(server.get("port", 8080)),
            max_body_bytes=int(server.get("max_body_bytes", 1_048_576)),
            registry_path=base / server["registry"] if server.get("registry") else None,
            status_site=base / server["status_site"] if server.get("status_site") else None,
            policy=policy,
            fetch=FetchPolicy(allow_private_hosts=bool(server.get("allow_private_hosts", False))),
        )


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError("[auth] tokens must be non-empty strings")
    if value.startswith("env:"):
        secret = os.environ.get(value[4:], "")
        if not secret:
            raise ConfigError(f"[auth] token {value}: the environment variable is not set")
        return secret
    return value


class ApiError(Exception):
    """An HTTP error with a JSON body."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def _authorize(config: ServiceConfig, header: str | None) -> None:
    """Bearer token from the config, or an OAuth2 JWT access token from the configured issuer."""
    if not header or not header.lower().startswith("bearer "):
        raise ApiError(401, "unauthorized", "this endpoint needs an Authorization: Bearer token")
    token = header[7:].strip()
    if any(hmac.compare_digest(token.encode(), known.encode()) for known in config.tokens):
        return
    if config.oauth2 and token.count(".") == 2:
        try:
            decoded = decode_jws(token)
        except VctradeError:
            raise ApiError(401, "unauthorized", "the bearer token is not valid") from None
        claims, alg = decoded.payload, decoded.header.get("alg")
        signed = any(ALGORITHMS.get(alg or "") == k.key_type and k.verify(decoded.signature, decoded.signing_input)
                     for k in config.oauth2_keys)
        audience = claims.get("aud")
        if (signed and claims.get("iss") == config.oauth2["issuer"]
                and config.oauth2["audience"] in (audience if isinstance(audience, list) else [audience])
                and isinstance(claims.get("exp"), (int, float)) and claims["exp"] > time.time()):
            return
    raise ApiError(401, "unauthorized", "the bearer token is not valid")


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
            raise ApiError(404, "unknown_issuer", f"no issuer {chosen!r}; configured: {', '.join(self.config.issuers)}")
        return self.config.issuers[chosen]

    def issue(self, body: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Sign the credential of an IssueCredentialRequest."""
        credential, options = body.get("credential"), body.get("options") or {}
        if not isinstance(credential, dict) or not isinstance(options, dict):
            raise ApiError(400, "invalid_request", "the body needs a credential object (and options, an object)")
        issuer = self.issuer(name or options.get("issuer"))
        signer = issuer.verification_method.split("#", 1)[0]
        document = dict(credential)
        # The VC API lets the caller name the issuer; it must be this issuer's DID.
        if issuer_id(document) not in (None, signer):
            raise ApiError(422, "issuer_mismatch", f"this service signs as {signer}, not {issuer_id(document)}")
        document["issuer"] = document.get("issuer") if issuer_id(document) else signer
        if self.config.registry_path is not None and "credentialStatus" not in document:
            with Registry(self.config.registry_path) as registry:
                document.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
                entries = registry.allocate(document)
                if entries:
                    document["credentialStatus"] = entries if len(entries) > 1 else entries[0]
        if issuer.format == "jose":
            secured: dict[str, Any] = envelope(sign_vc_jwt(document, issuer.key, verification_method=issuer.verification_method))
        else:
            secured = sign(document, issuer.key, suite=issuer.suite, verification_method=issuer.verification_method,
                           loader=self.loader)
        if self.config.registry_path is not None and "id" in document:
            with Registry(self.config.registry_path) as registry:
                registry.record(secured if issuer.format == "di" else document)
        return {"verifiableCredential": secured}

    def verify(self, body: dict[str, Any], presentation: bool) -> tuple[int, dict[str, Any]]:
        """Verify a credential or presentation; the HTTP status follows the verdict."""
        member = "verifiablePresentation" if presentation else "verifiableCredential"
        document, options = body.get(member), body.get("options") or {}
        if document is None or not isinstance(options, dict):
            raise ApiError(400, "invalid_request", f"the body needs {member} (and options, an object)")
        if isinstance(document, dict) and document.get("type") == "EnvelopedVerifiableCredential":
            value = document.get("id", "")
            document = value[len(_ENVELOPE):] if isinstance(value, str) and value.startswith(_ENVELOPE) else value
        if not isinstance(document, (dict, str)):
            raise ApiError(400, "invalid_request", f"{member} must be an object or a JWT string")
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
            raise ApiError(404, "no_registry", "this service keeps no registry ([server] registry)")
        credential_id, action = body.get("credentialId"), body.get("action")
        if action is None and isinstance(body.get("credentialStatus"), list) and body["credentialStatus"]:
            wanted = body["credentialStatus"][0].get("status")  # the VC API's shape
            action = {"revoked": "revoke", "suspended": "suspend", "active": "reinstate"}.get(wanted)
        if not isinstance(credential_id, str) or action not in ("revoke", "suspend", "reinstate"):
            raise ApiError(400, "invalid_request", "the body needs credentialId and action: revoke, suspend or reinstate")
        with Registry(self.config.registry_path) as registry:
            try:
                getattr(registry, action)(credential_id, body.get("reason"))
            except RegistryError as exc:
                raise ApiError(409 if "already" in exc.message or "final" in exc.message else 404, exc.code, exc.message) from None
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
            raise ApiError(404, "not_found", "this service has no did:web issuer")
        did = web[0].did
        assert did is not None
        same = [i for i in web if i.did == did]
        return create_did_web_document(did, [i.key for i in same], [i.name for i in same])


def create_app(config: ServiceConfig) -> Any:
    """The ASGI application (FastAPI) for ``config``."""
    service = Service(config)
    app = FastAPI(title="vctrade", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Issue, verify and manage the status of verifiable credentials (W3C VC API).")

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "code": exc.code, **exc.extra}, status_code=exc.status)

    @app.exception_handler(VctradeError)
    async def library_error(_request: Request, exc: VctradeError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=422 if exc.exit_code == 2 else 503)

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
                raise ApiError(413, "too_large", f"the body is over {config.max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ApiError(400, "malformed_json", "the body is nested too deeply") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_request", "the body must be a JSON object")
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
            raise ApiError(404, "not_found", "no such status list")
        return FileResponse(target, media_type="application/vc+ld+json")

    @app.get("/.well-known/did.json")
    async def did_document() -> JSONResponse:
        """The service's did:web document."""
        return JSONResponse(service.did_document(), media_type="application/did+json")

    return app
