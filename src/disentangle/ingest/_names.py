"""File names as shown to people: never a path, never a control character, never empty."""

from __future__ import annotations

import unicodedata
from pathlib import Path

MAX_NAME_CHARS = 200
UNNAMED = "unnamed"


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def printable_path(path: Path) -> str:
    """A path for an error message, with invisible characters shown as "?"."""
    return "".join("?" if _invisible(char) else char for char in str(path))


def sanitize_filename(name: str) -> str:
    """A display name safe to store and show: separators become "_", invisible characters are dropped.

    The name is only ever a label: originals are stored under their sha256, so no name, however hostile,
    decides where a file is written. This keeps the label honest too (no newlines that forge log lines,
    no right-to-left override that makes "fdp.exe" read as "exe.pdf").
    """
    name = unicodedata.normalize("NFC", name)
    kept: list[str] = []
    for char in name:
        if char in "/\\":
            kept.append("_")
        elif _invisible(char):
            continue
        else:
            kept.append(char)
    clean = "".join(kept).strip()
    if len(clean) > MAX_NAME_CHARS:
        stem, dot, suffix = clean.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            clean = stem[: MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix
        else:
            clean = clean[:MAX_NAME_CHARS]
    if not clean.strip("."):
        return UNNAMED
    return clean
