"""`vctrade status log --verify`: the audit log's hash chain checked from the command line (0 intact, 1 broken)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess


def test_log_verify_names_the_first_bad_entry(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                              fixtures_dir: Path) -> None:
    registry = tmp_path / "registry.sqlite"
    where = ("--registry", str(registry))
    for n, purpose in ((1, "revocation"), (2, "suspension"), (3, "revocation")):
        created = run_cli("status", "init", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--url", f"https://cbp.example/s/{n}",
                          "--purpose", purpose, *where)
        assert created.returncode == 0, created.stderr

    intact = run_cli("status", "log", "--verify", *where)
    assert intact.returncode == 0 and "audit log intact: 3 entries" in intact.stdout, intact.stdout + intact.stderr
    report = json.loads(run_cli("status", "log", "--verify", "--json", *where).stdout)
    assert report["intact"] and report["entries"] == 3 and report["firstBad"] is None
    head = f"{report['head']['seq']}:{report['head']['hash']}"
    assert report["head"]["hash"] == json.loads(run_cli("status", "log", "--json", *where).stdout)[-1]["hash"]
    assert run_cli("status", "log", "--verify", "--checkpoint", head, *where).returncode == 0

    db = sqlite3.connect(registry, isolation_level=None)  # someone with write access to the file
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2")
    db.close()

    broken = run_cli("status", "log", "--verify", *where)
    assert broken.returncode == 1 and "BROKEN at entry 2" in broken.stdout, broken.stdout + broken.stderr
    report = json.loads(run_cli("status", "log", "--verify", "--json", *where).stdout)
    assert not report["intact"] and report["firstBad"]["seq"] == 2 and "changed" in report["firstBad"]["problem"]
    assert [e["action"] for e in json.loads(run_cli("status", "log", "--json", *where).stdout)] == [
        "init", "init", "init", "repair"]  # the dropped trigger was put back, and that was logged

    bad = run_cli("status", "log", "--verify", "--checkpoint", "2:xyz", *where)
    assert bad.returncode == 2 and "SEQ:HASH" in bad.stderr
    alone = run_cli("status", "log", "--checkpoint", head, *where)
    assert alone.returncode == 2 and "--verify" in alone.stderr
