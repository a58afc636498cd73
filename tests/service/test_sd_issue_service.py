"""POST /credentials/issue with options.mandatoryPointers: an ecdsa-sd-2023 issuer signs a base proof with them, a
holder derives through POST /credentials/derive, the verifier accepts the result; any other issuer refuses them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key
from vctrade.di._suites.ecdsa_sd_2023 import parse_base_proof_value
from vctrade.service import ServiceConfig

TOKEN = "sd-issue-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
              "type": ["VerifiableCredential", "ExampleCredential"],
              "credentialSubject": {"id": "did:example:1", "name": "Alice", "age": 42, "nationality": "MX"}}


@pytest.fixture
def server(tmp_path: Path, service_server: Callable[[ServiceConfig], Any]) -> Iterator[Any]:
    """A service with an ecdsa-sd-2023 issuer ("sd", the default) and an ecdsa-rdfc-2019 one, both P-256."""
    Key.generate("P-256").save(tmp_path / "sd.jwk")
    Key.generate("P-256").save(tmp_path / "rdfc.jwk")
    (tmp_path / "service.toml").write_text(
        f'[auth]\ntokens = ["{TOKEN}"]\n\n'
        '[[issuer]]\nname = "sd"\nkey = "sd.jwk"\nsuite = "ecdsa-sd-2023"\ndefault = true\n\n'
        '[[issuer]]\nname = "rdfc"\nkey = "rdfc.jwk"\nsuite = "ecdsa-rdfc-2019"\n\n'
        '[[issuer]]\nname = "jose"\nkey = "rdfc.jwk"\nformat = "jose"\n')
    with service_server(ServiceConfig.load(tmp_path / "service.toml")) as running:
        yield running


def _issue(server: Any, path: str, options: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url(path), headers=AUTH, json={"credential": CREDENTIAL, "options": options})


def _derive(server: Any, credential: dict[str, Any], pointers: list[str]) -> httpx.Response:
    return httpx.post(server.url("/credentials/derive"), headers=AUTH,
                      json={"verifiableCredential": credential, "options": {"selectivePointers": pointers}})


def _verify(server: Any, credential: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": credential})


def test_issue_with_mandatory_pointers_derive_verify(server: Any) -> None:
    issued = _issue(server, "/credentials/issue", {"mandatoryPointers": ["/issuer", "/credentialSubject/name"]})
    assert issued.status_code == 201, issued.text
    base = issued.json()["verifiableCredential"]
    assert base["proof"]["cryptosuite"] == "ecdsa-sd-2023"
    assert parse_base_proof_value(base["proof"]["proofValue"])[4] == ["/issuer", "/credentialSubject/name"]
    # A base proof is for the holder, never accepted by a verifier.
    assert _verify(server, base).status_code == 422

    derived_response = _derive(server, base, ["/credentialSubject/age"])
    assert derived_response.status_code == 201, derived_response.text
    derived = derived_response.json()["verifiableCredential"]
    # The mandatory claims and the selected one are disclosed, nothing else.
    assert derived["issuer"] == base["issuer"]
    assert derived["credentialSubject"]["name"] == "Alice"
    assert derived["credentialSubject"]["age"] == 42
    assert "nationality" not in derived["credentialSubject"]
    checked = _verify(server, derived)
    assert checked.status_code == 200, checked.text

    # Nothing selected: the mandatory statements alone still verify.
    minimal = _derive(server, base, []).json()["verifiableCredential"]
    assert "age" not in minimal["credentialSubject"] and minimal["credentialSubject"]["name"] == "Alice"
    assert _verify(server, minimal).status_code == 200

    # A mandatory claim changed in the disclosure: the issuer's base signature no longer covers it.
    forged = {**derived, "credentialSubject": {**derived["credentialSubject"], "name": "Mallory"}}
    assert _verify(server, forged).status_code == 422


def test_issue_without_mandatory_pointers_by_name(server: Any) -> None:
    issued = _issue(server, "/issuers/sd/credentials/issue", {})
    assert issued.status_code == 201, issued.text
    base = issued.json()["verifiableCredential"]
    assert parse_base_proof_value(base["proof"]["proofValue"])[4] == []
    derived = _derive(server, base, ["/issuer", "/credentialSubject/nationality"]).json()["verifiableCredential"]
    # selectJsonLd keeps the ids of the objects on a pointer's path (ECDSA §3.5.11)
    assert derived["credentialSubject"] == {"id": "did:example:1", "nationality": "MX"}
    assert _verify(server, derived).status_code == 200
    # Without the issuer the proof still holds, but a credential without one is not a credential (VCDM 2.0 §4.7).
    anonymous = _derive(server, base, ["/credentialSubject/nationality"]).json()["verifiableCredential"]
    assert "issuer" not in anonymous
    assert _verify(server, anonymous).status_code == 422


@pytest.mark.parametrize("path", ["/issuers/rdfc/credentials/issue", "/issuers/jose/credentials/issue"])
@pytest.mark.parametrize("pointers", [["/issuer"], []])
def test_mandatory_pointers_refused_for_other_issuers(server: Any, path: str, pointers: list[str]) -> None:
    refused = _issue(server, path, {"mandatoryPointers": pointers})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "mandatory_pointers_unsupported"
    # The same issuer signs when the option is left out.
    assert _issue(server, path, {}).status_code == 201


@pytest.mark.parametrize("pointers", ["/issuer", [1], None, {"0": "/issuer"}])
def test_malformed_mandatory_pointers(server: Any, pointers: Any) -> None:
    refused = _issue(server, "/credentials/issue", {"mandatoryPointers": pointers})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid_request"


@pytest.mark.parametrize("pointers", [["/credentialSubject/invalidPointer"], ["issuer"]])
def test_mandatory_pointers_that_select_nothing(server: Any, pointers: list[str]) -> None:
    """Data Integrity ECDSA §3.5.12 selectPaths: a pointer that matches nothing is a PROOF_GENERATION_ERROR."""
    refused = _issue(server, "/credentials/issue", {"mandatoryPointers": pointers})
    assert refused.status_code == 422, refused.text
