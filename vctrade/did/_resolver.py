"""DID resolution: one protocol for every DID method, dispatched by method name.

A DID method is a small object with a ``name`` (``"key"``, ``"web"``, …) and a
``resolve(did)`` that returns a :class:`DIDDocument` or raises
:class:`~vctrade.errors.InvalidDID` (the DID is malformed),
:class:`~vctrade.errors.ResolutionError` (it could not be resolved now).
Adding a method is adding one module that registers itself in :data:`DID_METHODS`;
a bundled one (``vctrade/did/_methods/``) also gets its line in ``BUNDLED``, and is
imported the first time a DID of its method is resolved (did:key never loads HTTPS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from vctrade._plugins import LazyRegistry
from vctrade.did._document import DIDDocument, VerificationMethod, split_did_url
from vctrade.errors import InvalidDID, UnsupportedError

__all__ = ["DIDMethod", "DIDResolver", "DID_METHODS", "BUNDLED", "MethodsWith", "register_method", "default_resolver"]


@runtime_checkable
class DIDMethod(Protocol):
    """What a DID method implements."""

    name: str

    def resolve(self, did: str) -> DIDDocument:
        """Resolve ``did`` (no fragment) to its DID document."""
        ...


# method name -> the module that registers it
BUNDLED = {
    "jwk": "vctrade.did._methods.jwk",
    "key": "vctrade.did._methods.key",
    "web": "vctrade.did._methods.web",
}
DID_METHODS: LazyRegistry[DIDMethod] = LazyRegistry(BUNDLED)


def register_method(method: DIDMethod) -> DIDMethod:
    """Register ``method`` for the default resolver, under its ``name``."""
    DID_METHODS[method.name] = method
    return method


def method_name(did: str) -> str:
    """The method part of ``did`` (``"key"`` for ``did:key:z…``)."""
    parts = did.split(":", 2)
    if len(parts) < 3 or parts[0] != "did" or not parts[1] or not parts[2]:
        raise InvalidDID(f"not a DID: {did[:80]!r}")
    return parts[1]


def _not_listed(did_url: str, did: str) -> InvalidDID:
    # Said plainly: after a rotation this is why an older credential fails, and it must not read like tampering.
    return InvalidDID(f"{did_url} is not a verification method in the DID document of {did}: the key is not "
                      "listed there (removed from the document, or never published in it)", code="method_not_listed")


class DIDResolver:
    """Resolves DIDs and dereferences verification methods through registered methods."""

    def __init__(self, methods: Mapping[str, DIDMethod] | None = None) -> None:
        # Kept as given (not copied): copying a lazy registry would import every method.
        self.methods: Mapping[str, DIDMethod] = DID_METHODS if methods is None else methods

    def resolve(self, did: str) -> DIDDocument:
        """Resolve ``did`` (a fragment, if any, is ignored) to its DID document."""
        did, _ = split_did_url(did)
        name = method_name(did)
        method = self.methods.get(name)
        if method is None:
            known = ", ".join(f"did:{m}" for m in sorted(self.methods)) or "none"
            raise UnsupportedError(f"DID method did:{name} is not supported (supported: {known})")
        return method.resolve(did)

    def dereference(self, did_url: str) -> tuple[DIDDocument, VerificationMethod]:
        """The DID document and the verification method ``did_url`` names in it."""
        did, _ = split_did_url(did_url)
        document = self.resolve(did)
        if document.id != did:
            raise InvalidDID(f"resolved document id {document.id!r} does not match {did!r}")
        method = document.verification_method(did_url)
        if method is None:
            raise _not_listed(did_url, did)
        return document, method


class StaticResolver(DIDResolver):
    """A resolver that serves given controller documents first, then falls back to DID methods.

    For verifying offline against known documents, and for controllers that
    are not DIDs (a controller document at an https URL, as in older VCs).
    """

    def __init__(self, documents: list[dict[str, Any]], methods: Mapping[str, DIDMethod] | None = None) -> None:
        super().__init__(methods)
        self.documents = {doc.id: doc for doc in (DIDDocument(d) for d in documents)}

    def resolve(self, did: str) -> DIDDocument:
        """The given document for ``did``, else the registered method's resolution."""
        base = did.split("#", 1)[0]
        if base in self.documents:
            return self.documents[base]
        return super().resolve(did)

    def dereference(self, did_url: str) -> tuple[DIDDocument, VerificationMethod]:
        """Dereference within a given document when its id matches, else through the DID method."""
        base = did_url.split("#", 1)[0]
        document = self.documents.get(base)
        if document is None:
            return super().dereference(did_url)
        method = document.verification_method(did_url)
        if method is None:
            raise _not_listed(did_url, base)
        return document, method


class MethodsWith(Mapping[str, DIDMethod]):
    """``base``, except the methods ``made`` names, each made on first use (e.g. did:web with a fetch policy)."""

    def __init__(self, base: Mapping[str, DIDMethod], made: Mapping[str, Callable[[], DIDMethod]]) -> None:
        self._base = base
        self._make = dict(made)
        self._made: dict[str, DIDMethod] = {}

    def __getitem__(self, name: str) -> DIDMethod:
        if name not in self._make:
            return self._base[name]
        made = self._made.get(name)
        if made is None:  # two threads may both make one; both get the first stored
            made = self._made.setdefault(name, self._make[name]())
        return made

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._base), **dict.fromkeys(self._make)})

    def __len__(self) -> int:
        return sum(1 for _ in self)


def default_resolver() -> DIDResolver:
    """A resolver over every registered DID method."""
    return DIDResolver()
