"""Offline JSON-LD: the pinned document loader, safe expansion, bounded RDFC-1.0 canonicalization."""

from __future__ import annotations

from vctrade.jsonld._jsonld import (
    DocumentLoader,
    canonize,
    check_terms,
    default_loader,
    expand_safe,
    expanded_types,
    register_context,
)

__all__ = ["DocumentLoader", "default_loader", "register_context", "expand_safe", "check_terms", "expanded_types", "canonize"]
