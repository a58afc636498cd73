"""json_problem decides plain JSON without building field names, and names the field whenever there is a problem:
the quick walk and the named walk agree on every generated value."""

from __future__ import annotations

import random
from typing import Any

from vctrade.model._json import _is_plain_json, _named_problem, json_problem

_LEAVES: list[Any] = ["ok", "é", "\ud800", 0, 2**53, 2**1100, 1.5, float("nan"), float("inf"), True, None, b"bytes",
                      (1, 2), object()]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(6 if depth < 5 else 1)
    if kind == 0:
        return rng.choice(_LEAVES)
    if kind in (1, 2):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["a", "b", "ü", "\udc00", 1]): _value(rng, depth + 1) for _ in range(rng.randrange(3))}


def test_quick_and_named_walks_agree() -> None:
    rng = random.Random(52)
    plain = 0
    for _ in range(5000):
        value = _value(rng)
        for depth in (3, 100):
            named = _named_problem(value, depth)
            assert _is_plain_json(value, depth) == (named is None), value
            assert json_problem(value, max_depth=depth) == named
            plain += named is None
    assert plain > 500


def test_a_problem_names_its_field() -> None:
    assert json_problem({"credentialSubject": {"items": [1, float("nan")]}}) == (
        "credentialSubject.items[1]: NaN, Infinity and numbers beyond a double's range are not JSON numbers")
