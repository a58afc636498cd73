"""The service's access log: one line per request on stderr — who asked what, the answer's status, how long.

    2026-11-28T20:15:39Z 127.0.0.1 "POST /credentials/verify" 422 12.4ms

Never a body, a header or a query string: those carry credentials, bearer tokens, client secrets and, from a QR
link, a whole credential (``/verify?t=…``); the path alone says which endpoint was asked. The lines go to the
``vctrade.access`` logger; a program that configured that logger itself keeps its own handlers.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from fastapi import FastAPI, Request

__all__ = ["ACCESS_LOG", "install_access_log"]

ACCESS_LOG = logging.getLogger("vctrade.access")


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to whatever ``sys.stderr`` is when a line is written (a test may have replaced it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _configure() -> None:
    if ACCESS_LOG.handlers:
        return
    handler = _Stderr()
    formatter = logging.Formatter("%(asctime)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.setLevel(logging.INFO)
    ACCESS_LOG.propagate = False


def install_access_log(app: FastAPI) -> None:
    """Log every request ``app`` answers (add it last: the outermost middleware sees every answer, a 413 too)."""
    _configure()

    @app.middleware("http")
    async def access_log(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        status = 500  # what the client gets when the application raised
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            client = request.client.host if request.client else "-"
            elapsed = (time.perf_counter() - started) * 1000
            ACCESS_LOG.info('%s "%s %s" %d %.1fms', client, request.method, _path(request), status, elapsed)


def _path(request: Request) -> str:
    """The path as the client sent it (percent-encoded, no query string), unprintable characters escaped: a path
    never forges a log line."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    path = path.split("?", 1)[0]
    return "".join(c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}" for c in path)[:512]
