"""vctrade's own JSON-LD expansion against pyld, the oracle: identical wherever it answers, and it never answers
where pyld fails or drops data.

Documents: every JSON-LD document among the spec vectors, the fixtures and the tests' own files, and a few
thousand seeded mutations of the trade credentials, the traceability fixtures and the VC 2.0 vectors (terms
added, removed and renamed, values swapped for numbers, booleans, nulls, arrays, value objects and nested
nodes, types changed, ids made relative, contexts added inline or by URL). VCTRADE_FUZZ sets the count.
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vctrade import Key
from vctrade.errors import ContextError
from vctrade.jsonld._budget import Budget
from vctrade.jsonld._expand import Unsupported, expand, issuer_dependent_in
from vctrade.jsonld._jsonld import DocumentLoader, _expand_with_pyld, expand_safe
from vctrade.trade import build_aeo_credential, build_origin_credential

GENERATED = int(os.environ.get("VCTRADE_FUZZ", "1500"))


def _pyld(document: Any, loader: DocumentLoader) -> list[Any] | None:
    """pyld's safe expansion, or None when it fails or drops a term."""
    try:
        return _expand_with_pyld(document, loader, Budget(10, max_terms=1_000_000))
    except Exception:  # noqa: BLE001  (any failure of the oracle is a failure here)
        return None


def _own(document: Any, loader: DocumentLoader) -> list[Any] | None:
    try:
        return expand(document, loader.contexts(), Budget(10, max_terms=1_000_000))
    except (Unsupported, ContextError):  # what expand_safe hands to pyld
        return None


def _compare(document: Any, loader: DocumentLoader) -> bool:
    """Assert the two agree; True when vctrade's own expansion answered."""
    own = _own(document, loader)
    if own is None:
        return False
    reference = _pyld(document, loader)
    assert reference is not None, f"own expansion answered where pyld fails: {json.dumps(document)[:300]}"
    assert own == reference, f"expansions differ for {json.dumps(document)[:300]}"
    # the issuer-dependent terms it noted while expanding are those a walk of pyld's expansion finds
    assert issuer_dependent_in(own) == issuer_dependent_in(list(reference)), json.dumps(document)[:300]
    return True


def _json_ld_files(*roots: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for root in roots:
        for path in sorted(root.rglob("*.json")):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(document, dict) and "@context" in document:
                yield path, document


def test_every_document_on_disk(repo: Path, vectors: Path) -> None:
    loader = DocumentLoader()
    answered = total = 0
    for _path, document in _json_ld_files(vectors, repo / "fixtures", repo / "tests"):
        total += 1
        answered += _compare(document, loader)
    # the vectors and fixtures are what the fast path is for: it must answer for most of them
    assert total > 200 and answered > 150, (answered, total)


# --- generated documents ---------------------------------------------------------------------------------------

_TERMS = ["name", "description", "id", "type", "issuer", "credentialSubject", "undefinedTerm", "hsCode", "quantity",
          "validFrom", "goods", "origin", "amount", "ex:thing", "https://example.org/vocab#x", "@id", "@type",
          "@value", "@language", "@list", "@set", "@graph", "@context", "_:b0", "@nest", "@reverse", "@index"]
_TYPES = ["VerifiableCredential", "CertificateOfOrigin", "UnknownType", "ex:Thing", "https://example.org/T",
          "_:t", "Product", "Place", "Organization"]
_IDS = ["did:example:123", "urn:uuid:0e3b8a6e-9b43-4a2f-a3c1-6f0e2f3e7f10", "relative/path", "#frag",
        "https://example.org/x", "_:b1", "ex:abc", ""]
_CONTEXTS: list[Any] = [
    "https://www.w3.org/ns/credentials/examples/v2", "https://w3id.org/traceability/v1",
    "https://www.w3.org/2018/credentials/v1", {"ex": "https://example.org/ex#"}, {"@vocab": "https://example.org/v#"},
    {"extra": {"@id": "https://example.org/extra", "@type": "@id"}}, {"listy": {"@id": "https://example.org/l",
                                                                               "@container": "@list"}},
    {"@version": 1.1, "ex": {"@id": "https://example.org/ex#", "@prefix": True}}, None, [], {"@base": "https://b/"},
    {"id": "@id", "@protected": True}, {"name": "https://example.org/otherName"}, "https://unknown.example/ctx",
]


def _scalar(rng: random.Random) -> Any:
    return rng.choice([
        "text", "Ünïcødé \u2028 \"quoted\" \\ \x01", 0, -7, 2**60, 1.5, -0.0, 1e21, True, False, None,
        "2026-01-01T00:00:00Z", rng.choice(_IDS), rng.choice(_TYPES),
    ])


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 3)
    if kind < 3:
        return _scalar(rng)
    if kind == 3:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 4:
        return {"@value": _scalar(rng), **rng.choice([{}, {"@language": "EN-us"}, {"@type": rng.choice(_TYPES)},
                                                     {"@direction": "ltr"}])}
    if kind == 5:
        return {"@list": [_value(rng, depth + 1) for _ in range(rng.randrange(3))]}
    if kind == 6:
        return {"id": rng.choice(_IDS)}
    if kind == 7:
        return {"type": rng.choice(_TYPES), rng.choice(_TERMS): _value(rng, depth + 1)}
    return {rng.choice(_TERMS): _value(rng, depth + 1) for _ in range(rng.randrange(1, 4))}


def _objects(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key != "@context":
                yield from _objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, (*path, index))


def _mutate(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    mutated = copy.deepcopy(document)
    for _ in range(rng.randrange(1, 4)):
        _path, target = rng.choice(list(_objects(mutated)))
        keys = [key for key in target if key != "@context"]
        action = rng.randrange(8)
        if action == 0 or not keys:
            target[rng.choice(_TERMS)] = _value(rng)
        elif action == 1:
            del target[rng.choice(keys)]
        elif action == 2:
            target[rng.choice(keys)] = _value(rng)
        elif action == 3:
            key = rng.choice(keys)
            target[rng.choice(_TERMS)] = target.pop(key)
        elif action == 4:
            target["type"] = rng.choice([rng.choice(_TYPES), [rng.choice(_TYPES) for _ in range(rng.randrange(3))]])
        elif action == 5:
            target["id"] = rng.choice(_IDS)
        elif action == 6:
            context = rng.choice(_CONTEXTS)
            existing = target.get("@context")
            if existing is None or rng.random() < 0.5:
                target["@context"] = context
            else:
                target["@context"] = [*(existing if isinstance(existing, list) else [existing]), context]
        else:
            key = rng.choice(keys)
            target[key] = [target[key], _value(rng)]
    return mutated


@pytest.fixture(scope="module")
def templates(repo: Path, vectors: Path, trade_request: Callable[[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    issuer = Key.generate("Ed25519").did
    found = [
        build_origin_credential(trade_request("origin", "usmca-steel"), issuer),
        build_origin_credential(trade_request("origin", "cafta-apparel"), issuer),
        build_aeo_credential(trade_request("aeo", "acme-ctpat"), issuer),
    ]
    found += [document for _path, document in _json_ld_files(repo / "fixtures" / "traceability")]
    found += [document for _path, document in _json_ld_files(vectors / "vc-data-model-2.0")][:40]
    found += [document for _path, document in _json_ld_files(vectors / "vc-di-eddsa")][:10]
    return found


def test_generated_documents(templates: list[dict[str, Any]]) -> None:
    rng = random.Random(14)
    loader = DocumentLoader()
    answered = 0
    for _ in range(GENERATED):
        answered += _compare(_mutate(rng.choice(templates), rng), loader)
    # mutations often break a document (pyld then decides); enough must stay on the fast path to mean something
    assert answered > GENERATED // 5, (answered, GENERATED)


def test_verdicts_are_pyld_verdicts(templates: list[dict[str, Any]]) -> None:
    """expand_safe (own expansion first, pyld for the rest) fails exactly where pyld's safe mode fails."""
    rng = random.Random(1414)
    for _ in range(GENERATED // 3):
        document = _mutate(rng.choice(templates), rng)
        try:
            ours: Any = expand_safe(document, DocumentLoader())
        except Exception as exc:  # noqa: BLE001
            ours = type(exc)
        try:
            theirs: Any = expand_safe(document, _PyldOnly())
        except Exception as exc:  # noqa: BLE001
            theirs = type(exc)
        assert ours == theirs, json.dumps(document)[:300]


class _PyldOnly(DocumentLoader):
    """A loader whose own-expansion cache knows no context, so every document goes to pyld."""

    def contexts(self) -> Any:
        from vctrade.jsonld._expand import ContextCache

        def refuse(url: str) -> dict[str, Any]:
            raise Unsupported(url)

        return ContextCache(refuse)


def test_a_shape_seen_before_reuses_its_processed_contexts(templates: list[dict[str, Any]]) -> None:
    """The second document of a shape processes no context: the work is a walk of its JSON."""
    loader = DocumentLoader()
    document = templates[0]
    expand(document, loader.contexts(), Budget(10, max_terms=1_000_000))
    budget = Budget(10, max_terms=0)  # any term definition now would go over
    assert expand({**document, "id": "urn:uuid:another"}, loader.contexts(), budget)


def test_adding_a_document_drops_what_was_processed_from_the_old_one() -> None:
    url = "https://example.org/mutable-context"
    loader = DocumentLoader({url: {"@context": {"thing": "https://example.org/one"}}})
    document = {"@context": url, "thing": "x"}
    first = expand_safe(document, loader)
    loader.add(url, {"@context": {"thing": "https://example.org/two"}})
    second = expand_safe(document, loader)
    assert "https://example.org/one" in first[0] and "https://example.org/two" in second[0]


def test_a_json_literal_is_signed_not_refused() -> None:
    """A term typed @json (VC 2.0's jsonSchema) expands to a JSON literal, by either expansion."""
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "JsonSchemaCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "https://example.org/schema", "type": "JsonSchema",
                              "jsonSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "x": [1, 2.5]}},
    }
    expected = {"@type": "@json", "@value": document["credentialSubject"]["jsonSchema"]}  # type: ignore[index]
    for loader in (DocumentLoader(), _PyldOnly()):
        subject = expand_safe(document, loader)[0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
        assert subject["https://www.w3.org/2018/credentials#jsonSchema"] == [expected]
