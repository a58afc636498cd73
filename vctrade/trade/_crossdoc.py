"""Cross-document rules: a shipment's documents checked against each other, and the steel-import workflow.

A customs officer does not judge an invoice alone: the seller on the invoice must be the exporter on the
certificate of origin, every invoice line must be covered by an origin claim and (for steel) a SIMA licence, the
weights on the bill of lading must match the invoice, the export declaration must say what the entry summary
says. This module turns the verified credentials of a presentation (or the credentials given beside one) into a
:class:`Shipment`, runs each :class:`ShipmentRule` over it and reports one check per comparison, in words an
officer reads: ``invoice line 2 HS 7208.51, origin MX ↔ certificate of origin good 2 HS 7208.51, origin MX: agree``.

It plugs into verification as a workflow hook (:func:`workflow_hook`): the policy's ``[workflow]`` section, or the
presentation's ``workflow.definition``, says which workflow applies::

    [workflow]
    name = "steel-import"                # a registered workflow
    required = ["invoice", "origin"]     # trade types the shipment must contain
    weight_tolerance = 2.0               # percent: bill of lading gross weight vs invoice quantities
    quantity_tolerance = 0.5             # percent: export declaration vs invoice / entry summary quantities
    value_tolerance = 1.0                # percent: … and values

Customs authorities (for the export declaration's issuer) are the policy's ``[[programme]]`` authorities.
A rule never raises for a malformed document: a missing or odd field is a failed check naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from vctrade._result import ERROR, FAILED, PASSED, Check, Status, VerificationResult
from vctrade.errors import InvalidDocument, PolicyError, UnsupportedError
from vctrade.model._credentials import issuer_id, parse_datetime
from vctrade.trade._registry import trade_type_of, trade_types
from vctrade.trade._rules import RecognizedProgrammes, _programme
from vctrade.trade._workflows import (
    CrossDocumentRule,
    Workflow,
    get_workflow,
    register_workflow,
    workflow_for_definition,
    workflows,
)
from vctrade.trust._policy import (
    PolicyInput,
    Rule,
    TrustPolicy,
    register_policy_sections,
    tables,
)
from vctrade.verification._workflow import (
    WORKFLOW_RESULT,
    register_workflow_hook,
    workflow_ids,
)

__all__ = [
    "Document",
    "Shipment",
    "WorkflowSettings",
    "ShipmentRule",
    "Outcome",
    "WorkflowPolicy",
    "STEEL_IMPORT",
    "STEEL_IMPORT_RULES",
    "run_rules",
    "compare_parties",
    "workflow_hook",
]

# (status, code, message): what a rule finds; the rule names it as a Check
Outcome = tuple[Status, str, str]

# -- reading documents without trusting their shape ------------------------------------------------------------

_IDENTIFIERS = ("taxId", "eori", "importerOfRecordNumber", "traderIdentificationNumber")
_MASS_KG = {"KGM": 1.0, "TNE": 1000.0, "LBR": 0.45359237}
_HS = re.compile(r"[0-9]{4}\.?[0-9]{2}(?:\.?[0-9]{2}){0,2}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    """A non-empty string (stripped), else None."""
    return (value.strip() or None) if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    """A finite JSON number (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _hs(value: Any) -> str | None:
    """The digits of an HS / HTS code (at least 6), else None."""
    return value.replace(".", "") if isinstance(value, str) and _HS.fullmatch(value) else None


def _dotted(digits: str) -> str:
    """7208370030 -> 7208.37.0030, as officers write HS and HTS codes."""
    return f"{digits[:4]}.{digits[4:6]}" + (f".{digits[6:]}" if len(digits) > 6 else "")


def _is_steel(digits: str) -> bool:
    """HS chapters 72 (iron and steel) and 73 (articles of iron or steel)."""
    return digits[:2] in ("72", "73")


def _business_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _show(value: Any) -> str:
    """A field's value as a message quotes it (bounded)."""
    return "missing" if value is None else repr(value)[:60]


def _num(value: float) -> str:
    """700 -> "700", 489.6 -> "489.6", 480000 -> "480,000" (absurd amounts in exponent form)."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{value:,.6g}"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _quantity(value: float, unit: str) -> str:
    return f"{_num(value)} {'t' if unit == 'TNE' else unit}"


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _percent(value: float) -> str:
    if math.isinf(value):
        return "∞%"  # of nothing: the reference amount is 0
    text = f"{value:.1f}" if value >= 0.1 or value == 0 else f"{value:.2g}"
    return f"{text.removesuffix('.0')}%"


def _numbered(items: Iterable[str]) -> str:
    found = list(items)
    return ", ".join(found[:-1]) + f" and {found[-1]}" if len(found) > 1 else "".join(found)


@dataclass(frozen=True)
class _Kind:
    article: str
    noun: str
    plural: str
    number: str  # the subject field that identifies the document ("" for none)


_KINDS = {
    "aeo": _Kind("an", "AEO certification", "AEO certifications", ""),
    "invoice": _Kind("an", "invoice", "invoices", "invoiceNumber"),
    "mill-test-report": _Kind("a", "mill test report", "mill test reports", "reportNumber"),
    "origin": _Kind("a", "certificate of origin", "certificates of origin", ""),
    "bill-of-lading": _Kind("a", "bill of lading", "bills of lading", "billOfLadingNumber"),
    "sima-licence": _Kind("a", "SIMA licence", "SIMA licences", "licenseNumber"),
    "export-declaration": _Kind("an", "export declaration", "export declarations", "declarationNumber"),
    "entry-summary": _Kind("an", "entry summary", "entry summaries", "entryNumber"),
}


def _kind(name: str) -> _Kind:
    return _KINDS.get(name) or _Kind("a", f"{name} document", f"{name} documents", "")


def _label(kind: str, credential: dict[str, Any]) -> str:
    """How messages name a document: "invoice INV-2026-0417", "certificate of origin urn:uuid:…"."""
    about = _kind(kind)
    subject = _mapping(credential.get("credentialSubject"))
    if kind == "aeo":
        holder = _text(subject.get("legalName")) or _text(subject.get("id")) or _text(credential.get("id")) or "?"
        return f"{_text(subject.get('aeoProgramme')) or 'AEO'} certification of {holder}"
    number = _text(subject.get(about.number)) if about.number else None
    return f"{about.noun} {number or _text(credential.get('id')) or '(unidentified)'}"


# -- the shipment ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowSettings:
    """How strictly a workflow judges: required kinds, tolerances (percent), and the recognized customs authorities.

    ``customs_authorities`` is a tuple of (DID, country) — country "" when the policy names none — or None when
    no policy says which authorities it recognizes.
    """

    required: tuple[str, ...] = ()
    weight_tolerance: float = 2.0
    quantity_tolerance: float = 0.0
    value_tolerance: float = 0.0
    customs_authorities: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Document:
    """One credential of the shipment: its trade type (``kind``), its verification result, its label."""

    kind: str
    credential: dict[str, Any]
    result: VerificationResult
    label: str

    @property
    def subject(self) -> dict[str, Any]:
        """The credential subject (an empty dict if it is not an object)."""
        return _mapping(self.credential.get("credentialSubject"))

    def field(self, key: str) -> Any:
        """A subject field, as the document gives it (any JSON value, or None)."""
        return self.subject.get(key)

    def lines(self, key: str = "lines") -> list[tuple[int, dict[str, Any]]]:
        """The objects in the subject's list ``key`` with their numbers (``lineNumber``, else position from 1)."""
        found = self.field(key)
        items = found if isinstance(found, list) else []
        numbered: list[tuple[int, dict[str, Any]]] = []
        for position, item in enumerate(items, 1):
            if isinstance(item, dict):
                number = item.get("lineNumber")
                if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                    number = position
                numbered.append((number, item))
        return numbered


@dataclass(frozen=True)
class Shipment:
    """The trade documents travelling together, by kind (trade type name), and how to judge them."""

    documents: tuple[Document, ...]
    settings: WorkflowSettings = WorkflowSettings()

    @classmethod
    def from_credentials(cls, credentials: Iterable[tuple[dict[str, Any], VerificationResult]],
                         settings: WorkflowSettings = WorkflowSettings()) -> Shipment:
        """The shipment of every credential of a registered trade type (each one once); others are not documents."""
        documents: list[Document] = []
        for credential, result in credentials:
            trade_type = trade_type_of(credential) if isinstance(credential, dict) else None
            if trade_type is None or any(document.credential == credential for document in documents):
                continue
            documents.append(Document(trade_type.name, credential, result, _label(trade_type.name, credential)))
        return cls(tuple(documents), settings)

    def of(self, kind: str) -> list[Document]:
        """The documents of one kind, in the order given."""
        return [document for document in self.documents if document.kind == kind]

    def has(self, kind: str) -> bool:
        """Whether the shipment holds a document of ``kind``."""
        return any(document.kind == kind for document in self.documents)

    def ref(self, document: Document) -> str:
        """The document in a message: its noun when it is the only one of its kind, else its label."""
        return _kind(document.kind).noun if len(self.of(document.kind)) == 1 else document.label

    def all(self, kind: str) -> str:
        """A kind's documents together in a message: "invoice", or "invoices" when there are several."""
        return _kind(kind).noun if len(self.of(kind)) == 1 else _kind(kind).plural

    def missing(self, needs: Sequence[str], missing: Sequence[str]) -> Outcome:
        """The outcome for a rule that lacks documents: failed when the policy requires one of them, else error."""
        wanted = _numbered(f"{_kind(k).article} {_kind(k).noun}" for k in needs)
        status = FAILED if set(missing) & set(self.settings.required) else ERROR
        absent = " and no ".join(_kind(k).noun for k in missing)
        return status, "documents_missing", f"needs {wanted}; the shipment has no {absent}"


@dataclass(frozen=True)
class ShipmentRule:
    """A cross-document rule: a name, the kinds it compares, and a function finding its outcomes."""

    name: str
    needs: tuple[str, ...]
    judge: Callable[[Shipment], list[Outcome]]

    def evaluate(self, shipment: Shipment) -> list[Check]:
        """The rule's checks (each named after the rule; :func:`run_rules` numbers them)."""
        return [Check(self.name, *outcome) for outcome in self.judge(shipment)]


def run_rules(rules: Iterable[CrossDocumentRule[Shipment]], shipment: Shipment) -> list[Check]:
    """Every rule's checks; a rule whose documents are absent is one ``documents_missing`` check, never an exception."""
    checks: list[Check] = []
    for rule in rules:
        missing = [kind for kind in rule.needs if not shipment.has(kind)]
        if missing:
            found = [Check(rule.name, *shipment.missing(rule.needs, missing))]
        else:
            try:
                found = rule.evaluate(shipment)
            except Exception as exc:  # noqa: BLE001 - verify() never raises: a rule's bug is an undecided check
                found = [Check(rule.name, ERROR, "internal_error",
                               f"{rule.name} stopped: {type(exc).__name__}: {exc}"[:500])]
        if len(found) > 1:
            found = [replace(check, name=f"{rule.name}[{index}]") for index, check in enumerate(found)]
        checks.extend(found)
    return checks


# -- quantities ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Amount:
    """A sum of quantities: a mass (in kilograms, shown in ``unit``) or a count in one other unit."""

    value: float
    unit: str
    mass: bool

    def shown(self, unit: str | None = None) -> str:
        """The amount in ``unit`` (a mass unit, for masses), else in its own unit."""
        unit = unit if self.mass and unit in _MASS_KG else self.unit
        return _quantity(self.value / _MASS_KG[unit] if self.mass else self.value, unit)


def _total(items: Sequence[tuple[float, str]]) -> _Amount | str:
    """The sum of (quantity, unit) pairs, or why they cannot be added (a mass and a count, two counts)."""
    units = sorted({unit for _, unit in items})
    if units and all(unit in _MASS_KG for unit in units):
        kilograms = sum(value * _MASS_KG[unit] for value, unit in items)
        return _Amount(kilograms, units[0] if len(units) == 1 else "KGM", True)
    if len(units) == 1:
        return _Amount(sum(value for value, _ in items), units[0], False)
    return f"cannot compare units: {', '.join(units) or 'none'}"


def _comparable(first: _Amount, second: _Amount) -> bool:
    return first.mass == second.mass and (first.mass or first.unit == second.unit)


def _tolerance_verdict(first: float, second: float, base: float, tolerance: float,
                       absolute: float = 0.0) -> tuple[bool, str]:
    """Whether two amounts agree within ``tolerance`` percent of ``base``, and the words for it."""
    if not all(math.isfinite(amount) for amount in (first, second, base)):
        return False, "cannot be compared (an amount overflows)"
    delta = abs(first - second)
    slack = max(absolute, 1e-9 * max(abs(first), abs(second)))
    if delta <= slack:
        return True, "agree"
    share = 100 * delta / abs(base) if base else math.inf
    if delta <= abs(base) * tolerance / 100 + slack:
        return True, f"differ by {_percent(share)}, within the {tolerance:g}% tolerance"
    return False, f"differ by {_percent(share)}, tolerance {tolerance:g}%"


def _line_quantity(line: dict[str, Any], key: str = "quantity", unit_key: str = "unitCode") -> tuple[float, str] | None:
    quantity, unit = _number(line.get(key)), _text(line.get(unit_key))
    return (quantity, unit) if quantity is not None and unit is not None else None


# -- parties ------------------------------------------------------------------------------------------------------


def compare_parties(first: dict[str, Any], second: dict[str, Any]) -> tuple[Status, str, str]:
    """Whether two parties are the same trader: by ``id`` or a shared identifier, never by name.

    Agree when they share a value under ``id``, taxId, eori, importerOfRecordNumber or traderIdentificationNumber
    and no shared key holds different values; differ when one does; not comparable when they share no key.
    Returns (status, code, words).
    """
    shared = [(key, _text(first.get(key)), _text(second.get(key))) for key in ("id", *_IDENTIFIERS)]
    both = [(key, a, b) for key, a, b in shared if a is not None and b is not None]
    conflicts = [f"{key} {a} ≠ {b}" for key, a, b in both if a != b]
    if conflicts:
        return FAILED, "parties_differ", f"differ ({'; '.join(conflicts)})"
    if both:
        return PASSED, "parties_agree", f"agree (same {'; '.join(f'{key} {a}' for key, a, _ in both)})"
    return (ERROR, "party_not_comparable",
            "cannot be compared: they share no id, taxId, eori, importerOfRecordNumber or traderIdentificationNumber "
            "(names are never matched)")


def _who(party: dict[str, Any]) -> str:
    name = _text(party.get("legalName"))
    return f" {name}" if name else ""


# (kind, subject field, role in messages, required by the kind's schema)
_SELLER_SIDE = (
    ("invoice", "seller", "seller", True),
    ("origin", "exporterDetails", "exporter", True),
    ("bill-of-lading", "shipper", "shipper", True),
    ("export-declaration", "exporter", "exporter", True),
    ("sima-licence", "exporter", "exporter", False),
)
_BUYER_SIDE = (
    ("invoice", "buyer", "buyer", True),
    ("origin", "importerDetails", "importer", False),
    ("bill-of-lading", "consignee", "consignee", True),
    ("export-declaration", "consignee", "consignee", True),
    ("sima-licence", "importer", "importer", True),
    ("entry-summary", "importerOfRecord", "importer of record", True),
)


def _party_comparison(shipment: Shipment, left: tuple[Document, str, dict[str, Any]],
                      right: tuple[Document, str, dict[str, Any]]) -> Outcome:
    (a_doc, a_role, a), (b_doc, b_role, b) = left, right
    status, code, words = compare_parties(a, b)
    return (status, code,
            f"{shipment.ref(a_doc)} {a_role}{_who(a)} ↔ {shipment.ref(b_doc)} {b_role}{_who(b)}: {words}")


def _side(shipment: Shipment, side: Sequence[tuple[str, str, str, bool]]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    parties: list[tuple[Document, str, dict[str, Any]]] = []
    for kind, key, role, required in side:
        for document in shipment.of(kind):
            party = document.field(key)
            if isinstance(party, dict):
                parties.append((document, role, party))
            elif required or party is not None:
                outcomes.append((FAILED, "field_invalid",
                                 f"{document.label} has no {role} to compare (credentialSubject.{key} is "
                                 f"{'missing' if party is None else 'not a party object'})"))
    if parties:  # the anchor: the invoice's party (the invoice comes first), else the first document's
        anchor, *others = parties
        outcomes.extend(_party_comparison(shipment, anchor, other) for other in others)
    return outcomes


_PARTY_KINDS = {kind for kind, *_ in _SELLER_SIDE + _BUYER_SIDE} - {"invoice"}  # what the invoice's parties meet


def _parties(shipment: Shipment) -> list[Outcome]:
    if not any(shipment.has(kind) for kind in _PARTY_KINDS) and len(shipment.of("invoice")) < 2:
        status = FAILED if _PARTY_KINDS & set(shipment.settings.required) else ERROR
        return [(status, "documents_missing",
                 "needs an invoice and another document that names the parties (certificate of origin, bill of lading, "
                 "export declaration, SIMA licence or entry summary); the shipment has none")]
    return _side(shipment, _SELLER_SIDE) + _side(shipment, _BUYER_SIDE)


# -- goods: HS coverage, SIMA licences, heats and melt-and-pour ------------------------------------------------------


def _invalid(where: str, key: str, value: Any, expected: str) -> Outcome:
    """The outcome for a field a comparison needs that is missing or malformed."""
    return FAILED, "field_invalid", f"{where}: {key} is {_show(value)}, not {expected}"


def _lines_of(document: Document, outcomes: list[Outcome], key: str = "lines") -> list[tuple[int, dict[str, Any]]]:
    """A document's lines; a failed outcome when it has none to compare."""
    lines = document.lines(key)
    if not lines:
        outcomes.append(_invalid(document.label, f"credentialSubject.{key}", document.field(key), "a list of objects"))
    return lines


def _hs_coverage(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    goods = [(coo, number, _hs(good.get("hsCode")), _text(good.get("countryOfOrigin")))
             for coo in shipment.of("origin") for number, good in coo.lines("goods")]
    for invoice in shipment.of("invoice"):
        for number, line in _lines_of(invoice, outcomes):
            where = f"{shipment.ref(invoice)} line {number}"
            hs, origin = _hs(line.get("hsCode")), _text(line.get("countryOfOrigin"))
            if hs is None:
                outcomes.append(_invalid(where, "hsCode", line.get("hsCode"), "an HS code of at least 6 digits"))
                continue
            if origin is None:
                outcomes.append(_invalid(where, "countryOfOrigin", line.get("countryOfOrigin"), "a country code"))
                continue
            said = f"{where} HS {_dotted(hs)}, origin {origin}"
            same_heading = [(coo, n, good_hs, good_origin) for coo, n, good_hs, good_origin in goods
                            if good_hs is not None and good_hs[:6] == hs[:6]]
            cover = next(((coo, n, good_hs) for coo, n, good_hs, good_origin in same_heading if good_origin == origin), None)
            if cover is not None:
                coo, n, good_hs = cover
                outcomes.append((PASSED, "hs_covered",
                                 f"{said} ↔ {shipment.ref(coo)} good {n} HS {_dotted(good_hs)}, origin {origin}: agree"))
                continue
            near = "; ".join(f"{shipment.ref(coo)} good {n} HS {_dotted(good_hs)} is of origin {good_origin or 'unknown'}"
                             for coo, n, good_hs, good_origin in same_heading)
            outcomes.append((FAILED, "hs_not_covered",
                             f"{said}: no certificate of origin good covers HS {_dotted(hs[:6])} of origin {origin}"
                             + (f" ({near})" if near else "")))
    return outcomes


def _steel_lines(shipment: Shipment) -> list[tuple[Document, int, dict[str, Any], str]]:
    """Every invoice line whose HS code is in chapter 72 or 73: (invoice, line number, line, HS digits)."""
    found = []
    for invoice in shipment.of("invoice"):
        for number, line in invoice.lines():
            hs = _hs(line.get("hsCode"))
            if hs is not None and _is_steel(hs):
                found.append((invoice, number, line, hs))
    return found


def _licence_for(shipment: Shipment, hs: str, origin: str | None) -> Document | None:
    """The SIMA licence of a steel line: HS codes compatible (one extends the other, ≥ 6 digits), same origin.

    A licence that verifies is preferred to one that does not, then the longest common HS code.
    """
    candidates = []
    for position, licence in enumerate(shipment.of("sima-licence")):
        licensed = _hs(licence.field("hsCode"))
        if (licensed is not None and origin is not None and (licensed.startswith(hs) or hs.startswith(licensed))
                and _text(licence.field("countryOfOrigin")) == origin):
            candidates.append((not licence.result.verified, -min(len(hs), len(licensed)), position, licence))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def _why_not_verified(result: VerificationResult) -> str:
    """Why a document's own verification did not pass, in a few words."""
    problems = [check for check in result.all_checks() if check.status != PASSED]
    for check in problems:
        if check.code in ("revoked", "suspended"):
            return f"it was {check.code} ({check.message})"
    if not problems:
        return "its verification made no checks"
    return "it does not verify (" + "; ".join(f"{c.name}: {c.message}" for c in problems[:3]) + ")"


def _licence_said(shipment: Shipment, licence: Document) -> str:
    hs = _hs(licence.field("hsCode"))
    return (f"{shipment.ref(licence)} HS {_dotted(hs) if hs else _show(licence.field('hsCode'))}, "
            f"origin {_text(licence.field('countryOfOrigin')) or 'unknown'}")


def _lines_text(shipment: Shipment, lines: Sequence[tuple[Document, int]]) -> str:
    """ "invoice lines 1 and 2", "invoice INV-1 line 1 and invoice INV-2 line 3"."""
    numbers: dict[str, list[str]] = {}
    for invoice, number in lines:
        numbers.setdefault(shipment.ref(invoice), []).append(str(number))
    return _numbered(f"{ref} line{'s' if len(found) > 1 else ''} {_numbered(found)}" for ref, found in numbers.items())


def _licence_quantity(shipment: Shipment, licence: Document,
                      lines: Sequence[tuple[Document, int, dict[str, Any]]]) -> list[Outcome]:
    """The invoice quantities matched to one licence, together, do not exceed its quantity."""
    licensed = _line_quantity(licence.subject)
    if licensed is None:
        return [_invalid(licence.label, "quantity/unitCode", [licence.field("quantity"), licence.field("unitCode")],
                         "a quantity with its unit")]
    outcomes: list[Outcome] = []
    items = []
    for invoice, number, line in lines:
        item = _line_quantity(line)
        if item is None:
            outcomes.append(_invalid(f"{shipment.ref(invoice)} line {number}", "quantity/unitCode",
                                     [line.get("quantity"), line.get("unitCode")], "a quantity with its unit"))
        else:
            items.append(item)
    if outcomes:
        return outcomes
    allowed, invoiced = _total([licensed]), _total(items)
    said = _lines_text(shipment, [(invoice, number) for invoice, number, _ in lines])
    if isinstance(allowed, str) or isinstance(invoiced, str) or not _comparable(allowed, invoiced):
        units = sorted({licensed[1], *(unit for _, unit in items)})
        return [(ERROR, "units_not_comparable",
                 f"{shipment.ref(licence)} quantity ↔ {said}: cannot compare units ({', '.join(units)})")]
    words = f"{shipment.ref(licence)} {allowed.shown()} ↔ {said} {invoiced.shown(allowed.unit)}"
    excess = invoiced.value - allowed.value
    if not math.isfinite(excess):
        return [(FAILED, "sima_quantity_exceeded", f"{words}: cannot be compared (an amount overflows)")]
    if excess <= 1e-9 * max(allowed.value, invoiced.value):
        return [(PASSED, "sima_quantity_within", f"{words}: within the licence")]
    over = _Amount(excess, allowed.unit, allowed.mass).shown(allowed.unit)
    return [(FAILED, "sima_quantity_exceeded", f"{words}: the invoice exceeds the licence by {over}")]


def _sima(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    matched: dict[int, tuple[Document, list[tuple[Document, int, dict[str, Any]]]]] = {}
    for invoice, number, line, hs in _steel_lines(shipment):
        where = f"{shipment.ref(invoice)} line {number}"
        origin = _text(line.get("countryOfOrigin"))
        if origin is None:
            outcomes.append(_invalid(where, "countryOfOrigin", line.get("countryOfOrigin"), "a country code"))
            continue
        said = f"{where} HS {_dotted(hs)}, origin {origin}"
        licence = _licence_for(shipment, hs, origin)
        if licence is None:
            known = "; ".join(_licence_said(shipment, other) for other in shipment.of("sima-licence"))
            outcomes.append((FAILED, "sima_missing", f"{said}: no SIMA licence in the shipment covers it ({known})"))
            continue
        if licence.result.verified:
            outcomes.append((PASSED, "sima_licensed", f"{said} ↔ {_licence_said(shipment, licence)}: licensed"))
        else:
            outcomes.append((FAILED, "sima_licence_invalid",
                             f"{said} ↔ {_licence_said(shipment, licence)}: not a valid licence, "
                             f"{_why_not_verified(licence.result)}"))
        matched.setdefault(id(licence), (licence, []))[1].append((invoice, number, line))
    for licence, lines in matched.values():
        outcomes.extend(_licence_quantity(shipment, licence, lines))
    return outcomes


def _melt_and_pour(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    reports: dict[str, Document] = {}
    for report in shipment.of("mill-test-report"):
        for _, heat in report.lines("heats"):
            heat_number = _text(heat.get("heatNumber"))
            if heat_number is not None:
                reports.setdefault(heat_number, report)
    for invoice, number, line, hs in _steel_lines(shipment):
        where = f"{shipment.ref(invoice)} line {number}"
        heats = line.get("heatNumbers")
        if not isinstance(heats, list) or not heats:
            outcomes.append((FAILED, "heat_numbers_missing",
                             f"{where} HS {_dotted(hs)} is steel and names no heat numbers: where it was melted and "
                             "poured cannot be traced"))
            continue
        licence = _licence_for(shipment, hs, _text(line.get("countryOfOrigin")))
        for heat in heats:
            outcomes.append(_heat_outcome(shipment, where, heat, reports, licence))
    return outcomes


def _heat_outcome(shipment: Shipment, where: str, heat: Any, reports: dict[str, Document],
                  licence: Document | None) -> Outcome:
    number = _text(heat)
    if number is None:
        return _invalid(where, "heatNumbers", heat, "a heat number")
    report = reports.get(number)
    if report is None:
        return FAILED, "heat_not_reported", f"{where} heat {number}: on no mill test report in the shipment"
    melted = _text(report.field("countryOfMeltAndPour"))
    if melted is None:
        return _invalid(report.label, "countryOfMeltAndPour", report.field("countryOfMeltAndPour"), "a country code")
    said = f"{where} heat {number}: {shipment.ref(report)} melt and pour {melted}"
    if licence is None:
        return ERROR, "melt_pour_not_comparable", f"{said} ↔ no SIMA licence matches the line to compare with"
    licensed = _text(licence.field("countryOfMeltAndPour"))
    if licensed is None:
        return _invalid(licence.label, "countryOfMeltAndPour", licence.field("countryOfMeltAndPour"), "a country code")
    words = f"{said} ↔ {shipment.ref(licence)} melt and pour {licensed}"
    if melted == licensed:
        return PASSED, "melt_pour_agree", f"{words}: agree"
    return FAILED, "melt_pour_differ", f"{words}: differ"


# -- weights, the export declaration, validity, the entry summary's references ------------------------------------


def _weights(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    gross: list[tuple[float, str]] = []
    for bill in shipment.of("bill-of-lading"):
        for number, good in _lines_of(bill, outcomes, "goods"):
            item = _line_quantity(good, "grossWeight", "weightUnit")
            if item is None or item[1] not in _MASS_KG:
                outcomes.append(_invalid(f"{shipment.ref(bill)} good {number}", "grossWeight/weightUnit",
                                         [good.get("grossWeight"), good.get("weightUnit")], "a weight in KGM, TNE or LBR"))
            else:
                gross.append(item)
    invoiced: list[tuple[float, str]] = []
    for invoice in shipment.of("invoice"):
        for number, line in _lines_of(invoice, outcomes):
            where = f"{shipment.ref(invoice)} line {number}"
            item = _line_quantity(line)
            if item is None:
                outcomes.append(_invalid(where, "quantity/unitCode", [line.get("quantity"), line.get("unitCode")],
                                         "a quantity with its unit"))
            elif item[1] not in _MASS_KG:
                outcomes.append((ERROR, "units_not_comparable",
                                 f"{where} quantity {_quantity(*item)} is not a mass: cannot compare units with the "
                                 "bill of lading's gross weight"))
            else:
                invoiced.append(item)
    shipped, sold = _total(gross), _total(invoiced)
    if outcomes or isinstance(shipped, str) or isinstance(sold, str):
        return outcomes  # a partial sum would compare the wrong totals (and each problem is an outcome already)
    ok, words = _tolerance_verdict(shipped.value, sold.value, sold.value, shipment.settings.weight_tolerance)
    message = (f"{shipment.all('bill-of-lading')} gross weight {shipped.shown(sold.unit)} ↔ "
               f"{shipment.all('invoice')} {sold.shown()}: {words}")
    return [(PASSED, "weights_agree", message) if ok else (FAILED, "weights_differ", message)]


def _export_authority(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    authorities = shipment.settings.customs_authorities
    for declaration in shipment.of("export-declaration"):
        issuer = issuer_id(declaration.credential) or "(no issuer)"
        said = f"{shipment.ref(declaration)} issuer {issuer}"
        country = _text(declaration.field("countryOfExportation"))
        if authorities is None:
            outcomes.append((ERROR, "authorities_unknown",
                             f"{said}: no policy names the customs authorities it recognizes"))
            continue
        countries = [listed for did, listed in authorities if did == issuer]
        if not countries:
            outcomes.append((FAILED, "authority_not_recognized",
                             f"{said}: not a customs authority this policy recognizes"))
        elif "" in countries or country in countries:
            outcomes.append((PASSED, "authority_recognized",
                             f"{said} ↔ the policy's customs authorities: recognized"
                             + (f" for {country}, the country of exportation" if country in countries else "")))
        else:
            outcomes.append((FAILED, "authority_not_recognized",
                             f"{said}: recognized for {_numbered(sorted(set(countries)))}, not for "
                             f"{country or 'an unnamed country'}, the country of exportation"))
    return outcomes


@dataclass(frozen=True)
class _Side:
    """One kind's lines summed by HS heading (first 6 digits): quantities and values, in one currency."""

    noun: str
    quantities: dict[str, list[tuple[float, str]]]
    values: dict[str, float]
    currency: str | None


def _by_heading(shipment: Shipment, kind: str, value_key: str | None, outcomes: list[Outcome]) -> _Side:
    """The kind's lines by HS heading; ``value_key`` None: quantity × unitPrice (an invoice)."""
    quantities: dict[str, list[tuple[float, str]]] = {}
    values: dict[str, float] = {}
    currencies = set()
    amount_key = "unitPrice" if value_key is None else value_key
    for document in shipment.of(kind):
        currencies.add(_text(document.field("currency")))
        for number, line in _lines_of(document, outcomes):
            where = f"{shipment.ref(document)} line {number}"
            hs, item, price = _hs(line.get("hsCode")), _line_quantity(line), _number(line.get(amount_key))
            if hs is None:
                outcomes.append(_invalid(where, "hsCode", line.get("hsCode"), "an HS code of at least 6 digits"))
            elif item is None:
                outcomes.append(_invalid(where, "quantity/unitCode", [line.get("quantity"), line.get("unitCode")],
                                         "a quantity with its unit"))
            elif price is None:
                outcomes.append(_invalid(where, amount_key, line.get(amount_key), "an amount"))
            else:
                quantities.setdefault(hs[:6], []).append(item)
                values[hs[:6]] = values.get(hs[:6], 0.0) + (item[0] * price if value_key is None else price)
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    return _Side(shipment.all(kind), quantities, values, currency)


def _compare_sides(export: _Side, other: _Side, settings: WorkflowSettings) -> list[Outcome]:
    outcomes: list[Outcome] = []
    currency = export.currency if export.currency == other.currency else None
    if currency is None:
        outcomes.append((ERROR, "currencies_differ",
                         f"values: {export.noun} in {export.currency or 'no single currency'} ↔ {other.noun} in "
                         f"{other.currency or 'no single currency'}: cannot compare values"))
    for heading in sorted(set(export.quantities) | set(other.quantities)):
        said = f"HS {_dotted(heading)}"
        if heading not in export.quantities or heading not in other.quantities:
            on, off = (export, other) if heading in export.quantities else (other, export)
            total = _total(on.quantities[heading])
            amount = total if isinstance(total, str) else total.shown()
            outcomes.append((FAILED, "hs_unmatched", f"{said}: on the {on.noun} ({amount}), on no {off.noun} line"))
            continue
        declared, matched = _total(export.quantities[heading]), _total(other.quantities[heading])
        if isinstance(declared, str) or isinstance(matched, str) or not _comparable(declared, matched):
            units = sorted({unit for _, unit in export.quantities[heading] + other.quantities[heading]})
            outcomes.append((ERROR, "units_not_comparable",
                             f"{said} quantity: {export.noun} ↔ {other.noun}: cannot compare units ({', '.join(units)})"))
        else:
            ok, words = _tolerance_verdict(declared.value, matched.value, declared.value, settings.quantity_tolerance)
            message = f"{said} quantity: {export.noun} {declared.shown()} ↔ {other.noun} {matched.shown(declared.unit)}: {words}"
            outcomes.append((PASSED, "quantities_agree", message) if ok else (FAILED, "quantities_differ", message))
        if currency is not None:
            first, second = export.values[heading], other.values[heading]
            ok, words = _tolerance_verdict(first, second, first, settings.value_tolerance, absolute=0.005)
            message = (f"{said} value: {export.noun} {_money(first, currency)} ↔ "
                       f"{other.noun} {_money(second, currency)}: {words}")
            outcomes.append((PASSED, "values_agree", message) if ok else (FAILED, "values_differ", message))
    return outcomes


def _export_match(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    invoice = shipment.of("invoice")[0]
    for declaration in shipment.of("export-declaration"):
        for key, invoice_key in (("exporter", "seller"), ("consignee", "buyer")):
            declared, invoiced = declaration.field(key), invoice.field(invoice_key)
            if not isinstance(declared, dict):
                outcomes.append(_invalid(declaration.label, key, declared, "a party"))
            elif not isinstance(invoiced, dict):
                outcomes.append(_invalid(invoice.label, invoice_key, invoiced, "a party"))
            else:
                outcomes.append(_party_comparison(shipment, (declaration, key, declared), (invoice, invoice_key, invoiced)))
    exported = _by_heading(shipment, "export-declaration", "value", outcomes)
    outcomes.extend(_compare_sides(exported, _by_heading(shipment, "invoice", None, outcomes), shipment.settings))
    if shipment.has("entry-summary"):
        entered = _by_heading(shipment, "entry-summary", "enteredValue", outcomes)
        outcomes.extend(_compare_sides(exported, entered, shipment.settings))
    return outcomes


# (kind, field, what happened that day): the first that a shipment has gives its date
_SHIPMENT_DATES = (
    ("bill-of-lading", "shippedOnBoardDate", "shipped on board"),
    ("export-declaration", "exportDate", "exported"),
    ("invoice", "invoiceDate", "invoiced"),
)


def _validity(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    found: tuple[date, str] | None = None
    for kind, key, event in _SHIPMENT_DATES:
        for document in shipment.of(kind):
            value = document.field(key)
            day = _business_date(value)
            if day is None:
                outcomes.append(_invalid(document.label, key, value, "a date YYYY-MM-DD"))
            elif found is None:
                found = day, f"{shipment.ref(document)} {event}"
        if found is not None:
            break
    if found is None:
        return outcomes + [(ERROR, "shipment_date_unknown",
                            "the shipment date is unknown: no bill of lading shippedOnBoardDate, export declaration "
                            "exportDate or invoice invoiceDate to judge the documents' validity periods by")]
    day, source = found
    for document in shipment.documents:
        if "validUntil" not in document.credential:
            continue  # no period of validity: validFrom alone says when the document was issued (perhaps after the date)
        try:
            start = parse_datetime(document.credential["validFrom"]).date() if "validFrom" in document.credential else None
            end = parse_datetime(document.credential["validUntil"]).date()
        except InvalidDocument as exc:
            outcomes.append((FAILED, "field_invalid", f"{document.label}: validFrom/validUntil {exc}"))
            continue
        words = f"{document.label} valid {start or 'from any date'} to {end} ↔ shipment date {day} ({source})"
        if (start is None or start <= day) and day <= end:
            outcomes.append((PASSED, "date_covered", f"{words}: covered"))
        else:
            outcomes.append((FAILED, "date_not_covered", f"{words}: not covered"))
    return outcomes


def _reference(shipment: Shipment, said: str, value: Any, kind: str, known: dict[str, Document]) -> Outcome:
    """An entry summary's reference to another document of the shipment (by its number or id)."""
    wanted = _text(value)
    if wanted is None:
        return _invalid(said, "the reference", value, "a document number or id")
    if not shipment.has(kind):
        status, code, _ = shipment.missing((kind,), (kind,))
        return status, code, f"{said} {wanted} ↔ the shipment has no {_kind(kind).noun}: the reference cannot be checked"
    found = known.get(wanted)
    if found is not None:
        return PASSED, "reference_resolved", f"{said} {wanted} ↔ {found.label}: found"
    return (FAILED, "reference_unresolved",
            f"{said} {wanted} ↔ {_kind(kind).plural} in the shipment ({', '.join(known) or 'none identified'}): not found")


def _numbers(shipment: Shipment, kind: str, key: str | None) -> dict[str, Document]:
    """A kind's documents by their number (subject field ``key``), or by credential id when ``key`` is None."""
    found: dict[str, Document] = {}
    for document in shipment.of(kind):
        number = _text(document.credential.get("id") if key is None else document.field(key))
        if number is not None:
            found.setdefault(number, document)
    return found


def _entry_references(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    invoices = _numbers(shipment, "invoice", "invoiceNumber")
    origins = _numbers(shipment, "origin", None)
    bills = _numbers(shipment, "bill-of-lading", "billOfLadingNumber")
    licences = _numbers(shipment, "sima-licence", "licenseNumber")
    for entry in shipment.of("entry-summary"):
        where = shipment.ref(entry)
        outcomes.append(_reference(shipment, f"{where} invoice number", entry.field("invoiceNumber"), "invoice", invoices))
        if entry.field("certificateOfOrigin") is not None:
            outcomes.append(_reference(shipment, f"{where} certificate of origin", entry.field("certificateOfOrigin"),
                                       "origin", origins))
        if entry.field("billOfLadingNumber") is not None:
            outcomes.append(_reference(shipment, f"{where} bill of lading", entry.field("billOfLadingNumber"),
                                       "bill-of-lading", bills))
        for number, line in entry.lines():
            if line.get("simaLicenseNumber") is not None:
                outcomes.append(_reference(shipment, f"{where} line {number} SIMA licence", line.get("simaLicenseNumber"),
                                           "sima-licence", licences))
    return outcomes


def _required_documents(shipment: Shipment) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for kind in shipment.settings.required:
        present = shipment.of(kind)
        if present:
            outcomes.append((PASSED, "document_present", f"required {_kind(kind).noun}: {_numbered(d.label for d in present)}"))
        else:
            outcomes.append((FAILED, "document_missing",
                             f"required {_kind(kind).noun}: the shipment has no {_kind(kind).noun}"))
    return outcomes


STEEL_IMPORT_RULES: tuple[ShipmentRule, ...] = (
    ShipmentRule("shipment.documents", (), _required_documents),
    ShipmentRule("shipment.parties", ("invoice",), _parties),
    ShipmentRule("shipment.hs-coverage", ("invoice", "origin"), _hs_coverage),
    ShipmentRule("shipment.melt-and-pour", ("invoice", "mill-test-report", "sima-licence"), _melt_and_pour),
    ShipmentRule("shipment.sima", ("invoice", "sima-licence"), _sima),
    ShipmentRule("shipment.weights", ("invoice", "bill-of-lading"), _weights),
    ShipmentRule("shipment.export-authority", ("export-declaration",), _export_authority),
    ShipmentRule("shipment.export-match", ("export-declaration", "invoice"), _export_match),
    ShipmentRule("shipment.validity", (), _validity),
    ShipmentRule("shipment.entry-references", ("entry-summary",), _entry_references),
)

STEEL_IMPORT = register_workflow(Workflow(
    name="steel-import",
    definition="https://vctrade.dev/workflows/steel-import/v1",
    title="steel import into the United States: invoice, mill test report, origin, bill of lading, SIMA licence, "
          "export declaration and entry summary, checked against each other",
    documents=("aeo", "invoice", "mill-test-report", "origin", "bill-of-lading", "sima-licence", "export-declaration",
               "entry-summary"),
    rules=STEEL_IMPORT_RULES,
))


# -- the policy section and the verification hook -----------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowPolicy:
    """The policy's ``[workflow]``: which workflow judges the credentials, with what settings.

    As a rule (``policy.workflow``) it checks that the presentation names this workflow, or none: a presentation
    that names another workflow is not the shipment the policy was written for.
    """

    workflow: Workflow
    settings: WorkflowSettings
    name: str = "policy.workflow"

    def evaluate(self, subject: PolicyInput) -> list[Check]:
        """One check: the presentation names this workflow's definition, or no workflow at all."""
        named = workflow_ids(subject.presentation)
        if not named:
            given = "the presentation names no workflow" if subject.presentation is not None else "no presentation"
            return [Check(self.name, PASSED, "workflow_applies",
                          f"checked as a {self.workflow.name} shipment ({given})")]
        if self.workflow.definition in named:
            return [Check(self.name, PASSED, "workflow_applies",
                          f"the presentation names the {self.workflow.name} workflow ({self.workflow.definition})")]
        return [Check(self.name, FAILED, "workflow_mismatch",
                      f"the presentation names workflow {', '.join(named)}; this policy checks {self.workflow.name} "
                      f"shipments ({self.workflow.definition})")]


def _tolerance(section: dict[str, Any], key: str, default: float, source: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise PolicyError(f"{source}: [workflow] {key} must be a number of percent ≥ 0, not {value!r}")
    return float(value)


def _parse_section(data: dict[str, Any], source: str) -> list[Rule]:
    section = data.get("workflow")
    if not isinstance(section, dict):
        raise PolicyError(f"{source}: [workflow] must be a table")
    allowed = ("name", "required", "weight_tolerance", "quantity_tolerance", "value_tolerance")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise PolicyError(f"{source}: [workflow] has unknown key(s): {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    name = section.get("name")
    if not isinstance(name, str):
        raise PolicyError(f"{source}: [workflow] needs name = a registered workflow "
                          f"({', '.join(sorted(workflows())) or 'none registered'})")
    try:
        workflow = get_workflow(name)
    except UnsupportedError as exc:
        raise PolicyError(f"{source}: [workflow] {exc}") from None
    required = section.get("required", [])
    if not isinstance(required, list) or not all(isinstance(kind, str) for kind in required):
        raise PolicyError(f"{source}: [workflow] required must be a list of trade type names")
    known = trade_types()
    unknown_kinds = [kind for kind in required if kind not in known]
    if unknown_kinds:
        raise PolicyError(f"{source}: [workflow] required names unknown trade type(s): {', '.join(unknown_kinds)}; "
                          f"registered: {', '.join(sorted(known))}")
    programmes = [_programme(entry, source, position) for position, entry in enumerate(tables(data, "programme", source))]
    settings = WorkflowSettings(
        required=tuple(dict.fromkeys(required)),
        weight_tolerance=_tolerance(section, "weight_tolerance", WorkflowSettings.weight_tolerance, source),
        quantity_tolerance=_tolerance(section, "quantity_tolerance", WorkflowSettings.quantity_tolerance, source),
        value_tolerance=_tolerance(section, "value_tolerance", WorkflowSettings.value_tolerance, source),
        customs_authorities=tuple((p.authority, p.country) for p in programmes) if programmes else None,
    )
    return [WorkflowPolicy(workflow, settings)]


def _chosen(subject: PolicyInput, policy: TrustPolicy | None) -> tuple[Workflow, WorkflowSettings] | None:
    """The policy's ``[workflow]``, else the registered workflow the presentation names (default settings)."""
    rules = policy.rules if policy is not None else ()
    for rule in rules:
        if isinstance(rule, WorkflowPolicy):
            return rule.workflow, rule.settings
    for definition in workflow_ids(subject.presentation):
        workflow = workflow_for_definition(definition)
        if workflow is not None:
            # a policy without [workflow] may still list the customs authorities it recognizes ([[programme]])
            authorities = tuple((p.authority, p.country) for rule in rules if isinstance(rule, RecognizedProgrammes)
                                for p in rule.programmes)
            return workflow, WorkflowSettings(customs_authorities=authorities or None)
    return None


def workflow_hook(subject: PolicyInput, policy: TrustPolicy | None) -> VerificationResult | None:
    """The verification hook: the chosen workflow's checks over the credentials, as one nested result (or None).

    Never raises: a rule that stops is an ``error`` check (see :func:`run_rules`).
    """
    chosen = _chosen(subject, policy)
    if chosen is None:
        return None
    workflow, settings = chosen
    shipment = Shipment.from_credentials(subject.credentials, settings)
    checks = run_rules(workflow.rules, shipment)
    instance = " ".join(workflow_ids(subject.presentation, "instance"))
    return VerificationResult(tuple(checks), WORKFLOW_RESULT, None, f"{workflow.name} {instance}".strip())


register_policy_sections(("workflow",), _parse_section)
register_workflow_hook(workflow_hook)
