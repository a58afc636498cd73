"""``[server] tls_cert`` / ``tls_key``: the service answers over HTTPS (a trustme certificate for 127.0.0.1), its
token endpoint included, and a client that does not trust the certificate, or speaks plain HTTP, gets nothing."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import trustme

from vctrade import Key
from vctrade.jose import decode_jws
from vctrade.service import ServiceConfig
from vctrade.service._oauth import hash_client_secret

SECRET = "tls-client-secret-5e81a0"


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory,
          service_server: Callable[[ServiceConfig], Any]) -> Iterator[tuple[Any, ssl.SSLContext]]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
    for pem in leaf.cert_chain_pems:
        pem.write_to_path(str(folder / "cert.pem"), append=True)
    Key.generate().save(folder / "issuer.jwk")
    Key.generate("P-256").save(folder / "signer.jwk")
    (folder / "service.toml").write_text(f"""
[server]
port = 8443
tls_cert = "cert.pem"
tls_key = "key.pem"

[auth.token_endpoint]
key = "signer.jwk"
audience = "vctrade"

[[auth.client]]
id = "partner-org"
secret_hash = "{hash_client_secret(SECRET)}"
scopes = ["issue:credentials"]

[[issuer]]
name = "org"
key = "issuer.jwk"
""")
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    with service_server(ServiceConfig.load(folder / "service.toml")) as server:
        yield server, trusting


def test_the_service_answers_over_https(https: tuple[Any, ssl.SSLContext]) -> None:
    server, trusting = https
    base = f"https://127.0.0.1:{server.port}"
    assert httpx.get(f"{base}/openapi.json", verify=trusting).status_code == 200
    token = httpx.post(f"{base}/oauth/token", verify=trusting, data={
        "grant_type": "client_credentials", "client_id": "partner-org", "client_secret": SECRET})
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    decoded = decode_jws(access)
    assert decoded.header["alg"] == "ES256" and decoded.payload["iss"] == "https://127.0.0.1:8443"  # derived: TLS
    issued = httpx.post(f"{base}/credentials/issue", verify=trusting, headers={"Authorization": f"Bearer {access}"},
                        json={"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"],
                                             "type": ["VerifiableCredential"], "credentialSubject": {"id": "urn:x"}}})
    assert issued.status_code == 201, issued.text


def test_an_untrusted_certificate_or_plain_http_gets_nothing(https: tuple[Any, ssl.SSLContext]) -> None:
    server, _ = https
    with pytest.raises(httpx.ConnectError):  # the default trust store does not know the throwaway CA
        httpx.get(f"https://127.0.0.1:{server.port}/openapi.json")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{server.port}/openapi.json")
