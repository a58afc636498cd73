"""Careful HTTPS GETs of small JSON documents (did:web documents, status lists).

HTTPS only; connect and read timeouts and a deadline for the whole fetch; a
response size cap that compression cannot get around; no redirect to another
origin or to http; host names that resolve to private, loopback, link-local
or otherwise special addresses (IPv4 ones hidden in IPv6 forms included) are
refused unless the caller allows them, and the connection goes to the very
address that was checked. Each refusal is an exception with its own stable ``code``:

    FetchError (OperationalError: could not decide)
    ├── code "not_found"          404 / 410
    ├── code "tls_failure"        certificate or TLS handshake failure
    ├── code "timeout"            connect or read timeout, or the whole fetch over its deadline
    ├── code "http_error"         any other status, connection refused, bad JSON
    FetchRefused (InputError: the URL itself is not acceptable)
    ├── code "too_large"          the body (decompressed) exceeds the cap
    ├── code "redirect_refused"   a redirect to another origin, or to http
    ├── code "blocked_address"    the host resolves to a private/loopback/link-local address
    └── code "insecure_url"       not https://
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from vctrade.errors import FetchError, FetchRefused

if TYPE_CHECKING:  # httpx is imported when a fetch happens, not when vctrade starts
    import httpx

__all__ = ["FetchPolicy", "FetchError", "FetchRefused", "fetch_json", "is_public_address"]


@dataclass(frozen=True)
class FetchPolicy:
    """How careful a fetch is. ``verify`` is passed to httpx (True: system/certifi CAs and SSL_CERT_FILE).

    ``timeout`` bounds the connection and each read, and no read starts once the
    whole fetch (redirects included) has taken longer: a server that drips its
    answer holds the caller for at most about twice ``timeout``.
    """

    allow_private_hosts: bool = False
    timeout: float = 10.0
    max_bytes: int = 1_048_576
    max_redirects: int = 3
    verify: ssl.SSLContext | bool = True


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is a global unicast address, looking through IPv6 forms that carry an IPv4 one.

    ``::ffff:127.0.0.1``, ``64:ff9b::7f00:1`` (NAT64), ``::127.0.0.1`` and
    ``2002:7f00:1::`` (6to4) all lead to 127.0.0.1 on some networks; the
    embedded address is what is judged.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _NAT64 or address in _IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


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
            if not is_public_address(address):
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


def _decoder(encoding: str, url: str) -> Any:
    """A zlib decompressor for the response's Content-Encoding (None for identity).

    The body is read raw and inflated here, a bounded amount at a time, because
    httpx would inflate each network chunk whole: a small gzip bomb must hit the
    size cap, not memory.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    raise FetchError(f"{url} answered with Content-Encoding {encoding!r}, which was not asked for", code="http_error")


def _read_body(response: httpx.Response, url: str, policy: FetchPolicy, deadline: float) -> bytes:
    """The (decompressed) body, refused once it passes ``policy.max_bytes`` or the deadline."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchRefused(f"{url} is {declared} bytes, over the {policy.max_bytes}-byte cap", code="too_large")
    decoder = _decoder(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    for chunk in response.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than {policy.timeout:g} s", code="timeout")
        pending = chunk
        while pending:
            if decoder is None:
                body.extend(pending)
                pending = b""
            else:
                # Never inflate more than one byte past the cap in one step.
                body.extend(decoder.decompress(pending, policy.max_bytes - len(body) + 1))
                pending = decoder.unconsumed_tail
            if len(body) > policy.max_bytes:
                raise FetchRefused(f"{url} is over the {policy.max_bytes}-byte cap", code="too_large")
    if decoder is not None and not decoder.eof:
        raise FetchError(f"{url} sent a truncated compressed body", code="http_error")
    return bytes(body)


def fetch_json(url: str, policy: FetchPolicy | None = None, *, accept: str = "application/json") -> tuple[Any, httpx.Headers]:
    """GET ``url`` and parse its JSON body; returns (document, response headers)."""
    policy = policy or FetchPolicy()
    deadline = time.monotonic() + policy.timeout
    host, port = _parse(url)
    # Resolve once and connect to exactly the address that was checked: a host that answered
    # differently a moment later (DNS rebinding) cannot slip past the check. The Host header and
    # the TLS server name (SNI, certificate check) stay the real host name.
    address = _checked_address(host, port, policy)
    authority = urlsplit(url).netloc.rsplit("@", 1)[-1]
    origin = (host, port)
    headers = {"Accept": accept, "Host": authority, "Accept-Encoding": "gzip, identity"}
    import httpx

    timeout = httpx.Timeout(policy.timeout, connect=policy.timeout)
    current = url
    try:
        with httpx.Client(verify=policy.verify, timeout=timeout, follow_redirects=False) as client:
            for _ in range(policy.max_redirects + 1):
                if time.monotonic() > deadline:
                    raise FetchError(f"{url} took longer than {policy.timeout:g} s", code="timeout")
                with client.stream("GET", _pinned(current, address), headers=headers,
                                   extensions={"sni_hostname": host}) as response:
                    if response.is_redirect:
                        target = urljoin(current, response.headers.get("location", ""))
                        # Same origin only: another host, port or scheme is another party (and was not checked).
                        if not target.startswith("https://") or _parse(target) != origin:
                            raise FetchRefused(f"{current} redirects to {target}: another origin or not https; refused",
                                               code="redirect_refused")
                        current = target
                        continue
                    if response.status_code in (404, 410):
                        raise FetchError(f"{current} answered {response.status_code} (not found)", code="not_found")
                    if response.status_code != 200:
                        raise FetchError(f"{current} answered HTTP {response.status_code}", code="http_error")
                    body = _read_body(response, current, policy, deadline)
                    response_headers = response.headers
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
        return json.loads(body), response_headers
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FetchError(f"{current} did not return JSON: {exc}", code="http_error") from exc
