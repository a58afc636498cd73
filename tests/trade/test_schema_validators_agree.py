"""The compiled validator (jsonschema-rs) that decides conformance agrees with jsonschema, which explains it.

A credential the fast validator passes is never looked at again, so a disagreement would let through what
jsonschema (and the schema's author) rejects. Seeded single-field mutations of every trade fixture: the AEO
certifications, the certificates of origin and the shipment's documents, each schema also with values of its own.
"""

from __future__ import annotations

import copy
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from vctrade import Key
from vctrade.trade import get_trade_type, load_request

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ISSUER = Key.generate("Ed25519").did
VALUES: list[Any] = [None, True, 0, -1, 1.5, "", "x", "A", "99", "0000", "2026-13-45", "US", "USA", "us", [], {}, ["A"],
                     {"type": "Organization"}, "did:web:example.com", "https://x", "7208.51", "720851", "72085100001"]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _mutated(document: dict[str, Any], rng: random.Random, values: list[Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    path = rng.choice(_paths(changed))
    parent: Any = changed
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(values))
    return changed


# (schema, the trade type it judges, its fixtures as (folder, name), values of its own to mutate with, mutations each)
_SCHEMAS = [
    ("aeo-certificate-v1.json", "aeo", [("aeo", n) for n in ("acme-ctpat", "eu-aeo-holder", "mx-oea-aceros")], [], 400),
    ("certificate-of-origin-v1.json", "origin", [("origin", n) for n in ("usmca-steel", "cafta-apparel")], [], 400),
    ("commercial-invoice-v1.json", "invoice", [("shipment", "invoice")],
     [["A", "A"], "7208", "7208.37", "FOB Houston", "FOBX"], 600),
    ("mill-test-report-v1.json", "mill-test-report", [("shipment", "mill-test-report")],
     [101, {"Carbon": 1}, {"C": 0.2}, {"value": 300, "unitCode": "MPA"}, "7208", "7208.37"], 600),
    ("bill-of-lading-v1.json", "bill-of-lading", [("shipment", "bill-of-lading")],
     [26, "MXATM", "MXAT1", "GFIL", "gfil", "GFIU4120736", "KGM", "KG", {"name": "Houston"}, "7208.37"], 600),
    ("sima-licence-v1.json", "sima-licence", [("shipment", "sima-licence"), ("shipment", "sima-licence-a36")],
     ["7208.37.0030", "S26-0093417", "5301", "TNE", "PCE", "2027-01-02T23:59:59Z"], 600),
    ("export-declaration-v1.json", "export-declaration", [("shipment", "export-declaration")],
     ["26 81 3912 6001234", "26813912600123", "DeclarationLine", "MXN", {"legalName": "X"}], 600),
    ("entry-summary-v1.json", "entry-summary", [("shipment", "entry-summary")],
     ["RBB-2611874-3", "01", "S", "S+", "7208.37.0030", "S26-0093417", "urn:uuid:6f0d3a4e-2b8c-4a51-9d2e-5c0b7e1a9f31"],
     600),
]


@pytest.mark.parametrize(("schema_file", "trade_type", "documents", "values", "rounds"), _SCHEMAS,
                         ids=[row[0] for row in _SCHEMAS])
def test_both_validators_give_the_same_verdict(schema_file: str, trade_type: str, documents: list[tuple[str, str]],
                                               values: list[Any], rounds: int) -> None:
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / schema_file).read_text(encoding="utf-8"))
    slow = jsonschema.Draft202012Validator(schema)
    fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    rng = random.Random(20261128)
    judged_by = get_trade_type(trade_type)
    assert schema["$id"] == judged_by.schema.id
    checked = invalid = 0
    for kind, name in documents:
        credential = judged_by.build(load_request(FIXTURES / kind / f"{name}.yaml"), ISSUER)
        assert fast.is_valid(credential) and slow.is_valid(credential)
        for _ in range(rounds):
            candidate = _mutated(credential, rng, [*VALUES, *values])
            verdict = slow.is_valid(candidate)
            assert fast.is_valid(candidate) == verdict, json.dumps(candidate)[:300]
            checked += 1
            invalid += not verdict
    assert checked == rounds * len(documents) and invalid > checked // 4  # the mutations reach the rules
