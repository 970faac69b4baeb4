"""Where a page's links go: the app's own paths, under /es/ in Spanish, or files of the static site.

Templates and view code write every link as the app's path ("/place/48167"). One rewrite of the rendered
page then points each link where this copy of the page lives: the web app in Spanish keeps its reader in
Spanish (/es/place/48167), and the static site links file to file with relative paths
(../place/48167.html), so it works from any folder, any host or file:// with no server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from urllib.parse import unquote

from disentangle.web._i18n import DEFAULT, split_prefix

# Every attribute that holds a link of ours: they all begin with "/" (links out begin with http).
LINK = re.compile(r'(\s(?:href|src|action|data-fragment|data-index)=")(/[^"]*)"')

# Paths the same in every language: files, data and the API. (Feeds are written in each language: a
# Spanish page's feed reads in Spanish.)
SHARED_PREFIXES = ("/static/", "/api", "/openapi.json")
SHARED_SUFFIXES = (".csv", ".json", ".ics", ".docx", ".pdf", ".md", ".png", ".js", ".css", ".svg")

Rewrite = Callable[[str], str]


def rewrite_links(html: str, target: Rewrite) -> str:
    """Every link of ours in `html` replaced by `target(path)` (the path as written, query and all)."""
    return LINK.sub(lambda m: f'{m.group(1)}{target(m.group(2))}"', html)


def _shared(path: str) -> bool:
    bare = path.split("?", 1)[0].split("#", 1)[0]
    return bare.startswith(SHARED_PREFIXES) or bare.endswith(SHARED_SUFFIXES) or "/original" in bare


def web_target(language: str) -> Rewrite:
    """The web app's links for a page in `language`: the pages of another language get its prefix."""

    def target(path: str) -> str:
        named, _ = split_prefix(path)
        if named or language == DEFAULT or _shared(path):
            return path
        return f"/{language}{path}"

    return target


def file_key(key: str) -> str:
    """A registry key (FIPS, OCD id, agency or agreement id) as a file name that every file system and
    static host takes: an OCD id's country prefix dropped, ':' and '/' made '-' and '_'."""
    text = unquote(key)
    text = text.removeprefix("ocd-division/country:us/")
    text = text.replace(":", "-").replace("/", "_")
    return re.sub(r"[^A-Za-z0-9._~-]", lambda m: f"_{ord(m.group(0)):x}_", text) or "_"


OUTSIDE = "outside.html"  # the page that says what this copy of the site leaves out

# The app's paths the static site has, and the file each one is: (pattern, file, language-specific).
_PUBLISHED = re.compile(r"^/documents/([0-9a-f]{64})/published\.pdf$")
_KEYED = re.compile(r"^/(place|agency|agreement|scorecard|detainers|documents)/(.+?)(\.csv|\.json)?$")


def static_file(path: str) -> tuple[str, bool] | None:
    """(the file of the static site for an app path, whether it is a page of a language); None when the
    static site has no such thing (the forms, the workspace's own papers, the API)."""
    bare = unquote(path.split("#", 1)[0].split("?", 1)[0])
    if bare in ("/", ""):
        return "index.html", True
    simple = {
        "/search": ("search.html", True),
        "/outside": (OUTSIDE, True),
        "/glossary": ("glossary.html", True),
        "/detainers": ("detainers/index.html", True),
        "/detainers.csv": ("data/detainers.csv", False),
        "/detainers.json": ("data/detainers.json", False),
        "/feed.atom": ("feeds/changes.atom", True),
    }
    if bare in simple:
        return simple[bare]
    if bare.startswith("/map/"):
        return f"map/{file_key(bare[5:])}.html", True
    if bare.startswith("/static/"):
        return bare[1:], False
    if bare.startswith("/feeds/"):
        return bare[1:], True  # each language has its feeds
    if bare.startswith("/data/"):
        return bare[1:], False
    copy = _PUBLISHED.match(bare)
    if copy:  # a public document's redacted copy, beside its page (never the original: it has no file)
        return f"documents/{file_key(copy.group(1))}.pdf", False
    match = _KEYED.match(bare)
    if not match:
        return None
    kind, key, suffix = match.groups()
    if suffix:
        return f"{kind}/{file_key(key)}{suffix}", False
    return f"{kind}/{file_key(key)}.html", True


def file_of(path: str, language: str) -> str | None:
    """The static site's file for an app path in `language` (a page of Spanish is under es/)."""
    found = static_file(path)
    if found is None:
        return None
    name, localized = found
    return f"{language}/{name}" if localized and language != DEFAULT else name


def static_target(page_file: str, language: str, written: Collection[str]) -> Rewrite:
    """The static site's links for the page written to `page_file` (relative to the site's folder): each a
    relative path to a file the site has, else to the page that says the site leaves it out."""
    up = "../" * page_file.count("/")

    def target(path: str) -> str:
        named, rest = split_prefix(path)
        chosen = named or language
        fragment = "#" + path.split("#", 1)[1] if "#" in path else ""
        name = file_of(rest, chosen)
        if name is None or name not in written:
            name = OUTSIDE if chosen == DEFAULT else f"{chosen}/{OUTSIDE}"
            fragment = ""
        return up + name + fragment

    return target
