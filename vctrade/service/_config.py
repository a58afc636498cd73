"""The service configuration: issuers, keys, tokens, limits — read from TOML, checked before serving.

The configuration (TOML)::

    [server]
    host = "127.0.0.1"
    port = 8080
    max_body_bytes = 1048576
    registry = "registry.sqlite"       # optional: status entries for issued credentials (an SQLite file, or
                                       # "postgresql://user@host/db" shared by replicas: vctrade[postgres])
    status_site = "site"               # where published status lists are written and served from
    policy = "policy.toml"             # optional: applied to every verification
    allow_private_hosts = false
    fetch_timeout_seconds = 10         # one deadline for each did:web or status-list fetch, start to end
    max_pending_verifications = 16     # verifications waiting on the network at once; one more: 503, Retry-After
    header_timeout_seconds = 5         # a connection that has not sent a request's headers by then is closed
    workers = 1                        # worker processes serving the port (`vctrade serve --workers` overrides)
    tls_cert = "cert.pem"              # optional, with tls_key: serve HTTPS (PEM certificate chain, unencrypted key)
    tls_key = "key.pem"

    [auth]
    tokens = ["env:VCTRADE_API_TOKEN"] # literal tokens, or env:NAME: every scope

    [auth.oauth2]                      # optional: access tokens of an external authorization server
    issuer = "https://auth.example"
    audience = "vctrade"
    jwks = "auth-jwks.json"

    [auth.token_endpoint]              # optional: the service's own OAuth2 client-credentials token endpoint
    path = "/oauth/token"              # the default
    key = "keys/token-signer.jwk"      # Ed25519 or P-256: signs the access tokens, and verifies them
    issuer = "https://127.0.0.1:8443"  # their iss (default: http(s)://host:port of [server])
    audience = "vctrade"               # their aud when a request names none
    audiences = ["vctrade"]            # the audiences a request may name (default: [audience])
    lifetime_seconds = 300             # the default; at most a day

    [[auth.client]]                    # a client of the token endpoint (one table each)
    id = "verifier-org"
    secret_hash = "scrypt:v1:..."      # never the secret: `vctrade hash-secret` prints this
    scopes = ["resolve:dids", "verify:credentials"]

    [traceability]                     # optional: the traceability-interop API profile
    base_path = "/traceability"        # the default: where the profile's routes are
    issuer = "org"                     # the [[issuer]] that signs as the organisation (it needs a did:web)
    did = "did:web:127.0.0.1%3A8443:traceability"  # the organisation's DID (default: the issuer's), whose
                                       # document is at {base_path}/did.json
    challenge_ttl_seconds = 300        # the default; at most a day
    store = "traceability.sqlite"      # the default: challenges and received submissions

    [[issuer]]
    name = "eddsa-rdfc-2022"           # /issuers/{name}/credentials/issue, or options.issuer
    key = "keys/issuer.jwk"            # or a key in an HSM: "pkcs11:token=CBP;object=cbp-2026" (VCTRADE_PKCS11_*)
    suite = "eddsa-rdfc-2022"          # or format = "jose" / "sd-jwt"
    did = "did:web:issuer.example"     # optional: sign as this did:web (the service serves its document)
    default = true

With several workers each one has the [server] limits (max_pending_verifications,
its verification threads) and caches of its own; they share the socket, the
registry (SQLite: status indexes are allocated under its write lock) and the
status site. Replicas on several machines share a PostgreSQL registry
(``registry = "postgresql://…"``: the database's constraints, row and advisory
locks keep indexes unique and publishing serialized) and one status site folder.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vctrade._http import FetchPolicy
from vctrade._keys import Key
from vctrade.errors import ConfigError, VctradeError
from vctrade.service._secrets import SCOPE_TOKEN, check_secret_hash
from vctrade.trust import TrustPolicy

__all__ = ["ClientConfig", "IssuerConfig", "ServiceConfig", "TokenEndpointConfig", "TraceabilityConfig"]


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


@dataclass(frozen=True)
class TokenEndpointConfig:
    """The service's own OAuth2 client-credentials token endpoint (``[auth.token_endpoint]``)."""

    path: str
    key: Key
    issuer: str
    audience: str
    audiences: tuple[str, ...]
    lifetime_seconds: int


@dataclass(frozen=True)
class ClientConfig:
    """A client of the token endpoint (``[[auth.client]]``): its id, its hashed secret, the scopes it may have."""

    id: str
    secret_hash: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class TraceabilityConfig:
    """The traceability-interop profile (``[traceability]``): where it is served and who the organisation is."""

    base_path: str
    issuer: str
    did: str
    challenge_ttl_seconds: int
    store: Path


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
    registry_path: Path | str | None = None  # an SQLite file, or a postgresql:// URL
    status_site: Path | None = None
    policy: TrustPolicy | None = None
    fetch: FetchPolicy = field(default_factory=FetchPolicy)
    max_pending_verifications: int = 16
    header_timeout_seconds: float = 5.0
    workers: int = 1
    tls_cert: Path | None = None
    tls_key: Path | None = None
    token_endpoint: TokenEndpointConfig | None = None
    clients: dict[str, ClientConfig] = field(default_factory=dict)
    traceability: TraceabilityConfig | None = None

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
        unknown = set(data) - {"server", "auth", "issuer", "traceability"}
        if unknown:
            raise ConfigError(f"unknown configuration section(s): {', '.join(sorted(unknown))}")
        server, auth = _table(data, "server"), _table(data, "auth")
        # A misspelt limit (or a misspelt [auth] section) would silently be its default: refuse what is not known.
        _known(server, _SERVER_KEYS, "[server]")
        _known(auth, {"tokens", "oauth2", "token_endpoint", "client"}, "[auth]")
        issuers: dict[str, IssuerConfig] = {}
        default = None
        for entry in data.get("issuer", []):
            try:
                name, key_file = entry["name"], _key_source(base, entry["key"])
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
        host, port = str(server.get("host", "127.0.0.1")), int(_number(server, "port", 8080, integer=True))
        tls = _tls(server, base)
        endpoint = _token_endpoint(auth, base, f"{'https' if tls else 'http'}://{_bracketed(host)}:{port}")
        clients = _clients(auth, endpoint)
        if endpoint is not None and oauth2 is not None and endpoint.issuer == oauth2["issuer"]:
            raise ConfigError("[auth.token_endpoint] issuer must differ from [auth.oauth2] issuer: "
                              "each authority's tokens are checked with its own keys")
        return cls(
            issuers=issuers,
            default_issuer=default or (next(iter(issuers)) if len(issuers) == 1 else None),
            tokens=tokens,
            oauth2=oauth2,
            oauth2_keys=keys,
            host=host,
            port=port,
            max_body_bytes=int(_number(server, "max_body_bytes", 1_048_576, integer=True)),
            registry_path=_registry_location(server.get("registry"), base),
            status_site=base / server["status_site"] if server.get("status_site") else None,
            policy=policy,
            fetch=FetchPolicy(allow_private_hosts=bool(server.get("allow_private_hosts", False)),
                              timeout=_number(server, "fetch_timeout_seconds", 10.0)),
            max_pending_verifications=int(_number(server, "max_pending_verifications", 16, integer=True)),
            header_timeout_seconds=_number(server, "header_timeout_seconds", 5.0),
            workers=int(_number(server, "workers", 1, integer=True)),
            tls_cert=tls[0] if tls else None,
            tls_key=tls[1] if tls else None,
            token_endpoint=endpoint,
            clients=clients,
            traceability=_traceability(data, base, issuers),
        )


def _registry_location(value: Any, base: Path) -> Path | str | None:
    """``[server] registry``: a postgresql:// URL as it is, a file relative to the configuration's folder."""
    if not value:
        return None
    if not isinstance(value, str):
        raise ConfigError("[server] registry must be a file name or a postgresql:// URL")
    from vctrade.status._registry import is_database_url

    return value if is_database_url(value) else base / value


_SERVER_KEYS = {"host", "port", "max_body_bytes", "registry", "status_site", "policy", "allow_private_hosts",
                "fetch_timeout_seconds", "max_pending_verifications", "header_timeout_seconds", "workers",
                "tls_cert", "tls_key"}
_TOKEN_ENDPOINT_KEYS = {"path", "key", "issuer", "audience", "audiences", "lifetime_seconds"}
_CLIENT_KEYS = {"id", "secret_hash", "scopes"}
_TRACEABILITY_KEYS = {"base_path", "issuer", "did", "challenge_ttl_seconds", "store"}
_TOKEN_KEY_TYPES = ("Ed25519", "P-256")
_A_DAY = 86_400
# A URL path of one or more segments of unreserved characters (RFC 3986), no trailing slash.
_URL_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")
# The first path segments of the W3C VC API routes at the root: the profile's base path stays clear of them.
_ROOT_SEGMENTS = {"credentials", "presentations", "issuers", "status", ".well-known", "openapi.json"}


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _known(table: dict[str, Any], keys: set[str], where: str) -> None:
    unknown = set(table) - keys
    if unknown:
        raise ConfigError(f"unknown {where} setting(s): {', '.join(sorted(unknown))}")


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _string(table: dict[str, Any], name: str, where: str, default: str | None = None) -> str:
    value = table.get(name, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} {name} must be a non-empty string")
    return value


def _tls(server: dict[str, Any], base: Path) -> tuple[Path, Path] | None:
    """[server] tls_cert and tls_key (both or neither), checked by loading them as a TLS server would."""
    if "tls_cert" not in server and "tls_key" not in server:
        return None
    cert, key = base / _string(server, "tls_cert", "[server]"), base / _string(server, "tls_key", "[server]")
    try:
        # A password callback that gives none: an encrypted key is refused instead of prompting on the terminal.
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key, password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"[server] tls_cert and tls_key cannot serve TLS: {exc}") from None
    return cert, key


def _key_source(base: Path, value: Any) -> str | Path:
    """A key file relative to the configuration's folder, or a key URI as written (``pkcs11:token=…;object=…``)."""
    from vctrade._keybackend import is_key_uri

    return str(value) if is_key_uri(value) else base / value


def _token_endpoint(auth: dict[str, Any], base: Path, origin: str) -> TokenEndpointConfig | None:
    """[auth.token_endpoint]; its issuer defaults to ``origin`` (the scheme, host and port [server] serves)."""
    table = auth.get("token_endpoint")
    if table is None:
        return None
    where = "[auth.token_endpoint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    _known(table, _TOKEN_ENDPOINT_KEYS, where)
    path = _string(table, "path", where, "/oauth/token")
    if not _URL_PATH.fullmatch(path) or path.split("/")[1] in _ROOT_SEGMENTS:
        raise ConfigError(f"{where} path must be a URL path like /oauth/token, clear of the VC API's routes")
    try:
        key = Key.load(_key_source(base, _string(table, "key", where)), os.environ.get("VCTRADE_KEY_PASSPHRASE"))
    except VctradeError as exc:
        raise ConfigError(f"{where} key: {exc}") from None
    if not key.has_private or key.key_type not in _TOKEN_KEY_TYPES:
        raise ConfigError(f"{where} key must be a private {' or '.join(_TOKEN_KEY_TYPES)} key")
    audiences = table.get("audiences", [table["audience"]] if "audience" in table else None)
    if not isinstance(audiences, list) or not audiences or not all(isinstance(a, str) and a for a in audiences):
        raise ConfigError(f"{where} needs audience (or audiences, a list of non-empty strings)")
    audience = _string(table, "audience", where, audiences[0])
    if audience not in audiences:
        raise ConfigError(f"{where} audience {audience!r} must be one of audiences")
    lifetime = table.get("lifetime_seconds", 300)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not 0 < lifetime <= _A_DAY:
        raise ConfigError(f"{where} lifetime_seconds must be a whole number of seconds from 1 to {_A_DAY}")
    return TokenEndpointConfig(path, key, _string(table, "issuer", where, origin), audience, tuple(audiences), lifetime)


def _clients(auth: dict[str, Any], endpoint: TokenEndpointConfig | None) -> dict[str, ClientConfig]:
    """The [[auth.client]] tables, by id; they need the token endpoint."""
    tables = auth.get("client", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError("[[auth.client]] must be tables")
    if tables and endpoint is None:
        raise ConfigError("[[auth.client]] needs [auth.token_endpoint] (the endpoint its tokens come from)")
    clients: dict[str, ClientConfig] = {}
    for table in tables:
        _known(table, _CLIENT_KEYS, "[[auth.client]]")
        client_id = _string(table, "id", "[[auth.client]]")
        if not all(" " <= c <= "~" for c in client_id):  # RFC 6749 client_id: visible ASCII and space
            raise ConfigError(f"[[auth.client]] id {client_id!r} must be printable ASCII")
        if client_id in clients:
            raise ConfigError(f"[[auth.client]] id {client_id!r} is configured twice")
        check_secret_hash(table.get("secret_hash"))
        scopes = table.get("scopes")
        if not isinstance(scopes, list) or not scopes \
                or not all(isinstance(s, str) and SCOPE_TOKEN.fullmatch(s) for s in scopes):
            raise ConfigError(f"[[auth.client]] {client_id}: scopes must be a non-empty list of scope names "
                              "(no spaces, quotes or backslashes)")
        clients[client_id] = ClientConfig(client_id, table["secret_hash"], frozenset(scopes))
    return clients


def _traceability(data: dict[str, Any], base: Path, issuers: dict[str, IssuerConfig]) -> TraceabilityConfig | None:
    """[traceability]: the profile's base path, the organisation's issuer and did:web, the challenge TTL, the store."""
    if "traceability" not in data:
        return None
    table, where = _table(data, "traceability"), "[traceability]"
    _known(table, _TRACEABILITY_KEYS, where)
    base_path = _string(table, "base_path", where, "/traceability")
    if not _URL_PATH.fullmatch(base_path) or base_path.split("/")[1] in _ROOT_SEGMENTS:
        raise ConfigError(f"{where} base_path must be a URL path like /traceability, clear of the VC API's routes")
    name = _string(table, "issuer", where)
    issuer = issuers.get(name)
    if issuer is None or not (issuer.did or "").startswith("did:web:"):
        raise ConfigError(f"{where} issuer must name an [[issuer]] with a did:web (did = \"did:web:…\")")
    did = _string(table, "did", where, issuer.did)
    if did != issuer.did:
        raise ConfigError(f"{where} did must be the did of issuer {name!r} ({issuer.did}): the organisation signs "
                          "with that issuer's key")
    from vctrade.did import document_path

    try:
        path = document_path(did)
    except VctradeError as exc:
        raise ConfigError(f"{where} did: {exc}") from None
    if f"/{path}" != f"{base_path}/did.json":
        raise ConfigError(f"{where} did {did} has its document at /{path}, but the profile serves it at "
                          f"{base_path}/did.json: the did's path must be the base path")
    ttl = table.get("challenge_ttl_seconds", 300)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= _A_DAY:
        raise ConfigError(f"{where} challenge_ttl_seconds must be a whole number of seconds from 1 to {_A_DAY}")
    return TraceabilityConfig(base_path, name, did, ttl, base / _string(table, "store", where, "traceability.sqlite"))


def _number(server: dict[str, Any], name: str, default: float, *, integer: bool = False) -> float:
    """A positive number from [server] (a whole one if ``integer``), or ``default`` when absent."""
    value = server.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)) \
            or not 0 < value < float("inf"):
        raise ConfigError(f"[server] {name} must be a positive {'whole ' if integer else ''}number, not {value!r}")
    return value


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError("[auth] tokens must be non-empty strings")
    if value.startswith("env:"):
        secret = os.environ.get(value[4:], "")
        if not secret:
            raise ConfigError(f"[auth] token {value}: the environment variable is not set")
        return secret
    return value
