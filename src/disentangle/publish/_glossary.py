"""The glossary: the field's words in English and Spanish, each with the public source that defines it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import load_yaml

GLOSSARY_FILE = "glossary.yaml"
GLOSSARY_LANGUAGES = ("en", "es")


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    words: dict[str, tuple[str, str]]  # language -> (term, definition)
    source: str

    def in_language(self, language: str) -> dict[str, str]:
        term, definition = self.words.get(language) or self.words["en"]
        return {"id": self.id, "term": term, "definition": definition, "source": self.source}


def parse_glossary(doc: Any, origin: str = GLOSSARY_FILE) -> tuple[Term, ...]:
    """The terms of a parsed glossary.yaml; a term without both languages or a source is a KnowledgeError."""
    if not isinstance(doc, dict) or not isinstance(doc.get("terms"), list):
        raise KnowledgeError(f"{origin}: expected a mapping with a list of terms")
    terms = []
    for index, entry in enumerate(doc["terms"]):
        where = f"{origin}: terms[{index}]"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("source"):
            raise KnowledgeError(f"{where} needs an id and a source")
        words = {}
        for language in GLOSSARY_LANGUAGES:
            given = entry.get(language)
            if not isinstance(given, dict) or not given.get("term") or not given.get("definition"):
                raise KnowledgeError(f"{where} ({entry['id']}) needs {language}: term and definition")
            words[language] = (str(given["term"]), str(given["definition"]))
        terms.append(Term(str(entry["id"]), words, str(entry["source"])))
    return tuple(terms)


@cache
def load_glossary() -> tuple[Term, ...]:
    return parse_glossary(load_yaml(GLOSSARY_FILE), GLOSSARY_FILE)
