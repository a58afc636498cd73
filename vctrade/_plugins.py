"""Plug-ins and registries whose entries are imported by name on first use.

Plug-ins are packages that register trade types, schemas, rules and policy
sections when imported. vctrade's own trade package is one; others declare an
entry point in the ``vctrade.plugins`` group. They are imported the first time
a registry is consulted, so the generic core never imports them itself.

Finding entry points through :mod:`importlib.metadata` means importing it and
parsing every installed distribution's metadata, a large share of a short
command's start-up. So the search path is first scanned for an
``entry_points.txt`` that names a plug-in other than the built-in ones; only when
one does (or when the path holds something only :mod:`importlib.metadata` can
read: a zip file, another distribution finder) does :mod:`importlib.metadata`
load the entry points. The scan can only err towards loading them.

:class:`LazyRegistry` is the dict behind the cryptosuite and DID method
registries: a bundled entry's module is imported when its name is first looked up.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from importlib.machinery import PathFinder
from typing import TypeVar

__all__ = [
    "BUILTIN_PLUGINS", "GROUP", "LazyRegistry", "declares_other_plugins", "load_plugins", "other_plugins_may_exist",
]

BUILTIN_PLUGINS = ("vctrade.trade",)
GROUP = "vctrade.plugins"
_SECTION = f"[{GROUP}]".encode()
_lock = threading.RLock()
_loaded = False

T = TypeVar("T")


def declares_other_plugins(entry_points_txt: bytes) -> bool:
    """Whether an ``entry_points.txt`` declares a ``vctrade.plugins`` entry point other than the built-in ones.

    Read as :mod:`importlib.metadata` reads it (stripped lines, ``#`` comments,
    ``[section]``, ``name = value``); whatever does not read as a built-in entry counts as another plug-in.
    """
    if _SECTION not in entry_points_txt:
        return False
    section = None
    for raw in entry_points_txt.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == GROUP and line.partition("=")[2].strip() not in BUILTIN_PLUGINS:
            return True
    return False


def other_plugins_may_exist() -> bool:
    """Whether an installed distribution may declare a plug-in other than the built-in ones.

    False only when every distribution on ``sys.path`` is a plain folder whose
    ``entry_points.txt`` (if any) declares no other plug-in, and no other finder
    can report distributions; anything this scan cannot read counts as "may".
    """
    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           for finder in sys.meta_path):
        return True
    for entry in sys.path:
        try:
            children = os.scandir(entry or ".")
        except (FileNotFoundError, PermissionError):
            continue  # importlib.metadata finds nothing there either
        except OSError:
            return True  # a zip file or another kind of entry: let importlib.metadata read it
        with children:
            for child in children:
                if not child.name.lower().endswith((".dist-info", ".egg-info")):
                    continue
                try:
                    with open(os.path.join(child.path, "entry_points.txt"), "rb") as file:
                        if declares_other_plugins(file.read()):
                            return True
                except (FileNotFoundError, NotADirectoryError):
                    continue  # no entry points (or an egg-info file, which has none)
                except OSError:
                    return True
    return False


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
        if not other_plugins_may_exist():
            return
        from importlib.metadata import entry_points

        for entry in entry_points(group=GROUP):
            if entry.value not in BUILTIN_PLUGINS:
                entry.load()


class LazyRegistry(MutableMapping[str, T]):
    """Registered objects by name; a bundled one is registered by importing its module when first looked up.

    ``bundled`` maps each bundled name to the module that registers it (by
    calling the registry's ``register`` function when imported). Looking a name
    up imports at most its own module; iterating or ``len`` imports every
    bundled module, so a listing is always complete. Removing a bundled entry
    removes it for good, as it would from a plain dict.
    """

    def __init__(self, bundled: Mapping[str, str]) -> None:
        self._entries: dict[str, T] = {}
        self._bundled = dict(bundled)

    def _import(self, name: str) -> None:
        module = self._bundled.get(name)
        if module is not None and name not in self._entries:
            importlib.import_module(module)  # thread-safe; a module registers itself only once

    def __getitem__(self, name: str) -> T:
        if name not in self._entries:
            self._import(name)
        return self._entries[name]

    def __setitem__(self, name: str, value: T) -> None:
        self._import(name)  # a bundled entry of that name is registered first, so this one replaces it for good
        self._entries[name] = value

    def __delitem__(self, name: str) -> None:
        self._import(name)
        del self._entries[name]
        self._bundled.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        for name in list(self._bundled):
            self._import(name)
        return iter(list(self._entries))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(registered={sorted(self._entries)}, bundled={sorted(self._bundled)})"
