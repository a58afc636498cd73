"""The installed script under a strict umask (077): what it publishes — status lists, did.json — is readable by a web
server running as another user (0644, new folders 0755); key files and the registry stay 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def strict_umask() -> Iterator[None]:
    """Umask 077 for this process and the `vctrade` processes it starts."""
    saved = os.umask(0o077)
    yield
    os.umask(saved)


@pytest.mark.usefixtures("strict_umask")
def test_public_files_are_public_and_private_ones_private(tmp_path: Path,
                                                          run_cli: Callable[..., CompletedProcess[str]]) -> None:
    key, registry, site = tmp_path / "cbp.jwk", tmp_path / "home" / "registry.sqlite", tmp_path / "site"
    assert run_cli("key", "generate", "-o", str(key)).returncode == 0
    where = ("--registry", str(registry))
    assert run_cli("status", "init", "--key", str(key), "--url", "https://cbp.example/status/aeo-1", *where).returncode == 0
    published = run_cli("status", "publish", "-o", str(site), *where)
    assert published.returncode == 0, published.stderr
    created = run_cli("did", "web", "create", "--domain", "cbp.example", "--path", "customs:aeo", "--key", str(key),
                      "-o", str(site))
    assert created.returncode == 0, created.stderr

    assert mode(key) == mode(registry) == 0o600
    assert mode(site / "status/aeo-1") == mode(site / "customs/aeo/did.json") == 0o644
    assert mode(site) == mode(site / "status") == mode(site / "customs") == mode(site / "customs/aeo") == 0o755
