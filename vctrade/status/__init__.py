"""Bitstring Status List v1.0: lists and entries, where verifiers get lists, the status check, the issuer's registry.

The registry (SQLite) is imported when first used, so verifying never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vctrade.status._bitstring import (
    MIN_ENTRIES,
    PURPOSES,
    Bitstring,
    status_entry,
    status_list_credential,
)
from vctrade.status._check import check_status
from vctrade.status._sources import (
    CachingSource,
    HttpsStatusSource,
    StatusFiles,
    StatusListSource,
    default_status_source,
)

if TYPE_CHECKING:
    from vctrade.status._registry import Registry, StatusList, default_registry_path

__all__ = [
    "MIN_ENTRIES",
    "PURPOSES",
    "Bitstring",
    "status_entry",
    "status_list_credential",
    "StatusListSource",
    "StatusFiles",
    "HttpsStatusSource",
    "CachingSource",
    "default_status_source",
    "check_status",
    "Registry",
    "StatusList",
    "default_registry_path",
]

_LAZY = {"Registry", "StatusList", "default_registry_path"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from vctrade.status import _registry

        return getattr(_registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
