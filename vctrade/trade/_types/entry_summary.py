"""Entry summaries (CBP Form 7501): the importer of record's declaration of goods entered into the United States.

Filed by the importer or its customs broker — the issuer is whoever signs. Each
line gives the 10-digit HTS number, origin, quantity and entered value; a
preference claim (USMCA "S"/"S+") refers to the certificate of origin and a
steel line to its SIMA licence.
"""

from __future__ import annotations

from typing import Any

from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    STEEL_CHAPTERS,
    build_shipment_credential,
    line_number_problems,
    money,
    objects_of,
    party_name,
    quantities,
    request_fields,
    subject_of,
    total,
)

__all__ = ["ENTRY_SUMMARY", "ENTRY_SUMMARY_SCHEMA", "build_entry_summary_credential"]

ENTRY_SUMMARY_SCHEMA = "https://vctrade.dev/schemas/entry-summary/v1"
_FIELDS = request_fields("entrySummary")
_USMCA_PROGRAMS = ("S", "S+")


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned entry summary from a request.

    ``request`` holds ``entrySummary`` (``entryNumber``, ``entryType``,
    ``entryDate``, ``portOfEntry``, ``importerOfRecord`` with its
    ``importerOfRecordNumber``, ``importDate``, ``exportDate``,
    ``countryOfExportation``, ``billOfLadingNumber``, ``invoiceNumber``,
    ``certificateOfOrigin`` — the certificate's credential id —, ``currency``
    and ``lines``: description, hsCode, countryOfOrigin, quantity, unitCode,
    enteredValue, specialProgram, simaLicenseNumber). Lines are numbered 1, 2, …
    in the request's order.
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="entrySummary",
        holding="entryNumber, entryType, entryDate, portOfEntry, importerOfRecord, invoiceNumber, currency, lines",
        subject_type="CBPEntrySummary",
        types=["EntrySummary", "CBP7501EntrySummaryCredential"],
        schema_id=ENTRY_SUMMARY_SCHEMA,
        title="Entry summary",
        number_key="entryNumber",
        parties=("importerOfRecord",),
        line_type="EntryLine",
    )


def _line_problems(credential: dict[str, Any]) -> list[str]:
    """A USMCA claim (S, S+) needs the certificate of origin's reference; a steel line (HTS 72, 73) its SIMA licence."""
    subject = subject_of(credential)
    problems: list[str] = []
    for index, line in objects_of(subject, "lines"):
        where = f"credentialSubject.lines[{index}]"
        if line.get("specialProgram") in _USMCA_PROGRAMS and subject.get("certificateOfOrigin") is None:
            problems.append(f"{where}.specialProgram: {line['specialProgram']!r} claims USMCA preference, which needs "
                            "credentialSubject.certificateOfOrigin (the certificate of origin's id)")
        hs_code = line.get("hsCode")
        if isinstance(hs_code, str) and hs_code.startswith(STEEL_CHAPTERS) and line.get("simaLicenseNumber") is None:
            problems.append(f"{where}: 'simaLicenseNumber' is required: HTS {hs_code} is steel (chapter 72 or 73), "
                            "which enters under a SIMA licence")
    return problems


def _rules(credential: dict[str, Any]) -> list[str]:
    return period_problems(credential) + _line_problems(credential) + line_number_problems(credential)


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    lines = subject.get("lines")
    count = len(lines) if isinstance(lines, list) else 0
    importer = subject.get("importerOfRecord")
    number = importer.get("importerOfRecordNumber") if isinstance(importer, dict) else None
    return (f"entry summary {subject.get('entryNumber', '?')} (type {subject.get('entryType', '?')}, port "
            f"{subject.get('portOfEntry', '?')}): {count} line(s), {quantities(lines)}, "
            f"{money(total(lines, 'enteredValue'), subject.get('currency'))} entered; importer of record "
            f"{party_name(importer)}" + (f" ({number})" if number else ""))


ENTRY_SUMMARY = register_trade_type(TradeType(
    name="entry-summary",
    title="entry summary (CBP Form 7501), filed by the importer of record or its customs broker",
    type_iri=f"{TRADE_VOCAB}EntrySummary",
    schema=bundled_schema(ENTRY_SUMMARY_SCHEMA, "entry-summary-v1.json"),
    builder=_build,
    rules=_rules,
    request_fields=_FIELDS,
    aliases=("CBP7501EntrySummaryCredential",),
    summary=_summary,
))


def build_entry_summary_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The entry summary for ``request``, validated (see :data:`ENTRY_SUMMARY`)."""
    return ENTRY_SUMMARY.build(request, issuer, credential_status)
