"""OAuth2 for the service: who sent a request, what it may do, and the service's own client-credentials token endpoint.

A request's ``Authorization: Bearer`` token is one of three kinds (:class:`Caller`'s ``kind``):

- ``token``: a static token of ``[auth] tokens`` — it may do everything (it has every scope);
- ``oauth2``: a JWT access token of the external authorization server of ``[auth.oauth2]`` (checked against its
  local JWKS) — its scopes are its ``scope`` claim;
- ``client``: a JWT access token issued by the service's own token endpoint (``[auth.token_endpoint]``) to a
  ``[[auth.client]]`` — its scopes are its ``scope`` claim, narrowed to what the client is allowed today, and a
  client removed from the configuration takes its tokens with it.

Both kinds of access token get the same checks (:func:`authenticate`): those a credential's JWS gets (an
allow-listed ``alg`` fitting the key, no ``crit``, strict JSON, then jwcrypto verifies with that one ``alg``) and
those of RFC 9068: ``typ`` is ``at+jwt``, ``iss`` and ``aud`` match, ``exp`` is required and not past, ``nbf`` and
``iat`` (when present) not in the future, all with verification's 5-minute clock skew. Which authority a token
is checked against is chosen by its ``iss``; each authority's keys verify only its own tokens. Any refusal is
:class:`~vctrade.errors.Unauthorized` (401) saying why; a valid token without the scope an endpoint needs is
:class:`~vctrade.errors.Forbidden` (403). Routes take :func:`scoped` as a dependency: it reads the headers only,
so the 401 or 403 comes before the body is read.

The token endpoint (:func:`token_router`, ``POST [auth.token_endpoint] path``) is RFC 6749's client-credentials
grant: the body is ``application/x-www-form-urlencoded`` or JSON with ``grant_type=client_credentials``,
``client_id`` and ``client_secret`` (or those two in HTTP Basic, RFC 6749 §2.3.1, never both), optional
``audience`` (one of ``audiences``; default ``audience``) and optional ``scope`` (space-separated; absent: all of
the client's scopes; empty: none). It answers ``200 {access_token, token_type: "Bearer", expires_in, scope}``, or
an RFC 6749 §5.2 error ``{error, error_description}``: ``invalid_request`` (400), ``unsupported_grant_type``
(400), ``invalid_scope`` (400, a scope the client may not have), ``invalid_client`` (401 — an unknown client and
a wrong secret get the same answer). Its access tokens are JWS with ``typ`` ``at+jwt`` signed by the endpoint's
key, claims ``iss``, ``sub`` and ``client_id`` (the client), ``aud``, ``scope``, ``iat``, ``exp``, ``jti``.

Client secrets are stored hashed only (:func:`hash_client_secret`), in a versioned format::

    scrypt:v1:<salt>:<hash>      salt 16 random bytes, hash = scrypt(secret as UTF-8, salt, N=2**15, r=8, p=1,
                                 32 bytes); both base64url without padding

A later version changes the parameters under a new tag; :func:`verify_client_secret` compares in constant time.
At most a few secrets are hashed at once (each takes ~32 MiB for some tens of milliseconds); further token
requests wait their turn.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard
from urllib.parse import parse_qsl, unquote_plus

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vctrade._encoding import b64url_encode
from vctrade._keys import Key
from vctrade.errors import (
    ConfigError,
    Forbidden,
    Unauthorized,
    VctradeError,
)
from vctrade.jose import (
    ALGORITHMS,
    DecodedJws,
    decode_jws,
    encode_jws,
    media_type,
    verify_jws_signature,
)
from vctrade.service._config import ServiceConfig
from vctrade.service._secrets import (
    SCOPE_TOKEN,
    check_secret_hash,
    hash_client_secret,
    verify_client_secret,
)
from vctrade.verification import DEFAULT_SKEW

__all__ = [
    "Caller",
    "authenticate",
    "require_scope",
    "scoped",
    "hash_client_secret",
    "verify_client_secret",
    "check_secret_hash",
    "token_router",
    "SCOPE_TOKEN",
]



@dataclass(frozen=True)
class Caller:
    """Who sent a request: a static token (``kind="token"``: every scope), or an access token of the external
    authorization server (``"oauth2"``) or of the own token endpoint (``"client"``) with its ``scopes``."""

    client_id: str | None
    scopes: frozenset[str]
    kind: Literal["token", "oauth2", "client"]

    def has_scope(self, scope: str) -> bool:
        """Whether the caller may do what ``scope`` names (a static token may do everything)."""
        return self.kind == "token" or scope in self.scopes


def require_scope(caller: Caller, scope: str) -> None:
    """Raise :class:`~vctrade.errors.Forbidden` (403) unless ``caller`` has ``scope``."""
    if not caller.has_scope(scope):
        raise Forbidden(f"the bearer token does not carry the scope {scope}")


def authenticate(config: ServiceConfig, authorization_header: str | None, *, now: float | None = None) -> Caller:
    """The caller an ``Authorization`` header names, or :class:`~vctrade.errors.Unauthorized` (401) saying why not.

    ``now`` (seconds since the epoch; default: the current time) is when the token's times are judged.
    """
    if not authorization_header or not authorization_header.lower().startswith("bearer "):
        raise Unauthorized("this endpoint needs an Authorization: Bearer token")
    token = authorization_header[7:].strip()
    if any(hmac.compare_digest(token.encode(), known.encode()) for known in config.tokens):
        return Caller(None, frozenset(), "token")
    if (config.oauth2 is not None or config.token_endpoint is not None) and token.count(".") == 2:
        try:
            decoded = decode_jws(token)
        except VctradeError:
            raise Unauthorized("the bearer token is not valid") from None
        caller = _access_token_caller(config, decoded, time.time() if now is None else now)
        if isinstance(caller, str):
            raise Unauthorized(f"the bearer token is not valid: {caller}")
        return caller
    raise Unauthorized("the bearer token is not valid")


def scoped(config: ServiceConfig, scope: str, *,
           clock: Callable[[], float] = time.time) -> Callable[[Request], Awaitable[Caller]]:
    """A FastAPI dependency: the request's :class:`Caller`, who must have ``scope`` (401, then 403, otherwise).

    It reads the headers only. FastAPI reads a body it parses into parameters *before* it runs dependencies,
    so a route using this declares no body parameter and reads the body from its ``Request`` itself.
    """
    async def caller_with_scope(request: Request) -> Caller:
        caller = authenticate(config, request.headers.get("authorization"), now=clock())
        require_scope(caller, scope)
        return caller

    return caller_with_scope


def _numeric_date(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _access_token_caller(config: ServiceConfig, decoded: DecodedJws, now: float) -> Caller | str:
    """The caller of a JWT access token, or why it is refused.

    The authority is the one whose issuer the token names; a token naming neither is judged by the
    configured one (the external server first) and refused for its issuer, unless something comes first.
    """
    claims, endpoint, oauth2 = decoded.payload, config.token_endpoint, config.oauth2
    own = endpoint is not None and claims.get("iss") == endpoint.issuer
    if endpoint is not None and (own or oauth2 is None):
        problem = _access_token_problem(decoded, endpoint.issuer, endpoint.audiences, (endpoint.key,),
                                        "the token endpoint's key", now)
    else:
        assert oauth2 is not None
        problem = _access_token_problem(decoded, oauth2["issuer"], (oauth2["audience"],), config.oauth2_keys,
                                        "the authorization server's keys", now)
    if problem is not None:
        return problem
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        return "scope is not a space-separated string"
    scopes = frozenset(scope.split())
    subject = claims.get("sub")
    if not own:
        client = claims.get("client_id", subject)
        return Caller(client if isinstance(client, str) else None, scopes, "oauth2")
    client_config = config.clients.get(subject) if isinstance(subject, str) else None
    if client_config is None or claims.get("client_id") != subject:
        return "it names no configured client"
    return Caller(client_config.id, scopes & client_config.scopes, "client")


def _access_token_problem(decoded: DecodedJws, issuer: str, audiences: tuple[str, ...], keys: tuple[Key, ...],
                          whose: str, now: float) -> str | None:
    """Why an access token (an RFC 9068 JWT) of ``issuer`` is refused, or None when it is accepted."""
    header, claims = decoded.header, decoded.payload
    # The JWS checks a credential gets: allow-listed alg fitting the key, no crit, then jwcrypto verifies.
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        return f"alg {alg!r} is not allowed"
    if "crit" in header:
        return "it marks header parameters critical; none is understood here"
    # RFC 9068 section 4: a resource server rejects any typ but at+jwt, so no other JWT of the issuer
    # (an ID token, a logout token) passes for an access token.
    if media_type(header.get("typ")) != "at+jwt":
        return f"typ is {header.get('typ')!r}, not at+jwt (RFC 9068)"
    if not any(ALGORITHMS[alg] == key.key_type and verify_jws_signature(decoded, key, alg) for key in keys):
        return f"its signature does not verify with {whose}"
    audience = claims.get("aud")
    if claims.get("iss") != issuer:
        return "it is not from the configured issuer"
    if not any(a in audiences for a in (audience if isinstance(audience, list) else [audience])):
        return "it is not meant for this service (aud)"
    skew = DEFAULT_SKEW.total_seconds()
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if not _numeric_date(exp):
        return "exp is missing or not a NumericDate"
    if exp < now - skew:
        return "it has expired"
    if nbf is not None and (not _numeric_date(nbf) or nbf > now + skew):
        return "nbf is not a NumericDate or is in the future"
    if iat is not None and (not _numeric_date(iat) or iat > now + skew):
        return "iat is not a NumericDate or is in the future"
    return None


@functools.cache
def _unknown_client_hash() -> str:
    """What an unknown client's secret is compared with: the answer takes as long as for a known one."""
    return hash_client_secret(b64url_encode(os.urandom(24)))


# -- the token endpoint -----------------------------------------------------------------------------

_MAX_TOKEN_REQUEST_BYTES = 8192
_HASHES_AT_ONCE = 4
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
_CLIENT_FAILED = "client authentication failed"
_PARAMETERS = ("grant_type", "client_id", "client_secret", "audience", "scope")


class _TokenError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="vctrade"'
        return JSONResponse({"error": self.error, "error_description": self.description}, self.status, headers)


def _invalid(description: str) -> _TokenError:
    return _TokenError(400, "invalid_request", description)


async def _token_parameters(request: Request) -> dict[str, str]:
    """The request's parameters (form or JSON body; unknown ones dropped, as RFC 6749 §3.2 says)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_TOKEN_REQUEST_BYTES:
            raise _TokenError(413, "invalid_request", f"the body is over {_MAX_TOKEN_REQUEST_BYTES} bytes")
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("the body is not UTF-8") from None
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=32)
        except ValueError:
            raise _invalid("the body is not a well-formed form") from None
    elif kind == "application/json":
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            raise _invalid("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _invalid("the body must be a JSON object")
        pairs = list(body.items())
    else:
        raise _invalid("the body must be application/x-www-form-urlencoded or application/json")
    parameters: dict[str, str] = {}
    for name, value in pairs:
        if name not in _PARAMETERS:
            continue
        if name in parameters:
            raise _invalid(f"{name} is given more than once")  # RFC 6749 §3.2
        if not isinstance(value, str):
            raise _invalid(f"{name} must be a string")
        parameters[name] = value
    return parameters


def _client_credentials(request: Request, parameters: dict[str, str]) -> tuple[str, str]:
    """(client_id, client_secret) from HTTP Basic or the body — one of them (RFC 6749 §2.3.1)."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in parameters:
            raise _invalid("the client authenticates once: HTTP Basic or client_secret in the body, not both")
        try:
            user, colon, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _invalid("the Basic credentials do not decode") from None
        if not colon:
            raise _invalid("the Basic credentials are not client_id:client_secret")
        client_id, secret = unquote_plus(user), unquote_plus(password)
        if parameters.get("client_id", client_id) != client_id:
            raise _invalid("client_id in the body is not the client of the Basic credentials")
        return client_id, secret
    named, given = parameters.get("client_id"), parameters.get("client_secret")
    if not named or given is None:
        raise _TokenError(401, "invalid_client",
                          "the client did not authenticate (client_id and client_secret, or HTTP Basic)")
    return named, given


class _SecretChecks:
    """Client secrets checked in worker threads, at most a few at once (each scrypt takes ~32 MiB)."""

    def __init__(self) -> None:
        self._limiter: CapacityLimiter | None = None

    async def verify(self, secret: str, secret_hash: str) -> bool:
        """:func:`verify_client_secret` in a worker thread."""
        if self._limiter is None:  # made inside the event loop, which older anyio versions need
            self._limiter = CapacityLimiter(_HASHES_AT_ONCE)
        return await to_thread.run_sync(verify_client_secret, secret, secret_hash, limiter=self._limiter)


def token_router(config: ServiceConfig, *, clock: Callable[[], float] = time.time) -> APIRouter:
    """The client-credentials token endpoint at ``[auth.token_endpoint] path`` (the configuration must have one)."""
    endpoint = config.token_endpoint
    if endpoint is None:
        raise ConfigError("the token endpoint needs [auth.token_endpoint]")
    router = APIRouter()
    secrets = _SecretChecks()

    async def issue_token(parameters: dict[str, str], client_id: str, secret: str) -> dict[str, Any]:
        audience = parameters.get("audience") or endpoint.audience
        if audience not in endpoint.audiences:
            raise _invalid(f"audience {audience!r} is not one this service accepts")
        client = config.clients.get(client_id)
        # An unknown client costs the same scrypt and gets the same words as a wrong secret.
        matches = await secrets.verify(secret, client.secret_hash if client else _unknown_client_hash())
        if client is None or not matches:
            raise _TokenError(401, "invalid_client", _CLIENT_FAILED)
        requested = parameters.get("scope")
        wanted = client.scopes if requested is None else frozenset(s for s in requested.split(" ") if s)
        if not all(SCOPE_TOKEN.fullmatch(s) for s in wanted):
            raise _TokenError(400, "invalid_scope", "scope must be scope names separated by spaces")
        if not wanted <= client.scopes:
            raise _TokenError(400, "invalid_scope",
                              f"client {client.id} may not have: {' '.join(sorted(wanted - client.scopes))}")
        now, scope = int(clock()), " ".join(sorted(wanted))
        claims = {"iss": endpoint.issuer, "sub": client.id, "client_id": client.id, "aud": audience, "scope": scope,
                  "iat": now, "exp": now + endpoint.lifetime_seconds, "jti": str(uuid.uuid4())}
        token = encode_jws({"typ": "at+jwt"}, claims, endpoint.key)
        return {"access_token": token, "token_type": "Bearer", "expires_in": endpoint.lifetime_seconds,
                "scope": scope}

    @router.post(endpoint.path, summary="OAuth2 client-credentials token endpoint (RFC 6749 §4.4)")
    async def token(request: Request) -> JSONResponse:
        """Issue an access token to a configured client (form or JSON body; client secret in it or HTTP Basic)."""
        try:
            parameters = await _token_parameters(request)
            grant = parameters.get("grant_type")
            if not grant:
                raise _invalid("grant_type is missing")
            if grant != "client_credentials":
                raise _TokenError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
            client_id, secret = _client_credentials(request, parameters)
            return JSONResponse(await issue_token(parameters, client_id, secret), headers=_NO_STORE)
        except _TokenError as refused:
            return refused.response()

    return router
