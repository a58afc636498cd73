"""The registry of trade document types: each a name, a type IRI, a schema, a builder and its rules.

Registering a type makes ``vctrade issue NAME`` build it, the one issuance
path validate it, and verification judge any credential whose type expands to
its IRI by its schema and rules. A new trade type is one module (calling
:func:`register_trade_type`), its schema and, if it needs one, a context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vctrade._plugins import load_plugins
from vctrade.errors import TradeDocumentError, UnsupportedError
from vctrade.jsonld._jsonld import register_context
from vctrade.trade._schema import JsonSchema
from vctrade.verification._schemas import register_schema

__all__ = ["TradeType", "Builder", "register_trade_type", "trade_types", "get_trade_type", "trade_type_of", "TRADE_CONTEXT", "TRADE_VOCAB",
           "SHIPMENT_CONTEXT"]

TRADE_CONTEXT = "https://vctrade.dev/contexts/trade/v1"
TRADE_VOCAB = "https://vctrade.dev/ns/trade#"
# The shipment's documents (invoice, mill test report, bill of lading …) use [VC 2.0, TRADE_CONTEXT, SHIPMENT_CONTEXT]:
# only terms the trade context lacks, so the two combine (both protected).
SHIPMENT_CONTEXT = "https://vctrade.dev/contexts/shipment/v1"

# (request, issuer DID, credentialStatus or None) -> the unsigned credential
Builder = Callable[[dict[str, Any], str, "dict[str, Any] | list[dict[str, Any]] | None"], dict[str, Any]]


def _no_rules(_credential: dict[str, Any]) -> list[str]:
    return []


def _no_summary(_credential: dict[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class TradeType:
    """A kind of trade document vctrade can issue and judge.

    ``type_iri`` is the credential type its schema and rules judge; its compact name (the IRI's fragment) and
    ``aliases`` (other compact types that mean the same document, e.g. the traceability vocabulary's) are how a
    bundle's documents are recognised. ``summary`` is the one line ``vctrade show`` prints first.
    """

    name: str
    title: str
    type_iri: str
    schema: JsonSchema
    builder: Builder
    rules: Callable[[dict[str, Any]], list[str]] = _no_rules
    request_fields: tuple[str, ...] = ()
    contexts: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    summary: Callable[[dict[str, Any]], str | None] = _no_summary

    @property
    def type_names(self) -> tuple[str, ...]:
        """The compact credential types that make a document one of this type."""
        return (self.type_iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], *self.aliases)

    def describes(self, credential: dict[str, Any]) -> bool:
        """Whether ``credential`` carries one of this type's compact types."""
        types = credential.get("type")
        found = types if isinstance(types, list) else [types]
        return any(name in found for name in self.type_names)

    def problems(self, credential: dict[str, Any]) -> list[str]:
        """Every schema violation and rule the credential breaks (empty when it conforms)."""
        return self.schema.problems(credential) + self.rules(credential)

    def build(self, request: dict[str, Any], issuer: str,
              credential_status: dict[str, Any] | list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The unsigned credential for ``request``; :class:`TradeDocumentError` listing every problem."""
        credential = self.builder(request, issuer, credential_status)
        problems = self.problems(credential)
        if problems:
            raise TradeDocumentError("the request is not a valid credential: " + "; ".join(problems), problems)
        return credential


_types: dict[str, TradeType] = {}


def register_trade_type(trade_type: TradeType) -> TradeType:
    """Make ``trade_type`` issuable by name and judged, by its type IRI, wherever credentials are verified."""
    for url, document in trade_type.contexts.items():
        register_context(url, document)
    _types[trade_type.name] = trade_type
    register_schema(trade_type.schema.id, trade_type.problems, type_iris=(trade_type.type_iri,))
    return trade_type


def trade_types() -> dict[str, TradeType]:
    """Every registered trade type, by name."""
    load_plugins()
    return dict(_types)


def trade_type_of(credential: dict[str, Any]) -> TradeType | None:
    """The registered trade type ``credential`` is a document of (None if none)."""
    for trade_type in trade_types().values():
        if trade_type.describes(credential):
            return trade_type
    return None


def get_trade_type(name: str) -> TradeType:
    """The trade type called ``name``; :class:`UnsupportedError` naming the registered ones."""
    found = trade_types().get(name)
    if found is None:
        raise UnsupportedError(f"unknown trade document type {name!r}; registered: {', '.join(sorted(_types)) or 'none'}")
    return found
