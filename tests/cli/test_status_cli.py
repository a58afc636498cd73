"""The status workflow from the command line: init, issue, publish, verify over HTTPS, revoke, verify again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from https_server import HttpsServer
from support import REPO, load_json, run

from vctrade.model import format_datetime

FIXTURES = REPO / "fixtures"


def test_revocation_flow_over_https(tmp_path: Path) -> None:
    env = {"VCTRADE_HOME": str(tmp_path / "home")}
    key = str(FIXTURES / "keys/cbp.jwk")
    with HttpsServer(root=tmp_path / "site") as server:
        env["SSL_CERT_FILE"] = str(server.ca_file(tmp_path))
        for url, purpose in ((server.url("/status/aeo-1"), "revocation"), (server.url("/status/aeo-s"), "suspension")):
            created = run("status", "init", "--key", key, "--url", url, "--purpose", purpose, env=env)
            assert created.returncode == 0, created.stderr
        now = datetime.now(timezone.utc)  # published lists live 24 h from now: verify on the real clock
        window = ("--valid-from", format_datetime(now - timedelta(days=1)), "--valid-until", format_datetime(now + timedelta(days=300)))
        issued = run("issue", "aeo", "--key", key, "--from", str(FIXTURES / "aeo/acme-ctpat.yaml"), *window,
                     "-o", str(tmp_path / "aeo.json"), env=env)
        assert issued.returncode == 0, issued.stderr
        credential_id = load_json(tmp_path / "aeo.json")["id"]
        assert len(load_json(tmp_path / "aeo.json")["credentialStatus"]) == 2
        assert run("status", "publish", "-o", str(tmp_path / "site"), env=env).returncode == 0
        verify_args = ("verify", str(tmp_path / "aeo.json"), "--json")

        refused = run(*verify_args, env=env)  # 127.0.0.1 is refused unless allowed explicitly
        assert refused.returncode == 3
        assert any(c["code"] == "blocked_address" for c in json.loads(refused.stdout)["checks"])

        verified = run(*verify_args, "--allow-private-hosts", env=env)
        assert verified.returncode == 0, verified.stdout

        revoked = run("status", "revoke", credential_id, "--reason", "validation failed", env=env)
        assert revoked.returncode == 0 and "publish" in revoked.stdout
        assert run(*verify_args, "--allow-private-hosts", env=env).returncode == 0  # not published yet
        assert run("status", "publish", "-o", str(tmp_path / "site"), env=env).returncode == 0
        rejected = run(*verify_args, "--allow-private-hosts", env=env)
        assert rejected.returncode == 1
        assert any(c["code"] == "revoked" for c in json.loads(rejected.stdout)["checks"])

        offline = run(*verify_args, "--status-file", f"{server.url('/status/aeo-1')}={tmp_path / 'site/status/aeo-1'}",
                      "--status-file", f"{server.url('/status/aeo-s')}={tmp_path / 'site/status/aeo-s'}", env=env)
        assert offline.returncode == 1

    shown = run("status", "show", credential_id, env=env)
    assert shown.returncode == 0 and "REVOKED" in shown.stdout and "validation failed" in shown.stdout
    log = json.loads(run("status", "log", "--json", env=env).stdout)
    assert [e["action"] for e in log] == ["init", "init", "issue", "publish", "publish", "revoke", "publish", "publish"]
    again = run("status", "revoke", credential_id, env=env)
    assert again.returncode == 2 and "already revoked" in again.stderr
    unknown = run("status", "suspend", "urn:uuid:nope", env=env)
    assert unknown.returncode == 2 and "no credential" in unknown.stderr
    bad = run("verify", str(tmp_path / "aeo.json"), "--status-file", "nothing", env=env)
    assert bad.returncode == 2 and "URL=FILE" in bad.stderr


def test_registry_option_and_bad_purpose(tmp_path: Path) -> None:
    registry = tmp_path / "custom.sqlite"
    result = run("status", "init", "--key", str(FIXTURES / "keys/cbp.jwk"), "--url", "https://cbp.example/s/1",
                 "--purpose", "message", "--registry", str(registry))
    assert result.returncode == 2 and "purpose" in result.stderr
    ok = run("status", "init", "--key", str(FIXTURES / "keys/cbp.jwk"), "--url", "https://cbp.example/s/1", "--registry", str(registry))
    assert ok.returncode == 0 and registry.is_file()
