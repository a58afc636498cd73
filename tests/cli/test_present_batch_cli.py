"""`vctrade present`, `verify --policy/--with`, and batch verification of folders with --jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade.model import format_datetime

# Issued on the real clock with validity around it, and verified on the real clock: no date can go stale.
NOW = datetime.now(timezone.utc)
WINDOW = ("--valid-from", format_datetime(NOW - timedelta(days=1)), "--valid-until", format_datetime(NOW + timedelta(days=300)))


@pytest.fixture(scope="module")
def policy_file(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "policy/us-cbp.toml")


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("issued")
    home = {"VCTRADE_HOME": str(folder / "home")}
    steps = [
        ("issue", "aeo", "--key", str(fixtures_dir / "keys/anam-mx.jwk"), "--from", str(fixtures_dir / "aeo/mx-oea-aceros.yaml"), *WINDOW, "-o", str(folder / "aeo.json")),
        ("issue", "origin", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from", str(fixtures_dir / "origin/usmca-steel.yaml"), *WINDOW, "-o", str(folder / "coo.json")),
    ]
    for step in steps:
        result = run_cli(*step, env=home)
        assert result.returncode == 0, result.stderr
    return folder


def test_present_and_verify_with_policy(issued: Path, tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                        load_json: Callable[[Path], Any], fixtures_dir: Path, policy_file: str) -> None:
    vp = tmp_path / "vp.json"
    made = run_cli("present", str(issued / "coo.json"), str(issued / "aeo.json"), "--key", str(fixtures_dir / "keys/acme-imports.jwk"),
                   "--challenge", "7c1f", "--domain", "cbp.example", "-o", str(vp))
    assert made.returncode == 0, made.stderr
    assert load_json(vp)["proof"]["proofPurpose"] == "authentication"
    ok = run_cli("verify", str(vp), "--challenge", "7c1f", "--domain", "cbp.example", "--policy", policy_file)
    assert ok.returncode == 0, ok.stdout
    assert "policy: U.S. CBP" in ok.stdout and "holds a valid MX-OEA certification" in ok.stdout
    replay = run_cli("verify", str(vp), "--challenge", "other", "--policy", policy_file)
    assert replay.returncode == 1


def test_with_option_and_json(issued: Path, run_cli: Callable[..., CompletedProcess[str]], policy_file: str) -> None:
    alone = run_cli("verify", str(issued / "coo.json"), "--policy", policy_file, "--json")
    assert alone.returncode == 1
    policy = json.loads(alone.stdout)["results"][-1]
    assert policy["type"] == "policy" and any("presents no AEO" in c["message"] for c in policy["checks"])
    beside = run_cli("verify", str(issued / "coo.json"), "--with", str(issued / "aeo.json"), "--policy", policy_file,
                     "--json")
    report = json.loads(beside.stdout)
    assert beside.returncode == 0  # the AEO given beside satisfies both the required types and provenance
    assert [c["status"] for c in report["results"][-1]["checks"] if c["name"].startswith("policy.provenance")] == ["passed"]


@pytest.mark.parametrize(("content", "message"), [("", "no rules"), ("x = [", "not valid TOML")])
def test_bad_policy_is_a_usage_error(issued: Path, tmp_path: Path, content: str, message: str,
                                     run_cli: Callable[..., CompletedProcess[str]]) -> None:
    (tmp_path / "p.toml").write_text(content)
    result = run_cli("verify", str(issued / "coo.json"), "--policy", str(tmp_path / "p.toml"))
    assert result.returncode == 2 and message in result.stderr
    batch = run_cli("verify", str(issued), "--policy", str(tmp_path / "p.toml"))
    assert batch.returncode == 2 and message in batch.stderr


def test_batch_of_a_folder_with_two_jobs(issued: Path, tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                         load_json: Callable[[Path], Any]) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for number in range(6):
        (folder / f"coo-{number}.json").write_bytes((issued / "coo.json").read_bytes())
    tampered = load_json(issued / "aeo.json")
    tampered["credentialSubject"]["legalName"] = "Someone Else"
    (folder / "sub").mkdir()
    (folder / "sub" / "tampered.json").write_text(json.dumps(tampered))
    (folder / "notes.txt").write_text("ignored: not a credential suffix")
    (folder / "broken.json").write_text("{")
    result = run_cli("verify", str(folder), "--jobs", "2", "--json")
    assert result.returncode == 1
    *lines, summary = [json.loads(line) for line in result.stdout.splitlines()]  # a report per file, then a summary
    assert len(lines) == 8 and [Path(r["file"]).name for r in lines][:2] == ["broken.json", "coo-0.json"]
    assert summary["summary"] | {"failedChecks": {}} == {"outcome": "not verified", "documents": 8, "verified": 6,
                                                         "notVerified": 2, "undecided": 0, "failedChecks": {}}
    outcomes = {Path(r["file"]).name: r["outcome"] for r in lines}
    assert outcomes["tampered.json"] == "not verified" and outcomes["broken.json"] == "not verified"
    assert sum(o == "verified" for o in outcomes.values()) == 6
    assert "8 documents: 6 verified, 2 not verified, 0 undecided" in result.stderr
    human = run_cli("verify", str(folder / "coo-0.json"), str(folder / "coo-1.json"))
    assert human.returncode == 0 and human.stdout.count("ok  ") == 2 and "2 documents: 2 verified" in human.stdout


def test_batch_errors(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("verify", str(empty))
    assert result.returncode == 2 and "no credentials or presentations found" in result.stderr
    assert run_cli("verify", str(tmp_path / "absent")).returncode == 2
    (empty / "a.json").write_text("{}")
    assert "at least 1" in run_cli("verify", str(empty), "--jobs", "0").stderr
