"""A small, thread-safe memo with an age limit: the registry changes only on import, pages are read often."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Values by key, at most `size` of them (the least recently used go first).

    A value older than `seconds` is stale: it is still served, once, while a background thread builds
    its replacement, so no request waits for a rebuild once a value exists. `seconds` <= 0 turns the
    memo off (every call builds)."""

    def __init__(self, seconds: float, size: int = 256) -> None:
        self.seconds = seconds
        self.size = size
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return build()
        found, value = self.peek(key, build)
        if found:
            return value
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one build per key at a time: twenty clients at a cold start wait for the first
            found, value = self.peek(key, build)
            if found:
                return value
            value = build()
            self._store(key, value)
            with self._lock:
                self._building.pop(key, None)
            return value

    def peek(self, key: Hashable, build: Callable[[], Any] | None = None) -> tuple[bool, Any]:
        """(True, value) when a value is here, without waiting; a stale one is refreshed by `build`
        in the background."""
        if self.seconds <= 0:
            return False, None
        with self._lock:
            entry = self._values.get(key)
            if entry is None:
                return False, None
            fresh_until, value = entry
            self._values.move_to_end(key)
            stale = fresh_until < time.monotonic() and key not in self._refreshing
            if stale and build is not None:
                self._refreshing.add(key)
        if stale and build is not None:
            threading.Thread(target=self._refresh, args=(key, build), daemon=True).start()
        return True, value

    def _refresh(self, key: Hashable, build: Callable[[], Any]) -> None:
        try:
            self._store(key, build())
        except Exception:  # keep serving the stale value; the next request tries again
            pass
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _store(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = (time.monotonic() + self.seconds, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered page kept as bytes, with its gzip form and an entity tag."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str = "text/html; charset=utf-8"

    @classmethod
    def of(cls, text: str, media_type: str = "text/html; charset=utf-8") -> Page:
        body = text.encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), etag, media_type)
