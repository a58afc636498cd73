"""Export declarations: the exporting country's customs record of goods leaving it (Mexico's pedimento …).

Issued by the exporting country's customs authority — whoever signs is the
issuer; which authorities a verifier recognizes is its policy's. It is the
export half of "My Export is Your Import": the importing authority matches it
against the invoice and the entry summary.
"""

from __future__ import annotations

import re
from typing import Any

from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    build_shipment_credential,
    line_number_problems,
    money,
    party_name,
    quantities,
    request_fields,
    subject_of,
    total,
)

__all__ = ["EXPORT_DECLARATION", "EXPORT_DECLARATION_SCHEMA", "build_export_declaration_credential"]

EXPORT_DECLARATION_SCHEMA = "https://vctrade.dev/schemas/export-declaration/v1"
_FIELDS = request_fields("exportDeclaration")
# A pedimento number: year (2 digits), customs office (2), the customs broker's patent (4), sequence (7).
_PEDIMENTO = re.compile(r"[0-9]{2} ?[0-9]{2} ?[0-9]{4} ?[0-9]{7}")


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned export declaration from a request.

    ``request`` holds ``exportDeclaration`` (``declarationNumber``,
    ``customsOffice``, ``exportDate``, ``exporter``, ``consignee``,
    ``countryOfExportation``, ``destinationCountry``, ``invoiceNumber``,
    ``currency`` and ``lines``: description, hsCode, quantity, unitCode, value,
    countryOfOrigin). Lines are numbered 1, 2, … in the request's order.
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="exportDeclaration",
        holding="declarationNumber, exportDate, exporter, consignee, countries, currency, lines",
        subject_type="ExportDeclaration",
        types=["ExportDeclarationCredential"],
        schema_id=EXPORT_DECLARATION_SCHEMA,
        title="Export declaration",
        number_key="declarationNumber",
        parties=("exporter", "consignee"),
        line_type="DeclarationLine",
    )


def _rules(credential: dict[str, Any]) -> list[str]:
    """A Mexican export carries a pedimento number; goods are exported to another country; lines numbered 1 to N."""
    subject = subject_of(credential)
    problems = period_problems(credential)
    exported_from, declared = subject.get("countryOfExportation"), subject.get("declarationNumber")
    if exported_from == "MX" and isinstance(declared, str) and not _PEDIMENTO.fullmatch(declared):
        problems.append(f"credentialSubject.declarationNumber: {declared!r} is not a pedimento number (15 digits: year, "
                        "customs office, broker's patent, sequence), which an export from MX must have")
    if isinstance(exported_from, str) and exported_from == subject.get("destinationCountry"):
        problems.append(f"credentialSubject.destinationCountry: {exported_from!r} is also the country of exportation; "
                        "an export declaration's goods leave for another country")
    return problems + line_number_problems(credential)


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    lines = subject.get("lines")
    count = len(lines) if isinstance(lines, list) else 0
    return (f"export declaration {subject.get('declarationNumber', '?')}: {count} line(s), {quantities(lines)}, "
            f"{money(total(lines, 'value'), subject.get('currency'))}; {subject.get('countryOfExportation', '?')} → "
            f"{subject.get('destinationCountry', '?')}; {party_name(subject.get('exporter'))} → "
            f"{party_name(subject.get('consignee'))}")


EXPORT_DECLARATION = register_trade_type(TradeType(
    name="export-declaration",
    title="export declaration (Mexico's pedimento …), issued by the exporting country's customs authority",
    type_iri=f"{TRADE_VOCAB}ExportDeclarationCredential",
    schema=bundled_schema(EXPORT_DECLARATION_SCHEMA, "export-declaration-v1.json"),
    builder=_build,
    rules=_rules,
    request_fields=_FIELDS,
    summary=_summary,
))


def build_export_declaration_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The export declaration for ``request``, validated (see :data:`EXPORT_DECLARATION`)."""
    return EXPORT_DECLARATION.build(request, issuer, credential_status)
