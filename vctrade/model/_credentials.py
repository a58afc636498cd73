"""The VC data model (2.0 and 1.1): version detection, structure rules and dates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from vctrade.errors import InvalidDocument, SigningError
from vctrade.model._json import json_problem

__all__ = [
    "VC_V2_CONTEXT",
    "VC_V1_CONTEXT",
    "data_model_version",
    "parse_datetime",
    "format_datetime",
    "structure_problems",
    "validity_problem",
    "issuer_id",
    "holder_id",
    "with_signer",
    "types_of",
    "credential_schema_problems",
    "related_resources",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"

# Matched with fullmatch: "$" would also match before a trailing newline. ASCII digits only (\d takes "٢").
_DATETIME = re.compile(
    r"(?P<date>-?[0-9]{4,}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?P<frac>\.[0-9]+)?(?P<tz>Z|z|[+-][0-9]{2}:[0-9]{2})"
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


def parse_datetime(value: Any) -> datetime:
    """Parse an XML Schema dateTimeStamp (a timezone is required) into an aware UTC datetime."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidDocument(f"not a date-time with a timezone (e.g. 2026-01-31T12:00:00Z): {str(value)[:40]!r}")
    frac = (match["frac"] or "")[:7]  # Python keeps microseconds: at most 6 digits after the dot
    tz = "+00:00" if match["tz"] in ("Z", "z") else match["tz"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}{frac}{tz}").astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:  # OverflowError: in UTC it falls before year 1 or after 9999
        raise InvalidDocument(f"not a valid date-time: {value!r} ({exc})") from exc


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (whole seconds, UTC)."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def types_of(document: dict[str, Any]) -> list[str]:
    """The document's ``type`` values that are strings."""
    return [t for t in _as_list(document.get("type")) if isinstance(t, str)]


def data_model_version(document: dict[str, Any]) -> str | None:
    """``"2.0"`` or ``"1.1"`` from the first ``@context`` entry, or None if it is neither."""
    first = _as_list(document.get("@context"))[0] if document.get("@context") else None
    return {VC_V2_CONTEXT: "2.0", VC_V1_CONTEXT: "1.1"}.get(first) if isinstance(first, str) else None


def issuer_id(document: dict[str, Any]) -> str | None:
    """The issuer's identifier: the ``issuer`` string or its ``id``."""
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def holder_id(document: dict[str, Any]) -> str | None:
    """The holder's identifier: the ``holder`` string or its ``id``."""
    holder = document.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_URL.fullmatch(value))


def _has_type(entry: Any) -> bool:
    kinds = entry.get("type") if isinstance(entry, dict) else None
    if isinstance(kinds, list):
        return bool(kinds) and all(isinstance(k, str) and k for k in kinds)
    return isinstance(kinds, str) and bool(kinds)


# VCDM 2.0 §5.4 (refreshService), §5.5 (termsOfUse), §5.6 (evidence): each value MUST specify its type
# (VC 1.1 §5.4-5.6 says the same). An id is optional for all three ("MAY specify its instance id").
_TYPED_PROPERTIES = ("refreshService", "termsOfUse", "evidence")


def _typed_property_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for name in _TYPED_PROPERTIES:
        if name not in document:
            continue
        value = document[name]
        entries = _as_list(value)
        if not entries or not all(isinstance(e, dict) for e in entries):
            problems.append(f"{name} must be an object or a non-empty list of objects")
        elif not all(_has_type(e) for e in entries):
            problems.append(f"each {name} entry must specify its type")
        elif any("id" in e and not _is_url(e["id"]) for e in entries):
            problems.append(f"a {name} entry's id must be a URL")
    return problems


def credential_schema_problems(document: dict[str, Any]) -> list[str]:
    """VCDM 2.0 §4.11: each ``credentialSchema`` MUST specify its type and an id that is a URL.

    Each problem starts with the field it names (``credentialSchema`` or ``credentialSchema[n]``).
    """
    if "credentialSchema" not in document:
        return []
    declared = document["credentialSchema"]
    entries = declared if isinstance(declared, list) else [declared]
    problems = []
    for n, entry in enumerate(entries):
        field = f"credentialSchema[{n}]" if isinstance(declared, list) else "credentialSchema"
        if not isinstance(entry, dict) or not _is_url(entry.get("id")) or not isinstance(entry.get("type"), str):
            problems.append(f"{field} must be an object with an id (a URL) and a type (a string)")
    return problems


def related_resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``relatedResource`` entries (objects) of a document (none when it has none)."""
    return [e for e in _as_list(document.get("relatedResource", [])) if isinstance(e, dict)]


def _related_resource_problems(document: dict[str, Any]) -> list[str]:
    """VCDM 2.0 §5.3: one or more objects, each with a URL id unique among them and a digestSRI or digestMultibase."""
    if "relatedResource" not in document:
        return []
    entries = _as_list(document["relatedResource"])
    if not entries or not all(isinstance(e, dict) for e in entries):
        return ["relatedResource must be an object or a non-empty list of objects (not URLs)"]
    problems = []
    seen: set[str] = set()
    for n, entry in enumerate(entries):
        field = f"relatedResource[{n}]"
        resource = entry.get("id")
        if not _is_url(resource):
            problems.append(f"{field} needs an id that is a URL")
        elif resource in seen:
            problems.append(f"{field}: the id {resource[:200]!r} appears more than once")
        else:
            seen.add(resource)
        digests = [k for k in ("digestSRI", "digestMultibase") if k in entry]
        if not digests:
            problems.append(f"{field} must have a digestSRI or a digestMultibase")
        elif not all(isinstance(entry[k], str) and entry[k] for k in digests):
            problems.append(f"{field}: digestSRI and digestMultibase must be non-empty strings")
        if "mediaType" in entry and not isinstance(entry["mediaType"], str):
            problems.append(f"{field}: mediaType must be a string")
    return problems


def structure_problems(document: Any, *, kind: str = "VerifiableCredential") -> list[str]:
    """Every data-model rule ``document`` breaks (empty when well formed)."""
    if not isinstance(document, dict):
        return ["the document must be a JSON object"]
    # First, and alone: the rules below, and every stage after them, may walk the document.
    malformed = json_problem(document)
    if malformed:
        return [malformed]
    problems: list[str] = []
    contexts = document.get("@context")
    version = data_model_version(document)
    if contexts is None:
        problems.append("@context is missing")
    elif version is None:
        problems.append(f"the first @context must be {VC_V2_CONTEXT} (VC 2.0) or {VC_V1_CONTEXT} (VC 1.1)")
    elif not all(isinstance(c, (str, dict)) for c in _as_list(contexts)):
        problems.append("@context entries must be URLs or objects")
    if kind not in types_of(document):
        problems.append(f"type must include {kind}")
    if "id" in document and not _is_url(document["id"]):
        problems.append("id must be a URL")
    if kind == "VerifiableCredential":
        issuer = document.get("issuer")
        if "issuer" not in document:
            problems.append("issuer is missing")
        elif issuer is None:
            problems.append("issuer must be a URL or an object whose id is a URL, not null")
        elif not _is_url(issuer_id(document)):
            problems.append("issuer must be a URL or an object whose id is a URL")
        subject = document.get("credentialSubject")
        subjects = _as_list(subject)
        if subject is None or not subjects or not all(isinstance(s, dict) and s for s in subjects):
            problems.append("credentialSubject must be a non-empty object or list of objects")
        date_fields = ("validFrom", "validUntil") if version == "2.0" else ("issuanceDate", "expirationDate")
        if version == "1.1" and "issuanceDate" not in document:
            problems.append("issuanceDate is required in a VC 1.1 credential")
        for name in date_fields:
            if name in document:
                try:
                    parse_datetime(document[name])
                except InvalidDocument as exc:
                    problems.append(f"{name}: {exc}")
        for status in _as_list(document.get("credentialStatus", [])):
            if not _has_type(status):  # one or more types, as for any object with a type
                problems.append("credentialStatus entries must be objects with a type")
    problems.extend(_typed_property_problems(document))
    problems.extend(_related_resource_problems(document))
    return problems


def validity_problem(document: dict[str, Any], now: datetime, skew: timedelta) -> str | None:
    """Why the credential is not valid at ``now`` (with ``skew`` tolerance), or None if it is."""
    version = data_model_version(document)
    start_name, end_name = ("validFrom", "validUntil") if version == "2.0" else ("issuanceDate", "expirationDate")
    if start_name in document:
        start = parse_datetime(document[start_name])
        if now + skew < start:
            return f"not valid yet: {start_name} is {format_datetime(start)}"
    if end_name in document:
        end = parse_datetime(document[end_name])
        if now - skew > end:
            return f"expired: {end_name} was {format_datetime(end)}"
    if start_name in document and end_name in document:
        if parse_datetime(document[end_name]) < parse_datetime(document[start_name]):
            return f"{end_name} is before {start_name}"
    return None


def with_signer(document: dict[str, Any], signer: str, *, kind: str = "VerifiableCredential") -> dict[str, Any]:
    """A shallow copy of ``document`` whose issuer (holder, for a presentation) is ``signer``.

    A document that names no issuer gets the signer's DID; one that names
    another is refused (:class:`~vctrade.errors.SigningError`): a key signs
    only as the DID it belongs to.
    """
    role = "issuer" if kind == "VerifiableCredential" else "holder"
    named = issuer_id(document) if role == "issuer" else holder_id(document)
    if role not in document:
        return {**document, role: signer}
    if document[role] is None:
        # Only an absent issuer (holder) is the signer's: null is a value, and VCDM 2.0 §4.7 says it must be a URL.
        raise InvalidDocument(f"{role} is null; it must be a URL or an object whose id is a URL "
                              f"(remove '{role}' to sign as this key)")
    if named != signer:
        shown = named or document[role]
        raise SigningError(
            f"the {'credential' if role == 'issuer' else 'presentation'} names {role} {shown!r}, but the key "
            f"belongs to {signer}; remove '{role}' to sign as this key, or sign with the {role}'s key"
        )
    return dict(document)
