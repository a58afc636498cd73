"""Request bodies, read the same way by every router of the service: capped while streamed, one JSON object."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from vctrade.errors import RequestError, RequestTooLarge

__all__ = ["read_json_object"]


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The request's body as a JSON object, read up to ``limit`` bytes (every router of the service reads bodies so)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise RequestTooLarge(f"the body is over {limit} bytes")
    try:
        body = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer over Python's digit limit
        raise RequestError(f"the body is not valid JSON: {exc}", code="malformed_json") from None
    except RecursionError:
        raise RequestError("the body is nested too deeply", code="malformed_json") from None
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object")
    return body
