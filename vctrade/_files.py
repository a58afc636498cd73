"""Writing what is meant to be served: public files (0644) in folders a web server can traverse (0755)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_public"]


def _public_folders(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0755; folders that exist keep their owner's mode."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        created.chmod(0o755)  # mkdir's mode is cut by the umask


def write_public(target: Path, text: str) -> None:
    """Write ``target`` atomically with mode 0644 whatever the umask: it is public, and the web server serving it
    may run as another user. Readers see the old file or the new one, never half of one."""
    _public_folders(target.parent)
    handle = tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp", encoding="utf-8")
    try:
        with handle:
            os.fchmod(handle.fileno(), 0o644)  # NamedTemporaryFile creates 0600
            handle.write(text)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
