"""``vctrade serve``: the W3C VC API over FastAPI — a thin shell over the library."""

from __future__ import annotations

from vctrade.service._app import create_app, http_status
from vctrade.service._config import IssuerConfig, ServiceConfig
from vctrade.service._server import serve, server_config

__all__ = ["IssuerConfig", "ServiceConfig", "create_app", "http_status", "serve", "server_config"]
