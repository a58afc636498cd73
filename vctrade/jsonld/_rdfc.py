"""From an expanded JSON-LD document to RDFC-1.0 canonical N-Quads, in plain Python, within a :class:`Budget`.

:func:`expanded_to_dataset` is JSON-LD 1.1 "Deserialize JSON-LD to RDF" over a
document that is already expanded, and :func:`canonical_nquads` is RDFC-1.0.
Both give, byte for byte, what pyld 3.3's ``to_rdf`` (standard RDF only, with
the linear node map of :class:`~vctrade.jsonld._rdf.ExpandedToRdf`) and its
URDNA2015 give, including their blank node labels, literal forms, N-Quads
escaping and RDFC work, without importing pyld (whose import alone costs tens
of milliseconds of start-up). Where pyld crashes on input expansion never
produces (a relative IRI as a list item), the spec's behaviour is kept instead.

A term is held as its N-Quads text: ``<iri>``, ``_:label`` or a literal
(``"…"``, with its ``@lang`` or ``^^<datatype>``), so the first character tells
the kind and a quad serializes by joining its terms.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Hashable, Iterator
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from vctrade.errors import JsonLdSafetyError, UnsupportedError
from vctrade.jsonld._budget import Budget, too_costly

__all__ = ["Dataset", "Quad", "canonical_nquads", "expanded_to_dataset"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = _RDF + "type"
_RDF_LANGSTRING = _RDF + "langString"
_RDF_JSON = _RDF + "JSON"
_XSD_BOOLEAN = _XSD + "boolean"
_XSD_DOUBLE = _XSD + "double"
_XSD_INTEGER = _XSD + "integer"
_XSD_STRING = _XSD + "string"
_FIRST = f"<{_RDF}first>"
_REST = f"<{_RDF}rest>"
_NIL = f"<{_RDF}nil>"

# JSON-LD 1.1's keywords as pyld lists them: a node's keyword entries are kept as they are, never walked.
_KEYWORDS = frozenset((
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@first", "@graph", "@id",
    "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault",
    "@propagate", "@protected", "@preserve", "@requireAll", "@reverse", "@set", "@type", "@value", "@version",
    "@vocab",
))
# pyld's absolute-IRI test: a scheme (its class also admits ','), or '_' for blank nodes, then no white space;
# '$' also matches before a final newline, and pyld keeps such an IRI, so this does too.
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+,\-.]*|_):[^\s]*$")
# Trailing zeros of the mantissa and the exponent's '+' and leading zeros go from Python's %E form.
_DOUBLE_TIDY = re.compile(r"(\d)0*E\+?(-)?0*(\d)")
# Beyond this many related blank nodes in one group the permutations overflow any budget anyway.
_MAX_GROUP = 20

Quad = tuple[str, str, str, "str | None"]
"""Subject, predicate, object and graph name (None: the default graph), each as N-Quads text."""


class Dataset(NamedTuple):
    """An RDF dataset: its quads, and the blank-node names of its graphs (empty graphs too, as pyld counts them)."""

    quads: list[Quad]
    blank_graph_names: list[str]


def _escape(text: str) -> str:
    """N-Quads escaping as pyld does it: backslash, tab, newline, carriage return and double quote only."""
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace('"', '\\"'))


def _too_large() -> JsonLdSafetyError:
    return JsonLdSafetyError("JSON-LD processing failed: a number is too large for a double (over 1.8e308)")


def _double(value: float) -> str:
    """The canonical xsd:double form pyld writes (``1.5E0``, ``1.0E21``; ``INF`` and ``NAN`` as Python spells them)."""
    try:
        return _DOUBLE_TIDY.sub(r"\1E\2\3", f"{value:1.15E}")
    except OverflowError:
        raise _too_large() from None


def _es_number(value: float) -> str:
    """A JSON number as JCS (ECMAScript's Number::toString) writes it, from the double nearest ``value``."""
    try:
        number = float(value)
    except OverflowError:
        raise _too_large() from None
    if number == 0:
        return "0"
    if math.isinf(number) or math.isnan(number):
        raise JsonLdSafetyError(f"JSON-LD processing failed: a JSON literal holds {number}, which JSON cannot write")
    text = repr(number)  # the shortest digits that round-trip, as ECMAScript chooses them
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).rstrip("0")
    stripped = digits.lstrip("0")
    # the value is 0.<stripped> × 10^point
    point = len(whole) - (len(digits) - len(stripped)) + (int(exponent) if exponent else 0)
    digits, count = stripped, len(stripped)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    power = point - 1
    return (sign + digits[0] + ("." + digits[1:] if count > 1 else "") + "e" + ("+" if power > 0 else "-")
            + str(abs(power)))


def _jcs(value: Any) -> str:
    """RFC 8785 JSON Canonicalization of ``value`` as pyld's JCS library writes it (for rdf:JSON literals)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _es_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        # members in the order of their names' UTF-16 code units
        members = sorted(value.items(), key=lambda member: str(member[0]).encode("utf-16-be"))
        return "{" + ",".join(encode_basestring(str(name)) + ":" + _jcs(item) for name, item in members) + "}"
    raise JsonLdSafetyError(f"JSON-LD processing failed: a JSON literal holds a {type(value).__name__}")


def _literal(item: dict[str, Any]) -> str:
    """The N-Quads text of the literal for value object ``item`` (JSON-LD 1.1 Object to RDF Conversion)."""
    value = item["@value"]
    datatype = item.get("@type")
    language = None
    if datatype == "@json":
        text, datatype = _jcs(value), _RDF_JSON
    elif isinstance(value, bool):
        text, datatype = ("true" if value else "false"), datatype or _XSD_BOOLEAN
    elif isinstance(value, float) and not value.is_integer():
        text, datatype = _double(value), datatype or _XSD_DOUBLE
    elif datatype == _XSD_DOUBLE:
        try:
            number = float(value)
        except (ValueError, TypeError):
            text = value  # not a number: kept as written
        except OverflowError:
            raise _too_large() from None
        else:
            text = _double(number)
    elif isinstance(value, (int, float)):  # an integer, or a float with an integral value
        if abs(value) >= 1e21:
            text, datatype = _double(value), datatype or _XSD_DOUBLE
        else:
            text, datatype = str(int(value)), datatype or _XSD_INTEGER
    elif "@language" in item:
        text, datatype, language = value, datatype or _RDF_LANGSTRING, item["@language"]
    else:
        text, datatype = value, datatype or _XSD_STRING
    if not isinstance(text, str) or not isinstance(datatype, str):
        raise JsonLdSafetyError(f"JSON-LD processing failed: the value object {item!r:.80} is not an RDF literal")
    quoted = '"' + _escape(text) + '"'
    if datatype == _RDF_LANGSTRING:
        return quoted + "@" + language if language else quoted
    if datatype == _XSD_STRING:
        return quoted
    return quoted + "^^<" + datatype + ">"


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in for JSON that compares as Python's == compares the JSON."""
    if isinstance(value, dict):
        return frozenset((key, _frozen(item)) for key, item in value.items())
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value  # type: ignore[no-any-return]


def _key(value: Any) -> Hashable | None:
    """The key under which two values of one property are duplicates (one is kept); None: never one.

    A value object's contents compare as Python's == compares them
    (``1 == 1.0``) except that a boolean is no number and NaN equals nothing;
    node references compare by id; a @list never equals anything.
    """
    if value.__class__ is str:
        return value  # a type
    if "@value" in value:
        content = value["@value"]
        if content.__class__ is float and math.isnan(content):
            return None
        if isinstance(content, (dict, list)):
            content = _frozen(content)  # a JSON literal (@json)
        return ("@value", content.__class__ is bool, content, value.get("@type"), value.get("@language"),
                value.get("@index"))
    return value.get("@id")  # type: ignore[no-any-return]  # a reference (a @list has none)


class _Issuer:
    """An identifier issuer (RDFC-1.0 4.3): ``prefix`` + a counter, remembering what it issued, in order."""

    __slots__ = ("counter", "issued", "order", "prefix")

    def __init__(self, prefix: str, counter: int = 0, issued: dict[str, str] | None = None,
                 order: list[str] | None = None) -> None:
        self.prefix = prefix
        self.counter = counter
        self.issued: dict[str, str] = {} if issued is None else issued
        self.order: list[str] = [] if order is None else order

    def fresh(self) -> str:
        """A new identifier that stands for no existing one (a list node's)."""
        new = self.prefix + str(self.counter)
        self.counter += 1
        return new

    def get(self, old: str) -> str:
        """The identifier issued for ``old``, issuing the next one if it has none."""
        new = self.issued.get(old)
        if new is None:
            new = self.issued[old] = self.prefix + str(self.counter)
            self.counter += 1
            self.order.append(old)
        return new

    def copy(self) -> _Issuer:
        """An independent copy (its state is strings only)."""
        return _Issuer(self.prefix, self.counter, dict(self.issued), list(self.order))


class _ToRdf:
    """One run of JSON-LD to RDF: the node map (linear duplicate detection), then each graph's quads."""

    def __init__(self, budget: Budget) -> None:
        self._tick = budget.tick
        self._issuer = _Issuer("_:b")
        self._seen: dict[int, set[Hashable]] = {}  # id of a node's value list -> keys of the values it holds
        self._absolute: dict[str, bool] = {}
        self._graph: str | None = None
        self.quads: list[Quad] = []

    def is_absolute(self, iri: str) -> bool:
        """pyld's absolute IRI test (blank node labels pass), memoized."""
        known = self._absolute.get(iri)
        if known is None:
            known = self._absolute[iri] = _ABSOLUTE.match(iri) is not None
        return known

    def _add(self, node: dict[str, Any], prop: str, value: Any) -> None:
        """Add ``value`` to ``node[prop]`` unless an equal value is there already, in O(1)."""
        values = node.get(prop)
        if values is None:
            node[prop] = [value]  # most properties hold one value: no index until a second comes
            return
        key = _key(value)
        if key is not None:
            seen = self._seen.get(id(values))
            if seen is None:
                seen = self._seen[id(values)] = {_key(held) for held in values} - {None}
            if key in seen:
                return
            seen.add(key)
        values.append(value)

    def _value(self, item: dict[str, Any]) -> dict[str, Any]:
        """A value object, its blank-node datatype (if any) labelled."""
        datatype = item.get("@type")
        if datatype.__class__ is str and datatype.startswith("_:"):
            return {**item, "@type": self._issuer.get(datatype)}
        return item

    def node_map(
        self,
        element: Any,
        graphs: dict[str, dict[str, dict[str, Any]]],
        graph: str,
        subject: str | dict[str, str] | None = None,
        prop: str | None = None,
        list_: dict[str, list[Any]] | None = None,
    ) -> None:
        """JSON-LD 1.1 Node Map Generation over ``element``, labelling blank nodes in the order pyld does."""
        self._tick()
        if isinstance(element, list):
            for item in element:
                self.node_map(item, graphs, graph, subject, prop, list_)
            return
        issuer = self._issuer
        nodes = graphs.setdefault(graph, {})
        subject_node = nodes.get(subject) if isinstance(subject, str) else None
        if "@value" in element:
            element = self._value(element)
            if list_ is not None:
                list_["@list"].append(element)
            elif subject_node is not None and prop is not None:
                self._add(subject_node, prop, element)
            return
        types = element.get("@type")
        if isinstance(types, list):  # the spec labels a node's blank-node types before anything else
            for type_ in types:
                if type_.startswith("_:"):
                    issuer.get(type_)
        if "@list" in element:
            collected: dict[str, list[Any]] = {"@list": []}
            self.node_map(element["@list"], graphs, graph, subject, prop, collected)
            if list_ is not None:
                list_["@list"].append(collected)
            elif subject_node is not None and prop is not None:
                self._add(subject_node, prop, collected)
            return

        id_ = element.get("@id")
        if id_ is None or str(id_).startswith("_:"):
            id_ = issuer.get(id_) if id_ else issuer.fresh()
        node = nodes.get(id_)
        if node is None:
            node = nodes[id_] = {"@id": id_}
        if isinstance(subject, dict):
            self._add(node, prop, subject)  # type: ignore[arg-type]  # a reverse property always has its name
        elif prop:
            reference = {"@id": id_}
            if list_ is not None:
                list_["@list"].append(reference)
            elif subject_node is not None:
                self._add(subject_node, prop, reference)

        for key in sorted(element):
            if key == "@id":
                continue
            objects = element[key]
            if key == "@reverse":
                referenced = {"@id": id_}
                for reverse_property, items in objects.items():
                    for item in items:
                        self.node_map(item, graphs, graph, referenced, reverse_property)
                continue
            if key == "@graph":
                graphs.setdefault(id_, {})
                self.node_map(objects, graphs, id_)
                continue
            if key == "@included":
                self.node_map(objects, graphs, graph)
                continue
            if key != "@type" and key in _KEYWORDS:
                if key == "@index" and "@index" in node and objects != node["@index"]:
                    raise JsonLdSafetyError(f"JSON-LD processing failed: node {id_!r} has conflicting @index values")
                node[key] = objects
                continue
            if key.startswith("_:"):
                key = issuer.get(key)
            if not objects:
                node.setdefault(key, [])
                continue
            if key == "@type":
                for type_ in objects:
                    if type_.startswith("_:"):
                        type_ = issuer.get(type_)
                    self._add(node, key, type_)
                continue
            for item in objects:
                if item.__class__ is dict and "@value" in item:  # what the call below does for a value, sooner
                    self._tick()
                    if "@type" in item:
                        item = self._value(item)
                    self._add(node, key, item)
                else:
                    self.node_map(item, graphs, graph, id_, key)

    def graph_quads(self, name: str | None, nodes: dict[str, dict[str, Any]]) -> None:
        """The quads of one graph of the node map (Deserialize JSON-LD to RDF, step 1.3), in pyld's order."""
        self._graph = name
        quads = self.quads
        append = quads.append
        is_absolute = self.is_absolute
        tick = self._tick
        for id_ in sorted(nodes):
            if not is_absolute(id_):
                continue  # a relative subject
            node = nodes[id_]
            subject = id_ if id_.startswith("_:") else "<" + id_ + ">"
            for prop in sorted(node):
                items = node[prop]
                if prop == "@type":
                    prop = _RDF_TYPE
                elif prop in _KEYWORDS or not is_absolute(prop) or prop.startswith("_:"):
                    continue  # keywords, relative and blank-node predicates are not RDF
                tick()
                predicate = "<" + prop + ">"
                for item in items:
                    if item.__class__ is dict:
                        if "@value" in item:
                            value = item["@value"]
                            if value.__class__ is str and len(item) == 1:  # a plain string, the common case
                                append((subject, predicate, '"' + _escape(value) + '"', name))
                                continue
                            object_: str | None = _literal(item)
                        elif "@list" in item:
                            object_ = self._list(item["@list"])
                        else:
                            object_ = self._reference(item["@id"])
                    else:
                        object_ = self._reference(item)
                    if object_ is not None:
                        append((subject, predicate, object_, name))

    def _reference(self, id_: str) -> str | None:
        """The RDF term for a node identifier (None: a relative IRI, which is dropped)."""
        if id_.startswith("_:"):
            return id_
        return "<" + id_ + ">" if self.is_absolute(id_) else None

    def _list(self, items: list[Any]) -> str:
        """rdf:first / rdf:rest quads for a @list; its head (rdf:nil when empty)."""
        if not items:
            return _NIL
        fresh = self._issuer.fresh
        quads, name = self.quads, self._graph
        head = subject = fresh()
        last = len(items) - 1
        for index, item in enumerate(items):
            self._tick()
            if "@value" in item:
                object_: str | None = _literal(item)
            elif "@list" in item:
                object_ = self._list(item["@list"])
            else:
                object_ = self._reference(item["@id"])
            rest = fresh() if index < last else _NIL
            if object_ is not None:  # the spec leaves out rdf:first for a dropped item
                quads.append((subject, _FIRST, object_, name))
            quads.append((subject, _REST, rest, name))
            subject = rest
        return head


def expanded_to_dataset(expanded: list[Any], budget: Budget) -> Dataset:
    """The RDF dataset of an expanded JSON-LD document (standard RDF: no blank-node predicates).

    Blank nodes are labelled ``_:b0``, ``_:b1``, … as pyld labels them. One
    ``budget`` tick per element visited; the input is not changed.
    """
    run = _ToRdf(budget)
    graphs: dict[str, dict[str, dict[str, Any]]] = {"@default": {}}
    run.node_map(expanded, graphs, "@default")
    blank_graph_names: list[str] = []
    for name, nodes in sorted(graphs.items()):
        if name == "@default":
            run.graph_quads(None, nodes)
        elif run.is_absolute(name):  # a graph with a relative name is dropped
            if name.startswith("_:"):
                blank_graph_names.append(name)
                run.graph_quads(name, nodes)
            else:
                run.graph_quads("<" + name + ">", nodes)
    return Dataset(run.quads, blank_graph_names)


def _permutations(items: list[str]) -> Iterator[list[str]]:
    """The permutations of ``items`` in the order pyld tries them: Steinhaus–Johnson–Trotter from sorted order.

    The order decides which paths Hash N-Degree Quads prunes, so how much work
    it does; duplicates (a node related twice alike) are kept as pyld keeps them.
    One list is yielded each time, changed in place between yields.
    """
    items = sorted(items)
    size = len(items)
    leftward = dict.fromkeys(items, True)
    while True:
        yield items
        mobile: str | None = None
        at = 0
        for index, item in enumerate(items):
            if (mobile is None or item > mobile) and (
                (index > 0 and item > items[index - 1]) if leftward[item]
                else (index < size - 1 and item > items[index + 1])
            ):
                mobile, at = item, index
        if mobile is None:
            return
        to = at - 1 if leftward[mobile] else at + 1
        items[at], items[to] = items[to], mobile
        for item in items:
            if item > mobile:
                leftward[item] = not leftward[item]


class _Canonicalizer:
    """One RDFC-1.0 run over quads whose blank nodes are mapped to the quads they occur in."""

    def __init__(self, by_blank: dict[str, list[Quad]], hasher: Callable[..., Any], budget: Budget) -> None:
        self._by_blank = by_blank
        self._hasher = hasher
        self._budget = budget
        self._first_degree: dict[str, str] = {}
        self.canonical = _Issuer("_:c14n")

    def first_degree(self, blank: str) -> str:
        """Hash First Degree Quads (RDFC-1.0 4.6), once per blank node."""
        known = self._first_degree.get(blank)
        if known is not None:
            return known
        self._budget.tick()
        lines = []
        for subject, predicate, object_, graph in self._by_blank[blank]:
            if subject[0] == "_":
                subject = "_:a" if subject == blank else "_:z"
            if object_[0] == "_":
                object_ = "_:a" if object_ == blank else "_:z"
            if graph is not None and graph[0] == "_":
                graph = "_:a" if graph == blank else "_:z"
            lines.append(f"{subject} {predicate} {object_} .\n" if graph is None
                         else f"{subject} {predicate} {object_} {graph} .\n")
        lines.sort()
        digest: str = self._hasher("".join(lines).encode()).hexdigest()
        self._first_degree[blank] = digest
        return digest

    def _related_hash(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        """Hash Related Blank Node (RDFC-1.0 4.7)."""
        identifier = self.canonical.issued.get(related) or issuer.issued.get(related) or self.first_degree(related)
        data = position + identifier if position == "g" else position + predicate + identifier
        return self._hasher(data.encode()).hexdigest()  # type: ignore[no-any-return]

    def n_degree(self, blank: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """Hash N-Degree Quads (RDFC-1.0 4.8): its hash and the issuer of the chosen path.

        Charges ``(1 + Σ k!) × (1 + identifiers issued on the path)`` to the
        budget before trying the permutations of its k-sized groups.
        """
        related: dict[str, list[str]] = {}
        for subject, predicate, object_, graph in self._by_blank[blank]:
            if subject[0] == "_" and subject != blank:
                related.setdefault(self._related_hash(subject, predicate, issuer, "s"), []).append(subject)
            if object_[0] == "_" and object_ != blank:
                related.setdefault(self._related_hash(object_, predicate, issuer, "o"), []).append(object_)
            if graph is not None and graph[0] == "_" and graph != blank:
                related.setdefault(self._related_hash(graph, predicate, issuer, "g"), []).append(graph)
        permutations = sum(math.factorial(min(len(group), _MAX_GROUP)) for group in related.values())
        self._budget.spend((1 + permutations) * (1 + len(issuer.order)))

        tick = self._budget.tick
        canonical = self.canonical.issued
        digest = self._hasher()
        for related_hash in sorted(related):
            digest.update(related_hash.encode())
            chosen_path = ""
            chosen_issuer = issuer
            for permutation in _permutations(related[related_hash]):
                tick()
                path_issuer = issuer.copy()
                path = ""
                recursion: list[str] = []
                pruned = False
                for node in permutation:
                    label = canonical.get(node)
                    if label is None:
                        if node not in path_issuer.issued:
                            recursion.append(node)
                        label = path_issuer.get(node)
                    path += label
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        pruned = True
                        break
                if pruned:
                    continue
                for node in recursion:
                    result_hash, result_issuer = self.n_degree(node, path_issuer)
                    path += path_issuer.get(node) + "<" + result_hash + ">"
                    path_issuer = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        pruned = True
                        break
                if pruned:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, path_issuer
            digest.update(chosen_path.encode())
            issuer = chosen_issuer
        return digest.hexdigest(), issuer

    def run(self) -> dict[str, str]:
        """RDFC-1.0 4.4 steps 3–6: the canonical identifier of every blank node."""
        by_hash: dict[str, list[str]] = {}
        for blank in self._by_blank:
            by_hash.setdefault(self.first_degree(blank), []).append(blank)
        canonical = self.canonical
        shared = []
        for first_hash, blanks in sorted(by_hash.items()):
            if len(blanks) == 1:
                canonical.get(blanks[0])
            else:
                shared.append(blanks)
        for blanks in shared:  # still in order of their first-degree hash
            results = []
            for blank in blanks:
                if blank in canonical.issued:
                    continue
                issuer = _Issuer("_:b")
                issuer.get(blank)
                results.append(self.n_degree(blank, issuer))
            for _, issuer in sorted(results, key=lambda result: result[0]):
                for existing in issuer.order:
                    canonical.get(existing)
        return canonical.issued


_HASHES: dict[str, Callable[..., Any]] = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


def canonical_nquads(dataset: Dataset, *, hash_name: str, budget: Budget, max_blank_nodes: int,
                     max_quads: int) -> str:
    """RDFC-1.0 canonical N-Quads of ``dataset``, with ``hash_name`` (``sha256`` or ``sha384``) as its hash.

    Refuses (:class:`~vctrade.errors.CanonicalizationLimitError`,
    ``canonicalization_too_costly``) a dataset of more than ``max_blank_nodes``
    blank nodes or ``max_quads`` quads before any hashing, and one whose Hash
    N-Degree Quads work or time goes over ``budget``, at the first step that
    would.
    """
    hasher = _HASHES.get(hash_name)
    if hasher is None:
        raise UnsupportedError(f"RDFC-1.0 hash {hash_name!r} is not supported (sha256 or sha384)")
    quads = dataset.quads
    # a quad is listed once per position a blank node holds in it, as pyld's blank node to quads map lists it
    by_blank: dict[str, list[Quad]] = {}
    for quad in quads:
        subject, _, object_, graph = quad
        if subject[0] == "_":
            by_blank.setdefault(subject, []).append(quad)
        if object_[0] == "_":
            by_blank.setdefault(object_, []).append(quad)
        if graph is not None and graph[0] == "_":
            by_blank.setdefault(graph, []).append(quad)
    blank_nodes = len(by_blank) + sum(1 for name in set(dataset.blank_graph_names) if name not in by_blank)
    if blank_nodes > max_blank_nodes:
        raise too_costly(f"the document has {blank_nodes} blank nodes, over the limit of {max_blank_nodes} "
                         "(DocumentLoader.max_blank_nodes)")
    if len(quads) > max_quads:
        raise too_costly(f"the document has {len(quads)} RDF quads, over the limit of {max_quads} "
                         "(DocumentLoader.max_quads)")
    labels = _Canonicalizer(by_blank, hasher, budget).run() if by_blank else {}
    lines = []
    for subject, predicate, object_, graph in quads:
        if subject[0] == "_":
            subject = labels[subject]
        if object_[0] == "_":
            object_ = labels[object_]
        if graph is not None and graph[0] == "_":
            graph = labels[graph]
        lines.append(f"{subject} {predicate} {object_} .\n" if graph is None
                     else f"{subject} {predicate} {object_} {graph} .\n")
    lines.sort()
    return "".join(lines)
