"""A new trade type is one module, a schema and a context: registered from outside, it is issued and judged everywhere.

The phytosanitary certificate here is registered by the test itself (in-process), and again as an
installed plug-in (a ``vctrade.plugins`` entry point) that the real `vctrade` script picks up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key, issue, sign, verify
from vctrade.errors import TradeDocumentError, UnsupportedError
from vctrade.trade import trade_types

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
VCTRADE = str(Path(sys.executable).with_name("vctrade"))

# The plug-in's whole source: a context, a schema, a builder and a rule. The CLI test installs it as a module.
PLUGIN_SOURCE = textwrap.dedent('''
    """A phytosanitary certificate (IPPC ePhyto) as a vctrade trade type."""
    from vctrade.trade import JsonSchema, TradeType, finish_credential, register_trade_type

    CONTEXT_URL = "https://plants.example/contexts/phyto/v1"
    CONTEXT = {"@context": {"@version": 1.1, "@protected": True,
        "PhytosanitaryCertificate": "https://plants.example/ns#PhytosanitaryCertificate",
        "consignment": "https://plants.example/ns#consignment",
        "botanicalName": "https://plants.example/ns#botanicalName",
        "treatment": "https://plants.example/ns#treatment",
        "countryOfOrigin": "https://plants.example/ns#countryOfOrigin"}}
    SCHEMA_ID = "https://plants.example/schemas/phyto/v1"
    SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, "type": "object",
        "required": ["credentialSubject"],
        "properties": {"credentialSubject": {"type": "object", "required": ["consignment", "botanicalName", "countryOfOrigin"],
            "properties": {"countryOfOrigin": {"type": "string", "pattern": "^[A-Z]{2}$",
                                               "description": "an ISO 3166-1 alpha-2 country code"}}}}}
    FIELDS = ("id", "validFrom", "consignment", "botanicalName", "treatment", "countryOfOrigin")


    def build(request, issuer, credential_status=None):
        subject = {k: v for k, v in request.items() if k not in ("id", "validFrom")}
        return finish_credential(request, types=["PhytosanitaryCertificate"], subject=subject, issuer=issuer,
                                 schema_id=SCHEMA_ID, context=CONTEXT_URL, name="Phytosanitary certificate",
                                 credential_status=credential_status, allowed_top_level=set(FIELDS))


    def rules(credential):
        treatment = credential["credentialSubject"].get("treatment")
        return ["credentialSubject.treatment: methyl bromide is refused"] if treatment == "methyl bromide" else []


    PHYTO = register_trade_type(TradeType(
        name="phytosanitary", title="phytosanitary certificate for plants and plant products",
        type_iri="https://plants.example/ns#PhytosanitaryCertificate",
        schema=JsonSchema(SCHEMA_ID, lambda: SCHEMA), builder=build, rules=rules,
        request_fields=FIELDS, contexts={CONTEXT_URL: CONTEXT}))
''')


@pytest.fixture(scope="module")
def plugin() -> dict[str, Any]:
    """The plug-in module, executed in this process (registers the type once)."""
    namespace: dict[str, Any] = {"__name__": "phyto_plugin_in_process"}
    exec(compile(PLUGIN_SOURCE, "phyto_plugin.py", "exec"), namespace)  # noqa: S102 - the test's own source
    return namespace


REQUEST = {"consignment": "20 t mangoes", "botanicalName": "Mangifera indica", "treatment": "hot water",
           "countryOfOrigin": "MX", "validFrom": "2026-05-01T00:00:00Z"}


def test_a_registered_type_is_issued_verified_and_judged_by_its_schema(plugin: dict[str, Any]) -> None:
    key = Key.generate("Ed25519")
    assert "phytosanitary" in trade_types()
    issued = issue(REQUEST, key, trade_type="phytosanitary", created=NOW)
    assert issued.credential["@context"][1] == "https://plants.example/contexts/phyto/v1"
    result = verify(issued.secured, now=NOW)
    assert result.verified, result.failures
    schema = next(c for c in result.checks if c.name == "schema")
    assert schema.status == "passed" and "https://plants.example/schemas/phyto/v1" in schema.message


def test_a_registered_type_refuses_bad_requests_naming_the_field(plugin: dict[str, Any]) -> None:
    key = Key.generate("Ed25519")
    with pytest.raises(TradeDocumentError) as raised:
        issue({**REQUEST, "countryOfOrigin": "Mexico"}, key, trade_type="phytosanitary")
    assert raised.value.problems == ("credentialSubject.countryOfOrigin: 'Mexico' is not an ISO 3166-1 alpha-2 country code",)
    with pytest.raises(TradeDocumentError, match="methyl bromide is refused"):
        issue({**REQUEST, "treatment": "methyl bromide"}, key, trade_type="phytosanitary")
    with pytest.raises(UnsupportedError, match="registered: .*phytosanitary"):
        issue(REQUEST, key, trade_type="phyto")


def test_a_credential_of_the_type_signed_elsewhere_is_still_judged(plugin: dict[str, Any]) -> None:
    """Signed without vctrade's issuance path (a plain Data Integrity proof), the type's rules still apply at verify."""
    key = Key.generate("Ed25519")
    bad = plugin["build"]({**REQUEST, "treatment": "methyl bromide"}, key.did)
    with pytest.raises(TradeDocumentError):
        issue(bad, key)  # the one issuance path judges a ready-made credential by its type IRI too
    result = verify(sign(bad, key, created=NOW), now=NOW)
    schema = next(c for c in result.checks if c.name == "schema")
    assert not result.verified and schema.status == "failed" and "methyl bromide" in schema.message


def _install_plugin(folder: Path) -> dict[str, str]:
    """The plug-in as an installed distribution with a `vctrade.plugins` entry point, on PYTHONPATH."""
    folder.mkdir()
    (folder / "phyto_plugin.py").write_text(PLUGIN_SOURCE)
    info = folder / "phyto_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: phyto-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[vctrade.plugins]\nphytosanitary = phyto_plugin\n")
    return {**os.environ, "PYTHONPATH": str(folder)}


def test_the_cli_lists_and_issues_a_plugin_type(tmp_path: Path) -> None:
    env = _install_plugin(tmp_path / "site")
    listing = subprocess.run([VCTRADE, "issue"], capture_output=True, text=True, env=env, timeout=60)
    assert listing.returncode == 0 and "phytosanitary" in listing.stdout and "aeo" in listing.stdout
    key = tmp_path / "nppo.jwk"
    subprocess.run([VCTRADE, "key", "generate", "-o", str(key)], check=True, capture_output=True, env=env)
    (tmp_path / "request.json").write_text(json.dumps(REQUEST))
    made = subprocess.run([VCTRADE, "issue", "phytosanitary", "--from", str(tmp_path / "request.json"), "--key", str(key),
                           "-o", str(tmp_path / "phyto.json"), "--registry", str(tmp_path / "reg.sqlite")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([VCTRADE, "verify", str(tmp_path / "phyto.json"), "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0 and {c["name"]: c["status"] for c in report["checks"]}["schema"] == "passed"
    (tmp_path / "bad.json").write_text(json.dumps({**REQUEST, "countryOfOrigin": "Mexico"}))
    refused = subprocess.run([VCTRADE, "issue", "phytosanitary", "--from", str(tmp_path / "bad.json"), "--key", str(key)],
                             capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 2 and "credentialSubject.countryOfOrigin" in refused.stderr and refused.stdout == ""
    # Without the plug-in, the same credential's context is unknown: verification cannot decide (exit 3), never passes.
    without = subprocess.run([VCTRADE, "verify", str(tmp_path / "phyto.json")], capture_output=True, text=True, timeout=60)
    assert without.returncode == 3 and "unknown JSON-LD context https://plants.example/contexts/phyto/v1" in without.stdout
