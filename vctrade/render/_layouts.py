"""What each kind of document shows, and in which order: one builder per trade type, and the generic one.

A builder turns a credential's subject into a :class:`Body` — a heading, the parties, facts, tables with
formatted numbers and totals, a statement — that the type's template lays out. Whatever a builder does not
place itself is still shown (``other``, in the generic way): a printed certificate hides no signed claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vctrade.render._format import (
    amount,
    column,
    date_time,
    decimal,
    money,
    quantity,
    totals_line,
    unit,
)

__all__ = ["Party", "Fact", "Column", "Table", "Body", "build_body", "LAYOUTS", "label", "is_party", "party",
           "scalar"]


@dataclass(frozen=True)
class Party:
    """A party in a role: its name, what identifies it (address, registration numbers, contact) and its DID."""

    role: str
    name: str
    details: tuple[str, ...] = ()
    id: str | None = None


@dataclass(frozen=True)
class Fact:
    """One labelled value."""

    label: str
    value: str


@dataclass(frozen=True)
class Column:
    """A table column; a numeric one is right-aligned."""

    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table of lines, with the totals shown under it and an optional note (e.g. a total that does not agree)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    totals: tuple[Fact, ...] = ()
    note: str = ""
    warning: bool = False


@dataclass(frozen=True)
class Body:
    """What a layout shows of a credential's subject."""

    heading: str
    subtitle: str = ""
    number: Fact | None = None
    highlights: tuple[Fact, ...] = ()
    parties: tuple[Party, ...] = ()
    facts: tuple[Fact, ...] = ()
    route: tuple[Fact, ...] = ()
    tables: tuple[Table, ...] = ()
    statement: str = ""
    badge: str = ""
    other: tuple[Fact, ...] = ()
    other_parties: tuple[Party, ...] = ()
    other_tables: tuple[Table, ...] = ()


# -- words ----------------------------------------------------------------------------------------------------------

_LABELS = {
    "id": "Identifier", "hsCode": "HS code", "unLocode": "UN/LOCODE", "scac": "SCAC", "eori": "EORI",
    "sviNumber": "SVI number", "ctpatAccountNumber": "C-TPAT account number", "aeoProgramme": "AEO programme",
    "aeoType": "AEO type", "aeoCertificateNumber": "AEO certificate number", "taxId": "Tax ID",
    "importerOfRecordNumber": "Importer of record no.", "traderIdentificationNumber": "Trader identification no.",
    "countryOfOrigin": "Country of origin", "countryOfMeltAndPour": "Country of melt and pour",
    "simaLicenseNumber": "SIMA licence no.", "specialProgram": "SPI", "exportDate": "Export date",
    "heatNumbers": "Heat numbers", "heatNumber": "Heat", "originCriterion": "Origin criterion",
    "incoterms": "Incoterms", "phoneNumber": "Phone", "email": "Email", "jobTitle": "Job title",
    "billOfLadingNumber": "Bill of lading no.", "invoiceNumber": "Invoice no.", "entryNumber": "Entry no.",
    "licenseNumber": "Licence no.", "reportNumber": "Report no.", "declarationNumber": "Declaration no.",
    "bookingNumber": "Booking no.", "voyageNumber": "Voyage no.", "dateOfLastValidation": "Last validated",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PARTY_IDS = ("importerOfRecordNumber", "traderIdentificationNumber", "eori", "taxId", "scac", "ctpatAccountNumber",
              "aeoCertificateNumber")
_PARTY_CONTACT = ("jobTitle", "email", "phoneNumber")
_ADDRESS = ("streetAddress", "addressLocality", "addressRegion", "postalCode", "addressCountry")


def label(key: str) -> str:
    """A field name as a label: ``countryOfMeltAndPour`` → ``Country of melt and pour``."""
    if key in _LABELS:
        return _LABELS[key]
    words = _CAMEL.sub(" ", key).replace("_", " ").split()
    if not words:
        return key
    shown = [word if word.isupper() else word.lower() for word in words]
    first = shown[0]
    return " ".join([first[:1].upper() + first[1:], *shown[1:]])


def scalar(value: Any, depth: int = 0) -> str:
    """A value as one line of text: numbers formatted, lists joined, mappings as ``key value`` pairs."""
    if depth > 8:
        return "…"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if decimal(value) is not None:
        return column([value])[0]
    if isinstance(value, list):
        return ", ".join(scalar(item, depth + 1) for item in value)
    if isinstance(value, dict):
        if is_address(value):
            return address(value)
        if set(value) <= {"value", "unitCode", "type"} and "value" in value:
            return quantity(value.get("value"), value.get("unitCode"))
        return "; ".join(f"{label(str(k))} {scalar(v, depth + 1)}" for k, v in value.items() if k != "type")
    return str(value)


def is_address(value: Any) -> bool:
    return isinstance(value, dict) and "addressCountry" in value and not ("legalName" in value or "name" in value)


def address(value: dict[str, Any]) -> str:
    return ", ".join(str(value[k]) for k in _ADDRESS if value.get(k))


def is_party(value: Any) -> bool:
    return isinstance(value, dict) and ("legalName" in value or "name" in value)


def party(role: str, value: Any) -> Party:
    """A party from a subject's party object (an organization or a person); every field of it is shown."""
    if not isinstance(value, dict):
        return Party(role, scalar(value))
    name = str(value.get("legalName") or value.get("name") or value.get("id") or "?")
    details: list[str] = []
    if isinstance(value.get("address"), dict):
        details.append(address(value["address"]))
    if value.get("legalName") and value.get("name") and value["name"] != value["legalName"]:
        details.append(f"Name: {value['name']}")
    for key in _PARTY_IDS:
        if value.get(key):
            details.append(f"{label(key)}: {scalar(value[key])}")
    shown = {"type", "id", "legalName", "name", "address", *_PARTY_IDS, *_PARTY_CONTACT}
    for key, item in value.items():
        if key not in shown:
            details.append(f"{label(key)}: {scalar(item)}")
    contact = [str(value[key]) for key in _PARTY_CONTACT if value.get(key)]
    if contact:
        details.append(" · ".join(contact))
    found_id = value.get("id")
    return Party(role, name, tuple(d for d in details if d), found_id if isinstance(found_id, str) else None)


# -- tables ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One column of a lines table: its label, the field(s) it shows and how a cell is made."""

    label: str
    keys: tuple[str, ...]
    cell: Callable[[dict[str, Any]], Any] | None = None
    numeric: bool = False


def _ordered(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The mappings of a list, by ``lineNumber`` when every one has one (RDFC does not sign array order)."""
    found = [row for row in rows if isinstance(row, dict)]
    numbers = [row.get("lineNumber") for row in found]
    if found and all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return sorted(found, key=lambda row: int(row["lineNumber"]))
    return found


def lines_table(title: str, rows: Any, specs: Sequence[Spec], *, skip: Iterable[str] = ()) -> Table:
    """A table of ``rows`` with the given columns first, then one column per field no column shows.

    A numeric column is formatted as one (:func:`column`); a column no row has a value for is left out.
    """
    items = _ordered(rows if isinstance(rows, list) else [])
    specs = [spec for spec in specs if any(any(key in row for key in spec.keys) for row in items)]
    used = {key for spec in specs for key in spec.keys} | {"type", "lineNumber"} | set(skip)
    extra: list[str] = []
    for row in items:
        extra += [key for key in row if key not in used and key not in extra]
    for key in extra:
        numeric = all(decimal(row.get(key)) is not None for row in items if key in row)
        specs.append(Spec(label(key), (key,), numeric=numeric))
    cells: list[list[str]] = [[] for _ in items]
    for spec in specs:
        values = [spec.cell(row) if spec.cell else row.get(spec.keys[0]) for row in items]
        shown = column(values) if spec.numeric else [_cell(value) for value in values]
        for line, text in zip(cells, shown):
            line.append(text)
    numbered = [str(row.get("lineNumber", index + 1)) for index, row in enumerate(items)]
    return Table(title, (Column("#", True), *(Column(spec.label, spec.numeric) for spec in specs)),
                 tuple((number, *line) for number, line in zip(numbered, cells)))


def _cell(value: Any) -> str:
    if is_party(value):
        return party("", value).name
    return scalar(value)


def _product(row: dict[str, Any], left: str, right: str) -> Decimal | None:
    a, b = decimal(row.get(left)), decimal(row.get(right))
    return a * b if a is not None and b is not None else None


def _sum_by(rows: Any, value: Callable[[dict[str, Any]], Decimal | None],
            key: Callable[[dict[str, Any]], str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in _ordered(rows if isinstance(rows, list) else []):
        found = value(row)
        if found is not None:
            totals[key(row)] = totals.get(key(row), Decimal(0)) + found
    return totals


def _quantity_column(rows: list[dict[str, Any]], value_key: str = "quantity", unit_key: str = "unitCode") -> list[str]:
    """Quantities of a column formatted alike, each with its unit."""
    numbers = column(row.get(value_key) for row in rows)
    return [f"{n} {unit(row.get(unit_key))}".strip() if value_key in row else "" for n, row in zip(numbers, rows)]


def with_quantities(table: Table, rows: Any, header: str, value_key: str = "quantity",
                    unit_key: str = "unitCode") -> Table:
    """``table`` with its ``header`` column's cells replaced by the aligned quantities with their units."""
    items = _ordered(rows if isinstance(rows, list) else [])
    labels = [c.label for c in table.columns]
    if header not in labels:
        return table
    at = labels.index(header)
    shown = _quantity_column(items, value_key, unit_key)
    new_rows = tuple(row[:at] + (text,) + row[at + 1:] for row, text in zip(table.rows, shown))
    return Table(table.title, table.columns, new_rows, table.totals, table.note, table.warning)


# -- the generic layout ---------------------------------------------------------------------------------------------


@dataclass
class _Generic:
    facts: list[Fact] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


_MAX_NESTING = 4  # mappings inside mappings flattened this deep; deeper ones are shown as one line of text


def _generic(data: dict[str, Any], skip: Iterable[str] = (), prefix: str = "", into: _Generic | None = None,
             depth: int = 0) -> _Generic:
    """Every field of ``data`` not in ``skip``: parties, facts, tables of lines, nested mappings flattened."""
    found = into if into is not None else _Generic()
    skipped = set(skip) | {"type"}
    for key, value in data.items():
        if key in skipped:
            continue
        name = "Subject" if key == "id" and not prefix else f"{prefix}{label(key)}"
        if depth >= _MAX_NESTING:
            found.facts.append(Fact(name, scalar(value)))
        elif is_party(value):
            found.parties.append(party(name, value))
        elif isinstance(value, list) and value and all(is_party(item) for item in value):
            found.parties.extend(party(name, item) for item in value)
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            found.tables.append(lines_table(name, value, ()))
        elif isinstance(value, dict) and not is_address(value) and not (set(value) <= {"value", "unitCode", "type"}):
            _generic(value, (), f"{name} › ", found, depth + 1)
        else:
            found.facts.append(Fact(name, scalar(value)))
    return found


def generic_body(subject: dict[str, Any], heading: str, subtitle: str = "") -> Body:
    """The generic layout: every field of the subject."""
    found = _generic(subject)
    return Body(heading, subtitle, parties=tuple(found.parties), facts=tuple(found.facts), tables=tuple(found.tables))


def _rest(subject: dict[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """What the generic part shows: the subject's fields a layout did not place (its id is shown as the subject's)."""
    return {k: v for k, v in subject.items() if k not in set(used) | {"type", "id"}}


def _body(heading: str, subject: dict[str, Any], used: Iterable[str], **parts: Any) -> Body:
    rest = _generic(_rest(subject, used))
    return Body(heading, other=tuple(rest.facts), other_parties=tuple(rest.parties), other_tables=tuple(rest.tables),
                **parts)


def _facts(subject: dict[str, Any], keys: Iterable[str], dates: Iterable[str] = ()) -> tuple[Fact, ...]:
    dated = set(dates)
    return tuple(Fact(label(key), date_time(subject[key]) if key in dated else scalar(subject[key]))
                 for key in keys if subject.get(key) not in (None, ""))


def _parties(subject: dict[str, Any], roles: Sequence[tuple[str, str]]) -> tuple[Party, ...]:
    return tuple(party(role, subject[key]) for key, role in roles if subject.get(key) is not None)


def _total(title: str, totals: dict[str, Decimal], kind: str = "money") -> tuple[Fact, ...]:
    return (Fact(title, totals_line(totals, kind)),) if totals else ()


# -- one layout per trade type --------------------------------------------------------------------------------------


def _aeo(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    from vctrade.trade._types.aeo import AEO_PROGRAMME_NAMES

    programme = str(subject.get("aeoProgramme", ""))
    level = subject.get("tier") or subject.get("aeoType")
    heading = ("C-TPAT Certification" if programme == "C-TPAT"
               else f"{programme} Authorised Economic Operator Certificate".strip())
    highlights = [Fact("Certified operator", str(subject.get("legalName") or subject.get("id") or "?"))]
    highlights.append(Fact("Programme", AEO_PROGRAMME_NAMES.get(programme, programme) or "?"))
    if level:
        highlights.append(Fact("Tier" if subject.get("tier") else "AEO type", str(level)))
    if subject.get("tradeRole"):
        highlights.append(Fact("Trade role", str(subject["tradeRole"])))
    fact_keys = ("ctpatAccountNumber", "sviNumber", "aeoCertificateNumber", "tradeSector", "issuingCountry",
                 "dateOfLastValidation")
    facts = _facts(subject, fact_keys, dates=("dateOfLastValidation",))
    shown = {"aeoProgramme", "tier", "aeoType", "tradeRole", *fact_keys}
    operator = party("Certified operator", {k: v for k, v in subject.items() if k not in shown})
    used = set(subject)  # the operator party shows every remaining field of the subject
    return _body(heading, subject, used, subtitle=AEO_PROGRAMME_NAMES.get(programme, ""), badge=programme,
                 number=Fact("Account no.", str(subject["ctpatAccountNumber"])) if subject.get("ctpatAccountNumber")
                 else None, highlights=tuple(highlights), parties=(operator,), facts=facts)


_GOODS = (
    Spec("Description", ("description",)),
    Spec("HS code", ("hsCode",)),
    Spec("Origin criterion", ("originCriterion",)),
    Spec("Country of origin", ("countryOfOrigin",)),
)


def _origin(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    agreement = str(subject.get("agreement") or "")
    usmca = agreement == "USMCA"
    heading = "USMCA Certification of Origin" if usmca else f"{agreement} Certificate of Origin".strip()
    start, end = credential.get("validFrom"), credential.get("validUntil")
    scope = (f"single shipment, invoice {subject['invoiceNumber']}" if subject.get("invoiceNumber")
             else f"blanket period {date_time(start)} – {date_time(end)}")
    goods = [good for good in _ordered(subject.get("goods") or []) if isinstance(good, dict)]
    currencies = {good.get("currency") for good in goods if "unitPrice" in good}
    one = next(iter(currencies)) if len(currencies) == 1 else None
    if one:  # one currency: numeric columns, rounded to its minor units below
        prices = [Spec(f"Unit price ({one})", ("unitPrice", "currency"), numeric=True),
                  Spec(f"Amount ({one})", ("unitPrice",), cell=lambda g: _product(g, "quantity", "unitPrice"),
                       numeric=True)]
    else:  # several: each amount with its own currency, never added together
        prices = [Spec("Unit price", ("unitPrice", "currency"), cell=lambda g: money(g.get("unitPrice"), g.get("currency"))),
                  Spec("Amount", ("unitPrice",),
                       cell=lambda g: _money_or_blank(_product(g, "quantity", "unitPrice"), g.get("currency")))]
    specs = [*_GOODS, Spec("Quantity", ("quantity", "unitCode"), numeric=True), *prices]
    table = lines_table("Goods", goods, specs)
    table = with_quantities(table, goods, "Quantity")
    totals = _sum_by(goods, lambda g: _product(g, "quantity", "unitPrice"), lambda g: str(g.get("currency") or ""))
    table = _with_money_column(table, goods, one)
    table = Table(table.title, table.columns, table.rows, _total("Total", totals))
    certifier = subject.get("certifier")
    role = subject.get("certifierRole")
    parties = [party(f"Certifier ({role})" if role else "Certifier", certifier)] if certifier is not None else []
    parties += _parties(subject, (("exporterDetails", "Exporter"), ("producerDetails", "Producer"),
                                  ("importerDetails", "Importer")))
    facts = [Fact("Agreement", agreement or "?"), Fact("Certifier role", str(role or "?")), Fact("Scope", scope)]
    if subject.get("invoiceNumber"):
        facts.append(Fact("Invoice no.", str(subject["invoiceNumber"])))
    used = {"agreement", "certifierRole", "certifier", "exporterDetails", "producerDetails", "importerDetails",
            "goods", "invoiceNumber", "certificationStatement"}
    return _body(heading, subject, used, subtitle=scope, parties=tuple(parties), facts=tuple(facts), tables=(table,),
                 statement=str(subject.get("certificationStatement") or ""))


def _money_or_blank(value: Decimal | None, currency: Any) -> str:
    return "" if value is None else f"{amount(value, currency)} {currency or ''}".strip()


def _with_money_column(table: Table, rows: list[dict[str, Any]], currency: Any) -> Table:
    """Money columns of one currency rounded to its minor units (a numeric column alone would keep 812.5)."""
    if not currency:
        return table
    fixed = []
    money_columns = [i for i, c in enumerate(table.columns) if c.label.endswith(f"({currency})")]
    for row, source in zip(table.rows, rows):
        cells = list(row)
        for index in money_columns:
            value = decimal(_raw_money(table.columns[index].label, source))
            cells[index] = "" if value is None else amount(value, currency)
        fixed.append(tuple(cells))
    return Table(table.title, table.columns, tuple(fixed), table.totals, table.note, table.warning)


def _raw_money(column_label: str, row: dict[str, Any]) -> Any:
    if column_label.startswith("Unit price"):
        return row.get("unitPrice")
    if column_label.startswith("Amount"):
        return _product(row, "quantity", "unitPrice")
    if column_label.startswith("Value"):
        return row.get("value")
    if column_label.startswith("Entered value"):
        return row.get("enteredValue")
    return None


def _invoice(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    currency = subject.get("currency")
    code = currency if isinstance(currency, str) else ""
    lines = [line for line in _ordered(subject.get("lines") or [])]
    specs = [Spec("Description", ("description",)), Spec("HS code", ("hsCode",)),
             Spec("Origin", ("countryOfOrigin",)), Spec("Heat numbers", ("heatNumbers",)),
             Spec("Quantity", ("quantity", "unitCode"), numeric=True),
             Spec(f"Unit price ({code})", ("unitPrice",), numeric=True),
             Spec(f"Amount ({code})", ("quantity",), cell=lambda line: _product(line, "quantity", "unitPrice"),
                  numeric=True)]
    table = with_quantities(lines_table("Lines", lines, specs), lines, "Quantity")
    table = _with_money_column(table, lines, code)
    computed = _sum_by(lines, lambda line: _product(line, "quantity", "unitPrice"), lambda line: code)
    totals = list(_total("Total of the lines", computed))
    stated = decimal(subject.get("totalValue"))
    note, warning = "", False
    if stated is not None:
        totals.append(Fact("Invoice total (stated)", money(subject.get("totalValue"), code)))
        sum_ = computed.get(code)
        if sum_ is not None and abs(sum_ - stated) > Decimal("0.01"):
            note, warning = (f"The stated total {money(subject.get('totalValue'), code)} is not the sum of the lines "
                             f"({totals_line(computed)})."), True
    table = Table(table.title, table.columns, table.rows, tuple(totals), note, warning)
    used = {"invoiceNumber", "invoiceDate", "seller", "buyer", "consignee", "incoterms", "portOfEntry", "currency",
            "lines", "totalValue"}
    return _body("Commercial Invoice", subject, used,
                 number=Fact("Invoice no.", scalar(subject.get("invoiceNumber", "?"))),
                 parties=_parties(subject, (("seller", "Seller"), ("buyer", "Buyer"), ("consignee", "Consignee"))),
                 facts=_facts(subject, ("invoiceDate", "incoterms", "portOfEntry", "currency"), dates=("invoiceDate",)),
                 tables=(table,))


def _mill_test_report(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    heats = [heat for heat in _ordered(subject.get("heats") or [])]
    elements: list[str] = []
    for heat in heats:
        chemistry = heat.get("chemicalComposition")
        if isinstance(chemistry, dict):
            elements += [element for element in chemistry if element not in elements]
    chemistry_rows = [[str(heat.get("heatNumber", "?"))] for heat in heats]
    for element in elements:
        values = column((heat.get("chemicalComposition") or {}).get(element) if isinstance(
            heat.get("chemicalComposition"), dict) else None for heat in heats)
        for row, value in zip(chemistry_rows, values):
            row.append(value)
    chemistry = Table("Chemical composition (mass %)", (Column("Heat"), *(Column(e, True) for e in elements)),
                      tuple(tuple(row) for row in chemistry_rows)) if elements else None
    mechanics = _mechanics(heats)
    quantities = Table("Heats", (Column("Heat"), Column("Quantity", True)),
                       tuple((str(heat.get("heatNumber", "?")), text)
                             for heat, text in zip(heats, _quantity_column(heats))),
                       _total("Total", _sum_by(heats, lambda h: decimal(h.get("quantity")),
                                               lambda h: str(h.get("unitCode") or "")), "quantity"))
    tables = [quantities, *([chemistry] if chemistry else []), *([mechanics] if mechanics else [])]
    other_heat_fields = {k for heat in heats for k in heat} - {"type", "heatNumber", "quantity", "unitCode",
                                                                 "chemicalComposition", "mechanicalProperties"}
    if other_heat_fields:
        tables.append(lines_table("Other heat data", [{k: heat.get(k) for k in ("heatNumber", *sorted(other_heat_fields))
                                                       if k in heat} for heat in heats], (Spec("Heat", ("heatNumber",)),)))
    kind = subject.get("inspectionDocumentType")
    used = {"reportNumber", "inspectionDocumentType", "mill", "product", "hsCode", "standard", "grade",
            "countryOfMeltAndPour", "countryOfOrigin", "heats"}
    return _body("Mill Test Report", subject, used, subtitle=f"Inspection certificate {kind}" if kind else "",
                 number=Fact("Report no.", scalar(subject.get("reportNumber", "?"))),
                 parties=_parties(subject, (("mill", "Mill (melted and poured by)"),)),
                 facts=_facts(subject, ("product", "hsCode", "standard", "grade", "countryOfMeltAndPour",
                                        "countryOfOrigin") + (() if kind else ("inspectionDocumentType",))),
                 tables=tuple(tables))


def _mechanics(heats: list[dict[str, Any]]) -> Table | None:
    props: list[str] = []
    for heat in heats:
        found = heat.get("mechanicalProperties")
        if isinstance(found, dict):
            props += [name for name in found if name not in props]
    if not props:
        return None
    rows = [[str(heat.get("heatNumber", "?"))] for heat in heats]
    columns = [Column("Heat")]
    for name in props:
        values = [(heat.get("mechanicalProperties") or {}).get(name) if isinstance(heat.get("mechanicalProperties"),
                                                                                  dict) else None for heat in heats]
        units = {v.get("unitCode") for v in values if isinstance(v, dict)}
        numbers = column(v.get("value") if isinstance(v, dict) else v for v in values)
        one_unit = next(iter(units)) if len(units) == 1 else None
        suffix = f" ({unit(one_unit)})" if one_unit else " (%)" if name == "elongation" else ""
        columns.append(Column(label(name) + suffix, True))
        for row, value, number in zip(rows, values, numbers):
            row.append(f"{number} {unit(value.get('unitCode'))}".strip()
                       if isinstance(value, dict) and not one_unit else number)
    return Table("Mechanical properties", tuple(columns), tuple(tuple(row) for row in rows))


def _place(value: Any) -> str:
    if not isinstance(value, dict):
        return scalar(value)
    name = str(value.get("name") or "?")
    details = [str(value[k]) for k in ("unLocode", "addressCountry") if value.get(k)]
    return f"{name} ({', '.join(details)})" if details else name


def _bill_of_lading(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    route = tuple(Fact(title, _place(subject[key])) for key, title in
                  (("placeOfReceipt", "Place of receipt"), ("portOfLoading", "Port of loading"),
                   ("portOfDischarge", "Port of discharge"), ("placeOfDelivery", "Place of delivery"))
                  if subject.get(key) is not None)
    containers = lines_table("Containers", subject.get("containers") or [],
                             (Spec("Container no.", ("containerNumber",)), Spec("Seals", ("seals",))))
    goods_rows = [good for good in _ordered(subject.get("goods") or [])]
    goods = lines_table("Goods", goods_rows,
                        (Spec("Description", ("description",)), Spec("HS code", ("hsCode",)),
                         Spec("Packages", ("packageCount", "packageType"),
                              cell=lambda g: " ".join(x for x in (column([g.get("packageCount")])[0],
                                                                  str(g.get("packageType") or "")) if x)),
                         Spec("Gross weight", ("grossWeight", "weightUnit"), numeric=True)))
    goods = with_quantities(goods, goods_rows, "Gross weight", "grossWeight", "weightUnit")
    weights = _sum_by(goods_rows, lambda g: decimal(g.get("grossWeight")), lambda g: str(g.get("weightUnit") or ""))
    packages = _sum_by(goods_rows, lambda g: decimal(g.get("packageCount")), lambda g: str(g.get("packageType") or ""))
    totals = (*_total("Packages", packages, "quantity"), *_total("Gross weight", weights, "quantity"))
    goods = Table(goods.title, goods.columns, goods.rows, totals)
    voyage = " ".join(str(subject[k]) for k in ("vessel", "voyageNumber") if subject.get(k))
    used = {"billOfLadingNumber", "bookingNumber", "shipper", "consignee", "notifyParty", "carrier", "vessel",
            "voyageNumber", "placeOfReceipt", "portOfLoading", "portOfDischarge", "placeOfDelivery",
            "shippedOnBoardDate", "containers", "goods"}
    return _body("Multimodal Bill of Lading", subject, used, subtitle=f"Shipped on board {voyage}" if voyage else "",
                 number=Fact("B/L no.", scalar(subject.get("billOfLadingNumber", "?"))),
                 parties=_parties(subject, (("shipper", "Shipper"), ("consignee", "Consignee"),
                                            ("notifyParty", "Notify party"), ("carrier", "Carrier"))),
                 facts=_facts(subject, ("bookingNumber", "vessel", "voyageNumber", "shippedOnBoardDate"),
                              dates=("shippedOnBoardDate",)),
                 route=route, tables=tuple(t for t in (containers, goods) if t.rows))


def _sima_licence(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    highlights = (Fact("HTS number", scalar(subject.get("hsCode", "?"))),
                  Fact("Quantity", quantity(subject.get("quantity"), subject.get("unitCode"))),
                  Fact("Value", money(subject.get("value"), subject.get("currency"))))
    used = {"licenseNumber", "importer", "exporter", "mill", "hsCode", "countryOfOrigin", "countryOfMeltAndPour",
            "countryOfExportation", "quantity", "unitCode", "value", "currency", "expectedDateOfImport", "portOfEntry"}
    return _body("SIMA Steel Import Licence", subject, used,
                 subtitle="U.S. Steel Import Monitoring and Analysis (19 CFR part 360)",
                 number=Fact("Licence no.", scalar(subject.get("licenseNumber", "?"))), highlights=highlights,
                 parties=_parties(subject, (("importer", "Importer"), ("exporter", "Exporter"),
                                            ("mill", "Manufacturer (mill)"))),
                 facts=_facts(subject, ("countryOfOrigin", "countryOfMeltAndPour", "countryOfExportation",
                                        "expectedDateOfImport", "portOfEntry"), dates=("expectedDateOfImport",)))


def _declaration_lines(title: str, subject: dict[str, Any], value_key: str, value_label: str,
                       extra: Sequence[Spec] = ()) -> Table:
    currency = subject.get("currency")
    code = currency if isinstance(currency, str) else ""
    lines = [line for line in _ordered(subject.get("lines") or [])]
    specs = [Spec("Description", ("description",)), Spec("HS code", ("hsCode",)), Spec("Origin", ("countryOfOrigin",)),
             *extra, Spec("Quantity", ("quantity", "unitCode"), numeric=True),
             Spec(f"{value_label} ({code})", (value_key,), numeric=True)]
    table = with_quantities(lines_table(title, lines, specs), lines, "Quantity")
    table = _with_money_column(table, lines, code)
    totals = _sum_by(lines, lambda line: decimal(line.get(value_key)), lambda line: code)
    amounts = _sum_by(lines, lambda line: decimal(line.get("quantity")), lambda line: str(line.get("unitCode") or ""))
    return Table(table.title, table.columns, table.rows,
                 (*_total("Total quantity", amounts, "quantity"), *_total(f"Total {value_label.lower()}", totals)))


def _export_declaration(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    exported_from = subject.get("countryOfExportation")
    heading = "Export Declaration (Pedimento)" if exported_from == "MX" else "Export Declaration"
    table = _declaration_lines("Lines", subject, "value", "Value")
    used = {"declarationNumber", "customsOffice", "exportDate", "exporter", "consignee", "countryOfExportation",
            "destinationCountry", "invoiceNumber", "currency", "lines"}
    return _body(heading, subject, used,
                 subtitle=f"{exported_from or '?'} → {subject.get('destinationCountry') or '?'}",
                 number=Fact("Declaration no.", scalar(subject.get("declarationNumber", "?"))),
                 parties=_parties(subject, (("exporter", "Exporter"), ("consignee", "Consignee"))),
                 facts=_facts(subject, ("customsOffice", "exportDate", "countryOfExportation", "destinationCountry",
                                        "invoiceNumber", "currency"), dates=("exportDate",)),
                 tables=(table,))


def _entry_summary(subject: dict[str, Any], credential: dict[str, Any]) -> Body:
    table = _declaration_lines("Lines", subject, "enteredValue", "Entered value",
                               (Spec("SPI", ("specialProgram",)), Spec("SIMA licence", ("simaLicenseNumber",))))
    used = {"entryNumber", "entryType", "entryDate", "portOfEntry", "importerOfRecord", "importDate", "exportDate",
            "countryOfExportation", "billOfLadingNumber", "invoiceNumber", "certificateOfOrigin", "currency", "lines"}
    return _body("Entry Summary", subject, used, subtitle="CBP Form 7501",
                 number=Fact("Entry no.", scalar(subject.get("entryNumber", "?"))),
                 parties=_parties(subject, (("importerOfRecord", "Importer of record"),)),
                 facts=_facts(subject, ("entryType", "entryDate", "portOfEntry", "importDate", "exportDate",
                                        "countryOfExportation", "billOfLadingNumber", "invoiceNumber",
                                        "certificateOfOrigin", "currency"),
                              dates=("entryDate", "importDate", "exportDate")),
                 tables=(table,))


# trade type name -> its layout (the template of the same name lays the Body out)
LAYOUTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Body]] = {
    "aeo": _aeo,
    "origin": _origin,
    "invoice": _invoice,
    "mill-test-report": _mill_test_report,
    "bill-of-lading": _bill_of_lading,
    "sima-licence": _sima_licence,
    "export-declaration": _export_declaration,
    "entry-summary": _entry_summary,
}


def build_body(kind: str | None, credential: dict[str, Any], heading: str) -> tuple[str, list[Body]]:
    """The layout name and one Body per subject of ``credential`` (a trade type's layout, else the generic one)."""
    subjects = credential.get("credentialSubject")
    found = subjects if isinstance(subjects, list) else [subjects]
    builder = LAYOUTS.get(kind or "")
    bodies = []
    for subject in found:
        if not isinstance(subject, dict):
            bodies.append(Body(heading, facts=(Fact("Subject", scalar(subject)),)))
        elif builder is not None and len(found) == 1:
            bodies.append(builder(subject, credential))
        else:
            bodies.append(generic_body(subject, heading))
    if builder is not None and len(found) == 1 and isinstance(found[0], dict):
        return kind or "generic", bodies
    return "generic", bodies or [Body(heading)]
