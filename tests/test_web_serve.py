"""`disentangle serve --workers N`: several processes on one port, each connection with TCP_NODELAY."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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


def _start(registry: Workspace, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISENTANGLE_")}
    command = [sys.executable, "-m", "disentangle", "--workspace", str(registry.home), "serve"]
    server = subprocess.Popen([*command, "--port", str(port), *extra], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/style.css", timeout=5)
            return server
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)


def test_slow_clients_cannot_starve_the_server(registry: Workspace) -> None:
    """Many connections that send their headers a byte at a time: the server keeps answering others,
    closes each slow one when its header deadline passes, and holds no more than its connection cap."""
    port = _free_port()
    server = _start(registry, port, "--header-timeout", "2", "--max-connections", "50")
    slow: list[socket.socket] = []
    try:
        for _ in range(150):  # three times the cap
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(connection)
        started = time.monotonic()
        answer = httpx.get(f"http://127.0.0.1:{port}/static/style.css", timeout=10)
        assert answer.status_code == 200
        assert time.monotonic() - started < 3, "a normal request is answered while slow ones wait"
        time.sleep(3)  # past the header deadline
        closed = 0
        for connection in slow:
            connection.settimeout(2)
            try:
                connection.sendall(b"a")
                closed += connection.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == len(slow), f"{len(slow) - closed} slow connections were still open"
    finally:
        for connection in slow:
            connection.close()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def test_serve_needs_both_halves_of_a_certificate(tmp_path: Path) -> None:
    certificate = tmp_path / "cert.pem"
    certificate.write_text("not really")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "disentangle", "--workspace", str(tmp_path / "w"), "serve"),
            *("--ssl-certfile", str(certificate)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: give both --ssl-certfile and --ssl-keyfile, or neither"


def test_serve_speaks_tls_with_a_certificate(registry: Workspace, tmp_path: Path) -> None:
    made = subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ),
            *("-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")),
        ],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("openssl could not make a test certificate")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISENTANGLE_")}
    command = [sys.executable, "-m", "disentangle", "--workspace", str(registry.home), "serve"]
    server = subprocess.Popen(
        [
            *(*command, "--port", str(port), "--ssl-certfile", str(tmp_path / "cert.pem")),
            *("--ssl-keyfile", str(tmp_path / "key.pem")),
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/static/style.css", timeout=5, verify=False)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"no TLS server: {server.stderr.read() if server.stderr else ''}")
                time.sleep(0.2)
        assert answer.status_code == 200
        assert answer.url.scheme == "https"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
