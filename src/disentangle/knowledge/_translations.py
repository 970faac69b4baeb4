"""Translations carried by knowledge entries: `es: {field: text}` beside the English fields, the way
scorecard/toolkit.yaml carries them. The English stays the reference; a translation is ours."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from disentangle.errors import KnowledgeError

LANGUAGES = ("es",)


def translations(entry: Any, fields: Iterable[str], origin: str, where: str) -> dict[str, dict[str, str]]:
    """An entry's translations by language: each a mapping of known fields to non-empty text.

    A translation naming an unknown field, or an empty one, is a KnowledgeError naming the file and the
    entry, so a typo cannot silently show English on a translated page."""
    allowed = tuple(fields)
    found: dict[str, dict[str, str]] = {}
    if not isinstance(entry, dict):
        return found
    for language in LANGUAGES:
        given = entry.get(language)
        if given is None:
            continue
        if not isinstance(given, dict):
            raise KnowledgeError(f"{origin}: {where}.{language} must map {', '.join(allowed)} to text")
        unknown = sorted(str(k) for k in set(given) - set(allowed))
        if unknown:
            raise KnowledgeError(
                f"{origin}: {where}.{language} names unknown field(s) {', '.join(unknown)} "
                f"(expected {', '.join(allowed)})"
            )
        for name, text in given.items():
            if not isinstance(text, str) or not text.strip():
                raise KnowledgeError(f"{origin}: {where}.{language}.{name} is an empty translation")
        found[language] = {str(k): " ".join(v.split()) for k, v in given.items()}
    return found


def translated(value: str, found: dict[str, dict[str, str]], name: str, language: str) -> str:
    """The field `name` in `language` where a translation gives it, else the English `value`."""
    return found.get(language, {}).get(name) or value
