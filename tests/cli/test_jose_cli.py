"""JOSE from the command line: sign --format jose|sd-jwt|jwt-1.1, disclose, present --format jose, verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:acme", "invoiceNumber": "INV-7", "unitPrice": 812.5},
}


def test_jose_sd_jwt_and_presentation(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps(CREDENTIAL))
    issuer, holder = str(fixtures_dir / "keys/aceros-del-norte.jwk"), str(fixtures_dir / "keys/acme-imports.jwk")
    jwt = run_cli("sign", str(tmp_path / "c.json"), "--key", issuer, "--format", "jose", "-o", str(tmp_path / "c.jwt"))
    assert jwt.returncode == 0, jwt.stderr
    assert (tmp_path / "c.jwt").read_text().count(".") == 2
    verified = run_cli("verify", str(tmp_path / "c.jwt"), "--json")
    assert verified.returncode == 0, verified.stdout
    assert any(c["name"] == "jose.signature" for c in json.loads(verified.stdout)["checks"])

    sd = run_cli("sign", str(tmp_path / "c.json"), "--key", issuer, "--format", "sd-jwt", "--disclosable", "/credentialSubject/unitPrice",
                 "--disclosable", "/credentialSubject/invoiceNumber", "--holder-key", holder, "-o", str(tmp_path / "c.sd-jwt"))
    assert sd.returncode == 0, sd.stderr
    shown = run_cli("disclose", str(tmp_path / "c.sd-jwt"), "--reveal", "/credentialSubject/invoiceNumber", "--key", holder,
                    "--nonce", "N-1", "--audience", "did:web:cbp.example", "-o", str(tmp_path / "shown.sd-jwt"))
    assert shown.returncode == 0, shown.stderr
    ok = run_cli("verify", str(tmp_path / "shown.sd-jwt"), "--challenge", "N-1", "--domain", "did:web:cbp.example")
    assert ok.returncode == 0 and "sd-jwt.key-binding" in ok.stdout
    assert run_cli("verify", str(tmp_path / "shown.sd-jwt"), "--challenge", "N-2").returncode == 1
    # --nonce/--audience are the SD-JWT names of --challenge/--domain
    assert run_cli("verify", str(tmp_path / "shown.sd-jwt"), "--nonce", "N-1", "--audience", "did:web:cbp.example").returncode == 0
    assert run_cli("verify", str(tmp_path / "shown.sd-jwt"), "--nonce", "N-1", "--audience", "did:web:other.example").returncode == 1

    vp = run_cli("present", str(tmp_path / "c.jwt"), str(tmp_path / "shown.sd-jwt"), "--key", holder, "--format", "jose",
                 "--challenge", "N-3", "--domain", "cbp.example", "-o", str(tmp_path / "vp.jwt"))
    assert vp.returncode == 0, vp.stderr
    assert run_cli("verify", str(tmp_path / "vp.jwt"), "--challenge", "N-3", "--domain", "cbp.example").returncode == 0
    assert run_cli("verify", str(tmp_path / "vp.jwt"), "--challenge", "N-4").returncode == 1
    shown_text = run_cli("show", str(tmp_path / "shown.sd-jwt"))
    assert shown_text.returncode == 0 and "SD-JWT vc+sd-jwt with 1 disclosure(s)" in shown_text.stdout
    assert "INV-7" in shown_text.stdout and "812.5" not in shown_text.stdout  # the hidden price stays hidden
    batch = run_cli("verify", str(tmp_path), "--json")  # .json, .jwt and .sd-jwt files together
    assert len(batch.stdout.splitlines()) == 6  # five documents and the batch's summary


def test_legacy_jwt_and_bad_options(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    legacy = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
              "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:acme"}}
    (tmp_path / "l.json").write_text(json.dumps(legacy))
    key = str(fixtures_dir / "keys/cbp.jwk")
    assert run_cli("sign", str(tmp_path / "l.json"), "--key", key, "--format", "jwt-1.1", "-o", str(tmp_path / "l.jwt")).returncode == 0
    assert run_cli("verify", str(tmp_path / "l.jwt")).returncode == 0
    (tmp_path / "v2.json").write_text(json.dumps(CREDENTIAL))
    v2 = run_cli("sign", str(tmp_path / "v2.json"), "--key", key, "--format", "jwt-1.1")
    assert v2.returncode == 2 and "use vc+jwt (format jose)" in v2.stderr  # VCDM 2.0 has nothing to map to nbf
    bad = run_cli("sign", str(tmp_path / "l.json"), "--key", key, "--format", "cbor")
    assert bad.returncode == 2 and "--format must be" in bad.stderr
    no_pointer = run_cli("sign", str(tmp_path / "l.json"), "--key", key, "--format", "sd-jwt")
    assert no_pointer.returncode == 2 and "--disclosable" in no_pointer.stderr
    mixed = run_cli("sign", str(tmp_path / "l.json"), "--key", key, "--format", "jose", "--suite", "eddsa-jcs-2022")
    assert mixed.returncode == 2
    (tmp_path / "x.jwt").write_text("not.a.jwt!")
    assert run_cli("verify", str(tmp_path / "x.jwt")).returncode == 2
    (tmp_path / "y.jwt").write_text("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.")
    none_alg = run_cli("verify", str(tmp_path / "y.jwt"))
    assert none_alg.returncode == 1


def test_cose_from_the_cli(tmp_path: Path, run_cli: Callable[..., CompletedProcess[str]], fixtures_dir: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps(CREDENTIAL))
    signed = run_cli("sign", str(tmp_path / "c.json"), "--key", str(fixtures_dir / "keys/textiles-maya.jwk"), "--format", "cose",
                     "-o", str(tmp_path / "c.cose"))
    assert signed.returncode == 0, signed.stderr
    assert (tmp_path / "c.cose").read_text().startswith("0oR")
    assert "COSE application/vc+cose" in run_cli("show", str(tmp_path / "c.cose")).stdout
    verified = run_cli("verify", str(tmp_path / "c.cose"), "--json")
    assert verified.returncode == 0, verified.stdout
    assert any(c["name"] == "cose.signature" for c in json.loads(verified.stdout)["checks"])
    tampered = (tmp_path / "c.cose").read_text().replace("A", "B", 1)
    (tmp_path / "t.cose").write_text(tampered)
    assert run_cli("verify", str(tmp_path / "t.cose")).returncode == 1
