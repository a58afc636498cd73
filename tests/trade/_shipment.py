"""Helpers the shipment documents' tests share (tests/trade/test_shipment_types.py and one module per type).

Imported relatively (``from ._shipment import changed``): the conftest's fixtures stay the way to reach paths, keys
and requests; this holds only plain functions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from vctrade.errors import TradeDocumentError

__all__ = ["DELETE", "changed", "check", "refusal"]

DELETE = object()  # as the value given to `changed`: remove the field instead


def changed(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with the field at ``path`` (keys and list indexes) set to ``value``, or removed."""
    result = copy.deepcopy(base)
    target = result
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def check(result: Any, name: str) -> Any:
    """The verification result's check called ``name`` (``schema``, ``json-ld``, ``proof.signature`` …)."""
    return next(c for c in result.checks if c.name == name)


def refusal(build: Callable[..., dict[str, Any]], request: dict[str, Any], issuer: str) -> TradeDocumentError:
    """The error with which ``build(request, issuer)`` refuses a request its schema or rules reject."""
    with pytest.raises(TradeDocumentError, match="^the request is not a valid credential: ") as raised:
        build(request, issuer)
    return raised.value
