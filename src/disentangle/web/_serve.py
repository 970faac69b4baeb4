"""Serving the app from several processes: uvicorn's supervisor, with TCP_NODELAY on every connection."""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

FACTORY = "disentangle.web._app:app_from_environment"


class _TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        # uvicorn makes its shared listening socket with protocol 0, and asyncio sets TCP_NODELAY only on
        # connections accepted from a socket that says IPPROTO_TCP: without it every small response waits
        # for the client's delayed ACK (~40 ms, measured by bench/web_load.py before this fix).
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock


def serve_workers(host: str, port: int, workers: int) -> None:
    """Run `workers` processes on one port; each builds its app with `app_from_environment`."""
    config = _TcpConfig(FACTORY, factory=True, host=host, port=port, workers=workers, log_level="warning")
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
