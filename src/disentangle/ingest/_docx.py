"""DOCX -> pages with python-docx: paragraphs and tables in reading order, split at explicit page breaks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn

from disentangle.errors import DocumentError
from disentangle.ingest._base import (
    NAME,
    NO_BID,
    SIGNATURE,
    Ingestor,
    Reading,
    ReadOptions,
    clean_page_text,
)
from disentangle.limits import check_zip
from disentangle.model import Page, PageMethod

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or any password-protected Office file

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_NO_BREAK_HYPHEN, _PPR, _SECTPR = qn("w:noBreakHyphen"), qn("w:pPr"), qn("w:sectPr")
_PAGE_BREAK_BEFORE, _TYPE, _VAL = qn("w:pageBreakBefore"), qn("w:type"), qn("w:val")
_CONTAINERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")}
_NEW_PAGE_SECTIONS = {"nextPage", "oddPage", "evenPage"}


class DocxIngestor(Ingestor):
    """Word 2007+ documents. Pages are Word's explicit page breaks, not its layout.

    A DOCX has no fixed pages: where a page ends depends on fonts and printer. So a page here is what
    lies between explicit breaks: a hard page break (w:br type="page"), a paragraph marked "page break
    before", or a section break that starts a new page. A document without any is one page. Headers,
    footers, footnotes, comments and deleted (tracked) text are left out; tables come row by row, cells
    separated by tabs. The zip is checked against bomb limits before anything is decompressed.
    """

    name = "docx"
    media_types = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
    extensions = (".docx", ".doc", ".docm")

    def content_score(self, head: bytes) -> float:
        if head.startswith(_ZIP_MAGIC) and b"word/" in head:
            return SIGNATURE
        return NO_BID

    def name_score(self, path: Path) -> float:
        # .doc is claimed only to say clearly that the legacy format is not read.
        return NAME if path.suffix.lower() in self.extensions else NO_BID

    def read(self, path: Path, options: ReadOptions) -> Reading:
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(_OLE_MAGIC):
            raise DocumentError(
                "a legacy Word .doc or a password-protected Office file (OLE container): "
                "save it as an unprotected .docx or PDF"
            )
        if not head.startswith(_ZIP_MAGIC):
            raise DocumentError("not a DOCX: a .docx file is a zip archive and this one is not")
        check_zip(path, "DOCX", options.limits)
        try:
            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises KeyError, ValueError, lxml and zip errors alike
            raise DocumentError(f"not a readable Word document ({type(exc).__name__}: {exc})") from exc
        body = document.element.body
        builder = _PageBuilder(sections=list(body.iter(_SECTPR)))
        builder.walk(body)
        texts = builder.finish()
        pages = [Page(number, text, PageMethod.TEXT_LAYER) for number, text in enumerate(texts, start=1)]
        metadata: dict[str, Any] = {"page_breaks": "explicit" if len(texts) > 1 else "none"}
        core = document.core_properties
        for key in ("title", "subject", "author", "created", "modified"):
            value = getattr(core, key, None)
            if value:
                metadata[key] = (
                    value.isoformat() if hasattr(value, "isoformat") else clean_page_text(str(value))
                )
        return Reading(self.media_types[0], pages, metadata)


class _PageBuilder:
    """Collects text from WordprocessingML in reading order, starting a new page at each explicit break."""

    def __init__(self, sections: list[Any] | None = None) -> None:
        self.pages: list[list[str]] = [[]]
        # Every section's properties in document order (the body's own last). A section break starts a
        # new page when the section that follows it says so: its w:type, nextPage when absent.
        self.sections = sections or []
        self.sections_ended = 0

    def text(self, value: str) -> None:
        self.pages[-1].append(value)

    def page_break(self) -> None:
        self.pages.append([])

    def walk(self, element: Any) -> None:
        for child in element.iterchildren():
            if child.tag == _P:
                self.paragraph(child)
            elif child.tag == _TBL:
                self.table(child)
            elif child.tag in _CONTAINERS:
                self.walk(child)

    def paragraph(self, paragraph: Any) -> None:
        properties = paragraph.find(_PPR)
        if properties is not None and _is_on(properties.find(_PAGE_BREAK_BEFORE)) and "".join(self.pages[-1]):
            self.page_break()
        for node in paragraph.iter(_T, _TAB, _BR, _CR, _NO_BREAK_HYPHEN):
            if node.tag == _T:
                self.text(node.text or "")
            elif node.tag == _TAB:
                self.text("\t")
            elif node.tag == _NO_BREAK_HYPHEN:
                self.text("-")
            elif node.tag == _BR and node.get(_TYPE) == "page":
                self.page_break()
            else:
                self.text("\n")
        self.text("\n")
        if properties is not None and properties.find(_SECTPR) is not None:
            self.sections_ended += 1
            following = (
                self.sections[self.sections_ended] if self.sections_ended < len(self.sections) else None
            )
            kind = following.find(_TYPE) if following is not None else None
            if kind is None or kind.get(_VAL, "nextPage") in _NEW_PAGE_SECTIONS:
                self.page_break()

    def table(self, table: Any) -> None:
        for row in table.iterchildren(_TR):
            cells = []
            for cell in row.iterchildren(_TC):
                inner = _PageBuilder()
                inner.walk(cell)
                cells.append(" ".join(" ".join("".join(part) for part in inner.pages).split()))
            self.text("\t".join(cells) + "\n")

    def finish(self) -> list[str]:
        texts = [clean_page_text("".join(parts)) for parts in self.pages]
        while len(texts) > 1 and not texts[-1].strip():  # a break at the very end opens no real page
            texts.pop()
        return texts


def _is_on(flag: Any) -> bool:
    return flag is not None and flag.get(_VAL, "true") not in ("0", "false", "off")
