"""Careful HTTPS GETs of small JSON documents (did:web documents, status lists).

HTTPS only; connect and read timeouts; a response size cap; no redirect to
another host or to http; host names that resolve to private, loopback,
link-local or otherwise special addresses are refused unless the caller
allows them, and the connection goes to the very address that was checked. Each refusal is an exception with its own stable ``code``:

    FetchError (OperationalError: could not decide)
    ├── code "not_found"          404 / 410
    ├── code "tls_failure"        certificate or TLS handshake failure
    ├── code "timeout"            connect or read timeout
    ├── code "http_error"         any other status, connection refused, bad JSON
    FetchRefused (InputError: the URL itself is not acceptable)
    ├── code "too_large"          the body exceeds the cap
    ├── code "redirect_refused"   a redirect to another host, or to http
    ├── code "blocked_address"    the host resolves to a private/loopback/link-local address
    └── code "insecure_url"       not https://
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import InputError, OperationalError

__all__ = ["FetchPolicy", "FetchError", "FetchRefused", "fetch_json"]


class FetchError(OperationalError):
    """The document could not be fetched now (network, TLS, timeout, HTTP status)."""

    code = "fetch_failed"


class FetchRefused(InputError):
    """vctrade refuses to fetch this document (bad scheme, blocked address, redirect, size)."""

    code = "fetch_refused"


@dataclass(frozen=True)
class FetchPolicy:
    """How careful a fetch is. ``verify`` is passed to httpx (True: system/certifi CAs and SSL_CERT_FILE)."""

    allow_private_hosts: bool = False
    timeout: float = 10.0
    max_bytes: int = 1_048_576
    max_redirects: int = 3
    verify: ssl.SSLContext | bool = True


def _checked_address(host: str, port: int, policy: FetchPolicy) -> str:
    """Resolve ``host`` once, refuse special addresses (unless allowed), and return the address to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host}: {exc.strerror}", code="http_error") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"host {host} has no address", code="http_error")
    if not policy.allow_private_hosts:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise FetchRefused(
                    f"{host} resolves to {address}, a private, loopback or link-local address; refused "
                    "(allow it explicitly with --allow-private-hosts)",
                    code="blocked_address",
                )
    return str(addresses[0])


def _pinned(url: str, address: str) -> str:
    """``url`` with its host replaced by the checked address (TLS still verifies the host name, via SNI)."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def _parse(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchRefused(f"only https:// URLs are fetched, not {url!r}", code="insecure_url")
    return parts.hostname, parts.port or 443


def fetch_json(url: str, policy: FetchPolicy | None = None, *, accept: str = "application/json") -> tuple[Any, httpx.Headers]:
    """GET ``url`` and parse its JSON body; returns (document, response headers)."""
    policy = policy or FetchPolicy()
    host, port = _parse(url)
    # Resolve once and connect to exactly the address that was checked: a host that answered
    # differently a moment later (DNS rebinding) cannot slip past the check. The Host header and
    # the TLS server name (SNI, certificate check) stay the real host name.
    address = _checked_address(host, port, policy)
    authority = urlsplit(url).netloc.rsplit("@", 1)[-1]
    timeout = httpx.Timeout(policy.timeout, connect=policy.timeout)
    current = url
    try:
        with httpx.Client(verify=policy.verify, timeout=timeout, follow_redirects=False) as client:
            for _ in range(policy.max_redirects + 1):
                with client.stream("GET", _pinned(current, address), headers={"Accept": accept, "Host": authority},
                                   extensions={"sni_hostname": host}) as response:
                    if response.is_redirect:
                        target = urljoin(current, response.headers.get("location", ""))
                        target_host, _ = _parse(target) if target.startswith("https://") else (None, 0)
                        if target_host != host:
                            raise FetchRefused(f"{current} redirects to {target}: another host or not https; refused",
                                               code="redirect_refused")
                        current = target
                        continue
                    if response.status_code in (404, 410):
                        raise FetchError(f"{current} answered {response.status_code} (not found)", code="not_found")
                    if response.status_code != 200:
                        raise FetchError(f"{current} answered HTTP {response.status_code}", code="http_error")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                        raise FetchRefused(f"{current} is {declared} bytes, over the {policy.max_bytes}-byte cap",
                                           code="too_large")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > policy.max_bytes:
                            raise FetchRefused(f"{current} is over the {policy.max_bytes}-byte cap", code="too_large")
                    headers = response.headers
                    break
            else:
                raise FetchRefused(f"{url}: more than {policy.max_redirects} redirects", code="redirect_refused")
    except httpx.TimeoutException as exc:
        raise FetchError(f"{current} timed out after {policy.timeout:g} s", code="timeout") from exc
    except httpx.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper() or "TLS" in text.upper():
            raise FetchError(f"TLS failure talking to {host}: {text}", code="tls_failure") from exc
        raise FetchError(f"cannot connect to {host}:{port}: {text}", code="http_error") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"fetching {current} failed: {exc}", code="http_error") from exc
    try:
        return json.loads(bytes(body)), headers
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FetchError(f"{current} did not return JSON: {exc}", code="http_error") from exc
