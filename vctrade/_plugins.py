"""Plug-ins: packages that register trade types, schemas, rules and policy sections when imported.

vctrade's own trade package is one; others declare an entry point in the
``vctrade.plugins`` group. They are imported by name the first time a
registry is consulted, so the generic core never imports them itself.
"""

from __future__ import annotations

import importlib
import threading
from importlib.metadata import entry_points

__all__ = ["BUILTIN_PLUGINS", "load_plugins"]

BUILTIN_PLUGINS = ("vctrade.trade",)
_lock = threading.RLock()
_loaded = False


def load_plugins() -> None:
    """Import every plug-in once (the built-in ones, then the ``vctrade.plugins`` entry points)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        _loaded = True  # set first: a plug-in that consults a registry while loading must not recurse
        for name in BUILTIN_PLUGINS:
            importlib.import_module(name)
        for entry in entry_points(group="vctrade.plugins"):
            if entry.value not in BUILTIN_PLUGINS:
                entry.load()
