"""did:web and did:jwk from the command line, against a real local HTTPS server trusted via SSL_CERT_FILE."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

from vctrade import Key


def test_create_host_resolve_sign_verify(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                         load_json: Callable[[Path], Any], make_https_server: Callable[..., Any]) -> None:
    for name in ("new", "old"):
        assert run_cli("key", "generate", "-o", str(tmp_path / f"{name}.jwk")).returncode == 0
    with make_https_server(root=tmp_path / "site") as server:
        env = {"SSL_CERT_FILE": str(server.ca_file(tmp_path))}
        created = run_cli("did", "web", "create", "--domain", f"127.0.0.1:{server.port}", "--key", str(tmp_path / "new.jwk"),
                          "--key", str(tmp_path / "old.jwk"), "-o", str(tmp_path / "site"))
        assert created.returncode == 0, created.stderr
        did = created.stdout.strip()
        assert did == f"did:web:127.0.0.1%3A{server.port}"
        assert load_json(tmp_path / "site/.well-known/did.json")["id"] == did

        blocked = run_cli("did", "resolve", did, env=env)
        assert blocked.returncode == 2 and "--allow-private-hosts" in blocked.stderr
        resolved = run_cli("did", "resolve", did, "--allow-private-hosts", "--json", env=env)
        assert resolved.returncode == 0, resolved.stderr
        assert len(json.loads(resolved.stdout)["verificationMethod"]) == 2
        untrusted = run_cli("did", "resolve", did, "--allow-private-hosts")  # no SSL_CERT_FILE: the test CA is unknown
        assert untrusted.returncode == 3 and "TLS" in untrusted.stderr

        credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                      "credentialSubject": {"id": "did:example:acme"}}
        (tmp_path / "c.json").write_text(json.dumps(credential))
        signed = run_cli("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "old.jwk"), "--did", did,
                         "--allow-private-hosts", "-o", str(tmp_path / "s.json"), env=env)
        assert signed.returncode == 0, signed.stderr
        proof = load_json(tmp_path / "s.json")["proof"]
        old_key = Key.load(tmp_path / "old.jwk")
        assert proof["verificationMethod"] == f"{did}#{old_key.public_multibase}" and load_json(tmp_path / "s.json")["issuer"] == did
        assert run_cli("verify", str(tmp_path / "s.json"), "--allow-private-hosts", env=env).returncode == 0
        not_allowed = run_cli("verify", str(tmp_path / "s.json"), "--json", env=env)
        assert not_allowed.returncode == 1
        assert any(c["code"] == "blocked_address" for c in json.loads(not_allowed.stdout)["checks"])

        # Rotation: publish the new key only; the old signature now fails with a clear reason.
        run_cli("did", "web", "create", "--domain", f"127.0.0.1:{server.port}", "--key", str(tmp_path / "new.jwk"), "-o", str(tmp_path / "site"))
        rotated = run_cli("verify", str(tmp_path / "s.json"), "--allow-private-hosts", "--json", env=env)
        assert rotated.returncode == 1
        assert any(c["code"] == "method_not_listed" and "is not listed" in c["message"]
                   for c in json.loads(rotated.stdout)["checks"])
        foreign = run_cli("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "old.jwk"), "--did", did, "--allow-private-hosts", env=env)
        assert foreign.returncode == 2 and "lists no assertionMethod method with this key" in foreign.stderr


def test_did_web_with_path_and_jwk(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    created = run_cli("did", "web", "create", "--domain", "trade.example:8443", "--path", "customs:aeo",
                      "--key", str(fixtures_dir / "keys/cbp.jwk"), "-o", str(tmp_path))
    assert created.stdout.strip() == "did:web:trade.example%3A8443:customs:aeo"
    assert (tmp_path / "customs/aeo/did.json").is_file()
    jwk = run_cli("did", "jwk", "create", "--key", str(fixtures_dir / "keys/acme-imports.jwk"))
    assert jwk.returncode == 0 and jwk.stdout.startswith("did:jwk:")
    resolved = run_cli("did", "resolve", jwk.stdout.strip(), "--json")
    assert json.loads(resolved.stdout)["verificationMethod"][0]["type"] == "JsonWebKey2020"
    bad = run_cli("did", "web", "create", "--domain", "bad domain", "--key", str(fixtures_dir / "keys/cbp.jwk"), "-o", str(tmp_path))
    assert bad.returncode == 2 and "did:web" in bad.stderr


def test_rotation_keeps_older_credentials_verifying(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                   load_json: Callable[[Path], Any],
                                                   make_https_server: Callable[..., Any]) -> None:
    """Sign with A; publish A, then B+A (newest first, as a rotation does), A+B: the credential verifies each time.
    Removing A fails it as "not listed", never as a signature that does not match (which reads like tampering)."""
    for name in ("a", "b"):
        assert run_cli("key", "generate", "-o", str(tmp_path / f"{name}.jwk")).returncode == 0
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "did:example:acme"}}
    (tmp_path / "c.json").write_text(json.dumps(credential))
    site = tmp_path / "site"
    with make_https_server(root=site) as server:
        env = {"SSL_CERT_FILE": str(server.ca_file(tmp_path))}
        domain = f"127.0.0.1:{server.port}"

        def publish(*keys: str, extra: tuple[str, ...] = ()) -> str:
            created = run_cli("did", "web", "create", "--domain", domain, *[a for k in keys for a in ("--key", str(tmp_path / f"{k}.jwk"))],
                              "-o", str(site), *extra)
            assert created.returncode == 0, created.stderr
            return created.stdout.strip()

        def verify() -> dict[str, Any]:
            verified = run_cli("verify", str(tmp_path / "s.json"), "--allow-private-hosts", "--json", env=env)
            return dict(json.loads(verified.stdout), returncode=verified.returncode)

        did = publish("a")
        signed = run_cli("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "a.jwk"), "--did", did,
                         "--allow-private-hosts", "-o", str(tmp_path / "s.json"), env=env)
        assert signed.returncode == 0, signed.stderr
        for keys in (("a",), ("b", "a"), ("a", "b")):
            publish(*keys)
            result = verify()
            assert result["returncode"] == 0 and result["verified"], (keys, result)

        publish("b")
        result = verify()
        assert result["returncode"] == 1
        failed = [c for c in result["checks"] if c["status"] != "passed"]
        assert failed[0]["code"] == "method_not_listed" and "is not listed" in failed[0]["message"]
        assert "signature_invalid" not in {c["code"] for c in failed}


def test_a_document_of_the_previous_version_keeps_its_key_ids(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]],
                                                              load_json: Callable[[Path], Any], fixtures_dir: Path) -> None:
    """Published before key ids came from the keys (#key-1, #key-2 by position): rewriting that document, or giving
    it with --from, keeps each listed key's id, so credentials signed under it keep pointing at the right key."""
    cbp, anam = fixtures_dir / "keys/cbp.jwk", fixtures_dir / "keys/anam-mx.jwk"
    did = "did:web:cbp.example"
    previous = {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": did,
                "verificationMethod": [{"id": f"{did}#key-1", "type": "Multikey", "controller": did,
                                        "publicKeyMultibase": Key.load(cbp).public_multibase}],
                "assertionMethod": [f"{did}#key-1"]}
    (tmp_path / "site/.well-known").mkdir(parents=True)
    (tmp_path / "site/.well-known/did.json").write_text(json.dumps(previous))
    (tmp_path / "old-did.json").write_text(json.dumps(previous))

    rewritten = run_cli("did", "web", "create", "--domain", "cbp.example", "--key", str(anam), "--key", str(cbp),
                        "-o", str(tmp_path / "site"))
    assert rewritten.returncode == 0, rewritten.stderr
    ids = [m["id"] for m in load_json(tmp_path / "site/.well-known/did.json")["verificationMethod"]]
    assert ids == [f"{did}#{Key.load(anam).public_multibase}", f"{did}#key-1"]

    elsewhere = run_cli("did", "web", "create", "--domain", "cbp.example", "--key", str(anam), "--key", str(cbp),
                        "--from", str(tmp_path / "old-did.json"), "-o", str(tmp_path / "new-site"))
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert [m["id"] for m in load_json(tmp_path / "new-site/.well-known/did.json")["verificationMethod"]] == ids

    other = run_cli("did", "web", "create", "--domain", "customs.example", "--key", str(cbp),
                    "--from", str(tmp_path / "old-did.json"), "-o", str(tmp_path / "x"))
    assert other.returncode == 2 and "not of did:web:customs.example" in other.stderr
