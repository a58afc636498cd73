"""Mill test reports (EN 10204 3.1 inspection certificates): the mill's chemistry and mechanics per heat, and
where the steel was melted and poured."""

from __future__ import annotations

import math
from typing import Any

from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    build_shipment_credential,
    finite_number,
    objects_of,
    party_name,
    quantities,
    request_fields,
    subject_of,
)

__all__ = ["MILL_TEST_REPORT", "MILL_TEST_REPORT_SCHEMA", "build_mill_test_report_credential"]

MILL_TEST_REPORT_SCHEMA = "https://vctrade.dev/schemas/mill-test-report/v1"
_FIELDS = request_fields("millTestReport")


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned mill test report from a request.

    ``request`` holds ``millTestReport`` (``reportNumber``, optional ``inspectionDocumentType``, ``mill``,
    ``product``, optional ``hsCode``, ``standard``, ``grade``, ``countryOfMeltAndPour``, optional
    ``countryOfOrigin`` and ``heats``: each a ``heatNumber``, optional ``quantity``/``unitCode``,
    ``chemicalComposition`` (element symbol → mass %) and ``mechanicalProperties``) and the credential's optional
    ``id``, ``issuerName``, ``validFrom``/``validUntil``.
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="millTestReport",
        holding="reportNumber, mill, product, standard, grade, countryOfMeltAndPour, heats",
        subject_type="InspectionCertificate",
        types=["MillTestReport", "MillTestReportCredential"],
        schema_id=MILL_TEST_REPORT_SCHEMA,
        title="Mill test report",
        number_key="reportNumber",
        parties=("mill",),
        lists={"heats": "Heat"},
    )


def _strength(mechanics: dict[str, Any], name: str) -> tuple[float, str] | None:
    found = mechanics.get(name)
    if isinstance(found, dict) and finite_number(found.get("value")) and isinstance(found.get("unitCode"), str):
        return found["value"], found["unitCode"]
    return None


def _heat_problems(index: int, heat: dict[str, Any]) -> list[str]:
    where = f"credentialSubject.heats[{index}]"
    problems = []
    chemistry = heat.get("chemicalComposition")
    if isinstance(chemistry, dict):
        total = math.fsum(value for value in chemistry.values() if finite_number(value))
        if round(total, 6) > 100:
            problems.append(f"{where}.chemicalComposition: the elements add up to {total:g}%, more than 100%")
    mechanics = heat.get("mechanicalProperties")
    if isinstance(mechanics, dict):
        tensile, yield_ = _strength(mechanics, "tensileStrength"), _strength(mechanics, "yieldStrength")
        if tensile and yield_ and tensile[1] == yield_[1] and tensile[0] < yield_[0]:
            problems.append(f"{where}.mechanicalProperties.tensileStrength: {tensile[0]:g} {tensile[1]} is below the "
                            f"yield strength {yield_[0]:g} {yield_[1]} (tensile strength is at least the yield strength)")
    return problems


def _report_rules(credential: dict[str, Any]) -> list[str]:
    """Each heat listed once; per heat, at most 100% of elements and a tensile strength no lower than the yield."""
    problems = period_problems(credential)
    first_seen: dict[str, int] = {}
    for index, heat in objects_of(subject_of(credential), "heats"):
        number = heat.get("heatNumber")
        if isinstance(number, str):
            if number in first_seen:
                problems.append(f"credentialSubject.heats[{index}].heatNumber: heat {number} is listed twice "
                                f"(also heats[{first_seen[number]}])")
            first_seen.setdefault(number, index)
        problems += _heat_problems(index, heat)
    return problems


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    heats = [heat for _, heat in objects_of(subject, "heats")]
    kind = f" ({subject['inspectionDocumentType']})" if subject.get("inspectionDocumentType") else ""
    quantity = quantities(heats)
    return (f"mill test report {subject.get('reportNumber', '?')}{kind}: {subject.get('product', '?')}, "
            f"{subject.get('standard', '?')} grade {subject.get('grade', '?')}; {len(heats)} heat(s)"
            f"{'' if quantity == '?' else ', ' + quantity}; melted and poured in {subject.get('countryOfMeltAndPour', '?')}; "
            f"mill {party_name(subject.get('mill'))}")


MILL_TEST_REPORT = register_trade_type(TradeType(
    name="mill-test-report",
    title="mill test report (EN 10204 3.1), issued by the mill: heats, chemistry, mechanics, melt and pour",
    type_iri=f"{TRADE_VOCAB}MillTestReport",
    schema=bundled_schema(MILL_TEST_REPORT_SCHEMA, "mill-test-report-v1.json"),
    builder=_build,
    rules=_report_rules,
    request_fields=_FIELDS,
    aliases=("MillTestReportCredential",),
    summary=_summary,
))


def build_mill_test_report_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The mill test report for ``request``, validated (see :data:`MILL_TEST_REPORT`)."""
    return MILL_TEST_REPORT.build(request, issuer, credential_status)
