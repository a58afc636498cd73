"""What the customs documents of a shipment share: numbered lines, the rule that keeps them so, summary wording."""

from __future__ import annotations

from typing import Any

from vctrade.errors import InvalidDocument

__all__ = ["STEEL_CHAPTERS", "number_lines", "line_number_problems", "subject_of", "party_name", "quantities", "total",
           "money", "number"]

# Iron and steel: the HTS chapters a SIMA licence covers and whose entry lines need one.
STEEL_CHAPTERS = ("72", "73")


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
