"""Careful HTTPS GETs of small JSON documents (did:web documents, status lists).

HTTPS only; one wall-clock deadline for the whole fetch (name resolution,
connection, TLS handshake, response headers, body, redirects); a response size
cap that compression cannot get around; no redirect to another origin or to
http; host names that resolve to private, loopback, link-local, site-local or
otherwise special addresses (IPv4 ones hidden in IPv6 forms included) are
refused unless the caller allows them, and the connection goes to the very
address that was checked. Each refusal is an exception with its own stable ``code``:

    FetchError (OperationalError: could not decide)
    ├── code "not_found"          404 / 410
    ├── code "tls_failure"        certificate or TLS handshake failure
    ├── code "timeout"            the fetch did not finish within its deadline
    ├── code "busy"               every fetch slot of the policy is taken (nothing was sent)
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
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from vctrade.errors import FetchError, FetchRefused

if TYPE_CHECKING:  # ssl, httpx and httpcore are imported when a fetch happens, not when vctrade starts
    import ssl

    import httpcore
    import httpx

__all__ = ["FetchPolicy", "FetchSlots", "FetchError", "FetchRefused", "fetch_json", "is_public_address"]


class FetchSlots:
    """At most ``limit`` fetches at once through these slots; one more is refused at once, never queued.

    A service shares one ``FetchSlots`` between all its verifications, so hosts
    that answer slowly can hold at most ``limit`` of its threads (each for at
    most the policy's ``timeout``); the refusal is a :class:`FetchError` with
    code ``busy``.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a fetch needs at least one slot")
        self.limit = limit
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def hold(self, url: str) -> Iterator[None]:
        """Hold one slot while fetching ``url``; FetchError ``busy`` if none is free."""
        if not self._free.acquire(blocking=False):
            raise FetchError(f"{url} was not fetched: {self.limit} fetches are already waiting on the network; "
                             "try again shortly", code="busy")
        try:
            yield
        finally:
            self._free.release()


@dataclass(frozen=True)
class FetchPolicy:
    """How careful a fetch is. ``verify`` is passed to httpx (True: system/certifi CAs and SSL_CERT_FILE).

    ``timeout`` is one wall-clock deadline for the whole fetch, from name
    resolution to the last byte of the body, redirects included: a host that
    drips its answer (headers or body) is cut off at ``timeout`` seconds.
    ``slots``, when given, bounds how many fetches may be under way at once.
    """

    allow_private_hosts: bool = False
    timeout: float = 10.0
    max_bytes: int = 1_048_576
    max_redirects: int = 3
    verify: ssl.SSLContext | bool = True
    slots: FetchSlots | None = None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is a global unicast address, looking through IPv6 forms that carry an IPv4 one.

    ``::ffff:127.0.0.1``, ``64:ff9b::7f00:1`` (NAT64), ``::127.0.0.1`` and
    ``2002:7f00:1::`` (6to4) all lead to 127.0.0.1 on some networks; the
    embedded address is what is judged. IPv6 site-local addresses
    (``fec0::/10``, deprecated but still routed inside some networks) are not public.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _NAT64 or address in _IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if address.is_site_local:  # Python's is_global counts fec0::/10 as global
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def _lookup(host: str, port: int, wait: float) -> list[Any]:
    """``getaddrinfo`` given at most ``wait`` seconds.

    The system resolver takes no timeout, so it runs in a daemon thread that is
    abandoned at the deadline (it ends on its own when the resolver gives up).
    """
    import socket  # imported when something is fetched: start-up of commands that fetch nothing stays short
    from concurrent.futures import Future

    found: Future[list[Any]] = Future()

    def lookup() -> None:
        try:
            found.set_result(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            found.set_exception(exc)

    threading.Thread(target=lookup, name=f"vctrade-dns-{host}", daemon=True).start()
    return found.result(timeout=wait)


def _checked_address(host: str, port: int, policy: FetchPolicy, deadline: float, url: str) -> str:
    """Resolve ``host`` once, refuse special addresses (unless allowed), and return the address to connect to."""
    from concurrent.futures import TimeoutError as FutureTimeout

    try:
        addresses = [ipaddress.ip_address(host)]  # a literal needs no resolver
    except ValueError:
        try:
            infos = _lookup(host, port, deadline - time.monotonic())
        except FutureTimeout:
            raise FetchError(f"{url} took longer than {policy.timeout:g} s (resolving {host})", code="timeout") from None
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise FetchError(f"cannot resolve host {host}: {reason}", code="http_error") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"host {host} has no address", code="http_error")
    if not policy.allow_private_hosts:
        for address in addresses:
            if not is_public_address(address):
                raise FetchRefused(
                    f"{host} resolves to {address}, a private, loopback or link-local address; refused "
                    "(this fetch policy does not allow private hosts)",
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

    The body is read raw and inflated here, a bounded amount at a time, so a
    small gzip bomb hits the size cap, not memory.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    raise FetchError(f"{url} answered with Content-Encoding {encoding!r}, which was not asked for", code="http_error")


def _read_body(chunks: Iterator[bytes], headers: httpx.Headers, url: str, policy: FetchPolicy) -> bytes:
    """The (decompressed) body, refused once it passes ``policy.max_bytes`` (the deadline is the stream's)."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchRefused(f"{url} is {declared} bytes, over the {policy.max_bytes}-byte cap", code="too_large")
    decoder = _decoder(headers.get("content-encoding", ""), url)
    body = bytearray()
    for chunk in chunks:
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


def _deadline_backend(deadline: float) -> httpcore.NetworkBackend:
    """httpcore's blocking sockets, each connect, TLS handshake, read and write given only the time left.

    Every blocking step is bounded by what remains of the one deadline, and none
    starts after it: a host that sends a header line (or a body byte) every half
    second cannot stretch the fetch past the deadline, with no thread to abandon
    and no socket closed under another thread's feet.
    """
    import httpcore

    def left(timeout: float | None, expired: type[Exception]) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise expired("the fetch deadline has passed")
        return remaining if timeout is None else min(timeout, remaining)

    class Stream(httpcore.NetworkStream):
        def __init__(self, inner: httpcore.NetworkStream) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, left(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, left(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._inner.close()

        def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                      timeout: float | None = None) -> httpcore.NetworkStream:
            # The socket's timeout bounds the whole handshake (CPython keeps one deadline across its reads).
            return Stream(self._inner.start_tls(ssl_context, server_hostname, left(timeout, httpcore.ConnectTimeout)))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.SyncBackend()

        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Any = None) -> httpcore.NetworkStream:
            return Stream(self._inner.connect_tcp(host, port, left(timeout, httpcore.ConnectTimeout), local_address,
                                                  socket_options))

    return Backend()


def fetch_json(url: str, policy: FetchPolicy | None = None, *, accept: str = "application/json") -> tuple[Any, httpx.Headers]:
    """GET ``url`` and parse its JSON body; returns (document, response headers)."""
    policy = policy or FetchPolicy()
    host, port = _parse(url)
    with policy.slots.hold(url) if policy.slots is not None else nullcontext():
        deadline = time.monotonic() + policy.timeout
        # Resolve once and connect to exactly the address that was checked: a host that answered
        # differently a moment later (DNS rebinding) cannot slip past the check. The Host header and
        # the TLS server name (SNI, certificate check) stay the real host name.
        address = _checked_address(host, port, policy, deadline, url)
        body, headers, final = _get(url, address, policy, deadline, accept)
    try:
        return json.loads(body), headers
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer over Python's digit limit
        raise FetchError(f"{final} did not return JSON: {exc}", code="http_error") from exc
    except RecursionError:
        raise FetchError(f"{final} returned JSON nested too deeply", code="http_error") from None


def _get(url: str, address: str, policy: FetchPolicy, deadline: float, accept: str) -> tuple[bytes, httpx.Headers, str]:
    """The body, headers and final URL of a GET of ``url`` at ``address``, following same-origin redirects."""
    import httpcore
    import httpx

    host, port = _parse(url)
    authority = urlsplit(url).netloc.rsplit("@", 1)[-1]
    headers = [(b"Accept", accept.encode("latin-1")), (b"Host", authority.encode("idna")),
               (b"Accept-Encoding", b"gzip, identity"), (b"User-Agent", b"vctrade")]
    current = url
    try:
        ssl_context = httpx.create_ssl_context(verify=policy.verify)
        with httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_deadline_backend(deadline)) as pool:
            for _ in range(policy.max_redirects + 1):
                with pool.stream("GET", _pinned(current, address), headers=headers,
                                 extensions={"sni_hostname": host}) as response:
                    response_headers = httpx.Headers(response.headers)
                    if response.status in (301, 302, 303, 307, 308) and "location" in response_headers:
                        target = urljoin(current, response_headers["location"])
                        # Same origin only: another host, port or scheme is another party (and was not checked).
                        if not target.startswith("https://") or _parse(target) != (host, port):
                            raise FetchRefused(f"{current} redirects to {target}: another origin or not https; refused",
                                               code="redirect_refused")
                        current = target
                        continue
                    if response.status in (404, 410):
                        raise FetchError(f"{current} answered {response.status} (not found)", code="not_found")
                    if response.status != 200:
                        raise FetchError(f"{current} answered HTTP {response.status}", code="http_error")
                    return _read_body(response.iter_stream(), response_headers, current, policy), response_headers, current
            raise FetchRefused(f"{url}: more than {policy.max_redirects} redirects", code="redirect_refused")
    except httpcore.TimeoutException as exc:
        raise FetchError(f"{current} took longer than {policy.timeout:g} s", code="timeout") from exc
    except httpcore.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper() or "TLS" in text.upper():
            raise FetchError(f"TLS failure talking to {host}: {text}", code="tls_failure") from exc
        raise FetchError(f"cannot connect to {host}:{port}: {text}", code="http_error") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise FetchError(f"fetching {current} failed: {exc}", code="http_error") from exc
