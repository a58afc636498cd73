"""Schemas and rules that plug-ins register, applied by *expanded* type IRI.

The verification core knows no trade type. A plug-in (vctrade's own
:mod:`vctrade.trade`, or a package that declares a ``vctrade.plugins`` entry
point) registers a schema id, the type IRIs it governs and a function that
lists a credential's problems. A credential is judged by a schema when one of
its types *expands* to a registered IRI — a credential of another vocabulary
whose type merely has the same short name is not — or when it names the
schema in ``credentialSchema``.

Plug-ins are loaded (:mod:`vctrade._plugins`) the first time a schema is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vctrade._plugins import load_plugins

__all__ = ["ProblemsFunction", "register_schema", "schemas_for_types", "schema_problems", "is_registered"]

ProblemsFunction = Callable[[dict[str, Any]], list[str]]

_by_id: dict[str, ProblemsFunction] = {}
_by_type: dict[str, list[str]] = {}


def register_schema(schema_id: str, problems: ProblemsFunction, *, type_iris: Iterable[str] = ()) -> None:
    """Apply ``problems`` to credentials whose types expand to one of ``type_iris``, or that name ``schema_id``."""
    _by_id[schema_id] = problems
    for iri in type_iris:
        ids = _by_type.setdefault(iri, [])
        if schema_id not in ids:
            ids.append(schema_id)


def schemas_for_types(type_iris: Iterable[str]) -> list[str]:
    """The registered schema ids that govern any of ``type_iris`` (expanded IRIs), in registration order."""
    load_plugins()
    found: list[str] = []
    for iri in type_iris:
        for schema_id in _by_type.get(iri, ()):
            if schema_id not in found:
                found.append(schema_id)
    return found


def is_registered(schema_id: str) -> bool:
    """Whether a plug-in registered ``schema_id``."""
    load_plugins()
    return schema_id in _by_id


def schema_problems(schema_ids: Iterable[str], credential: dict[str, Any]) -> list[str]:
    """What ``credential`` breaks of the schemas (and their rules) registered as ``schema_ids``, in that order."""
    load_plugins()
    return [problem for schema_id in schema_ids for problem in _by_id[schema_id](credential)]
