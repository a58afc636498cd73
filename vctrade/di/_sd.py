"""Selective-disclosure primitives of W3C Data Integrity ECDSA Cryptosuites v1.0 §3.4.

Skolemization, JSON-pointer selection, RDFC-1.0 with its canonical blank-node
map, blank-node relabelling (HMAC or a given label map) and grouping of the
canonical N-Quads by selection. ecdsa-sd-2023 (``_suites/ecdsa_sd_2023.py``)
builds on these; so could another selective-disclosure suite.

Blank nodes are skolemized to ``urn:vctrade-bnid:…`` IRIs. Skolemizing and
deskolemizing are done on the RDF dataset, never by text substitution over
serialized N-Quads, so a literal that happens to contain such text is left
alone; a document that already uses the URN scheme is refused.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyld import jsonld
from pyld.nquads import RDF_LANGSTRING, XSD_STRING, serialize_nquad, unescape

from vctrade._encoding import b64url_encode
from vctrade.errors import InvalidDocument, JsonLdSafetyError, SigningError
from vctrade.jsonld._budget import Budget, too_costly
from vctrade.jsonld._jsonld import DocumentLoader, _unwrap_jsonld_error, expand_safe
from vctrade.jsonld._rdf import BoundedRDFC, ExpandedToRdf, dataset_size

__all__ = [
    "URN_PREFIX",
    "Grouped",
    "blank_labels",
    "canonicalize_and_group",
    "canonicalize_nquads",
    "hmac_label_map",
    "json_pointer_paths",
    "relabel_nquads",
    "select_jsonld",
    "skolemize_compact",
    "skolemize_expanded",
    "to_deskolemized_nquads",
]

URN_PREFIX = "urn:vctrade-bnid:"
_MISSING: Any = object()
_INT = re.compile(r"0|[1-9][0-9]*")
# One N-Quad as pyld serializes it (single spaces, " .\n"). Parsed here, not by pyld.nquads.parse_nquads, which
# splits its input with str.splitlines and so cuts a literal holding U+2028, U+0085 and the like in two.
_IRI = r"<[^>]*>"
_BLANK = r"_:[^\s]+"
_LITERAL = r'"(?P<lex>(?:[^"\\]|\\.)*)"(?:\^\^<(?P<dt>[^>]*)>|@(?P<lang>[^\s]+))?'
_QUAD = re.compile(rf"(?P<s>{_IRI}|{_BLANK}) (?P<p>{_IRI}) (?P<o>{_IRI}|{_BLANK}|{_LITERAL})(?: (?P<g>{_IRI}|{_BLANK}))? \.\n?",
                   re.DOTALL)


# -- JSON pointers and selection ------------------------------------------------------------------


def json_pointer_paths(pointer: str) -> list[str | int]:
    """RFC 6901 pointer -> path segments (array indexes as ints), as the spec's jsonPointerToPaths."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise InvalidDocument(f"JSON pointer {pointer!r} must be a string starting with '/'", code="invalid_pointer")
    paths: list[str | int] = []
    for segment in pointer.split("/")[1:]:
        if "~" in segment:
            if re.search(r"~(?![01])", segment):
                raise InvalidDocument(f"JSON pointer {pointer!r} has an invalid escape", code="invalid_pointer")
            paths.append(segment.replace("~1", "/").replace("~0", "~"))
        elif _INT.fullmatch(segment):
            paths.append(int(segment))
        else:
            paths.append(segment)
    return paths


def _get(container: Any, key: str | int) -> Any:
    if isinstance(container, list):
        return container[key] if isinstance(key, int) and 0 <= key < len(container) else _MISSING
    if isinstance(container, dict):
        return container.get(str(key), _MISSING)
    return _MISSING


def _put(container: Any, key: str | int, value: Any) -> None:
    if isinstance(container, list):
        assert isinstance(key, int)
        container.extend([_MISSING] * (key + 1 - len(container)))
        container[key] = value
    else:
        container[str(key)] = value


def _initial_selection(source: Any) -> dict[str, Any]:
    selection: dict[str, Any] = {}
    if not isinstance(source, dict):
        return selection
    node_id = source.get("id")
    if node_id is not None and not (isinstance(node_id, str) and node_id.startswith("_:")):
        selection["id"] = node_id
    if "type" in source:
        selection["type"] = copy.deepcopy(source["type"])
    return selection


def _select_paths(paths: list[str | int], document: dict[str, Any], selection: dict[str, Any],
                  arrays: list[list[Any]], pointer: str) -> None:
    value: Any = document
    selected_parent: Any = selection
    selected_value: Any = selection
    for path in paths:
        selected_parent = selected_value
        value = _get(value, path)
        if value is _MISSING:
            raise SigningError(f"JSON pointer {pointer!r} does not match the document")
        selected_value = _get(selected_parent, path)
        if selected_value is _MISSING:
            if isinstance(value, list):
                selected_value = []
                arrays.append(selected_value)
            else:
                selected_value = _initial_selection(value)
            _put(selected_parent, path, selected_value)
    if isinstance(value, list):
        selected_value = copy.deepcopy(value)
    elif isinstance(value, dict):
        selected_value = {**selected_value, **copy.deepcopy(value)}
    else:
        selected_value = value
    _put(selected_parent, paths[-1], selected_value)


def select_jsonld(pointers: Sequence[str], document: dict[str, Any]) -> dict[str, Any] | None:
    """The part of compact ``document`` that ``pointers`` select (with every id and type on the way), or None."""
    if not pointers:
        return None
    arrays: list[list[Any]] = []
    selection = _initial_selection(document)
    selection["@context"] = copy.deepcopy(document.get("@context"))
    for pointer in pointers:
        paths = json_pointer_paths(pointer)
        if not paths:
            raise SigningError("the JSON pointer '' selects the whole document; select its members instead")
        _select_paths(paths, document, selection, arrays, pointer)
    for array in arrays:
        array[:] = [item for item in array if item is not _MISSING]
    return selection


# -- skolemization -----------------------------------------------------------------------------------


def skolemize_expanded(expanded: list[Any], random_string: str, counter: list[int]) -> list[Any]:
    """Give every node object of expanded JSON-LD an ``urn:vctrade-bnid:`` id (blank ids keep their label)."""
    out: list[Any] = []
    for element in expanded:
        if not isinstance(element, dict) or "@value" in element:
            out.append(copy.deepcopy(element))
            continue
        node: dict[str, Any] = {}
        for prop, value in element.items():
            if isinstance(value, list):
                node[prop] = skolemize_expanded(value, random_string, counter)
            else:
                node[prop] = skolemize_expanded([value], random_string, counter)[0]
        node_id = node.get("@id")
        if "@list" in node or "@set" in node:
            pass  # a list or set object is not a node: it takes no id
        elif node_id is None:
            node["@id"] = f"{URN_PREFIX}_{random_string}_{counter[0]}"
            counter[0] += 1
        elif isinstance(node_id, str) and node_id.startswith("_:"):
            node["@id"] = URN_PREFIX + node_id[2:]
        out.append(node)
    return out


def _uses_urn_prefix(value: Any) -> bool:
    return URN_PREFIX in json.dumps(value, ensure_ascii=False)


def skolemize_compact(document: dict[str, Any], loader: DocumentLoader,
                      random_string: str | None = None) -> tuple[list[Any], dict[str, Any]]:
    """(skolemized expanded, skolemized compact) forms of compact ``document`` (compacted with its own @context)."""
    if _uses_urn_prefix(document):
        raise InvalidDocument(f"the document uses the reserved IRI prefix {URN_PREFIX}", code="reserved_iri")
    expanded = expand_safe(document, loader)
    skolemized = skolemize_expanded(expanded, random_string or uuid.uuid4().hex, [0])
    try:
        compact: dict[str, Any] = jsonld.JsonLdProcessor().compact(
            skolemized, {"@context": document.get("@context")}, loader.pyld_options())
    except jsonld.JsonLdError as exc:
        cause = _unwrap_jsonld_error(exc)
        if isinstance(cause, Exception) and not isinstance(cause, jsonld.JsonLdError):
            raise cause from None
        raise JsonLdSafetyError(f"JSON-LD compaction failed: {exc}") from None
    return skolemized, compact


# -- RDF ---------------------------------------------------------------------------------------------


def _quads_of(dataset: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    quads: list[dict[str, Any]] = []
    for graph_name, triples in dataset.items():
        for triple in triples:
            quad = dict(triple)
            if graph_name != "@default":
                quad["name"] = {"type": "blank node" if graph_name.startswith("_:") else "IRI", "value": graph_name}
            quads.append(quad)
    return quads


def _check_size(dataset: Mapping[str, list[dict[str, Any]]], loader: DocumentLoader) -> None:
    quads, blank_nodes = dataset_size(dict(dataset))
    if blank_nodes > loader.max_blank_nodes:
        raise too_costly(f"the document has {blank_nodes} blank nodes, over the limit of {loader.max_blank_nodes}")
    if quads > loader.max_quads:
        raise too_costly(f"the document has {quads} RDF quads, over the limit of {loader.max_quads}")


def to_deskolemized_nquads(document: dict[str, Any] | list[Any], loader: DocumentLoader) -> list[str]:
    """N-Quads of a skolemized document (compact, or expanded as a list), the URNs turned back into blank nodes."""
    expanded = document if isinstance(document, list) else expand_safe(document, loader)
    budget = Budget(loader.max_seconds, max_work=loader.max_rdfc_work)
    try:
        dataset = ExpandedToRdf(budget).to_rdf(expanded, loader.pyld_options(produceGeneralizedRdf=False))
    except jsonld.JsonLdError as exc:
        cause = _unwrap_jsonld_error(exc)
        if isinstance(cause, Exception) and not isinstance(cause, jsonld.JsonLdError):
            raise cause from None
        raise JsonLdSafetyError(f"JSON-LD to RDF failed: {exc}") from None
    _check_size(dataset, loader)
    lines = []
    for quad in _quads_of(dataset):
        for position in ("subject", "object", "name"):
            component = quad.get(position)
            if component and component["type"] == "IRI" and component["value"].startswith(URN_PREFIX):
                quad[position] = {"type": "blank node", "value": "_:" + component["value"][len(URN_PREFIX):]}
        lines.append(serialize_nquad(quad))
    return lines


def canonicalize_nquads(nquads: Sequence[str], loader: DocumentLoader,
                        hash_name: str = "sha256") -> tuple[dict[str, str], list[str]]:
    """RDFC-1.0 of ``nquads``: (canonical id map input label -> c14n label, without ``_:``; sorted canonical lines)."""
    dataset = _dataset(nquads)
    _check_size(dataset, loader)
    rdfc = BoundedRDFC(hash_name, Budget(loader.max_seconds, max_work=loader.max_rdfc_work))
    text: str = rdfc.main(dataset, {"format": "application/n-quads"})
    issued = rdfc.canonical_issuer.existing
    id_map = {old[2:]: issued[old][2:] for old in rdfc.canonical_issuer.order}
    return id_map, nquad_lines(text)


def nquad_lines(text: str) -> list[str]:
    """N-Quads text as one string per quad, each ending in ``\\n``.

    Split on ``\\n`` only: a literal may hold U+2028, U+0085 and the like unescaped, which ``str.splitlines``
    would also split on.
    """
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _match(nquad: str) -> re.Match[str]:
    found = _QUAD.fullmatch(nquad)
    if found is None:
        raise InvalidDocument(f"not an N-Quad vctrade can relabel: {nquad[:120]!r}", code="sd_invalid_nquad")
    return found


def _term(text: str) -> dict[str, str]:
    if text.startswith("<"):
        return {"type": "IRI", "value": text[1:-1]}
    return {"type": "blank node", "value": text}


def parse_quad(nquad: str) -> dict[str, Any]:
    """One N-Quad as a pyld quad (subject, predicate, object, and name unless in the default graph)."""
    found = _match(nquad)
    quad: dict[str, Any] = {"subject": _term(found["s"]), "predicate": _term(found["p"])}
    if found["o"].startswith('"'):
        literal = {"type": "literal", "value": unescape(found["lex"]), "datatype": found["dt"] or XSD_STRING}
        if found["lang"] is not None:
            literal["datatype"], literal["language"] = RDF_LANGSTRING, found["lang"]
        quad["object"] = literal
    else:
        quad["object"] = _term(found["o"])
    if found["g"] is not None:
        quad["name"] = _term(found["g"])
    return quad


def _dataset(nquads: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    dataset: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    for line in nquads:
        if line in seen:
            continue
        seen.add(line)
        quad = parse_quad(line)
        name = quad.pop("name", {"value": "@default"})["value"]
        dataset.setdefault(name, []).append(quad)
    return dataset


def blank_labels(nquad: str) -> set[str]:
    """The blank-node labels (without ``_:``) in one N-Quad."""
    found = _match(nquad)
    return {found[g][2:] for g in ("s", "o", "g") if found[g] is not None and found[g].startswith("_:")}


def relabel_nquads(nquads: Sequence[str], label_map: Mapping[str, str]) -> list[str]:
    """Each N-Quad with its blank-node labels replaced through ``label_map`` (labels without ``_:``).

    A label the map lacks is an :class:`InvalidDocument` (``sd_label_map_mismatch``).
    """
    out: list[str] = []
    for line in nquads:
        found = _match(line)
        pieces: list[str] = []
        last = 0
        for group in ("s", "o", "g"):
            term = found[group]
            if term is None or not term.startswith("_:"):
                continue
            label = term[2:]
            if label not in label_map:
                raise InvalidDocument(f"blank node _:{label} has no entry in the label map",
                                      code="sd_label_map_mismatch")
            start, end = found.span(group)
            pieces += [line[last:start], "_:" + label_map[label]]
            last = end
        out.append("".join(pieces) + line[last:])
    return out


def hmac_label_map(canonical_id_map: Mapping[str, str], key: bytes, hash_name: str = "sha256") -> dict[str, str]:
    """createHmacIdLabelMapFunction: input label -> ``u`` + base64url(HMAC(key, c14n label))."""
    return {old: "u" + b64url_encode(hmac.new(key, c14n.encode("utf-8"), hash_name).digest())
            for old, c14n in canonical_id_map.items()}


# -- canonicalize and group --------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One selection's canonical N-Quads: matching (index -> quad), non-matching, and its deskolemized quads."""

    matching: dict[int, str]
    non_matching: dict[int, str]
    deskolemized: list[str]


@dataclass(frozen=True)
class Grouped:
    """canonicalizeAndGroup's result."""

    groups: dict[str, Group]
    label_map: dict[str, str]
    nquads: list[str]
    compact: dict[str, Any]


def canonicalize_and_group(
    document: dict[str, Any],
    label_map_factory: Callable[[dict[str, str]], dict[str, str]],
    group_definitions: Mapping[str, Sequence[str]],
    loader: DocumentLoader,
    *,
    hash_name: str = "sha256",
) -> Grouped:
    """Canonical N-Quads of ``document`` (blank nodes relabelled by the factory), grouped by JSON-pointer selections."""
    expanded, compact = skolemize_compact(document, loader)
    deskolemized = to_deskolemized_nquads(expanded, loader)
    canonical_id_map, canonical = canonicalize_nquads(deskolemized, loader, hash_name)
    label_map = label_map_factory(canonical_id_map)
    c14n_to_new = {canonical_id_map[old]: new for old, new in label_map.items()}
    nquads = sorted(relabel_nquads(canonical, c14n_to_new))
    groups: dict[str, Group] = {}
    for name, pointers in group_definitions.items():
        selection = select_jsonld(pointers, compact)
        selected_deskolemized = [] if selection is None else to_deskolemized_nquads(selection, loader)
        selected = set(relabel_nquads(selected_deskolemized, label_map))
        matching = {i: q for i, q in enumerate(nquads) if q in selected}
        non_matching = {i: q for i, q in enumerate(nquads) if q not in selected}
        groups[name] = Group(matching, non_matching, selected_deskolemized)
    return Grouped(groups, label_map, nquads, compact)


def sha(hash_name: str, data: bytes) -> bytes:
    """The digest of ``data``."""
    return hashlib.new(hash_name, data).digest()
