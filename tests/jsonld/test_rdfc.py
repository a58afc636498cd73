"""vctrade's own JSON-LD -> RDF and RDFC-1.0 (_rdfc) give, byte for byte, what the pyld path gives, within the same caps.

The pyld path is what ``canonize()`` ran before _rdfc: ``ExpandedToRdf`` then ``BoundedRDFC`` (vctrade/jsonld/_rdf.py).
Both run over the same expansion of the W3C vectors, of fixtures/, and of thousands of seeded generated documents
(in expanded form), with both internal hashes; both must also charge the same RDFC-1.0 work.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vctrade.errors import (
    CanonicalizationLimitError,
    JsonLdSafetyError,
    UnsupportedError,
    VctradeError,
)
from vctrade.jsonld import DocumentLoader, canonize, expand_safe
from vctrade.jsonld._budget import Budget
from vctrade.jsonld._jsonld import _run_pyld
from vctrade.jsonld._rdf import BoundedRDFC, ExpandedToRdf
from vctrade.jsonld._rdfc import canonical_nquads, expanded_to_dataset

HASHES = ("sha256", "sha384")
RDFC = Path(__file__).resolve().parents[2] / "vctrade" / "jsonld" / "_rdfc.py"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EX = "http://example.org/"


def _by_pyld(expanded: list[Any], hash_name: str, budget: Budget, loader: DocumentLoader) -> str:
    """The pyld path, as canonize() ran it (pyld changes its input: it gets a copy)."""
    dataset = _run_pyld("to_rdf", copy.deepcopy(expanded), loader, ExpandedToRdf(budget), produceGeneralizedRdf=False)
    canonical: str = BoundedRDFC(hash_name, budget).main(dataset, {"format": "application/n-quads"})
    return canonical


def _ours(expanded: list[Any], hash_name: str, budget: Budget, loader: DocumentLoader) -> str:
    """What canonize() runs now: the calls the report hands the lead."""
    dataset = expanded_to_dataset(expanded, budget)
    return canonical_nquads(dataset, hash_name=hash_name, budget=budget, max_blank_nodes=loader.max_blank_nodes,
                            max_quads=loader.max_quads)


def _canonize(document: dict[str, Any], loader: DocumentLoader, hash_name: str = "sha256") -> str:
    """canonize() with _rdfc in place of pyld's RDF and RDFC (its expansion and budget unchanged)."""
    expanded = expand_safe(document, loader)
    return _ours(expanded, hash_name, Budget(loader.max_seconds, max_work=loader.max_rdfc_work), loader)


def _work(budget: Budget) -> int:
    return budget._work  # the RDFC-1.0 work charged so far


def _both(expanded: list[Any], hash_name: str, loader: DocumentLoader, **limits: Any) -> tuple[str, str]:
    """Both paths' canonical N-Quads, after checking they charged the same work."""
    seconds = limits.get("seconds", loader.max_seconds)
    max_work = limits.get("max_work", loader.max_rdfc_work)
    theirs_budget, ours_budget = Budget(seconds, max_work=max_work), Budget(seconds, max_work=max_work)
    theirs = _by_pyld(expanded, hash_name, theirs_budget, loader)
    ours = _ours(expanded, hash_name, ours_budget, loader)
    assert _work(ours_budget) == _work(theirs_budget)
    return theirs, ours


def _json_documents(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every JSON-LD document (a JSON object with @context) under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".json", ".jsonld") or not path.is_file():
            continue
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            continue
        if isinstance(document, dict) and "@context" in document:
            found.append((str(path.relative_to(folder)), document))
    return found


def _compare_folder(folder: Path) -> int:
    """Compare both paths over every document of ``folder`` that expands; how many were compared."""
    loader = DocumentLoader()
    compared = 0
    for name, document in _json_documents(folder):
        try:
            expanded = expand_safe(document, loader)
        except VctradeError:
            continue  # a context that is not bundled, or a term it does not define: nothing to canonicalize
        for hash_name in HASHES:
            theirs, ours = _both(expanded, hash_name, loader)
            assert ours == theirs, f"{name} ({hash_name})"
        compared += 1
    return compared


def test_every_w3c_vector_that_expands_canonicalizes_as_pyld_does(vectors: Path) -> None:
    assert _compare_folder(vectors) >= 150  # 161 of the vectors' JSON-LD documents expand with the bundled contexts


def test_every_fixture_canonicalizes_as_pyld_does(fixtures_dir: Path) -> None:
    assert _compare_folder(fixtures_dir) >= 10


# Generated documents, in expanded form (absolute IRIs as keys, so no context is needed).

_CHARACTERS = list("abcXYZ 09.-") + ['"', "\\", "\n", "\r", "\t", "\x00", "\x01", "\x1f", "\x7f", "é", "中", "😀",
                                     "\u2028", "\ufeff", "'", "<", ">", "^", "@", "_:"]
_IRIS = [f"{EX}a", f"{EX}b#x", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "did:example:123", f"{EX}é",
         "tag:x,y:z", "x,y:z", "https://example.org/a b", "rel/x", "g1", f"{EX}a\n"]
_PREDICATES = [f"{EX}p{i}" for i in range(4)] + [RDF + "type", "https://schema.org/name"]
_ODD_PREDICATES = ["_:bp", "rel", "@foo", f"{EX}has space"]
_TYPES = [f"{EX}T1", f"{EX}T2", "_:t1", "https://schema.org/Thing", "rel"]
_DATATYPES = [XSD + "string", XSD + "integer", XSD + "double", XSD + "date", XSD + "boolean", f"{EX}dt", "_:dt",
              RDF + "langString", "rel"]
_NUMBERS: list[Any] = [0, 1, -1, 42, 2**53 + 1, 10**20, 10**21, 10**21 + 1, -(10**25), 10**300, 0.0, -0.0, 5.0,
                       1e21, 1.5e21, -1e21, 1e-7, 1.5, -2.25, 123456.789, 1e300, 5e-324, 0.1, 1e16, 1e20, 2.0**60,
                       1e-6, 0.000001234, float("nan"), float("inf")]
_DOUBLE_TEXTS = ["1.5", "abc", " 2 ", "1e400", "nan", "1_000", "-0", "+3.25e2", ""]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARACTERS) for _ in range(rng.randrange(9)))


def _number(rng: random.Random) -> Any:
    if rng.random() < 0.5:
        return rng.choice(_NUMBERS)
    if rng.random() < 0.5:
        return rng.randrange(-(10**6), 10**6)
    return rng.uniform(-1, 1) * 10.0 ** rng.randrange(-12, 26)


def _json(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value for an rdf:JSON literal (finite numbers: JSON has no others)."""
    kind = rng.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        number = _number(rng)
        return 7 if isinstance(number, float) and not math.isfinite(number) else number
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.choice(["\U0001f600", "\uffff", "é", "a", "\x00", "B"])
    if kind == 4:
        return rng.randrange(10**30)
    if kind == 5:
        return [_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["a", "B", "é", "\U0001f600", "\uffff", "", "a b", "10", "1"]
    return {rng.choice(keys): _json(rng, depth + 1) for _ in range(rng.randrange(5))}


def _value(rng: random.Random) -> dict[str, Any]:
    """A value object of one of the kinds JSON-LD to RDF turns into a different literal form."""
    kind = rng.randrange(9)
    if kind == 0:
        value: dict[str, Any] = {"@value": _text(rng)}
    elif kind == 1:
        value = {"@value": _text(rng), "@language": rng.choice(["en", "en-US", "fr", "zh-Hant"])}
        if rng.random() < 0.3:
            value["@direction"] = rng.choice(["ltr", "rtl"])
    elif kind == 2:
        value = {"@value": _number(rng)}
    elif kind == 3:
        value = {"@value": rng.choice([True, False])}
    elif kind == 4:
        value = {"@value": _text(rng), "@type": rng.choice(_DATATYPES)}
    elif kind == 5:
        value = {"@value": rng.choice(_DOUBLE_TEXTS), "@type": XSD + "double"}
    elif kind == 6:
        value = {"@value": rng.choice([_number(rng), rng.choice([True, False])]), "@type": rng.choice(_DATATYPES)}
    elif kind == 7:
        value = {"@value": _json(rng), "@type": "@json"}
    else:
        value = {"@value": _text(rng), "@index": rng.choice(["i1", "i2"])}
    return value


def _reference(rng: random.Random, blanks: list[str], *, relative: bool = True) -> dict[str, Any]:
    choices = blanks + [iri for iri in _IRIS if relative or iri not in ("rel/x", "g1", "https://example.org/a b")]
    return {"@id": rng.choice(choices)}


def _list(rng: random.Random, blanks: list[str], depth: int) -> dict[str, Any]:
    """A @list of values, references, nested lists and embedded nodes (no relative IRI: pyld fails on those)."""
    items: list[Any] = []
    for _ in range(rng.randrange(5)):
        kind = rng.randrange(4 if depth < 3 else 2)
        if kind == 0:
            items.append(_value(rng))
        elif kind == 1:
            items.append(_reference(rng, blanks, relative=False))
        elif kind == 2:
            items.append(_list(rng, blanks, depth + 1))
        else:
            node = _node(rng, blanks, depth + 1)
            if node.get("@id") in ("rel/x", "g1", "https://example.org/a b"):
                node["@id"] = rng.choice(blanks)
            items.append(node)
    return {"@list": items}


def _node(rng: random.Random, blanks: list[str], depth: int = 0) -> dict[str, Any]:
    """A node object: id, types, properties of values, references, lists and embedded nodes, maybe a graph."""
    node: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.4:
        node["@id"] = rng.choice(blanks)
    elif roll < 0.8:
        node["@id"] = rng.choice(_IRIS)
    elif rng.random() < 0.5:
        node["@index"] = "n"  # only on fresh blank nodes: indexes never conflict
    if rng.random() < 0.5:
        node["@type"] = rng.sample(_TYPES, rng.randrange(1, 3))
    for _ in range(rng.randrange(4)):
        predicate = rng.choice(_ODD_PREDICATES) if rng.random() < 0.1 else rng.choice(_PREDICATES)
        objects: list[Any] = node.setdefault(predicate, [])
        for _ in range(rng.randrange(4)):
            kind = rng.randrange(5 if depth < 3 else 3)
            if kind == 0:
                objects.append(_value(rng))
            elif kind == 1:
                objects.append(_reference(rng, blanks))
            elif kind == 2:
                objects.append(_list(rng, blanks, depth))
            else:
                objects.append(_node(rng, blanks, depth + 1))
        if objects and rng.random() < 0.3:
            objects.append(copy.deepcopy(rng.choice(objects)))  # a duplicate: one is kept (but lists never merge)
    if depth < 2 and rng.random() < 0.15:
        node["@graph"] = [_node(rng, blanks, depth + 1) for _ in range(rng.randrange(3))]
    if depth < 2 and rng.random() < 0.08:
        node["@reverse"] = {rng.choice(_PREDICATES): [_node(rng, blanks, depth + 1)]}
    if depth < 2 and rng.random() < 0.05:
        node["@included"] = [_node(rng, blanks, depth + 1)]
    return node


def _symmetric(rng: random.Random, prefix: str) -> list[dict[str, Any]]:
    """Blank nodes that look alike until their neighbours are hashed: a ring, a clique, or two equal rings."""
    size = rng.randrange(2, 5)
    shape = rng.randrange(3)
    predicate = rng.choice(_PREDICATES[:3])
    label = rng.choice(["x", "y"])
    rings = 2 if shape == 2 else 1
    nodes = []
    for ring in range(rings):
        names = [f"_:{prefix}r{ring}n{i}" for i in range(size)]
        for i, name in enumerate(names):
            neighbours = [names[(i + 1) % size]] if shape != 1 else [other for other in names if other != name]
            nodes.append({"@id": name, predicate: [{"@id": n} for n in neighbours], f"{EX}label": [{"@value": label}]})
    return nodes


def _document(seed: int) -> list[Any]:
    """One generated expanded document."""
    rng = random.Random(seed)
    blanks = [f"_:n{i}" for i in range(rng.randrange(1, 6))]
    document: list[Any] = [_node(rng, blanks) for _ in range(rng.randrange(1, 4))]
    if rng.random() < 0.5:
        document.extend(_symmetric(rng, "s"))
    if rng.random() < 0.2:
        document.append({"@id": rng.choice([f"{EX}g", "_:g"]), "@graph": _symmetric(rng, "t")})
    if rng.random() < 0.05:
        document.append(_value(rng))  # a value with no subject: dropped
    rng.shuffle(document)
    return document


def _features(document: list[Any]) -> set[str]:
    text = json.dumps(document, default=str)
    return {name for name, marker in (("graph", '"@graph"'), ("list", '"@list"'), ("json", '"@json"'),
                                      ("reverse", '"@reverse"'), ("language", '"@language"')) if marker in text}


@pytest.mark.parametrize("chunk", range(4))
def test_generated_documents_canonicalize_as_pyld_does(chunk: int) -> None:
    loader = DocumentLoader()
    seen: Counter[str] = Counter()
    for seed in range(chunk * 800, (chunk + 1) * 800):
        document = _document(seed)
        hash_name = HASHES[seed % 2]
        # Room for every generated document (the charge counts k! for k alike neighbours, however few paths are
        # walked): outputs and charges are compared, not refusals.
        budget = Budget(60, max_work=10**12)
        theirs = _by_pyld(document, hash_name, budget, loader)
        theirs_work = _work(budget)
        budget = Budget(60, max_work=10**12)
        untouched = copy.deepcopy(document)
        ours = _ours(document, hash_name, budget, loader)
        assert ours == theirs, f"seed {seed} ({hash_name})"
        assert document == untouched, f"seed {seed}: the input changed"  # so canonize() need not copy it
        assert _work(budget) == theirs_work, f"seed {seed}: RDFC work {_work(budget)} != {theirs_work}"
        seen.update(_features(document))
        seen["n-degree"] += theirs_work > 0
    # the generator reaches every feature it is there for, often
    assert min(seen[name] for name in ("graph", "list", "json", "reverse", "language")) >= 30, seen
    assert seen["n-degree"] >= 200, seen


@pytest.mark.parametrize("hash_name", HASHES)
def test_symmetric_shapes_match_pyld_in_output_and_work(hash_name: str) -> None:
    loader = DocumentLoader()
    for size in range(2, 7):
        ring = [{"@id": f"_:r{i}", f"{EX}next": [{"@id": f"_:r{(i + 1) % size}"}]} for i in range(size)]
        clique = [{"@id": f"_:c{i}", f"{EX}p": [{"@id": f"_:c{j}"} for j in range(size) if j != i]} for i in range(size)]
        for shape in (ring, clique, ring + [{**node, "@id": node["@id"] + "b"} for node in ring]):
            theirs, ours = _both(shape, hash_name, loader, max_work=10**8)
            assert ours == theirs


def test_the_work_bound_is_exact() -> None:
    # A 5-clique costs a known amount; one unit less is refused, by both paths alike.
    clique = [{"@id": f"_:c{i}", f"{EX}p": [{"@id": f"_:c{j}"} for j in range(5) if j != i]} for i in range(5)]
    budget = Budget(60, max_work=10**8)
    _ours(clique, "sha256", budget, DocumentLoader())
    needed = _work(budget)
    assert needed > 1_000
    assert _ours(clique, "sha256", Budget(60, max_work=needed), DocumentLoader())
    for run in (_ours, _by_pyld):
        with pytest.raises(CanonicalizationLimitError, match="work bound"):
            run(clique, "sha256", Budget(60, max_work=needed - 1), DocumentLoader())


# Caps, refusals and errors.


def _clique(size: int) -> list[dict[str, Any]]:
    """The RDFC "poison graph": every blank node linked to every other, so all hash alike at every degree."""
    return [{"@id": f"_:b{i}", f"{EX}p": [{"@id": f"_:b{j}"} for j in range(size) if j != i]} for i in range(size)]


def test_a_poison_graph_is_refused_by_the_work_bound_at_its_first_expensive_step() -> None:
    budget = Budget(60, max_work=100_000)
    with pytest.raises(CanonicalizationLimitError, match="max_rdfc_work") as refused:
        _ours(_clique(10), "sha256", budget, DocumentLoader())
    assert refused.value.code == "canonicalization_too_costly"
    assert "work bound of 100000 units" in str(refused.value)
    # The first Hash N-Degree Quads call is refused before it tries any ordering: it is charged for the 9! orderings
    # of the 9 nodes its node points to and the 9! of the 9 that point to it, times (1 + the 1 node on its path).
    assert _work(budget) == (1 + 2 * math.factorial(9)) * 2


def test_too_many_blank_nodes_are_refused_before_any_hashing() -> None:
    dataset = expanded_to_dataset(_clique(12), Budget(60))
    expired = Budget(0.0, max_work=0)  # any hashing or Hash N-Degree Quads work would be refused for time or work
    with pytest.raises(CanonicalizationLimitError, match="max_blank_nodes") as refused:
        canonical_nquads(dataset, hash_name="sha256", budget=expired, max_blank_nodes=11, max_quads=1000)
    assert str(refused.value) == ("the document has 12 blank nodes, over the limit of 11 "
                                  "(DocumentLoader.max_blank_nodes)")
    assert refused.value.code == "canonicalization_too_costly"


def test_too_many_quads_are_refused_before_any_hashing() -> None:
    dataset = expanded_to_dataset(_clique(12), Budget(60))
    with pytest.raises(CanonicalizationLimitError, match="max_quads") as refused:
        canonical_nquads(dataset, hash_name="sha256", budget=Budget(0.0, max_work=0), max_blank_nodes=12,
                         max_quads=131)
    assert str(refused.value) == "the document has 132 RDF quads, over the limit of 131 (DocumentLoader.max_quads)"


def test_blank_named_empty_graphs_count_as_blank_nodes_as_before() -> None:
    # pyld's dataset keeps an empty graph named by a blank node, and canonize() counted that name
    document = [{"@id": "_:g", "@graph": []}, {"@id": f"{EX}s", f"{EX}p": [{"@value": "x"}]}]
    with pytest.raises(CanonicalizationLimitError, match="1 blank nodes, over the limit of 0"):
        canonical_nquads(expanded_to_dataset(document, Budget(60)), hash_name="sha256", budget=Budget(60),
                         max_blank_nodes=0, max_quads=10)


@pytest.mark.parametrize("limit", ["max_blank_nodes", "max_quads"])
def test_cap_messages_are_those_canonize_gives(limit: str) -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:x", "item": [{"name": f"x{i}"} for i in range(30)]}}
    loader = DocumentLoader(**{limit: 20})
    with pytest.raises(CanonicalizationLimitError) as before:
        canonize(document, loader)
    with pytest.raises(CanonicalizationLimitError) as now:
        _canonize(document, loader)
    assert str(now.value) == str(before.value) and now.value.code == before.value.code


def test_a_poison_graph_under_a_huge_work_bound_is_refused_by_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(CanonicalizationLimitError, match="max_seconds") as refused:
        _ours(_clique(9), "sha256", Budget(0.3, max_work=10**15), DocumentLoader())
    assert time.monotonic() - started < 3.0
    assert "took longer than 0.3 s" in str(refused.value)


def test_a_slow_conversion_to_rdf_is_refused_by_the_deadline() -> None:
    many = [{"@id": f"{EX}s{i}", f"{EX}p": [{"@value": f"v{j}"} for j in range(50)]} for i in range(2_000)]
    with pytest.raises(CanonicalizationLimitError, match="max_seconds"):
        expanded_to_dataset(many, Budget(0.0))


# canonize()'s own limit tests (test_canonicalization_limits.py), through _rdfc: their expectations hold.

V2 = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


def _credential(subject: dict[str, Any]) -> dict[str, Any]:
    return {"@context": V2, "type": ["VerifiableCredential"], "credentialSubject": subject}


def test_two_rings_of_200_blank_nodes_hit_the_work_bound() -> None:
    rings = [{"id": f"_:c{c}n{i}", "next": {"id": f"_:c{c}n{(i + 1) % 200}"}} for c in range(2) for i in range(200)]
    with pytest.raises(CanonicalizationLimitError, match="max_rdfc_work"):
        _canonize(_credential({"id": "did:example:x", "ring": rings}), DocumentLoader())


def test_twenty_thousand_alike_blank_nodes_hit_the_blank_node_cap() -> None:
    document = _credential({"id": "did:example:x", "item": [{"name": "x"} for _ in range(20_000)]})
    with pytest.raises(CanonicalizationLimitError, match="max_blank_nodes") as refused:
        _canonize(document, DocumentLoader())
    assert refused.value.code == "canonicalization_too_costly"


def test_eight_thousand_values_of_one_property_convert_in_linear_time() -> None:
    document = _credential({"id": "did:example:x", "tag": [f"t{i}" for i in range(8_000)]})
    assert _canonize(document, DocumentLoader(max_seconds=1.0)).count("\n") == 8_002


def test_errors_pyld_would_raise_unexplained_are_clear_refusals() -> None:
    subject = {"@id": f"{EX}s"}
    for value, words in (({"@value": 10**400}, "too large"),
                         ({"@value": 10**400, "@type": XSD + "double"}, "too large"),
                         ({"@value": {"n": float("nan")}, "@type": "@json"}, "JSON cannot write"),
                         ({"@value": None}, "not an RDF literal")):
        with pytest.raises(JsonLdSafetyError, match=words):
            expanded_to_dataset([{**subject, f"{EX}p": [value]}], Budget(60))
    with pytest.raises(JsonLdSafetyError, match="conflicting @index"):
        expanded_to_dataset([{"@id": f"{EX}s", "@index": "a"}, {"@id": f"{EX}s", "@index": "b"}], Budget(60))
    with pytest.raises(UnsupportedError, match="sha1"):
        canonical_nquads(expanded_to_dataset([], Budget(60)), hash_name="sha1", budget=Budget(60),
                         max_blank_nodes=10, max_quads=10)


def test_a_relative_iri_in_a_list_is_left_out_as_the_spec_says() -> None:
    # pyld writes a quad with no object here and then fails; the spec leaves out that rdf:first
    document = [{"@id": f"{EX}s", f"{EX}p": [{"@list": [{"@id": "relative"}, {"@value": "x"}]}]}]
    budget = Budget(60)
    canonical = canonical_nquads(expanded_to_dataset(document, budget), hash_name="sha256", budget=budget,
                                 max_blank_nodes=10, max_quads=10)
    assert canonical == (
        f"<{EX}s> <{EX}p> _:c14n0 .\n"
        f"_:c14n0 <{RDF}rest> _:c14n1 .\n"
        f"_:c14n1 <{RDF}first> \"x\" .\n"
        f"_:c14n1 <{RDF}rest> <{RDF}nil> .\n"
    )


def test_literal_forms() -> None:
    subject = f"{EX}s"
    cases = [
        ({"@value": 5.0}, f'"5"^^<{XSD}integer>'),
        ({"@value": -0.0}, f'"0"^^<{XSD}integer>'),
        ({"@value": 1e21}, f'"1.0E21"^^<{XSD}double>'),
        ({"@value": 10**21}, f'"1.0E21"^^<{XSD}double>'),
        ({"@value": 1.5}, f'"1.5E0"^^<{XSD}double>'),
        ({"@value": 5, "@type": XSD + "double"}, f'"5.0E0"^^<{XSD}double>'),
        ({"@value": "abc", "@type": XSD + "double"}, f'"abc"^^<{XSD}double>'),
        ({"@value": True}, f'"true"^^<{XSD}boolean>'),
        ({"@value": "a\"b\\c\nd\te\rf\x01"}, '"a\\"b\\\\c\\nd\\te\\rf\x01"'),
        ({"@value": "hi", "@language": "en"}, '"hi"@en'),
        ({"@value": {"b": [1.0, 1e21, 1e-7], "a": None, "\U0001f600": "é", "\uffff": True}, "@type": "@json"},
         '"{\\"a\\":null,\\"b\\":[1,1e+21,1e-7],\\"\U0001f600\\":\\"é\\",\\"\uffff\\":true}"^^<' + RDF + 'JSON>'),
    ]
    for value, literal in cases:
        dataset = expanded_to_dataset([{"@id": subject, f"{EX}p": [value]}], Budget(60))
        assert dataset.quads == [(f"<{subject}>", f"<{EX}p>", literal, None)], value


def test_rdfc_imports_nothing_of_pyld() -> None:
    imported = set()
    for node in ast.walk(ast.parse(RDFC.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    ours = {name for name in imported if name.split(".")[0] not in ("__future__", "hashlib", "math", "re",
                                                                        "collections", "json", "typing")}
    assert ours == {"vctrade.errors", "vctrade.jsonld._budget"}
