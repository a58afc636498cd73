"""did:web and did:jwk from the command line, against a real local HTTPS server trusted via SSL_CERT_FILE."""

from __future__ import annotations

import json
from pathlib import Path

from https_server import HttpsServer
from support import REPO, load_json, run

FIXTURES = REPO / "fixtures"


def test_create_host_resolve_sign_verify(tmp_path: Path) -> None:
    for name in ("new", "old"):
        assert run("key", "generate", "-o", str(tmp_path / f"{name}.jwk")).returncode == 0
    with HttpsServer(root=tmp_path / "site") as server:
        env = {"SSL_CERT_FILE": str(server.ca_file(tmp_path))}
        created = run("did", "web", "create", "--domain", f"127.0.0.1:{server.port}", "--key", str(tmp_path / "new.jwk"),
                      "--key", str(tmp_path / "old.jwk"), "-o", str(tmp_path / "site"))
        assert created.returncode == 0, created.stderr
        did = created.stdout.strip()
        assert did == f"did:web:127.0.0.1%3A{server.port}"
        assert load_json(tmp_path / "site/.well-known/did.json")["id"] == did

        blocked = run("did", "resolve", did, env=env)
        assert blocked.returncode == 2 and "--allow-private-hosts" in blocked.stderr
        resolved = run("did", "resolve", did, "--allow-private-hosts", "--json", env=env)
        assert resolved.returncode == 0, resolved.stderr
        assert len(json.loads(resolved.stdout)["verificationMethod"]) == 2
        untrusted = run("did", "resolve", did, "--allow-private-hosts")  # no SSL_CERT_FILE: the test CA is unknown
        assert untrusted.returncode == 3 and "TLS" in untrusted.stderr

        credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                      "credentialSubject": {"id": "did:example:acme"}}
        (tmp_path / "c.json").write_text(json.dumps(credential))
        signed = run("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "old.jwk"), "--did", did,
                     "--allow-private-hosts", "-o", str(tmp_path / "s.json"), env=env)
        assert signed.returncode == 0, signed.stderr
        proof = load_json(tmp_path / "s.json")["proof"]
        assert proof["verificationMethod"] == f"{did}#key-2" and load_json(tmp_path / "s.json")["issuer"] == did
        assert run("verify", str(tmp_path / "s.json"), "--allow-private-hosts", env=env).returncode == 0
        not_allowed = run("verify", str(tmp_path / "s.json"), "--json", env=env)
        assert not_allowed.returncode == 1
        assert any(c["code"] == "blocked_address" for c in json.loads(not_allowed.stdout)["checks"])

        # Rotation: publish the new key only; the old signature now fails with a clear reason.
        run("did", "web", "create", "--domain", f"127.0.0.1:{server.port}", "--key", str(tmp_path / "new.jwk"), "-o", str(tmp_path / "site"))
        rotated = run("verify", str(tmp_path / "s.json"), "--allow-private-hosts", "--json", env=env)
        assert rotated.returncode == 1
        assert any("is not a verification method" in c["message"] for c in json.loads(rotated.stdout)["checks"])
        foreign = run("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "old.jwk"), "--did", did, "--allow-private-hosts", env=env)
        assert foreign.returncode == 2 and "lists no assertionMethod method with this key" in foreign.stderr


def test_did_web_with_path_and_jwk(tmp_path: Path) -> None:
    created = run("did", "web", "create", "--domain", "trade.example:8443", "--path", "customs:aeo",
                  "--key", str(FIXTURES / "keys/cbp.jwk"), "-o", str(tmp_path))
    assert created.stdout.strip() == "did:web:trade.example%3A8443:customs:aeo"
    assert (tmp_path / "customs/aeo/did.json").is_file()
    jwk = run("did", "jwk", "create", "--key", str(FIXTURES / "keys/acme-imports.jwk"))
    assert jwk.returncode == 0 and jwk.stdout.startswith("did:jwk:")
    resolved = run("did", "resolve", jwk.stdout.strip(), "--json")
    assert json.loads(resolved.stdout)["verificationMethod"][0]["type"] == "JsonWebKey2020"
    bad = run("did", "web", "create", "--domain", "bad domain", "--key", str(FIXTURES / "keys/cbp.jwk"), "-o", str(tmp_path))
    assert bad.returncode == 2 and "did:web" in bad.stderr
