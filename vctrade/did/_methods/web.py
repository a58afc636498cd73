"""did:web: DIDs hosted as ``did.json`` on the controller's own HTTPS site (W3C CCG did:web).

``did:web:cbp.example`` → ``https://cbp.example/.well-known/did.json``;
``did:web:trade.example%3A8443:customs:aeo`` → ``https://trade.example:8443/customs/aeo/did.json``.

Resolution goes through :func:`vctrade._http.fetch_json` (HTTPS only, timeouts,
a size cap, same-origin redirects only, private addresses refused unless
allowed), then checks that the document's ``id`` is the DID and that each
signing verification method is well formed: a key of a kind vctrade reads must
decode; a kind it does not read (RSA, BLS, PGP…) is left alone, since real
documents list such keys beside Ed25519 or P-256 ones, and a proof made with
one fails as unsupported. Resolved documents are cached for a TTL (shortened
by ``Cache-Control: max-age``; ``no-store`` is honoured).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from cachetools import LRUCache

from vctrade._files import write_public
from vctrade._http import FetchError, FetchPolicy, FetchRefused, fetch_json
from vctrade._keys import Key
from vctrade.did._document import (
    VERIFICATION_RELATIONSHIPS,
    DIDDocument,
    key_from_verification_method,
    split_did_url,
)
from vctrade.did._resolver import register_method
from vctrade.errors import (
    DIDNotFound,
    InvalidDID,
    ResolutionError,
    UnsupportedError,
    VctradeError,
)

__all__ = ["WebMethod", "did_to_url", "did_web", "document_path", "create_did_web_document", "write_did_document"]

_HOST = re.compile(r"^[A-Za-z0-9.-]+(%3A[0-9]{1,5})?$")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~%-]+$")
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def _parts(did: str) -> tuple[str, list[str]]:
    if not did.startswith("did:web:") or "#" in did or "?" in did:
        raise InvalidDID(f"not a did:web DID: {did[:80]!r}")
    host, *path = did[len("did:web:"):].split(":")
    if not _HOST.match(host) or ".." in host or host.startswith((".", "-")):
        raise InvalidDID(f"did:web host is not a domain name (a port is written %3A): {did[:80]!r}")
    for segment in path:
        # Judge the decoded segment: it is what a web server (and document_path) turns into a file path,
        # so %2E%2E, %2F and %5C must not make a dot segment or a separator there.
        decoded = unquote(segment)
        if (not _SEGMENT.match(segment) or decoded in ("", ".", "..") or "/" in decoded or "\\" in decoded
                or any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded)):
            raise InvalidDID(f"did:web path segment {segment!r} is not valid (decoded: no empty or dot segment, "
                             f"no / or \\, no control character): {did[:80]!r}")
    return host, path


def did_to_url(did: str) -> str:
    """The HTTPS URL of a did:web DID's document."""
    host, path = _parts(did)
    origin = "https://" + unquote(host)
    return f"{origin}/{'/'.join(path)}/did.json" if path else f"{origin}/.well-known/did.json"


def document_path(did: str) -> str:
    """Where the document goes under a site folder: ``.well-known/did.json`` or ``<path>/did.json``."""
    _, path = _parts(did)
    return "/".join(unquote(p) for p in path) + "/did.json" if path else ".well-known/did.json"


def did_web(domain: str, path: str | Sequence[str] | None = None) -> str:
    """The did:web for ``domain`` (``host`` or ``host:port``) and an optional path (``a:b`` or ``a/b``)."""
    host, _, port = domain.partition(":")
    if port and not port.isdigit():
        raise InvalidDID(f"port must be a number: {domain!r}")
    segments = path.replace("/", ":").split(":") if isinstance(path, str) else list(path or [])
    did = "did:web:" + host.lower() + (f"%3A{port}" if port else "")
    if segments and any(segments):
        did += ":" + ":".join(quote(s, safe="") for s in segments if s)
    _parts(did)
    return did


def create_did_web_document(did: str, keys: Sequence[Key], fragments: Sequence[str] | None = None, *,
                            previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DID document for ``did`` listing ``keys`` (Multikey) for signing.

    Each key's method id is ``did#fragment`` with, unless ``fragments`` names
    them: the fragment ``previous`` (an earlier document of ``did``) gave that key,
    else the key's own ``publicKeyMultibase`` (``z6Mk…``, as in did:key). So a key
    keeps its DID URL whatever the order or the other keys, and a fragment never
    moves to another key. That is how a rotation works: credentials signed with
    an older key keep verifying while it is listed, and fail as "not listed" once
    it is removed — never as a signature that does not match.
    """
    _parts(did)
    if not keys:
        raise InvalidDID("a did:web document needs at least one key")
    if fragments is not None:
        names = list(fragments)
    else:
        kept = _fragments_of(did, previous) if previous is not None else {}
        names = [kept.get(key) or key.public_multibase for key in keys]
    if len(names) != len(keys) or len(set(names)) != len(names):
        raise InvalidDID("one distinct fragment per key is needed")
    methods = [
        {"id": f"{did}#{name}", "type": "Multikey", "controller": did, "publicKeyMultibase": key.public_multibase}
        for name, key in zip(names, keys)
    ]
    references = [method["id"] for method in methods]
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "authentication": references,
        "assertionMethod": references,
        "capabilityInvocation": references,
        "capabilityDelegation": references,
    }


def _fragments_of(did: str, previous: dict[str, Any]) -> dict[Key, str]:
    """The fragment each key has in ``previous``, an earlier document of ``did``."""
    if not isinstance(previous, dict) or previous.get("id") != did:
        found = previous.get("id") if isinstance(previous, dict) else None
        raise InvalidDID(f"the earlier document is that of {found!r}, not of {did}", code="id_mismatch")
    document = DIDDocument(previous)
    entries: list[Any] = list(previous.get("verificationMethod") or [])
    for relationship in VERIFICATION_RELATIONSHIPS:
        entries.extend(e for e in previous.get(relationship) or [] if isinstance(e, dict))
    kept: dict[Key, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        base, fragment = split_did_url(document.absolute(entry["id"]))
        if base != did or fragment is None:
            continue
        try:
            key = key_from_verification_method(entry)
        except UnsupportedError:
            continue  # a kind of key vctrade does not read is none of the keys being listed
        except VctradeError as exc:
            raise InvalidDID(f"verification method {entry['id']} of the earlier document: {exc}",
                             code="invalid_did_document") from exc
        kept.setdefault(key, fragment)
    return kept


def write_did_document(site: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Write ``document`` where its did:web is served from under the ``site`` folder; return the file.

    Atomic, mode 0644 and new folders 0755: the document is public, and the
    web server serving the site may run as another user.
    """
    did = document.get("id")
    if not isinstance(did, str):
        raise InvalidDID("a DID document needs a string id")
    target = Path(site) / document_path(did)
    write_public(target, json.dumps(document, indent=2) + "\n")
    return target


def _max_age(cache_control: str | None) -> float | None:
    """Seconds from Cache-Control (0 for no-store/no-cache), or None if it says nothing."""
    if not cache_control:
        return None
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    for directive in directives:
        if directive.startswith("max-age="):
            value = directive.split("=", 1)[1]
            return float(value) if value.isascii() and value.isdigit() else None
    return None


def _validated(did: str, data: Any) -> DIDDocument:
    if not isinstance(data, dict):
        raise InvalidDID(f"the document of {did} is not a JSON object", code="invalid_did_document")
    if data.get("id") != did:
        raise InvalidDID(f"the document served for {did} has id {data.get('id')!r}", code="id_mismatch")
    document = DIDDocument(data)
    entries = list(data.get("verificationMethod") or [])
    for relationship in VERIFICATION_RELATIONSHIPS:
        entries.extend(e for e in data.get(relationship) or [] if isinstance(e, dict))
    signing = {
        document.absolute(ref.get("id") if isinstance(ref, dict) else ref)
        for relationship in VERIFICATION_RELATIONSHIPS if relationship != "keyAgreement"
        for ref in data.get(relationship) or [] if isinstance(ref, (str, dict))
    }
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise InvalidDID(f"the document of {did} has a verification method without an id", code="invalid_did_document")
        if document.absolute(entry["id"]) not in signing:
            continue  # key-agreement (encryption) keys are not for signatures: not decoded here
        try:
            key_from_verification_method(entry)
        except UnsupportedError:
            continue  # a kind of key vctrade does not read: see the module docstring
        except VctradeError as exc:
            raise InvalidDID(f"verification method {entry['id']} of {did}: {exc}", code="invalid_did_document") from exc
    return document


class WebMethod:
    """The did:web method: careful HTTPS fetches and an in-memory TTL cache of at most ``max_entries`` DIDs."""

    name = "web"

    def __init__(self, policy: FetchPolicy | None = None, *, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 1024) -> None:
        self.policy = policy or FetchPolicy()
        self.ttl = ttl
        self._clock = clock
        # bounded: a long batch or service meets any number of issuers; the least recently used is forgotten
        self._cache: LRUCache[str, tuple[float, DIDDocument]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def resolve(self, did: str) -> DIDDocument:
        """The DID document of ``did``, from the cache while fresh."""
        url = did_to_url(did)
        with self._lock:
            cached = self._cache.get(did)
            if cached and cached[0] > self._clock():
                return cached[1]
        try:
            data, headers = fetch_json(url, self.policy, accept="application/did+json, application/did+ld+json, application/json")
        except FetchError as exc:
            if exc.code == "not_found":
                # The authoritative host says the DID has no document: it does not exist (or was
                # deactivated). That is an answer, not an outage, so the credential fails.
                raise DIDNotFound(f"{did} does not exist: {exc}") from exc
            raise ResolutionError(f"cannot resolve {did}: {exc}", code=exc.code) from exc
        except FetchRefused as exc:
            raise InvalidDID(f"refused to resolve {did}: {exc}", code=exc.code) from exc
        document = _validated(did, data)
        lifetime = self.ttl
        max_age = _max_age(headers.get("cache-control"))
        if max_age is not None:
            lifetime = min(lifetime, max_age)
        if lifetime > 0:
            with self._lock:
                self._cache[did] = (self._clock() + lifetime, document)
        return document


register_method(WebMethod())
