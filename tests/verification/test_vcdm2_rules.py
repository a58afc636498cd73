"""VCDM 2.0 rules issue 13 found missing, in the library: the structure rules, ``relatedResource`` digests, a null
issuer, envelopes (context, data: URL, media type by position) — and `vctrade sign` refusing what issue() refuses."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from vctrade import Key, verify
from vctrade._encoding import b64url_encode, multibase_encode
from vctrade._issuance import issue
from vctrade.errors import InvalidDocument
from vctrade.jose import envelope
from vctrade.jsonld import DocumentLoader
from vctrade.model import structure_problems
from vctrade.verification._formats import Format, detect
from vctrade.verification._related import related_resource_check

V2 = "https://www.w3.org/ns/credentials/v2"
CONTEXTS = Path(__file__).resolve().parents[2] / "contexts"


def _v2_bytes() -> bytes:
    index = json.loads((CONTEXTS / "index.json").read_text())
    return (CONTEXTS / index[V2]["file"]).read_bytes()


def _credential(**extra: Any) -> dict[str, Any]:
    return {"@context": [V2, "https://www.w3.org/ns/credentials/examples/v2"], "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer", "credentialSubject": {"id": "did:example:acme", "tier": "Validated"},
            **extra}


@pytest.fixture(scope="module")
def key() -> Key:
    return Key.generate("Ed25519")


# -- structure -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "words"), [
    ({"termsOfUse": {"id": "https://example.org/tou"}}, "each termsOfUse entry must specify its type"),
    ({"evidence": [{"type": "Evidence"}, {}]}, "each evidence entry must specify its type"),
    ({"refreshService": {"type": []}}, "each refreshService entry must specify its type"),
    ({"refreshService": []}, "refreshService must be an object or a non-empty list of objects"),
    ({"termsOfUse": "https://example.org/tou"}, "termsOfUse must be an object"),
    ({"evidence": {"type": "Evidence", "id": "not a url"}}, "evidence entry's id must be a URL"),
    ({"issuer": None}, "not null"),
    ({"relatedResource": [V2]}, "not URLs"),
    ({"relatedResource": []}, "non-empty list of objects"),
    ({"relatedResource": {"digestSRI": "sha384-x"}}, "relatedResource[0] needs an id that is a URL"),
    ({"relatedResource": [{"id": V2, "digestSRI": "a"}, {"id": V2, "digestSRI": "b"}]}, "appears more than once"),
    ({"relatedResource": [{"id": V2}]}, "must have a digestSRI or a digestMultibase"),
    ({"relatedResource": [{"id": V2, "digestSRI": 5}]}, "must be non-empty strings"),
    ({"relatedResource": [{"id": V2, "digestSRI": "a", "mediaType": 1}]}, "mediaType must be a string"),
])
def test_structure_names_what_vcdm2_forbids(extra: dict[str, Any], words: str) -> None:
    problems = structure_problems(_credential(**extra))
    assert any(words in p for p in problems), problems


def test_typed_entries_and_related_resources_may_be_well_formed() -> None:
    assert structure_problems(_credential(
        termsOfUse=[{"type": "IssuerPolicy", "id": "https://example.org/tou"}], evidence={"type": ["Evidence"]},
        refreshService={"type": "ManualRefreshService2018"},
        relatedResource=[{"id": V2, "digestSRI": "sha384-x"}, {"id": "https://example.org/b", "digestMultibase": "uAA"}],
    )) == []


def test_a_presentation_is_held_to_the_same_typed_entries() -> None:
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "termsOfUse": {"id": "https://example.org/tou"}}
    assert structure_problems(vp, kind="VerifiablePresentation") == ["each termsOfUse entry must specify its type"]


# -- issuer null ---------------------------------------------------------------------------------------------------


def test_a_null_issuer_is_refused_and_an_absent_one_is_the_signer(key: Key) -> None:
    credential = _credential()
    del credential["issuer"]
    with pytest.raises(InvalidDocument, match="issuer is null"):
        issue(credential | {"issuer": None}, key)
    assert issue(credential, key).credential["issuer"] == key.did


# -- relatedResource digests ----------------------------------------------------------------------------------------


def _check(*entries: dict[str, Any]) -> Any:
    return related_resource_check(_credential(relatedResource=list(entries)), DocumentLoader())


@pytest.mark.parametrize("digest", [
    {"digestSRI": "sha256-" + base64.b64encode(hashlib.sha256(_v2_bytes()).digest()).decode()},
    {"digestSRI": "sha384-" + base64.b64encode(hashlib.sha384(_v2_bytes()).digest()).decode()},
    {"digestSRI": "sha512-" + base64.b64encode(hashlib.sha512(_v2_bytes()).digest()).decode()},
    {"digestMultibase": multibase_encode(b"\x12\x20" + hashlib.sha256(_v2_bytes()).digest())},
    {"digestMultibase": "u" + b64url_encode(b"\x20\x30" + hashlib.sha384(_v2_bytes()).digest())},
    {"digestMultibase": "u" + b64url_encode(hashlib.sha256(_v2_bytes()).digest())},
])
def test_a_digest_of_a_pinned_context_is_checked_over_its_exact_bytes(digest: dict[str, str]) -> None:
    check = _check({"id": V2} | digest)
    assert (check.status, check.code) == ("passed", "related_resource_ok")


@pytest.mark.parametrize("digest", [
    {"digestSRI": "sha384-" + base64.b64encode(hashlib.sha384(_v2_bytes() + b" ").digest()).decode()},
    {"digestSRI": "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"},  # another revision's
    {"digestMultibase": "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"},  # (the W3C suite's fixture values)
    {"digestSRI": "md5-" + base64.b64encode(hashlib.md5(_v2_bytes()).digest()).decode()},
    {"digestSRI": "sha384-!!!"},
    {"digestSRI": "sha384-" + base64.b64encode(b"short").decode()},
    {"digestMultibase": "mAAAA"},
    {"digestMultibase": "u" + b64url_encode(b"\x11\x14" + b"\0" * 20)},  # sha1 multihash
])
def test_a_wrong_or_malformed_digest_fails(digest: dict[str, str]) -> None:
    check = _check({"id": V2} | digest)
    assert (check.status, check.code) == ("failed", "related_resource_mismatch")


def test_a_resource_vctrade_does_not_hold_is_undecided_and_a_bad_digest_still_fails() -> None:
    sri = "sha384-" + base64.b64encode(hashlib.sha384(b"logo").digest()).decode()
    check = _check({"id": "https://example.org/logo.png", "digestSRI": sri})
    assert (check.status, check.code) == ("error", "related_resource_unavailable")
    check = _check({"id": "https://example.org/logo.png", "digestSRI": "sha384-nope"})
    assert check.status == "failed"


def test_issue_refuses_a_wrong_digest_and_verify_fails_it(key: Key) -> None:
    wrong = {"relatedResource": {"id": V2, "digestMultibase": "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"}}
    credential = _credential(**wrong)
    del credential["issuer"]
    with pytest.raises(InvalidDocument, match="does not match"):
        issue(credential, key)
    signed = issue(_credential() | {"issuer": key.did}, key).secured
    assert isinstance(signed, dict)
    result = verify(signed | wrong)
    assert not result.verified
    assert [c.code for c in result.checks if c.name == "related-resource"] == ["related_resource_mismatch"]


def test_vctrade_sign_refuses_a_wrong_digest(tmp_path: Path, key: Key,
                                             run_cli: Callable[..., CompletedProcess[str]]) -> None:
    key.save(tmp_path / "k.jwk")
    credential = _credential(relatedResource=[{"id": V2, "digestSRI": "sha384-" + "A" * 64}])
    del credential["issuer"]
    (tmp_path / "vc.json").write_text(json.dumps(credential))
    result = run_cli("sign", str(tmp_path / "vc.json"), "--key", str(tmp_path / "k.jwk"))
    assert result.returncode == 2, result.stderr
    assert "relatedResource[0].digestSRI" in result.stderr


# -- envelopes -------------------------------------------------------------------------------------------------------


def test_detect_reads_an_envelope_and_its_position(key: Key) -> None:
    token = issue(_credential() | {"issuer": key.did}, key, format="jose").secured
    assert isinstance(token, str)
    detected = detect(envelope(token))
    assert (detected.format, detected.value, detected.envelope) == (Format.JWT, token, "credential")
    assert detect(token).envelope is None


@pytest.mark.parametrize(("change", "words"), [
    ({"@context": []}, "@context that includes"),
    ({"@context": "https://www.w3.org/ns/credentials/examples/v2"}, "@context that includes"),
    ({"id": "eyJhbGciOiJFZERTQSJ9.e30.sig"}, "data: URL"),
    ({"id": "data:application/jwt,a.b.c"}, "not supported"),
    ({"id": "data:application/vp+jwt,a.b.c"}, "not supported"),
    ({"type": "EnvelopedVerifiablePresentation"}, "not supported"),  # vc+jwt in a presentation's envelope
])
def test_detect_refuses_a_malformed_envelope(change: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidDocument, match=words):
        detect(envelope("a.b.c") | change)


def test_an_envelope_must_carry_what_its_type_says(key: Key) -> None:
    token = issue(_credential() | {"issuer": key.did}, key, format="jose").secured
    assert verify(envelope(token)).verified
    disguised = {"@context": V2, "type": "EnvelopedVerifiablePresentation", "id": f"data:application/vp+jwt,{token}"}
    result = verify(disguised)
    assert not result.verified and result.checks[0].code == "invalid_envelope"
