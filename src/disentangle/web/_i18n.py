"""The pages' languages: the gettext catalogs (read from their .po files), and which language a request gets.

English is the source language. A request gets Spanish when its path begins with /es/, when it has no
prefix and the person chose Spanish before (a cookie the /es/ and /en/ prefixes set), or when its browser
prefers Spanish (Accept-Language). Records requests and letters stay in English: they go to U.S. agencies.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from babel.messages import mofile, pofile

HERE = Path(__file__).resolve().parent
LOCALE = HERE / "locale"
DOMAIN = "messages"

DEFAULT = "en"
LANGUAGES = ("en", "es")  # the source language first
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
COOKIE = "disentangle_lang"

T = TypeVar("T")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("disentangle_language", default=DEFAULT)


def catalog_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled from its .po file when first asked (no build step: a fresh
    checkout works as it is). English, the source language, translates nothing."""
    path = catalog_path(language)
    if language == DEFAULT or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = pofile.read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Everything rendered inside is in `language`."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def in_language(language: str, build: Callable[[], T]) -> Callable[[], T]:
    """`build` made to run in `language` wherever it runs (a worker thread, a background refresh)."""

    def run() -> T:
        with speaking(language):
            return build()

    return run


def gettext_(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def translate(message: str) -> str:
    """A phrase of the registry's vocabulary (a status, a model, a map band) in the current language."""
    return gettext_(message) if message else message


def split_prefix(path: str) -> tuple[str | None, str]:
    """('es', '/place/06037') for '/es/place/06037'; (None, path) when the path has no language prefix."""
    for language in LANGUAGES:
        prefix = f"/{language}"
        if path == prefix or path.startswith(prefix + "/"):
            return language, path[len(prefix) :] or "/"
    return None, path


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser lists, by its quality values (`es-MX;q=0.9, en;q=0.8`)."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in LANGUAGES:
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        rank = (-quality, position, language)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


def choose(path: str, cookie: str | None, accept_language: str) -> tuple[str, str, bool]:
    """(language, path without its prefix, whether the path named the language)."""
    prefixed, rest = split_prefix(path)
    if prefixed:
        return prefixed, rest, True
    if cookie in LANGUAGES:
        return str(cookie), path, False
    return from_accept_language(accept_language) or DEFAULT, path, False
