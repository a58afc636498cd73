"""The registry of trade workflows: named sets of documents that travel together, and the rules between them.

A workflow (the traceability interop profile's term: a presentation names it by ``workflow.definition``) is a
name, a definition IRI, the trade types of its documents in presentation order, and the cross-document rules
that judge them together. vctrade's steel-import workflow is registered by :mod:`vctrade.trade._crossdoc`;
another is one :func:`register_workflow` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from vctrade._plugins import load_plugins
from vctrade._result import Check
from vctrade.errors import UnsupportedError

# What a rule judges: the shipment model of the module that defines the rules (vctrade.trade._crossdoc's Shipment);
# the registry needs no more of it than that.
ShipmentT = TypeVar("ShipmentT", contravariant=True)

__all__ = ["CrossDocumentRule", "Workflow", "register_workflow", "workflows", "get_workflow", "workflow_for_definition"]


class CrossDocumentRule(Protocol[ShipmentT]):
    """One rule over a shipment's documents together."""

    @property
    def name(self) -> str:
        """The rule's check name (``shipment.parties``); several checks are numbered ``name[0]``, ``name[1]`` …"""
        ...

    @property
    def needs(self) -> tuple[str, ...]:
        """The trade types (document kinds) the rule compares; without one of them it cannot decide."""
        ...

    def evaluate(self, shipment: ShipmentT) -> list[Check]:
        """The rule's checks, given that every kind in ``needs`` is in the shipment."""
        ...


@dataclass(frozen=True)
class Workflow:
    """A named set of trade documents and the rules that judge them together."""

    name: str
    definition: str
    title: str
    documents: tuple[str, ...]
    rules: tuple[CrossDocumentRule[Any], ...]


_workflows: dict[str, Workflow] = {}


def register_workflow(workflow: Workflow) -> Workflow:
    """Make ``workflow`` known by its name and its definition IRI."""
    _workflows[workflow.name] = workflow
    return workflow


def workflows() -> dict[str, Workflow]:
    """Every registered workflow, by name."""
    load_plugins()
    return dict(_workflows)


def get_workflow(name: str) -> Workflow:
    """The workflow called ``name``; :class:`UnsupportedError` naming the registered ones."""
    found = workflows().get(name)
    if found is None:
        raise UnsupportedError(f"unknown workflow {name!r}; registered: {', '.join(sorted(_workflows)) or 'none'}")
    return found


def workflow_for_definition(iri: str) -> Workflow | None:
    """The registered workflow whose definition IRI is ``iri`` (None if none)."""
    return next((workflow for workflow in workflows().values() if workflow.definition == iri), None)
