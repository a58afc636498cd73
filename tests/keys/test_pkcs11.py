"""Keys in a PKCS#11 token: a real SoftHSM2 token initialised in a temporary folder (tests/system-packages.sh installs
softhsm2, the test extra python-pkcs11). Keys are generated inside it, sign with every suite and format their type
allows, verify with vctrade, and their signatures check with the public key alone (cryptography). The private key
never leaves the token. Errors (wrong PIN, missing token or object, a token without EdDSA) are clear, with exit 2 or 3.
Through the CLI (`key generate --pkcs11`, `issue`, `sign`, `present`, `status`) and a `vctrade serve` whose
[[issuer]] key is in the token, issuing over HTTP.

The token library is loaded once per process (C_Initialize), bound to the SOFTHSM2_CONF of that moment: the in-process
tests share one token; tests that need another configuration run the CLI in a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import rfc8785
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vctrade import Key, issue, verify
from vctrade._encoding import b64url_decode, multibase_decode
from vctrade._keybackend import is_key_uri
from vctrade._pkcs11 import parse_uri
from vctrade.errors import InvalidKey, SigningError, UnsupportedError

VCTRADE = str(Path(sys.executable).with_name("vctrade"))
MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
MODULE = next((m for m in MODULES if os.path.exists(m)), None)
PIN, SO_PIN = "4711-cbp", "so-secret"

if MODULE is None or shutil.which("softhsm2-util") is None:  # pragma: no cover - sh tests/system-packages.sh installs it
    pytest.fail("SoftHSM2 is missing: run `sh tests/system-packages.sh` (Debian's softhsm2)", pytrace=False)
pytest.importorskip("pkcs11", reason="python-pkcs11 is in the test extra: pip install -e '.[test]'")


def _configure(folder: Path, mechanisms: str = "ALL") -> Path:
    """SoftHSM2's configuration for the tokens in ``folder``, with only ``mechanisms`` enabled (SoftHSM's
    slots.mechanisms)."""
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
                    f"slots.mechanisms = {mechanisms}\n")
    return conf


def _init_token(folder: Path, label: str) -> dict[str, str]:
    """A SoftHSM2 configuration and one initialised token in ``folder``: the environment that reaches it."""
    (folder / "tokens").mkdir(parents=True)
    conf = _configure(folder)
    env = {"SOFTHSM2_CONF": str(conf), "VCTRADE_PKCS11_MODULE": str(MODULE)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN],
                   check=True, capture_output=True, env={**os.environ, **env}, timeout=60)
    return env


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The token CBP, reached from this process (module, configuration and PIN in the environment)."""
    env = _init_token(tmp_path_factory.mktemp("softhsm"), "CBP")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**env, "VCTRADE_PKCS11_PIN": PIN}.items():
            patch.setenv(name, value)
        patch.delenv("VCTRADE_PKCS11_PIN_FILE", raising=False)
        yield env


@pytest.fixture(scope="module")
def keys(token: dict[str, str]) -> dict[str, Key]:
    """One key of each type, generated inside the token."""
    return {kind: Key.generate_in(f"pkcs11:token=CBP;object=test-{kind.lower()}", kind) for kind in ("Ed25519", "P-256", "P-384")}


def _cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VCTRADE_PKCS11", "SOFTHSM2"))}
    return subprocess.run([VCTRADE, *args], capture_output=True, text=True, env={**clean, **env}, cwd=cwd, timeout=120)


# -- the public key alone checks what the token signed ---------------------------------------------------------------


def _public_from_did(verification_method: str) -> Any:
    """The cryptography public key of a did:key verification method (nothing from vctrade's Key)."""
    raw = multibase_decode(verification_method.split("#", 1)[1])
    if raw[:2] == b"\xed\x01":
        return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
    curve = {b"\x80\x24": ec.SECP256R1(), b"\x81\x24": ec.SECP384R1()}[raw[:2]]
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, raw[2:])


def _check(public: Any, signature: bytes, message: bytes) -> None:
    """Raises InvalidSignature unless ``signature`` (raw Ed25519 or r‖s) signs ``message``."""
    if isinstance(public, ed25519.Ed25519PublicKey):
        public.verify(signature, message)
        return
    size = (public.curve.key_size + 7) // 8
    assert len(signature) == 2 * size
    digest = hashes.SHA256() if size == 32 else hashes.SHA384()
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    public.verify(encode_dss_signature(r, s), message, ec.ECDSA(digest))


def _check_jws(token: str) -> None:
    header_part, payload_part, signature = token.split("~", 1)[0].split(".")
    kid = json.loads(b64url_decode(header_part))["kid"]
    _check(_public_from_did(kid), b64url_decode(signature), f"{header_part}.{payload_part}".encode("ascii"))


def _check_jcs_proof(document: dict[str, Any]) -> None:
    """eddsa-jcs-2022 / ecdsa-jcs-2019 by their spec: hash(JCS(proof config)) ‖ hash(JCS(document)), signed."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in document["proof"].items() if k != "proofValue"}
    config["@context"] = unsecured["@context"]
    public = _public_from_did(config["verificationMethod"])
    algorithm = hashlib.sha384 if getattr(public, "curve", None) and public.curve.key_size == 384 else hashlib.sha256
    message = algorithm(rfc8785.dumps(config)).digest() + algorithm(rfc8785.dumps(unsecured)).digest()
    _check(public, multibase_decode(document["proof"]["proofValue"]), message)


# -- URIs -------------------------------------------------------------------------------------------------------------


def test_uris_name_one_key_and_never_carry_a_pin() -> None:
    uri = parse_uri("pkcs11:token=CBP%20Prod;object=cbp-2026;id=%01%02;type=private?module-path=/opt/p11.so")
    assert (uri.token, uri.label, uri.id, uri.module_path) == ({"token": "CBP Prod"}, "cbp-2026", b"\x01\x02", "/opt/p11.so")
    assert is_key_uri("pkcs11:token=CBP;object=k") and not is_key_uri("keys/cbp.jwk") and not is_key_uri("C:/k.jwk")
    for bad, words in [("pkcs11:token=CBP;object=k?pin-value=1234", "never part of a key URI"),
                       ("pkcs11:token=CBP;object=k?pin-source=file:pin.txt", "VCTRADE_PKCS11_PIN_FILE"),
                       ("pkcs11:token=CBP", "object=LABEL"),
                       ("pkcs11:token=CBP;object=k;type=public", "type=private"),
                       ("pkcs11:token=CBP;colour=blue;object=k", "unknown or malformed attribute")]:
        with pytest.raises(InvalidKey, match=words):
            parse_uri(bad)


# -- signing in the token ---------------------------------------------------------------------------------------------

CASES = [
    ("Ed25519", "di", "eddsa-rdfc-2022"), ("Ed25519", "di", "eddsa-jcs-2022"), ("Ed25519", "di", "Ed25519Signature2020"),
    ("Ed25519", "di", "JsonWebSignature2020"), ("Ed25519", "jose", None), ("Ed25519", "sd-jwt", None),
    ("Ed25519", "cose", None),
    ("P-256", "di", "ecdsa-rdfc-2019"), ("P-256", "di", "ecdsa-jcs-2019"), ("P-256", "di", "ecdsa-sd-2023"),
    ("P-256", "di", "JsonWebSignature2020"), ("P-256", "jose", None), ("P-256", "sd-jwt", None), ("P-256", "cose", None),
    ("P-384", "di", "ecdsa-rdfc-2019"), ("P-384", "di", "ecdsa-jcs-2019"), ("P-384", "jose", None),
    ("P-384", "sd-jwt", None), ("P-384", "cose", None),
]


@pytest.mark.parametrize(("key_type", "fmt", "suite"), CASES, ids=[f"{k}-{s or f}" for k, f, s in CASES])
def test_a_credential_signed_in_the_token_verifies(keys: dict[str, Key], trade_request: Callable[[str, str], dict[str, Any]],
                                                  key_type: str, fmt: str, suite: str | None) -> None:
    key = keys[key_type]
    extra: dict[str, Any] = {"disclosable": ["/credentialSubject/sviNumber"]} if fmt == "sd-jwt" else {}
    secured = issue(trade_request("aeo", "acme-ctpat"), key, trade_type="aeo", format=fmt, suite=suite, **extra).secured
    if suite == "ecdsa-sd-2023":  # a base proof is the holder's to derive from; the derived credential verifies
        from vctrade.di._suites.ecdsa_sd_2023 import derive

        assert isinstance(secured, dict)
        secured = derive(secured, [f"/{name}" for name in secured if name not in ("@context", "type", "proof")])
    result = verify(secured)
    assert result.verified, [str(c) for c in result.checks if c.status != "passed"]
    # the public key alone (from the credential's did:key, through cryptography) checks what the token signed
    if fmt in ("jose", "sd-jwt"):
        assert isinstance(secured, str)
        _check_jws(secured)
    elif suite in ("eddsa-jcs-2022", "ecdsa-jcs-2019"):
        assert isinstance(secured, dict)
        _check_jcs_proof(secured)


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256", "P-384"])
def test_raw_signatures_check_with_the_public_key_alone(keys: dict[str, Key], key_type: str) -> None:
    key = keys[key_type]
    for message in (b"", b"C-TPAT Tier 3", os.urandom(4096)):
        signature = key.sign(message)
        _check(_public_from_did(key.did_key_verification_method), signature, message)
    assert key == Key.load(f"pkcs11:token=CBP;object=test-{key_type.lower()}")  # found again by its label


def test_the_private_key_never_leaves_the_token(keys: dict[str, Key], tmp_path: Path) -> None:
    import pkcs11

    key = keys["P-256"]
    assert key.has_private and key.signer is not None and not key.public().has_private
    for export in (key.private_bytes, lambda: key.to_jwk(private=True), lambda: key.to_pem(private=True), key.export,
                   lambda: key.private_multibase, lambda: key.save(tmp_path / "k.jwk")):
        with pytest.raises(InvalidKey, match="stays in its store"):
            export()
    assert not (tmp_path / "k.jwk").exists()
    # and the token says so too: sensitive, never extractable
    private = key.signer._private  # type: ignore[attr-defined]
    assert private[pkcs11.Attribute.SENSITIVE] and not private[pkcs11.Attribute.EXTRACTABLE]


def test_missing_objects_and_tokens_and_refused_generation(token: dict[str, str]) -> None:
    with pytest.raises(InvalidKey, match="holds no private key with that object label") as raised:
        Key.load("pkcs11:token=CBP;object=no-such-key")
    assert raised.value.code == "key_not_found" and raised.value.exit_code == 2
    with pytest.raises(InvalidKey, match=r"no token matches \(tokens present: 'CBP'\)"):
        Key.load("pkcs11:token=CBX;object=test-ed25519")
    Key.generate_in("pkcs11:token=CBP;object=once", "Ed25519")
    with pytest.raises(InvalidKey, match="already holds a key with that label"):
        Key.generate_in("pkcs11:token=CBP;object=once", "P-256")
    with pytest.raises(UnsupportedError, match="Ed25519, P-256 or P-384"):
        Key.generate_in("pkcs11:token=CBP;object=k1", "secp256k1")


def test_a_signature_the_public_key_does_not_verify_is_refused(keys: dict[str, Key]) -> None:
    class Wrong:
        uri, key_type = "pkcs11:token=X;object=wrong", "Ed25519"

        def public_key(self) -> Any:
            return keys["Ed25519"].public_key

        def sign(self, data: bytes) -> bytes:
            return bytes(64)

    with pytest.raises(SigningError, match="does not verify"):
        Key.from_signer(Wrong()).sign(b"x")


# -- the CLI ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_token(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A second token (its own folder) the CLI subprocesses use, with its PIN in a file."""
    folder = tmp_path_factory.mktemp("softhsm-cli")
    env = _init_token(folder, "CBP")
    (folder / "pin.txt").write_text(PIN + "\n")
    return {**env, "VCTRADE_PKCS11_PIN_FILE": str(folder / "pin.txt"), "VCTRADE_HOME": str(folder / "home")}, folder


def test_cli_generates_in_the_token_and_issues_signs_presents_and_publishes(
        cli_token: tuple[dict[str, str], Path], fixtures_dir: Path) -> None:
    env, folder = cli_token
    uri = "pkcs11:token=CBP;object=cbp-2026"
    made = _cli("key", "generate", "--type", "ed25519", "--pkcs11", uri, "--json", env=env)
    assert made.returncode == 0, made.stderr
    did = json.loads(made.stdout)["did"]
    shown = _cli("key", "show", uri, env=env)
    assert shown.returncode == 0 and did in shown.stdout and '"d"' not in shown.stdout, shown.stderr
    assert not list(folder.glob("*.jwk"))  # nothing written outside the token
    # status: a list whose key is in the token, published (signed) by it
    site = folder / "site"
    init = _cli("status", "init", "--key", uri, "--url", "https://cbp.example/status/1", env=env)
    assert init.returncode == 0, init.stderr
    issued = _cli("issue", "aeo", "--key", uri, "--from", str(fixtures_dir / "aeo" / "acme-ctpat.yaml"),
                  "-o", str(folder / "acme-aeo.json"), env=env)
    assert issued.returncode == 0, issued.stderr
    credential = json.loads((folder / "acme-aeo.json").read_text())
    assert credential["issuer"]["id"] == did and credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert "credentialStatus" in credential
    published = _cli("status", "publish", "-o", str(site), env=env)
    assert published.returncode == 0, published.stderr
    lists = [p for p in site.rglob("*") if p.is_file()]
    assert len(lists) == 1, lists
    status_list = json.loads(lists[0].read_text())
    assert status_list["proof"]["verificationMethod"].startswith(did) and verify(status_list).verified
    checked = _cli("verify", str(folder / "acme-aeo.json"), "--json", env=env)
    proofs = [c for c in json.loads(checked.stdout)["checks"] if c["name"].startswith("proof")]
    assert proofs and all(c["status"] == "passed" for c in proofs), checked.stdout  # its status list is not online
    # sign (a second proof, JOSE) and present with keys in the token
    p256 = "pkcs11:token=CBP;object=holder-p256"
    assert _cli("key", "generate", "-t", "p-256", "--pkcs11", p256, env=env).returncode == 0
    unsigned = folder / "unsigned.json"
    unsigned.write_text(json.dumps({k: v for k, v in credential.items() if k not in ("proof", "issuer", "credentialStatus")}))
    jwt = _cli("sign", str(unsigned), "--key", p256, "--format", "jose", "-o", str(folder / "c.jwt"), env=env)
    assert jwt.returncode == 0, jwt.stderr
    _check_jws((folder / "c.jwt").read_text().strip())
    presented = _cli("present", str(folder / "acme-aeo.json"), "--key", p256, "--challenge", "n-1", "--domain",
                     "cbp.example", "-o", str(folder / "vp.json"), env=env)
    assert presented.returncode == 0, presented.stderr
    verified = _cli("verify", str(folder / "vp.json"), "--challenge", "n-1", "--domain", "cbp.example", "--json", env=env)
    proofs = [c for c in json.loads(verified.stdout)["checks"] if c["name"].startswith("proof")]
    assert proofs and all(c["status"] == "passed" for c in proofs), verified.stdout


def test_cli_errors_are_clear_with_exit_2_or_3(cli_token: tuple[dict[str, str], Path], tmp_path: Path,
                                              fixtures_dir: Path) -> None:
    env, folder = cli_token
    uri = "pkcs11:token=CBP;object=errors"
    assert _cli("key", "generate", "--pkcs11", uri, env=env).returncode == 0
    request = str(fixtures_dir / "aeo" / "acme-ctpat.yaml")
    (tmp_path / "wrong.txt").write_text("0000\n")
    cases: list[tuple[dict[str, str], list[str], int, str]] = [
        ({"VCTRADE_PKCS11_PIN_FILE": str(tmp_path / "wrong.txt")}, [uri], 2, "wrong PIN for token 'CBP'"),
        ({"VCTRADE_PKCS11_PIN_FILE": "", "VCTRADE_PKCS11_PIN": "0000"}, [uri], 2, "wrong PIN"),
        ({"VCTRADE_PKCS11_PIN_FILE": ""}, [uri], 2, "needs its PIN: set VCTRADE_PKCS11_PIN_FILE"),
        ({"VCTRADE_PKCS11_PIN_FILE": str(tmp_path / "none.txt")}, [uri], 2, "cannot read the PIN file"),
        ({}, ["pkcs11:token=CBP;object=nothing"], 2, "holds no private key with that object label"),
        ({}, ["pkcs11:token=Customs;object=errors"], 2, "no token matches (tokens present: 'CBP')"),
        ({"VCTRADE_PKCS11_MODULE": ""}, [uri], 2, "set VCTRADE_PKCS11_MODULE"),
        ({"VCTRADE_PKCS11_MODULE": str(tmp_path / "no.so")}, [uri], 3, "does not exist"),
        ({}, [uri + "?pin-value=" + PIN], 2, "a PIN is never part of a key URI"),
    ]
    for overrides, key, code, words in cases:
        run = _cli("issue", "aeo", "--key", *key, "--from", request, env={**env, **overrides})
        assert (run.returncode, run.stdout) == (code, ""), (overrides, run.stderr)
        assert words in run.stderr and "Traceback" not in run.stderr and PIN not in run.stderr, run.stderr
    refused = _cli("key", "generate", "--pkcs11", uri + "-2", "-o", str(tmp_path / "k.jwk"), env=env)
    assert refused.returncode == 2 and "no --output" in refused.stderr


def test_a_token_without_eddsa_says_so(tmp_path: Path, fixtures_dir: Path) -> None:
    env = _init_token(tmp_path / "hsm", "NoEd")
    env["VCTRADE_PKCS11_PIN"] = PIN
    made = _cli("key", "generate", "--type", "ed25519", "--pkcs11", "pkcs11:token=NoEd;object=ed", env=env)
    assert made.returncode == 0, made.stderr
    _configure(tmp_path / "hsm", "CKM_ECDSA,CKM_EC_KEY_PAIR_GEN")  # the same token, now with ECDSA alone
    refused = _cli("key", "generate", "--type", "ed25519", "--pkcs11", "pkcs11:token=NoEd;object=ed2", env=env)
    assert refused.returncode == 2, refused.stderr
    assert ("token 'NoEd' does not support EdDSA (Ed25519): it lacks CKM_EDDSA, CKM_EC_EDWARDS_KEY_PAIR_GEN; use a "
            "P-256 or P-384 key there") in refused.stderr
    signing = _cli("issue", "aeo", "--key", "pkcs11:token=NoEd;object=ed", "--from",
                   str(fixtures_dir / "aeo" / "acme-ctpat.yaml"), env={**env, "VCTRADE_HOME": str(tmp_path / "home")})
    assert signing.returncode == 2 and "does not support EdDSA (Ed25519): it lacks CKM_EDDSA;" in signing.stderr
    # P-256 works there
    assert _cli("key", "generate", "--type", "p-256", "--pkcs11", "pkcs11:token=NoEd;object=ec", env=env).returncode == 0
    issued = _cli("issue", "aeo", "--key", "pkcs11:token=NoEd;object=ec", "--from",
                  str(fixtures_dir / "aeo" / "acme-ctpat.yaml"), env={**env, "VCTRADE_HOME": str(tmp_path / "home")})
    assert issued.returncode == 0 and json.loads(issued.stdout)["proof"]["cryptosuite"] == "ecdsa-rdfc-2019", issued.stderr


# -- the service ------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_service_issuer_with_its_key_in_the_token_issues_over_http(
        cli_token: tuple[dict[str, str], Path], tmp_path: Path, trade_request: Callable[[str, str], dict[str, Any]],
        workers: int) -> None:
    """`vctrade serve` (real uvicorn); with 2 workers each forked process opens the token again."""
    env, _ = cli_token
    for kind, label in (("ed25519", "svc-ed"), ("p-384", "svc-p384")):
        made = _cli("key", "generate", "-t", kind, "--pkcs11", f"pkcs11:token=CBP;object={label}", env=env)
        assert made.returncode == 0 or "already holds" in made.stderr, made.stderr
    (tmp_path / "service.toml").write_text("""
[server]
registry = "registry.sqlite"

[auth]
tokens = ["pkcs11-test-token"]

[[issuer]]
name = "cbp"
key = "pkcs11:token=CBP;object=svc-ed"
default = true

[[issuer]]
name = "cbp-jose"
key = "pkcs11:token=CBP;object=svc-p384"
format = "jose"
""")
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VCTRADE_PKCS11", "SOFTHSM2"))}
    server = subprocess.Popen([VCTRADE, "serve", "--config", str(tmp_path / "service.toml"), "--host", "127.0.0.1",
                               "--port", str(port), "--workers", str(workers)], env={**clean, **env}, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
        unsigned = issue(trade_request("aeo", "acme-ctpat"), Key.generate("Ed25519"), trade_type="aeo").credential
        unsigned.pop("credentialStatus", None)
        unsigned.pop("issuer", None)
        headers = {"Authorization": "Bearer pkcs11-test-token"}
        answers = {}
        for name in ("cbp", "cbp-jose"):
            for n in range(6):  # several requests: the token's session is reused
                unsigned["id"] = f"urn:uuid:00000000-0000-4000-8000-{name == 'cbp':06d}{n:06d}"
                answer = httpx.post(f"http://127.0.0.1:{port}/issuers/{name}/credentials/issue",
                                    json={"credential": unsigned}, headers=headers, timeout=30)
                assert answer.status_code == 201, answer.text
            answers[name] = answer.json()
    finally:
        server.terminate()
        server.wait(timeout=20)
    signed = answers["cbp"]["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022" and verify(signed).verified
    enveloped = answers["cbp-jose"]["verifiableCredential"]
    token = enveloped["id"].split(",", 1)[1] if isinstance(enveloped, dict) else enveloped
    assert verify(token).verified
    _check_jws(token)
    assert json.loads(b64url_decode(token.split(".")[0]))["alg"] == "ES384"


def test_start_up_and_key_files_never_load_the_token_library(fixtures_dir: Path) -> None:
    code = ("import sys; from vctrade import Key, verify; from vctrade.cli import app; "
            f"Key.load({str(fixtures_dir / 'keys' / 'cbp.jwk')!r}).sign(b'x'); "
            "assert not {'pkcs11', 'vctrade._pkcs11'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
