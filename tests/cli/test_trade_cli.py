"""`vctrade issue aeo|origin` and `vctrade show`, as a customs authority and an exporter use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from vctrade.model import format_datetime


def test_issue_aeo_then_show_and_verify(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                        load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    out = tmp_path / "acme-aeo.json"
    now = datetime.now(timezone.utc)  # issued and verified on the real clock, valid around it
    window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=300)))
    issued = run_cli("issue", "aeo", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--from", str(fixtures_dir / "aeo/acme-ctpat.yaml"), *window, "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["issuer"]["name"] == "U.S. Customs and Border Protection"
    shown = run_cli("show", str(out))
    assert shown.returncode == 0 and "C-TPAT Validated certification of ACME Steel Imports Inc." in shown.stdout
    verified = run_cli("verify", str(out), "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, report
    assert any(c["name"] == "schema" and c["status"] == "passed" for c in report["checks"])


def test_issue_origin_with_overrides_and_suite(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                               load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    out = tmp_path / "coo.json"
    issued = run_cli(
        "issue", "origin", "--key", str(fixtures_dir / "keys/acme-imports.jwk"), "--from", str(fixtures_dir / "origin/usmca-steel.yaml"),
        "--valid-from", "2026-06-01T00:00:00Z", "--valid-until", "2027-05-31T00:00:00Z", "--suite", "ecdsa-jcs-2019", "-o", str(out),
    )
    assert issued.returncode == 0, issued.stderr
    credential = load_json(out)
    assert credential["validFrom"] == "2026-06-01T00:00:00Z" and credential["proof"]["cryptosuite"] == "ecdsa-jcs-2019"
    assert "María Fernanda Garza" in out.read_text(encoding="utf-8")  # UTF-8 kept as written


def test_bad_requests_exit_2_naming_the_field(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                              fixtures_dir: Path) -> None:
    request = (fixtures_dir / "origin/usmca-steel.yaml").read_text(encoding="utf-8").replace('hsCode: "7208.37"', 'hsCode: "7208"')
    (tmp_path / "bad.yaml").write_text(request, encoding="utf-8")
    result = run_cli("issue", "origin", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2 and result.stdout == ""
    assert "credentialSubject.goods[0].hsCode: '7208' is not an HS tariff classification of at least 6 digits" in result.stderr
    too_long = run_cli("issue", "origin", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from", str(fixtures_dir / "origin/usmca-steel.yaml"),
                       "--valid-until", "2027-07-01T00:00:00Z")
    assert too_long.returncode == 2 and "longer than 12 months" in too_long.stderr
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    assert "must hold a mapping" in run_cli("issue", "aeo", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--from", str(tmp_path / "list.yaml")).stderr
    (tmp_path / "broken.yaml").write_text("a: [unclosed\n")
    broken = run_cli("issue", "aeo", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--from", str(tmp_path / "broken.yaml"))
    assert broken.returncode == 2 and "not valid YAML" in broken.stderr
    missing = run_cli("issue", "aeo", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--from", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "request file not found" in missing.stderr


def test_show_any_credential_and_bad_input(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                           fixtures_dir: Path) -> None:
    shown = run_cli("show", str(fixtures_dir / "traceability/usmca-certification-of-origin.signed.json"))
    assert shown.returncode == 0 and "USMCACertificationOfOrigin" in shown.stdout
    (tmp_path / "x.json").write_text("[]")
    assert run_cli("show", str(tmp_path / "x.json")).returncode == 2


def test_issue_origin_as_jose(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    now = datetime.now(timezone.utc)
    window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=300)))
    out = tmp_path / "coo.jwt"
    issued = run_cli("issue", "origin", "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"), "--from",
                     str(fixtures_dir / "origin/usmca-steel.yaml"), *window, "--format", "jose", "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    verified = run_cli("verify", str(out), "--json")
    assert verified.returncode == 0, verified.stdout
    assert any(c["name"] == "schema" and c["status"] == "passed" for c in json.loads(verified.stdout)["checks"])
