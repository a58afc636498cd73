"""What the W3C vc-data-model-2.0-test-suite (and the Data Integrity suite) ask of `vctrade serve` (issue 13).

1. The issuer refuses what VCDM 2.0 forbids: termsOfUse / evidence / refreshService entries without a type,
   credentialSchema without a type or an id, ``"issuer": null``, malformed relatedResource and digests that do not
   match the resource (the pinned contexts are the resources vctrade holds).
2. Enveloped credentials and presentations: the envelope's @context includes the base context, its id is a data:
   URL of the media type its position calls for; an EnvelopedVerifiablePresentation is verified as a presentation.
3. A credential sent as JSON text in a string is a request error (400), not a verified credential.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from vctrade import Key, sign
from vctrade._encoding import b64url_encode
from vctrade._presentation import present_jwt
from vctrade.service import ServiceConfig

TOKEN = "vcdm2-token-51ab"
V2 = "https://www.w3.org/ns/credentials/v2"
CONTEXTS = Path(__file__).resolve().parents[2] / "contexts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, service_server: Callable[[ServiceConfig], Any]) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("vcdm2")
    Key.generate("Ed25519").save(folder / "ed.jwk")
    (folder / "service.toml").write_text(f"""
[auth]
tokens = ["{TOKEN}"]

[[issuer]]
name = "di"
key = "ed.jwk"
default = true

[[issuer]]
name = "jose"
key = "ed.jwk"
format = "jose"
""")
    with service_server(ServiceConfig.load(folder / "service.toml")) as running:
        yield running


def _credential(**extra: Any) -> dict[str, Any]:
    return {"@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:acme", "tier": "Validated"},
            **extra}


def _issue(server: Any, credential: dict[str, Any], issuer: str = "di") -> httpx.Response:
    return httpx.post(server.url(f"/issuers/{issuer}/credentials/issue"), json={"credential": credential},
                      headers={"Authorization": f"Bearer {TOKEN}"})


def _verify(server: Any, document: Any, path: str = "/credentials/verify", **options: Any) -> httpx.Response:
    member = "verifiablePresentation" if path.startswith("/presentations") else "verifiableCredential"
    return httpx.post(server.url(path), json={member: document, "options": options})


def _v2_bytes() -> bytes:
    index = json.loads((CONTEXTS / "index.json").read_text())
    return (CONTEXTS / index[V2]["file"]).read_bytes()


def _sri(algorithm: str = "sha384") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, _v2_bytes()).digest()).decode()


def _multibase(multihash: bool = True) -> str:
    digest = hashlib.sha256(_v2_bytes()).digest()
    return "u" + b64url_encode((b"\x12\x20" if multihash else b"") + digest)


# -- 1. what the issuer must refuse ------------------------------------------------------------------------------

WRONG_SRI = "sha384-" + base64.b64encode(hashlib.sha384(b"not the context").digest()).decode()
# the W3C suite's own "wrong digest" values
SUITE_WRONG_MULTIBASE = "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0"
SUITE_WRONG_SRI = "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij-tD0ewLk4JpnXEz6a5AeeY_1qQ0d0P"

FORBIDDEN = {
    "termsOfUse without type": {"termsOfUse": {"id": "https://example.org/tou/1"}},
    "one of two termsOfUse without type": {"termsOfUse": [{"type": "IssuerPolicy"}, {"id": "urn:uuid:1"}]},
    "evidence without type": {"evidence": [{"id": "https://example.org/evidence/1"}]},
    "refreshService without type": {"refreshService": {"id": "https://example.org/refresh/1"}},
    "credentialSchema without type": {"credentialSchema": {"id": "https://example.org/schema.json"}},
    "credentialSchema without id": {"credentialSchema": {"type": "JsonSchema"}},
    "credentialSchema id not a URL": {"credentialSchema": {"id": "schema", "type": "JsonSchema"}},
    "issuer null": {"issuer": None},
    "relatedResource of strings": {"relatedResource": [V2]},
    "relatedResource without id": {"relatedResource": [{"digestSRI": _sri()}]},
    "relatedResource id repeated": {"relatedResource": [{"id": V2, "digestSRI": _sri()},
                                                        {"id": V2, "digestMultibase": _multibase()}]},
    "relatedResource without digest": {"relatedResource": [{"id": V2}]},
    "relatedResource wrong digestSRI": {"relatedResource": [{"id": V2, "digestSRI": WRONG_SRI}]},
    "relatedResource suite's wrong digestSRI": {"relatedResource": [{"id": V2, "digestSRI": SUITE_WRONG_SRI}]},
    "relatedResource suite's wrong digestMultibase": {"relatedResource": [{"id": V2, "digestMultibase": SUITE_WRONG_MULTIBASE}]},
    "relatedResource one right, one wrong digest": {"relatedResource": [{"id": V2, "digestSRI": _sri(),
                                                                         "digestMultibase": SUITE_WRONG_MULTIBASE}]},
    "relatedResource digest not a digest": {"relatedResource": [{"id": "https://example.org/x", "digestSRI": "md5-abc"}]},
}


@pytest.mark.parametrize("issuer", ["di", "jose"])
@pytest.mark.parametrize("case", list(FORBIDDEN))
def test_the_issuer_refuses_what_vcdm2_forbids(server: Any, case: str, issuer: str) -> None:
    response = _issue(server, _credential(**FORBIDDEN[case]), issuer)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_document", response.text


@pytest.mark.parametrize("case", list(FORBIDDEN))
def test_the_verifier_fails_what_vcdm2_forbids(server: Any, case: str) -> None:
    # what another issuer might have signed: vctrade refuses to sign it, so the entries are added after signing
    forged = sign(_credential(), Key.generate("Ed25519")) | FORBIDDEN[case]
    response = _verify(server, forged)
    assert response.status_code == 422, response.text
    failed = {c["name"]: c["code"] for c in response.json()["checks"] if c["status"] == "failed"}
    expected = {"structure": "invalid_structure", "schema": "invalid_schema_reference",
                "related-resource": "related_resource_mismatch"}
    assert set(failed.items()) & set(expected.items()), response.text


ALLOWED = {
    "typed termsOfUse, evidence, refreshService": {
        "termsOfUse": [{"type": "IssuerPolicy", "id": "https://example.org/tou/1"}, {"type": "TrustFrameworkPolicy"}],
        "evidence": {"type": ["Evidence"]},
        "refreshService": {"type": "VerifiableCredentialRefreshService2021", "id": "https://example.org/refresh"},
    },
    "relatedResource digestSRI (sha384)": {"relatedResource": {"id": V2, "digestSRI": _sri()}},
    "relatedResource digestSRI (sha256, sha512)": {"relatedResource": [{"id": V2, "digestSRI": f"{_sri('sha256')} {_sri('sha512')}",
                                                                        "mediaType": "application/ld+json"}]},
    "relatedResource digestMultibase (multihash)": {"relatedResource": [{"id": V2, "digestMultibase": _multibase()}]},
    "relatedResource digestMultibase (bare digest)": {"relatedResource": [{"id": V2, "digestMultibase": _multibase(False)}]},
}


@pytest.mark.parametrize("case", list(ALLOWED))
def test_well_formed_entries_are_issued_and_verify(server: Any, case: str) -> None:
    issued = _issue(server, _credential(**ALLOWED[case]))
    assert issued.status_code == 201, issued.text
    verified = _verify(server, issued.json()["verifiableCredential"])
    assert verified.status_code == 200, verified.text
    if "relatedResource" in ALLOWED[case]:
        check = next(c for c in verified.json()["checks"] if c["name"] == "related-resource")
        assert (check["status"], check["code"]) == ("passed", "related_resource_ok")


def test_a_digest_of_a_resource_vctrade_does_not_hold_is_undecided(server: Any) -> None:
    elsewhere = {"relatedResource": [{"id": "https://example.org/logo.png", "digestSRI": _sri()}]}
    issued = _issue(server, _credential(**elsewhere))
    assert issued.status_code == 201, issued.text  # the issuer's word on a resource vctrade cannot get
    verified = _verify(server, issued.json()["verifiableCredential"])
    assert verified.status_code == 503, verified.text  # never a pass
    check = next(c for c in verified.json()["checks"] if c["name"] == "related-resource")
    assert (check["status"], check["code"]) == ("error", "related_resource_unavailable")


def test_an_absent_issuer_still_becomes_the_signer(server: Any) -> None:
    issued = _issue(server, _credential())
    assert issued.status_code == 201 and issued.json()["verifiableCredential"]["issuer"].startswith("did:key:")


# -- 2. envelopes ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envelope(server: Any) -> dict[str, Any]:
    issued = _issue(server, _credential(), "jose")
    assert issued.status_code == 201, issued.text
    found: dict[str, Any] = issued.json()["verifiableCredential"]
    assert found["type"] == "EnvelopedVerifiableCredential" and found["id"].startswith("data:application/vc+jwt,")
    return found


def test_an_enveloped_credential_verifies(server: Any, envelope: dict[str, Any]) -> None:
    assert _verify(server, envelope).status_code == 200
    # the W3C suite's envelope carries the base context as a bare string: a JSON-LD context may be one
    assert _verify(server, envelope | {"@context": V2}).status_code == 200


@pytest.mark.parametrize("change", [
    {"@context": []},
    {"@context": "https://www.w3.org/ns/credentials/examples/v2"},
    {"@context": ["https://www.w3.org/ns/credentials/examples/v2"]},
    {"@context": None},
    {"type": "VerifiableCredential"},
    {"type": "EnvelopedVerifiablePresentation"},  # a credential in a presentation's envelope
])
def test_a_malformed_envelope_fails(server: Any, envelope: dict[str, Any], change: dict[str, Any]) -> None:
    response = _verify(server, envelope | change)
    assert response.status_code == 422, response.text


def test_an_envelope_without_its_context_fails(server: Any, envelope: dict[str, Any]) -> None:
    bare = {k: v for k, v in envelope.items() if k != "@context"}
    assert _verify(server, bare).status_code == 422


@pytest.mark.parametrize("make_id", [
    lambda token: token,  # the suite's negative case: the data: URL's prefix removed
    lambda token: f"data:application/jwt,{token}",
    lambda token: f"data:application/vp+jwt,{token}",  # a presentation's media type in a credential's envelope
    lambda token: f"https://example.org/{token}",
])
def test_an_envelope_id_must_be_a_data_url_of_a_credential_media_type(server: Any, envelope: dict[str, Any],
                                                                       make_id: Callable[[str], str]) -> None:
    token = envelope["id"].split(",", 1)[1]
    response = _verify(server, envelope | {"id": make_id(token)})
    assert response.status_code == 422, response.text
    assert response.json()["verified"] is False


def _vp_envelope(server: Any, envelope: dict[str, Any], holder: Key, **request: str) -> dict[str, Any]:
    token = present_jwt([envelope["id"].split(",", 1)[1]], holder, **request)
    return {"@context": V2, "type": "EnvelopedVerifiablePresentation", "id": f"data:application/vp+jwt,{token}"}


def test_an_enveloped_presentation_is_verified_as_a_presentation(server: Any, envelope: dict[str, Any]) -> None:
    vp = _vp_envelope(server, envelope, Key.generate("Ed25519"), challenge="n-1", domain="cbp.example")
    ok = _verify(server, vp, "/presentations/verify", challenge="n-1", domain="cbp.example")
    assert ok.status_code == 200, ok.text
    assert ok.json()["document_type"] == "presentation" if "document_type" in ok.json() else True
    assert _verify(server, vp, "/presentations/verify", challenge="n-2", domain="cbp.example").status_code == 422
    assert _verify(server, vp, "/presentations/verify", challenge="n-1", domain="other.example").status_code == 422
    # a presentation is not a credential, and a credential is not a presentation
    assert _verify(server, vp).status_code == 422
    assert _verify(server, envelope, "/presentations/verify").status_code == 422


@pytest.mark.parametrize("change", [
    {"@context": []},
    {"@context": ["https://www.w3.org/ns/credentials/examples/v2"]},
    {"type": ["VerifiablePresentation"]},
])
def test_a_malformed_presentation_envelope_fails(server: Any, envelope: dict[str, Any], change: dict[str, Any]) -> None:
    vp = _vp_envelope(server, envelope, Key.generate("Ed25519"), challenge="n-1")
    assert _verify(server, vp, "/presentations/verify", challenge="n-1").status_code == 200
    assert _verify(server, vp | change, "/presentations/verify", challenge="n-1").status_code == 422


@pytest.mark.parametrize("make_id", [
    lambda token: token,
    lambda token: f"data:application/vc+jwt,{token}",  # a credential's media type in a presentation's envelope
])
def test_a_presentation_envelope_id_must_be_a_data_url_of_a_presentation_media_type(
        server: Any, envelope: dict[str, Any], make_id: Callable[[str], str]) -> None:
    vp = _vp_envelope(server, envelope, Key.generate("Ed25519"), challenge="n-1")
    token = vp["id"].split(",", 1)[1]
    assert _verify(server, vp | {"id": make_id(token)}, "/presentations/verify", challenge="n-1").status_code == 422


# -- 3. a credential as JSON text ---------------------------------------------------------------------------------


def test_a_credential_in_json_text_is_a_parsing_error(server: Any) -> None:
    signed = sign(_credential(), Key.generate("Ed25519"))
    assert _verify(server, signed).status_code == 200
    for text in (json.dumps(signed), " " + json.dumps(signed), json.dumps([signed]), json.dumps(json.dumps(signed))):
        response = _verify(server, text)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "parsing_error"
    vp = json.dumps({"@context": [V2], "type": ["VerifiablePresentation"]})
    assert _verify(server, vp, "/presentations/verify").status_code == 400


def test_a_jwt_string_is_still_accepted(server: Any, envelope: dict[str, Any]) -> None:
    token = envelope["id"].split(",", 1)[1]
    assert _verify(server, token).status_code == 200
