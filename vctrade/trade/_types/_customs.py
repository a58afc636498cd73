"""What the customs documents of a shipment share: how a request becomes the credential, numbered lines, the rule
that keeps them so, summary wording."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

from vctrade.errors import InvalidDocument
from vctrade.trade._build import finish_credential, typed, with_address
from vctrade.trade._registry import SHIPMENT_CONTEXT, TRADE_CONTEXT

__all__ = ["STEEL_CHAPTERS", "request_fields", "build_shipment_credential", "number_lines", "line_number_problems",
           "subject_of", "objects_of", "party_name", "quantities", "total", "money", "number", "finite_number"]

# Iron and steel: the HTS chapters a SIMA licence covers and whose entry lines need one.
STEEL_CHAPTERS = ("72", "73")
# What a request may hold besides its document's mapping: the credential's own fields.
_CREDENTIAL_FIELDS = ("id", "issuerName", "validFrom", "validUntil")


def request_fields(request_key: str) -> tuple[str, ...]:
    """The top-level fields of a request for a shipment document: the credential's own and the document's mapping."""
    return (*_CREDENTIAL_FIELDS, request_key)


def build_shipment_credential(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None,
    *,
    request_key: str,
    holding: str,
    subject_type: str,
    types: list[str],
    schema_id: str,
    title: str,
    number_key: str,
    parties: tuple[str, ...] = (),
    places: tuple[str, ...] = (),
    lists: Mapping[str, str] | None = None,
    line_type: str | None = None,
) -> dict[str, Any]:
    """The unsigned credential of a shipment document, in the trade and shipment contexts, from its request.

    ``request[request_key]`` is the document (:class:`InvalidDocument` naming what it is ``holding`` when it is not
    a mapping), its subject typed ``subject_type``: each of ``parties`` present an ``Organization`` with its
    address, each of ``places`` a ``Place``, each item of the ``lists`` (field -> type) typed, and ``lines`` typed
    ``line_type`` and numbered in request order. The credential is named ``title`` and the document's
    ``number_key``, and carries ``types`` and the schema ``schema_id``; a request field other than
    :func:`request_fields` is refused.
    """
    document = request.get(request_key)
    if not isinstance(document, dict):
        article = "an" if request_key[0] in "aeiou" else "a"
        raise InvalidDocument(f"the request needs {article} '{request_key}' mapping ({holding})")
    subject: dict[str, Any] = {"type": subject_type, **document}
    for party in parties:
        if party in subject:
            subject[party] = with_address(subject[party], "Organization")
    for place in places:
        if place in subject:
            subject[place] = typed(subject[place], "Place")
    for field, type_name in (lists or {}).items():
        if isinstance(subject.get(field), list):
            subject[field] = [typed(item, type_name) for item in subject[field]]
    if line_type is not None and "lines" in subject:
        subject["lines"] = number_lines(subject["lines"], line_type, f"{request_key}.lines")
    return finish_credential(
        request,
        types=types,
        subject=subject,
        issuer=issuer,
        schema_id=schema_id,
        context=[TRADE_CONTEXT, SHIPMENT_CONTEXT],
        name=f"{title} {document.get(number_key, '')}".rstrip(),
        credential_status=credential_status,
        allowed_top_level=set(request_fields(request_key)),
    )


def number_lines(lines: Any, type_name: str, where: str) -> Any:
    """The request's lines, each typed ``type_name`` and numbered 1, 2, … in request order.

    RDFC signs a set of statements, not an array's order: ``lineNumber`` is
    what makes "line 2" mean the same line to every verifier. A request line
    that brings its own number is refused (:class:`InvalidDocument` naming it,
    ``where`` being the request's path to the lines); anything but a list of
    mappings is left as it is, for the schema to name.
    """
    if not isinstance(lines, list):
        return lines
    numbered: list[Any] = []
    for index, line in enumerate(lines):
        if isinstance(line, dict) and "lineNumber" in line:
            raise InvalidDocument(f"{where}[{index}].lineNumber: lines are numbered in request order by the issuer; "
                                  "a request must not number them")
        numbered.append({"type": type_name, "lineNumber": index + 1, **line} if isinstance(line, dict) else line)
    return numbered


def line_number_problems(credential: dict[str, Any]) -> list[str]:
    """``credentialSubject.lines`` numbered 1 to N, each number once (in any order: the order is not signed)."""
    lines = subject_of(credential).get("lines")
    if not isinstance(lines, list):
        return []
    numbers: list[int] = [line["lineNumber"] for line in lines if isinstance(line, dict)
                          and isinstance(line.get("lineNumber"), int) and not isinstance(line["lineNumber"], bool)]
    if len(numbers) != len(lines):
        return []  # the schema names lines that are not objects, and line numbers that are not integers
    if sorted(numbers) == list(range(1, len(lines) + 1)):
        return []
    return [(f"credentialSubject.lines: line numbers must be 1 to {len(lines)}, each once, "
            f"not {', '.join(map(str, numbers))}")]


def subject_of(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential's subject when it is one object, else an empty one (the schema names what is wrong)."""
    found = credential.get("credentialSubject")
    return found if isinstance(found, dict) else {}


def objects_of(subject: dict[str, Any], field: str) -> list[tuple[int, dict[str, Any]]]:
    """The objects of the subject's list ``field`` with their indexes (what is not an object, the schema names)."""
    found = subject.get(field)
    return [(index, item) for index, item in enumerate(found) if isinstance(item, dict)] if isinstance(found, list) else []


def party_name(party: Any) -> str:
    """A party's legal name, else its id, else ``?``."""
    if isinstance(party, dict):
        return str(party.get("legalName") or party.get("id") or "?")
    return "?"


def number(value: Any) -> str:
    """A quantity as people write it: thousands separated, no trailing zeros (700, 712.4, 1,250); ``?`` if none."""
    return format(value, ",.3f").rstrip("0").rstrip(".") if _is_number(value) else "?"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number that arithmetic can use: not a boolean, not NaN or infinite."""
    return _is_number(value) and math.isfinite(value)


def quantities(lines: Any) -> str:
    """The lines' quantities summed per unit: ``700 TNE``, ``480 TNE + 12 KGM`` (``?`` when there are none)."""
    totals: dict[str, float] = {}
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and _is_number(line.get("quantity")):
            unit = str(line.get("unitCode", "?"))
            totals[unit] = totals.get(unit, 0) + line["quantity"]
    return " + ".join(f"{number(total)} {unit}" for unit, total in totals.items()) or "?"


def total(lines: Any, key: str) -> float:
    """The sum of the lines' ``key`` amounts (lines without a number there count nothing)."""
    amounts: list[float] = [line[key] for line in (lines if isinstance(lines, list) else [])
                            if isinstance(line, dict) and _is_number(line.get(key))]
    return sum(amounts)


def money(amount: Any, currency: Any) -> str:
    """An amount with its currency, ``575,900.00 USD`` (``?`` for what is not a number or a currency)."""
    shown = f"{amount:,.2f}" if _is_number(amount) else "?"
    return f"{shown} {currency if isinstance(currency, str) else '?'}"
