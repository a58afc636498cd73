"""Issue #17, CLI fixes 1-6 and the terminal, as a user meets them: the installed `vctrade` script, run with pipes
and — where a terminal changes what happens — on a pseudo-terminal (python's pty module).

1. untrusted text is printed with rich markup and emoji off (did:key: never becomes did🔑);
2. `issue` says what it issued (id, status list entries and indexes; --json); status commands take the file;
3. `issue`, `sign`, `status init` take --did-document;
4. keys as `step` does them: a passphrase asked for on a terminal, --passphrase-file, clear messages for a
   certificate or an encrypted PEM given as a key;
5. shell completion, `-` for stdin/stdout, no BrokenPipeError into `head`;
6. a presentation without --challenge warns, the last line names the failed check, timestamps in one format;
and the terminal: colour and wrapped lines on a terminal, nothing changed when piped.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vctrade import Key, present, sign

VCTRADE = str(Path(sys.executable).with_name("vctrade"))
NOW = "2026-06-01T00:00:00Z"  # the `trade` fixture's documents are signed the day before
CHALLENGE = "7c1f5a9b2e4d4c1f8a3b"
SMALL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],
    "credentialSubject": {"id": "did:example:acme", "name": "Acme Imports"},
}
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A registry of this test's own."""
    return {"VCTRADE_HOME": str(tmp_path / "home")}


def _run(*args: str, input: str | None = None, cwd: Path | None = None,  # noqa: A002 (subprocess's word)
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed script with ``input`` on its stdin (run_cli's, which gives none)."""
    return subprocess.run([VCTRADE, *args], input=input, capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={**os.environ, **(env or {})})


def _on_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None, answers: Sequence[tuple[str, str]] = (),
                 columns: int = 100, timeout: float = 60) -> tuple[int, str]:
    """Run the installed script on a pseudo-terminal (stdin, stdout and stderr): its exit code and what the terminal
    showed. ``answers``: (text to wait for, what to type then), in order."""
    child_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"COLUMNS": str(columns), "TERM": "xterm"}
    child_env |= env or {}
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes the script, the terminal its controlling terminal
        try:
            os.chdir(cwd)
            os.execve(VCTRADE, [VCTRADE, *args], child_env)
        finally:
            os._exit(127)
    shown, pending, answered_at = b"", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the child has exited and the terminal is closed
                    break
                if not data:
                    break
                shown += data
            if pending and pending[0][0].encode() in shown[answered_at:]:
                answered_at = len(shown)
                time.sleep(0.05)  # the prompt is written before the terminal's echo is turned off
                os.write(fd, pending.pop(0)[1].encode())
        else:
            os.kill(pid, 9)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace").replace("\r\n", "\n")


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def ctpat(tmp_path: Path, trade: dict[str, Any]) -> Path:
    """CBP's C-TPAT certification of ACME (signed by did:key; no status entry), as a file."""
    return _write(tmp_path / "ctpat.json", trade["ctpat"])


@pytest.fixture
def tampered(tmp_path: Path, trade: dict[str, Any]) -> Path:
    """The certification with its subject's name changed after signing."""
    document = json.loads(json.dumps(trade["ctpat"]))
    document["credentialSubject"]["legalName"] = "Someone Else Entirely Incorporated"
    return _write(tmp_path / "tampered.json", document)


# -- 1. untrusted text: no markup, no emoji -------------------------------------------------------------------


def test_batch_progress_view_prints_did_key_and_brackets_as_they_are(tmp_path: Path, trade: dict[str, Any]) -> None:
    """On a terminal the batch prints its lines above a live progress bar (rich): a file name and a check message
    holding `did:key:` and `[bold]` come out as they are, not as 🔑 and bold."""
    folder = tmp_path / "batch"
    folder.mkdir()
    forged = sign(SMALL, Key.generate())  # then said to be CBP's: the issuer check names the did:keys
    forged["issuer"] = trade["ctpat"]["issuer"]["id"]
    _write(folder / "did:key:[bold]forged[red].json", forged)
    _write(folder / "fine.json", trade["ctpat"])
    code, shown = _on_terminal("verify", str(folder), "--now", NOW, cwd=tmp_path, columns=400)  # lines unwrapped
    assert code == 1, shown
    assert "did:key:[bold]forged[red].json" in shown
    assert "issuer did:key:z6Mk" in shown
    assert "🔑" not in shown and "did🔑" not in shown


def test_help_text_keeps_did_key(run_cli: Run) -> None:
    """Help is printed by rich too: `did:key:z6Mk…` in a help text stays text (piped and on a terminal)."""
    helped = run_cli("did", "resolve", "--help")
    assert helped.returncode == 0
    assert "did:key:z6Mk" in helped.stdout and "🔑" not in helped.stdout


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the CLI, as the words that name it."""
    import typer

    from vctrade.cli import app

    def walk(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [path]
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found.extend(walk(sub, (*path, name)))
        return found

    return walk(typer.main.get_command(app), ())


def test_no_help_text_turns_into_emoji(run_cli: Run) -> None:
    """No command's help holds an emoji: rich's :name: codes (":key:" of did:key:…) are not read in help text."""
    emoji = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
    paths = _command_paths()
    assert ("did", "resolve") in paths and ("status", "revoke") in paths
    for path in paths:
        helped = run_cli(*path, "--help")
        assert helped.returncode == 0, (path, helped.stderr)
        assert not emoji.search(helped.stdout), (path, emoji.findall(helped.stdout))


def test_help_on_a_terminal_keeps_did_key(tmp_path: Path) -> None:
    code, shown = _on_terminal("did", "resolve", "--help", cwd=tmp_path)
    assert code == 0 and "did:key:z6Mk" in shown and "🔑" not in shown


# -- 2. what `issue` issued; status commands take the file --------------------------------------------------------


def test_issue_reports_the_id_and_status_entries(tmp_path: Path, fixtures_dir: Path, home: dict[str, str],
                                                 load_json: Callable[[Path], Any]) -> None:
    key, request = str(fixtures_dir / "keys/cbp.jwk"), str(fixtures_dir / "aeo/acme-ctpat.yaml")
    for purpose in ("revocation", "suspension"):
        created = _run("status", "init", "--key", key, "--url", f"https://cbp.example/status/{purpose}",
                       "--purpose", purpose, env=home)
        assert created.returncode == 0, created.stderr
    issued = _run("issue", "aeo", "--key", key, "--from", request, "-o", str(tmp_path / "aeo.json"), env=home)
    assert issued.returncode == 0, issued.stderr
    credential = load_json(tmp_path / "aeo.json")
    entries = {entry["statusPurpose"]: entry for entry in credential["credentialStatus"]}
    assert f"issued {credential['id']} (AEOCertificate, CTPATCertificate)" in issued.stderr
    for purpose, entry in entries.items():
        assert re.search(rf"status {purpose}\s+{re.escape(entry['statusListCredential'])} index "
                         rf"{entry['statusListIndex']}\b", issued.stderr), issued.stderr

    as_json = _run("issue", "aeo", "--key", key, "--from", request, "--json", env=home)
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)  # one JSON document, the credential in it
    assert report["id"] == report["credential"]["id"] and report["file"] is None
    assert [(s["purpose"], s["list"], s["index"]) for s in report["status"]] == [
        (e["statusPurpose"], e["statusListCredential"], int(e["statusListIndex"]))
        for e in report["credential"]["credentialStatus"]]

    to_file = _run("issue", "aeo", "--key", key, "--from", request, "--json", "-o", str(tmp_path / "b.json"), env=home)
    written = json.loads(to_file.stdout)
    assert written["file"] == str(tmp_path / "b.json") and "credential" not in written
    assert written["id"] == load_json(tmp_path / "b.json")["id"]


def test_status_commands_take_the_credential_file(tmp_path: Path, fixtures_dir: Path, home: dict[str, str],
                                                  load_json: Callable[[Path], Any]) -> None:
    key = str(fixtures_dir / "keys/cbp.jwk")
    for purpose in ("revocation", "suspension"):
        _run("status", "init", "--key", key, "--url", f"https://cbp.example/status/{purpose}", "--purpose", purpose,
             env=home)
    path = tmp_path / "aeo.json"
    assert _run("issue", "aeo", "--key", key, "--from", str(fixtures_dir / "aeo/acme-ctpat.yaml"), "-o", str(path),
                env=home).returncode == 0
    credential_id = load_json(path)["id"]

    suspended = _run("status", "suspend", str(path), "--reason", "audit", env=home)
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout.startswith(f"{credential_id} suspended")
    reinstated = _run("status", "reinstate", "-", input=path.read_text(), env=home)  # the file on stdin
    assert reinstated.returncode == 0 and reinstated.stdout.startswith(f"{credential_id} reinstated")
    assert _run("status", "revoke", str(path), env=home).returncode == 0
    shown = _run("status", "show", str(path), "--json", env=home)
    assert shown.returncode == 0 and json.loads(shown.stdout)["status"]["revocation"]["set"] is True
    by_id = _run("status", "show", credential_id, env=home)  # the id still works
    assert by_id.returncode == 0 and "REVOKED" in by_id.stdout

    no_id = _write(tmp_path / "no-id.json", SMALL)
    refused = _run("status", "revoke", str(no_id), env=home)
    assert refused.returncode == 2 and "without an id" in refused.stderr and "Traceback" not in refused.stderr


# -- 3. --did-document: sign before the did:web site is live --------------------------------------------------------


def test_issue_sign_and_status_init_take_a_did_document(tmp_path: Path, fixtures_dir: Path, home: dict[str, str],
                                                        load_json: Callable[[Path], Any]) -> None:
    """did:web:authority.invalid never resolves (.invalid): its did.json, given with --did-document, is enough."""
    key = str(fixtures_dir / "keys/cbp.jwk")
    made = _run("did", "web", "create", "--domain", "authority.invalid", "--key", key, "-o", str(tmp_path / "site"))
    assert made.returncode == 0, made.stderr
    document = str(tmp_path / "site/.well-known/did.json")
    did = "did:web:authority.invalid"

    unresolved = _run("status", "init", "--key", key, "--url", "https://authority.invalid/status/1", "--did", did,
                      env=home)
    assert unresolved.returncode == 3  # without the document: the DID does not resolve
    listed = _run("status", "init", "--key", key, "--url", "https://authority.invalid/status/1",
                  "--did-document", document, env=home)
    assert listed.returncode == 0, listed.stderr
    assert f"for {did}" in listed.stdout

    issued = _run("issue", "aeo", "--key", key, "--from", str(fixtures_dir / "aeo/acme-ctpat.yaml"),
                  "--did-document", document, "-o", str(tmp_path / "aeo.json"), env=home)
    assert issued.returncode == 0, issued.stderr
    credential = load_json(tmp_path / "aeo.json")
    assert credential["issuer"]["id"] == did and credential["proof"]["verificationMethod"].startswith(did + "#")
    assert credential["credentialStatus"]["statusListCredential"] == "https://authority.invalid/status/1"

    unsigned = _write(tmp_path / "unsigned.json", SMALL)
    signed = _run("sign", str(unsigned), "--key", key, "--did-document", document, "--did", did,
                  "-o", str(tmp_path / "signed.json"))
    assert signed.returncode == 0, signed.stderr
    assert load_json(tmp_path / "signed.json")["issuer"] == did
    verified = _run("verify", str(tmp_path / "signed.json"), "--did-document", document)
    assert verified.returncode == 0, verified.stdout

    other = _run("sign", str(unsigned), "--key", str(fixtures_dir / "keys/anam-mx.jwk"), "--did-document", document)
    assert other.returncode == 2 and "lists this key" in other.stderr


# -- 4. keys like `step` -------------------------------------------------------------------------------------------


def test_key_generate_asks_for_a_passphrase_on_a_terminal(tmp_path: Path) -> None:
    code, shown = _on_terminal("key", "generate", "-o", "k.jwk", cwd=tmp_path,
                               answers=[("Passphrase", "correct horse\n"), ("again", "correct horse\n")])
    assert code == 0, shown
    assert "correct horse" not in shown  # not echoed
    envelope = json.loads((tmp_path / "k.jwk").read_text())
    assert envelope["format"] == "vctrade-encrypted-jwk" and "d" not in envelope
    assert Key.load(tmp_path / "k.jwk", "correct horse").has_private

    code, shown = _on_terminal("key", "generate", "-o", "plain.jwk", cwd=tmp_path, answers=[("Passphrase", "\n")])
    assert code == 0, shown
    assert "warning" in shown and "unencrypted" in shown
    assert "d" in json.loads((tmp_path / "plain.jwk").read_text())

    (tmp_path / "c.json").write_text(json.dumps(SMALL))
    code, shown = _on_terminal("sign", "c.json", "--key", "k.jwk", "-o", "s.json", cwd=tmp_path,
                               answers=[("Passphrase for k.jwk", "correct horse\n")])  # an encrypted key: asked
    assert code == 0, shown
    assert json.loads((tmp_path / "s.json").read_text())["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_key_generate_off_a_terminal_and_the_passphrase_file(tmp_path: Path, run_cli: Run) -> None:
    plain = run_cli("key", "generate", "-o", str(tmp_path / "plain.jwk"))  # no terminal: no question
    assert plain.returncode == 0 and "d" in json.loads((tmp_path / "plain.jwk").read_text())
    (tmp_path / "pass.txt").write_text("s3cret words\nsecond line is ignored\n")
    made = run_cli("key", "generate", "-o", str(tmp_path / "k.jwk"), "--passphrase-file", str(tmp_path / "pass.txt"),
                   "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["encrypted"] is True
    assert Key.load(tmp_path / "k.jwk", "s3cret words").did == json.loads(made.stdout)["did"]
    shown = run_cli("key", "show", str(tmp_path / "k.jwk"), "--passphrase-file", str(tmp_path / "pass.txt"))
    assert shown.returncode == 0 and json.loads(shown.stdout)["did"] == json.loads(made.stdout)["did"]
    piped = _run("key", "show", str(tmp_path / "k.jwk"), "--passphrase-file", "-", input="s3cret words\n")
    assert piped.returncode == 0, piped.stderr
    missing = run_cli("key", "show", str(tmp_path / "k.jwk"))
    assert missing.returncode == 2 and "is encrypted" in missing.stderr and "--passphrase-file" in missing.stderr
    both = run_cli("key", "show", str(tmp_path / "k.jwk"), "--passphrase", "x", "--passphrase-file",
                   str(tmp_path / "pass.txt"))
    assert both.returncode == 2 and "not both" in both.stderr


def test_a_certificate_given_as_a_key_is_named(tmp_path: Path, run_cli: Run) -> None:
    certificate = trustme.CA().issue_cert("cbp.example")
    (tmp_path / "cbp.crt").write_bytes(certificate.cert_chain_pems[0].bytes())
    for command in (("key", "show", str(tmp_path / "cbp.crt")),
                    ("sign", str(_write(tmp_path / "c.json", SMALL)), "--key", str(tmp_path / "cbp.crt"))):
        refused = run_cli(*command)
        assert refused.returncode == 2, refused.stderr
        assert "is an X.509 certificate, not a private key" in refused.stderr
        assert "Traceback" not in refused.stderr
    # a certificate bundled with its key is read for the key
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "both.pem").write_bytes(certificate.cert_chain_pems[0].bytes() + pem)
    assert run_cli("key", "show", str(tmp_path / "both.pem")).returncode == 0


def test_an_encrypted_pem_without_its_passphrase(tmp_path: Path, run_cli: Run) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"pem secret"))
    (tmp_path / "k.pem").write_bytes(pem)
    refused = run_cli("key", "show", str(tmp_path / "k.pem"))
    assert refused.returncode == 2
    assert "is encrypted" in refused.stderr and "--passphrase-file" in refused.stderr
    wrong = run_cli("key", "show", str(tmp_path / "k.pem"), "--passphrase", "nope")
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    (tmp_path / "pass").write_text("pem secret\n")
    opened = run_cli("key", "show", str(tmp_path / "k.pem"), "--passphrase-file", str(tmp_path / "pass"))
    assert opened.returncode == 0 and json.loads(opened.stdout)["type"] == "P-256"


# -- 5. completion, `-`, pipes -------------------------------------------------------------------------------------


def test_shell_completion_is_enabled(tmp_path: Path, run_cli: Run) -> None:
    helped = run_cli("--help")
    assert "--install-completion" in helped.stdout and "--show-completion" in helped.stdout
    no_detection = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # name the shell instead of detecting it
    script = run_cli("--show-completion", "bash", env=no_detection)
    assert script.returncode == 0 and "complete -o default -F _vctrade_completion vctrade" in script.stdout
    completed = run_cli(env={"_VCTRADE_COMPLETE": "complete_bash", "COMP_WORDS": "vctrade status re",
                             "COMP_CWORD": "2"})
    assert completed.stdout.split() == ["revoke", "reinstate"]
    installed = run_cli("--install-completion", "bash", env={**no_detection, "HOME": str(tmp_path)})
    assert installed.returncode == 0, installed.stderr
    assert "_VCTRADE_COMPLETE" in (tmp_path / ".bash_completions/vctrade.sh").read_text()


def test_dash_is_stdin_and_stdout(tmp_path: Path, fixtures_dir: Path, trade: dict[str, Any]) -> None:
    key = str(fixtures_dir / "keys/cbp.jwk")
    signed = _run("sign", "-", "--key", key, "-o", "-", input=json.dumps(SMALL))
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["proof"]["type"] == "DataIntegrityProof"
    verified = _run("verify", "-", input=signed.stdout)
    assert verified.returncode == 0 and verified.stdout.splitlines()[-1] == "VERIFIED"
    shown = _run("show", "-", input=json.dumps(trade["ctpat"]))
    assert shown.returncode == 0 and shown.stdout.startswith(f"Credential {trade['ctpat']['id']}")
    key_out = _run("key", "generate", "-o", "-", "--no-passphrase")
    assert key_out.returncode == 0 and json.loads(key_out.stdout)["d"] and "did:key:z6Mk" in key_out.stderr
    from_stdin_key = _run("sign", str(_write(tmp_path / "c.json", SMALL)), "--key", "-", input=key_out.stdout)
    assert from_stdin_key.returncode == 0 and json.loads(from_stdin_key.stdout)["issuer"] == Key.parse(
        key_out.stdout.encode()).did
    request = (fixtures_dir / "aeo/acme-ctpat.yaml").read_text()
    issued = _run("issue", "aeo", "--key", key, "--from", "-", input=request, env={"VCTRADE_HOME": str(tmp_path)})
    assert issued.returncode == 0 and json.loads(issued.stdout)["type"][-1] == "CTPATCertificate"
    twice = _run("verify", "-", "--with", "-", input=signed.stdout)
    assert twice.returncode == 2 and "already read" in twice.stderr
    batch = _run("verify", "-", str(tmp_path / "c.json"), input=signed.stdout)
    assert batch.returncode == 2 and "standard input" in batch.stderr
    bad = _run("verify", "-", input="not json at all {")
    assert bad.returncode == 2 and "standard input" in bad.stderr and "Traceback" not in bad.stderr


@pytest.fixture
def big(tmp_path: Path, trade: dict[str, Any]) -> Path:
    """A credential whose `show` is some 100,000 lines (far more than a pipe holds)."""
    document = json.loads(json.dumps(trade["ctpat"]))
    document["credentialSubject"]["goods"] = [{"description": f"item {i}", "quantity": i} for i in range(100_000)]
    return _write(tmp_path / "big.json", document)


def test_show_piped_into_head_exits_quietly(big: Path) -> None:
    """`vctrade show big.json | head -1` prints one line, and nothing on stderr: no BrokenPipeError, no traceback."""
    shell = shutil.which("bash") or "/bin/sh"
    done = subprocess.run([shell, "-c", f'"{VCTRADE}" show "{big}" | head -1; echo "status ${{PIPESTATUS[0]}}"'],
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Credential ") and len(lines) == 2, done.stdout[:500]
    assert lines[1] in ("status 0", "status 141")  # 0 when every byte fitted before head left
    assert done.stderr == ""


@pytest.mark.parametrize("command", [("show", "{big}"), ("verify", "{big}", "--now", NOW), ("issue", "--list"),
                                     ("verify", "--help"), ("did", "resolve", "did:key:z6MkpqZphxkgHLHeQnqE1H4QUK3Ge"
                                                                             "WBmmgW8bQbcvE2c6GXJ")])
def test_a_reader_gone_is_a_quiet_exit_141(big: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    """Whatever the command, a closed stdout ends it with 141 (a shell's status for SIGPIPE), never a traceback or
    a status that reads as a verdict (1: not verified)."""
    process = subprocess.Popen([VCTRADE, *(part.format(big=big) for part in command)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "VCTRADE_HOME": str(tmp_path / "h")})
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader went away before a byte was written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""


# -- 6. presentations, the last line, timestamps -------------------------------------------------------------------


@pytest.fixture
def presentation(tmp_path: Path, ctpat: Path, trade: dict[str, Any]) -> Path:
    """ACME presents its certification to CBP over CBP's challenge, on the day it was issued (``NOW``)."""
    made = present([trade["ctpat"]], trade["importer"], challenge=CHALLENGE, domain="cbp.example",
                   created=datetime(2026, 5, 31, 12, tzinfo=timezone.utc))
    return _write(tmp_path / "vp.json", made)


def test_a_presentation_without_challenge_warns(presentation: Path, run_cli: Run) -> None:
    unchecked = run_cli("verify", str(presentation), "--now", NOW)
    assert unchecked.returncode == 0, unchecked.stdout
    assert "replay was not checked" in unchecked.stderr and "--challenge" in unchecked.stderr
    assert unchecked.stdout.splitlines()[-1] == "VERIFIED"
    checked = run_cli("verify", str(presentation), "--now", NOW, "--challenge", CHALLENGE)
    assert checked.returncode == 0 and "replay" not in checked.stderr
    lone = run_cli("verify", str(presentation.with_name("ctpat.json")), "--now", NOW)  # a credential is not replayed
    assert lone.returncode == 0 and lone.stderr == ""
    batch = run_cli("verify", str(presentation), str(presentation.with_name("ctpat.json")), "--now", NOW)
    assert batch.returncode == 0 and "replay was not checked" in batch.stderr


def test_the_last_line_names_the_failed_check(presentation: Path, tampered: Path, run_cli: Run) -> None:
    replayed = run_cli("verify", str(presentation), "--now", NOW, "--challenge", "a-different-challenge-9f2e")
    assert replayed.returncode == 1
    assert replayed.stdout.splitlines()[-1].startswith(
        "NOT VERIFIED: proof.challenge — expected a-differ…, got 7c1f5a9b…")
    broken = run_cli("verify", str(tampered), "--now", NOW)
    assert broken.returncode == 1
    assert re.fullmatch(r"NOT VERIFIED: proof\.signature — .+", broken.stdout.splitlines()[-1])


def test_timestamps_in_one_format(tmp_path: Path, fixtures_dir: Path, run_cli: Run) -> None:
    """Every time in a report is 2026-06-01T00:00:00Z: never +00:00, an offset, or fractions of a second."""
    expired = {**SMALL, "validFrom": "2024-01-01T01:00:00+01:00", "validUntil": "2025-01-01T01:00:00.5+01:00"}
    signed = run_cli("sign", str(_write(tmp_path / "c.json", expired)), "--key", str(fixtures_dir / "keys/cbp.jwk"),
                     "--created", "2024-02-01T00:00:00Z", "-o", str(tmp_path / "s.json"))
    assert signed.returncode == 0, signed.stderr
    late = run_cli("verify", str(tmp_path / "s.json"), "--now", "2026-06-01T02:00:00+02:00", "--json")
    valid = run_cli("verify", str(tmp_path / "s.json"), "--now", "2024-06-01T02:00:00.25+02:00")
    messages = [c["message"] for c in json.loads(late.stdout)["checks"]] + valid.stdout.splitlines()
    assert "expired: validUntil was 2025-01-01T00:00:00Z" in messages
    assert any(line.endswith("valid at 2024-06-01T00:00:00Z") for line in messages), valid.stdout
    stamps = [m for line in messages for m in re.findall(r"\d{4}-\d\d-\d\d[T ][\d:.]+\S*", line)]
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)?", stamp) for stamp in stamps), stamps


# -- the terminal ---------------------------------------------------------------------------------------------------


def test_colour_and_wrapped_lines_on_a_terminal_only(tmp_path: Path, tampered: Path, run_cli: Run) -> None:
    code, shown = _on_terminal("verify", str(tampered), "--now", NOW, cwd=tmp_path, columns=70)
    assert code == 1
    assert "\x1b[31mFAIL\x1b[0m  proof.signature" in shown and "\x1b[32mok\x1b[0m" in shown
    assert "\x1b[1;31mNOT VERIFIED\x1b[0m: proof.signature" in shown
    lines = shown.splitlines()
    too_long = [line for line in lines if len(re.sub(r"\x1b\[[\d;]*m", "", line)) > 70]
    assert all(max(map(len, line.split())) > 30 for line in too_long), too_long  # only a DID or URL, uncut
    column = lines[0].index("well-formed") - len("\x1b[32m\x1b[0m")  # where the first message starts
    continued = [line for line in lines if line.startswith(" " * column) and line.strip()]
    assert continued, shown  # a long message goes on, under its own column

    piped = run_cli("verify", str(tampered), "--now", NOW)  # the same, piped: plain, one line per check
    assert "\x1b" not in piped.stdout
    assert all(line.startswith(("ok  ", "FAIL", "ERR ", "NOT VERIFIED")) for line in piped.stdout.splitlines())
    assert any(len(line) > 70 for line in piped.stdout.splitlines())  # not wrapped
    plain = run_cli("verify", str(tampered), "--now", NOW, env={"NO_COLOR": "1"})
    assert plain.stdout == piped.stdout


def test_control_characters_are_shown_escaped_on_a_terminal(tmp_path: Path, trade: dict[str, Any]) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    _write(folder / "clear\x1b[2Jscreen.json", {**trade["ctpat"], "id": "urn:x"})
    code, shown = _on_terminal("verify", str(folder), "--now", NOW, cwd=tmp_path)
    assert code == 1 and "clear\\x1b[2Jscreen.json" in shown and "\x1b[2J" not in shown
    code, shown = _on_terminal("show", str(_write(tmp_path / "evil.json", {**SMALL, "id": "urn:x:\x1b]0;owned\x07"})),
                               cwd=tmp_path)
    assert code == 0 and "Credential urn:x:\\x1b]0;owned\\x07" in shown and "\x1b]0" not in shown


def test_batch_output_goes_to_stdout_when_only_stderr_is_a_terminal(tmp_path: Path, ctpat: Path,
                                                                      tampered: Path) -> None:
    """With the progress bar on a terminal (stderr), stdout piped to a file gets every JSON line — not the terminal."""
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen([VCTRADE, "verify", str(ctpat), str(tampered), "--now", NOW, "--json"],
                                   stdout=subprocess.PIPE, stderr=secondary, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(secondary)
        out, _ = process.communicate(timeout=120)
        drained = _drain(primary)
    finally:
        os.close(primary)
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [line.get("file") for line in lines[:2]] == [str(ctpat), str(tampered)], out
    assert '"file"' not in drained  # the terminal shows the bar and the summary, not the JSON


def _drain(fd: int) -> str:
    data = b""
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")
