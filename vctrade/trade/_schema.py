"""JSON Schema (2020-12) validation for trade types, with one readable sentence per violation.

A conforming credential is decided by jsonschema-rs, a compiled validator (~0.003 ms against ~0.5 ms for a
USMCA certificate); only a credential it finds invalid goes to jsonschema, which explains each violation in
today's words. A schema is compiled the first time a credential of that type is judged: verifying a credential
of another type never loads either library.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from vctrade.errors import InvalidDocument
from vctrade.model._credentials import parse_datetime

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["JsonSchema", "bundled_schema", "period_problems", "add_months"]


class JsonSchema:
    """A JSON Schema known by its ``$id``, loaded and compiled on first use."""

    def __init__(self, schema_id: str, load: Callable[[], dict[str, Any]]) -> None:
        self.id = schema_id
        self._load = load
        self._validator: Draft202012Validator | None = None
        self._fast: Any = None  # jsonschema_rs's validator (the package is untyped)
        self._lock = threading.Lock()

    def _compiled(self) -> Draft202012Validator:
        with self._lock:
            if self._validator is None:
                from jsonschema import Draft202012Validator

                schema = self._load()
                Draft202012Validator.check_schema(schema)
                self._validator = Draft202012Validator(schema)
            return self._validator

    def _conforms(self, credential: dict[str, Any]) -> bool:
        with self._lock:
            if self._fast is None:
                import jsonschema_rs

                # Formats are annotations in 2020-12, as jsonschema (without a format checker) reads them too.
                self._fast = jsonschema_rs.Draft202012Validator(self._load(), validate_formats=False)
        return bool(self._fast.is_valid(credential))

    def problems(self, credential: dict[str, Any]) -> list[str]:
        """Every violation, each naming the field and the rule (empty when the credential conforms)."""
        if self._conforms(credential):
            return []
        errors = sorted(self._compiled().iter_errors(credential), key=lambda e: list(map(str, e.absolute_path)))
        return [_describe(error) for error in errors]

    def text_given_as_number(self, credential: dict[str, Any]) -> list[tuple[str | int, ...]]:
        """The paths where the schema wants text and the credential has a number (an HS code that YAML read as
        the number 7208.51, a postal code read as 77029).

        Only jsonschema judges here: the numbers may be int or float subclasses, which jsonschema-rs refuses.
        """
        found: list[tuple[str | int, ...]] = []

        def collect(errors: Iterable[ValidationError]) -> None:
            for error in errors:
                wanted = error.validator_value
                wants_text = wanted == "string" or (isinstance(wanted, list) and "string" in wanted)
                number = isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool)
                if error.validator == "type" and wants_text and number:
                    found.append(tuple(error.absolute_path))
                collect(error.context or ())

        collect(self._compiled().iter_errors(credential))
        return list(dict.fromkeys(found))


def bundled_schema(schema_id: str, file_name: str) -> JsonSchema:
    """A schema shipped in ``vctrade/trade/schemas/``."""
    return JsonSchema(schema_id, lambda: json.loads(
        (resources.files("vctrade.trade") / "schemas" / file_name).read_text(encoding="utf-8")))


def _path(error: ValidationError) -> str:
    parts = ""
    for part in error.absolute_path:
        parts += f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part))
    return parts or "the credential"


def _describe(error: ValidationError) -> str:
    """One readable sentence per schema violation, naming the field and the rule."""
    where = _path(error)
    rule = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where}: '{missing}' is required" if where != "the credential" else f"'{missing}' is required"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message.replace('Additional properties', 'fields')}"
    if error.validator in ("pattern", "enum", "const", "contains", "anyOf") and rule:
        return f"{where}: {error.instance!r} is not {rule}" if not isinstance(error.instance, (dict, list)) else f"{where} must be {rule}"
    if error.validator == "enum" and isinstance(error.validator_value, list):
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return f"{where}: {error.message}"


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (the day clamped to the month's length)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    day = min(moment.day, [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def period_problems(credential: dict[str, Any]) -> list[str]:
    """validFrom/validUntil that do not parse (each named, a date without a time with the fix), or end before
    they start."""
    moments: dict[str, datetime] = {}
    problems = []
    for name in ("validFrom", "validUntil"):
        value = credential.get(name)
        if value is None:
            continue
        try:
            moments[name] = parse_datetime(value)
        except InvalidDocument as exc:
            if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
                problems.append(f"{name}: {value!r} is a date without a time; {name} is a date-time with a timezone, "
                                f"e.g. {name}: \"{value.strip()}T00:00:00Z\"")
            else:
                problems.append(f"{name}: {exc}")
    if problems:
        return problems
    start_at, end_at = moments.get("validFrom"), moments.get("validUntil")
    if start_at and end_at and end_at <= start_at:
        return ["validUntil must be after validFrom"]
    return []
