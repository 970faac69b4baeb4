"""The shared server under load: 50 clients on PostgreSQL, first with the workers idle, then while they read.

One run, loopback only, bounded (a fixed number of requests per phase, a deadline):

    1. a PostgreSQL schema of its own gets the registry (`disentangle import`), and one user with an API
       token (a server with accounts: every request carries `Authorization: Bearer …` and is checked);
    2. `disentangle serve --workers 2 --database … --broker …` on a free loopback port;
    3. idle     50 clients share the requests: the map, county pages, agency searches, the place API;
    4. reading  `disentangle worker --concurrency 2` starts, `disentangle ingest` sends a scanned release
                (one OCR task per page), and the same requests are made again while the pages are read.

The table (p50, p95, worst, failures; pages read during the phase) is written into docs/performance.md
between the bench markers, with the reading phase's p95 as a ratio of the idle one.

Run: `.venv/bin/python bench/server_load.py [--clients 50] [--requests 1500] [--think 1.0] [--pages 240]`
($DISENTANGLE_TEST_DATABASE_URL names the PostgreSQL server; Redis on 127.0.0.1:6379, database 11).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from disentangle.registry import tables as t  # noqa: E402
from disentangle.workspace import Workspace  # noqa: E402
from scans import scanned_pdf  # noqa: E402  (the generator the tests use)
from web_load import _free_port, _percentile, load, wait_until_up  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:server_load begin -->", "<!-- bench:server_load end -->"
BROKER = "redis://127.0.0.1:6379/11"
DEADLINE_SECONDS = 600


@dataclass
class Phase:
    label: str
    requests: int
    failures: int
    p50: float
    p95: float
    worst: float
    seconds: float
    pages_read: int
    reading_throughout: bool


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[2:])} failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def paths_of(url: str, home: Path, count: int) -> list[str]:
    """The map, county pages across the country, agency searches by real names, the place API."""
    workspace = Workspace(home, database_url=url)
    try:
        counties = [r["fips"] for r in workspace.county_map() if r["fips"]]
        with workspace.store.read() as connection:
            names = list(connection.scalars(select(t.agencies.c.name).order_by(t.agencies.c.id)))
    finally:
        workspace.close()
    step_c, step_n = max(1, len(counties) // count), max(1, len(names) // count)
    places = [f"/place/{fips}" for fips in counties[::step_c][:count]]
    searches = [f"/search?q={quote(name)}" for name in names[::step_n][:count]]
    api = [f"/api/place/{fips}" for fips in counties[1::step_c][:count]]
    mixed: list[str] = []
    for index in range(count):
        mixed += ["/", places[index % len(places)], searches[index % len(searches)], api[index % len(api)]]
    return mixed


async def phase(
    port: int, token: str, paths: list[str], total: int, clients: int, think: float = 0.0
) -> tuple[list[float], int]:
    """The web bench's clients (bench/web_load.py), each request carrying the user's API token."""
    return await load(port, paths, total, clients, f"Authorization: Bearer {token}\r\n", think)


def pages_read(engine: Engine, schema: str) -> int:
    with engine.connect() as connection:
        connection.execute(text(f"SET search_path TO {schema}"))
        o = t.ocr_pages
        return int(connection.scalar(select(func.count()).select_from(o).where(o.c.state == "read")) or 0)


def measure(
    label: str,
    port: int,
    token: str,
    paths: list[str],
    total: int,
    clients: int,
    count_pages: Callable[[], int],
    think: float,
) -> Phase:
    before = count_pages()
    started = time.perf_counter()
    samples, failures = asyncio.run(phase(port, token, paths, total, clients, think))
    seconds = time.perf_counter() - started
    after = count_pages()
    return Phase(
        label,
        len(samples),
        failures,
        statistics.median(samples),
        _percentile(samples, 0.95),
        max(samples),
        seconds,
        after - before,
        False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1500, help="requests per phase")
    parser.add_argument("--pages", type=int, default=240, help="pages of the scanned release read in phase 2")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds each client waits between requests (0: flat out)"
    )
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    database = os.environ.get("DISENTANGLE_TEST_DATABASE_URL")
    if not database:
        raise SystemExit("set DISENTANGLE_TEST_DATABASE_URL to a PostgreSQL server (see .ci/run)")
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    load_before = os.getloadavg()[0]
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in database else "?"
    url = f"{database}{separator}options=-csearch_path%3D{schema}"
    processes: list[subprocess.Popen[bytes]] = []
    results: list[Phase] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env = {
            **os.environ,
            "DISENTANGLE_DATABASE_URL": url,
            "DISENTANGLE_BROKER_URL": BROKER,
            "DISENTANGLE_QUEUE": f"bench-{schema}",
            "DISENTANGLE_HOME": str(folder / "server"),
            "C_FORCE_ROOT": "1",  # this bench machine runs as root; a deployment runs workers as a user
            "OMP_THREAD_LIMIT": "1",
        }
        try:
            started = time.perf_counter()
            print("importing the registry into PostgreSQL…", file=sys.stderr)
            _run([sys.executable, "-m", "disentangle", "import"], env)
            import_seconds = time.perf_counter() - started
            add_user = ["user", "add", "bench@example.org", "--org", "Bench", "--role", "editor"]
            made = _run([sys.executable, "-m", "disentangle", *add_user], env)
            token = re.search(r"^token: (\S+)$", made, re.M)
            if token is None:
                raise SystemExit("`user add` printed no token")
            paths = paths_of(url, folder / "server", max(1, args.requests // 4))
            release = scanned_pdf(folder / "release.pdf", args.pages, lines=4)
            port = _free_port()
            serve = [sys.executable, "-m", "disentangle", "serve", "--port", str(port), "--workers", "2"]
            processes.append(subprocess.Popen(serve, env=env, stderr=subprocess.DEVNULL))
            think = args.think
            wait_until_up(processes[0], f"http://127.0.0.1:{port}")
            asyncio.run(phase(port, token.group(1), paths[:40], 40, 4))  # each server process warmed

            def count() -> int:
                return pages_read(engine, schema)

            print(f"idle: {args.clients} clients, {args.requests} requests…", file=sys.stderr)
            load = (paths, args.requests, args.clients, count, think)
            results.append(measure("workers idle", port, token.group(1), *load))
            worker = [sys.executable, "-m", "disentangle", "worker", "--concurrency", "2"]
            processes.append(
                subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
            ingest = subprocess.Popen(
                [sys.executable, "-m", "disentangle", "ingest", str(release)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            processes.append(ingest)
            deadline = time.monotonic() + 180
            while count() < 2:  # the workers are up and reading
                if time.monotonic() > deadline or ingest.poll() is not None:
                    raise SystemExit("the workers did not start reading")
                time.sleep(0.5)
            print("reading: the same requests while the workers read…", file=sys.stderr)
            reading = measure("2 worker processes reading a scanned release", port, token.group(1), *load)
            reading.reading_throughout = ingest.poll() is None
            results.append(reading)
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()
            redis.Redis.from_url(BROKER).flushdb()
    for r in results:
        print(
            f"{r.label:<46} n={r.requests} fail={r.failures} p50={r.p50:.1f} ms p95={r.p95:.1f} ms "
            f"worst={r.worst:.1f} ms {r.requests / r.seconds:.0f}/s pages read={r.pages_read}"
        )
    if not args.no_doc and len(results) == 2:
        write_doc(results, args, import_seconds, load_before, os.getloadavg()[0])
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


def write_doc(
    results: list[Phase],
    args: argparse.Namespace,
    import_seconds: float,
    load_before: float,
    load_after: float,
) -> None:
    idle, reading = results
    lines = [
        BEGIN,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; PostgreSQL on loopback (the registry imported into it in "
        f"{import_seconds:.0f} s), `disentangle serve --workers 2` with one user's API token on every "
        f"request; {args.clients} clients on keep-alive connections in this process (on the same cores), "
        f"{args.requests} requests per phase cycling through the map, county pages, agency searches and the "
        f"place API, each client waiting {args.think:g} s (0.5-1.5×) between two requests as a reader "
        f"does; load average {load_before:.1f} before, {load_after:.1f} after.",
        "",
        "| phase | requests | failures | p50 ms | p95 ms | worst ms | requests/s | pages read meanwhile |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.requests} | {r.failures} | {r.p50:.1f} | {r.p95:.1f} | {r.worst:.1f} | "
            f"{r.requests / r.seconds:.0f} | {r.pages_read} |"
        )
    throughout = "yes" if reading.reading_throughout else "no (the release was read before the phase ended)"
    lines += [
        "",
        f"p95 while the workers read: **{reading.p95 / idle.p95:.2f}×** the idle p95 "
        f"(p50 {reading.p50 / idle.p50:.2f}×). Workers still reading when the phase ended: {throughout}.",
        END,
    ]
    block = "\n".join(lines)
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN in doc and END in doc:
        doc = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, doc, flags=re.S)
    else:
        doc = doc.rstrip() + "\n\n## The shared server under load (bench/server_load.py)\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
