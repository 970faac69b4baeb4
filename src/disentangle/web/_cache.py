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
    """Values by key, rebuilt when older than `seconds`; at most `size` kept (least recently used go)."""

    def __init__(self, seconds: float, size: int = 256) -> None:
        self.seconds = seconds
        self.size = size
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return build()
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one build per key at a time: twenty clients at a cold start wait for the first
            found, value = self._lookup(key)
            if found:
                return value
            value = build()
            with self._lock:
                self._values[key] = (time.monotonic() + self.seconds, value)
                self._values.move_to_end(key)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                self._building.pop(key, None)
            return value

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._values.get(key)
            if entry is None:
                return False, None
            expires, value = entry
            if expires < time.monotonic():
                del self._values[key]
                return False, None
            self._values.move_to_end(key)
            return True, value

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
