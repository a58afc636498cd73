"""Shared test helpers: where the spec vectors are, a fixed clock, JSON loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The W3C vectors live in shared/ beside the checkout (CI clones main with shared/ beside it).
VECTORS = Path(os.environ.get("VCTRADE_VECTORS", REPO.parent / "shared" / "vectors"))
FIXED_NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def load_json(path: Path | str) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))




VCTRADE = str(Path(sys.executable).with_name("vctrade"))


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `vctrade` script the way a user would."""
    return subprocess.run(
        [VCTRADE, *args], capture_output=True, text=True, cwd=cwd, timeout=120, env={**os.environ, **(env or {})}
    )
