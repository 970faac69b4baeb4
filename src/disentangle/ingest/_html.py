"""HTML -> one page of visible text with the standard library's parser; scripts and styles dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from disentangle.ingest._base import LOOKS_LIKE, NO_BID, Ingestor, Reading, ReadOptions, clean_page_text
from disentangle.ingest._text import decode_text, read_limited
from disentangle.model import Page, PageMethod

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_LOOKS_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)

# Elements whose content is never shown as text.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"})
# Elements that start on a new line when rendered.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.hidden_depth = 0
        self.pre_depth = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in _HIDDEN:
            self.hidden_depth += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append("\t")
        if tag == "pre":
            self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in _HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.hidden_depth:
            self.parts.append(data if self.pre_depth else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (line.strip(" ") for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


class HtmlIngestor(Ingestor):
    """HTML pages saved from a website (an agenda, a posted agreement): the visible text as one page."""

    name = "html"
    media_types = ("text/html",)
    extensions = (".html", ".htm", ".xhtml")
    max_bytes: ClassVar[int] = 16 * 1024 * 1024  # a saved web page is a few MB; parsing holds it all

    def content_score(self, head: bytes) -> float:
        return LOOKS_LIKE if _LOOKS_HTML.search(head[:4096]) else NO_BID

    def read(self, path: Path, options: ReadOptions) -> Reading:
        data = read_limited(path, self.max_bytes, options.limits)
        declared = _CHARSET.search(data[:4096])
        markup, encoding = decode_text(data, declared.group(1).decode("ascii") if declared else None)
        parser = _VisibleText()
        parser.feed(markup)
        parser.close()
        metadata = {"encoding": encoding}
        title = " ".join("".join(parser.title).split())
        if title:
            metadata["title"] = title
        page = Page(1, clean_page_text(parser.text()), PageMethod.TEXT_LAYER)
        return Reading(self.media_types[0], [page], metadata)
