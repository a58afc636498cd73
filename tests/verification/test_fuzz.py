"""A seeded mutation fuzz of ``verify``: forged, malformed and hostile variants of genuine documents in every format.

Each case is one genuine document: Data Integrity (eddsa-rdfc, eddsa-jcs, ecdsa-rdfc, ecdsa-jcs, a VC 1.1
credential), vc+jwt, a VC 1.1 JWT, SD-JWT with and without key binding, COSE, a presentation (an embedded and an
enveloped credential), and credentials whose status is read offline through StatusFiles (one valid, one revoked).
Each mutation changes it: JSON values replaced by junk and hostile values (3,000-deep nesting, 5,000-digit numbers,
NaN, lone surrogates, "²", dates that overflow), members added, removed, wrapped, reordered, spliced from other
documents; token characters, segments, headers, disclosures and key-binding JWTs; CBOR re-encoded; the status list
swapped for another valid list of the same issuer. Three more cases re-sign every mutation with the issuer's key (a
credential, a trade certificate of origin, a status list), so that hostile values also reach every stage after the
signature (validity, schema and trade rules, status). Every result must hold:

- no exception and no ``internal_error`` check anywhere: every problem is judged by a named check;
- no false accept: a mutated document that still verifies must mean exactly what the genuine one means (for the
  re-signed cases the issuer vouches for whatever it signed, so there only the first rule applies). "Means" is
  computed here, independently of the code under test, from what the securing covers:
  * JSON-LD secured by RDFC (eddsa-rdfc, ecdsa-rdfc, presentations, status lists): the same claims as RDF (canonical
    N-Quads by pyld) *and* as JSON up to what JSON-LD itself ignores (member and array order, repeats, one-element
    arrays, null and [] members, @context entries whose effect the RDF shows) — so a member that expansion would
    drop, which RDF alone would not show, still counts as a change; and every proof one the issuer made over these
    claims (the same options as RDF and JSON; a genuine proof swapped for another genuine proof of the same claims,
    e.g. eddsa-jcs for eddsa-rdfc by the same key, means the same);
  * JCS-secured JSON: the same JSON (member order aside; 1 and 1.0 are one number), every proof one the issuer made
    over it; contexts appended to the document's (the JCS suites sign the proof's) must leave the RDF as it was;
  * JWS and COSE: the same header and payload JSON;
  * SD-JWT: the same signed payload and the same disclosures — or, without key binding, a subset of them (a holder
    may withhold claims; that is what SD-JWT is for);
  * status: the credential and its status list each mean the same; a revoked credential never verifies.

CI runs 2,000 mutations (a few seconds); ``VCTRADE_FUZZ=10000`` (any number) runs more. Each mutation has its own
seed (``case:index``), printed with any failure, so one can be replayed alone.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cbor2
import pytest
from pyld import jsonld

from vctrade import Key, sign, verify
from vctrade._encoding import b64url_encode
from vctrade.did import DID_METHODS, DIDResolver
from vctrade.jose import disclose, envelope, issue_sd_jwt, sign_cose, sign_legacy_jwt, sign_vc_jwt
from vctrade.jsonld import default_loader
from vctrade.status import Bitstring, StatusFiles, status_entry, status_list_credential
from vctrade.trade import build_origin_credential, load_request

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CREATED = NOW - timedelta(days=1)
TOTAL = max(int(os.environ.get("VCTRADE_FUZZ", "2000")), 1)
CHALLENGE, DOMAIN = "nonce-7f3a", "https://customs.example"
V2 = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
ORIGIN_REQUEST = Path(__file__).resolve().parents[2] / "fixtures" / "origin" / "usmca-steel.yaml"
# Offline: did:key and did:jwk only (a mutation that names a did:web must not reach the network).
RESOLVER = DIDResolver({name: method for name, method in DID_METHODS.items() if name != "web"})


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": list(V2),
        "id": "urn:uuid:0b6c3e7a-5f0e-4d5e-9a51-3c2f1d0e9b77",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:acme",
            "name": "Acme Imports",
            "tier": "Validated",
            "quantity": 1200,
            "unitPrice": 812.5,
            "certified": True,
            "lines": [{"hsCode": "7208.51", "origin": "MX"}, {"hsCode": "7210.49", "origin": "US"}],
        },
        **extra,
    }


def _v1_credential() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
        "id": "urn:uuid:6e1c8a1c-7c55-4b0a-8f3e-0d1f2e3a4b5c",
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:acme", "degree": {"type": "BachelorDegree", "name": "Logistics"}},
    }


# -- junk: fresh hostile values on every call (a mutation may change what it inserted) ----------------


def _deep(depth: int, leaf: Any = "x", kind: str = "dict") -> Any:
    node = leaf
    for _ in range(depth):
        node = {"n": node} if kind == "dict" else [node]
    return node


JUNK: list[Callable[[], Any]] = [
    lambda: None, lambda: True, lambda: False, lambda: 0, lambda: -1, lambda: 1.5, lambda: -0.0, lambda: 1e308,
    lambda: float("nan"), lambda: float("inf"), lambda: 10**5000, lambda: -(10**400), lambda: 2**64,
    lambda: "", lambda: "x", lambda: " ", lambda: "²", lambda: "١٢", lambda: "\ud800", lambda: "\x00", lambda: "a" * 20000,
    lambda: [], lambda: {}, lambda: [None], lambda: [[[]]], lambda: {"@id": 5}, lambda: {"@id": "_:b0"},
    lambda: {"@context": 7}, lambda: {"@context": None}, lambda: {"@value": "x", "@language": "en"},
    lambda: {"@list": [1, {"@list": []}]}, lambda: {"@graph": [{}]}, lambda: {"@type": []}, lambda: {1: "x"},
    lambda: _deep(3000), lambda: _deep(3000, kind="list"), lambda: _deep(99), lambda: list(range(3000)),
    lambda: "did:key:z", lambda: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    lambda: "did:web:example.com", lambda: "did:jwk:eyJ9", lambda: "https://example.com/", lambda: "urn:uuid:x",
    lambda: "2026-13-45T00:00:00Z", lambda: "9999-12-31T23:59:59Z", lambda: "0000-01-01T00:00:00Z",
    lambda: "2026-06-01T00:00:00+25:00", lambda: "0001-01-01T00:00:00+01:00", lambda: "9999-12-31T23:59:59-01:00",
    lambda: "2026-01-01T00:00:00Z\n", lambda: "-10000-01-01T00:00:00Z", lambda: "2026-06-01T00:00:00.9999999999Z",
    lambda: "data:application/vc+jwt,e30.e30.e30", lambda: "z" + "1" * 90, lambda: "u" + "A" * 7, lambda: "z0OIl",
    lambda: {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,a.b.c"},
    lambda: {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+cose,0oRA"},
    lambda: {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+sd-jwt,a.b.c~x~"},
    lambda: {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "²",
             "statusListCredential": "https://status.example/1"},
    lambda: {"type": "StatusList2021Entry", "statusPurpose": "revocation", "statusListIndex": "١٢",
             "statusListCredential": "https://status.example/1", "statusSize": 8},
    lambda: {"id": {}, "type": "JsonSchema"}, lambda: [{"id": []}, 5],
    lambda: {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
             "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
             "proofValue": "z" + "1" * 88},
]
# JSON text that no Python value serializes to: placed into encoded JSON where a marker string stands.
RAW_JUNK = ["9" * 5000, "-" + "9" * 5000, "NaN", "-Infinity", "1e999", '"\\ud800"', "[" * 3000 + "]" * 3000,
            '{"a":' * 3000 + "1" + "}" * 3000, '{"a":1,"a":2}', "1.0", "-0", "1E400", '"\\u0000"', "123456789012345678901234567890"]
NAMES = ["id", "type", "@context", "@id", "@type", "@graph", "@included", "@reverse", "issuer", "holder", "proof",
         "credentialStatus", "credentialSchema", "validFrom", "validUntil", "issuanceDate", "expirationDate",
         "evidence", "termsOfUse", "refreshService", "verifiableCredential", "statusListIndex", "encodedList",
         "_sd", "...", "cnf", "vc", "vp", "iss", "nbf", "exp", "nonce", "aud", "alg", "kid", "typ", "crit", "b64",
         "notDefinedAnywhere", "name"]
MARKER = "\x00RAW{}\x00"
# Appended to a document's @context: pinned contexts that redefine terms, one that defines nothing new, one unknown.
CONTEXTS = ["https://www.w3.org/2018/credentials/examples/v1", "https://w3id.org/citizenship/v4rc1",
            "https://w3id.org/traceability/v1", "https://vctrade.dev/contexts/trade/v1",
            "https://www.w3.org/ns/credentials/undefined-terms/v2", "https://schema.org/", {"name": "https://evil.example/name"},
            {"@vocab": "https://evil.example/#"}]


# -- the meaning of a document, computed independently of vctrade -------------------------------------


def same(a: Any, b: Any) -> bool:
    """JSON equality: member order aside, 1 and 1.0 one number, but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _jsonld_plain(value: Any) -> Any:
    """JSON as JSON-LD reads it: array order and repeats, one-element arrays, null and [] members do not matter;
    nor does ``@context`` itself (what it changes, the RDF comparison sees)."""
    if isinstance(value, dict):
        members = {k: _jsonld_plain(v) for k, v in value.items() if k != "@context"}
        # An empty @graph or @included holds no statement ({} elsewhere is a blank node: a statement).
        return {k: v for k, v in members.items() if v is not None and v != [] and not (k.startswith("@") and v == {})}
    if isinstance(value, list):
        items = {json.dumps(plain, sort_keys=True): plain for plain in map(_jsonld_plain, value) if plain is not None}
        return next(iter(items.values())) if len(items) == 1 else [items[k] for k in sorted(items)]
    return value


def _nquads(document: dict[str, Any]) -> str:
    return str(jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                           "documentLoader": default_loader()}))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _proof_config(proof: Any, context: Any) -> str:
    """A proof's options as RDF, read in the document's context (``proof`` itself as JSON-LD would show its value)."""
    return _nquads({**{k: v for k, v in proof.items() if k != "proofValue"}, "@context": context})


def _genuine_proofs(mutated: dict[str, Any], original: dict[str, Any], proofs: list[Any], *, jcs: bool) -> bool:
    """Every proof of ``mutated`` is one the issuer made over these very claims (the original's, or a sibling's:
    a proof swapped for another genuine proof of the same claims means the same)."""
    found = _as_list(mutated.get("proof"))
    if jcs:
        return all(any(same(p, g) for g in proofs) for p in found)
    return all(isinstance(p, dict) and any(same(_jsonld_plain(p), _jsonld_plain(g))
                                           and _proof_config(p, mutated.get("@context")) == _proof_config(g, original["@context"])
                                           for g in proofs) for p in found)


def _claims(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def same_jsonld(original: dict[str, Any], mutated: Any, proofs: list[Any]) -> bool:
    """The same claims (RDF, and JSON up to what JSON-LD ignores), each proof one the issuer made over them."""
    return (isinstance(mutated, dict) and same(_jsonld_plain(_claims(original)), _jsonld_plain(_claims(mutated)))
            and _nquads(_claims(original)) == _nquads(_claims(mutated))
            and _genuine_proofs(mutated, original, proofs, jcs=False))


def same_jcs(original: dict[str, Any], mutated: Any, proofs: list[Any]) -> bool:
    """The same JSON (a proof or a one-proof list alike), each proof one the issuer made over it. The JCS suites sign
    the proof's ``@context`` and let the document's grow at its end: contexts appended must leave the RDF as it was."""
    if not isinstance(mutated, dict):
        return False
    rest = [{k: v for k, v in d.items() if k not in ("proof", "@context")} for d in (original, mutated)]
    if not same(*rest) or not _genuine_proofs(mutated, original, proofs, jcs=True):
        return False
    return same(original["@context"], mutated.get("@context")) or _nquads(_claims(original)) == _nquads(_claims(mutated))


def _b64(segment: str) -> bytes:
    """Lenient base64url (padding and stray bits allowed): the reader of meaning, not the verifier."""
    return base64.urlsafe_b64decode(segment.strip() + "=" * (-len(segment.strip()) % 4))


def _jws_meaning(token: str) -> tuple[Any, Any]:
    header, payload, _ = token.strip().split(".")
    return json.loads(_b64(header)), json.loads(_b64(payload))


def _sd_meaning(token: str) -> tuple[Any, list[Any], Any]:
    parts = token.strip().split("~")
    disclosures = sorted((json.loads(_b64(d)) for d in parts[1:-1]), key=lambda v: json.dumps(v, sort_keys=True))
    return _jws_meaning(parts[0]), disclosures, _jws_meaning(parts[-1])[1] if parts[-1] else None


def _cose_meaning(data: bytes | str) -> tuple[Any, Any]:
    raw = data if isinstance(data, bytes) and data[:1] == b"\xd2" else base64.b64decode(
        (data.decode() if isinstance(data, bytes) else data).strip().replace("-", "+").replace("_", "/") + "==")
    message = cbor2.loads(raw)
    protected, _, payload, _ = message.value
    return cbor2.loads(protected), json.loads(payload)


# -- mutations ---------------------------------------------------------------------------------------


def _locations(document: Any, limit: int = 8) -> list[tuple[Any, Any]]:
    """(container, key or index) of every value up to ``limit`` deep (iteratively: junk may be 3,000 deep)."""
    found: list[tuple[Any, Any]] = []
    stack = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= limit:
            continue
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in children:
            found.append((node, key))
            stack.append((value, depth + 1))
    return found


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except RecursionError:  # junk 3,000 deep: shared rather than copied
        return value


def _tweak_string(rng: random.Random, text: str) -> str:
    if not text:
        return rng.choice(["x", " ", "\u200b"])
    i = rng.randrange(len(text))
    return rng.choice([
        text[:i] + rng.choice(B64URL) + text[i + 1:], text[:i] + text[i + 1:], text + rng.choice([" ", "\n", "#x", "/"]),
        " " + text, text.upper(), text[: len(text) // 2], text.replace("a", "\u0430", 1), text + text,
    ])


def mutate_json(rng: random.Random, document: Any, splice: list[Any], markers: list[str] | None = None) -> Any:
    """Apply one to three mutations to ``document`` in place (or return a replacement when it is not a container).

    With ``markers``, a value may become a marker string that the caller replaces by raw JSON text.
    """
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        places = _locations(document)
        if not places:
            return rng.choice(JUNK)()
        node, key = rng.choice(places)
        value = node[key]
        op = rng.randrange(13)
        if op == 0 or op == 1:
            node[key] = rng.choice(JUNK)()
        elif op == 2:
            node.pop(key)
        elif op == 3 and isinstance(node, dict):
            node[rng.choice(NAMES)] = rng.choice(JUNK)() if rng.random() < 0.6 else copy.deepcopy(rng.choice(splice))
        elif op == 4:
            node[key] = [value]
        elif op == 5 and isinstance(value, list) and value:
            node[key] = value[0] if len(value) == 1 or rng.random() < 0.5 else value[::-1]
        elif op == 6 and isinstance(value, str):
            node[key] = _tweak_string(rng, value)
        elif op == 7 and isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300:
            node[key] = rng.choice([value + 1, -value, float(value), str(value), value * 10**20, True])
        elif op == 8 and isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)  # a no-op for every format that does not sign JSON text: it must still verify
            node.clear()
            node.update(items)
        elif op == 9 and isinstance(node, list):
            node.append(_copy(value))
        elif op == 10:
            node[key] = copy.deepcopy(rng.choice(splice))
        elif op == 11 and markers is not None:
            markers.append(rng.choice(RAW_JUNK))
            node[key] = MARKER.format(len(markers) - 1)
        elif op == 12 and isinstance(document, dict) and isinstance(document.get("@context"), list):
            document["@context"].append(copy.deepcopy(rng.choice(CONTEXTS)))  # unsigned by the JCS suites
        else:
            node[key] = rng.choice(JUNK)()
    return document


def json_text(value: Any, markers: list[str]) -> str:
    """JSON text of ``value`` with each marker replaced by its raw JSON (what no Python value serializes to).

    Junk that json.dumps refuses (3,000 deep, 5,000 digits) is written as the same junk in raw JSON instead.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return '{"@context": ' + "[" * 3000 + "]" * 3000 + ', "n": ' + "9" * 5000 + "}"
    for index, raw in enumerate(markers):
        text = text.replace(json.dumps(MARKER.format(index), ensure_ascii=False), raw)
    return text


def _encode_json(rng: random.Random, value: Any, splice: list[Any]) -> str:
    markers: list[str] = []
    return b64url_encode(json_text(mutate_json(rng, value, splice, markers), markers).encode("utf-8", "surrogatepass"))


def mutate_jws(rng: random.Random, token: str, splice: list[Any], others: list[str]) -> str:
    """A compact JWS with its characters, segments, header or payload changed (the signature kept)."""
    header, payload, signature = token.split(".")
    op = rng.randrange(9)
    if op == 0:
        i = rng.randrange(len(token))
        return token[:i] + rng.choice(B64URL + ".~= ") + token[i + 1:]
    if op == 1:  # another last character: the same bytes when only unused bits differ
        parts = [header, payload, signature]
        k = rng.randrange(3)
        parts[k] = parts[k][:-1] + rng.choice(B64URL)
        return ".".join(parts)
    if op == 2:
        return rng.choice([token + "=", token + "==", f"{header}.{payload}.{signature}\n", f" {token}",
                           f"{header}=.{payload}.{signature}", f"{header}.{payload}=.{signature}", token[:-1], f"{header}.{payload}."])
    if op == 3:
        return f"{_encode_json(rng, json.loads(_b64(header)), splice)}.{payload}.{signature}"
    if op == 4:
        return f"{header}.{rng.choice(others).split('.')[1]}.{signature}"
    if op == 5:
        return f"{rng.choice(others).split('.')[0]}.{payload}.{signature}"
    if op == 6:
        return f"{header}.{payload}.{rng.choice(others).split('.')[2]}"
    if op == 7:
        evil = rng.choice([{"alg": "none"}, {"alg": "HS256"}, {"alg": "EdDSA", "crit": ["exp"]}, {"alg": "EdDSA", "b64": False},
                           {**json.loads(_b64(header)), "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "A" * 43}}])
        return f"{b64url_encode(json.dumps(evil).encode())}.{payload}.{rng.choice([signature, ''])}"
    return f"{header}.{_encode_json(rng, json.loads(_b64(payload)), splice)}.{signature}"


def mutate_sd_jwt(rng: random.Random, token: str, splice: list[Any], others: list[str]) -> str:
    """An SD-JWT with its issuer JWS, disclosures or key-binding JWT changed, or disclosures dropped, repeated, added."""
    parts = token.split("~")
    jws, disclosures, binding = parts[0], parts[1:-1], parts[-1]
    op = rng.randrange(8)
    if op == 0:
        jws = mutate_jws(rng, jws, splice, others)
    elif op == 1 and disclosures:
        disclosures.pop(rng.randrange(len(disclosures)))
    elif op == 2 and disclosures:
        disclosures.append(rng.choice(disclosures))
    elif op == 3 and disclosures:
        i = rng.randrange(len(disclosures))
        disclosures[i] = _encode_json(rng, json.loads(_b64(disclosures[i])), splice)
    elif op == 4:
        disclosures.insert(rng.randrange(len(disclosures) + 1),
                           _encode_json(rng, [b64url_encode(b"salt"), rng.choice(NAMES), "value"], splice))
    elif op == 5 and binding:
        binding = mutate_jws(rng, binding, splice, others)
    elif op == 6:
        binding = rng.choice(["", binding + "~", "x"])
    else:
        rng.shuffle(disclosures)
    return "~".join([jws, *disclosures, binding])


def mutate_cose(rng: random.Random, data: bytes, splice: list[Any]) -> bytes | str:
    """A COSE_Sign1 with bytes flipped, or its payload or protected header re-encoded (the signature kept)."""
    op = rng.randrange(6)
    if op == 0:
        raw = bytearray(data)
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if op == 1:
        return data[: rng.randrange(len(data))] + rng.choice([b"", b"\x00", b"\xff" * 9])
    tag = cbor2.loads(data)
    protected, unprotected, payload, signature = tag.value
    if op == 2:
        markers: list[str] = []
        payload = json_text(mutate_json(rng, json.loads(payload), splice, markers), markers).encode("utf-8", "surrogatepass")
    elif op == 3:
        header = dict(cbor2.loads(protected))
        header[rng.choice([1, 2, 3, 4, 16, 33, -1])] = rng.choice(
            [-8, -7, 0, "EdDSA", 2**64, -(2**200), 10**5000 if rng.random() < 0.5 else 7, b"", [1, [2]], _deep(3000, kind="list"),
             "application/vc+cose", b"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#x", {"a": 1}])
        try:
            protected = cbor2.dumps(header)
        except (RecursionError, ValueError):
            protected = b"\x81" * 3000 + b"\x00"  # an array 3,000 deep, written by hand
    elif op == 4:
        unprotected = rng.choice([{4: b"kid"}, {1: -8}, [], {"x": 10**50}, None])
    else:
        signature = rng.choice([b"", signature[:-1], signature + b"\x00", bytes(64)])
    encoded = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))
    return rng.choice([encoded, base64.b64encode(encoded).decode(), base64.urlsafe_b64encode(encoded).decode().rstrip("=")])


# -- the cases ---------------------------------------------------------------------------------------


@dataclass
class Case:
    """A genuine document, how to mutate it, how to verify it, and what it means."""

    name: str
    original: Any
    mutate: Callable[[random.Random, Any], Any]
    same_meaning: Callable[[Any], bool]
    options: dict[str, Any] = field(default_factory=dict)
    genuine_verifies: bool = True
    status_file: Path | None = None  # a status case: the (mutated) list is written here, where StatusFiles reads it


def _json_case(name: str, document: dict[str, Any], splice: list[Any], *, jcs: bool = False,
               proofs: list[Any] | None = None, **options: Any) -> Case:
    genuine = proofs if proofs is not None else _as_list(document["proof"])

    def mutate(rng: random.Random, original: Any) -> Any:
        mutated = copy.deepcopy(original)
        if rng.random() < 0.3:  # as JSON text, where raw JSON junk (5,000 digits, NaN, depth) can be placed
            markers: list[str] = []
            return json_text(mutate_json(rng, mutated, splice, markers), markers)
        return mutate_json(rng, mutated, splice)

    def same_meaning(mutated: Any) -> bool:
        value = json.loads(mutated) if isinstance(mutated, str) else mutated
        return same_jcs(document, value, genuine) if jcs else same_jsonld(document, value, genuine)

    return Case(name, document, mutate, same_meaning, options)


@dataclass
class StatusWorld:
    """A credential whose status is in a list read offline from a file, and another list of the same issuer."""

    credential: dict[str, Any]
    status_list: dict[str, Any]
    other_list: dict[str, Any]
    file: Path


def _resigned(sign_it: Callable[[Any], Any], mutated: Any) -> Any:
    """``mutated`` signed by the issuer, or as it is when signing refuses it (signing is not what is under test)."""
    try:
        return sign_it(mutated)
    except Exception:  # noqa: BLE001
        return mutated


def _resigned_case(name: str, unsigned: dict[str, Any], sign_it: Callable[[Any], Any], splice: list[Any]) -> Case:
    def mutate(rng: random.Random, original: Any) -> Any:
        return _resigned(sign_it, mutate_json(rng, copy.deepcopy(original), splice))

    # The issuer signed the mutation: whatever verifies is the issuer's word, so only "never raise, no internal_error".
    return Case(name, sign_it(unsigned), lambda rng, _: mutate(rng, unsigned), lambda _: True,
                {"resolver": RESOLVER, "status_source": StatusFiles({})})


def _status_case(name: str, world: StatusWorld, splice: list[Any], revoked: bool,
                 sign_list: Callable[[Any], Any] | None = None) -> Case:
    original = {"credential": world.credential, "list": world.status_list}

    def mutate(rng: random.Random, pair: Any) -> Any:
        credential, status_list = copy.deepcopy(pair["credential"]), copy.deepcopy(pair["list"])
        if sign_list is not None:
            unsigned = {k: v for k, v in status_list.items() if k != "proof"}
            return {"credential": credential, "list": _resigned(sign_list, mutate_json(rng, unsigned, splice))}
        roll = rng.random()
        if roll < 0.1:
            status_list = copy.deepcopy(world.other_list)  # another valid list of the same issuer (item 3)
        elif roll < 0.5:
            status_list = mutate_json(rng, status_list, splice)
        else:
            credential = mutate_json(rng, credential, splice)
        return {"credential": credential, "list": status_list}

    def same_meaning(pair: Any) -> bool:
        if sign_list is not None:
            return True  # the issuer signed the list: what it says is the issuer's word
        return (same_jsonld(world.credential, pair["credential"], [world.credential["proof"]])
                and same_jsonld(world.status_list, pair["list"], [world.status_list["proof"]]))

    return Case(name, original, mutate, same_meaning,
                {"resolver": RESOLVER, "status_source": StatusFiles({world.status_list["id"]: world.file})},
                genuine_verifies=not revoked, status_file=world.file)


def _status_world(key: Key, folder: Path, name: str, revoked: bool) -> StatusWorld:
    url, other_url = f"https://status.example/{name}/1", f"https://status.example/{name}/2"
    bits = Bitstring()
    bits[4242] = revoked

    def published(list_url: str, bitstring: Bitstring) -> dict[str, Any]:
        unsigned = status_list_credential(list_url, key.did, "revocation", bitstring,
                                          valid_from=CREATED, valid_until=NOW + timedelta(days=1))
        return sign(unsigned, key, created=CREATED)

    credential = sign(_credential(credentialStatus=status_entry(url, 4242, "revocation")), key, created=CREATED)
    return StatusWorld(credential, published(url, bits), published(other_url, Bitstring()), folder / f"{name}.json")


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    folder = tmp_path_factory.mktemp("fuzz")
    ed, p256, p384, holder = Key.generate("Ed25519"), Key.generate("P-256"), Key.generate("P-384"), Key.generate("Ed25519")
    rdfc = sign(_credential(), ed, created=CREATED)
    jcs = sign(_credential(), ed, suite="eddsa-jcs-2022", created=CREATED)
    ecdsa = sign(_credential(), p256, created=CREATED)
    ecdsa_jcs = sign(_credential(), p384, suite="ecdsa-jcs-2019", created=CREATED)
    v1 = sign(_v1_credential(), ed, created=CREATED)
    t = NOW.timestamp() - 3600
    jwt = sign_vc_jwt(_credential(), p256, now=t)
    legacy = sign_legacy_jwt(_v1_credential(), ed)
    sd = issue_sd_jwt(_credential(), ed, disclosable=["/credentialSubject/name", "/credentialSubject/quantity",
                                                       "/credentialSubject/lines/0", "/credentialSubject/lines/1/origin"],
                      holder_key=holder, now=t)
    sd_bound = disclose(sd, ["/credentialSubject/name", "/credentialSubject/lines"], holder_key=holder, nonce=CHALLENGE,
                        audience=DOMAIN, now=NOW.timestamp() - 60)
    cose = sign_cose(_credential(), ed, verification_method=ed.did_key_verification_method)
    presentation = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:9d1c3f0e-7a2b-4c5d-8e9f-0a1b2c3d4e5f",
                         "type": ["VerifiablePresentation"], "holder": holder.did,
                         "verifiableCredential": [rdfc, envelope(sign_vc_jwt(_credential(), ed, now=t))]},
                        holder, proof_purpose="authentication", challenge=CHALLENGE, domain=DOMAIN, created=NOW - timedelta(minutes=1),
                        kind="VerifiablePresentation")
    valid, revoked = _status_world(ed, folder, "valid", False), _status_world(ed, folder, "revoked", True)
    resigned_list = _status_world(ed, folder, "resigned", False)

    splice: list[Any] = [rdfc["proof"], jcs["proof"], ecdsa["proof"], v1["proof"], valid.credential["credentialStatus"],
                         revoked.credential["credentialStatus"], valid.other_list, _credential(), rdfc, v1["@context"],
                         ed.did, holder.did, p256.did, valid.status_list["credentialSubject"], jwt, envelope(jwt)]
    tokens = [jwt, legacy, sd.split("~")[0], sd_bound.split("~")[-1], sign_vc_jwt(_credential(), holder, now=t)]
    offline = {"resolver": RESOLVER, "status_source": StatusFiles({})}

    def token_case(name: str, token: str, mutator: Callable[..., str], meaning: Callable[[str], Any],
                   subset: bool = False, **options: Any) -> Case:
        def same_meaning(mutated: Any) -> bool:
            if not subset:
                return same(meaning(token), meaning(mutated))
            (original_jws, disclosed, _), (mutated_jws, shown, _) = meaning(token), meaning(mutated)
            return same(original_jws, mutated_jws) and all(any(same(d, o) for o in disclosed) for d in shown)

        return Case(name, token, lambda rng, value: mutator(rng, value, splice, tokens), same_meaning, {**offline, **options})

    built = [
        # rdfc and jcs are the same claims signed by the same key: either proof is a genuine proof of both.
        _json_case("di-eddsa-rdfc", rdfc, splice, proofs=[rdfc["proof"], jcs["proof"]], **offline),
        _json_case("di-eddsa-jcs", jcs, splice, jcs=True, proofs=[rdfc["proof"], jcs["proof"]], **offline),
        _json_case("di-ecdsa-rdfc", ecdsa, splice, **offline),
        _json_case("di-ecdsa-jcs-p384", ecdsa_jcs, splice, jcs=True, **offline),
        _json_case("di-vc11", v1, splice, **offline),
        _json_case("presentation", presentation, splice, challenge=CHALLENGE, domain=DOMAIN, **offline),
        token_case("vc+jwt", jwt, mutate_jws, _jws_meaning),
        token_case("vc11-jwt", legacy, mutate_jws, _jws_meaning),
        token_case("sd-jwt", sd, mutate_sd_jwt, _sd_meaning, subset=True),
        token_case("sd-jwt+kb", sd_bound, mutate_sd_jwt, _sd_meaning, challenge=CHALLENGE, domain=DOMAIN),
        Case("cose", cose, lambda rng, data: mutate_cose(rng, data, splice),
             lambda mutated: same(_cose_meaning(cose), _cose_meaning(mutated)), dict(offline)),
        _status_case("status", valid, splice, revoked=False),
        _status_case("status-revoked", revoked, splice, revoked=True),
        _resigned_case("di-resigned", _credential(), lambda d: sign(d, ed, created=CREATED), splice),
        _resigned_case("trade-resigned", build_origin_credential(load_request(ORIGIN_REQUEST), ed.did),
                       lambda d: sign(d, ed, created=CREATED), splice),
        _status_case("status-list-resigned", resigned_list, splice, revoked=False,
                     sign_list=lambda d: sign(d, ed, created=CREATED)),
    ]
    assert [case.name for case in built] == CASE_NAMES  # the names the test is parametrized with, at collection
    return {case.name: case for case in built}


CASE_NAMES = ["di-eddsa-rdfc", "di-eddsa-jcs", "di-ecdsa-rdfc", "di-ecdsa-jcs-p384", "di-vc11", "presentation", "vc+jwt",
              "vc11-jwt", "sd-jwt", "sd-jwt+kb", "cose", "status", "status-revoked", "di-resigned", "trade-resigned",
              "status-list-resigned"]
PER_CASE = math.ceil(TOTAL / len(CASE_NAMES))


def _run(case: Case, value: Any) -> Any:
    """Verify ``value`` (a status case writes its list to the file the StatusFiles source reads)."""
    if case.status_file is not None:
        case.status_file.write_text(json_text(value["list"], []), encoding="utf-8", errors="surrogatepass")
        value = value["credential"]
    return verify(value, now=NOW, **case.options)


def _safe_meaning(case: Case, mutated: Any) -> bool:
    try:
        return case.same_meaning(mutated)
    except Exception:  # noqa: BLE001 - what cannot even be read cannot mean the same
        return False


def _describe(value: Any) -> str:
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:
        text = f"<{type(value).__name__} that cannot be printed>"
    return text[:600]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_mutations_are_judged_by_named_checks_and_never_accepted(name: str, cases: dict[str, Case]) -> None:
    case = cases[name]
    genuine = _run(case, case.original)
    assert genuine.verified is case.genuine_verifies, [c for c in genuine.all_checks() if c.status != "passed"]
    problems: list[str] = []
    counts = {"verified": 0, "failed": 0, "undecided": 0}
    started = time.monotonic()
    for index in range(PER_CASE):
        seed = f"{name}:{index}"
        rng = random.Random(seed)
        mutated = case.mutate(rng, case.original)
        try:
            result = _run(case, mutated)
        except Exception:  # noqa: BLE001 - the contract under test: verify never raises for a bad document
            problems.append(f"{seed}: verify raised\n{traceback.format_exc(limit=4)}\n{_describe(mutated)}")
            continue
        internal = [c for c in result.all_checks() if c.code == "internal_error"]
        if internal:
            problems.append(f"{seed}: {internal[0].message}\n{_describe(mutated)}")
        if result.verified:
            counts["verified"] += 1
            if not case.genuine_verifies or not _safe_meaning(case, mutated):
                problems.append(f"{seed}: FALSE ACCEPT of a document that does not mean the original\n{_describe(mutated)}")
        else:
            counts["undecided" if result.undecided else "failed"] += 1
        if len(problems) >= 5:
            break
    elapsed = time.monotonic() - started
    print(f"{name}: {PER_CASE} mutations in {elapsed:.1f} s: {counts}")
    assert not problems, "\n\n".join(problems)
