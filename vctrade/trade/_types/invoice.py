"""Commercial invoices (19 CFR 141.86): the seller's invoice of a shipment, line by line, with heat numbers for steel."""

from __future__ import annotations

import math
from typing import Any

from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    STEEL_CHAPTERS,
    build_shipment_credential,
    finite_number,
    line_number_problems,
    money,
    objects_of,
    party_name,
    quantities,
    request_fields,
    subject_of,
)

__all__ = ["INVOICE", "INVOICE_SCHEMA", "build_invoice_credential"]

INVOICE_SCHEMA = "https://vctrade.dev/schemas/commercial-invoice/v1"
_FIELDS = request_fields("invoice")
TOTAL_TOLERANCE = 0.01  # how far a stated totalValue may be from Σ quantity × unitPrice (rounding of the lines)


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned commercial invoice from a request.

    ``request`` holds ``invoice`` (``invoiceNumber``, ``invoiceDate``, ``seller``, ``buyer``, optional
    ``consignee``, ``incoterms``, ``portOfEntry``, ``currency``, ``lines`` and optional ``totalValue``) and the
    credential's optional ``id``, ``issuerName``, ``validFrom``/``validUntil``. Lines are numbered in the order
    given; they carry no currency (the invoice's applies).
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="invoice",
        holding="invoiceNumber, invoiceDate, seller, buyer, currency, lines",
        subject_type="Invoice",
        types=["CommercialInvoice", "CommercialInvoiceCredential"],
        schema_id=INVOICE_SCHEMA,
        title="Commercial invoice",
        number_key="invoiceNumber",
        parties=("seller", "buyer", "consignee"),
        line_type="InvoiceLine",
    )


def _lines(subject: dict[str, Any]) -> list[Any]:
    lines = subject.get("lines")
    return lines if isinstance(lines, list) else []


def _line_total(lines: list[Any]) -> float | None:
    """Σ quantity × unitPrice, or None when a line's numbers cannot be read (the schema names those)."""
    amounts: list[float] = []
    for line in lines:
        quantity, price = (line.get("quantity"), line.get("unitPrice")) if isinstance(line, dict) else (None, None)
        if not (finite_number(quantity) and finite_number(price)):
            return None
        amounts.append(quantity * price)
    return math.fsum(amounts)


def _invoice_rules(credential: dict[str, Any]) -> list[str]:
    """Heat numbers on steel lines, no currency on a line, and a stated total that is the lines' sum."""
    problems = period_problems(credential) + line_number_problems(credential)
    subject = subject_of(credential)
    for index, line in objects_of(subject, "lines"):
        where = f"credentialSubject.lines[{index}]"
        hs_code = line.get("hsCode")
        if isinstance(hs_code, str) and hs_code.startswith(STEEL_CHAPTERS) and "heatNumbers" not in line:
            problems.append(f"{where}.heatNumbers: a steel line (HS chapter 72 or 73, here {hs_code}) must carry "
                            "the heat numbers of its steel")
        if "currency" in line:
            problems.append(f"{where}.currency: a line carries no currency; every line is priced in the invoice's "
                            f"currency ({subject.get('currency', '?')})")
    stated, computed = subject.get("totalValue"), _line_total(_lines(subject))
    if finite_number(stated) and computed is not None and abs(stated - computed) > TOTAL_TOLERANCE:
        currency = subject.get("currency")
        problems.append(f"credentialSubject.totalValue: {money(stated, currency)} is not the sum of the lines' "
                        f"quantity × unitPrice ({money(computed, currency)})")
    return problems


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    lines = _lines(subject)
    stated = subject.get("totalValue")
    total = stated if finite_number(stated) else _line_total(lines)
    return (f"commercial invoice {subject.get('invoiceNumber', '?')}: {len(lines)} line(s), {quantities(lines)}, "
            f"{money(total, subject.get('currency'))}; "
            f"{party_name(subject.get('seller'))} → {party_name(subject.get('buyer'))}")


INVOICE = register_trade_type(TradeType(
    name="invoice",
    title="commercial invoice, issued by the seller: parties, terms, lines with HS codes, origin and heat numbers",
    type_iri=f"{TRADE_VOCAB}CommercialInvoice",
    schema=bundled_schema(INVOICE_SCHEMA, "commercial-invoice-v1.json"),
    builder=_build,
    rules=_invoice_rules,
    request_fields=_FIELDS,
    aliases=("CommercialInvoiceCredential",),
    summary=_summary,
))


def build_invoice_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The commercial invoice for ``request``, validated (see :data:`INVOICE`)."""
    return INVOICE.build(request, issuer, credential_status)
