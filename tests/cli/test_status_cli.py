"""The status workflow from the command line: init, issue, publish, verify over HTTPS, revoke, verify again."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from vctrade.model import format_datetime


def test_revocation_flow_over_https(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                    load_json: Callable[[Path], Any], fixtures_dir: Path,
                                    make_https_server: Callable[..., Any]) -> None:
    env = {"VCTRADE_HOME": str(tmp_path / "home")}
    key = str(fixtures_dir / "keys/cbp.jwk")
    with make_https_server(root=tmp_path / "site") as server:
        env["SSL_CERT_FILE"] = str(server.ca_file(tmp_path))
        for url, purpose in ((server.url("/status/aeo-1"), "revocation"), (server.url("/status/aeo-s"), "suspension")):
            created = run_cli("status", "init", "--key", key, "--url", url, "--purpose", purpose, env=env)
            assert created.returncode == 0, created.stderr
        now = datetime.now(timezone.utc)  # published lists live 24 h from now: verify on the real clock
        window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=300)))
        issued = run_cli("issue", "aeo", "--key", key, "--from", str(fixtures_dir / "aeo/acme-ctpat.yaml"), *window,
                         "-o", str(tmp_path / "aeo.json"), env=env)
        assert issued.returncode == 0, issued.stderr
        credential_id = load_json(tmp_path / "aeo.json")["id"]
        assert len(load_json(tmp_path / "aeo.json")["credentialStatus"]) == 2
        assert run_cli("status", "publish", "-o", str(tmp_path / "site"), env=env).returncode == 0
        verify_args = ("verify", str(tmp_path / "aeo.json"), "--json")

        refused = run_cli(*verify_args, env=env)  # 127.0.0.1 is refused unless allowed explicitly
        assert refused.returncode == 3
        assert any(c["code"] == "blocked_address" for c in json.loads(refused.stdout)["checks"])

        verified = run_cli(*verify_args, "--allow-private-hosts", env=env)
        assert verified.returncode == 0, verified.stdout

        revoked = run_cli("status", "revoke", credential_id, "--reason", "validation failed", env=env)
        assert revoked.returncode == 0 and "publish" in revoked.stdout
        assert run_cli(*verify_args, "--allow-private-hosts", env=env).returncode == 0  # not published yet
        assert run_cli("status", "publish", "-o", str(tmp_path / "site"), env=env).returncode == 0
        rejected = run_cli(*verify_args, "--allow-private-hosts", env=env)
        assert rejected.returncode == 1
        assert any(c["code"] == "revoked" for c in json.loads(rejected.stdout)["checks"])

        offline = run_cli(*verify_args, "--status-file", f"{server.url('/status/aeo-1')}={tmp_path / 'site/status/aeo-1'}",
                          "--status-file", f"{server.url('/status/aeo-s')}={tmp_path / 'site/status/aeo-s'}", env=env)
        assert offline.returncode == 1

    shown = run_cli("status", "show", credential_id, env=env)
    assert shown.returncode == 0 and "REVOKED" in shown.stdout and "validation failed" in shown.stdout
    log = json.loads(run_cli("status", "log", "--json", env=env).stdout)
    assert [e["action"] for e in log] == ["init", "init", "issue", "publish", "publish", "revoke", "publish", "publish"]
    again = run_cli("status", "revoke", credential_id, env=env)
    assert again.returncode == 2 and "already revoked" in again.stderr
    unknown = run_cli("status", "suspend", "urn:uuid:nope", env=env)
    assert unknown.returncode == 2 and "no credential" in unknown.stderr
    bad = run_cli("verify", str(tmp_path / "aeo.json"), "--status-file", "nothing", env=env)
    assert bad.returncode == 2 and "URL=FILE" in bad.stderr


def test_registry_option_and_bad_purpose(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                         fixtures_dir: Path) -> None:
    registry = tmp_path / "custom.sqlite"
    result = run_cli("status", "init", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--url", "https://cbp.example/s/1",
                     "--purpose", "message", "--registry", str(registry))
    assert result.returncode == 2 and "purpose" in result.stderr
    ok = run_cli("status", "init", "--key", str(fixtures_dir / "keys/cbp.jwk"), "--url", "https://cbp.example/s/1", "--registry", str(registry))
    assert ok.returncode == 0 and registry.is_file()
