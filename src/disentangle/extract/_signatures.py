"""Signature blocks: find the signature page, split its two columns, read side, name, title and date."""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from disentangle.extract._dates import YEAR_MAX, YEAR_MIN, FoundDate, find_dates
from disentangle.extract._knowledge import Parties, Pattern, parties
from disentangle.extract._match import find
from disentangle.extract._text import DocumentView, PageView
from disentangle.model import Evidence, Signatory, normalize_state

# Where a signature area ends: an appendix, an addendum, or the next numbered section.
_END = re.compile(r"^\s*(?:APPENDIX|ADDENDUM|[IVX]+\.\s+[A-Z]{3})", re.MULTILINE)
_GAP = re.compile(r"\S+(?:\s{1,2}\S+)*")  # a segment: words separated by at most two spaces
_NAME = re.compile(
    r"(?:[A-Z]\.\s*){0,2}[A-Z][a-zA-Z'’\-]+\.?(?:\s+(?:[A-Z]\.|[A-Z][a-zA-Z'’\-]+\.?)){1,3}(?:,?\s+(?:Jr|Sr|II|III|IV)\.?)?"
)
_NOT_NAME_WORDS = re.compile(
    r"\b(?:County|Office|Department|Dept|Sheriff|Police|Enforcement|Immigration|Customs|Security|Homeland|"
    r"Director|Operations|Agency|Date|Signature|Title|Name|Chief|Colonel|Commissioner|Secretary|Division|State|"
    r"United|States|Public|Safety|Services|Bureau|Acting|Assistant|Executive|Associate|Field|Removal|Revised|"
    r"Appendix|Memorandum|Agreement|Digitally|Signed|For|LEA|ICE|MOA|Criminal|Investigations|Government|"
    r"Attorney|General|Law|Corrections|Detention|Center|Patrol|Guard|Commission|Constable|Marshal|Warden)\b|"
    r"D[il1]g[il1]t|signed\s*by"
)
_FILLER = re.compile(r"[_~·•|]+|B{4,}|-{2,}")
# Running footers and page numbers inside a signature area ("Revised 03/07/2025", "9").
_FOOTER = re.compile(
    r"^\s*(?:\d{1,2}\s*)?(?:R[ec]v(?:ised|lsed|fsed|lsod|\.)?\s*:?\s*[\d/Il ]{4,14}|\d{1,2})\s*$"
)
_SLASH_READ_AS_LETTER = re.compile(r"(?<=\d)[lI|](?=\d)|(?<=\d )[lI|](?=\d)|(?<=\d)[lI|](?= \d)")
_FOOTER_ANYWHERE = re.compile(
    r"\bR[ec]v(?:ised|lsed|fsed|lsod|\.)?\s*:?\s*[0-3]?\d\s*[/1Il]\s*[0-3]?\d\s*[/1Il]\s*\d{2,4}"
)


@dataclass(slots=True)
class Line:
    page: PageView
    start: int  # offset of the line in the page text
    text: str


@dataclass(slots=True)
class Cell:
    """A piece of one line that belongs to one column."""

    page: PageView
    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(slots=True)
class Block:
    """One column of a signature area, before it is read."""

    cells: list[Cell] = field(default_factory=list)
    side: str | None = None  # known from a "For the LEA:" / "For ICE:" head


@dataclass(frozen=True, slots=True)
class ReadSignature:
    signatory: Signatory
    evidence: dict[str, Evidence]


def _lines(page: PageView, start: int, stop: int) -> list[Line]:
    out = []
    offset = start
    for raw in page.text[start:stop].split("\n"):
        if raw.strip():
            out.append(Line(page, offset, raw))
        offset += len(raw) + 1
    return out


def _area(view: DocumentView, page_index: int, start: int) -> list[Line]:
    """Lines from `start` on the page to the end of the signature area (at most onto the next page)."""
    lines: list[Line] = []
    for index in range(page_index, min(page_index + 2, len(view.pages))):
        page = view.pages[index]
        begin = start if index == page_index else 0
        end_match = _END.search(page.text, begin)
        stop = end_match.start() if end_match else len(page.text)
        chunk = _lines(page, begin, stop)
        if index > page_index and lines:
            # A block broken by the page ("Name: ..." at its foot, "Title: ..." / "Date: ..." on top of the
            # next page): the next page's lines up to its first sentence of prose belong to the area.
            chunk = list(itertools.takewhile(lambda line: not _is_prose(line.text), chunk))
            lines.extend(chunk)
            break
        lines.extend(chunk)
        if end_match:
            break
    return lines


def _has_content(lines: list[Line]) -> bool:
    text = "\n".join(line.text for line in lines)
    return bool(find_dates(text)) or bool(_NAME.search(text))


def _split_columns(lines: list[Line], config: Parties) -> tuple[list[Block], int | None]:
    """The blocks of a signature area: split at the column boundary of a laid-out page; by repeated labels
    on a line when the text has lost its layout (OCR, PDFium's text); else one run of text to cut by name."""
    lines = [line for line in lines if not _FOOTER.match(line.text) and not _is_prose(line.text)]
    boundary: int | None = None
    left, right = Block(), Block()
    head_line = None
    for line in lines:
        lea_head = next((m for p in config.column_heads["lea"] if (m := p.search(line.text))), None)
        ice_head = next((m for p in config.column_heads["ice"] if (m := p.search(line.text))), None)
        if lea_head and ice_head:
            head_line = line
            lea_first = ice_head.start() > lea_head.start()
            left.side, right.side = ("lea", "ice") if lea_first else ("ice", "lea")
            second = ice_head if lea_first else lea_head
            first_end = (lea_head if lea_first else ice_head).end()
            if re.search(r"\s{3,}", line.text[first_end : second.start()]) or second.start() - first_end > 12:
                boundary = second.start()
            break
    if boundary is None and head_line is None:
        # The right column's left edge: where segments start far from the margin (with or without a left one).
        starts = []
        for line in lines:
            segments = [m for m in _GAP.finditer(line.text) if len(re.findall(r"[A-Za-z]", m.group())) >= 3]
            far = [m for m in segments if m.start() >= 30]
            if far and (len(segments) >= 2 or len(line.text) - len(line.text.lstrip()) >= 30):
                starts.append(far[-1].start())
        if starts:
            boundary = int(statistics.median(starts))
    if boundary is not None:
        # A right-column line may start a little left of its head ("For ICE:" at 50, "Date:" at 43).
        margin = min((len(line.text) - len(line.text.lstrip()) for line in lines), default=0)
        cut = boundary - max(6.0, (boundary - margin) * 0.2)
        for line in lines:
            labels = _label_starts(line.text, config)
            for segment in _GAP.finditer(line.text):
                if _FOOTER.match(segment.group()) or _FOOTER_ANYWHERE.search(segment.group()):
                    continue
                # Handwriting reaching across the page joins the right column's label to the left's words
                # ("Title: Shey, EM Fe shy Title:   Acting Director", OCR of a scan): cut at that label.
                inner = [s for s in labels if segment.start() < s < segment.end() and s >= cut]
                bounds = [segment.start(), *inner[:1], segment.end()]
                for begin, end in itertools.pairwise(bounds):
                    text = line.text[begin:end].rstrip()
                    cell = Cell(line.page, line.start + begin, text)
                    (right if begin >= cut else left).cells.append(cell)
        return [left, right], boundary
    if head_line is not None or sum(1 for line in lines if len(_label_starts(line.text, config)) >= 2) >= 2:
        return _split_by_labels(lines, config, left, right), None
    return _split_by_names(lines, config), None


def _label_starts(text: str, config: Parties) -> list[int]:
    """Where form labels ("Date:", "Name:" ...) or column heads start in a line."""
    starts = set()
    for regex in list(config.labels.values()) + [p for ps in config.column_heads.values() for p in ps]:
        for m in regex.finditer(text):
            if m.group().rstrip().endswith((":", ";", ".")) or regex in [
                p for ps in config.column_heads.values() for p in ps
            ]:
                starts.add(m.start())
    return sorted(starts)


def _split_by_labels(lines: list[Line], config: Parties, left: Block, right: Block) -> list[Block]:
    """Rows that print both columns' labels ("Name: Bruce Zuchowski Name: Todd M. Lyons") split at the second
    label; a row with one label goes to the column that still lacks it; other rows follow the row above."""
    seen: dict[int, set[str]] = {0: set(), 1: set()}
    last = 0
    for line in lines:
        if _FOOTER_ANYWHERE.search(line.text):
            continue
        starts = [s for s in _label_starts(line.text, config)]
        if len(starts) >= 2:
            cut = starts[1]
            pieces = [(0, line.text[:cut]), (1, line.text[cut:])]
            offsets = [0, cut]
        else:
            column = last
            if starts:
                label = _label(Cell(line.page, line.start, line.text.strip()), config)
                key = label[0] if label else ""
                column = 0 if key not in seen[0] else 1 if key not in seen[1] else last
            pieces, offsets = [(column, line.text)], [0]
        for (column, text), offset in zip(pieces, offsets, strict=True):
            if not text.strip():
                continue
            lead = len(text) - len(text.lstrip())
            cell = Cell(line.page, line.start + offset + lead, text.strip())
            label = _label(cell, config)
            if label:
                seen[column].add(label[0])
            (left if column == 0 else right).cells.append(cell)
            last = column
    return [left, right]


def _split_by_names(lines: list[Line], config: Parties) -> list[Block]:
    """One column of text holding several blocks one after another (the 2019 form read without its layout):
    a new block starts at a name line that follows title or organisation lines."""
    blocks: list[Block] = [Block()]
    seen_body = False
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        cell = Cell(line.page, line.start + len(line.text) - len(line.text.lstrip()), text)
        is_name = _as_name(text) is not None and len(_clean(text)) <= len(_as_name(text)[0]) + 3  # type: ignore[index]
        if is_name and seen_body and blocks[-1].cells:
            blocks.append(Block())
            seen_body = False
        elif not is_name and not find_dates(text) and not _label(cell, config):
            seen_body = seen_body or any(blocks[-1].cells)
        blocks[-1].cells.append(cell)
    return [b for b in blocks if b.cells]


def _label(cell: Cell, config: Parties) -> tuple[str, str, int] | None:
    """(label, rest of the cell after it, offset of the rest) when the cell starts with a form label."""
    stripped = cell.text.lstrip(" _")
    lead = len(cell.text) - len(stripped)
    for key, regex in config.labels.items():
        m = regex.match(stripped)
        if m:
            return key, stripped[m.end() :], cell.start + lead + m.end()
    return None


def _clean(text: str) -> str:
    text = _FILLER.sub(" ", text)
    text = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9.)]+$", "", text)
    return " ".join(text.split())


_TOKEN = re.compile(
    r"(?:[A-Z]\.)|(?:[A-Z][a-z'’\-]+(?:[A-Z][a-z'’\-]+)?\.?)|(?:Mc[A-Z][a-z]+)|(?:Jr\.?|Sr\.?|II|III|IV)"
)


def _as_name(text: str) -> tuple[str, int, int] | None:
    """(name, start, end) of a person's name in a cell's text: 2-5 capitalised words or initials.

    A title in front ("Sheriff Sam Page") is skipped; a name run together ("LarryKendrick", from a
    glyph-shifted form) is split at its capitals."""
    text = text.replace("·", "").replace(",", " ")
    for m in re.finditer(r"[A-Z][A-Za-z.'’\- ]{2,60}", text):
        candidate = m.group().strip()
        lead = re.match(r"(?:Sheriff|Sherriff|Chief|Colonel|Director|Jailer|Major|Captain)\s+", candidate)
        if lead:
            candidate = candidate[lead.end() :]
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", candidate)
        tokens = re.findall(r"[A-Z]\.|[^\s.]+\.?", spaced)
        if not 2 <= len(tokens) <= 5 or not all(_TOKEN.fullmatch(t) for t in tokens):
            continue
        if sum(c.isalpha() for c in spaced) < 6 or not any(len(t.strip(".")) >= 3 for t in tokens):
            continue
        if _NOT_NAME_WORDS.search(spaced):
            continue
        start = m.start() + m.group().index(candidate)
        return spaced, start, start + len(candidate)
    return None


def _as_title(text: str, side: str | None, config: Parties) -> str | None:
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > 80:
        return None
    titles = config.titles["ice"] + config.titles["lea"] if side is None else config.titles[side]
    for title in sorted(titles, key=len, reverse=True):
        if re.match(rf"{re.escape(title)}\b", cleaned, re.IGNORECASE):
            # "Acting Director, U.S. Immigration and ...": the organisation after the comma is not the title.
            # So is the agency or the place after it ("Chief of Police, Marsh Harbor Police Dept.", "County
            # Executive, Severn Point County, Maryland").
            head, _, tail = cleaned.partition(",")
            # ("Sheriff, Waushara County" is one title: the county alone is no organisation.)
            org = re.search(r"Immigration|Homeland|U\.\s?S\.|\bICE\b|\bDHS\b", tail) or (
                config.agency_words.search(tail)
                or any(normalize_state(part.strip(" .")) for part in tail.split(","))
            )
            if tail and org:
                return head.strip()
            # "Sheriff Sam Page": the title in front of the signer's name.
            rest = cleaned[len(title) :]
            parsed = _as_name(rest)
            if parsed and not _clean(rest[parsed[2] :]) and not _clean(rest[: parsed[1]]):
                return cleaned[: len(title)]
            return cleaned
    head = cleaned.split(",")[0]
    best = process.extractOne(head, titles, scorer=fuzz.ratio, score_cutoff=85)
    if best:
        return str(best[0])
    # A long title whose first letters are lost under a signature, with its organisation on the same line
    # ("ecutive Associate Director Enforcement"): the title's length of text, fuzzily.
    for title in sorted((t for t in titles if len(t) >= 15), key=len, reverse=True):
        for length in range(len(title) - 3, len(title) + 2):
            piece = head[:length]
            if fuzz.ratio(piece.lower(), title.lower()) >= 90 and (
                length >= len(head) or head[length] == " "
            ):
                return title
    return None


def _evidence(view: DocumentView, cell: Cell, start: int, end: int, rule: str, confidence: float) -> Evidence:
    return Evidence(
        sha256=view.sha256,
        page=cell.page.number,
        start=start,
        end=end,
        quote=" ".join(cell.page.text[start:end].split()),
        rule=rule,
        confidence=confidence,
    )


def _read_block(view: DocumentView, block: Block, part: str, config: Parties) -> ReadSignature | None:
    cells = block.cells
    text = " ".join(c.text for c in cells)
    side = block.side
    if side is None:
        side = "ice" if config.ice_markers.search(text) else "lea"
    name: tuple[str, Evidence] | None = None
    title: tuple[str, Evidence] | None = None
    agency: tuple[str, Evidence] | None = None
    dates: list[tuple[FoundDate, Evidence]] = []
    labelled = [(_label(c, config), c) for c in cells]
    for index, (label, cell) in enumerate(labelled):
        if label is None:
            continue
        key, rest, rest_start = label
        rest_piece = Cell(cell.page, rest_start, rest) if rest else None
        above = [c for lab, c in reversed(labelled[max(0, index - 2) : index]) if lab is None]
        above = above[
            : next((i for i, (lab, _) in enumerate(reversed(labelled[:index])) if lab is not None), 2)
        ]
        following: list[Cell] = []
        for label_after, cell_after in labelled[index + 1 : index + 4]:
            if label_after is not None:
                break
            following.append(cell_after)
        # The value follows the label (maybe broken over lines by the form's rule: "Title:- -Acting" / "---" /
        # "Director"); or, when the label is followed by a line to write on ("Name:____"), it was typed above
        # that line (2025 form); or, when the label stands alone, it is on the next line.
        candidates: list[list[Cell]] = []
        if rest_piece and _clean(rest):
            candidates += [[rest_piece], [rest_piece, *following]]
        elif re.search(r"_{2}|B{4}", rest):
            candidates += [[c] for c in above] + [[c] for c in following[:1]]
        else:
            candidates += [[c] for c in following[:1]] + [[c] for c in above]
        if key == "date":
            # A stamp or handwritten date spread over lines around the label ("OCT" / "Date: 1_" / "5_2019").
            candidates.append([*reversed(above), *([rest_piece] if rest_piece else []), *following])
        for pieces in candidates:
            if not pieces:
                continue
            value = " ".join(p.text for p in pieces)
            first, last = pieces[0], pieces[-1]
            if key == "date":
                found = find_dates(_date_text(value))
                if found:
                    f = found[0]
                    if len(pieces) == 1:
                        span = (first.start + f.start, first.start + f.end)
                    else:
                        span = (first.start, last.end)
                    rule = "signature.date_" + f.form
                    ev = Evidence(
                        view.sha256,
                        first.page.number,
                        span[0],
                        span[1],
                        " ".join(first.page.text[span[0] : span[1]].split()),
                        rule,
                        0.9 if len(pieces) == 1 else 0.7,
                    )
                    dates.append((FoundDate(f.value, span[0], span[1], f.form), ev))
                    break
            elif key == "name" and name is None:
                parsed = _as_name(value)
                if parsed and parsed[2] <= len(first.text):
                    name_evidence = _evidence(
                        view,
                        first,
                        first.start + parsed[1],
                        first.start + parsed[2],
                        "signature.name_line",
                        0.9,
                    )
                    name = (parsed[0], name_evidence)
                    break
            elif key == "title" and title is None:
                # After a "Title:" label any readable words are the title; elsewhere only a known one.
                cleaned = _clean(value)
                parsed_title = _as_title(value, side, config) or (
                    cleaned if _free_title(cleaned, first, config) else None
                )
                if parsed_title:
                    title = (
                        parsed_title,
                        _evidence(
                            view,
                            first,
                            first.start,
                            last.end if last.page is first.page else first.end,
                            "signature.title_line",
                            0.85,
                        ),
                    )
                    break
            elif key == "agency" and agency is None:
                cleaned = _clean(value)
                if len(cleaned) > 3 and _readable(cleaned) and len(pieces) == 1:
                    agency = (
                        cleaned,
                        _evidence(view, first, first.start, first.end, "signature.agency_line", 0.85),
                    )
                    break
    if name is None:
        name = _head_name(view, cells, config)
    _read_stamps(view, cells, dates, config)
    name_holder: list[tuple[str, Evidence] | None] = [name]
    title_holder: list[tuple[str, Evidence] | None] = [title]
    _read_unlabelled(view, cells, labelled, side, config, dates, name_holder, title_holder)
    name, title = name_holder[0], title_holder[0]
    if name is None and title is None and not dates:
        return None
    best_date = max(dates, key=lambda d: _date_rank(d[0]))[0] if dates else None
    evidence: dict[str, Evidence] = {}
    if name:
        evidence["name"] = name[1]
    if title:
        evidence["title"] = title[1]
    if agency:
        evidence["agency"] = agency[1]
    if best_date:
        evidence["date"] = next(e for f, e in dates if f is best_date)
    signatory = Signatory(
        side=side,
        name=name[0] if name else None,
        title=title[0] if title else None,
        date=best_date.value if best_date else None,
        date_form=best_date.form if best_date else None,
        part=part,
        page=cells[0].page.number,
        agency=agency[0] if agency else None,
        evidence=evidence,  # the same dict: a date dropped later leaves both
    )
    return ReadSignature(signatory, evidence)


def _free_title(text: str, cell: Cell, config: Parties) -> bool:
    """Words after a "Title:" label that are not a known title: accepted unless they are an agency's name
    ("OWYHEE COUNTY SHERIFF'S OFFICE") or another form label read badly ("Signamre")."""
    if len(text) < 3 or not _readable(text) or _label(Cell(cell.page, 0, text), config):
        return False
    if re.search(r"\b(?:Office|Department|Dept|County|Bureau|Division)\b", text, re.IGNORECASE):
        return False
    first_word = text.split()[0].lower()
    return all(
        fuzz.ratio(first_word, label) < 75 for label in ("signature", "agency", "name", "date", "title")
    )


def _is_prose(text: str) -> bool:
    """A sentence left over from the paragraph above the signatures, not part of a block."""
    return len(re.findall(r"\b[a-z]{2,}\b", text)) >= 4


def _readable(text: str) -> bool:
    letters = sum(c.isalpha() or c.isspace() for c in text)
    return letters >= 0.85 * len(text) and bool(re.search(r"[A-Za-z]{3}", text))


def _head_name(view: DocumentView, cells: list[Cell], config: Parties) -> tuple[str, Evidence] | None:
    """The name written after the column head: "For the LEA: David E. Vincent"."""
    for cell in cells[:3]:
        for pattern in config.column_heads["lea"] + config.column_heads["ice"]:
            m = pattern.match(cell.text.strip())
            if m:
                lead = len(cell.text) - len(cell.text.lstrip())
                rest_start = cell.start + lead + m.end()
                parsed = _as_name(cell.text.strip()[m.end() :])
                if parsed:
                    start = rest_start + parsed[1]
                    return parsed[0], _evidence(
                        view, cell, start, rest_start + parsed[2], "signature.name_after_head", 0.9
                    )
    return None


def _date_rank(found: FoundDate) -> tuple[int, int]:
    # A digital stamp is the machine's record of the signing; a typed date comes next; then the rest.
    return ({"digital": 3, "typed": 2, "numeric": 2, "stamped": 1}[found.form], -found.start)


def _read_stamps(
    view: DocumentView, cells: list[Cell], dates: list[tuple[FoundDate, Evidence]], config: Parties
) -> None:
    for cell in cells:
        for m in config.digital_stamp.regex.finditer(cell.text):
            value = _stamp_date(m["y"], m["m"], m["d"])
            start, end = cell.start + m.start("y"), cell.start + m.end("d")
            if value and not any(e.start <= start < e.end for _, e in dates):
                dates.append(
                    (
                        FoundDate(value, start, end, "digital"),
                        _evidence(view, cell, start, end, config.digital_stamp.id, 0.95),
                    )
                )


def _date_text(value: str) -> str:
    """A date cell with form underscores blanked and a slash read as a letter restored ("2/21 l2025"); the
    length stays the same, so offsets found in it are offsets in the cell."""
    return _SLASH_READ_AS_LETTER.sub("/", value.replace("_", " "))


def _stamp_date(year: str, month: str, day: str) -> date | None:
    """A digital stamp's date; its year may have lost the leading "2" in an OCR layer ("020.06.09")."""
    try:
        value = date(int(year) + (2000 if len(year) < 4 else 0), int(month), int(day))
    except ValueError:
        return None
    return value if YEAR_MIN <= value.year <= YEAR_MAX else None


def _read_unlabelled(
    view: DocumentView,
    cells: list[Cell],
    labelled: list[tuple[tuple[str, str, int] | None, Cell]],
    side: str,
    config: Parties,
    dates: list[tuple[FoundDate, Evidence]],
    name_holder: list[tuple[str, Evidence] | None],
    title_holder: list[tuple[str, Evidence] | None],
) -> None:
    """The 2019–2020 blocks: no Name/Title labels — a name line, then title lines; dates anywhere."""
    unlabelled = [cell for label, cell in labelled if label is None and not _is_prose(cell.text)]
    if name_holder[0] is None:
        # The typed name line is the one right above a title line; failing that, the first name-like line.
        names = []
        for index, cell in enumerate(unlabelled):
            if config.digitally_signed_by.regex.search(cell.text):
                continue
            parsed = _as_name(cell.text)
            if parsed and len(_clean(cell.text[parsed[1] :])) <= len(parsed[0]) + 3:
                follows_title = index + 1 < len(unlabelled) and _as_title(
                    unlabelled[index + 1].text, side, config
                )
                names.append((not follows_title, index, cell, parsed))
        if names:
            _, _, cell, parsed = min(names, key=lambda n: (n[0], n[1]))
            name_holder[0] = (
                parsed[0],
                _evidence(
                    view,
                    cell,
                    cell.start + parsed[1],
                    cell.start + parsed[2],
                    "signature.name_unlabelled",
                    0.75,
                ),
            )
    for label, cell in labelled:
        if label is not None or _is_prose(cell.text):
            continue
        if title_holder[0] is None:
            parsed_title = _as_title(cell.text, side, config)
            if parsed_title:
                title_holder[0] = (
                    parsed_title,
                    _evidence(view, cell, cell.start, cell.end, "signature.title_unlabelled", 0.75),
                )
                continue
        if not dates:
            for f in find_dates(cell.text):
                dates.append(
                    (
                        FoundDate(f.value, cell.start + f.start, cell.start + f.end, f.form),
                        _evidence(
                            view,
                            cell,
                            cell.start + f.start,
                            cell.start + f.end,
                            f"signature.date_{f.form}",
                            0.8,
                        ),
                    )
                )
                break
    if name_holder[0] is None:
        # Nothing but a digital signature names the signer: "Digitally signed by Shannon Oliver", often
        # wrapped onto the lines below at the same column ("Digitally signed by Simon" / "Blank").
        name_holder[0] = _digitally_signed_name(view, cells, config)


def _column(cell: Cell) -> int:
    return cell.start - (cell.page.text.rfind("\n", 0, cell.start) + 1)


_STAMP_HEAD = re.compile(r"Digitally\s*signed\s*by", re.IGNORECASE)


def _digitally_signed_name(
    view: DocumentView, cells: list[Cell], config: Parties
) -> tuple[str, Evidence] | None:
    for index, cell in enumerate(cells):
        head = _STAMP_HEAD.search(cell.text)
        if not head:
            continue
        column = _column(cell) + head.start()
        pieces = [cell]
        for after in cells[index + 1 : index + 4]:
            if after.page is not cell.page or abs(_column(after) - column) > 2:
                continue
            if re.match(r"\s*(?:Date|Reason|Location|DN)\b", after.text) or _label(after, config):
                break
            pieces.append(after)
        # The stamp's own lines, joined; the name ends where its "Date:" starts.
        joined = " ".join([cell.text[head.start() :], *(p.text for p in pieces[1:])])
        joined = re.split(r"\bDate\b", joined)[0]
        m = config.digitally_signed_by.regex.search(joined)
        if not m:
            continue
        name = " ".join(m["name"].split())
        last = pieces[-1] if len(name.split()) > len(cell.text[head.end() :].split()) else cell
        start = cell.start + head.start() + m.start("name")
        end = last.end if last is not cell else start + len(m["name"])
        confidence = 0.8 if last is cell else 0.7
        return name, _evidence(view, cell, start, end, config.digitally_signed_by.id, confidence)
    return None


def _starts(view: DocumentView, config: Parties) -> list[tuple[int, int, str]]:
    """(page index, offset, part) where each signature area starts: after the "By signing ..." sentence."""
    out = []
    for pattern in config.signature_start:
        for match in find(view, pattern, fuzzy=bool(pattern.extra.get("fuzzy"))):
            part = "addendum" if "addendum" in pattern.id else "agreement"
            page = match.page
            stop = re.search(r"allowed\s+by\s+law\s*\.|WHEREOF[^\n]*\n", page.text[match.end :])
            offset = match.end + (stop.end() if stop else 0)
            out.append((view.pages.index(page), offset, part))
    if not out:
        # No closing sentence survived (a scan, a TFF MOU): start at a "For the LEA: ... For ICE:" line.
        for index, page in enumerate(view.pages):
            for line in page.text.split("\n"):
                if any(p.search(line) for p in config.column_heads["lea"]) and any(
                    p.search(line) for p in config.column_heads["ice"]
                ):
                    out.append((index, page.text.index(line), "agreement"))
                    break
    return sorted(set(out))


def _assign_sides(blocks: list[Block], config: Parties) -> None:
    """Sides of blocks with no column head: the one with more ICE wording is ICE's, the others the LEA's."""
    if any(b.side for b in blocks):
        return
    counts = [len(config.ice_markers.findall(" ".join(c.text for c in b.cells))) for b in blocks]
    if not blocks:
        return
    if len(blocks) == 1:
        blocks[0].side = "ice" if counts[0] else "lea"
        return
    top = max(counts)
    ice_index = counts.index(top) if top and counts.count(top) == 1 else None
    for index, block in enumerate(blocks):
        block.side = "ice" if index == ice_index else "lea"


_RULE_LINE = re.compile(r"^\s*_{8,}")


def _opens_block(line: Line, config: Parties) -> bool:
    """A line that starts a block laid under the previous one: its signature rule, or — where OCR dropped the
    rule — its first "Name:" label, or the date typed beside the (lost) rule."""
    text = line.text.strip()
    if _RULE_LINE.match(line.text):
        return True
    label = _label(Cell(line.page, 0, text), config)
    if label is not None and label[0] == "name":
        return True
    found = find_dates(text)
    return bool(found) and len(_clean(text[: found[0].start] + text[found[0].end :])) == 0


def _split_stacked(lines: list[Line], config: Parties) -> list[Block] | None:
    """Blocks laid one under the other: "______" / "Name: ..." / "Title: ..." / "Date: ...", or the rule with
    the date beside it and the typed name under it ("______   March 2, 2015" / "Marisol T. Ferrante   Date" /
    "Chief of Police"). None when the area is not laid out so: fewer than two blocks, a line holding two
    columns' heads, names or titles, or a block naming nobody."""
    lines = [line for line in lines if not _FOOTER.match(line.text) and not _is_prose(line.text)]
    openers = [i for i, line in enumerate(lines) if _opens_block(line, config)]
    if len(openers) < 2:
        return None
    groups = [lines[: openers[1]]] + [lines[a:b] for a, b in itertools.pairwise([*openers[1:], len(lines)])]
    blocks: list[Block] = []
    pending: list[Cell] = []  # a rule or a date line that opens the block whose name comes next
    for group in groups:
        block = Block(cells=pending)
        pending = []
        named = False
        for line in group:
            heads = sum(1 for ps in config.column_heads.values() for p in ps if p.search(line.text))
            segments = [m for m in _GAP.finditer(line.text) if not _FILLER.fullmatch(m.group())]
            people = [m for m in segments if _as_name(m.group()) or _as_title(m.group(), None, config)]
            labels = [m for m in segments if _label(Cell(line.page, 0, m.group()), config)]
            if heads >= 2 or len(people) >= 2 or len(labels) >= 2:
                return None
            for m in segments:
                cell = Cell(line.page, line.start + m.start(), m.group())
                block.cells.append(cell)
                label = _label(cell, config)
                named = named or (label is not None and label[0] == "name") or _as_name(m.group()) is not None
        if named:
            blocks.append(block)
        else:
            pending = block.cells
    if pending and blocks:
        blocks[-1].cells.extend(pending)
    return blocks if len(blocks) >= 2 else None


def read_signatures(view: DocumentView) -> list[ReadSignature]:
    """Every signature block of the agreement and its addenda, in page order."""
    config = parties()
    out: list[ReadSignature] = []
    for page_index, offset, part in _starts(view, config):
        lines = _area(view, page_index, offset)
        stacked = _split_stacked(lines, config)
        blocks = stacked if stacked is not None else _split_columns(lines, config)[0]
        _assign_sides(blocks, config)
        for block in blocks:
            if not block.cells:
                continue
            read = _read_block(view, block, part, config)
            if read is not None:
                out.append(read)
    return out


def signature_start_patterns() -> tuple[Pattern, ...]:
    return parties().signature_start
