"""How a fact's source is cited in public: the record, its publisher, its address and the row, from
knowledge/datasets.yaml. A bundled file's path never reaches a reader."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.model import Citation

KNOWLEDGE_FILE = "datasets.yaml"


@dataclass(frozen=True, slots=True)
class DatasetEntry:
    id: str
    patterns: tuple[str, ...]
    label: str
    publisher: str
    url: str | None
    copy: str | None
    dated: date | None  # the record's own date; None with `by_capture` or when it has none
    by_capture: bool  # each file is a list of its own date (ICE's sheets)


@cache
def datasets() -> tuple[DatasetEntry, ...]:
    """The entries of knowledge/datasets.yaml, checked."""
    doc = load_yaml(KNOWLEDGE_FILE)
    entries: list[DatasetEntry] = []
    try:
        for index, raw in enumerate(doc["datasets"]):
            dated = raw.get("dated")
            if dated is not None and dated != "capture" and not isinstance(dated, date):
                raise KnowledgeError(f"{KNOWLEDGE_FILE}: datasets[{index}] dated must be a date or 'capture'")
            if not raw.get("files") or not raw.get("label") or not raw.get("publisher"):
                raise KnowledgeError(f"{KNOWLEDGE_FILE}: datasets[{index}] needs files, a label, a publisher")
            entries.append(
                DatasetEntry(
                    id=str(raw["id"]),
                    patterns=tuple(str(p) for p in raw["files"]),
                    label=str(raw["label"]),
                    publisher=str(raw["publisher"]),
                    url=raw.get("url"),
                    copy=raw.get("copy"),
                    dated=dated if isinstance(dated, date) else None,
                    by_capture=dated == "capture",
                )
            )
    except (KeyError, TypeError) as exc:
        raise KnowledgeError(f"{KNOWLEDGE_FILE}: invalid entry: {exc}") from exc
    return tuple(entries)


@lru_cache(maxsize=1024)
def dataset_of(file: str) -> DatasetEntry | None:
    """The dataset a bundled file (relative to data/) belongs to, or None."""
    name = file.replace("\\", "/")
    for entry in datasets():
        if any(fnmatch.fnmatch(name, pattern) for pattern in entry.patterns):
            return entry
    return None


def cite(file: str | None, row: int | None = None, captured: date | None = None) -> Citation | None:
    """The public citation of a row of a bundled file; `captured` dates a list that is dated by capture.
    None for a file no dataset claims (it is then not cited at all, never by its path)."""
    if not file:
        return None
    entry = dataset_of(file)
    if entry is None:
        return None
    dated = captured if entry.by_capture else entry.dated
    label = entry.label.replace("{date}", dated.isoformat() if dated else "unknown date")
    return Citation(label, entry.publisher, entry.url, row, dated, entry.copy)


def record_dates(files: Iterable[tuple[str, date | None]]) -> dict[str, tuple[DatasetEntry, date | None]]:
    """The public records a set of bundled files belong to, each with its newest date (a list of ICE is
    dated by its capture; another record by its own date): dataset id -> (entry, date)."""
    found: dict[str, tuple[DatasetEntry, date | None]] = {}
    for file, captured in files:
        entry = dataset_of(file)
        if entry is None:
            continue
        dated = captured if entry.by_capture else entry.dated
        known = found.get(entry.id)
        if known is None or (dated is not None and (known[1] is None or dated > known[1])):
            found[entry.id] = (entry, dated)
    return found
