"""Offline JSON-LD: a pinned document loader, safe expansion and bounded RDFC-1.0.

* :class:`DocumentLoader` serves contexts only from vctrade's bundled
  ``contexts/`` folder (each pinned by SHA-256, checked when first read) and
  from documents the caller adds explicitly. It never touches the network; an
  unknown URL raises :class:`~vctrade.errors.ContextError`.
* :func:`expand_safe` is JSON-LD expansion that refuses to drop data: a term
  the contexts do not define, or a type or id that is not an absolute IRI,
  raises :class:`~vctrade.errors.JsonLdSafetyError` naming the term and where
  it appears, instead of leaving it silently unsigned.
* :func:`canonize` is RDFC-1.0 with a selectable internal hash (SHA-384 for
  P-384 suites).

Every document is bounded by its loader's limits (see :class:`DocumentLoader`):
its JSON shape is checked before expansion, the RDF dataset's size before
RDFC-1.0, and a work and time budget is spent while processing; going over
any is a :class:`~vctrade.errors.CanonicalizationLimitError`.

Processed contexts are cached per loader, so verifying many credentials of
one kind processes their contexts once.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from vctrade._plugins import load_plugins
from vctrade.errors import (
    CanonicalizationLimitError,
    ContextError,
    JsonLdSafetyError,
)
from vctrade.jsonld._budget import Budget, check_json
from vctrade.jsonld._expand import ContextCache, Unsupported, expand, issuer_dependent_in
from vctrade.jsonld._rdfc import canonical_nquads, expanded_to_dataset

__all__ = ["DocumentLoader", "default_loader", "register_context", "expand_safe", "check_terms", "expanded_types", "canonize",
           "expansion_scope", "issuer_dependent_terms"]

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _bundled_contexts_dir() -> Path:
    """The folder of bundled contexts: inside the installed package, or the source checkout's."""
    packaged = Path(str(resources.files("vctrade"))) / "contexts"
    if (packaged / "index.json").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "contexts"
    if (checkout / "index.json").is_file():
        return checkout
    raise ContextError("vctrade's bundled contexts are missing (contexts/index.json not found)")


class DocumentLoader:
    """A JSON-LD document loader over pinned, local documents only, and the limits of the work it does.

    ``extra`` maps context URLs to a JSON document (dict) or a path of a JSON
    file; these are the caller's explicit additions and override nothing
    silently: adding a URL that is bundled with other content is refused.

    Limits, per document (keyword arguments, also attributes a caller may
    change; going over one is a :class:`~vctrade.errors.CanonicalizationLimitError`,
    which verification reports as a failed check with the code in brackets):

    ``max_json_depth`` (64)
        nesting of objects and arrays, checked before expansion and before JCS
        [``document_too_deep``].
    ``max_json_values`` (100,000)
        JSON values (objects, arrays, strings, numbers, booleans, nulls),
        checked before expansion and before JCS [``document_too_large``].
    ``max_context_terms`` (10,000) and ``context_terms_per_value`` (20)
        term definitions processed while expanding one document: the larger
        of ``max_context_terms`` and ``context_terms_per_value`` per JSON value
        outside ``@context``. Processing a context costs one definition per
        term, again each time it is applied on top of another context, so a
        context URL repeated or re-applied at every level is refused
        [``canonicalization_too_costly``].
    ``max_blank_nodes`` (10,000) and ``max_quads`` (100,000)
        the RDF dataset's size, checked before RDFC-1.0
        [``canonicalization_too_costly``].
    ``max_rdfc_work`` (500,000)
        RDFC-1.0 Hash N-Degree Quads work over the whole run: each call costs
        ``(1 + permutations tried) × (1 + blank nodes on its path)`` units
        [``canonicalization_too_costly``].
    ``max_seconds`` (2.0)
        wall-clock time for one expansion, or for one RDF conversion and
        RDFC-1.0 run [``canonicalization_too_costly``].
    """

    max_json_depth: int = 64
    max_json_values: int = 100_000
    max_context_terms: int = 10_000
    context_terms_per_value: int = 20
    max_blank_nodes: int = 10_000
    max_quads: int = 100_000
    max_rdfc_work: int = 500_000
    max_seconds: float = 2.0

    def __init__(
        self,
        extra: Mapping[str, dict[str, Any] | str | Path] | None = None,
        *,
        max_json_depth: int | None = None,
        max_json_values: int | None = None,
        max_context_terms: int | None = None,
        context_terms_per_value: int | None = None,
        max_blank_nodes: int | None = None,
        max_quads: int | None = None,
        max_rdfc_work: int | None = None,
        max_seconds: float | None = None,
    ) -> None:
        # None keeps the class default, so a subclass may change a default for all its instances.
        if max_json_depth is not None:
            self.max_json_depth = max_json_depth
        if max_json_values is not None:
            self.max_json_values = max_json_values
        if max_context_terms is not None:
            self.max_context_terms = max_context_terms
        if context_terms_per_value is not None:
            self.context_terms_per_value = context_terms_per_value
        if max_blank_nodes is not None:
            self.max_blank_nodes = max_blank_nodes
        if max_quads is not None:
            self.max_quads = max_quads
        if max_rdfc_work is not None:
            self.max_rdfc_work = max_rdfc_work
        if max_seconds is not None:
            self.max_seconds = max_seconds
        self._dir = _bundled_contexts_dir()
        with open(self._dir / "index.json", encoding="utf-8") as handle:
            self._index: dict[str, dict[str, str]] = json.load(handle)
        self._documents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        # pyld's resolved-context cache, private to this loader so that two loaders
        # with different documents for one URL never see each other's contexts.
        self.resolved_contexts: LRUCache[str, Any] = LRUCache(maxsize=256)
        # expand_safe's memo: JSON text of a document -> its expansion (small: one verification's documents)
        self.expansions: LRUCache[str, list[Any]] = LRUCache(maxsize=32)
        # vctrade's own expansion's processed contexts (see _expand); made on first use, dropped when a document is added
        self._contexts: ContextCache | None = None
        for url, document in (extra or {}).items():
            self.add(url, document)

    def add(self, url: str, document: dict[str, Any] | str | Path) -> None:
        """Serve ``document`` (a dict, or the path of a JSON file) for context ``url``."""
        if not isinstance(document, dict):
            path = Path(document)
            try:
                document = json.loads(path.read_bytes())
            except FileNotFoundError as exc:
                raise ContextError(f"context file not found: {path}") from exc
            except (OSError, ValueError) as exc:
                raise ContextError(f"context file {path} is not JSON: {exc}") from exc
        if not isinstance(document, dict) or "@context" not in document:
            raise ContextError(f"the document for {url} is not a JSON-LD context (no '@context')")
        if url in self._index and self._load_bundled(url) != document:
            raise ContextError(f"{url} is a bundled context; refusing to replace it with other content")
        with self._lock:
            self._documents[url] = document
            # what was processed from an earlier document for this URL must not outlive it
            self.resolved_contexts.clear()
            self.expansions.clear()
            self._contexts = None

    def contexts(self) -> ContextCache:
        """The processed contexts of vctrade's own expansion, for this loader's documents."""
        with self._lock:
            if self._contexts is None:
                self._contexts = ContextCache(self._shared_document)
            return self._contexts

    def knows(self, url: str) -> bool:
        """Whether ``url`` can be served (bundled and pinned, added to this loader, or shipped by a plug-in)."""
        if url in self._documents or url in self._index:
            return True
        load_plugins()  # a plug-in may ship this context
        return url in _registered

    def pinned_bytes(self, url: str) -> bytes | None:
        """The exact bytes of the bundled context ``url``, checked against its pinned sha256; None if not bundled.

        Raises :class:`~vctrade.errors.ContextError` when the bytes do not match their pin (a damaged installation).
        """
        entry = self._index.get(url)
        if entry is None:
            return None
        data = (self._dir / entry["file"]).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise ContextError(
                f"bundled context {url} does not match its pinned sha256 "
                f"(expected {entry['sha256'][:16]}…, got {digest[:16]}…): the installation is damaged"
            )
        return data

    def _load_bundled(self, url: str) -> dict[str, Any]:
        data = self.pinned_bytes(url)
        assert data is not None, url  # callers look the URL up in the index first
        document: dict[str, Any] = json.loads(data)
        return document

    def document(self, url: str) -> dict[str, Any]:
        """The JSON of context ``url`` (a copy the caller may keep)."""
        return copy.deepcopy(self._shared_document(url))

    def _shared_document(self, url: str) -> dict[str, Any]:
        """The JSON of context ``url``, shared: callers only read it."""
        with self._lock:
            found = self._documents.get(url)
            if found is None and url not in self._index:
                load_plugins()  # a plug-in may ship this context
                registered = _registered.get(url)
                if registered is not None:
                    found = self._documents[url] = registered
            if found is None:
                if url not in self._index:
                    raise ContextError(
                        f"unknown JSON-LD context {url}: it is neither bundled nor added to the loader; "
                        "contexts are never fetched"
                    )
                found = self._documents[url] = self._load_bundled(url)
        return found

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        """The pyld document-loader protocol."""
        return {"contextUrl": None, "documentUrl": url, "document": self.document(url), "tag": "static"}

    def check_json_limits(self, value: Any) -> int:
        """Refuse ``value`` if it is deeper or larger than ``max_json_depth`` / ``max_json_values``.

        Returns the number of its JSON values outside ``@context`` members.
        """
        return check_json(value, max_depth=self.max_json_depth, max_values=self.max_json_values)

    def pyld_options(self, **extra: Any) -> dict[str, Any]:
        """Options that make pyld use this loader and its private context cache."""
        from pyld.context_resolver import ContextResolver  # pyld is slow to import: only when it is asked

        return {
            # No base IRI: pyld would otherwise resolve relative IRIs against http://example.org/base/
            # and sign them as that; left relative, safe mode rejects them instead.
            "base": None,
            "documentLoader": self,
            "contextResolver": ContextResolver(self.resolved_contexts, self),
            **extra,
        }


_default: DocumentLoader | None = None
# Contexts that plug-ins ship (a trade type's own vocabulary), by URL; never fetched, never replacing a bundled one.
_registered: dict[str, dict[str, Any]] = {}


def register_context(url: str, document: dict[str, Any]) -> None:
    """Serve ``document`` for context ``url`` in every loader (for plug-ins that ship their own context).

    Refused (ContextError) for a URL that is bundled or registered with other content.
    """
    if not isinstance(document, dict) or "@context" not in document:
        raise ContextError(f"the document for {url} is not a JSON-LD context (no '@context')")
    if url in _registered and _registered[url] != document:
        raise ContextError(f"{url} is already registered with other content")
    bundled = DocumentLoader()
    if url in bundled._index and bundled.document(url) != document:
        raise ContextError(f"{url} is a bundled context; refusing to replace it with other content")
    _registered[url] = copy.deepcopy(document)


def default_loader() -> DocumentLoader:
    """The process-wide loader of bundled contexts (shared so its cache is shared)."""
    global _default
    if _default is None:
        _default = DocumentLoader()
    return _default


def _paths_of_key(node: Any, key: str, path: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            here = f"{path}.{name}" if path else name
            if name == key:
                yield here
            if name != "@context":
                yield from _paths_of_key(value, key, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths_of_key(value, key, f"{path}[{index}]")


def _unwrap_jsonld_error(exc: BaseException) -> BaseException:
    """pyld wraps loader errors (and our budget's) in JsonLdError chains; find ours if it is there."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ContextError, CanonicalizationLimitError)):
            return seen
        details = getattr(seen, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        seen = cause if isinstance(cause, BaseException) else seen.__cause__
    return exc


def _describe_jsonld_error(exc: BaseException) -> str:
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 4:
        message = getattr(seen, "message", None) or str(seen).split("\n")[0]
        if message and message not in parts:
            parts.append(message)
        details = getattr(seen, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        seen = cause if isinstance(cause, BaseException) else seen.__cause__
    return ": ".join(parts)


def _check_iris(node: Any, document: dict[str, Any]) -> None:
    """Reject @type and @id values that did not become absolute IRIs (they would be dropped)."""
    if isinstance(node, list):
        for item in node:
            _check_iris(item, document)
        return
    if not isinstance(node, dict):
        return
    for type_value in node.get("@type", []) if isinstance(node.get("@type"), list) else [node.get("@type")]:
        if type_value == "@json" and "@value" in node:
            continue  # a JSON literal (a term typed @json): signed as an rdf:JSON literal
        if isinstance(type_value, str) and not (_ABSOLUTE_IRI.match(type_value) or type_value.startswith("_:")):
            raise JsonLdSafetyError(
                f"type {type_value!r} is not defined by the document's contexts, so it would not be signed"
            )
    node_id = node.get("@id")
    if isinstance(node_id, str) and not (_ABSOLUTE_IRI.match(node_id) or node_id.startswith("_:")):
        raise JsonLdSafetyError(f"id {node_id!r} is not an absolute IRI, so it would not be signed")
    for key, value in node.items():
        if key not in ("@type", "@id", "@value", "@context"):
            _check_iris(value, document)


def _run_pyld(operation: str, document: Any, loader: DocumentLoader, processor: Any, **options: Any) -> Any:
    from pyld import jsonld

    try:
        return getattr(processor, operation)(document, loader.pyld_options(**options))
    except jsonld.JsonLdError as exc:
        cause = _unwrap_jsonld_error(exc)
        if isinstance(cause, (ContextError, CanonicalizationLimitError)):
            raise cause from None
        raise JsonLdSafetyError(f"JSON-LD processing failed: {_describe_jsonld_error(exc)}") from None
    except RecursionError:
        # Only if a caller raised max_json_depth past what Python's stack holds.
        raise CanonicalizationLimitError("JSON-LD processing failed: the document is nested too deeply",
                                         code="document_too_deep") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # pyld raises plain exceptions for some malformed input (a relative context URL, say): still the input's fault
        raise JsonLdSafetyError(f"JSON-LD processing failed: {exc}") from None


def expand_safe(document: dict[str, Any], loader: DocumentLoader | None = None) -> list[Any]:
    """Expand ``document`` and fail if expansion would drop any of its data.

    Results are memoized per loader by the document's JSON text, so the
    verifier's JSON-LD check and the RDFC transform of the same document expand
    it once. The caller gets its own copy.
    """
    # A JSON round trip, not deepcopy: the memo's expansion shares equal value objects, the caller's copy shares
    # nothing it could change in two places at once (and the round trip is faster).
    copied: list[Any] = json.loads(json.dumps(_memoized_expansion(document, loader or default_loader())))
    return copied


class _OperationMemo:
    """One operation's expansions made with one loader (a verification, a signing; see expansion_scope).

    The JSON-LD check, the RDFC transform and the schema check of one document
    expand it once. A document is found again as the very object (an entry keeps
    its object, so the id cannot be reused while the operation lasts, and nothing
    changes a document during one); an equal copy is found by its JSON text,
    which is written only once a second object is asked for, so an operation
    that sees each document once writes none.
    """

    __slots__ = ("seen", "by_text")

    def __init__(self) -> None:
        self.seen: dict[int, tuple[Any, list[Any]]] = {}  # id(document) -> (document, its expansion)
        self.by_text: dict[str, list[Any]] | None = None  # JSON text -> expansion, once two objects were asked for

    def expansion(self, document: dict[str, Any], loader: DocumentLoader) -> list[Any]:
        seen = self.seen.get(id(document))
        if seen is not None and seen[0] is document:
            return seen[1]
        text: str | None = None
        if self.seen:  # another object: it may be an equal copy of one seen before
            if self.by_text is None:
                self.by_text = {}
                for earlier, earlier_expansion in self.seen.values():
                    earlier_text = _json_text(earlier)
                    if earlier_text is not None:
                        self.by_text.setdefault(earlier_text, earlier_expansion)
            text = _json_text(document)
            found = self.by_text.get(text) if text is not None else None
            if found is not None:
                self.seen[id(document)] = (document, found)
                return found
        expanded = _expand_checked(document, loader)
        self.seen[id(document)] = (document, expanded)
        if text is not None and self.by_text is not None:
            self.by_text[text] = expanded
        return expanded


# The current operation's memos, by loader (the loader outlives the operation, so its id stays its own).
_scope: ContextVar[dict[int, _OperationMemo] | None] = ContextVar("vctrade_expansions", default=None)


@contextmanager
def expansion_scope() -> Iterator[None]:
    """Share expansions among the calls inside, and drop them at its end (nested scopes share the outer one).

    verify() and sign() run in one, so a document is expanded once per
    operation and its expansion is freed by the operation that made it. Outside
    any scope, expansions are memoized in the loader's small LRU instead.
    """
    token = _scope.set({}) if _scope.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _scope.reset(token)


def _json_text(document: Any) -> str | None:
    """The memo's key for a document: its JSON text (unsorted: an equal copy with keys reordered merely misses)."""
    try:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None  # not plain JSON: expansion reports what is wrong with it


def _memoized_expansion(document: dict[str, Any], loader: DocumentLoader) -> list[Any]:
    """The memo's own expansion of ``document`` (callers that keep or change it take a copy).

    The loader's limits bound each expansion; a memo hit costs no work, so it needs no check.
    """
    scope = _scope.get()
    if scope is not None:
        memo = scope.get(id(loader))
        if memo is None:
            memo = scope[id(loader)] = _OperationMemo()
        return memo.expansion(document, loader)
    memo_key = _json_text(document)
    if memo_key is not None:
        with loader._lock:
            cached = loader.expansions.get(memo_key)
        if cached is not None:
            return cached
    expanded = _expand_checked(document, loader)
    if memo_key is not None:
        with loader._lock:
            loader.expansions[memo_key] = expanded
    return expanded


def _expand_checked(document: dict[str, Any], loader: DocumentLoader) -> list[Any]:
    """Safe expansion of ``document`` within the loader's limits (checked first) and a fresh budget."""
    content = loader.check_json_limits(document)
    allowance = max(loader.max_context_terms, loader.context_terms_per_value * content)
    return _expand_safe(document, loader, Budget(loader.max_seconds, max_terms=allowance))


def check_terms(document: dict[str, Any], loader: DocumentLoader | None = None) -> None:
    """Raise as :func:`expand_safe` does unless every term of ``document`` is defined (memoized, nothing copied)."""
    _memoized_expansion(document, loader or default_loader())


def issuer_dependent_terms(document: dict[str, Any], loader: DocumentLoader | None = None) -> frozenset[str]:
    """The terms and types of ``document`` that no context defines: only an ``@vocab`` made them IRIs.

    A context whose ``@vocab`` is ``https://www.w3.org/ns/credentials/issuer-dependent#``
    (the traceability context's is) maps every term it does not define there
    (so it is signed, not dropped); what such a term means is the issuer's
    alone. Raises as :func:`expand_safe` does (memoized).
    """
    return issuer_dependent_in(_memoized_expansion(document, loader or default_loader()))


def expanded_types(document: dict[str, Any], loader: DocumentLoader | None = None) -> frozenset[str]:
    """The expanded type IRIs of the document's top-level node (raises as :func:`expand_safe` does)."""
    found: set[str] = set()
    for node in _memoized_expansion(document, loader or default_loader()):
        types = node.get("@type", []) if isinstance(node, dict) else []
        found.update(t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str))
    return frozenset(found)


def _budgeted_expansion(budget: Budget, on_dropped: Any) -> Any:
    """pyld's expansion, counting its steps against a budget's deadline (contexts cost work too)."""
    from pyld import jsonld

    class BudgetedExpansion(jsonld.JsonLdProcessor):  # type: ignore[misc]  # pyld is untyped
        def _expand(self, *args: Any, **kwargs: Any) -> Any:
            budget.tick()
            return super()._expand(*args, **kwargs)

        def _create_term_definition(self, *args: Any, **kwargs: Any) -> Any:
            budget.define_term()
            return super()._create_term_definition(*args, **kwargs)

    return BudgetedExpansion(on_property_dropped=on_dropped)


def _expand_safe(document: dict[str, Any], loader: DocumentLoader, budget: Budget) -> list[Any]:
    try:
        # vctrade's own expansion answers for the documents it covers, exactly as pyld would, and only with
        # absolute ids and types (what _check_iris checks) ...
        return expand(document, loader.contexts(), budget)
    except (Unsupported, ContextError, CanonicalizationLimitError, RecursionError):
        # ... and pyld decides every other one, and says in its words what is wrong with it
        expanded = _expand_with_pyld(document, loader, budget)
    _check_iris(expanded, document)
    return expanded


def _expand_with_pyld(document: dict[str, Any], loader: DocumentLoader, budget: Budget) -> list[Any]:
    dropped: list[str] = []

    def on_dropped(term: Any) -> None:
        dropped.append(str(term))

    expanded: list[Any] = _run_pyld("expand", document, loader, _budgeted_expansion(budget, on_dropped))
    if dropped:
        term = dropped[0]
        where = ", ".join(list(_paths_of_key(document, term))[:3]) or "the document"
        more = f" (and {len(set(dropped)) - 1} more)" if len(set(dropped)) > 1 else ""
        raise JsonLdSafetyError(
            f"term {term!r} at {where} is not defined by the document's @context, so it would not be "
            f"signed{more}; define it in a context or remove it"
        )
    return expanded


def canonize(
    document: dict[str, Any],
    loader: DocumentLoader | None = None,
    *,
    hash_name: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` after safe expansion, within the loader's limits.

    ``hash_name`` is the hash RDFC-1.0 uses internally (``sha384`` for P-384).
    Raises :class:`~vctrade.errors.CanonicalizationLimitError` when the
    document goes over a limit of ``loader`` (see :class:`DocumentLoader`).
    """
    loader = loader or default_loader()
    expanded = _memoized_expansion(document, loader)  # shared, not copied: RDF conversion never changes it
    budget = Budget(loader.max_seconds, max_work=loader.max_rdfc_work)
    return canonical_nquads(expanded_to_dataset(expanded, budget), hash_name=hash_name, budget=budget,
                            max_blank_nodes=loader.max_blank_nodes, max_quads=loader.max_quads)
