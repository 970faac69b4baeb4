"""Read each bundled file once per process: an import and the detainer pages read the FBI roster and ICE's
facility list more than once, and the files only change when a person replaces them."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_SIZE = 8  # results kept per reader: a few workspaces' data folders at most


def _stamp(path: Path) -> tuple[str, int, int]:
    """What identifies a file's version without reading it: its path, size and modification time."""
    try:
        status = os.stat(path)
    except OSError:
        return (str(path), -1, -1)
    return (str(path), status.st_size, status.st_mtime_ns)


def per_file(*files: Callable[..., Path]) -> Callable[[Callable[P, list[T]]], Callable[P, list[T]]]:
    """Memoise a reader of files on the files' versions. Each `files` function takes the reader's first
    argument and gives one of the files it reads; the result is a list, returned as a fresh copy."""

    def decorate(reader: Callable[P, list[T]]) -> Callable[P, list[T]]:
        kept: dict[tuple[tuple[str, int, int], ...], list[T]] = {}

        @functools.wraps(reader)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> list[T]:
            key = tuple(_stamp(where(args[0])) for where in files)
            if key not in kept:
                if len(kept) >= _SIZE:
                    kept.pop(next(iter(kept)))
                kept[key] = reader(*args, **kwargs)
            return list(kept[key])

        return wrapper

    return decorate
