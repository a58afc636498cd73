"""An issuer's own layout: a credential's ``renderMethod`` template (``RenderTemplate2024``, as UNTP uses it).

A render method names an HTML template and its digest (``digestMultibase`` and/or ``digestSRI``); the template
is inside the render method (``template``: the HTML itself, UNTP's way) or referenced (``url``/``id``, or W3C's
``TemplateRenderMethod`` with a ``template`` object). vctrade **never fetches a template**: it uses one only when
it is inside the credential or given by the caller, and only when its digest matches — every digest the method
declares. A method without a digest is not used.

The template language is Jinja2, in its sandbox, over the credential: ``{{ credentialSubject.name }}`` (the same
spelling as the Handlebars/Mustache references UNTP templates use). The sandbox allows no call but a few harmless
methods, a small set of filters, no string repetition or formatting, at most 256 KiB of template, 1 MiB of output
and one second of work. Its output is then sanitized with nh3 (ammonia): no script, no style element, no event
handler, no form, no frame; a ``src`` only as a ``data:image/…`` URL, an ``href`` only as a ``#fragment``; inline
``style`` limited to typography, colours, spacing and borders (no ``position``, no ``url(…)``), so an issuer's
layout can neither load anything nor cover the verdict vctrade prints around it.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from vctrade.errors import InputError

__all__ = ["RenderMethod", "TemplateOutcome", "render_methods", "apply_render_method", "sanitize",
           "digest_of", "TEMPLATE_LIMIT", "OUTPUT_LIMIT", "DEADLINE_SECONDS"]

TEMPLATE_LIMIT = 256 * 1024
OUTPUT_LIMIT = 1024 * 1024
DEADLINE_SECONDS = 1.0
_TYPES = ("RenderTemplate2024", "TemplateRenderMethod")
_HTML = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class RenderMethod:
    """One HTML render method of a credential."""

    index: int
    name: str
    reference: str | None
    inline: str | None
    media_type: str
    digests: tuple[tuple[str, bytes], ...]
    problem: str | None = None

    @property
    def label(self) -> str:
        return f"renderMethod[{self.index}]" + (f" “{self.name}”" if self.name else "")

    def matches(self, data: bytes) -> bool:
        """Whether ``data`` has every digest this method declares (and it declares at least one)."""
        return bool(self.digests) and all(hashlib.new(name, data).digest() == digest for name, digest in self.digests)


@dataclass(frozen=True)
class TemplateOutcome:
    """What became of a document's render methods: the issuer's layout (sanitized HTML), notes for the reader."""

    html: str | None = None
    used: RenderMethod | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    given_matched: bool = False


def _types(value: dict[str, Any]) -> list[str]:
    found = value.get("type", value.get("@type"))
    return [t for t in (found if isinstance(found, list) else [found]) if isinstance(t, str)]


def render_methods(document: dict[str, Any]) -> list[RenderMethod]:
    """The document's ``RenderTemplate2024`` (and ``TemplateRenderMethod``) entries."""
    from vctrade.verification._related import _multibase_digest, _sri_digests

    found = document.get("renderMethod")
    entries = found if isinstance(found, list) else [found] if found is not None else []
    methods = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not set(_types(entry)) & set(_TYPES):
            continue
        template = entry.get("template")
        if isinstance(template, dict):  # W3C's TemplateRenderMethod: the template object holds its id and digest
            holder, inline, reference = template, None, template.get("id") or template.get("url")
        elif isinstance(template, str) and template.startswith(("https://", "http://")) and " " not in template:
            holder, inline, reference = entry, None, template
        else:  # UNTP: the HTML itself in `template`, or a reference in `url` / `id`
            holder, inline = entry, template if isinstance(template, str) else None
            reference = entry.get("url") or entry.get("id")
        digests: list[tuple[str, bytes]] = []
        problem = None
        for name in ("digestSRI", "digestMultibase"):
            value = holder.get(name)
            if value is None:
                continue
            try:
                if not isinstance(value, str):
                    raise ValueError("it is not a string")
                digests += _sri_digests(value) if name == "digestSRI" else [_multibase_digest(value)]
            except ValueError as exc:
                problem = f"its {name} is not a digest ({exc})"
        media = holder.get("mediaType", entry.get("mediaType", "text/html"))
        methods.append(RenderMethod(index, str(entry.get("name") or ""), reference if isinstance(reference, str) else None,
                                    inline, media if isinstance(media, str) else "?", tuple(digests), problem))
    return methods


def digest_of(data: bytes) -> str:
    """The sha-256 of ``data`` as SRI (``sha256-…``), for messages."""
    import base64

    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode()


def apply_render_method(document: dict[str, Any], given: bytes | None, *, usable: bool) -> TemplateOutcome:
    """The issuer's layout for ``document``, if one of its render methods can be used, and what the reader is told.

    ``given`` is a template the caller holds (used for the method whose digest it matches); ``usable`` is False
    when the credential is not verified (failed or undecided: its template is then not used, the standard layout
    shows the content, so that nothing the issuer drew can be taken for a verdict).
    """
    methods = render_methods(document)
    if not methods:
        return TemplateOutcome()
    notes: list[str] = []
    warnings: list[str] = []
    chosen: tuple[RenderMethod, bytes] | None = None
    given_matched = False
    for method in methods:
        if method.problem:
            warnings.append(f"{method.label}: {method.problem}; it is not used")
            continue
        if method.media_type not in _HTML:
            notes.append(f"{method.label} is a {method.media_type} template; vctrade renders HTML templates only")
            continue
        if not method.digests:
            notes.append(f"{method.label} declares no digest (digestMultibase or digestSRI), so its template is not used")
            continue
        if given is not None and method.matches(given):
            given_matched = True
            chosen = chosen or (method, given)
        elif method.inline is not None:
            data = method.inline.encode("utf-8")
            if method.matches(data):
                chosen = chosen or (method, data)
            else:
                warnings.append(f"{method.label}: the template it carries does not match its digest; it is not used")
        elif given is None:
            where = f" {method.reference[:200]}" if method.reference else ""
            notes.append(f"{method.label} names the template{where}; vctrade never fetches templates: "
                         "it is used when its file is given with the credential")
    if chosen is None:
        return TemplateOutcome(notes=tuple(notes), warnings=tuple(warnings), given_matched=given_matched)
    method, data = chosen
    if not usable:
        notes.append(f"{method.label}: the issuer's layout is not used because the credential is not verified; "
                     "the standard layout shows its content")
        return TemplateOutcome(notes=tuple(notes), warnings=tuple(warnings), given_matched=given_matched)
    try:
        html = sanitize(_render(data, document))
    except TemplateProblem as exc:
        warnings.append(f"{method.label}: the issuer's template cannot be used ({exc}); the standard layout is shown")
        return TemplateOutcome(notes=tuple(notes), warnings=tuple(warnings), given_matched=given_matched)
    return TemplateOutcome(html, method, tuple(notes), tuple(warnings), given_matched)


# -- the sandbox ----------------------------------------------------------------------------------------------------


class TemplateProblem(InputError):
    """A template that is not valid, or that asks for what the sandbox does not allow."""


_SAFE_METHODS = {
    dict: {"items", "keys", "values", "get"},
    str: {"upper", "lower", "title", "capitalize", "strip", "startswith", "endswith"},
}
_FILTERS = ("default", "d", "e", "escape", "upper", "lower", "title", "capitalize", "length", "count", "first",
            "last", "join", "trim", "round", "int", "float", "string", "abs", "min", "max", "sum", "sort", "unique",
            "list", "dictsort", "reverse", "truncate", "striptags", "batch", "slice", "selectattr", "rejectattr",
            "map", "attr", "select", "reject")
_BINOPS = frozenset({"*", "**", "%", "//", "/", "+"})
_LIMIT_NUMBER = 10**12


def _sandbox() -> Any:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = _BINOPS

        def is_safe_callable(self, obj: Any) -> bool:
            owner = getattr(obj, "__self__", None)
            name = getattr(obj, "__name__", "")
            return any(isinstance(owner, kind) and name in names for kind, names in _SAFE_METHODS.items())

        def getattr(self, obj: Any, attribute: str) -> Any:
            if isinstance(obj, dict) and attribute in obj:  # data first: `{{ lines.items }}` means the field
                return obj[attribute]
            return super().getattr(obj, attribute)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (left, right))
            if operator != "+" and not numbers:
                raise SecurityError(f"the operator {operator} is allowed on numbers only")
            if operator == "+" and not numbers and not all(isinstance(x, str) for x in (left, right)):
                raise SecurityError("+ adds numbers or joins text")
            if numbers and (operator == "**" and abs(right) > 64 or any(abs(x) > _LIMIT_NUMBER for x in (left, right))):
                raise SecurityError("the number is too large")
            return super().call_binop(context, operator, left, right)

    environment = Sandbox(autoescape=True, auto_reload=False, cache_size=0)
    environment.globals.clear()
    environment.filters = {name: environment.filters[name] for name in _FILTERS if name in environment.filters}
    return environment


class _Deadline(Exception):
    pass


def _render(data: bytes, document: dict[str, Any]) -> str:
    """The template rendered over ``document`` in the sandbox, within its size and time limits."""
    from jinja2 import TemplateError

    if len(data) > TEMPLATE_LIMIT:
        raise TemplateProblem(f"the template is {len(data):,} bytes, more than {TEMPLATE_LIMIT:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateProblem("the template is not UTF-8 text") from None
    environment = _sandbox()
    try:
        template = environment.from_string(text)
    except TemplateError as exc:
        raise TemplateProblem(f"the template is not valid: {exc}") from None
    pieces: list[str] = []
    size = 0
    try:
        with _deadline(DEADLINE_SECONDS):
            for piece in template.generate(**{k: v for k, v in document.items() if isinstance(k, str)}):
                size += len(piece)
                if size > OUTPUT_LIMIT:
                    raise TemplateProblem(f"the template's output exceeds {OUTPUT_LIMIT:,} characters")
                pieces.append(piece)
    except _Deadline:
        raise TemplateProblem(f"the template took more than {DEADLINE_SECONDS:g} s") from None
    except TemplateProblem:
        raise
    except (TemplateError, RecursionError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateProblem(f"the template failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    return "".join(pieces)


class _deadline:
    """Stop the template code running in this thread after ``seconds`` (checked on every line and loop turn)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.previous: Any = None

    def __enter__(self) -> None:
        end = time.monotonic() + self.seconds

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if time.monotonic() > end:
                raise _Deadline
            return local

        def tracer(frame: FrameType, event: str, arg: Any) -> Any:
            if time.monotonic() > end:
                raise _Deadline
            return local if frame.f_code.co_filename == "<template>" else None

        self.previous = sys.gettrace()
        sys.settrace(tracer)

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self.previous)


# -- sanitizing -----------------------------------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "data", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "data": {"value"},
}
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-weight", "font-style", "font-variant",
    "text-align", "text-decoration", "text-transform", "text-indent", "line-height", "letter-spacing",
    "word-spacing", "white-space", "vertical-align", "margin", "margin-top", "margin-right", "margin-bottom",
    "margin-left", "padding", "padding-top", "padding-right", "padding-bottom", "padding-left", "border",
    "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style", "border-width",
    "border-radius", "border-collapse", "border-spacing", "width", "min-width", "max-width", "height",
    "min-height", "max-height", "display", "list-style-type", "caption-side", "table-layout",
}
_IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/webp;", "data:image/svg+xml")
_STYLE_DENIED = ("url(", "expression(", "@import", "\\", "image-set(", "image(", "var(")


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """Keep an attribute only when it can load nothing: images as data URLs, links to fragments, plain styles."""
    if attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_DATA) else None
    if attribute == "href":
        return value if value.strip().startswith("#") else None
    if attribute == "style":
        lowered = value.lower()
        return None if any(denied in lowered for denied in _STYLE_DENIED) else value
    return value


def sanitize(html: str) -> str:
    """``html`` reduced to inert markup (see the module's description)."""
    import nh3

    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "title"},
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes={"data"},
        filter_style_properties=_STYLE_PROPERTIES,
        strip_comments=True,
        link_rel=None,
    )

