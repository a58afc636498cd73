"""One issuance path: the service and the CLI judge a trade credential by the same schema and rules before signing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key, issue
from vctrade.errors import TradeDocumentError
from vctrade.service import ServiceConfig
from vctrade.status import Registry

TOKEN = "issuance-path-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           service_server: Callable[[ServiceConfig], Any]) -> Iterator[tuple[Any, Path, Key]]:
    folder = tmp_path_factory.mktemp("issuance")
    key = Key.generate("Ed25519")
    key.save(folder / "cbp.jwk")
    (folder / "service.toml").write_text(f"""
[server]
registry = "registry.sqlite"
status_site = "site"

[auth]
tokens = ["{TOKEN}"]

[[issuer]]
name = "cbp"
key = "cbp.jwk"

[[issuer]]
name = "cbp-jose"
key = "cbp.jwk"
format = "jose"
""")
    with Registry(folder / "registry.sqlite") as registry:
        registry.create_list("https://cbp.example/status/1", key.did, "revocation", folder / "cbp.jwk")
        registry.create_list("https://cbp.example/status/2", key.did, "suspension", folder / "cbp.jwk")
    with service_server(ServiceConfig.load(folder / "service.toml")) as server:
        yield server, folder, key


def _aeo(key: Key, trade_request: Callable[[str, str], dict[str, Any]], **subject: Any) -> dict[str, Any]:
    """A C-TPAT certification as the VC API's client would send it: built by vctrade, unsigned."""
    credential = issue(trade_request("aeo", "acme-ctpat"), key, trade_type="aeo").credential
    credential.pop("credentialStatus", None)
    credential["credentialSubject"].update(subject)
    return credential


@pytest.mark.parametrize("issuer", ["cbp", "cbp-jose"])
def test_a_bad_trade_credential_is_a_422_naming_the_field_and_never_signed(
        served: Any, trade_request: Callable[[str, str], dict[str, Any]], issuer: str) -> None:
    server, folder, key = served
    bad = _aeo(key, trade_request, tier="Tier 9")
    answer = httpx.post(server.url(f"/issuers/{issuer}/credentials/issue"), json={"credential": bad},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_trade_document" and "verifiableCredential" not in body
    assert any(p.startswith("credentialSubject.tier: 'Tier 9'") for p in body["problems"]), body["problems"]
    with Registry(folder / "registry.sqlite") as registry:
        assert all(e["action"] != "issue" or bad["id"] != e["credential_id"] for e in registry.log())


def test_a_good_trade_credential_gets_status_entries_in_the_one_shape(
        served: Any, trade_request: Callable[[str, str], dict[str, Any]]) -> None:
    server, _, key = served
    good = _aeo(key, trade_request)
    answer = httpx.post(server.url("/issuers/cbp/credentials/issue"), json={"credential": good},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 201, answer.text
    entries = answer.json()["verifiableCredential"]["credentialStatus"]
    # The same shape as the CLI and the library: one entry an object, several (here revocation + suspension) a list.
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert answer.json()["verifiableCredential"]["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_the_library_and_the_cli_refuse_the_same_credential(
        tmp_path: Path, trade_request: Callable[[str, str], dict[str, Any]],
        run_cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    key = Key.generate("Ed25519")
    bad = _aeo(key, trade_request, tier="Tier 9")
    with pytest.raises(TradeDocumentError) as raised:
        issue(bad, key)
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    key.save(tmp_path / "k.jwk")
    for fmt in ("di", "jose"):
        signed = run_cli("sign", str(tmp_path / "bad.json"), "--key", str(tmp_path / "k.jwk"), "--format", fmt)
        assert signed.returncode == 2 and signed.stdout == "", signed.stderr
        assert raised.value.problems[0] in signed.stderr


def test_a_credential_with_its_own_status_and_no_id_is_issued(served: Any) -> None:
    """The VC API lets the caller manage status: a credential that brings credentialStatus and has no id is signed
    (nothing to allocate, nothing the registry could find it by), as the W3C VC 2.0 suite expects."""
    server, _, _ = served
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleCredential"],
        "credentialSubject": {"id": "did:example:acme"},
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                             "statusListIndex": "7", "statusListCredential": "https://cbp.example/status/9"},
    }
    answer = httpx.post(server.url("/issuers/cbp/credentials/issue"), json={"credential": credential},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiableCredential"]["credentialStatus"] == credential["credentialStatus"]
