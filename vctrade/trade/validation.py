"""Trade credential rules: the bundled JSON Schemas plus the rules a schema cannot say.

Schemas are bundled with the package and looked up by id; nothing is fetched.
A credential of a vctrade trade type is always checked against its type's
schema, whether or not it names one in ``credentialSchema`` (dropping the
reference must not skip the check).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..credentials import parse_datetime
from ..errors import InvalidDocument
from ..result import ERROR, FAILED, PASSED, Check

__all__ = [
    "TRADE_CONTEXT",
    "AEO_SCHEMA",
    "ORIGIN_SCHEMA",
    "SCHEMA_FILES",
    "TYPE_SCHEMAS",
    "trade_problems",
    "schemas_for",
    "schema_check",
]

TRADE_CONTEXT = "https://vctrade.dev/contexts/trade/v1"
AEO_SCHEMA = "https://vctrade.dev/schemas/aeo-certificate/v1"
ORIGIN_SCHEMA = "https://vctrade.dev/schemas/certificate-of-origin/v1"
SCHEMA_FILES = {AEO_SCHEMA: "aeo-certificate-v1.json", ORIGIN_SCHEMA: "certificate-of-origin-v1.json"}
TYPE_SCHEMAS = {"AEOCertificate": AEO_SCHEMA, "CertificateOfOrigin": ORIGIN_SCHEMA}
MAX_BLANKET_MONTHS = 12


@cache
def _validator(schema_id: str) -> Draft202012Validator:
    text = (resources.files("vctrade.trade") / "schemas" / SCHEMA_FILES[schema_id]).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


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
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return f"{where}: {error.message}"


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


def _period_problems(credential: dict[str, Any], is_origin: bool) -> list[str]:
    problems: list[str] = []
    start, end = credential.get("validFrom"), credential.get("validUntil")
    try:
        start_at = parse_datetime(start) if start is not None else None
        end_at = parse_datetime(end) if end is not None else None
    except InvalidDocument as exc:
        return [str(exc)]
    if start_at and end_at and end_at <= start_at:
        problems.append("validUntil must be after validFrom")
    if not is_origin:
        return problems
    subject = credential.get("credentialSubject")
    invoice = subject.get("invoiceNumber") if isinstance(subject, dict) else None
    if invoice is None and not (start_at and end_at):
        problems.append("a certificate of origin needs a blanket period (validFrom and validUntil) "
                        "or, for a single shipment, credentialSubject.invoiceNumber")
    if invoice is None and start_at and end_at and end_at > _add_months(start_at, MAX_BLANKET_MONTHS):
        problems.append(f"the blanket period {start} to {end} is longer than {MAX_BLANKET_MONTHS} months")
    return problems


def schemas_for(credential: dict[str, Any]) -> list[str]:
    """The bundled schema ids that apply to ``credential`` by its types."""
    types = credential.get("type")
    types = types if isinstance(types, list) else [types]
    return [TYPE_SCHEMAS[t] for t in types if isinstance(t, str) and t in TYPE_SCHEMAS]


def trade_problems(credential: dict[str, Any], schema_ids: list[str] | None = None) -> list[str]:
    """Every schema violation and trade rule ``credential`` breaks (empty when it conforms)."""
    problems: list[str] = []
    for schema_id in schema_ids if schema_ids is not None else schemas_for(credential):
        errors = sorted(_validator(schema_id).iter_errors(credential), key=lambda e: list(map(str, e.absolute_path)))
        problems.extend(_describe(error) for error in errors)
        problems.extend(_period_problems(credential, schema_id == ORIGIN_SCHEMA))
    return problems


def schema_check(credential: dict[str, Any]) -> Check | None:
    """The ``schema`` check for ``verify``: None when no schema applies.

    A ``credentialSchema`` vctrade does not bundle cannot be checked (schemas
    are never fetched), so it is an ``error`` check, never a pass.
    """
    declared = credential.get("credentialSchema", [])
    ids = set(schemas_for(credential))
    for entry in declared if isinstance(declared, list) else [declared]:
        schema_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("type") != "JsonSchema" or schema_id not in SCHEMA_FILES:
            return Check("schema", ERROR, "unknown_schema",
                         f"credentialSchema {schema_id or entry!r} is not a bundled JsonSchema; schemas are never fetched")
        ids.add(schema_id)
    if not ids:
        return None
    problems = trade_problems(credential, sorted(ids))
    if problems:
        return Check("schema", FAILED, "schema_invalid", "; ".join(problems))
    return Check("schema", PASSED, "schema_valid", "conforms to " + ", ".join(sorted(ids)))
