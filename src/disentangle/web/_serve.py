"""Serving the app: uvicorn with bounded connections, header-read timeouts, TLS or a trusted proxy.

uvicorn waits forever for a request's headers and accepts connections until the process runs out of file
descriptors, so a few hundred slow clients could starve it (measured: 1,100 slow connections, 40 s without
an answer). Each connection here must finish its request line and headers within `header_seconds`, and
when more than `max_connections` are open the one that has waited longest for its headers is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

FACTORY = "disentangle.web._app:app_from_environment"
HEADER_SECONDS = 10.0  # a request line and its headers must arrive within this
KEEP_ALIVE_SECONDS = 5.0  # an idle kept-alive connection is closed after this
MAX_CONNECTIONS = 400  # open connections per worker process (well under the common 1,024-descriptor limit)
MAX_HEADER_BYTES = 64 * 1024  # h11's limit for a request line and headers
CONCURRENT_REQUESTS = 200  # requests in flight per worker; more get 503 at once instead of queueing


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How `disentangle serve` listens."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    forwarded_allow_ips: str | None = None  # the reverse proxies trusted for X-Forwarded-For/-Proto
    header_seconds: float = HEADER_SECONDS
    max_connections: int = MAX_CONNECTIONS

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers and a cap on open connections."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.header_seconds = float(getattr(self.config, "header_seconds", HEADER_SECONDS))
        self.max_connections = int(getattr(self.config, "max_connections", MAX_CONNECTIONS))
        self._waiting_since: float | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._await_headers()
        if len(self.connections) > self.max_connections:
            self._evict()

    def _await_headers(self) -> None:
        self._cancel_header_timer()
        self._waiting_since = time.monotonic()
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if getattr(self, "_header_timer", None) is not None:
            assert self._header_timer is not None
            self._header_timer.cancel()
            self._header_timer = None
        self._waiting_since = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _evict(self) -> None:
        """Close the connection that has waited longest for its headers (this new one when none has)."""
        waiting = [
            c for c in self.connections if isinstance(c, BoundedH11Protocol) and c._waiting_since is not None
        ]
        oldest = min(waiting, key=lambda c: c._waiting_since or 0.0, default=self)
        oldest.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_since is not None and self.conn.their_state is not h11.IDLE:
            self._cancel_header_timer()  # the request line and headers are in: the app has it now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()  # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


class _TcpConfig(uvicorn.Config):
    # Read by BoundedH11Protocol; set after construction (uvicorn.Config takes no extra arguments).
    header_seconds: float = HEADER_SECONDS
    max_connections: int = MAX_CONNECTIONS

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        # uvicorn makes its shared listening socket with protocol 0, and asyncio sets TCP_NODELAY only on
        # connections accepted from a socket that says IPPROTO_TCP: without it every small response waits
        # for the client's delayed ACK (~40 ms, measured by bench/web_load.py before this fix).
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock


def config(app: Any, options: ServeOptions, **extra: Any) -> uvicorn.Config:
    """uvicorn's settings for these options; `app` is the app or the factory's import string."""
    proxied = options.forwarded_allow_ips is not None
    settings = _TcpConfig(
        app,
        host=options.host,
        port=options.port,
        workers=options.workers,
        log_level="warning",
        http=BoundedH11Protocol,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_keep_alive=int(KEEP_ALIVE_SECONDS),
        limit_concurrency=CONCURRENT_REQUESTS,
        # Without a trusted proxy, X-Forwarded-* are ignored: a client cannot claim another address.
        proxy_headers=proxied,
        forwarded_allow_ips=options.forwarded_allow_ips if proxied else "",
        ssl_certfile=options.ssl_certfile,
        ssl_keyfile=options.ssl_keyfile,
        server_header=False,
        **extra,
    )
    settings.header_seconds = options.header_seconds
    settings.max_connections = options.max_connections
    return settings


def raise_descriptor_limit() -> None:
    """Use the hard limit of open files, so the connection cap, not the descriptor limit, binds first."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def serve_app(app: Any, options: ServeOptions) -> None:
    """One process serving `app`."""
    raise_descriptor_limit()
    server = uvicorn.Server(config(app, options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


def serve_workers(options: ServeOptions) -> None:
    """Run `options.workers` processes on one port; each builds its app with `app_from_environment`."""
    raise_descriptor_limit()
    settings = config(FACTORY, options, factory=True)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(settings, sockets=[settings.bind_socket()]).run()
