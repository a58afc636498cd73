"""The CLI as a user runs it: the installed `vctrade` script, real files, exit codes, stdout vs stderr."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest


@pytest.fixture
def unsigned(tmp_path: Path, load_json: Callable[[Path], Any], vectors: Path) -> Path:
    document = load_json(vectors / "vc-di-eddsa/unsigned.json")
    del document["issuer"]
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("key_type", ["ed25519", "p-256", "p-384"])
def test_generate_sign_verify(tmp_path: Path, unsigned: Path, key_type: str, run_cli: Callable[..., CompletedProcess[str]],
                              load_json: Callable[[Path], Any]) -> None:
    generated = run_cli("key", "generate", "--type", key_type, "-o", str(tmp_path / "k.jwk"))
    assert generated.returncode == 0, generated.stderr
    did = generated.stdout.strip()
    assert did.startswith("did:key:z") and stat.S_IMODE(os.stat(tmp_path / "k.jwk").st_mode) == 0o600
    signed = run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "--created", "2026-01-01T00:00:00Z", "-o", str(tmp_path / "s.json"))
    assert signed.returncode == 0, signed.stderr
    assert load_json(tmp_path / "s.json")["issuer"] == did
    verified = run_cli("verify", str(tmp_path / "s.json"), "--now", "2030-01-01T00:00:00Z")
    assert verified.returncode == 0, verified.stdout
    assert "VERIFIED" in verified.stdout and "proof.signature" in verified.stdout


def test_every_suite_from_the_cli(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "ed.jwk"))
    run_cli("key", "generate", "-t", "p-384", "-o", str(tmp_path / "p384.jwk"))
    for suite, key in [("eddsa-jcs-2022", "ed"), ("Ed25519Signature2020", "ed"), ("ecdsa-jcs-2019", "p384"), ("ecdsa-rdfc-2019", "p384")]:
        out = tmp_path / f"{suite}.json"
        signed = run_cli("sign", str(unsigned), "--key", str(tmp_path / f"{key}.jwk"), "--suite", suite,
                         "--created", "2026-01-01T00:00:00Z", "-o", str(out))
        assert signed.returncode == 0, signed.stderr
        assert run_cli("verify", str(out), "--now", "2030-01-01T00:00:00Z").returncode == 0


def test_verify_json_is_one_document_and_exit_1_when_not_verified(tmp_path: Path, unsigned: Path,
                                                                  run_cli: Callable[..., CompletedProcess[str]],
                                                                  load_json: Callable[[Path], Any]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "-o", str(tmp_path / "s.json"))
    document = load_json(tmp_path / "s.json")
    document["credentialSubject"]["alumniOf"] = "Another School"
    (tmp_path / "t.json").write_text(json.dumps(document))
    result = run_cli("verify", str(tmp_path / "t.json"), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verified"] is False
    assert {"name": "proof.signature", "status": "failed"}.items() <= next(
        c for c in report["checks"] if c["name"] == "proof.signature"
    ).items()
    assert report["checks"][0].keys() == {"name", "status", "code", "message"}


def test_now_option_sets_the_clock(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "--created", "2023-06-01T00:00:00Z", "-o", str(tmp_path / "s.json"))
    early = run_cli("verify", str(tmp_path / "s.json"), "--now", "2022-01-01T00:00:00Z", "--json")
    assert early.returncode == 1
    assert any(c["name"] == "validity-period" and c["status"] == "failed" for c in json.loads(early.stdout)["checks"])


def test_proof_set_and_chain_from_the_cli(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]],
                                          load_json: Callable[[Path], Any]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    first = run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "--proof-id", "urn:uuid:p1",
                    "--created", "2026-01-01T00:00:00Z", "-o", str(tmp_path / "1.json"))
    assert first.returncode == 0, first.stderr
    chained = run_cli("sign", str(tmp_path / "1.json"), "--key", str(tmp_path / "k.jwk"), "--previous-proof", "urn:uuid:p1",
                      "--created", "2026-01-01T00:00:00Z", "-o", str(tmp_path / "2.json"))
    assert chained.returncode == 0, chained.stderr
    proofs = load_json(tmp_path / "2.json")["proof"]
    assert len(proofs) == 2 and proofs[1]["previousProof"] == "urn:uuid:p1"
    assert run_cli("verify", str(tmp_path / "2.json"), "--now", "2030-01-01T00:00:00Z").returncode == 0
    missing = run_cli("sign", str(tmp_path / "1.json"), "--key", str(tmp_path / "k.jwk"), "--previous-proof", "urn:uuid:nope")
    assert missing.returncode == 2 and "no proof with that id" in missing.stderr


def test_sign_refuses_another_issuer(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], vectors: Path) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    result = run_cli("sign", str(vectors / "vc-di-eddsa/unsigned.json"), "--key", str(tmp_path / "k.jwk"))
    assert result.returncode == 2 and "names issuer" in result.stderr and result.stdout == ""


def test_did_resolve(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    result = run_cli("did", "resolve", did, "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["id"] == did
    bad = run_cli("did", "resolve", "did:key:z6MkBAD")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_demo_runs_end_to_end(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    result = run_cli("demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every step behaved as expected" in result.stdout
    assert result.stdout.count("[ok]") == 15
    assert (tmp_path / "demo" / "tampered.json").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON list, not a JSON object"),
        ('"a string"', "JSON str, not a JSON object"),
        ("", "not valid JSON"),
    ],
)
def test_bad_input_files_exit_2_with_one_line(tmp_path: Path, content: str, message: str,
                                              run_cli: Callable[..., CompletedProcess[str]]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    for command in (["verify", str(path)], ["sign", str(path), "--key", str(tmp_path / "none.jwk")]):
        result = run_cli(*command)
        assert result.returncode == 2, result
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_missing_files_and_bad_keys(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    assert "file not found" in run_cli("verify", str(tmp_path / "absent.json")).stderr
    (tmp_path / "notakey.jwk").write_text("hello")
    result = run_cli("sign", str(unsigned), "--key", str(tmp_path / "notakey.jwk"))
    assert result.returncode == 2 and "not a key file" in result.stderr
    result = run_cli("sign", str(unsigned), "--key", str(tmp_path / "absent.jwk"))
    assert result.returncode == 2 and "key file not found" in result.stderr


def test_unknown_suite_and_wrong_key_type(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    result = run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "--suite", "rsa-2099")
    assert result.returncode == 2 and "unknown cryptosuite" in result.stderr
    result = run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "--suite", "ecdsa-rdfc-2019")
    assert result.returncode == 2 and "P-256/P-384 keys, not Ed25519" in result.stderr


def test_unresolvable_proof_fields_and_unknown_proof_type(tmp_path: Path, unsigned: Path,
                                                          run_cli: Callable[..., CompletedProcess[str]],
                                                          load_json: Callable[[Path], Any]) -> None:
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), "-o", str(tmp_path / "s.json"))
    document = load_json(tmp_path / "s.json")
    document["proof"]["type"] = "MadeUpProof2099"
    (tmp_path / "u.json").write_text(json.dumps(document))
    result = run_cli("verify", str(tmp_path / "u.json"))
    assert result.returncode == 1 and "unknown proof type" in result.stdout


def test_unknown_context_exits_3_and_context_option_fixes_it(tmp_path: Path,
                                                             run_cli: Callable[..., CompletedProcess[str]]) -> None:
    context = tmp_path / "ctx.json"
    context.write_text('{"@context": {"grade": "https://trade.example/vocab#grade"}}')
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://trade.example/v1"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:x", "grade": "A"},
    }
    (tmp_path / "c.json").write_text(json.dumps(credential))
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    spec = f"https://trade.example/v1={context}"
    assert run_cli("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "k.jwk"), "-o", str(tmp_path / "s.json"), "--context", spec).returncode == 0
    assert run_cli("verify", str(tmp_path / "s.json")).returncode == 3
    assert run_cli("verify", str(tmp_path / "s.json"), "--context", spec).returncode == 0
    bad = run_cli("verify", str(tmp_path / "s.json"), "--context", "no-equals-sign")
    assert bad.returncode == 2 and "URL=FILE" in bad.stderr


def test_undefined_term_makes_sign_refuse(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:x", "grade": "A"},
    }
    (tmp_path / "c.json").write_text(json.dumps(credential))
    run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"))
    result = run_cli("sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "k.jwk"))
    assert result.returncode == 2 and "'grade' at credentialSubject.grade" in result.stderr


def test_encrypted_key_from_the_cli(tmp_path: Path, unsigned: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    env = {"VCTRADE_KEY_PASSPHRASE": "s3cret"}
    assert run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"), env=env).returncode == 0
    assert run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), env=env).returncode == 0
    denied = run_cli("sign", str(unsigned), "--key", str(tmp_path / "k.jwk"), env={"VCTRADE_KEY_PASSPHRASE": ""})
    assert denied.returncode == 2 and "is encrypted" in denied.stderr


def test_usage_errors_exit_2(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]]) -> None:
    assert run_cli("verify").returncode == 2
    assert run_cli("key", "generate", "--type", "rsa", "-o", str(tmp_path / "k.jwk")).returncode == 2
    assert run_cli("verify", "x.json", "--now", "tomorrow").returncode == 2


def test_version_and_help(run_cli: Callable[..., CompletedProcess[str]]) -> None:
    from vctrade import __version__

    assert run_cli("--version").stdout.strip() == __version__
    assert "verify" in run_cli("--help").stdout
