"""Client secrets stored hashed, and the configuration of the token endpoint, its clients, TLS and the
traceability profile: what is read, its defaults, and every refusal."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import trustme

from vctrade import Key
from vctrade.errors import ConfigError, InputError
from vctrade.service import ServiceConfig
from vctrade.service._oauth import check_secret_hash, hash_client_secret, verify_client_secret

SECRET = "a-client-secret-3f9c1d"
ORG_DID = "did:web:127.0.0.1%3A8443:traceability"


@pytest.fixture(scope="module")
def secret_hash() -> str:
    return hash_client_secret(SECRET)


# -- secrets ----------------------------------------------------------------------------------------

def test_a_secret_hash_is_versioned_salted_and_verifies(secret_hash: str) -> None:
    assert re.fullmatch(r"scrypt:v1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}", secret_hash)
    assert SECRET not in secret_hash
    assert verify_client_secret(SECRET, secret_hash)
    assert not verify_client_secret(SECRET + "x", secret_hash) and not verify_client_secret("", secret_hash)
    again = hash_client_secret(SECRET)
    assert again != secret_hash and verify_client_secret(SECRET, again)  # a fresh salt each time


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(InputError, match="at least 16 characters"):
        hash_client_secret("short-secret")


@pytest.mark.parametrize("stored", [
    "scrypt:v2:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # a version not known
    "scrypt:v1:AAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                    # salt too short
    "scrypt:v1:AAAAAAAAAAAAAAAAAAAAAA:AAAA",                                         # hash too short
    "scrypt:v1:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # padded base64
    "scrypt:v1:only-three-parts",
    "pbkdf2:v1:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    SECRET,                                                                          # a secret, not its hash
])
def test_a_malformed_secret_hash_never_verifies_and_is_refused_in_the_config(stored: str) -> None:
    assert not verify_client_secret(SECRET, stored)
    with pytest.raises(ConfigError, match="secret_hash"):
        check_secret_hash(stored)


# -- configuration ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys (an issuer's, a token signer's of each allowed type and one of another) and a TLS certificate."""
    path = tmp_path_factory.mktemp("oauth-config")
    Key.generate().save(path / "issuer.jwk")
    Key.generate().save(path / "signer.jwk")
    Key.generate("P-256").save(path / "signer-p256.jwk")
    Key.generate("P-384").save(path / "signer-p384.jwk")
    (path / "public.jwk").write_text(json.dumps(Key.generate().to_jwk()))
    (path / "jwks.json").write_text('{"keys": []}')
    leaf = trustme.CA().issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(path / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(path / "key.pem"))
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    (path / "encrypted-key.pem").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase")))
    return path


def load(folder: Path, text: str) -> ServiceConfig:
    (folder / "service.toml").write_text(text)
    return ServiceConfig.load(folder / "service.toml")


ISSUERS = f"""
[[issuer]]
name = "org"
key = "issuer.jwk"
did = "{ORG_DID}"

[[issuer]]
name = "plain"
key = "issuer.jwk"
"""


def endpoint_config(secret_hash: str, endpoint: str = 'key = "signer.jwk"\naudience = "vctrade"',
                    client: str | None = None, server: str = "", extra: str = "") -> str:
    client = client if client is not None else f'id = "verifier-org"\nsecret_hash = "{secret_hash}"\n' \
                                               'scopes = ["resolve:dids", "verify:credentials"]'
    return f"[server]\n{server}\n[auth.token_endpoint]\n{endpoint}\n\n[[auth.client]]\n{client}\n{extra}\n{ISSUERS}"


def test_the_token_endpoint_and_its_clients(folder: Path, secret_hash: str) -> None:
    config = load(folder, endpoint_config(
        secret_hash, 'path = "/auth/token"\nkey = "signer-p256.jwk"\nissuer = "https://org.example"\n'
                     'audience = "vctrade"\naudiences = ["https://org.example/traceability", "vctrade"]\n'
                     'lifetime_seconds = 60'))
    endpoint = config.token_endpoint
    assert endpoint is not None and endpoint.key.key_type == "P-256" and endpoint.key.has_private
    assert (endpoint.path, endpoint.issuer, endpoint.audience, endpoint.audiences, endpoint.lifetime_seconds) == (
        "/auth/token", "https://org.example", "vctrade", ("https://org.example/traceability", "vctrade"), 60)
    client = config.clients["verifier-org"]
    assert client.secret_hash == secret_hash and client.scopes == {"resolve:dids", "verify:credentials"}
    assert verify_client_secret(SECRET, client.secret_hash)
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.issuer = "https://evil.example"  # type: ignore[misc]


def test_the_token_endpoint_defaults(folder: Path, secret_hash: str) -> None:
    config = load(folder, endpoint_config(secret_hash, server='host = "127.0.0.1"\nport = 8443'))
    endpoint = config.token_endpoint
    assert endpoint is not None
    assert (endpoint.path, endpoint.issuer, endpoint.audiences, endpoint.lifetime_seconds) == (
        "/oauth/token", "http://127.0.0.1:8443", ("vctrade",), 300)
    tls = load(folder, endpoint_config(secret_hash, server='port = 8443\ntls_cert = "cert.pem"\ntls_key = "key.pem"'))
    assert tls.token_endpoint is not None and tls.token_endpoint.issuer == "https://127.0.0.1:8443"
    assert (tls.tls_cert, tls.tls_key) == (folder / "cert.pem", folder / "key.pem")
    only_audiences = load(folder, endpoint_config(secret_hash, 'key = "signer.jwk"\naudiences = ["a", "b"]'))
    assert only_audiences.token_endpoint is not None and only_audiences.token_endpoint.audience == "a"


def test_without_the_new_sections_nothing_changes(folder: Path) -> None:
    config = load(folder, '[auth]\ntokens = ["t"]\n' + ISSUERS)
    assert config.token_endpoint is None and config.clients == {} and config.traceability is None
    assert config.tls_cert is None and config.tls_key is None


def test_the_traceability_section(folder: Path) -> None:
    config = load(folder, f'[traceability]\nissuer = "org"\n{ISSUERS}')
    trace = config.traceability
    assert trace is not None
    assert (trace.base_path, trace.issuer, trace.did, trace.challenge_ttl_seconds, trace.store) == (
        "/traceability", "org", ORG_DID, 300, folder / "traceability.sqlite")
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.base_path = "/"  # type: ignore[misc]
    other = ISSUERS.replace(ORG_DID, "did:web:org.example:api:trace")
    config = load(folder, f'[traceability]\nbase_path = "/api/trace"\nissuer = "org"\ndid = "did:web:org.example:api:trace"'
                          f'\nchallenge_ttl_seconds = 60\nstore = "data/trace.sqlite"\n{other}')
    assert config.traceability == dataclasses.replace(
        trace, base_path="/api/trace", did="did:web:org.example:api:trace", challenge_ttl_seconds=60,
        store=folder / "data" / "trace.sqlite")


def _refused(folder: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load(folder, text)


@pytest.mark.parametrize(("endpoint", "client", "match"), [
    ('key = "signer.jwk"\naudience = "vctrade"\nlifetime = 300', None, r"unknown \[auth.token_endpoint\]"),
    ('audience = "vctrade"', None, "key must be a non-empty string"),
    ('key = "missing.jwk"\naudience = "vctrade"', None, "key"),
    ('key = "public.jwk"\naudience = "vctrade"', None, "private Ed25519 or P-256"),
    ('key = "signer-p384.jwk"\naudience = "vctrade"', None, "private Ed25519 or P-256"),
    ('key = "signer.jwk"', None, "needs audience"),
    ('key = "signer.jwk"\naudiences = []', None, "needs audience"),
    ('key = "signer.jwk"\naudiences = ["a", 7]', None, "needs audience"),
    ('key = "signer.jwk"\naudience = "c"\naudiences = ["a", "b"]', None, "must be one of audiences"),
    ('key = "signer.jwk"\naudience = "a"\nlifetime_seconds = 0', None, "lifetime_seconds"),
    ('key = "signer.jwk"\naudience = "a"\nlifetime_seconds = 86401', None, "lifetime_seconds"),
    ('key = "signer.jwk"\naudience = "a"\nlifetime_seconds = 30.5', None, "lifetime_seconds"),
    ('key = "signer.jwk"\naudience = "a"\nlifetime_seconds = true', None, "lifetime_seconds"),
    ('key = "signer.jwk"\naudience = "a"\npath = "oauth/token"', None, "path"),
    ('key = "signer.jwk"\naudience = "a"\npath = "/oauth/token/"', None, "path"),
    ('key = "signer.jwk"\naudience = "a"\npath = "/credentials/token"', None, "path"),
    ('key = "signer.jwk"\naudience = "a"\npath = "/status/token"', None, "path"),
    ('key = "signer.jwk"\naudience = "a"\nissuer = ""', None, "issuer must be a non-empty string"),
    (None, 'id = "x"\nsecret = "a-client-secret-3f9c1d"\nscopes = ["a"]', r"unknown \[\[auth.client\]\] setting"),
    (None, 'id = "x"\nscopes = ["a"]', "secret_hash must be a string"),
    (None, 'id = "x"\nsecret_hash = "a-client-secret-3f9c1d"\nscopes = ["a"]', "secret_hash is not"),
    (None, 'secret_hash = "{h}"\nscopes = ["a"]', "id must be a non-empty string"),
    (None, 'id = "caf\u00e9"\nsecret_hash = "{h}"\nscopes = ["a"]', "printable ASCII"),
    (None, 'id = "x"\nsecret_hash = "{h}"', "scopes must be a non-empty list"),
    (None, 'id = "x"\nsecret_hash = "{h}"\nscopes = []', "scopes must be a non-empty list"),
    (None, 'id = "x"\nsecret_hash = "{h}"\nscopes = ["two words"]', "scopes must be a non-empty list"),
    (None, 'id = "x"\nsecret_hash = "{h}"\nscopes = "resolve:dids"', "scopes must be a non-empty list"),
])
def test_a_bad_token_endpoint_or_client_is_refused(folder: Path, secret_hash: str, endpoint: str | None,
                                                   client: str | None, match: str) -> None:
    text = endpoint_config(secret_hash, *([endpoint] if endpoint else []),
                           client=client.replace("{h}", secret_hash) if client else None)
    _refused(folder, text, match)


def test_a_client_configured_twice_is_refused(folder: Path, secret_hash: str) -> None:
    client = f'id = "x"\nsecret_hash = "{secret_hash}"\nscopes = ["a"]'
    _refused(folder, endpoint_config(secret_hash, client=client, extra=f"[[auth.client]]\n{client}"), "twice")


def test_clients_need_the_token_endpoint(folder: Path, secret_hash: str) -> None:
    _refused(folder, f'[[auth.client]]\nid = "x"\nsecret_hash = "{secret_hash}"\nscopes = ["a"]\n{ISSUERS}',
             r"needs \[auth.token_endpoint\]")


def test_auth_sections_are_checked_by_name(folder: Path) -> None:
    _refused(folder, '[auth.token_endpont]\nkey = "signer.jwk"\n' + ISSUERS, r"unknown \[auth\] setting\(s\): token_endpont")


def test_the_token_endpoint_and_the_external_server_need_different_issuers(folder: Path, secret_hash: str) -> None:
    text = endpoint_config(secret_hash, 'key = "signer.jwk"\naudience = "a"\nissuer = "https://auth.example"',
                           extra='[auth.oauth2]\nissuer = "https://auth.example"\naudience = "a"\njwks = "jwks.json"')
    _refused(folder, text, "must differ")


@pytest.mark.parametrize(("server", "match"), [
    ('tls_cert = "cert.pem"', "tls_key must be a non-empty string"),
    ('tls_key = "key.pem"', "tls_cert must be a non-empty string"),
    ('tls_cert = "cert.pem"\ntls_key = "missing.pem"', "cannot serve TLS"),
    ('tls_cert = "key.pem"\ntls_key = "key.pem"', "cannot serve TLS"),
    ('tls_cert = "cert.pem"\ntls_key = "encrypted-key.pem"', "cannot serve TLS"),  # refused, never a prompt
])
def test_bad_tls_settings_are_refused(folder: Path, server: str, match: str) -> None:
    _refused(folder, f"[server]\n{server}\n{ISSUERS}", match)


@pytest.mark.parametrize(("section", "match"), [
    ('issuer = "org"\nbase = "/traceability"', r"unknown \[traceability\] setting"),
    ('base_path = "/traceability"', "issuer must be a non-empty string"),
    ('issuer = "nobody"', "must name an \\[\\[issuer\\]\\] with a did:web"),
    ('issuer = "plain"', "must name an \\[\\[issuer\\]\\] with a did:web"),
    ('issuer = "org"\ndid = "did:web:127.0.0.1%3A8443:other"', "must be the did of issuer"),
    ('issuer = "org"\nbase_path = "/other"', "the did's path must be the base path"),
    ('issuer = "org"\nbase_path = "traceability"', "base_path must be a URL path"),
    ('issuer = "org"\nbase_path = "/"', "base_path must be a URL path"),
    ('issuer = "org"\nbase_path = "/credentials"', "base_path must be a URL path"),
    ('issuer = "org"\nchallenge_ttl_seconds = 0', "challenge_ttl_seconds"),
    ('issuer = "org"\nchallenge_ttl_seconds = "300"', "challenge_ttl_seconds"),
    ('issuer = "org"\nstore = ""', "store must be a non-empty string"),
])
def test_a_bad_traceability_section_is_refused(folder: Path, section: str, match: str) -> None:
    _refused(folder, f"[traceability]\n{section}\n{ISSUERS}", match)


def test_a_traceability_did_without_a_path_is_refused(folder: Path) -> None:
    issuers = ISSUERS.replace(ORG_DID, "did:web:org.example")
    _refused(folder, f'[traceability]\nissuer = "org"\n{issuers}', "the did's path must be the base path")
