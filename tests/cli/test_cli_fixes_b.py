"""Issue #17's CLI fixes 7-12, each tried as its user would: one JSON shape for one file and many (7), a policy's
required types judge presentations (8), request templates and requests read as written (9), SD-JWT issuing (10),
help text (11). The service's docs, OpenAPI document and access log (12) are in tests/service/test_service_docs.py."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
import yaml

from vctrade.model import format_datetime

Run = Callable[..., CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(timezone.utc)  # issued on the real clock with a window around it, verified on the real clock
WINDOW = ("--valid-from", format_datetime(NOW - timedelta(days=1)), "--valid-until", format_datetime(NOW + timedelta(days=300)))
# Each type's templates, and the key of the fixtures that issues it (any key issues; these are the fixtures' roles).
TEMPLATES = [("aeo", "ctpat", "cbp"), ("aeo", "eu-aeo", "eu-customs-de"), ("aeo", "mx-oea", "anam-mx"),
             ("origin", "usmca", "aceros-del-norte"), ("origin", "cafta-dr", "textiles-maya"),
             ("invoice", "steel-import", "aceros-del-norte"), ("mill-test-report", "steel-import", "siderurgica-golfo"),
             ("bill-of-lading", "steel-import", "gulf-intermodal"), ("sima-licence", "steel-import", "us-commerce-sima"),
             ("export-declaration", "steel-import", "anam-mx"), ("entry-summary", "steel-import", "rio-bravo-broker")]


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory, run_cli: Run, fixtures_dir: Path) -> Path:
    """A C-TPAT certification, an MX-OEA one and a USMCA certificate of origin, issued now from the fixtures."""
    folder = tmp_path_factory.mktemp("issued")
    home = {"VCTRADE_HOME": str(folder / "home")}
    for kind, request, key, name in [("aeo", "aeo/acme-ctpat.yaml", "cbp", "ctpat"),
                                     ("aeo", "aeo/mx-oea-aceros.yaml", "anam-mx", "aeo"),
                                     ("origin", "origin/usmca-steel.yaml", "aceros-del-norte", "coo")]:
        done = run_cli("issue", kind, "--from", str(fixtures_dir / request), "--key", str(fixtures_dir / f"keys/{key}.jwk"),
                       *WINDOW, "-o", str(folder / f"{name}.json"), env=home)
        assert done.returncode == 0, done.stderr
    return folder


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# -- 7: one JSON shape ---------------------------------------------------------------------------------------------


def test_verify_json_has_one_shape_for_one_file_and_for_many(issued: Path, tmp_path: Path, run_cli: Run,
                                                             fixtures_dir: Path) -> None:
    tampered = _load(issued / "aeo.json")
    tampered["credentialSubject"]["legalName"] = "Someone Else"
    (tmp_path / "aeo-tampered.json").write_text(json.dumps(tampered))
    vp = tmp_path / "vp.json"
    made = run_cli("present", str(issued / "coo.json"), str(tmp_path / "aeo-tampered.json"),
                   "--key", str(fixtures_dir / "keys/acme-imports.jwk"), "--challenge", "7c1f", "-o", str(vp))
    assert made.returncode == 0, made.stderr
    policy = str(fixtures_dir / "policy/us-cbp.toml")

    one = run_cli("verify", str(vp), "--challenge", "7c1f", "--policy", policy, "--json")
    assert one.returncode == 1
    report = json.loads(one.stdout)
    assert (report["file"], report["outcome"], report["verified"]) == (str(vp), "not verified", False)
    # nested failures in one flat list, each saying which document it belongs to: the tampered credential's
    # signature, and the policy's rule that needs its certifier's AEO to verify
    where = {(failure["name"], failure["document"]) for failure in report["failures"]}
    assert ("proof.signature", f"presentation > credential 1 ({tampered['id']})") in where, where
    assert any(name.startswith("policy.provenance") and document.startswith("presentation > policy: U.S. CBP")
               for name, document in where), where
    assert all(failure["status"] != "passed" for failure in report["failures"])

    many = run_cli("verify", str(vp), str(issued / "coo.json"), "--challenge", "7c1f", "--policy", policy, "--json")
    assert many.returncode == 1
    *documents, summary = [json.loads(line) for line in many.stdout.splitlines()]
    assert [d["file"] for d in documents] == [str(vp), str(issued / "coo.json")]
    assert all(set(d) == set(report) for d in documents)  # the same keys as the one file's report
    assert documents[0]["failures"] == report["failures"]
    assert summary == {"summary": {
        "outcome": "not verified", "documents": 2, "verified": 0, "notVerified": 2, "undecided": 0,
        "failedChecks": summary["summary"]["failedChecks"]}}
    assert summary["summary"]["failedChecks"]["proof.signature"] == 1


_FLAG = re.compile(r"(?<![\w!-])--[a-z][a-z-]+")
# What makes a message: an exception raised or made, a check (the verdict's words), a problem found.
_MESSAGE_CALLS = re.compile(r"(Error|Exception|Refused|Unauthorized|Forbidden|NotFound|TooLarge|Unavailable|Check"
                            r"|failure_check)$")


def _messages(tree: ast.AST) -> list[ast.Constant]:
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        called = node.func if isinstance(node, ast.Call) else None
        name = called.id if isinstance(called, ast.Name) else called.attr if isinstance(called, ast.Attribute) else ""
        problem = (isinstance(called, ast.Attribute) and called.attr in ("append", "extend")
                   and isinstance(called.value, ast.Name) and "problem" in called.value.id)
        if isinstance(node, ast.Raise) or problem or (name and _MESSAGE_CALLS.search(name)):
            found.extend(c for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return found


def test_library_messages_name_no_command_line_flags() -> None:
    """A flag is the CLI's word: the library's messages (what it raises, the checks and problems it reports) say
    what is wrong in the library's terms; the CLI adds its flag where it helps."""
    found = []
    for path in sorted((REPO / "vctrade").rglob("*.py")):
        if path.name == "cli.py":
            continue
        for node in _messages(ast.parse(path.read_text(encoding="utf-8"))):
            if _FLAG.search(node.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:80]!r}")
    assert not found, "\n".join(sorted(set(found)))


def test_the_cli_adds_the_flag_that_helps(tmp_path: Path, issued: Path, run_cli: Run) -> None:
    credential = _load(issued / "ctpat.json")
    credential["@context"].append("https://contexts.example/unknown/v1")
    (tmp_path / "c.json").write_text(json.dumps(credential))
    human = run_cli("verify", str(tmp_path / "c.json"))
    assert human.returncode == 3 and "(add it with --context URL=FILE)" in human.stdout
    report = json.loads(run_cli("verify", str(tmp_path / "c.json"), "--json").stdout)
    assert not any("--context" in failure["message"] for failure in report["failures"])  # JSON: the library's words


# -- 8: required types judge presentations --------------------------------------------------------------------------


def test_the_fixture_policy_accepts_a_lone_credential_and_judges_presentations(issued: Path, run_cli: Run,
                                                                                fixtures_dir: Path) -> None:
    policy = str(fixtures_dir / "policy/us-cbp.toml")
    alone = run_cli("verify", str(issued / "ctpat.json"), "--policy", policy)
    assert alone.returncode == 0, alone.stdout
    assert "required-types" not in alone.stdout
    vp = issued / "only-coo.json"
    run_cli("present", str(issued / "coo.json"), "--key", str(fixtures_dir / "keys/acme-imports.jwk"), "-o", str(vp))
    presented = run_cli("verify", str(vp), "--policy", policy)
    assert presented.returncode == 1
    assert "policy.required-types" in presented.stdout and "missing required credential type(s): AEOCertificate" in presented.stdout


# -- 9: request templates, requests read as written ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "template", "key"), TEMPLATES, ids=[f"{k}-{t}" for k, t, _ in TEMPLATES])
def test_template_prints_a_commented_request_that_issues(kind: str, template: str, key: str, tmp_path: Path,
                                                         run_cli: Run, fixtures_dir: Path) -> None:
    printed = run_cli("issue", kind, "--template", template)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# ") and f"vctrade issue {kind} --from" in printed.stdout
    assert "required" in printed.stdout and "optional" in printed.stdout  # each field says which it is
    request = tmp_path / "request.yaml"
    request.write_text(printed.stdout)
    assert isinstance(yaml.safe_load(printed.stdout), dict)
    done = run_cli("issue", kind, "--from", str(request), "--key", str(fixtures_dir / f"keys/{key}.jwk"),
                   "-o", str(tmp_path / "issued.json"), env={"VCTRADE_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr


def test_template_errors(run_cli: Run) -> None:
    unknown = run_cli("issue", "aeo", "--template", "gold")
    assert unknown.returncode == 2 and "its templates: ctpat, eu-aeo, mx-oea" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    both = run_cli("issue", "aeo", "--template", "ctpat", "--from", "x.yaml")
    assert both.returncode == 2 and "--template" in both.stderr


def _ctpat_request(run_cli: Run, tmp_path: Path, change: Callable[[str], str]) -> Path:
    text = change(run_cli("issue", "aeo", "--template", "ctpat").stdout)
    path = tmp_path / "ctpat.yaml"
    path.write_text(text)
    return path


def test_an_unquoted_hs_code_is_read_as_written(tmp_path: Path, run_cli: Run, fixtures_dir: Path) -> None:
    text = run_cli("issue", "origin", "--template", "usmca").stdout
    assert 'hsCode: "7208.37"' in text
    request = tmp_path / "coo.yaml"
    # YAML reads 7208.10 as the number 7208.1, 64540 as a number: both are the text the user wrote
    request.write_text(text.replace('hsCode: "7208.37"', "hsCode: 7208.10").replace('postalCode: "64540"', "postalCode: 64540"))
    done = run_cli("issue", "origin", "--from", str(request), "--key", str(fixtures_dir / "keys/aceros-del-norte.jwk"),
                   "-o", str(tmp_path / "coo.json"), env={"VCTRADE_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr
    subject = _load(tmp_path / "coo.json")["credentialSubject"]
    assert subject["goods"][0]["hsCode"] == "7208.10"
    assert subject["certifier"]["address"]["postalCode"] == "64540"
    assert subject["goods"][0]["unitPrice"] == 812.5  # a number the schema wants as a number stays one


def test_a_date_only_valid_from_is_named_with_the_fix(tmp_path: Path, run_cli: Run, fixtures_dir: Path) -> None:
    request = _ctpat_request(run_cli, tmp_path, lambda text: text.replace('validFrom: "2026-04-01T00:00:00Z"',
                                                                          "validFrom: 2026-04-01"))
    done = run_cli("issue", "aeo", "--from", str(request), "--key", str(fixtures_dir / "keys/cbp.jwk"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "validFrom: '2026-04-01' is a date without a time" in done.stderr
    assert 'validFrom: "2026-04-01T00:00:00Z"' in done.stderr  # the fix, ready to paste


@pytest.mark.parametrize("missing", ["aeoProgramme", "tier"])
def test_errors_about_a_ctpat_request_name_no_eu_fields(missing: str, tmp_path: Path, run_cli: Run,
                                                        fixtures_dir: Path) -> None:
    request = _ctpat_request(run_cli, tmp_path, lambda text: "\n".join(
        line for line in text.splitlines() if not line.startswith(f"  {missing}:")))
    done = run_cli("issue", "aeo", "--from", str(request), "--key", str(fixtures_dir / "keys/cbp.jwk"))
    assert done.returncode == 2
    assert f"'{missing}' is required" in done.stderr
    assert "eori" not in done.stderr and "aeoType" not in done.stderr


# -- 10: SD-JWT ----------------------------------------------------------------------------------------------------


def test_sign_sd_jwt_refuses_to_make_a_schema_required_claim_disclosable(issued: Path, tmp_path: Path, run_cli: Run,
                                                                         fixtures_dir: Path) -> None:
    unsigned = _load(issued / "ctpat.json")
    del unsigned["proof"]
    (tmp_path / "u.json").write_text(json.dumps(unsigned))
    key = str(fixtures_dir / "keys/cbp.jwk")
    refused = run_cli("sign", str(tmp_path / "u.json"), "--key", key, "--format", "sd-jwt",
                      "--disclosable", "/credentialSubject/legalName", "--disclosable", "/credentialSubject/sviNumber")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "/credentialSubject/legalName — credentialSubject: 'legalName' is required" in refused.stderr
    assert "sviNumber" not in refused.stderr  # the optional one is fine
    conditional = run_cli("sign", str(tmp_path / "u.json"), "--key", key, "--format", "sd-jwt",
                          "--disclosable", "/credentialSubject/tier")  # required because the programme is C-TPAT
    assert conditional.returncode == 2 and "'tier' is required" in conditional.stderr
    allowed = run_cli("sign", str(tmp_path / "u.json"), "--key", key, "--format", "sd-jwt",
                      "--disclosable", "/credentialSubject/sviNumber", "-o", str(tmp_path / "c.sd-jwt"))
    assert allowed.returncode == 0, allowed.stderr
    hidden = run_cli("disclose", str(tmp_path / "c.sd-jwt"), "-o", str(tmp_path / "hidden.sd-jwt"))  # reveals nothing
    assert hidden.returncode == 0, hidden.stderr
    assert run_cli("verify", str(tmp_path / "hidden.sd-jwt")).returncode == 0  # the schema check passes without it


def test_issue_format_sd_jwt_works_directly(tmp_path: Path, run_cli: Run, fixtures_dir: Path) -> None:
    home = {"VCTRADE_HOME": str(tmp_path / "home")}
    request = _ctpat_request(run_cli, tmp_path, lambda text: text)
    done = run_cli("issue", "aeo", "--from", str(request), "--key", str(fixtures_dir / "keys/cbp.jwk"), *WINDOW,
                   "--format", "sd-jwt", "--disclosable", "/credentialSubject/sviNumber",
                   "--disclosable", "/credentialSubject/tradeSector",
                   "--holder-key", str(fixtures_dir / "keys/acme-imports.jwk"), "-o", str(tmp_path / "c.sd-jwt"), env=home)
    assert done.returncode == 0, done.stderr
    token = (tmp_path / "c.sd-jwt").read_text().strip()
    assert token.count("~") == 3  # the issuer's JWS and two disclosures
    shown = run_cli("disclose", str(tmp_path / "c.sd-jwt"), "--reveal", "/credentialSubject/tradeSector",
                    "--key", str(fixtures_dir / "keys/acme-imports.jwk"), "--nonce", "n-1", "--audience", "cbp.example",
                    "-o", str(tmp_path / "shown.sd-jwt"))
    assert shown.returncode == 0, shown.stderr
    verified = run_cli("verify", str(tmp_path / "shown.sd-jwt"), "--nonce", "n-1", "--audience", "cbp.example")
    assert verified.returncode == 0, verified.stdout
    refused = run_cli("issue", "aeo", "--from", str(request), "--key", str(fixtures_dir / "keys/cbp.jwk"),
                      "--format", "sd-jwt", "--disclosable", "/credentialSubject/ctpatAccountNumber", env=home)
    assert refused.returncode == 2 and "'ctpatAccountNumber' is required" in refused.stderr
    no_pointer = run_cli("issue", "aeo", "--from", str(request), "--key", str(fixtures_dir / "keys/cbp.jwk"),
                         "--format", "sd-jwt", env=home)
    assert no_pointer.returncode == 2 and "--disclosable" in no_pointer.stderr


# -- 11: help ------------------------------------------------------------------------------------------------------


COMMANDS = [[], ["verify"], ["issue"], ["sign"], ["key", "generate"], ["did"], ["did", "resolve"], ["status", "log"],
            ["show"], ["serve"]]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "vctrade" for c in COMMANDS])
def test_help_shows_flags_without_a_type(command: list[str], run_cli: Run) -> None:
    shown = run_cli(*command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout and "BOOLEAN" not in shown.stdout


def test_a_flag_has_no_type_to_show_whatever_typer_shows() -> None:
    """Typer 0.28 and later print a flag's type in --help (``--json <bool>``); the CLI gives flags none."""
    from typer.core import TyperOption
    from typer.main import get_command

    from vctrade.cli import _flags_without_type, app

    _flags_without_type()  # what every run of the program does before Typer formats any help
    verify = get_command(app).commands["verify"]  # type: ignore[attr-defined]
    context = verify.context_class(verify)
    options = {p.opts[0]: p for p in verify.params if isinstance(p, TyperOption)}
    for name in ("make_metavar", "display_type_rich"):  # what Typer asks for an option's type, by version
        if hasattr(TyperOption, name):
            assert getattr(options["--json"], name)(ctx=context) == ""
            assert getattr(options["--now"], name)(ctx=context) != ""


def test_did_is_described_as_creating_and_resolving_dids(run_cli: Run) -> None:
    top = run_cli("--help").stdout
    assert any(line.strip("│ ").startswith("did ") and "Create and resolve DIDs" in line for line in top.splitlines()), top
    assert "Create and resolve DIDs" in run_cli("did", "--help").stdout
