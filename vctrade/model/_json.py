"""Plain, bounded JSON: what every document must be before anything walks it.

A verifier is handed JSON by strangers. Before any recursive code (JSON-LD
expansion, canonicalization, schema validation, SD-JWT reconstruction) sees a
value, :func:`json_problem` makes sure it is nested at most :data:`MAX_DEPTH`
deep, has string member names, finite numbers within a double's range (so that
every number can be printed and canonicalized) and text that is valid Unicode.
It walks the value with its own stack, so a hostile document cannot exhaust
Python's. :func:`parse_json_int` lets the JSON parser hand a number too long
to convert to that check, so that the problem names the field.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["MAX_DEPTH", "json_problem", "parse_json_int"]

# Deep enough for any credential (trade documents nest < 15); shallow enough that the recursive
# stages after the check (pyld, RDFC, JCS, jsonschema) stay far from the interpreter's recursion limit.
MAX_DEPTH = 100
_MAX_NUMBER = int(sys.float_info.max)  # RFC 8259 §6 / I-JSON: numbers beyond a double are not interoperable
# A JSON integer has no leading zeros, so one longer than this is beyond any double (and close to
# Python's 4,300-digit limit on int(str)): the parser hands it over as an infinite float instead.
_LONGEST_INTEGER = 310
_PATH_SHOWN = 120


def parse_json_int(text: str) -> int | float:
    """``parse_int`` for :func:`json.loads`: an integer too long for a double becomes ±inf, which
    :func:`json_problem` then reports at its field (``int()`` would raise for 4,300+ digits)."""
    return float(text) if len(text) > _LONGEST_INTEGER else int(text)


def _name(path: str) -> str:
    if not path:
        return "the document"
    return path if len(path) <= _PATH_SHOWN else path[:_PATH_SHOWN] + "…"


def _text_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON text): not a Unicode string
        return "is not valid Unicode text (a lone surrogate)"
    return None


def json_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` is not plain, bounded JSON, naming the field (``credentialSubject.items[3]``); None if it is."""
    if _is_plain_json(value, max_depth):
        return None  # the common case, decided without building a path for every field
    return _named_problem(value, max_depth)


def _is_plain_json(value: Any, max_depth: int) -> bool:
    """:func:`json_problem`'s test without the names: True when there is nothing to report."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict:
            if depth >= max_depth:
                return False
            for key, item in node.items():
                if type(key) is not str or (not key.isascii() and _text_problem(key)):
                    return False
                if type(item) is str:  # most values: checked here, never stacked
                    if not item.isascii() and _text_problem(item):
                        return False
                else:
                    stack.append((item, depth + 1))
        elif kind is list or kind is tuple:
            if depth >= max_depth:
                return False
            stack.extend((item, depth + 1) for item in node)
        elif kind is str:
            if not node.isascii() and _text_problem(node):
                return False
        elif kind is int:
            if not -_MAX_NUMBER <= node <= _MAX_NUMBER:
                return False
        elif kind is float:
            if node != node or node in (float("inf"), float("-inf")):
                return False
        elif node is not None and kind is not bool:
            return False  # subclasses and other types: the named walk says what they are
    return True


def _named_problem(value: Any, max_depth: int) -> str | None:
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            if depth >= max_depth:
                return f"{_name(path)}: nested more than {max_depth} levels deep"
            if isinstance(node, dict):
                for key, item in node.items():
                    if not isinstance(key, str):
                        return f"{_name(path)}: a member name must be a string, not {type(key).__name__}"
                    problem = _text_problem(key)
                    if problem:
                        return f"{_name(path)}: a member name {problem}"
                    stack.append((item, f"{path}.{key}" if path else key, depth + 1))
            else:
                stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(node))
        elif isinstance(node, str):
            problem = _text_problem(node)
            if problem:
                return f"{_name(path)} {problem}"
        elif node is None or isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not -_MAX_NUMBER <= node <= _MAX_NUMBER:
                return f"{_name(path)}: the number is beyond the range of a JSON number (an IEEE 754 double)"
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                return f"{_name(path)}: NaN, Infinity and numbers beyond a double's range are not JSON numbers"
        else:
            return f"{_name(path)}: a {type(node).__name__} is not a JSON value"
    return None
