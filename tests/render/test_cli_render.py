"""`vctrade render`: HTML (or PDF) written whatever the verdict, the exit code verify's, bad input a one-line exit 2;
rendering's libraries stay off the start-up and verify paths."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ._page import Page, remote_references

NOW = ("--now", "2026-11-13T00:00:00Z")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def files(tmp_path: Path, issued: dict[str, dict[str, Any]], tampered_invoice: dict[str, Any],
          bundle: dict[str, Any]) -> dict[str, Path]:
    found = {}
    for name, document in (("coo", issued["origin"]), ("tampered", tampered_invoice), ("bundle", bundle)):
        found[name] = tmp_path / f"{name}.json"
        found[name].write_text(json.dumps(document), encoding="utf-8")
    return found


def test_render_writes_a_verified_certificate(tmp_path: Path, files: dict[str, Path], run_cli: Run) -> None:
    out = tmp_path / "coo.html"
    done = run_cli("render", str(files["coo"]), "-o", str(out), *NOW, "--verify-url", "https://verify.example/c/{id}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr.splitlines() == [f"wrote {out}", "VERIFIED"]
    html = out.read_text(encoding="utf-8")
    assert Page(html).verdict == "verified" and remote_references(html) == []


def test_render_to_stdout(files: dict[str, Path], run_cli: Run) -> None:
    done = run_cli("render", str(files["coo"]), *NOW)
    assert done.returncode == 0 and done.stdout.startswith("<!DOCTYPE html>")


def test_a_tampered_certificate_is_rendered_and_exits_1(tmp_path: Path, files: dict[str, Path], run_cli: Run) -> None:
    out = tmp_path / "tampered.html"
    done = run_cli("render", str(files["tampered"]), "-o", str(out), *NOW)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == ("NOT VERIFIED: proof.signature: the eddsa-rdfc-2022 signature does not "
                                            "match the document")
    assert Page(out.read_text(encoding="utf-8")).verdict == "failed"


def test_a_bundle_renders_with_its_policy_and_undecided_without(tmp_path: Path, files: dict[str, Path], run_cli: Run,
                                                                fixtures_dir: Path) -> None:
    out = tmp_path / "bundle.html"
    options = ("--challenge", "c", "--domain", "d", *NOW)
    done = run_cli("render", str(files["bundle"]), "-o", str(out), *options,
                   "--policy", str(fixtures_dir / "policy" / "us-cbp-steel.toml"))
    assert done.returncode == 0, done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    assert len(page.with_class("document")) == 9 and page.with_class("checks-page")
    undecided = run_cli("render", str(files["bundle"]), "-o", str(out), *options)
    assert undecided.returncode == 3
    assert undecided.stderr.splitlines()[-1].startswith("UNDECIDED: shipment.export-authority: ")
    assert Page(out.read_text(encoding="utf-8")).verdict == "undecided"


@pytest.mark.parametrize(("arguments", "message"), [
    (["missing.json"], "error: file not found: missing.json"),
    (["{folder}/notjson.json"], "error: {folder}/notjson.json"),
    (["{coo}", "--now", "yesterday"], "error: --now takes a date-time with a timezone"),
    (["{coo}", "--verify-url", "https://verify.example/c/"], "error: the verify URL template"),
    (["{coo}", "--verify-url", "ftp://verify.example/{{id}}"], "error: the verify URL template"),
    (["{coo}", "--template", "{folder}/no-such-template.html"], "error: cannot read the template"),
    (["{coo}", "--skew", "-5"], "error: --skew must not be negative"),
    (["{coo}", "--status-file", "no-equals-sign"], "error: --status-file"),
    (["{coo}", "--policy", "{folder}/missing.toml"], "error: "),
])
def test_bad_input_is_one_line_and_exit_2(arguments: list[str], message: str, tmp_path: Path, files: dict[str, Path],
                                          run_cli: Run) -> None:
    (tmp_path / "notjson.json").write_text("{not json")
    values = {"folder": str(tmp_path), "coo": str(files["coo"])}
    done = run_cli("render", *[a.format(**values) for a in arguments], "-o", str(tmp_path / "out.html"))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.startswith(message.format(**values)), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.html").exists()


RENDERING = {"jinja2", "segno", "nh3", "markupsafe"}


def _loaded(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_rendering_libraries_stay_off_start_up_and_verify() -> None:
    assert not RENDERING & _loaded("import vctrade.cli")
    assert not RENDERING & _loaded("import vctrade\nvctrade.verify({})")
    assert not RENDERING & _loaded("import vctrade.render")  # loaded when a page is made, not on import
    assert RENDERING <= _loaded("import vctrade.render._template as t\nt._render(b'{{ 1 }}', {})\nt.sanitize('')\n"
                                "from vctrade.render._qr import qr_code\nqr_code('x', 'link')")
