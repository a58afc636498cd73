"""Where verification gets status list credentials: HTTPS (with a cache), local files, or anything with ``get``.

Whatever cannot be fetched is :class:`~vctrade.errors.StatusUnavailable`, which
the status check turns into an ``error`` (could not decide), never a pass.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from cachetools import LRUCache

from vctrade._http import FetchPolicy, fetch_json
from vctrade._result import VerificationResult
from vctrade.errors import StatusUnavailable, VctradeError
from vctrade.model._json import parse_json_int

__all__ = ["StatusListSource", "StatusFiles", "HttpsStatusSource", "CachingSource", "VerifyList", "default_status_source"]


class StatusListSource(Protocol):
    """Where verification gets status list credentials."""

    def get(self, url: str) -> dict[str, Any]:
        """The status list credential at ``url``; raises :class:`StatusUnavailable` when it cannot."""
        ...


class StatusFiles:
    """Offline mode: status list URLs mapped to local files; any other URL is unavailable."""

    def __init__(self, files: Mapping[str, str | Path], fallback: StatusListSource | None = None) -> None:
        self.files = {url: Path(path) for url, path in files.items()}
        self.fallback = fallback

    def get(self, url: str) -> dict[str, Any]:
        """The credential in the file mapped to ``url`` (or the fallback's)."""
        path = self.files.get(url)
        if path is None:
            if self.fallback is not None:
                return self.fallback.get(url)
            raise StatusUnavailable(f"no status file given for {url} (offline mode)")
        try:
            # A too-long integer is left to the list's structure check, which names its field.
            document = json.loads(path.read_bytes(), parse_int=parse_json_int)
        except (OSError, ValueError, RecursionError) as exc:
            raise StatusUnavailable(f"cannot read status list file {path}: {str(exc)[:200]}") from exc
        if not isinstance(document, dict):
            raise StatusUnavailable(f"status list file {path} does not hold a JSON object")
        return document


class HttpsStatusSource:
    """Status list credentials over HTTPS, with the same hygiene as did:web (see :mod:`vctrade._http`)."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()

    def get(self, url: str) -> dict[str, Any]:
        """Fetch the status list credential at ``url``."""
        try:
            document, _ = fetch_json(url, self.policy, accept="application/vc+ld+json, application/vc, application/json")
        except VctradeError as exc:  # refused or failed: either way the status cannot be known
            raise StatusUnavailable(str(exc), code=exc.code) from exc
        if not isinstance(document, dict):
            raise StatusUnavailable(f"{url} did not return a JSON object")
        return document


VerifyList = Callable[[dict[str, Any]], VerificationResult]


class CachingSource:
    """Caches status list credentials by URL until their ``validUntil`` / ``ttl`` (and at most ``max_age``).

    At most ``max_entries`` lists are kept (the least recently used is forgotten), so
    a long batch or a service that meets many lists runs in bounded memory.
    """

    def __init__(self, inner: StatusListSource, *, max_age: timedelta = timedelta(minutes=5),
                 clock: Callable[[], float] = time.monotonic, max_entries: int = 256) -> None:
        self.inner = inner
        self.max_age = max_age
        self._clock = clock
        # url -> (fresh until, the list credential, its verification verdict once known)
        self._entries: LRUCache[str, tuple[float, dict[str, Any], VerificationResult | None]] = LRUCache(
            maxsize=max_entries)
        self._lock = threading.Lock()

    def get(self, url: str) -> dict[str, Any]:
        """The cached credential while fresh, else a new one from the inner source."""
        with self._lock:
            cached = self._entries.get(url)
            if cached and cached[0] > self._clock():
                return cached[1]
        document = self.inner.get(url)
        lifetime = self.max_age.total_seconds()
        subject = document.get("credentialSubject")
        ttl = subject.get("ttl") if isinstance(subject, dict) else None
        if isinstance(ttl, int) and ttl > 0:
            lifetime = min(lifetime, ttl / 1000)
        with self._lock:
            self._entries[url] = (self._clock() + lifetime, document, None)
        return document

    def verdict(self, url: str, document: dict[str, Any], verify_list: VerifyList) -> VerificationResult:
        """The verification of a cached list, computed once while that list stays cached."""
        with self._lock:
            entry = self._entries.get(url)
        if entry is not None and entry[1] is document and entry[2] is not None:
            return entry[2]
        result = verify_list(document)
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and entry[1] is document:
                self._entries[url] = (entry[0], document, result)
        return result


_default_source: CachingSource | None = None


def default_status_source() -> CachingSource:
    """The process-wide HTTPS source with its cache (shared, so a batch fetches each list once)."""
    global _default_source
    if _default_source is None:
        _default_source = CachingSource(HttpsStatusSource())
    return _default_source
