"""The compiled validator (jsonschema-rs) that decides conformance agrees with jsonschema, which explains it.

A credential the fast validator passes is never looked at again, so a disagreement would let through what
jsonschema (and the schema's author) rejects. Seeded single-field mutations of every trade fixture.
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
from vctrade.trade import build_aeo_credential, build_origin_credential, load_request

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


def _mutated(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    path = rng.choice(_paths(changed))
    parent: Any = changed
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
    return changed


@pytest.mark.parametrize(("schema_file", "documents"), [
    ("aeo-certificate-v1.json", [("aeo", n) for n in ("acme-ctpat", "eu-aeo-holder", "mx-oea-aceros")]),
    ("certificate-of-origin-v1.json", [("origin", n) for n in ("usmca-steel", "cafta-apparel")]),
])
def test_both_validators_give_the_same_verdict(schema_file: str, documents: list[tuple[str, str]]) -> None:
    schema = json.loads((resources.files("vctrade.trade") / "schemas" / schema_file).read_text(encoding="utf-8"))
    slow = jsonschema.Draft202012Validator(schema)
    fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
    rng = random.Random(20261128)
    build = {"aeo": build_aeo_credential, "origin": build_origin_credential}
    checked = invalid = 0
    for kind, name in documents:
        credential = build[kind](load_request(FIXTURES / kind / f"{name}.yaml"), ISSUER)
        assert fast.is_valid(credential) and slow.is_valid(credential)
        for _ in range(400):
            candidate = _mutated(credential, rng)
            verdict = slow.is_valid(candidate)
            assert fast.is_valid(candidate) == verdict, json.dumps(candidate)[:300]
            checked += 1
            invalid += not verdict
    assert checked == 400 * len(documents) and invalid > checked // 4  # the mutations reach the rules
