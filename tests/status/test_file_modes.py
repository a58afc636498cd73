"""File modes: published status lists are public (0644, new folders 0755) even under a strict umask, so a web server
running as another user can read them; the registry database (and its WAL files) is 0600 even under a loose one."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vctrade import Key, sign
from vctrade.status import Registry


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """``umask(0o077)``: set the process umask for the rest of one test (restored after)."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield os.umask
    os.umask(saved)


def test_published_lists_are_world_readable_under_a_strict_umask(tmp_path: Path, umask: Callable[[int], int]) -> None:
    key = Key.generate()
    (tmp_path / "site").mkdir(mode=0o750)  # the operator's own folder keeps the mode they gave it
    registry = Registry(tmp_path / "registry.sqlite")
    registry.create_list("https://cbp.example/status/2026/aeo-1", key.did, "revocation", tmp_path / "k.jwk")
    umask(0o077)
    written = registry.publish(tmp_path / "site", lambda unsigned, _: sign(unsigned, key))
    assert written == [tmp_path / "site/status/2026/aeo-1"]
    assert mode(written[0]) == 0o644
    assert mode(tmp_path / "site/status") == mode(tmp_path / "site/status/2026") == 0o755
    assert mode(tmp_path / "site") == 0o750
    written = registry.publish(tmp_path / "site", lambda unsigned, _: sign(unsigned, key))  # replaced: 0644 again
    assert mode(written[0]) == 0o644 and not list((tmp_path / "site/status/2026").glob("*.tmp"))


def test_the_registry_database_is_private_under_a_loose_umask(tmp_path: Path, umask: Callable[[int], int]) -> None:
    umask(0o000)
    with Registry(tmp_path / "vctrade" / "registry.sqlite") as registry:
        registry.create_list("https://cbp.example/s/1", "did:example:cbp", "revocation", tmp_path / "k.jwk",
                             verification_method="did:example:cbp#1")
        for name in ("registry.sqlite", "registry.sqlite-wal", "registry.sqlite-shm"):
            assert mode(tmp_path / "vctrade" / name) == 0o600, name
    assert mode(tmp_path / "vctrade") == 0o700
