"""Running the service under uvicorn, with the connection limits the app itself cannot see.

uvicorn gives a connection unlimited time to send a request's headers (its
keep-alive timer stops at the first byte), so clients that open connections and
never finish a request would keep them forever. Here each request's headers
must arrive within ``header_timeout_seconds`` of the connection opening (or of
the previous response on a kept-alive connection); a connection that has sent
part of a request by then gets ``408 Request Timeout`` and is closed, an idle
one is closed quietly.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from vctrade.service._app import create_app
from vctrade.service._config import ServiceConfig

if TYPE_CHECKING:  # uvicorn is imported when the service starts, not when vctrade does
    import uvicorn

__all__ = ["server_config", "serve"]

_TOO_LATE = b"the request headers came too late"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(_TOO_LATE), _TOO_LATE))


def _header_deadline_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive within ``header_timeout``."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderDeadlineProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request's headers are in (or it was refused)
                self._stop_waiting()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self._await_headers()  # the next request on a kept-alive connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._stop_waiting()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_late)

        def _stop_waiting(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
                return
            if self.conn.trailing_data[0]:  # part of a request came: say why it is dropped
                self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    return HeaderDeadlineProtocol


def server_config(config: ServiceConfig, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration serving ``config`` on its host and port; ``options`` override uvicorn settings."""
    import uvicorn

    settings: dict[str, Any] = {"host": config.host, "port": config.port, "log_level": "warning",
                                "http": _header_deadline_protocol(config.header_timeout_seconds)}
    return uvicorn.Config(create_app(config), **(settings | options))


def serve(config: ServiceConfig, *, host: str | None = None, port: int | None = None) -> None:
    """Serve ``config`` until interrupted (``host``/``port`` override the configuration's)."""
    import uvicorn

    uvicorn.Server(server_config(config, host=host or config.host, port=port or config.port)).run()
