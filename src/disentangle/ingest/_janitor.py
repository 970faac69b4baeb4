"""The janitor of one job: when its owner dies without saying "done", end the workers and clean up.

Started by LocalProcessExecutor as `python -I _janitor.py [--remove=PATH] [--temporary=DIR]`
with a pipe on its standard input. The owner writes "done" when the job ends in its hands; end of input
without it means the owner died (kill -9 closes its end of the pipe too). Then every other process of the
janitor's process group (the workers and the programs they started) is killed, the paths given with
--remove are deleted, and so are the files a dead worker left half-written in each --temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path


def group_members(group: int) -> list[int]:
    """The processes of a process group, from /proc (Linux); empty where /proc is not there."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # fields after the name: state, ppid, pgrp, ...
                found.append(int(entry.name))
    return found


def descendants(root: int) -> list[int]:
    """Every process started, directly or not, by `root` (from /proc; empty where it is not there)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = {root}
    while frontier:
        children = {pid for pid, parent in parents.items() if parent in frontier and pid not in found}
        found.extend(sorted(children))
        frontier = children
    return found


def clean_up(remove: list[Path], temporary: list[Path]) -> None:
    me = os.getpid()
    workers = [pid for pid in group_members(os.getpgid(0)) if pid != me]
    for pid in workers:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for path in remove:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    prefixes = tuple(f"{pid}-" for pid in workers)
    for folder in temporary:
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if prefixes and entry.name.startswith(prefixes):
                    with contextlib.suppress(OSError):
                        entry.unlink()


def main(arguments: list[str]) -> int:
    remove = [Path(a.split("=", 1)[1]) for a in arguments if a.startswith("--remove=")]
    temporary = [Path(a.split("=", 1)[1]) for a in arguments if a.startswith("--temporary=")]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the pipe decides
    said = b""
    with contextlib.suppress(OSError):
        while chunk := sys.stdin.buffer.read(64):
            said += chunk
    if said.strip() == b"done":
        return 0
    clean_up(remove, temporary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
