"""What one document may cost: JSON shape caps checked before any work, and a budget spent while working.

:func:`check_json` walks a JSON value once (iteratively, so a deep value
cannot exhaust the stack) and refuses it if it is nested deeper or holds more
values than allowed. A :class:`Budget` is carried through one expansion, or
through one RDF conversion and RDFC-1.0 run: a wall-clock deadline read every
few steps, and counts of the work that can grow faster than the document
(JSON-LD term definitions, RDFC-1.0 Hash N-Degree Quads). Every refusal is a
:class:`~vctrade.errors.CanonicalizationLimitError` with a specific ``code``
(``document_too_deep``, ``document_too_large``, ``canonicalization_too_costly``),
which verification reports as a failed check.
"""

from __future__ import annotations

import time
from typing import Any

from vctrade.errors import CanonicalizationLimitError

__all__ = ["Budget", "check_json", "too_costly"]

# Reading the clock costs more than counting a step; read it on every 64th step.
_CLOCK_EVERY = 64


def too_costly(message: str) -> CanonicalizationLimitError:
    """The error for a document over a canonicalization cap or budget."""
    return CanonicalizationLimitError(message, code="canonicalization_too_costly")


def check_json(value: Any, *, max_depth: int, max_values: int) -> int:
    """Refuse ``value`` if objects and arrays nest deeper than ``max_depth`` or it holds over ``max_values`` values.

    Every object, array, string, number, boolean and null counts as one value
    (object keys do not). The walk stops at the first excess, so its cost is
    bounded by the caps, not by the document. Returns the number of values
    outside ``@context`` members: the document's content, as opposed to the
    contexts that say how to read it.
    """
    containers = (dict, list)
    stack: list[tuple[Any, int, bool]] = [(value, 1, False)] if isinstance(value, containers) else []
    count = 1
    in_contexts = 0
    while stack:  # only containers are pushed: scalars are counted with their parent
        item, depth, in_context = stack.pop()
        if depth > max_depth:
            raise CanonicalizationLimitError(
                f"the document nests objects and arrays deeper than {max_depth} levels "
                "(DocumentLoader.max_json_depth)",
                code="document_too_deep",
            )
        is_dict = isinstance(item, dict)
        children = item.values() if is_dict else item
        count += len(children)
        if count > max_values:
            raise CanonicalizationLimitError(
                f"the document holds more than {max_values} JSON values (DocumentLoader.max_json_values)",
                code="document_too_large",
            )
        if in_context:
            in_contexts += len(children)
        elif is_dict and "@context" in item:
            in_contexts += 1
            for key, child in item.items():
                if isinstance(child, containers):
                    stack.append((child, depth + 1, key == "@context"))
            continue
        deeper = depth + 1
        for child in children:
            kind = type(child)
            if kind is str or kind is int or kind is float or kind is bool or child is None:
                continue  # a scalar, counted above: the common case decided without isinstance
            if isinstance(child, containers):
                stack.append((child, deeper, in_context))
    return count - in_contexts


class Budget:
    """The work one document may still cost: a wall-clock deadline, JSON-LD term definitions, RDFC-1.0 work."""

    __slots__ = ("_seconds", "_deadline", "_max_terms", "_terms", "_max_work", "_work", "_countdown")

    def __init__(self, seconds: float, *, max_terms: int = 0, max_work: int = 0) -> None:
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._max_terms = max_terms
        self._terms = 0
        self._max_work = max_work
        self._work = 0
        self._countdown = _CLOCK_EVERY

    def tick(self) -> None:
        """Count one step of processing; refuse once the deadline has passed."""
        self._countdown -= 1
        if self._countdown <= 0:
            self._countdown = _CLOCK_EVERY
            if time.monotonic() > self._deadline:
                raise too_costly(
                    f"JSON-LD processing and canonicalization of the document took longer than "
                    f"{self._seconds:g} s (DocumentLoader.max_seconds)"
                )

    def define_term(self) -> None:
        """Count one JSON-LD term definition; refuse once the document's allowance is used up."""
        self._terms += 1
        if self._terms > self._max_terms:
            raise too_costly(
                f"JSON-LD expansion processed more than {self._max_terms} term definitions for this document "
                "(DocumentLoader.max_context_terms, context_terms_per_value); its contexts are repeated or nested "
                "far beyond what its content needs"
            )
        self.tick()

    def spend(self, units: int) -> None:
        """Spend ``units`` of RDFC-1.0 work; refuse once the work bound is exceeded."""
        self._work += units
        if self._work > self._max_work:
            raise too_costly(
                f"RDFC-1.0 canonicalization exceeded its work bound of {self._max_work} units "
                "(DocumentLoader.max_rdfc_work); the document's blank nodes are too symmetric to canonicalize safely"
            )
        self.tick()
