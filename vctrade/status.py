"""Bitstring Status List v1.0 (and StatusList2021, read only): lists, entries and the status check.

A status list is a bitstring of at least 131,072 entries, GZIP-compressed and
multibase-base64url encoded, carried in a status list credential signed by
the issuer. Index 0 is the most significant bit of the first byte.

Verification gets status list credentials from a :class:`StatusListSource`
(an HTTPS fetcher, local files for offline use, or anything with ``get``);
whatever cannot be fetched or trusted is an ``error`` check — could not
decide — and never a pass.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ._encoding import b64url_decode, b64url_encode, multibase_decode
from ._http import FetchPolicy, fetch_json
from .credentials import VC_V2_CONTEXT, format_datetime, issuer_id, parse_datetime, types_of
from .errors import EncodingError, InputError, InvalidDocument, OperationalError, VctradeError
from .result import ERROR, FAILED, PASSED, Check, Status, VerificationResult

__all__ = [
    "MIN_ENTRIES",
    "Bitstring",
    "StatusListSource",
    "StatusFiles",
    "CachingSource",
    "StatusUnavailable",
    "HttpsStatusSource",
    "default_status_source",
    "status_entry",
    "status_list_credential",
    "check_status",
]

MIN_ENTRIES = 131_072  # the spec's minimum: herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # a decoded list larger than this is refused (gzip bombs)
PURPOSES = ("revocation", "suspension")


class StatusUnavailable(OperationalError):
    """A status list could not be obtained (network, missing file, bad response)."""

    code = "status_unavailable"


class Bitstring:
    """A mutable bitstring; index 0 is the left-most (most significant) bit of byte 0."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int = MIN_ENTRIES, data: bytes | None = None) -> None:
        if data is None:
            if size % 8:
                raise ValueError("a bitstring's size must be a multiple of 8")
            data = bytes(size // 8)
        self._bytes = bytearray(data)

    def __len__(self) -> int:
        return len(self._bytes) * 8

    def __getitem__(self, index: int) -> bool:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is outside the list (0..{len(self) - 1})")
        return bool(self._bytes[index // 8] & (0x80 >> (index % 8)))

    def __setitem__(self, index: int, value: bool) -> None:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} is outside the list (0..{len(self) - 1})")
        mask = 0x80 >> (index % 8)
        if value:
            self._bytes[index // 8] |= mask
        else:
            self._bytes[index // 8] &= ~mask & 0xFF

    def encode(self) -> str:
        """GZIP (mtime 0) + multibase base64url, byte-identical to the spec's examples."""
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 31)  # 31: gzip framing
        return "u" + b64url_encode(compressor.compress(bytes(self._bytes)) + compressor.flush())

    @classmethod
    def decode(cls, encoded: Any, *, multibase: bool = True) -> Bitstring:
        """Decode an ``encodedList`` (multibase for Bitstring Status List, bare base64url for 2021)."""
        if not isinstance(encoded, str) or not encoded:
            raise EncodingError("encodedList must be a non-empty string")
        compressed = multibase_decode(encoded) if multibase else b64url_decode(encoded)
        decompressor = zlib.decompressobj(47)  # 47: auto-detect gzip/zlib framing
        try:
            data = decompressor.decompress(compressed, MAX_DECODED_BYTES)
        except zlib.error as exc:
            raise EncodingError(f"encodedList is not GZIP data: {exc}") from exc
        if decompressor.unconsumed_tail:
            raise EncodingError(f"encodedList expands beyond {MAX_DECODED_BYTES} bytes; refused")
        return cls(data=data)


def status_entry(list_url: str, index: int, purpose: str) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` for ``index`` in the list at ``list_url``."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: str,
    purpose: str,
    bits: Bitstring,
    *,
    valid_from: datetime,
    valid_until: datetime,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` with ``validUntil`` and ``ttl`` set."""
    ttl_ms = int((valid_until - valid_from).total_seconds() * 1000)
    return {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "validUntil": format_datetime(valid_until),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": bits.encode(),
            "ttl": ttl_ms,
        },
    }


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
            document = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StatusUnavailable(f"cannot read status list file {path}: {exc}") from exc
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
    """Caches status list credentials by URL until their ``validUntil`` / ``ttl`` (and at most ``max_age``)."""

    def __init__(self, inner: StatusListSource, *, max_age: timedelta = timedelta(minutes=5),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.max_age = max_age
        self._clock = clock
        # url -> (fresh until, the list credential, its verification verdict once known)
        self._entries: dict[str, tuple[float, dict[str, Any], VerificationResult | None]] = {}
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


@dataclass(frozen=True)
class _Entry:
    purpose: str
    index: int
    list_url: str
    legacy: bool  # StatusList2021Entry


def _parse_entry(entry: Any) -> _Entry:
    if not isinstance(entry, dict):
        raise InvalidDocument("a credentialStatus entry must be an object")
    kind = entry.get("type")
    if kind not in ("BitstringStatusListEntry", "StatusList2021Entry"):
        raise InvalidDocument(f"credentialStatus type {kind!r} is not supported")
    purpose, url, raw_index = entry.get("statusPurpose"), entry.get("statusListCredential"), entry.get("statusListIndex")
    if not isinstance(purpose, str) or not isinstance(url, str) or not url:
        raise InvalidDocument("credentialStatus needs statusPurpose and statusListCredential strings")
    if not isinstance(raw_index, str) or not raw_index.isdigit() or len(raw_index) > 12:
        raise InvalidDocument(f"statusListIndex must be a string of digits, got {raw_index!r}")
    if entry.get("statusSize", 1) != 1:
        raise InvalidDocument("statusSize other than 1 (status messages) is not supported")
    return _Entry(purpose, int(raw_index), url, kind == "StatusList2021Entry")


_default_source: CachingSource | None = None


def default_status_source() -> CachingSource:
    """The process-wide HTTPS source with its cache (shared, so a batch fetches each list once)."""
    global _default_source
    if _default_source is None:
        _default_source = CachingSource(HttpsStatusSource())
    return _default_source




def _list_problem(status_list: dict[str, Any], entry: _Entry, issuer: str | None, now: datetime) -> tuple[Status, str] | None:
    """(status, message) when the list cannot be used for this entry, else None."""
    wanted = "StatusList2021Credential" if entry.legacy else "BitstringStatusListCredential"
    if wanted not in types_of(status_list):
        return FAILED, f"{entry.list_url} is not a {wanted}"
    if issuer_id(status_list) != issuer:
        return FAILED, f"the status list is issued by {issuer_id(status_list)}, not by the credential's issuer {issuer}"
    until = status_list.get("validUntil") or status_list.get("expirationDate")
    if until is not None:
        try:
            if parse_datetime(until) < now:
                return ERROR, f"the status list expired at {until}; a fresh one could not be had"
        except InvalidDocument as exc:
            return FAILED, f"the status list's validity: {exc}"
    subject = status_list.get("credentialSubject")
    purposes = subject.get("statusPurpose") if isinstance(subject, dict) else None
    if entry.purpose not in (purposes if isinstance(purposes, list) else [purposes]):
        return FAILED, f"the status list is for {purposes!r}, not {entry.purpose!r}"
    return None


def check_status(
    credential: dict[str, Any],
    *,
    source: StatusListSource,
    verify_list: VerifyList,
    now: datetime,
) -> list[Check]:
    """One check per ``credentialStatus`` entry: fetched, trusted, in range, and the bit clear."""
    entries = credential.get("credentialStatus")
    issuer = issuer_id(credential)
    checks: list[Check] = []
    seen: set[str] = set()
    for position, raw in enumerate(entries if isinstance(entries, list) else [entries]):
        try:
            entry = _parse_entry(raw)
        except InputError as exc:
            checks.append(Check(f"status[{position}]", FAILED, "invalid_status_entry", str(exc)))
            continue
        name = f"status.{entry.purpose}"
        if name in seen:
            name = f"{name}[{position}]"
        seen.add(name)
        try:
            status_list = source.get(entry.list_url)
        except OperationalError as exc:
            checks.append(Check(name, ERROR, exc.code, f"cannot get the status list {entry.list_url}: {exc}"))
            continue
        # A cached list is verified once while cached, not once per credential that points to it.
        result = source.verdict(entry.list_url, status_list, verify_list) if isinstance(source, CachingSource) \
            else verify_list(status_list)
        # The list's own validity period is judged below: an expired list means "cannot decide", not "revoked".
        failures = [c for c in result.all_checks() if c.status != PASSED and c.name != "validity-period"]
        if failures:
            status = FAILED if any(c.status == FAILED for c in failures) else ERROR
            reasons = "; ".join(f"{c.name}: {c.message}" for c in failures)
            checks.append(Check(name, status, "status_list_unverified", f"the status list {entry.list_url} does not verify: {reasons}"))
            continue
        problem = _list_problem(status_list, entry, issuer, now)
        if problem is not None:
            checks.append(Check(name, problem[0], "status_list_unusable", problem[1]))
            continue
        try:
            bits = Bitstring.decode(status_list["credentialSubject"].get("encodedList"), multibase=not entry.legacy)
        except EncodingError as exc:
            checks.append(Check(name, FAILED, "invalid_status_list", f"the status list's encodedList: {exc}"))
            continue
        if len(bits) < MIN_ENTRIES:
            checks.append(Check(name, FAILED, "status_list_too_short", f"the status list has {len(bits)} entries, fewer than {MIN_ENTRIES}"))
            continue
        if entry.index >= len(bits):
            checks.append(Check(name, FAILED, "status_index_out_of_range", f"statusListIndex {entry.index} is outside the list (0..{len(bits) - 1})"))
            continue
        as_of = status_list.get("validFrom") or status_list.get("issuanceDate") or "its publication"
        if bits[entry.index]:
            verb = "revoked" if entry.purpose == "revocation" else "suspended" if entry.purpose == "suspension" else f"flagged ({entry.purpose})"
            checks.append(Check(name, FAILED, verb, f"the credential is {verb} (status list {entry.list_url} as of {as_of})"))
        else:
            checks.append(Check(name, PASSED, f"not_{entry.purpose}", f"not {entry.purpose.replace('revocation', 'revoked').replace('suspension', 'suspended')} (status list as of {as_of})"))
    return checks

