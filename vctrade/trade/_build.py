"""What the trade builders share: request loading, normalisation, assembling the credential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vctrade.errors import InvalidDocument
from vctrade.model._credentials import VC_V2_CONTEXT

__all__ = ["load_request", "finish_credential", "typed", "with_address"]


def _yaml_load(text: str, path: Path) -> Any:
    """YAML without implicit timestamps: dates stay the strings the user wrote (no naive datetimes)."""
    import yaml  # only requests written in YAML need it

    class StringDatesLoader(yaml.SafeLoader):
        pass

    StringDatesLoader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
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
            data = json.loads(text)
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
    return credential
