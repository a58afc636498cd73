"""The JCS of plain JSON is Python's own encoder: byte-identical to rfc8785 on every document it takes, and it
hands rfc8785 the rest (floats, integers beyond 2^53, keys beyond U+FFFF, lone surrogates)."""

from __future__ import annotations

import random
from typing import Any

import pytest
import rfc8785

from vctrade.di._suite import _as_doubles, _jcs, _NotPlain, _plain_json
from vctrade.errors import InvalidDocument
from vctrade.jsonld._jsonld import DocumentLoader

_CHARACTERS = ["a", "Z", "0", " ", '"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "é", "€",
               "\u2028", "\ud7ff", "\ue000", "\uffff", "\U0001f600", "\U00010000", "ß", "日本"]


def _string(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARACTERS) for _ in range(rng.randrange(5)))


def _json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return _string(rng)
    if kind == 1:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53 - 1), 2**53, -(2**60), 10**21])
    if kind == 2:
        return rng.choice([0.5, -0.0, 1e21, 1e-7, 5.0, 123456789.125, 0.1, -2.5e-5, 1234.5678, 1e15 + 0.5, 3e-4])
    if kind == 3:
        return rng.choice([True, False, None])
    if kind == 4:
        return ""
    if kind == 5:
        return [_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {_string(rng): _json(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_identical_to_rfc8785_on_generated_json() -> None:
    rng = random.Random(8785)
    loader = DocumentLoader()
    fast = 0
    for _ in range(5000):
        value = _json(rng)
        if not isinstance(value, dict):
            value = {"v": value}
        try:
            _plain_json(value)
            fast += 1
        except _NotPlain:
            pass
        assert _jcs(value, loader) == rfc8785.dumps(_as_doubles(value)), value
    assert fast > 1500  # the fast path was taken often enough to be tested


@pytest.mark.parametrize("value", [{"n": 1e21}, {"n": 1e-7}, {"n": 2**53}, {"n": 2.0**60}, {"\U0001f600": 1},
                                   {"a": [{"b": 1e16 + 2}]}])
def test_what_the_fast_path_refuses(value: dict[str, Any]) -> None:
    with pytest.raises(_NotPlain):
        _plain_json(value)


def test_integral_floats_are_written_as_integers_and_the_input_is_not_changed() -> None:
    value = {"a": [845.0, -0.0, 812.5], "b": {"c": 1.0}}
    assert _jcs(value, DocumentLoader()) == b'{"a":[845,0,812.5],"b":{"c":1}}'
    assert value == {"a": [845.0, -0.0, 812.5], "b": {"c": 1.0}} and isinstance(value["a"][0], float)


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+E000 sorts after U+1F600 by code point but before it by UTF-16 (D83D DE00): RFC 8785 wants the latter
    value = {"\ue000": 1, "\U0001f600": 2}
    assert _jcs(value, DocumentLoader()) == '{"\U0001f600":2,"\ue000":1}'.encode()


def test_a_lone_surrogate_is_refused_with_a_message() -> None:
    with pytest.raises(InvalidDocument, match="JCS"):
        _jcs({"bad": "\ud800"}, DocumentLoader())
