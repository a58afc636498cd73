"""ecdsa-sd-2023 from the command line: sign with mandatory pointers, derive a disclosure, verify it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from vctrade import Key

CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
              "type": ["VerifiableCredential", "ExampleCredential"],
              "credentialSubject": {"id": "did:example:1", "name": "Alice", "age": 42}}


def test_sign_derive_verify_and_tamper(tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    key = Key.generate("P-256")
    key.save(tmp_path / "k.jwk")
    (tmp_path / "c.json").write_text(json.dumps(CREDENTIAL))
    signed = run_cli("sign", str(tmp_path / "c.json"), "-k", str(tmp_path / "k.jwk"), "--suite", "ecdsa-sd-2023",
                     "--mandatory", "/issuer", "--mandatory", "/credentialSubject/id", "-o", str(tmp_path / "s.json"))
    assert signed.returncode == 0, signed.stderr
    derived_run = run_cli("derive", str(tmp_path / "s.json"), "--reveal", "/credentialSubject/name",
                          "-o", str(tmp_path / "d.json"))
    assert derived_run.returncode == 0, derived_run.stderr
    derived = json.loads((tmp_path / "d.json").read_text())
    assert "age" not in derived["credentialSubject"] and derived["credentialSubject"]["id"] == "did:example:1"
    checked = run_cli("verify", str(tmp_path / "d.json"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    derived["credentialSubject"]["name"] = "Mallory"
    (tmp_path / "x.json").write_text(json.dumps(derived))
    tampered = run_cli("verify", "--json", str(tmp_path / "x.json"))
    assert tampered.returncode == 1 and "sd_statement_signature_invalid" in tampered.stdout


def test_bad_options_exit_2(tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    key = Key.generate("P-256")
    key.save(tmp_path / "k.jwk")
    (tmp_path / "c.json").write_text(json.dumps(CREDENTIAL))
    other_suite = run_cli("sign", str(tmp_path / "c.json"), "-k", str(tmp_path / "k.jwk"), "--mandatory", "/issuer")
    assert other_suite.returncode == 2 and "--mandatory" in other_suite.stderr
    assert run_cli("sign", str(tmp_path / "c.json"), "-k", str(tmp_path / "k.jwk"), "--suite", "ecdsa-sd-2023",
                   "-o", str(tmp_path / "s.json")).returncode == 0
    nothing = run_cli("derive", str(tmp_path / "s.json"), "--reveal", "/credentialSubject/nothere")
    assert nothing.returncode == 2 and nothing.stdout == ""
