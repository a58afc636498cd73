"""The status check: one check per ``credentialStatus`` entry — the list fetched, verified, in range, the bit clear.

Reads Bitstring Status List entries, and StatusList2021 and RevocationList2020 entries for older issuers (the
trade pilots used them).
An entry of ``statusSize`` > 1 is read as a value of that many bits (at index ×
statusSize, most significant bit first) and reported with its message from the
entry's ``statusMessage``. A "message" purpose conveys information: its check
passes, naming the value and its message (acting on it is the verifier's policy);
revocation and suspension fail when their value is not 0.
A list is believed only for the URL it was fetched for (its ``id`` is that
URL: whoever serves one list of an issuer could otherwise serve another of the
same issuer, and un-revoke a credential) and only once it is valid (a list
dated in the future is not yet the issuer's word).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vctrade._result import ERROR, FAILED, PASSED, Check, Status
from vctrade.errors import EncodingError, InputError, InvalidDocument, OperationalError
from vctrade.model._credentials import issuer_id, parse_datetime, types_of
from vctrade.status._bitstring import MIN_ENTRIES, Bitstring, status_hex
from vctrade.status._sources import CachingSource, StatusListSource, VerifyList

__all__ = ["check_status"]

_INDEX = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "²", and int() reads "١٢" as 12
_STATUS = re.compile(r"0x[0-9a-fA-F]{1,8}")
# A statusSize of n needs 2 ** n messages in the credential: beyond 16 (65,536 of them) no credential is believable.
_MAX_STATUS_SIZE = 16


@dataclass(frozen=True)
class _Entry:
    purpose: str
    index: int
    list_url: str
    legacy: bool  # StatusList2021Entry or RevocationList2020Status: bare base64url lists, 1 bit per entry
    status_size: int = 1
    messages: dict[int, str] | None = None  # value -> message, from statusMessage
    reference: tuple[str, ...] = ()
    list_type: str = "BitstringStatusListCredential"  # the type the list credential must have


def _parse_messages(raw: Any, status_size: int) -> dict[int, str]:
    """``statusMessage``: an array of exactly 2 ** statusSize {status: "0x…", message}, each value once."""
    wanted = 1 << status_size
    if not isinstance(raw, list) or len(raw) != wanted:
        count = len(raw) if isinstance(raw, list) else "not an array"
        raise InvalidDocument(f"statusMessage must be an array of {wanted} entries, one per value of "
                              f"statusSize {status_size} ({count})")
    messages: dict[int, str] = {}
    for item in raw:
        status = item.get("status") if isinstance(item, dict) else None
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(status, str) or not _STATUS.fullmatch(status) or not isinstance(message, str):
            raise InvalidDocument('each statusMessage entry needs "status" (0x and hex digits) and "message" strings')
        value = int(status[2:], 16)
        if value >= wanted:
            raise InvalidDocument(f"statusMessage status {status} does not fit in statusSize {status_size}")
        if value in messages:
            raise InvalidDocument(f"statusMessage gives status {status_hex(value)} twice")
        messages[value] = message
    return messages


def _parse_reference(raw: Any) -> tuple[str, ...]:
    references = raw if isinstance(raw, list) else [raw]
    if not references or not all(isinstance(r, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", r) for r in references):
        raise InvalidDocument("statusReference must be a URL or an array of URLs")
    return tuple(references)


def _shown(value: Any) -> str:
    """A value as JSON, cut short: the number 0 reads 0 and the string "0" reads "0"."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:39] + "…"


_ENTRY_TYPES = ("BitstringStatusListEntry", "StatusList2021Entry", "RevocationList2020Status")


def _parse_entry(entry: Any) -> _Entry:
    if not isinstance(entry, dict):
        raise InvalidDocument("a credentialStatus entry must be an object")
    declared = entry.get("type")
    kinds = declared if isinstance(declared, list) else [declared]
    # an entry may carry several types (VCDM 2.0 §4.5): the first one vctrade knows how to check decides
    kind = next((k for k in kinds if k in _ENTRY_TYPES), declared)
    if kind == "RevocationList2020Status":
        return _parse_revocation_list_2020(entry)
    if kind not in ("BitstringStatusListEntry", "StatusList2021Entry"):
        raise InvalidDocument(f"credentialStatus type {kind!r} is not supported")
    purpose, url, raw_index = entry.get("statusPurpose"), entry.get("statusListCredential"), entry.get("statusListIndex")
    if not isinstance(purpose, str) or not isinstance(url, str) or not url:
        raise InvalidDocument("credentialStatus needs statusPurpose and statusListCredential strings")
    if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index):
        raise InvalidDocument(f"statusListIndex must be a string of at most 12 digits 0-9, got {_shown(raw_index)}")
    legacy = kind == "StatusList2021Entry"
    size = entry.get("statusSize", 1)
    if type(size) is not int or size < 1:  # bool is an int to Python, not to JSON
        raise InvalidDocument(f"statusSize must be an integer greater than zero, got {str(size)[:40]!r}")
    if legacy and size != 1:
        raise InvalidDocument("a StatusList2021Entry has no statusSize other than 1")
    if size > _MAX_STATUS_SIZE:
        raise InvalidDocument(f"statusSize {size} is above {_MAX_STATUS_SIZE}, more values than any credential lists")
    messages = None
    if "statusMessage" in entry and not legacy:
        messages = _parse_messages(entry["statusMessage"], size)
    elif size > 1:
        raise InvalidDocument(f"statusSize {size} needs statusMessage (a message for each of its {1 << size} values)")
    reference = _parse_reference(entry["statusReference"]) if "statusReference" in entry and not legacy else ()
    return _Entry(purpose, int(raw_index), url, legacy, size, messages, reference,
                  "StatusList2021Credential" if legacy else "BitstringStatusListCredential")


def _parse_revocation_list_2020(entry: dict[str, Any]) -> _Entry:
    """A RevocationList2020Status: revocation only, its index and list under their own names."""
    url, raw_index = entry.get("revocationListCredential"), entry.get("revocationListIndex")
    if not isinstance(url, str) or not url:
        raise InvalidDocument("a RevocationList2020Status needs a revocationListCredential string")
    if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index):
        raise InvalidDocument(f"revocationListIndex must be a string of at most 12 digits 0-9, got {_shown(raw_index)}")
    return _Entry("revocation", int(raw_index), url, True, list_type="RevocationList2020Credential")


def _list_problem(status_list: dict[str, Any], entry: _Entry, issuer: str | None, now: datetime,
                  skew: timedelta) -> tuple[Status, str, str] | None:
    """(status, code, message) when the list cannot be used for this entry, else None.

    What makes the list wrong (failed) is reported before what makes it untimely (error).
    """
    wanted = entry.list_type
    if wanted not in types_of(status_list):
        return FAILED, "status_list_unusable", f"{entry.list_url} is not a {wanted}"
    if issuer_id(status_list) != issuer:
        return FAILED, "status_list_unusable", \
            f"the status list is issued by {issuer_id(status_list)}, not by the credential's issuer {issuer}"
    if status_list.get("id") != entry.list_url:
        return FAILED, "status_list_not_bound", \
            f"the list served for {entry.list_url} is the list {str(status_list.get('id'))[:200]!r}, not that one"
    subject = status_list.get("credentialSubject")
    purposes = subject.get("statusPurpose") if isinstance(subject, dict) else None
    # A RevocationList2020 has no statusPurpose: it is a revocation list by its type.
    if wanted != "RevocationList2020Credential" and entry.purpose not in (purposes if isinstance(purposes, list) else [purposes]):
        return FAILED, "status_list_unusable", f"the status list is for {purposes!r}, not {entry.purpose!r}"
    # v1.0 moved statusSize and the messages to the entry (its context defines them only there), but a list that
    # still states them must agree with the entry: otherwise one of the two reads other bits than the issuer set.
    if isinstance(subject, dict) and "statusSize" in subject and subject["statusSize"] != entry.status_size:
        return FAILED, "status_size_mismatch", \
            f"the credential's entry has statusSize {entry.status_size}, its status list {str(subject['statusSize'])[:20]}"
    listed = subject.get("statusMessages", subject.get("statusMessage")) if isinstance(subject, dict) else None
    if listed is not None and entry.messages is not None:
        try:
            agree = _parse_messages(listed, entry.status_size) == entry.messages
        except InvalidDocument:
            agree = False
        if not agree:
            return FAILED, "status_message_mismatch", "the status list's messages are not the ones in the credential's entry"
    try:
        # validFrom (VCDM 2.0) or issuanceDate (VC 1.1, as StatusList2021 lists are): whichever the list has.
        for name in ("validFrom", "issuanceDate"):
            if name in status_list and parse_datetime(status_list[name]) > now + skew:
                return ERROR, "status_list_not_yet_valid", \
                    f"the status list is valid only from {status_list[name]}; the status now cannot be known"
        until = status_list.get("validUntil") or status_list.get("expirationDate")
        if until is not None and parse_datetime(until) < now:
            return ERROR, "status_list_unusable", f"the status list expired at {until}; a fresh one could not be had"
    except InvalidDocument as exc:
        return FAILED, "status_list_unusable", f"the status list's validity: {exc}"
    return None


def check_status(
    credential: dict[str, Any],
    *,
    source: StatusListSource,
    verify_list: VerifyList,
    now: datetime,
    skew: timedelta = timedelta(0),
) -> list[Check]:
    """One check per ``credentialStatus`` entry: fetched, trusted, bound to its URL, valid now (``skew`` tolerated
    for a list dated in the future), in range, and the bit clear."""
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
        problem = _list_problem(status_list, entry, issuer, now, skew)
        if problem is not None:
            checks.append(Check(name, *problem))
            continue
        try:
            bits = Bitstring.decode(status_list["credentialSubject"].get("encodedList"), multibase=not entry.legacy)
        except EncodingError as exc:
            checks.append(Check(name, FAILED, "invalid_status_list", f"the status list's encodedList: {exc}"))
            continue
        entries = bits.entries(entry.status_size)
        if entries < MIN_ENTRIES:
            size = f" of {entry.status_size} bits" if entry.status_size > 1 else ""
            checks.append(Check(name, FAILED, "status_list_too_short",
                                f"the status list has {entries} entries{size}, fewer than {MIN_ENTRIES}"))
            continue
        if entry.index >= entries:
            checks.append(Check(name, FAILED, "status_index_out_of_range", f"statusListIndex {entry.index} is outside the list (0..{entries - 1})"))
            continue
        as_of = status_list.get("validFrom") or status_list.get("issuanceDate") or "its publication"
        checks.append(_verdict(name, entry, bits.value(entry.index, entry.status_size), as_of))
    return checks


def _verdict(name: str, entry: _Entry, value: int, as_of: str) -> Check:
    """The check for the value read: revocation and suspension fail when it is not 0; a message is reported.

    Without statusMessage (statusSize 1) the spec's messages are "unset" (0) and "set" (1).
    """
    message = (entry.messages or {0: "unset", 1: "set"}).get(value)
    if message is None:  # unreachable for a parsed entry (one message per value); kept as a fail-closed guard
        return Check(name, FAILED, "status_message_missing", f"status {status_hex(value)} has no message in the credential")
    source = f"status list {entry.list_url} as of {as_of}"
    see = f"; see {', '.join(entry.reference)}" if entry.reference else ""
    if entry.purpose == "message" or (entry.messages is not None and entry.purpose not in ("revocation", "suspension")):
        if message == "undefined":  # the spec's word for a value the issuer has not defined (yet): cannot be read
            return Check(name, FAILED, "undefined_status",
                         f"the status is {status_hex(value)}, which the credential lists as undefined ({source})")
        return Check(name, PASSED, "status_message", f"{status_hex(value)} {message!r} ({source}{see})")
    past = {"revocation": "revoked", "suspension": "suspended"}.get(entry.purpose)
    if value:
        verb = past or f"flagged ({entry.purpose})"
        detail = f" with status {status_hex(value)} {message!r}" if entry.messages is not None else ""
        return Check(name, FAILED, verb, f"the credential is {verb}{detail} ({source}{see})")
    return Check(name, PASSED, f"not_{entry.purpose}", f"not {past or entry.purpose} (status list as of {as_of})")
