"""A letter's Markdown rendered to HTML, an editable DOCX and a PDF with embedded DejaVu fonts."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from disentangle.errors import InputError
from disentangle.letters._letters import Letter

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_ORDERED = re.compile(r"^(\d+)\.\s+(.*)$")


@dataclass(slots=True)
class Block:
    """One block of the Markdown subset letters use."""

    kind: str  # heading, paragraph, ordered, bullet, quote
    lines: list[str] = field(default_factory=list)  # hard-broken lines (paragraph, quote, heading)
    items: list[tuple[str, str]] = field(default_factory=list)  # (marker, text) for lists
    level: int = 0  # heading level


def parse_markdown(text: str) -> list[Block]:
    """Headings, paragraphs with `\\` hard breaks, numbered and bullet lists, block quotes."""
    blocks: list[Block] = []
    current: Block | None = None
    pending_break = True

    def add_text(block: Block, raw: str) -> None:
        nonlocal pending_break
        hard = raw.endswith("\\")
        words = raw[:-1].rstrip() if hard else raw.strip()
        if pending_break or not block.lines:
            block.lines.append(words)
        else:
            block.lines[-1] = f"{block.lines[-1]} {words}".strip()
        pending_break = hard

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            current, pending_break = None, True
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            blocks.append(Block("heading", [line[level:].strip()], level=level))
            current = None
            continue
        ordered = _ORDERED.match(line)
        if ordered or line.startswith("- "):
            kind = "ordered" if ordered else "bullet"
            if current is None or current.kind != kind:
                current = Block(kind)
                blocks.append(current)
            marker, body = (f"{ordered.group(1)}.", ordered.group(2)) if ordered else ("•", line[2:])
            current.items.append((marker, body.strip()))
            continue
        if line.startswith(">"):
            if current is None or current.kind != "quote":
                current, pending_break = Block("quote"), True
                blocks.append(current)
            body = line[1:].strip()
            if body:
                add_text(current, body)
            else:
                pending_break = True
            continue
        if current is not None and current.kind in ("ordered", "bullet"):
            marker, body = current.items[-1]  # a wrapped list item continues on the next line
            current.items[-1] = (marker, f"{body} {line.strip()}")
            continue
        if current is None or current.kind != "paragraph":
            current, pending_break = Block("paragraph"), True
            blocks.append(current)
        add_text(current, line)
    return blocks


def _runs(text: str) -> list[tuple[str, bool]]:
    """Inline text as (words, bold) runs; `<url>` autolinks become their URL."""
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    parts = text.split("**")
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


def _inline_html(text: str) -> str:
    return "".join(
        f"<strong>{html.escape(t)}</strong>" if bold else html.escape(t) for t, bold in _runs(text)
    )


# DejaVu Serif faces embedded in the PDF; a face whose file is absent (the italic is in Debian's
# fonts-dejavu-extra, not -core) is left out and WeasyPrint falls back to fontconfig's choice.
_FACES = (
    ("DejaVuSerif.ttf", ""),
    ("DejaVuSerif-Bold.ttf", "font-weight: bold; "),
    ("DejaVuSerif-Italic.ttf", "font-style: italic; "),
)

_CSS = """
@page { size: Letter; margin: 1.9cm 2.4cm 2.1cm 2.4cm;
        @bottom-center { content: counter(page) " / " counter(pages); font-family: "Letter Serif";
                         font-size: 8.5pt; color: #555; } }
body { font-family: "Letter Serif", "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.36;
       color: #111; }
h1 { font-size: 15pt; margin: 0 0 0.9em 0; padding-bottom: 0.3em; border-bottom: 1px solid #999; }
h2 { font-size: 11.5pt; margin: 1.2em 0 0.4em 0; }
p { margin: 0 0 0.65em 0; text-align: left; orphans: 3; widows: 3; }
ol, ul { margin: 0 0 0.8em 0; padding-left: 1.8em; }
li { margin: 0 0 0.35em 0; }
blockquote { margin: 0.4em 0 0.9em 1.2em; padding: 0.2em 0 0.2em 0.9em; border-left: 3px solid #888;
             font-style: italic; }
"""


def to_html(letter: Letter) -> str:
    """The letter as a standalone HTML page (the source of the PDF)."""
    body: list[str] = []
    for block in parse_markdown(letter.markdown):
        inner = "<br>".join(_inline_html(line) for line in block.lines)
        if block.kind == "heading":
            level = min(block.level, 3)
            body.append(f"<h{level}>{inner}</h{level}>")
        elif block.kind == "paragraph":
            body.append(f"<p>{inner}</p>")
        elif block.kind == "quote":
            body.append(f"<blockquote><p>{inner}</p></blockquote>")
        else:
            tag = "ol" if block.kind == "ordered" else "ul"
            start = f' start="{block.items[0][0].rstrip(".")}"' if tag == "ol" else ""
            items = "".join(f"<li>{_inline_html(text)}</li>" for _, text in block.items)
            body.append(f"<{tag}{start}>{items}</{tag}>")
    faces = "".join(
        f'@font-face {{ font-family: "Letter Serif"; {style}src: url("{(FONT_DIR / name).as_uri()}"); }}\n'
        for name, style in _FACES
        if (FONT_DIR / name).exists()
    )
    css = faces + _CSS
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(letter.title)}</title><style>{css}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def to_pdf(letter: Letter) -> bytes:
    """The letter as PDF, typeset by WeasyPrint with the DejaVu Serif fonts embedded."""
    from weasyprint import HTML  # imported here: WeasyPrint is slow to import and only the PDF needs it

    return bytes(HTML(string=to_html(letter), base_url=str(FONT_DIR)).write_pdf())


def to_docx(letter: Letter) -> bytes:
    """The letter as an editable Word document: real headings, paragraphs, numbered items and quotes."""
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.4)
    section.top_margin = section.bottom_margin = Cm(2.2)
    normal = document.styles["Normal"]
    normal.font.name = "DejaVu Serif"
    normal.font.size = Pt(10.5)
    document.core_properties.title = letter.title
    document.core_properties.subject = letter.citation or ""

    def fill(paragraph, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for index, line in enumerate(lines):
            for text, bold in _runs(line):
                run = paragraph.add_run(text)
                run.bold = bold or None
            if index < len(lines) - 1:
                paragraph.add_run().add_break()

    for block in parse_markdown(letter.markdown):
        if block.kind == "heading":
            fill(document.add_heading("", level=min(block.level, 3)), block.lines)
        elif block.kind == "paragraph":
            fill(document.add_paragraph(), block.lines)
        elif block.kind == "quote":
            paragraph = document.add_paragraph(style="Quote")
            paragraph.paragraph_format.left_indent = Cm(1.0)
            fill(paragraph, block.lines)
        else:
            for marker, text in block.items:
                # Numbers are written out rather than left to Word's list numbering, which would run on
                # from one list to the next; the hanging indent keeps the look of a list.
                paragraph = document.add_paragraph()
                paragraph.paragraph_format.left_indent = Cm(1.0)
                paragraph.paragraph_format.first_line_indent = Cm(-0.6)
                fill(paragraph, [f"{marker}\t{text}"])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_letter(letter: Letter, path: str | Path) -> Path:
    """Write the letter in the format its suffix names: .md, .html, .docx or .pdf."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".md":
        data = letter.markdown.encode("utf-8")
    elif suffix == ".html":
        data = to_html(letter).encode("utf-8")
    elif suffix == ".docx":
        data = to_docx(letter)
    elif suffix == ".pdf":
        data = to_pdf(letter)
    else:
        raise InputError(
            f"cannot write a letter as {suffix or 'a file without suffix'!r}: use .md, .html, .docx or .pdf",
            target,
        )
    if not target.parent.is_dir():  # nothing is created that was not asked for: the folder must exist
        raise InputError("the folder to write into does not exist", target.parent)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write the letter: {exc.strerror or exc}", target) from exc
    return target
