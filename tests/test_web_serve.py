"""`disentangle serve --workers N`: several processes on one port, each connection with TCP_NODELAY."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from disentangle.web._serve import FACTORY, _TcpConfig
from disentangle.workspace import Workspace


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_shared_socket_says_tcp_so_accepted_connections_get_nodelay() -> None:
    config = _TcpConfig(FACTORY, factory=True, host="127.0.0.1", port=0, workers=2)
    listening = config.bind_socket()
    try:
        assert listening.proto == socket.IPPROTO_TCP
        listening.listen()
        client = socket.create_connection(listening.getsockname()[:2])
        accepted, _ = listening.accept()
        # What asyncio's transport does to every accepted socket whose protocol is TCP:
        import asyncio.base_events as base_events

        base_events._set_nodelay(accepted)  # type: ignore[attr-defined]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        accepted.close()
        client.close()
    finally:
        listening.close()


def test_two_workers_serve_the_registry_and_stop_on_interrupt(registry: Workspace) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISENTANGLE_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "disentangle",
            "--workspace",
            str(registry.home),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/place/48167", timeout=5)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
                time.sleep(0.2)
        assert answer.status_code == 200
        assert "Galveston County" in answer.text
        api = httpx.get(f"http://127.0.0.1:{port}/api/place/48167", timeout=5).json()
        assert api["jurisdiction"]["fips"] == "48167"
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=30)
    assert code == 0
    assert b"Traceback" not in (server.stderr.read() if server.stderr else b"")
