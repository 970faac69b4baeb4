"""Web app under load: p50/p95 latency of the map, place pages and agency searches with 20 concurrent clients.

The app runs as `disentangle serve --workers N` (SQLite registry) on a free loopback port; the clients
are asyncio tasks in this process, each on its own keep-alive connection, sending requests until the fixed
total for the scenario is spent.
Loopback only, a fixed number of requests, a deadline: it stops by itself.

Run: `.venv/bin/python bench/web_load.py [--workspace DIR] [--requests N] [--clients N] [--workers 1 2]`.
Without --workspace it builds a registry from the bundled data in a temporary folder first (~15 s).
The results table is written into docs/web.md between the bench markers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "web.md"
BEGIN, END = "<!-- bench:web_load begin -->", "<!-- bench:web_load end -->"
DEADLINE_SECONDS = 300  # for the whole run; each request also has its own timeout
TARGET_P95_MS = 150.0


@dataclass
class Result:
    workers: int
    label: str
    requests: int
    failures: int
    p50: float
    p95: float
    worst: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`disentangle serve` itself, in a child process, on the given workspace."""
    command = [sys.executable, "-m", "disentangle", "--workspace", str(home), "serve"]
    command += ["--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command)


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


class Connection:
    """One keep-alive HTTP/1.1 connection to the server: a minimal client, so that the clients' own
    work (a full HTTP library parses and decompresses) does not take the CPU the server is measured on."""

    def __init__(self, port: int, headers: str = "") -> None:
        self.port = port
        self.headers = headers  # more header lines, each ending in CRLF (an API token, say)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[float, bool]:
        started = time.perf_counter()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: text/html\r\n"
            f"Accept-Encoding: gzip\r\n{self.headers}\r\n".encode()
        )
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return (time.perf_counter() - started) * 1000, status == 200

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(
    port: int, paths: list[str], total: int, clients: int, headers: str = "", think: float = 0.0
) -> tuple[list[float], int]:
    """`clients` connections share `total` requests, cycling through `paths`: each request's milliseconds,
    and how many failed. With `think`, each client waits think × 0.5-1.5 seconds (seeded) between two
    requests, as a person reading a page does, so the load offered is about clients / think per second."""
    samples: list[float] = []
    failures = 0
    issued = 0
    pause = random.Random(7)

    async def worker() -> None:
        nonlocal issued, failures
        connection = Connection(port, headers)
        try:
            if think:
                await asyncio.sleep(pause.uniform(0, think))  # people do not all arrive at once
            while issued < total:
                path = paths[issued % len(paths)]
                issued += 1
                elapsed, ok = await asyncio.wait_for(connection.get(path), 30)
                samples.append(elapsed)
                failures += 0 if ok else 1
                if think:
                    await asyncio.sleep(think * pause.uniform(0.5, 1.5))
        finally:
            await connection.close()

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(clients))), DEADLINE_SECONDS)
    return samples, failures


async def scenario(port: int, workers: int, label: str, paths: list[str], total: int, clients: int) -> Result:
    """`clients` connections share `total` requests, cycling through `paths`."""
    started = time.perf_counter()
    samples, failures = await load(port, paths, total, clients)
    seconds = time.perf_counter() - started
    return Result(
        workers,
        label,
        len(samples),
        failures,
        statistics.median(samples),
        _percentile(samples, 0.95),
        max(samples),
        seconds,
    )


async def first_request(port: int, path: str) -> float:
    connection = Connection(port)
    try:
        elapsed, ok = await connection.get(path)
    finally:
        await connection.close()
    if not ok:
        raise SystemExit(f"{path} did not answer 200")
    return elapsed


def county_paths(home: Path, count: int) -> list[str]:
    from disentangle.workspace import Workspace

    workspace = Workspace(home)
    rows = [r for r in workspace.county_map() if r["fips"]]
    workspace.close()
    step = max(1, len(rows) // count)
    return [f"/place/{r['fips']}" for r in rows[::step][:count]]


def agency_search_paths(home: Path, count: int) -> list[str]:
    """Searches for agencies by the names people use, each different ("Pasadena Police Department",
    "Maricopa County Sheriff's Office", ...), taken from the registry's agencies, the roster's among them."""
    from urllib.parse import quote

    from sqlalchemy import select

    from disentangle.registry import tables as t
    from disentangle.workspace import Workspace

    workspace = Workspace(home)
    with workspace.store.read() as connection:
        names = list(connection.scalars(select(t.agencies.c.name).order_by(t.agencies.c.id)))
    workspace.close()
    step = max(1, len(names) // count)
    return [f"/search?q={quote(name)}" for name in names[::step][:count]]


def write_doc(results: list[Result], cold: dict[str, float], clients: int, load: float) -> None:
    lines = [
        BEGIN,
        f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores (shared with "
        f"other work: load average {load:.1f} at the start), Python {platform.python_version()}, SQLite "
        f"registry, `disentangle serve --workers N`; {clients} concurrent clients on loopback (in the same "
        "machine, so they take CPU too), gzip accepted, keep-alive.",
        "",
        "| workers | scenario | requests | failures | p50 ms | p95 ms | worst ms | requests/s | p95 target |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        verdict = "met" if r.p95 <= TARGET_P95_MS else "**missed**"
        lines.append(
            f"| {r.workers} | {r.label} | {r.requests} | {r.failures} | {r.p50:.1f} | {r.p95:.1f} | "
            f"{r.worst:.1f} | {r.per_second:.0f} | ≤ {TARGET_P95_MS:.0f} ms: {verdict} |"
        )
    lines += ["", "First request after start-up (nothing memoised yet), one client, one worker:", ""]
    lines += [f"- `{path}`: {ms:.0f} ms" for path, ms in cold.items()]
    lines.append(END)
    block = "\n".join(lines)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def wait_until_up(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/static/style.css", timeout=2)
            return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def measure(home: Path, workers: int, requests: int, clients: int) -> tuple[list[Result], dict[str, float]]:
    """Every scenario against a fresh `disentangle serve --workers N` (so each starts with an empty memo)."""
    port = _free_port()
    server = start_server(home, port, workers)
    try:
        wait_until_up(server, f"http://127.0.0.1:{port}")
        cold = {path: asyncio.run(first_request(port, path)) for path in ("/", "/place/48167", "/place/48")}
        many = county_paths(home, requests)
        searches = agency_search_paths(home, requests)
        plan = [
            ("map (`/`)", ["/"]),
            ("one place page, repeated (`/place/48167`)", ["/place/48167"]),
            (f"{len(many)} different county pages, each asked once", many),
            ("API place (`/api/place/48167`)", ["/api/place/48167"]),
            (f"{len(searches)} different agency searches by name (`/search?q=…`), each asked once", searches),
        ]
        results = [
            asyncio.run(scenario(port, workers, label, paths, requests, clients)) for label, paths in plan
        ]
    finally:
        server.terminate()
        server.wait(timeout=15)
    return results, cold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="a workspace whose registry is already built")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="server processes to measure (default: 1 2)"
    )
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/web.md alone")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    results: list[Result] = []
    cold: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        home = args.workspace
        if home is None:
            from disentangle.workspace import Workspace

            home = Path(scratch)
            print("building the registry from the bundled data…", file=sys.stderr)
            workspace = Workspace(home)
            workspace.import_bundled()
            workspace.close()
        for workers in args.workers:
            measured, first = measure(home, workers, args.requests, args.clients)
            results += measured
            cold = cold or first
    for r in results:
        print(
            f"{r.workers} worker(s) {r.label:<55} n={r.requests:<5} fail={r.failures:<3} p50={r.p50:7.1f} ms "
            f"p95={r.p95:7.1f} ms  worst={r.worst:7.1f} ms  {r.per_second:6.0f}/s"
        )
    for path, ms in cold.items():
        print(f"first request {path}: {ms:.0f} ms")
    if not args.no_doc:
        write_doc(results, cold, args.clients, load)
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
