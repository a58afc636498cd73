"""What the trade builders share: request loading, normalisation, assembling the credential, request templates.

A request is read as the user wrote it: YAML dates stay strings (no naive datetimes), only ``true``/``false`` are
booleans (``NO``, Norway's country code, stays text), and every number keeps the text it was written as — so that
a field the type's schema wants as text (an HS code written ``7208.10``, which YAML reads as the number 7208.1, a
postal code written ``07029``) becomes exactly that text when the credential is assembled (:func:`finish_credential`).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from vctrade.errors import InvalidDocument, UnsupportedError
from vctrade.model._credentials import VC_V2_CONTEXT

__all__ = ["load_request", "finish_credential", "typed", "with_address", "request_template", "request_templates"]


class _WrittenInt(int):
    """An integer read from a request file, with the text it was written as."""

    written: str


class _WrittenFloat(float):
    """A number with a fraction read from a request file, with the text it was written as (``7208.10``)."""

    written: str


def _written(value: Any, text: str) -> Any:
    """``value`` (a number) remembering ``text``; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    number: _WrittenInt | _WrittenFloat = _WrittenInt(value) if isinstance(value, int) else _WrittenFloat(value)
    number.written = text
    return number


def _plain(node: Any) -> Any:
    """``node`` with every container copied and every remembered number a plain int or float again."""
    if isinstance(node, dict):
        return {name: _plain(value) for name, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, _WrittenInt):
        return int(node)
    if isinstance(node, _WrittenFloat):
        return float(node)
    return node


_YAML_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def _yaml_load(text: str, path: Path) -> Any:
    """YAML read as written: no implicit timestamps (dates stay the strings the user wrote, no naive datetimes),
    booleans only from true/false (YAML 1.2: ``NO`` and ``on`` stay text), numbers remembering their text."""
    import yaml  # only requests written in YAML need it

    class StringDatesLoader(yaml.SafeLoader):
        pass

    def resolvers(tag: str, regexp: Any) -> list[tuple[str, Any]]:
        if tag == "tag:yaml.org,2002:timestamp":
            return []
        return [(tag, _YAML_BOOL if tag == "tag:yaml.org,2002:bool" else regexp)]

    StringDatesLoader.yaml_implicit_resolvers = {
        key: [pair for tag, regexp in found for pair in resolvers(tag, regexp)]
        for key, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        constructed = (loader.construct_yaml_int(node) if node.tag == "tag:yaml.org,2002:int"
                       else loader.construct_yaml_float(node))
        return _written(constructed, str(node.value))

    StringDatesLoader.add_constructor("tag:yaml.org,2002:int", number)
    StringDatesLoader.add_constructor("tag:yaml.org,2002:float", number)
    try:
        return yaml.load(text, Loader=StringDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:  # one line: the problem and where, not PyYAML's multi-line excerpt
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidDocument(f"{path} is not valid YAML: {problem}{where}") from None


def load_request(path: str | Path) -> dict[str, Any]:
    """Read a credential request (YAML or JSON) into a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidDocument(f"request file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDocument(f"cannot read {path}: {exc}") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text, parse_int=lambda t: _written(int(t), t), parse_float=lambda t: _written(float(t), t))
        except ValueError as exc:
            raise InvalidDocument(f"{path} is not valid JSON: {exc}") from None
    else:
        data = _yaml_load(text, path)
    if not isinstance(data, dict):
        raise InvalidDocument(f"{path} must hold a mapping of fields, not a {type(data).__name__}")
    return data


def typed(value: Any, type_name: str) -> Any:
    """``value`` with a JSON-LD ``type`` added when it is an object without one."""
    if isinstance(value, dict) and "type" not in value:
        return {"type": type_name, **value}
    return value


def with_address(party: Any, type_name: str) -> Any:
    """A party (or list of parties) typed, with its address typed PostalAddress."""
    if isinstance(party, list):
        return [with_address(item, type_name) for item in party]
    if not isinstance(party, dict):
        return party
    party = typed(party, type_name)
    if "address" in party:
        party = {**party, "address": typed(party["address"], "PostalAddress")}
    return party


def finish_credential(
    request: dict[str, Any],
    *,
    types: list[str],
    subject: dict[str, Any],
    issuer: str,
    schema_id: str,
    context: str | list[str],
    name: str,
    credential_status: dict[str, Any] | list[dict[str, Any]] | None,
    allowed_top_level: set[str],
) -> dict[str, Any]:
    """Assemble the credential from a request whose top-level fields are all allowed (validated by the caller)."""
    unknown = sorted(set(request) - allowed_top_level)
    if unknown:
        raise InvalidDocument(f"unknown request field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed_top_level))})")
    import uuid  # only issuing makes ids: verifying a credential loads this module without needing it

    issuer_value: str | dict[str, Any] = issuer
    if request.get("issuerName"):
        issuer_value = {"id": issuer, "name": str(request["issuerName"])}
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, *([context] if isinstance(context, str) else context)],
        "id": request.get("id") or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", *types],
        "name": name,
        "issuer": issuer_value,
    }
    for field in ("validFrom", "validUntil"):
        if request.get(field) is not None:
            credential[field] = str(request[field])
    credential["credentialSubject"] = subject
    credential["credentialSchema"] = {"id": schema_id, "type": "JsonSchema"}
    if credential_status is not None:
        credential["credentialStatus"] = credential_status
    return _as_written(credential, schema_id)


def _as_written(credential: dict[str, Any], schema_id: str) -> dict[str, Any]:
    """The credential with plain numbers, except where its schema wants text and the request file wrote a number:
    there, the text as written (``hsCode: 7208.10`` unquoted in YAML is the HS code "7208.10", not 7208.1)."""
    from vctrade.trade._registry import trade_types  # the registry imports the types, which import this module

    plain: dict[str, Any] = _plain(credential)
    schema = next((t.schema for t in trade_types().values() if t.schema.id == schema_id), None)
    if schema is None or not schema.problems(plain):
        return plain
    for path in schema.text_given_as_number(credential):
        original: Any = credential
        target: Any = plain
        for part in path[:-1]:
            original, target = original[part], target[part]
        value = original[path[-1]]
        if isinstance(value, (_WrittenInt, _WrittenFloat)):
            target[path[-1]] = value.written
    return plain


_TEMPLATES = "templates"


def request_templates(trade_type: str) -> list[str]:
    """The names of the request templates shipped for ``trade_type`` (e.g. ``ctpat``, ``eu-aeo`` for ``aeo``)."""
    folder = resources.files("vctrade.trade") / _TEMPLATES / trade_type
    if not folder.is_dir():
        return []
    return sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def request_template(trade_type: str, name: str) -> str:
    """A commented request for ``trade_type`` to fill in (the template ``name``): YAML that ``vctrade issue`` reads.

    :class:`~vctrade.errors.UnsupportedError` naming the templates there are when there is no such one.
    """
    names = request_templates(trade_type)
    if name not in names:
        offered = f"its templates: {', '.join(names)}" if names else "it has no request templates"
        raise UnsupportedError(f"no request template {name!r} for {trade_type}; {offered}")
    return (resources.files("vctrade.trade") / _TEMPLATES / trade_type / f"{name}.yaml").read_text(encoding="utf-8")
