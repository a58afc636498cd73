"""The service configuration: issuers, keys, tokens, limits — read from TOML, checked before serving.

The configuration (TOML)::

    [server]
    host = "127.0.0.1"
    port = 8080
    max_body_bytes = 1048576
    registry = "registry.sqlite"       # optional: status entries for issued credentials
    status_site = "site"               # where published status lists are written and served from
    policy = "policy.toml"             # optional: applied to every verification
    allow_private_hosts = false
    fetch_timeout_seconds = 10         # one deadline for each did:web or status-list fetch, start to end
    max_pending_verifications = 16     # verifications waiting on the network at once; one more: 503, Retry-After
    header_timeout_seconds = 5         # a connection that has not sent a request's headers by then is closed
    workers = 1                        # worker processes serving the port (`vctrade serve --workers` overrides)

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

With several workers each one has the [server] limits (max_pending_verifications,
its verification threads) and caches of its own; they share the socket, the
registry (SQLite: status indexes are allocated under its write lock) and the
status site.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vctrade._http import FetchPolicy
from vctrade._keys import Key
from vctrade.errors import ConfigError, VctradeError
from vctrade.trust import TrustPolicy

__all__ = ["IssuerConfig", "ServiceConfig"]


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
    max_pending_verifications: int = 16
    header_timeout_seconds: float = 5.0
    workers: int = 1

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
        # A misspelt limit would silently be its default: refuse what is not known.
        unknown = set(server) - _SERVER_KEYS
        if unknown:
            raise ConfigError(f"unknown [server] setting(s): {', '.join(sorted(unknown))}")
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
            port=int(_number(server, "port", 8080, integer=True)),
            max_body_bytes=int(_number(server, "max_body_bytes", 1_048_576, integer=True)),
            registry_path=base / server["registry"] if server.get("registry") else None,
            status_site=base / server["status_site"] if server.get("status_site") else None,
            policy=policy,
            fetch=FetchPolicy(allow_private_hosts=bool(server.get("allow_private_hosts", False)),
                              timeout=_number(server, "fetch_timeout_seconds", 10.0)),
            max_pending_verifications=int(_number(server, "max_pending_verifications", 16, integer=True)),
            header_timeout_seconds=_number(server, "header_timeout_seconds", 5.0),
            workers=int(_number(server, "workers", 1, integer=True)),
        )


_SERVER_KEYS = {"host", "port", "max_body_bytes", "registry", "status_site", "policy", "allow_private_hosts",
                "fetch_timeout_seconds", "max_pending_verifications", "header_timeout_seconds", "workers"}


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
