"""JSON-LD 1.1 expansion for the shapes credentials take, without pyld, with processed contexts cached.

pyld is the reference this module answers to (a differential test holds the two
equal): :func:`expand` either returns exactly the expansion pyld 3.3 returns for
the document, or raises :class:`Unsupported`, and the caller then asks pyld. It
never succeeds where pyld would fail: every JSON-LD error, every term pyld's safe
mode would report as dropped, every relative IRI and every feature outside the
subset below is :class:`Unsupported`, so pyld decides those documents and
reports them in its own words.

The subset is what the pinned contexts and the documents signed with them use:
contexts by absolute URL (served by the :class:`DocumentLoader`, never fetched)
or inline; term definitions with ``@id``, ``@type`` (``@id``, ``@vocab``,
``@json``, ``@none`` or an IRI), ``@container`` (``@set``, ``@list``,
``@graph``), ``@context`` (property- and type-scoped) and ``@protected``;
``@vocab`` and ``@version``; documents with ``@id``, ``@type``, ``@value``,
``@language``, ``@list``, ``@set`` and ``@graph``. Not covered (pyld takes
them): ``@import``, ``@base``, ``@propagate``, default ``@language`` or
``@direction``, null contexts, ``@reverse``, ``@nest``, ``@included``,
``@index`` and language, id or type maps, explicit ``@prefix``.

Why it is fast: a processed context is an immutable :class:`_Context` whose
children (the context it becomes with another context applied) are cached on
it, so a shape of credential seen before costs only a walk of its JSON; IRI
expansion of a term is a dict look-up cached per context. Processing a context
costs one ``define_term`` of the :class:`Budget` per term definition, and each
JSON value one ``tick``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from vctrade.jsonld._budget import Budget

__all__ = ["Unsupported", "ContextCache", "Expanded", "ISSUER_DEPENDENT", "expand", "issuer_dependent_in"]

ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"

_KEYWORDS = frozenset({
    "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit", "@first", "@graph", "@id",
    "@import", "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@omitDefault", "@propagate",
    "@protected", "@preserve", "@requireAll", "@reverse", "@set", "@type", "@value", "@version", "@vocab",
})
_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")
# pyld's test for an absolute IRI (its character range "+-." spans "+", ",", "-" and "."); blank nodes pass too
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
# what vctrade's safe mode (_jsonld._check_iris) calls absolute: pyld's scheme also allows a comma
_SAFE_MODE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_IRI_LIKE_TERM = re.compile(r".*((:[^:])|/)")
_PREFIX_IRI_END = re.compile(r".*[:/\?#\[\]@]$")
_TERM_KEYS = frozenset({"@id", "@type", "@container", "@context", "@protected"})
_CONTAINERS = frozenset({"@set", "@list", "@graph"})
_CONTEXT_KEYS = frozenset({"@version", "@vocab", "@protected"})
# keywords a document's keys may expand to here; the others are pyld's
_NODE_KEYWORDS = frozenset({"@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph"})
_SCALARS = frozenset({str, int, float, bool})
_UNTYPED = (None, "@none", "@id", "@vocab")  # type mappings that give a plain literal (for a non-string, @id/@vocab)
_MAX_CONTEXT_URLS = 10  # pyld's limit of context URLs resolved at once
_NO_CONTEXT = object()  # a node without its own @context (None is a null context)
_MAX_SHAPES = 1024  # node shapes (and type sets) cached per context: bounded like the children
_MAX_CHILDREN = 64  # processed contexts cached per context: a bound against documents crafted to fill memory


class Unsupported(Exception):
    """The document (or a context it uses) needs JSON-LD this module leaves to pyld, or is not valid JSON-LD."""


def _is_absolute(value: Any) -> bool:
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


def _signable(iri: Any) -> bool:
    """An ``@id`` or ``@type`` both pyld and vctrade's safe mode take as absolute (or a blank node)."""
    return _is_absolute(iri) and (iri.startswith("_:") or _SAFE_MODE_IRI.match(iri) is not None)


class _Context:
    """A processed (active) context: term definitions in pyld's own form, so equality means what it means there."""

    __slots__ = ("mappings", "vocab", "previous", "_children", "_vocab_iris", "_keys", "_nodes", "_typed")

    def __init__(self, mappings: dict[str, dict[str, Any]], vocab: str | None,
                 previous: _Context | None) -> None:
        self.mappings = mappings
        self.vocab = vocab
        self.previous = previous
        # (how, context key) -> (the local context, kept alive so an id() key stays unique; the result)
        self._children: dict[tuple[Any, ...], tuple[Any, _Context]] = {}
        self._vocab_iris: dict[str, str | None] = {}
        # a document key -> (its expanded property, its term definition, whether only @vocab made it an
        # issuer-dependent IRI), for keys that expand to a keyword or IRI
        self._keys: dict[str, tuple[str, dict[str, Any] | None, bool]] = {}
        # a node's shape here -> the context its entries expand in, its keys in order, its type keys (see _Expansion)
        self._nodes: dict[tuple[Any, ...], tuple[_Context, list[str], list[str]]] = {}
        # the types of a node whose entries expand in this context -> this context with their scoped contexts applied
        self._typed: dict[tuple[tuple[str, ...], ...], _Context] = {}

    def key(self, key: str) -> tuple[str, dict[str, Any] | None, bool]:
        """What a document's ``key`` means here: its expanded property, term definition, issuer-dependence (cached)."""
        try:
            return self._keys[key]
        except KeyError:
            pass
        expanded = self.vocab_iri(key)
        if expanded is None or not (expanded in _KEYWORDS or _is_absolute(expanded)):
            raise Unsupported(f"term {key!r} is dropped")  # pyld's safe mode reports it
        term = self.mappings.get(key)
        meaning = (expanded, term, term is None and expanded.startswith(ISSUER_DEPENDENT))
        if len(self._keys) < 4096:
            self._keys[key] = meaning
        return meaning

    def clone(self) -> _Context:
        return _Context(dict(self.mappings), self.vocab, self.previous)

    def vocab_iri(self, value: str) -> str | None:
        """IRI expansion of ``value`` with vocab true (a property or type), cached on this context."""
        try:
            return self._vocab_iris[value]
        except KeyError:
            pass
        expanded = _expand_iri(self, value, vocab=True)
        if len(self._vocab_iris) < 4096:
            self._vocab_iris[value] = expanded
        return expanded


def _expand_iri(context: _Context, value: str, *, vocab: bool) -> str | None:
    """pyld's ``_expand_iri`` outside context processing, with no base IRI (a relative IRI stays relative)."""
    if value in _KEYWORDS:
        return value
    if _KEYWORD_LIKE.match(value):
        return None
    if vocab and value in context.mappings:
        mapping = context.mappings[value]
        return mapping["@id"]  # type: ignore[no-any-return]
    colon = value.find(":")
    if colon > 0:
        prefix, suffix = value[:colon], value[colon + 1:]
        if prefix == "_" or suffix.startswith("//"):
            return value
        prefix_mapping = context.mappings.get(prefix)
        if prefix_mapping and prefix_mapping["_prefix"]:
            return prefix_mapping["@id"] + suffix  # type: ignore[no-any-return]
        if _is_absolute(value):
            return value
    if vocab and context.vocab is not None:
        return context.vocab + value
    return value


class ContextCache:
    """Processed contexts for one document loader: the initial context, and every context derived from it.

    ``load`` returns the JSON of a context URL (the loader's pinned, local
    documents; it raises for an unknown URL). The cache belongs to one loader:
    two loaders may serve different documents for one URL.
    """

    def __init__(self, load: Callable[[str], dict[str, Any]]) -> None:
        self._load = load
        self.initial = _Context({}, None, None)
        self._documents: dict[str, Any] = {}

    def context_of(self, url: str) -> Any:
        """The ``@context`` of the document served for ``url`` (kept for the life of this cache)."""
        found = self._documents.get(url)
        if found is None:
            document = self._load(url)
            if not isinstance(document, dict) or "@context" not in document:
                raise Unsupported(f"{url} is not a JSON-LD context document")
            found = self._documents[url] = document["@context"]
        return found

    def process(self, active: _Context, local: Any, budget: Budget, *, override_protected: bool = False,
                propagate: bool = True) -> _Context:
        """Apply ``local`` (a context, or list of them) to ``active``: the Context Processing algorithm, cached."""
        if isinstance(local, str):
            key: tuple[Any, ...] = ("url", local, override_protected, propagate)
        elif isinstance(local, (dict, list)):
            key = ("id", id(local), override_protected, propagate)
        elif local is None or local is False:
            key = ("null", None, override_protected, propagate)
        else:
            raise Unsupported("a @context must be a URL, an object, an array or null")
        cached = active._children.get(key)
        if cached is not None and cached[0] is local:
            return cached[1]
        result = self._process(active, local, budget, override_protected, propagate, set())
        if len(active._children) < _MAX_CHILDREN:
            active._children[key] = (local, result)
        return result

    def process_inline(self, active: _Context, local: Any, budget: Budget) -> _Context:
        """Apply a document's own ``@context`` (cached by its JSON text, as the document is not kept)."""
        if isinstance(local, str):
            return self.process(active, local, budget)
        key = ("json", json.dumps(local, sort_keys=True, separators=(",", ":")))
        cached = active._children.get(key)
        if cached is not None:
            return cached[1]
        result = self._process(active, local, budget, False, True, set())
        if len(active._children) < _MAX_CHILDREN:
            active._children[key] = (None, result)
        return result

    def _flatten(self, local: Any, seen: set[str]) -> list[Any]:
        """The contexts ``local`` stands for, in order: remote URLs replaced by their (flattened) contents."""
        if isinstance(local, dict) and isinstance(local.get("@context"), list):
            local = local["@context"]
        items = local if isinstance(local, list) else [local]
        flat: list[Any] = []
        for item in items:
            if isinstance(item, str):
                if not _is_absolute(item) or item.startswith("_:"):
                    raise Unsupported(f"relative context URL {item!r}")
                if item in seen or len(seen) >= _MAX_CONTEXT_URLS:
                    raise Unsupported("cyclic or too many context URLs")
                remote = self.context_of(item)
                flat.extend(self._flatten(remote, seen | {item}) if not isinstance(remote, dict) else [remote])
            elif isinstance(item, dict) or item is None or item is False:
                flat.append(item)
            else:
                raise Unsupported("a context that is not an object, a URL or null")
        return flat

    def _process(self, active: _Context, local: Any, budget: Budget, override_protected: bool, propagate: bool,
                 cycles: set[str]) -> _Context:
        contexts = self._flatten(local, set())
        if not contexts:
            return active.clone()
        if any(isinstance(context, dict) and "@propagate" in context for context in contexts):
            raise Unsupported("@propagate")
        result = active
        if not propagate and result.previous is None:
            result = result.clone()
            result.previous = active
        for context in contexts:
            if context is None or context is False:
                if not override_protected and any(mapping["protected"] for mapping in result.mappings.values()):
                    raise Unsupported("invalid context nullification")
                result = self.initial
                continue
            if "@context" in context:
                inner = context["@context"]
                if not isinstance(inner, dict):
                    raise Unsupported("nested @context")
                context = inner
            result = self._apply(result, context, budget, override_protected, cycles)
        return result

    def _apply(self, active: _Context, context: dict[str, Any], budget: Budget, override_protected: bool,
               cycles: set[str]) -> _Context:
        result = active.clone()
        for keyword in ("@import", "@base", "@language", "@direction"):
            if keyword in context:
                raise Unsupported(keyword)
        if "@version" in context and context["@version"] != 1.1:
            raise Unsupported("@version other than 1.1")
        if "@vocab" in context:
            vocab = context["@vocab"]
            if vocab is None:
                result.vocab = None
            elif not isinstance(vocab, str):
                raise Unsupported("invalid @vocab")
            else:
                expanded = _expand_iri(result, vocab, vocab=True)
                if not _is_absolute(expanded):
                    raise Unsupported("relative @vocab")
                result.vocab = expanded
        if context.get("@protected", True) is not True:
            raise Unsupported("@protected other than true")  # pyld mishandles false; let it speak for itself
        protected_default = context.get("@protected", False)
        defined: dict[str, bool] = {}
        for term, definition in context.items():
            if term in _CONTEXT_KEYS:
                continue
            self._define(result, context, term, defined, protected_default, override_protected, budget)
            if isinstance(definition, dict) and "@context" in definition:
                # pyld checks every scoped context when its term is defined, used or not
                scoped = definition["@context"]
                if isinstance(scoped, str):
                    if scoped in cycles:
                        continue
                    cycles.add(scoped)
                self._process(result, scoped, budget, True, True, cycles)
        return result

    def _define(self, result: _Context, local: dict[str, Any], term: str, defined: dict[str, bool],
                protected_default: Any, override_protected: bool, budget: Budget) -> None:
        """pyld's Create Term Definition for the subset (anything else is :class:`Unsupported`)."""
        if term in defined:
            if defined[term]:
                return
            raise Unsupported("cyclic IRI mapping")
        budget.define_term()
        defined[term] = False
        if term in _KEYWORDS or _KEYWORD_LIKE.match(term) or term == "":
            raise Unsupported(f"term {term!r}")
        previous = result.mappings.pop(term, None)
        value = local[term]
        simple = False
        if isinstance(value, str) or value is None:
            simple = True
            value = {"@id": value}
        if not isinstance(value, dict) or not set(value) <= _TERM_KEYS:
            raise Unsupported(f"term definition of {term!r}")
        colon = term.find(":")
        mapping: dict[str, Any] = {"reverse": False, "protected": False, "_prefix": False,
                                   "_term_has_colon": colon > 0}
        if "@id" in value:
            iri = value["@id"]
            if iri is None:
                mapping["@id"] = None
            elif not isinstance(iri, str) or (iri not in _KEYWORDS and _KEYWORD_LIKE.match(iri)):
                raise Unsupported(f"@id of {term!r}")
            elif iri != term:
                iri = self._context_iri(result, local, iri, defined, protected_default, override_protected, budget)
                if not (_is_absolute(iri) or iri in _KEYWORDS):
                    raise Unsupported(f"@id of {term!r} is not absolute")
                if _IRI_LIKE_TERM.match(term):
                    again = dict(defined)
                    again[term] = True
                    if self._context_iri(result, local, term, again, protected_default, override_protected,
                                         budget) != iri:
                        raise Unsupported(f"IRI-like term {term!r} maps elsewhere")
                mapping["@id"] = iri
                mapping["_prefix"] = bool(simple and colon <= 0 and (
                    iri.startswith("_:") or _PREFIX_IRI_END.match(iri)))
        if "@id" not in mapping:
            if colon > 0:
                prefix = term[:colon]
                if prefix in local:
                    self._define(result, local, prefix, defined, protected_default, override_protected, budget)
                parent = result.mappings.get(prefix)
                if parent is not None and parent["@id"] is None:
                    raise Unsupported(f"prefix of {term!r} maps to null")
                mapping["@id"] = parent["@id"] + term[colon + 1:] if parent is not None else term
            elif "/" in term or result.vocab is None:
                raise Unsupported(f"term {term!r} without an IRI")
            else:
                mapping["@id"] = result.vocab + term
        if value.get("@protected") or (protected_default and value.get("@protected", True)):
            mapping["protected"] = True
        if "@type" in value:
            type_ = value["@type"]
            if not isinstance(type_, str):
                raise Unsupported(f"@type of {term!r}")
            if type_ not in ("@id", "@vocab", "@json", "@none"):
                type_ = self._context_iri(result, local, type_, defined, protected_default, override_protected,
                                          budget)
                if not _signable(type_) or type_.startswith("_:"):
                    raise Unsupported(f"@type of {term!r} is not an IRI")
            mapping["@type"] = type_
        if "@container" in value:
            container = value["@container"]
            container = container if isinstance(container, list) else [container]
            if len(container) != 1 or container[0] not in _CONTAINERS:
                raise Unsupported(f"@container of {term!r}")
            mapping["@container"] = container
        if "@context" in value:
            mapping["@context"] = False if value["@context"] is None else value["@context"]
        if mapping["@id"] in ("@context", "@preserve"):
            raise Unsupported("aliased @context")
        if previous and previous["protected"] and not override_protected:
            mapping["protected"] = True
            if previous != mapping:
                raise Unsupported(f"protected term {term!r} redefined")
        result.mappings[term] = mapping
        defined[term] = True

    def _context_iri(self, result: _Context, local: dict[str, Any], value: str, defined: dict[str, bool],
                     protected_default: Any, override_protected: bool, budget: Budget) -> Any:
        """pyld's ``_expand_iri`` during context processing: terms it depends on are defined first."""
        if value in _KEYWORDS:
            return value
        if _KEYWORD_LIKE.match(value):
            return None
        if value in local and defined.get(value) is not True:
            self._define(result, local, value, defined, protected_default, override_protected, budget)
        if value in result.mappings:
            return _expand_iri(result, value, vocab=True)
        colon = value.find(":")
        if colon > 0:
            prefix = value[:colon]
            if prefix == "_" or value[colon + 1:].startswith("//"):
                return value
            if prefix in local and not defined.get(prefix):
                self._define(result, local, prefix, defined, protected_default, override_protected, budget)
        return _expand_iri(result, value, vocab=True)


class Expanded(list[Any]):
    """An expanded document, and the terms and types in it that no context defines (``issuer_dependent``).

    A context whose ``@vocab`` is ``https://www.w3.org/ns/credentials/issuer-dependent#``
    (the W3C CCG traceability context's is) maps every term it does not define
    there: such a term is signed, not dropped, but no context says what it means.
    """

    issuer_dependent: frozenset[str] = frozenset()


def expand(document: Any, cache: ContextCache, budget: Budget) -> Expanded:
    """The JSON-LD expansion of ``document`` exactly as pyld gives it, or :class:`Unsupported`."""
    if not isinstance(document, dict):
        raise Unsupported("a document that is not an object")
    expansion = _Expansion(cache, budget)
    expanded = expansion.element(cache.initial, None, document)
    if isinstance(expanded, dict) and set(expanded) == {"@graph"}:
        expanded = expanded["@graph"]
    result = Expanded([] if expanded is None else expanded if isinstance(expanded, list) else [expanded])
    result.issuer_dependent = frozenset(expansion.issuer_dependent)
    return result


def issuer_dependent_in(expanded: list[Any]) -> frozenset[str]:
    """The issuer-dependent terms and types of an expansion made elsewhere (pyld's), named by their local part."""
    if isinstance(expanded, Expanded):
        return expanded.issuer_dependent
    found: set[str] = set()
    stack: list[Any] = [expanded]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.startswith(ISSUER_DEPENDENT):
                    found.add(key[len(ISSUER_DEPENDENT):])
                if key == "@type":  # of a node or of a value object (its datatype)
                    types = value if isinstance(value, list) else [value]
                    found.update(t[len(ISSUER_DEPENDENT):] for t in types
                                 if isinstance(t, str) and t.startswith(ISSUER_DEPENDENT))
                elif key != "@value" and isinstance(value, (list, dict)):  # not into a JSON literal
                    stack.append(value)
    return frozenset(found)


class _Expansion:
    """One run of the Expansion algorithm (pyld's ``_expand``) over one document."""

    __slots__ = ("_cache", "_budget", "_values", "issuer_dependent")

    def __init__(self, cache: ContextCache, budget: Budget) -> None:
        self._cache = cache
        self._budget = budget
        self.issuer_dependent: set[str] = set()  # terms and types that only @vocab made IRIs
        # equal value objects of this expansion, made once: a large document repeats units, codes, countries ...
        # (fewer objects to make and free; nothing changes an expansion once made)
        self._values: dict[tuple[Any, ...], dict[str, Any]] = {}

    def interned(self, key: tuple[Any, ...]) -> dict[str, Any]:
        """The value object ``key`` describes: ``("@id", iri)``, or ``(datatype or None, type, value)``."""
        found = self._values.get(key)
        if found is None:
            if key[0] == "@id":
                found = {"@id": key[1]}
            elif key[0] is None:
                found = {"@value": key[2]}
            else:
                found = {"@type": key[0], "@value": key[2]}
            self._values[key] = found
        return found

    def element(self, active: _Context, active_property: str | None, element: Any, inside_list: bool = False,
                type_scoped: _Context | None = None) -> Any:
        self._budget.tick()
        if element is None:
            return None
        if isinstance(element, list):
            mapping = active.mappings.get(active_property) if active_property is not None else None
            inside_list = inside_list or bool(mapping and mapping.get("@container") == ["@list"])
            items: list[Any] = []
            for item in element:
                expanded = self.element(active, active_property, item, inside_list, type_scoped)
                if inside_list and isinstance(expanded, list):
                    expanded = {"@list": expanded}
                if expanded is None:
                    continue
                if isinstance(expanded, list):
                    items.extend(expanded)
                else:
                    items.append(expanded)
            return items
        expanded_active = active.vocab_iri(active_property) if active_property is not None else None
        if not isinstance(element, dict):
            if not inside_list and (active_property is None or expanded_active == "@graph"):
                raise Unsupported("a free-floating value")  # pyld drops it: data lost, pyld decides
            return self.value(active, active_property, expanded_active, element)
        return self.node(active, active_property, expanded_active, element, inside_list, type_scoped)

    def value(self, active: _Context, active_property: str | None, expanded_property: str | None,
              value: Any) -> Any:
        """Value Expansion (pyld's ``_expand_value``)."""
        if expanded_property in ("@id", "@type"):
            raise Unsupported("a keyword's value in a list or array position")
        mapping = active.mappings.get(active_property) if active_property is not None else None
        type_ = mapping.get("@type") if mapping else None
        if isinstance(value, str) and (type_ == "@id" or expanded_property == "@graph"):
            return {"@id": self.iri(active, value)}
        if isinstance(value, str) and type_ == "@vocab":
            iri = active.vocab_iri(value)
            if not _signable(iri):
                raise Unsupported(f"relative IRI {value!r}")
            return {"@id": iri}
        if expanded_property in _KEYWORDS:
            raise Unsupported(f"a value of {expanded_property}")
        if type_ is not None and type_ not in ("@id", "@vocab", "@none"):
            return {"@type": type_, "@value": value}
        return {"@value": value}

    @staticmethod
    def iri(active: _Context, value: str) -> str:
        """A document-relative IRI (an ``@id``); with no base IRI, a relative one is pyld's to report."""
        iri = _expand_iri(active, value, vocab=False)
        if not _signable(iri):
            raise Unsupported(f"relative IRI {value!r}")
        return iri  # type: ignore[return-value]  # _signable made sure it is a string

    def node(self, active: _Context, active_property: str | None, expanded_active: str | None,
             element: dict[str, Any], inside_list: bool, type_scoped: _Context | None) -> Any:
        """A node object: its context is worked out once per shape (keys, types, context, property) and cached.

        A node with its own ``@context`` is planned each time (the document's
        context is not kept to key a cache by); its types still are cached.
        """
        keys = tuple(element)
        if "@context" in element:
            plan = self.plan(active, active_property, keys, type_scoped, element["@context"])
        else:
            shape = (active_property, type_scoped, keys)
            found = active._nodes.get(shape)
            if found is None:
                found = self.plan(active, active_property, keys, type_scoped)
                if len(active._nodes) < _MAX_SHAPES:
                    active._nodes[shape] = found
            plan = found
        base, ordered, type_keys = plan
        if not type_keys:
            return self.entries(base, active_property, expanded_active, element, ordered, inside_list, None, base)
        types = tuple(tuple(t for t in (element[k] if isinstance(element[k], list) else [element[k]])
                            if isinstance(t, str)) for k in type_keys)
        typed = base._typed.get(types)
        if typed is None:
            typed = base
            for group in types:  # key by key, each key's types in order, as pyld applies them
                for type_ in sorted(group):
                    type_mapping = base.mappings.get(type_)
                    scoped = type_mapping.get("@context") if type_mapping else None
                    if scoped is not None and scoped is not False:
                        typed = self._cache.process(typed, scoped, self._budget, propagate=False)
            if len(base._typed) < _MAX_SHAPES:
                base._typed[types] = typed
        return self.entries(typed, active_property, expanded_active, element, ordered, inside_list, type_keys[0],
                            base)

    def plan(self, active: _Context, active_property: str | None, keys: tuple[str, ...],
             type_scoped: _Context | None, local: Any = _NO_CONTEXT) -> tuple[_Context, list[str], list[str]]:
        """pyld's context steps for a node: revert a type-scoped context, apply a property's, then its own ``local``.

        Returns the context its entries expand in (before type-scoped contexts),
        its keys in order, and those that expand to ``@type``.
        """
        mapping = active.mappings.get(active_property) if active_property is not None else None
        property_scoped = mapping.get("@context") if mapping else None
        if type_scoped is None and active.previous is not None:
            type_scoped = active
        must_revert = True
        if type_scoped is not None and len(keys) <= 2 and local is _NO_CONTEXT:
            for key in sorted(keys):
                expanded = type_scoped.vocab_iri(key)
                if expanded == "@value":
                    must_revert = False
                    active = type_scoped
                    break
                if expanded == "@id" and len(keys) == 1:
                    must_revert = False
                    break
        if must_revert and active.previous is not None:
            active = active.previous
        if property_scoped is not None:
            active = self._cache.process(active, property_scoped, self._budget, override_protected=True)
        if local is not _NO_CONTEXT:
            if isinstance(local, dict) and set(local) == {"@context"}:
                raise Unsupported("keyword redefinition")
            active = self._cache.process_inline(active, local, self._budget)
        ordered = sorted(keys)
        return active, ordered, [key for key in ordered if active.vocab_iri(key) == "@type"]

    def entries(self, active: _Context, active_property: str | None, expanded_active: str | None,
                element: dict[str, Any], keys: list[str], inside_list: bool, type_key: str | None,
                type_scoped: _Context) -> Any:
        if type_key is not None:
            first = element[type_key]
            first = first[0] if first and isinstance(first, list) else first
            if isinstance(first, str) and active.vocab_iri(first) == "@json":
                raise Unsupported("a JSON literal object")
        result: dict[str, Any] = {}
        for key in keys:
            if key == "@context":
                continue
            value = element[key]
            expanded_property, term, dependent = active.key(key)
            if dependent and value is not None:  # a null value is dropped: nothing is signed under that IRI
                self.issuer_dependent.add(key)
            if (term is not None and type(value) in _SCALARS and "@context" not in term and "@container" not in term
                    and expanded_property not in _KEYWORDS):
                # the common case, a plain value of a plain term: Value Expansion inline
                self._budget.tick()
                type_ = term.get("@type")
                if type_ == "@id" and type(value) is str:
                    expanded_value: Any = self.interned(("@id", self.iri(active, value)))
                elif type_ == "@vocab" and type(value) is str:
                    iri = active.vocab_iri(value)
                    if not _signable(iri):
                        raise Unsupported(f"relative IRI {value!r}")
                    expanded_value = self.interned(("@id", iri))
                elif type_ == "@json" or type(value) is float:
                    # a float is never shared: -0.0 == 0.0 (and nan != nan) would make a wrong or useless key
                    expanded_value = {"@value": value} if type_ in _UNTYPED else {"@type": type_, "@value": value}
                else:
                    expanded_value = self.interned((None if type_ in _UNTYPED else type_, type(value), value))
                result.setdefault(expanded_property, []).append(expanded_value)
                continue
            if expanded_property in _KEYWORDS:
                if expanded_property not in _NODE_KEYWORDS:
                    raise Unsupported(expanded_property)
                if expanded_property in result and expanded_property != "@type":
                    raise Unsupported("colliding keywords")
                if expanded_property == "@id":
                    if not isinstance(value, str):
                        raise Unsupported("@id that is not a string")
                    result["@id"] = self.iri(active, value)
                    continue
                if expanded_property == "@type":
                    self.types(type_scoped, value, result)
                    continue
                if expanded_property == "@value":
                    if isinstance(value, (dict, list)):
                        raise Unsupported("@value that is not a scalar")
                    result["@value"] = value
                    continue
                if expanded_property == "@language":
                    if value is None:
                        continue
                    if not isinstance(value, str):
                        raise Unsupported("@language that is not a string")
                    result["@language"] = value.lower()
                    continue
                if expanded_property == "@graph" and not isinstance(value, (dict, list)):
                    raise Unsupported("@graph that is not an object or array")
            if expanded_property in ("@list", "@set"):
                is_list = expanded_property == "@list"
                next_property = None if is_list and expanded_active == "@graph" else active_property
                expanded_value = self.element(active, next_property, value, is_list)
            else:
                term_context = active
                if term is not None and term.get("@context") is not None:
                    term_context = self._cache.process(active, term["@context"], self._budget,
                                                       override_protected=True)
                if term is not None and term.get("@type") == "@json":
                    expanded_value = {"@type": "@json", "@value": value}
                else:
                    expanded_value = self.element(term_context, key, value)
            if expanded_value is None:
                continue
            container = term.get("@container") if term is not None and expanded_property not in _KEYWORDS else None
            if container == ["@list"] and expanded_property != "@list" and not (
                    isinstance(expanded_value, dict) and "@list" in expanded_value):
                expanded_value = {"@list": expanded_value if isinstance(expanded_value, list) else [expanded_value]}
            if container == ["@graph"]:
                expanded_value = [{"@graph": [item]} for item in
                                  (expanded_value if isinstance(expanded_value, list) else [expanded_value])]
            if expanded_property in ("@value", "@language"):
                continue  # stored above
            values = expanded_value if isinstance(expanded_value, list) else [expanded_value]
            result.setdefault(expanded_property, []).extend(values)
        return self.finish(result, active_property, expanded_active, inside_list)

    def types(self, type_scoped: _Context, value: Any, result: dict[str, Any]) -> None:
        """``@type``: strings (one or an array) expanded with the context from before type-scoped contexts."""
        if value is None or isinstance(value, dict):
            raise Unsupported("@type that is null or an object")
        items = value if isinstance(value, list) else [value]
        if (items and isinstance(value, list)) or "@type" in result:
            # pyld keeps @type an array when it came as one, or twice (by an alias): a value object may not have one
            existing_type = result.get("@type")
            result["@type"] = existing_type if isinstance(existing_type, list) else [] if existing_type is None else [existing_type]
        for item in items:
            if not isinstance(item, str):
                raise Unsupported("@type that is not a string")
            iri = type_scoped.vocab_iri(item)
            if not _signable(iri):
                raise Unsupported(f"type {item!r} is not an IRI")
            if iri is not None and iri.startswith(ISSUER_DEPENDENT) and item not in type_scoped.mappings:
                self.issuer_dependent.add(item)
            existing = result.get("@type")
            if existing is None:
                result["@type"] = iri
            elif isinstance(existing, list):
                existing.append(iri)
            else:
                result["@type"] = [existing, iri]

    @staticmethod
    def finish(result: dict[str, Any], active_property: str | None, expanded_active: str | None,
               inside_list: bool) -> Any:
        """pyld's checks and clean-up of an expanded object (value objects, @type arrays, @set, free nodes)."""
        count = len(result)
        if "@value" in result:
            if not set(result) <= {"@value", "@type", "@language"}:
                raise Unsupported("an invalid value object")
            if "@type" in result and "@language" in result:
                raise Unsupported("a value object with both @type and @language")
            value_type = result.get("@type")
            if isinstance(value_type, list):
                raise Unsupported("a value object with several types")
            if value_type is not None and (value_type == "@json" or value_type.startswith("_:")):
                raise Unsupported("a value object typed @json or with a blank node")
            value = result["@value"]
            if value is None:
                raise Unsupported("a null @value")  # pyld drops it
            if "@language" in result and not isinstance(value, str):
                raise Unsupported("a language-tagged value that is not a string")
        elif "@type" in result:
            if not isinstance(result["@type"], list):
                result["@type"] = [result["@type"]]
        elif "@set" in result or "@list" in result:
            if count > 1:
                raise Unsupported("an invalid set or list object")
            if "@set" in result:
                return result["@set"]
        elif count == 1 and "@language" in result:
            raise Unsupported("an object with only @language")
        if (not inside_list and (active_property is None or expanded_active == "@graph")
                and (count == 0 or "@value" in result or "@list" in result or (count == 1 and "@id" in result))):
            raise Unsupported("a free-floating node")  # pyld drops it
        return result
