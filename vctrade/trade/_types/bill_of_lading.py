"""Multimodal bills of lading, issued by the carrier: who shipped what, from where to where, in which containers."""

from __future__ import annotations

import re
import string
from typing import Any

from vctrade.trade._registry import TRADE_VOCAB, TradeType, register_trade_type
from vctrade.trade._schema import bundled_schema, period_problems
from vctrade.trade._types._customs import (
    build_shipment_credential,
    number,
    objects_of,
    party_name,
    quantities,
    request_fields,
    subject_of,
)

__all__ = ["BILL_OF_LADING", "BILL_OF_LADING_SCHEMA", "build_bill_of_lading_credential", "iso6346_check_digit"]

BILL_OF_LADING_SCHEMA = "https://vctrade.dev/schemas/bill-of-lading/v1"
_FIELDS = request_fields("billOfLading")

_CONTAINER_NUMBER = re.compile("[A-Z]{4}[0-9]{7}")
# ISO 6346 letter values: A = 10 upwards, skipping the multiples of 11 (11, 22, 33).
_LETTER_VALUES = dict(zip(string.ascii_uppercase, (value for value in range(10, 39) if value % 11), strict=True))


def iso6346_check_digit(container_number: str) -> int:
    """The ISO 6346 check digit of a container number's first ten characters (owner code, category, serial)."""
    total = sum((_LETTER_VALUES[char] if char.isalpha() else int(char)) << position
                for position, char in enumerate(container_number[:10]))
    return total % 11 % 10


def _build(
    request: dict[str, Any],
    issuer: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned multimodal bill of lading from a request.

    ``request`` holds ``billOfLading`` (``billOfLadingNumber``, optional ``bookingNumber``, ``shipper``,
    ``consignee``, optional ``notifyParty``, ``carrier`` (with its ``scac``), optional ``vessel`` and
    ``voyageNumber``, the places ``placeOfReceipt``, ``portOfLoading``, ``portOfDischarge``, ``placeOfDelivery``,
    ``shippedOnBoardDate``, ``containers`` and ``goods``) and the credential's optional ``id``, ``issuerName``,
    ``validFrom``/``validUntil``.
    """
    return build_shipment_credential(
        request, issuer, credential_status,
        request_key="billOfLading",
        holding=("billOfLadingNumber, shipper, consignee, carrier, portOfLoading, portOfDischarge, shippedOnBoardDate, "
                 "goods"),
        subject_type="MultiModalBillOfLading",
        types=["BillOfLading", "MultiModalBillOfLadingCredential"],
        schema_id=BILL_OF_LADING_SCHEMA,
        title="Bill of lading",
        number_key="billOfLadingNumber",
        parties=("shipper", "consignee", "notifyParty", "carrier"),
        places=("placeOfReceipt", "portOfLoading", "portOfDischarge", "placeOfDelivery"),
        lists={"containers": "Container", "goods": "ShippedGood"},
    )


def _container_problems(subject: dict[str, Any]) -> list[str]:
    """Each container listed once, each number's 11th digit its ISO 6346 check digit."""
    problems = []
    first_seen: dict[str, int] = {}
    for index, container in objects_of(subject, "containers"):
        number_ = container.get("containerNumber")
        if not (isinstance(number_, str) and _CONTAINER_NUMBER.fullmatch(number_)):
            continue  # the schema names a malformed container number
        where = f"credentialSubject.containers[{index}].containerNumber"
        if number_ in first_seen:
            problems.append(f"{where}: container {number_} is listed twice (also containers[{first_seen[number_]}])")
        first_seen.setdefault(number_, index)
        expected = iso6346_check_digit(number_)
        if int(number_[10]) != expected:
            problems.append(f"{where}: {number_} fails the ISO 6346 check digit (its 11th digit should be {expected})")
    return problems


def _port_problems(subject: dict[str, Any]) -> list[str]:
    """The ports of loading and discharge differ (compared by UN/LOCODE when both have one)."""
    loading, discharge = subject.get("portOfLoading"), subject.get("portOfDischarge")
    if isinstance(loading, dict) and isinstance(discharge, dict):
        code = loading.get("unLocode")
        if isinstance(code, str) and code == discharge.get("unLocode"):
            return [(f"credentialSubject.portOfDischarge: the port of discharge ({code}) is the port of loading; "
                     "a bill of lading carries goods between two ports")]
    return []


def _bill_rules(credential: dict[str, Any]) -> list[str]:
    """Containers listed once with valid ISO 6346 check digits; loading and discharge at different ports."""
    subject = subject_of(credential)
    return period_problems(credential) + _container_problems(subject) + _port_problems(subject)


def _place(value: Any) -> str:
    if not isinstance(value, dict):
        return "?"
    name = str(value.get("name", "?"))
    return f"{name} ({value['unLocode']})" if value.get("unLocode") else name


def _summary(credential: dict[str, Any]) -> str:
    subject = subject_of(credential)
    goods = [good for _, good in objects_of(subject, "goods")]
    weights = quantities([{"quantity": good.get("grossWeight"), "unitCode": good.get("weightUnit")} for good in goods])
    packages = [good["packageCount"] for good in goods if isinstance(good.get("packageCount"), int)
                and not isinstance(good["packageCount"], bool)]
    voyage = " ".join(str(subject[key]) for key in ("vessel", "voyageNumber") if subject.get(key))
    return (f"bill of lading {subject.get('billOfLadingNumber', '?')}: {_place(subject.get('portOfLoading'))} → "
            f"{_place(subject.get('portOfDischarge'))}{' on ' + voyage if voyage else ''}, shipped on board "
            f"{subject.get('shippedOnBoardDate', '?')}; {len(objects_of(subject, 'containers'))} container(s), "
            f"{len(goods)} good(s){', ' + number(sum(packages)) + ' package(s)' if packages else ''}, {weights} gross; "
            f"{party_name(subject.get('shipper'))} → {party_name(subject.get('consignee'))}")


BILL_OF_LADING = register_trade_type(TradeType(
    name="bill-of-lading",
    title="multimodal bill of lading, issued by the carrier: parties, ports, containers and seals, goods and weights",
    type_iri=f"{TRADE_VOCAB}BillOfLading",
    schema=bundled_schema(BILL_OF_LADING_SCHEMA, "bill-of-lading-v1.json"),
    builder=_build,
    rules=_bill_rules,
    request_fields=_FIELDS,
    aliases=("MultiModalBillOfLadingCredential",),
    summary=_summary,
))


def build_bill_of_lading_credential(
    request: dict[str, Any],
    issuer: str,
    *,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The bill of lading for ``request``, validated (see :data:`BILL_OF_LADING`)."""
    return BILL_OF_LADING.build(request, issuer, credential_status)
