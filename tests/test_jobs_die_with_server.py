"""Jobs die with their server (issue 18): SIGTERM or kill -9 of `serve` during an upload job leaves no
worker process (nor the Tesseract it started) and no upload copy behind; a job can be cancelled."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from disentangle.cli import main
from disentangle.workspace import Workspace

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc (Linux)")


def slow_scan(frames: int = 3) -> bytes:
    """A TIFF of noisy pages covered in small glyphs: Tesseract needs seconds for each page."""
    rng = random.Random(7)
    pages = []
    for _ in range(frames):
        page = Image.new("L", (2400, 3200), 255)
        draw = ImageDraw.Draw(page)
        for _ in range(6000):
            x, y = rng.randrange(2400), rng.randrange(3200)
            draw.text((x, y), rng.choice("abcdefghijklmnopqrstuvwxyz0123456789"), fill=rng.randrange(80))
        pages.append(page)
    buffer = BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:], dpi=(300, 300))
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited; only its entry is left


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def descendants(root: int) -> set[int]:
    found: set[int] = set()
    frontier = {root}
    while frontier:
        children = {
            int(entry.name)
            for entry in Path("/proc").glob("[0-9]*")
            if _parent_of(int(entry.name)) in frontier
        }
        frontier = children - found
        found |= children
    return found


@pytest.fixture()
def served(
    registry_copy: Callable[[str], Workspace],
) -> Iterator[tuple[Workspace, subprocess.Popen[bytes], str]]:
    workspace = registry_copy("served")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISENTANGLE_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "disentangle",
            "--workspace",
            str(workspace.home),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/static/style.css", timeout=5)
            break
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
    try:
        yield workspace, server, base
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)


def start_reading(base: str, files: list[tuple[str, bytes]]) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/documents/upload")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/documents/upload",
        data={"csrf_token": token.group(1)},
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
    )
    assert response.status_code == 303, response.text
    return client, response.headers["location"].rsplit("/", 1)[1]


def wait_for_tesseract(server: int, seconds: float = 120) -> set[int]:
    """The server's descendants once a Tesseract process is among them (the job is deep in its work)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = descendants(server)
        if any("tesseract" in _command(pid) for pid in found):
            return found
        time.sleep(0.2)
    pytest.fail("no Tesseract process started under the server")


def upload_copies(home: Path) -> list[Path]:
    return [p for p in (home / "uploads").rglob("*") if p.is_file()] if (home / "uploads").exists() else []


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_stopping_serve_mid_upload_leaves_no_worker_and_no_upload_copy(
    served: tuple[Workspace, subprocess.Popen[bytes], str], how: signal.Signals
) -> None:
    workspace, server, base = served
    start_reading(base, [("scan-a.tif", slow_scan()), ("scan-b.tif", slow_scan(2))])
    processes = wait_for_tesseract(server.pid)
    assert upload_copies(workspace.home), "the upload copies wait in the workspace while the job runs"
    server.send_signal(how)
    server.wait(timeout=60)
    deadline = time.monotonic() + 20  # a bound on the wait, not a speed test
    while time.monotonic() < deadline and any(_alive(pid) for pid in processes):
        time.sleep(0.2)
    left = {pid: _command(pid) for pid in processes if _alive(pid)}
    assert not left, f"still running after the server stopped: {left}"
    while time.monotonic() < deadline and upload_copies(workspace.home):
        time.sleep(0.2)
    assert upload_copies(workspace.home) == []
    assert not any((workspace.documents.root / "tmp").glob("*")), "no half-written file is left"


def test_a_job_is_cancelled_from_the_web_and_stops_its_workers(
    served: tuple[Workspace, subprocess.Popen[bytes], str],
) -> None:
    workspace, server, base = served
    client, job_id = start_reading(base, [("scan.tif", slow_scan()), ("note.txt", b"a short council note\n")])
    processes = wait_for_tesseract(server.pid)
    page = client.get(f"/jobs/{job_id}")
    assert "Stop reading" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    stopped = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token.group(1)})
    assert stopped.status_code == 303
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and client.get(f"/api/jobs/{job_id}").json()["status"] == "running":
        time.sleep(0.2)
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "cancelled"
    assert job["done"] == job["total"] == 2
    scan = next(f for f in job["files"] if f["name"] == "scan.tif")
    assert scan["state"] == "failed" and scan["error"] == "not read: the job was cancelled"
    note = next(f for f in job["files"] if f["name"] == "note.txt")  # read beside the scan, or stopped
    assert note["state"] == "stored" or note["error"] == "not read: the job was cancelled"
    assert not any(_alive(pid) and "tesseract" in _command(pid) for pid in processes)
    assert upload_copies(workspace.home) == []
    assert server.poll() is None, "the server goes on"


def test_a_job_is_cancelled_from_the_command_line(registry_copy: Callable[[str], Workspace]) -> None:
    workspace = registry_copy("cancel-cli")
    folder = workspace.upload_folder()
    (folder / "0000.upload").write_bytes(b"a short council note\n")
    job = workspace.start_ingest_job([("note.txt", folder / "0000.upload")])
    result = CliRunner().invoke(main, ["--workspace", str(workspace.home), "job", "cancel", job["id"]])
    assert result.exit_code == 0, result.output
    assert "cancel" in result.output
    done = workspace.run_ingest_job(job["id"])
    assert done["status"] == "cancelled"
    assert done["files"][0]["error"] == "not read: the job was cancelled"
    again = CliRunner().invoke(main, ["--workspace", str(workspace.home), "job", "cancel", job["id"]])
    assert again.exit_code == 1
    assert "already finished" in again.output
