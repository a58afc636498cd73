"""The shipment from the command line: issue every document, bundle them, verify the bundle, show it at a glance."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, issue
from vctrade._demo import _moved
from vctrade.trade import load_request

# The bundle is signed now (the CLI has no other clock), so the documents' dates move with today, as the demo's do.
DAYS = timedelta(days=(datetime.now(timezone.utc).date() - date(2026, 11, 28)).days)
# fixtures/shipment/<file>.yaml (or another fixture folder) -> (trade type, the issuer's key in fixtures/keys)
DOCUMENTS = {
    "invoice": ("shipment", "invoice", "aceros-del-norte"),
    "mill-test-report": ("shipment", "mill-test-report", "siderurgica-golfo"),
    "certificate-of-origin": ("shipment", "origin", "aceros-del-norte"),
    "bill-of-lading": ("shipment", "bill-of-lading", "gulf-intermodal"),
    "sima-licence": ("shipment", "sima-licence", "us-commerce-sima"),
    "sima-licence-a36": ("shipment", "sima-licence", "us-commerce-sima"),
    "export-declaration": ("shipment", "export-declaration", "anam-mx"),
    "entry-summary": ("shipment", "entry-summary", "rio-bravo-broker"),
    "acme-ctpat": ("aeo", "aeo", "cbp"),
}
VERIFY = ("--challenge", "C", "--domain", "cbp.example")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Path:
    """Every document of the fixture shipment, signed by its issuer, one JSON file each."""
    folder = tmp_path_factory.mktemp("shipment")
    for name, (kind, trade_type, signer) in DOCUMENTS.items():
        key = Key.load(fixtures_dir / "keys" / f"{signer}.jwk")
        request = _moved(load_request(fixtures_dir / kind / f"{name}.yaml"), DAYS)
        document = issue(request, key, trade_type=trade_type).secured
        (folder / f"{name}.json").write_text(json.dumps(document))
    return folder


def _bundle(run_cli: Run, signed: Path, fixtures_dir: Path, out: Path, *names: str) -> subprocess.CompletedProcess[str]:
    files = [str(signed / f"{name}.json") for name in (names or DOCUMENTS)]
    return run_cli("bundle", *files, "--key", str(fixtures_dir / "keys" / "acme-imports.jwk"), "--workflow",
                   "steel-import", "--challenge", "C", "--domain", "cbp.example", "-o", str(out))


def test_issue_list_names_every_type_on_one_line(run_cli: Run) -> None:
    listed = run_cli("issue", "--list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == sorted(["aeo", "origin", "invoice", "mill-test-report", "bill-of-lading", "sima-licence",
                            "export-declaration", "entry-summary"])
    as_json = json.loads(run_cli("issue", "--list", "--json").stdout)
    invoice = next(entry for entry in as_json if entry["name"] == "invoice")
    assert invoice["type"] == "CommercialInvoice" and invoice["aliases"] == ["CommercialInvoiceCredential"]
    assert invoice["schema"] == "https://vctrade.dev/schemas/commercial-invoice/v1"


@pytest.mark.parametrize(("args", "message"), [
    (("issue", "--list", "invoice"), "--list takes no document type"),
    # --json now also reports an issuance (#17): without a request it is the missing request that is named
    (("issue", "invoice", "--json"), "vctrade issue invoice needs --from REQUEST and --key KEY"),
])
def test_issue_list_misuse_is_exit_2(run_cli: Run, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and result.stderr.strip() == f"error: {message}"


def test_bundle_then_verify_with_the_steel_policy(run_cli: Run, signed: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "shipment.json"
    made = _bundle(run_cli, signed, fixtures_dir, bundle)
    assert made.returncode == 0, made.stderr
    assert "bundled 9 document(s) as a steel-import shipment" in made.stderr
    presentation = json.loads(bundle.read_text())
    assert presentation["type"] == ["VerifiablePresentation", "TraceablePresentation"]
    assert presentation["workflow"]["definition"] == ["https://vctrade.dev/workflows/steel-import/v1"]
    policy = str(fixtures_dir / "policy" / "us-cbp-steel.toml")
    result = run_cli("verify", str(bundle), *VERIFY, "--policy", policy)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    # each document's verdict on one line, then each cross-document rule with what it compared
    assert sum(": verified (" in line for line in lines) == 9
    assert any(line.strip().startswith("workflow: steel-import urn:uuid:") for line in lines)
    assert any("shipment.weights" in line and "712.4 t ↔ invoice 700 t" in line for line in lines)
    assert any("shipment.hs-coverage[1]" in line and "invoice line 2 HS 7208.37.0060" in line for line in lines)
    assert lines[-1] == "VERIFIED"
    report = json.loads(run_cli("verify", str(bundle), *VERIFY, "--policy", policy, "--json").stdout)
    workflow = next(nested for nested in report["results"] if nested["type"] == "workflow")
    assert workflow["verified"] and {c["name"].split("[")[0] for c in workflow["checks"]} >= {
        "shipment.documents", "shipment.parties", "shipment.hs-coverage", "shipment.melt-and-pour", "shipment.sima",
        "shipment.weights", "shipment.export-authority", "shipment.export-match", "shipment.validity",
        "shipment.entry-references"}


def test_without_a_policy_no_customs_authority_is_recognized(run_cli: Run, signed: Path, fixtures_dir: Path,
                                                             tmp_path: Path) -> None:
    bundle = tmp_path / "shipment.json"
    assert _bundle(run_cli, signed, fixtures_dir, bundle).returncode == 0
    result = run_cli("verify", str(bundle), *VERIFY)
    assert result.returncode == 3, result.stdout
    assert any(line.startswith("ERR") and "shipment.export-authority" in line for line in
               (line.strip() for line in result.stdout.splitlines()))
    assert result.stdout.splitlines()[-1] == "UNDECIDED"


def test_a_re_signed_invoice_that_disagrees_is_caught(run_cli: Run, signed: Path, fixtures_dir: Path,
                                                      tmp_path: Path) -> None:
    request = _moved(load_request(fixtures_dir / "shipment" / "invoice.yaml"), DAYS)
    request["invoice"]["lines"][0]["quantity"] = 540
    request["invoice"]["totalValue"] = 540 * 812.50 + 220 * 845.00
    changed = issue(request, Key.load(fixtures_dir / "keys" / "aceros-del-norte.jwk"), trade_type="invoice").secured
    folder = tmp_path / "docs"
    folder.mkdir()
    for path in signed.iterdir():
        (folder / path.name).write_text(path.read_text())
    (folder / "invoice.json").write_text(json.dumps(changed))
    bundle = tmp_path / "shipment.json"
    assert _bundle(run_cli, folder, fixtures_dir, bundle).returncode == 0
    result = run_cli("verify", str(bundle), *VERIFY, "--policy", str(fixtures_dir / "policy" / "us-cbp-steel.toml"))
    assert result.returncode == 1
    failed = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("FAIL")]
    assert any("shipment.weights" in line and "712.4 t ↔ invoice 760 t: differ by 6.3%, tolerance 2%" in line
               for line in failed), failed
    assert any("shipment.export-match" in line and "export declaration 700 t ↔ invoice 760 t" in line for line in failed)
    assert any("shipment.sima" in line and "exceeds the licence by 40 t" in line for line in failed)
    # every document is still verified: the signatures are fine, the shipment is not
    assert sum(": verified (" in line for line in result.stdout.splitlines()) == 9


@pytest.mark.parametrize(("case", "message"), [
    ("unknown-workflow", "unknown workflow 'coffee'"),
    ("jwt", "a bundle carries JSON credentials with a proof"),
    ("unsigned", "every presented credential must be a signed credential"),
    ("missing", "not found"),
])
def test_bad_bundles_are_exit_2_and_write_nothing(run_cli: Run, signed: Path, fixtures_dir: Path, tmp_path: Path,
                                                  case: str, message: str) -> None:
    invoice = str(signed / "invoice.json")
    workflow = "coffee" if case == "unknown-workflow" else "steel-import"
    other = {"unknown-workflow": invoice, "missing": str(tmp_path / "nope.json")}.get(case)
    if case == "jwt":
        other = str(tmp_path / "token.jwt")
        Path(other).write_text("eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln")
    if case == "unsigned":
        other = str(tmp_path / "unsigned.json")
        document: dict[str, Any] = json.loads(Path(invoice).read_text())
        del document["proof"]
        Path(other).write_text(json.dumps(document))
    out = tmp_path / "bundle.json"
    result = run_cli("bundle", invoice, str(other), "--key", str(fixtures_dir / "keys" / "acme-imports.jwk"),
                     "--workflow", workflow, "-o", str(out))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_show_gives_the_shipment_at_a_glance(run_cli: Run, signed: Path, fixtures_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "shipment.json"
    assert _bundle(run_cli, signed, fixtures_dir, bundle).returncode == 0
    shown = run_cli("show", str(bundle))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "Shipment  workflow https://vctrade.dev/workflows/steel-import/v1" in text
    assert "Documents (9)" in text and "commercial invoice INV-2026-0417" in text
    assert "Aceros del Norte S.A. de C.V. (did:key:z6MksBSpNrwYTsZzuTk7q4meJWBZu7xnGjkSDFPFuwXViBxx): seller (invoice)" in text
    assert "Goods (invoice INV-2026-0417, 2 line(s))" in text and "H26-40871, H26-40872" in text
    assert "vctrade show --full" in text and "Subject" not in text  # the documents themselves only with --full
    full = run_cli("show", str(bundle), "--full").stdout
    assert full.count("Credential urn:uuid:") == 9 and "Shipment  workflow" not in full
