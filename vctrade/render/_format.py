"""Numbers, money, quantities and dates as a printed trade document shows them.

Every number goes through :class:`~decimal.Decimal` (a JSON ``812.5`` is the
decimal 812.5, never the float's binary neighbour), so a line total
``480 × 812.50`` is exactly ``390,000.00``. Money has its currency's minor
units (ISO 4217: two for USD and EUR, none for JPY, three for KWD); amounts in
different currencies are never added together. A column of quantities shares
one number of decimals, so ``780.0`` and ``1200`` print as ``780`` and
``1,200`` and ``489.6`` beside ``222`` as ``489.6`` and ``222.0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["decimal", "money", "amount", "column", "quantity", "unit", "minor_units", "date_time", "totals_line",
           "MAX_DECIMALS"]

MAX_DECIMALS = 4  # a column of quantities shows at most this many decimals
# ISO 4217 currencies whose minor unit is not 1/100 (every other code: two decimals).
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
# UN/ECE Recommendation 20 unit codes people know by their symbol; any other code is shown as it is.
_UNITS = {
    "TNE": "t", "KGM": "kg", "GRM": "g", "LBR": "lb", "MTR": "m", "MTK": "m²", "MTQ": "m³", "LTR": "l", "MLT": "ml",
    "CMT": "cm", "MMT": "mm", "H87": "pcs", "C62": "pcs", "EA": "pcs", "PR": "pairs", "DZN": "dozen",
    "MPA": "MPa", "NU": "N", "P1": "%", "KWH": "kWh", "FOT": "ft", "INH": "in",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def decimal(value: Any) -> Decimal | None:
    """A JSON number as a Decimal (None for anything else, booleans, NaN and infinities included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        found = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def minor_units(currency: Any) -> int:
    """How many decimals an amount in ``currency`` has (2 for an unknown or missing code)."""
    return _MINOR_UNITS.get(currency, 2) if isinstance(currency, str) else 2


def amount(value: Decimal, currency: Any) -> str:
    """``value`` rounded to the currency's minor units, thousands separated: ``1,200.00``."""
    places = minor_units(currency)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}"


def money(value: Any, currency: Any) -> str:
    """An amount with its currency code, ``575,900.00 USD``; the value as it is when it is not a number."""
    found = decimal(value)
    code = currency if isinstance(currency, str) else ""
    if found is None:
        return "" if value is None else str(value)
    return f"{amount(found, code)} {code}".rstrip()


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return min(MAX_DECIMALS, -exponent) if isinstance(exponent, int) and exponent < 0 else 0


def column(values: Iterable[Any]) -> list[str]:
    """Numbers of one column formatted alike: thousands separated, the same decimals (the most any value needs).

    A value that is not a number is shown as it is (empty for a missing one).
    """
    items = list(values)
    numbers = [decimal(value) for value in items]
    places = max((_places(n) for n in numbers if n is not None), default=0)
    shown = []
    for value, number in zip(items, numbers):
        if number is None:
            shown.append("" if value is None else str(value))
        else:
            rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            shown.append(f"{rounded:,.{places}f}")
    return shown


def unit(code: Any) -> str:
    """A unit code as people read it: ``TNE`` → ``t``; an unknown code as it is."""
    return _UNITS.get(code, code) if isinstance(code, str) else ""


def quantity(value: Any, code: Any) -> str:
    """One quantity with its unit, ``1,250.5 t`` (no trailing zeros)."""
    return " ".join(part for part in (column([value])[0], unit(code)) if part)


def totals_line(totals: dict[str, Decimal], kind: str = "money") -> str:
    """Per-currency (or per-unit) totals joined with ``+``: ``390,000.00 USD + 12,000.00 EUR``; ``—`` for none."""
    if not totals:
        return "—"
    if kind == "money":
        return " + ".join(f"{amount(value, code)} {code}".rstrip() for code, value in totals.items())
    return " + ".join(quantity(value, code) for code, value in totals.items())


def date_time(value: Any) -> str:
    """A date or date-time in one format: ``2026-11-02`` for a date, ``2026-11-02 14:30 UTC`` for a moment.

    A date-time with an offset is shown in UTC; seconds only when they are not zero. Text that is neither is
    shown as it is.
    """
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, str) and _DATE.fullmatch(value):
        return value
    else:
        from vctrade.errors import InvalidDocument
        from vctrade.model import parse_datetime

        try:
            moment = parse_datetime(value)
        except InvalidDocument:
            return "" if value is None else str(value)
    pattern = "%Y-%m-%d %H:%M:%S UTC" if moment.second or moment.microsecond else "%Y-%m-%d %H:%M UTC"
    return moment.strftime(pattern)
