"""From an expanded JSON-LD document to RDFC-1.0 canonical N-Quads, within a :class:`Budget`.

Two pieces of pyld are replaced or watched here:

* pyld's node map (the first step of JSON-LD to RDF) removes duplicate values
  by comparing each new value with every value its property already has: a
  property with k values costs k²/2 comparisons, so a 100 KiB document of 8,000
  strings in one array takes seconds. :class:`ExpandedToRdf` builds the same
  node map with a hash index per property (linear time), and counts its steps
  against the budget's deadline.
* :class:`BoundedRDFC` is pyld's RDFC-1.0 (URDNA2015) with a selectable hash
  and the budget charged for all Hash N-Degree Quads work across the run,
  before pyld does it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015

from vctrade.jsonld._budget import Budget
from vctrade.jsonld._rdfc import _frozen

__all__ = ["ExpandedToRdf", "BoundedRDFC", "dataset_size"]

# Beyond this many related blank nodes in one group the permutations overflow any budget anyway.
_MAX_GROUP = 20


def _literal_key(value: Any) -> Hashable:
    """Equal keys exactly for literals pyld's ``compare_values`` calls equal (``1 == 1.0``, ``True != 1``)."""
    if isinstance(value, bool):
        return (bool, value)
    if isinstance(value, float) and value != value:
        return object()  # NaN equals nothing
    if isinstance(value, (dict, list)):
        return (list, _frozen(value))  # a JSON literal (@json): compared with ==
    return (None, value)


def _value_key(value: Any) -> Hashable:
    """The key under which pyld's node map would call two values of one property duplicates."""
    if isinstance(value, dict):
        if "@value" in value:
            return ("@value", _literal_key(value["@value"]), value.get("@type"), value.get("@language"),
                    value.get("@index"))
        if value.get("@id") is not None:
            return ("@id", value["@id"])
        return object()  # a @list, or an object without @id: never a duplicate
    return ("", _literal_key(value))


class ExpandedToRdf(jsonld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
    """pyld's to_rdf over a document already expanded, with a linear node map, within ``budget``."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self._budget = budget
        # (node, property) -> keys of the values it holds; nodes live in the node map for the whole run.
        self._keys: dict[tuple[int, str], set[Hashable]] = {}

    def expand(self, input_: Any, options: Any) -> Any:  # noqa: D102 (pyld hook: the input is expanded already)
        return input_

    def _object_to_rdf(self, item: Any, issuer: Any, triples: Any, options: Any) -> Any:  # noqa: D102 (pyld hook)
        self._budget.tick()
        return super()._object_to_rdf(item, issuer, triples, options)

    def _add(self, node: dict[str, Any], prop: str, value: Any, *, unique: bool = True) -> None:
        """pyld's ``add_value(node, prop, value, propertyIsArray=True, allowDuplicate=not unique)``, in O(1)."""
        values = node.setdefault(prop, [])
        keys = self._keys.setdefault((id(node), prop), set())
        if unique:
            key = _value_key(value)
            if key in keys:
                return
            keys.add(key)
        values.append(value)

    def _create_node_map(  # noqa: D102 (pyld hook)
        self,
        input_: Any,
        graph_map: dict[str, Any],
        active_graph: str,
        issuer: Any,
        active_subject: Any = None,
        active_property: Any = None,
        list_: Any = None,
    ) -> None:
        # pyld 3.3's JsonLdProcessor._create_node_map (BSD-3-Clause, Copyright (c) Digital Bazaar, Inc.) but for
        # how duplicates are found (and the spec's @index conflict test, where pyld indexes into the string).
        self._budget.tick()
        if isinstance(input_, list):
            for element in input_:
                self._create_node_map(element, graph_map, active_graph, issuer, active_subject, active_property, list_)
            return
        subject_node = graph_map.setdefault(active_graph, {}).get(active_subject) if isinstance(active_subject, str) else None
        # the spec labels @type blank nodes first
        if "@type" in input_:
            for type_ in input_["@type"]:
                if type_.startswith("_:"):
                    issuer.get_id(type_)
        if "@value" in input_:
            if "@type" in input_ and input_["@type"].startswith("_:"):
                input_["@type"] = issuer.get_id(input_["@type"])
            if list_:
                list_["@list"].append(input_)
            elif subject_node:
                self._add(subject_node, active_property, input_)
            return
        if "@list" in input_:
            collected: dict[str, list[Any]] = {"@list": []}
            self._create_node_map(input_["@list"], graph_map, active_graph, issuer, active_subject, active_property,
                                  collected)
            if list_:
                list_["@list"].append(collected)
            elif subject_node:
                self._add(subject_node, active_property, collected, unique=False)
            return

        id_ = input_.get("@id")
        if jsonld._is_bnode(input_):
            id_ = issuer.get_id(id_)
        node = graph_map.setdefault(active_graph, {}).setdefault(id_, {"@id": id_})
        if isinstance(active_subject, dict):
            self._add(node, active_property, active_subject)  # a reverse property
        elif active_property:
            reference = {"@id": id_}
            if list_:
                list_["@list"].append(reference)
            elif subject_node:
                self._add(subject_node, active_property, reference)

        for prop, objects in sorted(input_.items()):
            if prop == "@id":
                continue
            if prop == "@reverse":
                referenced = {"@id": id_}
                for reverse_property, items in input_["@reverse"].items():
                    for item in items:
                        self._create_node_map(item, graph_map, active_graph, issuer, referenced, reverse_property)
                continue
            if prop == "@graph":
                graph_map.setdefault(id_, {})
                self._create_node_map(objects, graph_map, active_graph if active_graph == "@merged" else id_, issuer)
                continue
            if prop == "@included":
                self._create_node_map(objects, graph_map, active_graph, issuer)
                continue
            if prop != "@type" and jsonld._is_keyword(prop):
                if prop == "@index" and "@index" in node and input_["@index"] != node["@index"]:
                    raise jsonld.JsonLdError(
                        "Invalid JSON-LD syntax; conflicting @index property  detected.",
                        "jsonld.SyntaxError", {"node": node}, code="conflicting indexes",
                    )
                node[prop] = input_[prop]
                continue
            if prop.startswith("_:"):
                prop = issuer.get_id(prop)
            if not objects:
                node.setdefault(prop, [])
                continue
            for value in objects:
                if prop == "@type":
                    self._add(node, prop, issuer.get_id(value) if value.startswith("_:") else value)
                else:
                    self._create_node_map(value, graph_map, active_graph, issuer, id_, prop)


class BoundedRDFC(URDNA2015):  # type: ignore[misc]  # pyld is untyped
    """RDFC-1.0 with a selectable internal hash, charging its work to ``budget``.

    One call of Hash N-Degree Quads tries every permutation of each group of
    related blank nodes that share a hash, copying the path's identifier
    issuer for each: it costs ``(1 + Σ k!) × (1 + issued identifiers)`` units,
    charged before pyld starts it, across the whole run, so a poison graph is
    refused at its first expensive step rather than after it.
    """

    def __init__(self, hash_name: str, budget: Budget) -> None:
        super().__init__()
        self._hash_name = hash_name
        self._budget = budget

    def create_hash(self) -> Any:  # noqa: D102 (pyld hook)
        return hashlib.new(self._hash_name)

    def hash_first_degree_quads(self, id_: str) -> Any:  # noqa: D102 (pyld hook)
        self._budget.tick()
        return super().hash_first_degree_quads(id_)

    def modify_first_degree_component(self, id_: str, component: dict[str, Any], key: str) -> dict[str, Any]:
        """RDFC-1.0 4.6.3 step 3.1.1 as pyld's URDNA2015 does it, less its deep copy of each term.

        A term is a flat dict of strings, so a new dict is the copy pyld makes with ``copy.deepcopy``.
        """
        if component["type"] != "blank node":
            return component
        return {**component, "value": "_:a" if component["value"] == id_ else "_:z"}

    def create_hash_to_related(self, id_: str, issuer: Any) -> Any:  # noqa: D102 (pyld hook)
        related = super().create_hash_to_related(id_, issuer)
        permutations = sum(math.factorial(min(len(group), _MAX_GROUP)) for group in related.values())
        self._budget.spend((1 + permutations) * (1 + len(issuer.order)))
        return related


def dataset_size(dataset: dict[str, list[dict[str, Any]]]) -> tuple[int, int]:
    """The number of quads and of distinct blank nodes in a pyld RDF dataset."""
    quads = 0
    blank: set[str] = set()
    for graph_name, triples in dataset.items():
        quads += len(triples)
        if graph_name.startswith("_:"):
            blank.add(graph_name)
        for triple in triples:
            for position in ("subject", "object"):
                if triple[position]["type"] == "blank node":
                    blank.add(triple[position]["value"])
    return quads, len(blank)
