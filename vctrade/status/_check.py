"""The status check: one check per ``credentialStatus`` entry — the list fetched, verified, in range, the bit clear.

Reads Bitstring Status List entries, and StatusList2021 entries for older issuers.
A list is believed only for the URL it was fetched for (its ``id`` is that
URL: whoever serves one list of an issuer could otherwise serve another of the
same issuer, and un-revoke a credential) and only once it is valid (a list
dated in the future is not yet the issuer's word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vctrade._result import ERROR, FAILED, PASSED, Check, Status
from vctrade.errors import EncodingError, InputError, InvalidDocument, OperationalError
from vctrade.model._credentials import issuer_id, parse_datetime, types_of
from vctrade.status._bitstring import MIN_ENTRIES, Bitstring
from vctrade.status._sources import CachingSource, StatusListSource, VerifyList

__all__ = ["check_status"]

_INDEX = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "²", and int() reads "١٢" as 12


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
    if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index):
        raise InvalidDocument(f"statusListIndex must be a string of at most 12 digits 0-9, got {str(raw_index)[:40]!r}")
    if entry.get("statusSize", 1) != 1:
        raise InvalidDocument("statusSize other than 1 (status messages) is not supported")
    return _Entry(purpose, int(raw_index), url, kind == "StatusList2021Entry")


def _list_problem(status_list: dict[str, Any], entry: _Entry, issuer: str | None, now: datetime,
                  skew: timedelta) -> tuple[Status, str, str] | None:
    """(status, code, message) when the list cannot be used for this entry, else None.

    What makes the list wrong (failed) is reported before what makes it untimely (error).
    """
    wanted = "StatusList2021Credential" if entry.legacy else "BitstringStatusListCredential"
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
    if entry.purpose not in (purposes if isinstance(purposes, list) else [purposes]):
        return FAILED, "status_list_unusable", f"the status list is for {purposes!r}, not {entry.purpose!r}"
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
