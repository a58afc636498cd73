"""POST /credentials/derive: an ecdsa-sd-2023 holder's disclosure, made by the service for a bearer of its token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from vctrade import Key, sign
from vctrade.di import EcdsaSd2023
from vctrade.service import ServiceConfig

TOKEN = "sd-token"
CREDENTIAL = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
              "type": ["VerifiableCredential", "ExampleCredential"],
              "credentialSubject": {"id": "did:example:1", "name": "Alice", "age": 42}}


def test_derive_then_verify(tmp_path: Path, service_server: Callable[[ServiceConfig], Any]) -> None:
    key = Key.generate("P-256")
    key.save(tmp_path / "k.jwk")
    (tmp_path / "service.toml").write_text(f'[auth]\ntokens = ["{TOKEN}"]\n\n[[issuer]]\nname = "x"\nkey = "k.jwk"\n')
    signed = sign(CREDENTIAL, key, suite=EcdsaSd2023(["/issuer"]))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with service_server(ServiceConfig.load(tmp_path / "service.toml")) as server:
        body = {"verifiableCredential": signed, "options": {"selectivePointers": ["/credentialSubject/name"]}}
        assert httpx.post(server.url("/credentials/derive"), json=body).status_code == 401
        made = httpx.post(server.url("/credentials/derive"), json=body, headers=auth)
        assert made.status_code == 201, made.text
        derived = made.json()["verifiableCredential"]
        assert "age" not in derived["credentialSubject"]
        checked = httpx.post(server.url("/credentials/verify"), json={"verifiableCredential": derived})
        assert checked.status_code == 200, checked.text
        for pointers in ("/x", ["/nothere"]):
            bad = httpx.post(server.url("/credentials/derive"), headers=auth,
                             json={"verifiableCredential": signed, "options": {"selectivePointers": pointers}})
            assert bad.status_code in (400, 422), bad.text
