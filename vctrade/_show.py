"""A readable, terminal-sized rendering of any credential or presentation (``vctrade show``).

It shows what a person checks first — who issued what about whom, when it
is valid, the goods — and summarises the proofs. It does not verify: the
output says so, and ``vctrade verify`` is the command that decides.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render", "unwrap"]

_SKIP_SUBJECT = {"type"}
_GOODS_COLUMNS = (
    ("hsCode", "HS code"),
    ("heatNumber", "Heat"),
    ("description", "Description"),
    ("countryOfOrigin", "Origin"),
    ("originCriterion", "Crit."),
    ("quantity", "Qty"),
    ("unitCode", "Unit"),
    ("unitPrice", "Unit price"),
    ("currency", "Cur."),
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value)
    if isinstance(value, dict):  # e.g. a chemical composition: C 0.18, Mn 0.85
        return ", ".join(f"{key} {_scalar(item)}" for key, item in value.items())
    return str(value)


def _address(value: dict[str, Any]) -> str:
    parts = [value.get(k) for k in ("streetAddress", "addressLocality", "addressRegion", "postalCode", "addressCountry")]
    return ", ".join(str(p) for p in parts if p)


def _party(value: Any) -> str:
    if not isinstance(value, dict):
        return _scalar(value)
    name = value.get("legalName") or value.get("name") or value.get("id") or "?"
    details = [_address(value["address"])] if isinstance(value.get("address"), dict) else []
    details += [str(value[k]) for k in ("jobTitle", "email", "phoneNumber") if value.get(k)]
    if value.get("id") and value.get("id") != name:
        details.append(str(value["id"]))
    return f"{name} ({'; '.join(details)})" if details else str(name)


def _is_party(value: Any) -> bool:
    return isinstance(value, dict) and ("legalName" in value or "name" in value)


def _table(rows: list[dict[str, Any]], indent: str) -> list[str]:
    columns = [(key, title) for key, title in _GOODS_COLUMNS if any(key in row for row in rows)]
    extra = sorted({k for row in rows for k in row} - {k for k, _ in _GOODS_COLUMNS} - {"type", "lineNumber"})
    columns += [(key, key) for key in extra]
    header = ["#"] + [title for _, title in columns]
    body = [[str(i + 1)] + [_party(row[key]) if _is_party(row.get(key)) else _scalar(row.get(key, "")) for key, _ in columns]
            for i, row in enumerate(rows)]
    widths = [min(48, max(len(line[c]) for line in [header, *body])) for c in range(len(header))]

    def fmt(line: list[str]) -> str:
        return indent + "  ".join(cell[:48].ljust(width) for cell, width in zip(line, widths)).rstrip()

    return [fmt(header), *(fmt(line) for line in body)]


def _fields(data: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    keys = [k for k in data if k not in _SKIP_SUBJECT and k != "id"]
    width = max((len(k) for k in keys), default=0)
    for key in keys:
        value = data[key]
        if isinstance(value, list) and value and all(isinstance(v, dict) and not _is_party(v) for v in value):
            lines.append(f"{indent}{key} ({len(value)} lines):")
            lines.extend(_table(value, indent + "  "))
        elif isinstance(value, dict) and "addressCountry" in value:
            lines.append(f"{indent}{key:<{width}}  {_address(value)}")
        elif isinstance(value, dict) and ("legalName" in value or "name" in value):
            lines.append(f"{indent}{key:<{width}}  {_party(value)}")
        elif isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.extend(_fields(value, indent + "  "))
        elif isinstance(value, list):
            lines.append(f"{indent}{key:<{width}}  " + "; ".join(_party(v) for v in value))
        else:
            lines.append(f"{indent}{key:<{width}}  {_scalar(value)}")
    return lines


def _summary(document: dict[str, Any]) -> str | None:
    from vctrade.trade import trade_type_of  # the trade plug-in words its own documents

    trade_type = trade_type_of(document)
    return trade_type.summary(document) if trade_type is not None else None


def _issuer(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        return f"{issuer.get('name', '')} ({issuer.get('id')})".strip() if issuer.get("name") else str(issuer.get("id"))
    return _scalar(issuer)


def _proofs(document: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for proof in _as_list(document.get("proof")):
        if not isinstance(proof, dict):
            lines.append(f"{indent}(malformed proof)")
            continue
        suite = proof.get("cryptosuite") or proof.get("type")
        lines.append(
            f"{indent}{suite} by {proof.get('verificationMethod')} for {proof.get('proofPurpose')}, "
            f"created {proof.get('created', '?')}" + (f", chained to {proof['previousProof']}" if proof.get("previousProof") else "")
        )
    return lines or [f"{indent}none (unsigned)"]


_PARTY_ROLES = ("seller", "buyer", "exporterDetails", "producerDetails", "importerDetails", "shipper", "consignee",
                "notifyParty", "carrier", "mill", "exporter", "importer", "manufacturer", "importerOfRecord")


def _shipment(presentation: dict[str, Any]) -> list[str]:
    """A workflow presentation at a glance: its documents, the parties and their roles, the invoiced goods."""
    from vctrade.trade import trade_type_of

    workflow = presentation.get("workflow")
    workflow = workflow if isinstance(workflow, dict) else {}
    lines = [f"Shipment  workflow {_scalar(workflow.get('definition', '?'))}, instance {_scalar(workflow.get('instance', '?'))}"]
    documents = [d for d in _as_list(presentation.get("verifiableCredential")) if isinstance(d, dict)]
    kinds = [(found.name if (found := trade_type_of(d)) else "other") for d in documents]
    width = max((len(kind) for kind in kinds), default=0)
    lines.append(f"  Documents ({len(documents)})")
    parties: dict[str, tuple[str, list[str]]] = {}  # key -> (how the party is shown, its roles)
    goods: list[tuple[str, list[dict[str, Any]]]] = []
    for document, kind in zip(documents, kinds):
        summary = _summary(document) or ", ".join(map(str, _as_list(document.get("type"))))
        lines.append(f"    {kind:<{width}}  {summary} — by {_issuer(document)}")
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict):
            continue
        for role in _PARTY_ROLES:
            for party in _as_list(subject.get(role)):
                if isinstance(party, dict):
                    key = str(party.get("id") or party.get("legalName") or party.get("name"))
                    shown, roles = parties.setdefault(key, (_party_line(party), []))
                    roles.append(f"{role.removesuffix('Details')} ({kind})")
        if kind == "invoice" and isinstance(subject.get("lines"), list):
            goods.append((f"invoice {subject.get('invoiceNumber', '?')}", [r for r in subject["lines"] if isinstance(r, dict)]))
    if parties:
        lines.append("  Parties")
        for shown, roles in parties.values():
            lines.append(f"    {shown}: {', '.join(dict.fromkeys(roles))}")
    for title, rows in goods:
        lines.append(f"  Goods ({title}, {len(rows)} line(s))")
        lines.extend(_table(rows, "    "))
    return lines


def _party_line(party: dict[str, Any]) -> str:
    name = party.get("legalName") or party.get("name") or "?"
    return f"{name} ({party['id']})" if party.get("id") else str(name)


def render(document: dict[str, Any], indent: str = "", *, full: bool = False) -> str:
    """The document as readable text (not a verification).

    A presentation of a workflow (a shipment's documents) is shown at a glance — documents, parties, goods —
    unless ``full`` asks for every document in full.
    """
    types = [t for t in _as_list(document.get("type")) if t not in ("VerifiableCredential", "VerifiablePresentation")]
    is_presentation = "VerifiablePresentation" in _as_list(document.get("type"))
    lines = [f"{indent}{'Presentation' if is_presentation else 'Credential'} {document.get('id', '(no id)')}"]
    summary = _summary(document)
    if summary:
        lines.append(f"{indent}  {summary}")
    head = [("type", ", ".join(map(str, types)) or "-")]
    if document.get("name"):
        head.append(("name", str(document["name"])))
    if is_presentation:
        head.append(("holder", _scalar(document.get("holder", "-"))))
    else:
        head.append(("issuer", _issuer(document)))
    start = document.get("validFrom") or document.get("issuanceDate")
    end = document.get("validUntil") or document.get("expirationDate")
    if start or end:
        head.append(("valid", f"{start or '…'} → {end or 'no end'}"))
    for schema in _as_list(document.get("credentialSchema")):
        head.append(("schema", str(schema.get("id") if isinstance(schema, dict) else schema)))
    for status in _as_list(document.get("credentialStatus")):
        if isinstance(status, dict):
            head.append(("status", f"{status.get('statusPurpose', status.get('type'))}: "
                                   f"{status.get('statusListCredential', '?')} index {status.get('statusListIndex', '?')}"))
    width = max(len(k) for k, _ in head)
    lines.extend(f"{indent}  {key:<{width}}  {value}" for key, value in head)
    for subject in _as_list(document.get("credentialSubject")):
        if isinstance(subject, dict):
            lines.append(f"{indent}Subject {subject.get('id', '')}".rstrip())
            lines.extend(_fields(subject, indent + "  "))
    glance = is_presentation and "workflow" in document and not full
    if glance:
        lines.extend(indent + line for line in _shipment(document))
    for credential in [] if glance else _as_list(document.get("verifiableCredential")):
        if isinstance(credential, dict):
            lines.append("")
            lines.append(render(credential, indent + "  "))
    lines.append(f"{indent}Proof")
    lines.extend(_proofs(document, indent + "  "))
    if not indent:
        lines.append("(shown, not verified: run `vctrade verify` to check it"
                     + ("; `vctrade show --full` shows every document)" if glance else ")"))
    return "\n".join(lines)


def unwrap(text: str) -> tuple[dict[str, Any], str]:
    """The credential inside a JWT, SD-JWT (all presented disclosures applied) or COSE object, and its format.

    Nothing is verified here: this is for reading.
    """
    from vctrade.jose import (
        JWT_CLAIMS,
        decode_cose,
        decode_jws,
        parse_sd_jwt,
        reconstruct,
    )
    from vctrade.verification import Format, detect

    detected = detect(text)
    if detected.format is Format.COSE:
        decoded = decode_cose(detected.value)
        return decoded.payload, f"COSE {decoded.header.get('typ', '')}".strip()
    if detected.format is Format.SD_JWT:
        sd = parse_sd_jwt(detected.value)
        document, used = reconstruct(sd)
        return ({k: v for k, v in document.items() if k not in JWT_CLAIMS},
                f"SD-JWT {sd.jws.header.get('typ', '')} with {len(used)} disclosure(s)")
    decoded = decode_jws(str(detected.value))
    payload = decoded.payload
    if isinstance(payload.get("vc"), dict):
        return payload["vc"], "VC 1.1 JWT"
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}, f"JWT {decoded.header.get('typ', '')}".strip()
