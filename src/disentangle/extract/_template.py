"""Template families as data: build a family's standard text from its members, align an agreement to it,
and report what the agreement added, removed or changed — as JSON, Markdown and (escaped) HTML redlines."""

from __future__ import annotations

import bisect
import difflib
import html
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from disentangle.errors import KnowledgeError
from disentangle.extract._clauses import Clause, split_clauses
from disentangle.extract._extraction import Extraction
from disentangle.extract._text import _SHIFTS as GLYPH_SHIFTS
from disentangle.knowledge import KNOWLEDGE_DIR
from disentangle.model import Document

TEMPLATES_DIR = KNOWLEDGE_DIR / "agreements" / "templates"
MATCH = 80.0  # clause similarity (rapidfuzz ratio of keys) that counts as the same clause
SAME = 95.0  # at or above: unchanged (OCR noise and typos aside)
SUPPORT = 0.5  # share of a family's members a clause must appear in to be part of the standard text
VARIABLE = 92.0  # mean similarity of members' versions below which a clause is a fill-in (names, addresses)


@dataclass(frozen=True, slots=True)
class TemplateClause:
    id: str
    section: str
    text: str
    key: str
    support: float  # share of members that have it
    variable: bool  # members fill it in differently (agency names, addresses, signatures)


@dataclass(frozen=True, slots=True)
class Template:
    family: str
    label: str
    members: int
    built_from: tuple[dict[str, str], ...]
    clauses: tuple[TemplateClause, ...]

    def to_yaml_data(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "label": self.label,
            "description": (
                f"Consensus text of the {self.family} family: every clause found in at least "
                f"{SUPPORT:.0%} of "
                f"its {self.members} members in the corpus, in the wording most members share. Built by "
                "bench/build_templates.py; do not edit by hand."
            ),
            "source": {
                "label": "Consensus of the member agreements listed in built_from",
                "members": self.members,
            },
            "built_from": list(self.built_from),
            "clauses": [
                {
                    "id": c.id,
                    "section": c.section,
                    "text": c.text,
                    "key": c.key,
                    "support": round(c.support, 3),
                    "variable": c.variable,
                }
                for c in self.clauses
            ],
        }


# ----------------------------------------------------------------------------------------------------------
# Alignment


def similarity(a: str, b: str) -> float:
    return float(fuzz.ratio(a, b))


def align(
    left: Sequence[str], right: Sequence[str], threshold: float = MATCH
) -> list[tuple[int | None, int | None, float]]:
    """Monotone alignment of two clause-key sequences maximising summed similarity of matched pairs.

    Returns (left index or None, right index or None, similarity) in order; None marks a gap."""
    n, m = len(left), len(right)
    # Only pairs above the threshold can match; score them once. fuzz.ratio cannot exceed
    # 200 * shorter / (len_a + len_b), so lengths further apart than that bound are skipped unscored.
    scores: dict[tuple[int, int], float] = {}
    bound = threshold / (200 - threshold)  # shortest/longest ratio below which the threshold is unreachable
    order = sorted(range(m), key=lambda j: len(right[j]))
    lengths = [len(right[j]) for j in order]
    for i, key in enumerate(left):
        low = bisect.bisect_left(lengths, len(key) * bound)
        high = bisect.bisect_right(lengths, len(key) / bound if bound else float("inf"))
        for j in order[low:high]:
            ratio = fuzz.ratio(key, right[j], score_cutoff=threshold)
            if ratio:
                scores[(i, j)] = float(ratio)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            value = max(below[j], row[j + 1])
            pair = scores.get((i, j))
            if pair is not None:
                value = max(value, pair + below[j + 1])
            row[j] = value
    out: list[tuple[int | None, int | None, float]] = []
    i = j = 0
    while i < n and j < m:
        matched = scores.get((i, j))
        if matched is not None and best[i][j] == matched + best[i + 1][j + 1]:
            out.append((i, j, matched))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            out.append((i, None, 0.0))
            i += 1
        else:
            out.append((None, j, 0.0))
            j += 1
    out.extend((k, None, 0.0) for k in range(i, n))
    out.extend((None, k, 0.0) for k in range(j, m))
    return out


# ----------------------------------------------------------------------------------------------------------
# Building


def _medoid(members: Sequence[Sequence[Clause]]) -> int:
    """The member whose clause set overlaps most with the others' (exact keys)."""
    sets = [{c.key for c in member} for member in members]
    best, best_score = 0, -1.0
    for i, own in enumerate(sets):
        score = sum(len(own & other) / max(1, len(own | other)) for j, other in enumerate(sets) if j != i)
        if score > best_score:
            best, best_score = i, score
    return best


def build_template(
    family: str, label: str, members: Sequence[tuple[dict[str, str], Sequence[Clause]]]
) -> Template:
    """The consensus text of a family from its members' clauses (see module docstring for the rule)."""
    if not members:
        raise ValueError(f"{family}: no members to build a template from")
    clause_lists = [list(clauses) for _, clauses in members]
    skeleton_index = _medoid(clause_lists)
    skeleton = clause_lists[skeleton_index]
    total = len(clause_lists)
    # Versions of each skeleton clause across members, and member clauses the skeleton lacks, by position.
    versions: list[list[Clause]] = [[c] for c in skeleton]
    extras: dict[int, list[Clause]] = defaultdict(list)  # after skeleton position -> clauses
    for index, clauses in enumerate(clause_lists):
        if index == skeleton_index:
            continue
        last = -1
        for s, c, _ in align([x.key for x in skeleton], [x.key for x in clauses]):
            if s is not None and c is not None:
                versions[s].append(clauses[c])
                last = s
            elif c is not None:
                extras[last].append(clauses[c])
    built: list[TemplateClause] = []

    def emit(candidates: list[Clause], support: float) -> None:
        if _SIGNATURE_LINE.search(candidates[0].text):
            return  # signature blocks are filled in per agreement; they are not the template's text
        keys = Counter(c.key for c in candidates)
        key, _ = keys.most_common(1)[0]
        # The wording most members share; among equals, the version closest to all the others.
        representative = max(
            (c for c in candidates if c.key == key),
            key=lambda c: sum(similarity(c.key, o.key) for o in candidates),
        )
        spread = sum(similarity(representative.key, c.key) for c in candidates) / len(candidates)
        built.append(
            TemplateClause(
                id=f"{family}:{len(built) + 1:03d}",
                section=representative.section,
                text=representative.generic,
                key=representative.key,
                support=support,
                variable=spread < VARIABLE,
            )
        )

    def emit_extras(position: int) -> None:
        groups: list[list[Clause]] = []
        for clause in extras.get(position, []):
            for group in groups:
                if similarity(group[0].key, clause.key) >= MATCH:
                    group.append(clause)
                    break
            else:
                groups.append([clause])
        for group in groups:
            support = len(group) / total
            if support >= SUPPORT:
                emit(group, support)

    emit_extras(-1)
    for position, candidates in enumerate(versions):
        support = len(candidates) / total
        if support >= SUPPORT:
            emit(candidates, support)
        emit_extras(position)
    built_from = tuple(meta for meta, _ in members)
    return Template(family, label, total, built_from, tuple(built))


def write_template(template: Template, directory: Path = TEMPLATES_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{template.family}.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# Generated by bench/build_templates.py from the corpus; rebuild, do not edit.\n")
        yaml.safe_dump(template.to_yaml_data(), handle, sort_keys=False, allow_unicode=True, width=110)
    return path


@cache
def load_template(family: str, directory: Path = TEMPLATES_DIR) -> Template | None:
    """The stored consensus template of a family, or None when none was built."""
    path = directory / f"{family}.yaml"
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        clauses = tuple(
            TemplateClause(
                c["id"], c["section"], c["text"], c["key"], float(c["support"]), bool(c["variable"])
            )
            for c in data["clauses"]
        )
        return Template(
            data["family"], data["label"], int(data["source"]["members"]), tuple(data["built_from"]), clauses
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"{path}: not a valid template file: {exc}") from exc


def available_templates(directory: Path = TEMPLATES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


# ----------------------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True, slots=True)
class ClauseDiff:
    """One line of the comparison: a template clause and what the agreement has in its place."""

    kind: str  # same | changed | local | removed | added
    template_id: str | None
    section: str
    template_text: str | None
    document_text: str | None
    similarity: float
    page: int | None = None
    start: int | None = None
    end: int | None = None
    misread: bool = False  # the template's clause, read through OCR's misreadings of it

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "misread": self.misread,
            "template_clause": self.template_id,
            "section": self.section,
            "template_text": self.template_text,
            "document_text": self.document_text,
            "similarity": round(self.similarity, 1),
            "page": self.page,
            "start": self.start,
            "end": self.end,
        }


@dataclass(slots=True)
class Comparison:
    """An agreement against its family's standard text."""

    sha256: str
    family: str | None
    status: str  # compared | no-template | unknown-family
    members: int = 0
    diffs: list[ClauseDiff] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = Counter(d.kind for d in self.diffs)
        return {k: counts.get(k, 0) for k in ("same", "changed", "local", "removed", "added")}

    def deviations(self) -> list[ClauseDiff]:
        return [d for d in self.diffs if d.kind in ("changed", "removed", "added")]

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "family": self.family,
            "status": self.status,
            "template_members": self.members,
            "counts": self.counts(),
            "misread": sum(1 for d in self.diffs if d.misread),
            "diffs": [d.to_json() for d in self.diffs if d.kind != "same"],
        }

    def to_markdown(self) -> str:
        lines = [f"# Comparison with the {self.family or 'unknown'} template", ""]
        if self.status != "compared":
            return "\n".join([*lines, f"Not compared: {self.status}."])
        counts = self.counts()
        misread = sum(1 for d in self.diffs if d.misread)
        lines.append(
            f"{counts['same']} clauses as in the template"
            + (f" ({misread} of them read through OCR's misreadings)" if misread else "")
            + f", {counts['changed']} changed, "
            f"{counts['local']} filled in "
            f"locally, {counts['removed']} removed, {counts['added']} added "
            f"(template built from {self.members} agreements)."
        )
        section = None
        for diff in self.diffs:
            if diff.kind == "same":
                continue
            if diff.section != section:
                section = diff.section
                lines += ["", f"## {_md(section or '(before the first heading)')}", ""]
            where = f" (page {diff.page})" if diff.page else ""
            if diff.kind == "removed":
                lines.append(f"- **removed**: ~~{_md(diff.template_text or '')}~~")
            elif diff.kind == "added":
                lines.append(f"- **added**{where}: {_md(diff.document_text or '')}")
            else:
                lines.append(
                    f"- **{diff.kind}**{where}: "
                    + _word_diff(diff.template_text or "", diff.document_text or "", "md")
                )
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        esc = html.escape
        parts = [
            "<article class='redline'>",
            f"<h1>Comparison with the {esc(self.family or 'unknown')} template</h1>",
        ]
        if self.status != "compared":
            parts.append(f"<p>Not compared: {esc(self.status)}.</p></article>")
            return "\n".join(parts)
        counts = self.counts()
        parts.append(
            "<p>"
            + ", ".join(f"{n} {esc(k)}" for k, n in counts.items())
            + f" (template of {self.members} agreements)</p>"
        )
        section = None
        for diff in self.diffs:
            if diff.section != section:
                if section is not None:
                    parts.append("</section>")
                section = diff.section
                parts.append(f"<section><h2>{esc(section or '(before the first heading)')}</h2>")
            css = f"clause {diff.kind}"
            if diff.kind == "same":
                body = esc(diff.document_text or "")
            elif diff.kind == "removed":
                body = f"<del>{esc(diff.template_text or '')}</del>"
            elif diff.kind == "added":
                body = f"<ins>{esc(diff.document_text or '')}</ins>"
            else:
                body = _word_diff(diff.template_text or "", diff.document_text or "", "html")
            page = f" data-page='{diff.page}'" if diff.page else ""
            parts.append(f"<p class='{esc(css)}'{page}>{body}</p>")
        if section is not None:
            parts.append("</section>")
        parts.append("</article>")
        return "\n".join(parts)


def _md(text: str) -> str:
    """Text made inert for Markdown: emphasis, code, links and HTML characters escaped."""
    for char in "\\`*_[]<>#|~":
        text = text.replace(char, "\\" + char)
    return text


def _word_diff(old: str, new: str, form: str) -> str:
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed, added = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if form == "html":
            if op == "equal":
                out.append(html.escape(removed))
            if op in ("delete", "replace"):
                out.append(f"<del>{html.escape(removed)}</del>")
            if op in ("insert", "replace"):
                out.append(f"<ins>{html.escape(added)}</ins>")
        else:
            if op == "equal":
                out.append(_md(removed))
            if op in ("delete", "replace"):
                out.append(f"~~{_md(removed)}~~")
            if op in ("insert", "replace"):
                out.append(f"**{_md(added)}**")
    return " ".join(out)


def _is_local(template: TemplateClause, text_key: str) -> bool:
    """A fill-in: the clause varies by design, or the agreement only inserted words into the template's
    (a name, an address) — never a word that changes what the clause obliges ("not", "only", "must")."""
    if template.variable:
        return True
    a, b = template.key.split(), text_key.split()
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return all(
        op == "equal" or (op == "insert" and not _MEANING_WORDS.intersection(b[j1:j2]))
        for op, _, _, j1, j2 in ops
    )


_SIGNATURE_LINE = re.compile(r"Digitally\s*signed|B{4,}|_{6,}|\bSignature\s*:", re.IGNORECASE)
PAIR = 55.0  # a removed and an added clause in the same place this similar are one changed clause


def _pair_gaps(
    steps: list[tuple[int | None, int | None, float]], left: Sequence[str], right: Sequence[str]
) -> list[tuple[int | None, int | None, float]]:
    """Within each run of gaps, pair a template clause with an agreement clause that rewrites it (an address
    filled in, a sentence reworded) instead of reporting one removed and one added."""
    out: list[tuple[int | None, int | None, float]] = []
    run: list[tuple[int | None, int | None, float]] = []

    def close() -> None:
        removed = [t for t, c, _ in run if c is None and t is not None]
        added = [c for t, c, _ in run if t is None and c is not None]
        paired: dict[int, tuple[int, float]] = {}
        used: set[int] = set()
        for t in removed:
            best = max(
                ((c, float(fuzz.token_set_ratio(left[t], right[c]))) for c in added if c not in used),
                key=lambda pair: pair[1],
                default=None,
            )
            if best and best[1] >= PAIR:
                paired[t] = best
                used.add(best[0])
        for gap_t, gap_c, gap_score in run:
            if gap_t is not None and gap_t in paired:
                # Reported with its plain similarity, which the pairing score (a token-set match) overstates.
                partner = paired[gap_t][0]
                out.append((gap_t, partner, min(float(fuzz.ratio(left[gap_t], right[partner])), SAME - 0.1)))
            elif gap_c is not None and gap_c in used:
                continue
            else:
                out.append((gap_t, gap_c, gap_score))
        run.clear()

    for step in steps:
        if step[0] is not None and step[1] is not None:
            close()
            out.append(step)
        else:
            run.append(step)
    close()
    return out


# ----------------------------------------------------------------------------------------------------------
# Reading through OCR noise
#
# A scan read by OCR (and some text layers) misreads letters ("1357(g)(8)" as "I 357(g)(8)", "FOD" as "FOO",
# "(viii)" as "(vill)"), splits or joins words and sentences where the page did not, and reads specks as
# letters. A clause whose words differ from the template only by such misreadings is the template's clause,
# not a deviation. Nothing else is excused: a different number, a negation or modal word added, dropped or
# changed, a word that is not a near-spelling of the template's, or more than a couple of small words
# missing is still a deviation.

# Words whose change changes what a clause obliges: never excused as a misreading.
_MEANING_WORDS = frozenset(
    [
        "not",
        "no",
        "nor",
        "never",
        "none",
        "shall",
        "may",
        "must",
        "will",
        "would",
        "should",
        "only",
        "any",
        "all",
        "each",
        "every",
        "without",
        "unless",
        "except",
        "before",
        "after",
        "within",
        "less",
        "more",
        "than",
        "prior",
        "later",
        "or",
        "and",
        "include",
        "includes",
        "including",
        "exclude",
        "excludes",
        "excluding",
    ]
)
# Small words OCR drops, glues to a neighbour ("ofthe") or a page break swallows: up to two are excused.
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "as",
        "is",
        "be",
        "it",
        "its",
        "this",
        "that",
        "with",
        "from",
    ]
)
# Party words: the template's "LEA" may be filled in with the agency's own name, never with these.
_PARTIES = frozenset(["ice", "dhs", "hsi", "ero", "fod", "opla", "doj", "opr", "cbp", "uscis", "federal"])
# Letters OCR confuses with one another, folded to one letter; and the digits letters stand for in numbers.
_FOLD = str.maketrans(
    {
        "1": "l", "i": "l", "j": "l", "0": "o", "d": "o", "q": "o", "u": "n",
        "5": "s", "c": "e", "h": "b", "8": "b", "6": "b", "9": "g", "2": "z",
    }
)  # fmt: skip
_SPECK = frozenset("eoc")  # what a speck between two words is read as
_FOOTER_WORDS = frozenset({"revlseo", "rev"})  # "Revised", "Rev" of a revision footer, folded as _fold_ocr


def _fold_ocr(text: str) -> str:
    # "cl" for "d" and "vv" for "w" first, then single letters; "ill" and "i11" end up one "l" alike.
    return re.sub(r"l{2,}", "l", text.replace("vv", "w").replace("cl", "d").translate(_FOLD))


_FOLDED_MEANING = frozenset(_fold_ocr(w) for w in _MEANING_WORDS)
_FOLDED_PARTIES = frozenset(_fold_ocr(w) for w in _PARTIES)
_FOLDED_SMALL = frozenset(_fold_ocr(w) for w in _SMALL_WORDS)


def _spans(words: Sequence[str]) -> list[tuple[int, int, str]]:
    """Each word's (start, end) in the folded, joined words, with its folded form."""
    out, position = [], 0
    for word in words:
        folded = _fold_ocr(word)
        out.append((position, position + len(folded), folded))
        position += len(folded)
    return out


def _same_numbers(a: str, b: str) -> bool:
    """Whether two readings have the same digits: a digit may be read as a letter or a letter as a digit
    ("I 357" for 1357, "pa1ticipating"), but a digit read as another digit, or one more or less, is a
    different number ("48" and "72", "90-day" and "180-day")."""
    for op in Levenshtein.opcodes(a, b):
        left, right = a[op.src_start : op.src_end], b[op.dest_start : op.dest_end]
        if op.tag in ("insert", "delete") and any(ch.isdigit() for ch in left + right):
            # A lone "1" or "0" among letters is a letter misread ("I", "l", "O"), not a number.
            text, at, end = (
                (b, op.dest_start, op.dest_end) if op.tag == "insert" else (a, op.src_start, op.src_end)
            )
            around = text[at - 1 : at] + text[end : end + 1]
            if (
                set(left + right) <= {"1", "0"}
                and len(left + right) == 1
                and not any(c.isdigit() for c in around)
            ):
                continue
            return False
        if op.tag == "replace":
            if len(left) != len(right) and any(ch.isdigit() for ch in left + right):
                return False
            if any(x.isdigit() and y.isdigit() and x != y for x, y in zip(left, right, strict=False)):
                return False
    return True


def _font_shifted(template: Sequence[str], reading: Sequence[str]) -> bool:
    """A broken font's encoding: the template's words printed with every character moved by one constant (a
    subset font's glyph shift, extract/_text.py), as a text layer gives them ("Giglio v. United States" as
    "*LJOLR Y 8QLWHG 6WDWHV"). A word's first letter may be a capital, whose shifted glyph is no letter."""
    target = "".join(reading)
    if not target or not template or len(template) > 8:
        return False

    def shifted(char: str, shift: int) -> str:
        code = ord(char) - shift
        moved = chr(code) if code > 0 else ""
        return moved.lower() if moved.isascii() and moved.isalnum() else ""

    for shift in GLYPH_SHIFTS:
        pattern = "".join(
            "(?:"
            + "|".join(re.escape(x) for x in {shifted(w[0], shift), shifted(w[0].upper(), shift)})
            + ")"
            + re.escape("".join(shifted(ch, shift) for ch in w[1:]))
            for w in template
        )
        if re.fullmatch(pattern, target):
            return True
    return False


def _misread(template: Sequence[str], reading: Sequence[str]) -> bool:
    """Whether `reading` is `template` (word lists, possibly empty) as OCR could misread it: letters confused,
    words split or joined, specks read as letters, a small word dropped or glued on. A changed number, an
    obligation's word touched, or more than a few letters wrong is not a misreading. Several words may be
    misread in different ways: the words are also tried in two parts, each a misreading of its own."""
    if _misread_as_one(template, reading):
        return True
    if len(template) < 2 or len(reading) < 2 or len(template) + len(reading) > 12:
        return False
    return any(
        _misread_as_one(template[:i], reading[:j]) and _misread(template[i:], reading[j:])
        for i in range(1, len(template))
        for j in range(1, len(reading))
    )


def _misread_as_one(template: Sequence[str], reading: Sequence[str]) -> bool:
    if not reading:  # words missing from the reading: a small word, or a lone list marker ("(i)", "1)")
        return len(template) <= 2 and all(w in _SMALL_WORDS or len(w) == 1 for w in template)
    if not template:  # words only in the reading: debris (a lone letter), or a running header or footer the
        # page break put inside the sentence ("... Police 2 Revised 03/07/2025 ...")
        return (
            all(len(w) <= 1 for w in reading)
            or (len(reading) <= 12 and any(_fold_ocr(w) in _FOOTER_WORDS for w in reading))
            # a running header naming the agency ("Franklin County Sheriff's Office, Alabama"), its name
            # already read as "lea"
            or (reading[0] == "lea" and len(reading) <= 3 and not _MEANING_WORDS.intersection(reading))
        )
    if _font_shifted(template, reading):
        return True
    if template == ["lea"] and len(reading) <= 12 and not (_PARTIES | _MEANING_WORDS).intersection(reading):
        return True  # the template's "LEA" filled in with the agency's own name or abbreviation
    if not _same_numbers("".join(template), "".join(reading)):
        return False  # a number changed ("48" to "72"), however the letters around it read
    left, right = _spans(template), _spans(reading)
    fa, fb = "".join(w for *_, w in left), "".join(w for *_, w in right)
    edits = Levenshtein.editops(fa, fb)
    if not edits:
        return True
    # Runs of adjacent edits: a run that inserts specks, or drops or glues on a small word, is free.
    runs: list[list[Any]] = []
    for op in edits:
        if runs and runs[-1][-1].tag == op.tag and op.src_pos - runs[-1][-1].src_pos <= 1:
            runs[-1].append(op)
        else:
            runs.append([op])
    budget = 1 if len(fa) <= 5 else 2 if len(fa) <= 9 else 3 if len(fa) <= 19 else 4
    cost, free = 0, 0
    for run in runs:
        tag = run[0].tag
        if tag == "insert":
            chars = "".join(fb[op.dest_pos] for op in run)
            if all(ch in _SPECK for ch in chars) or chars in _FOLDED_SMALL:
                free += 1
                continue
        if tag == "delete" and "".join(fa[op.src_pos] for op in run) in _FOLDED_SMALL:
            free += 1
            continue
        cost += len(run)
    if cost > budget or free > len(template) + 2:
        return False
    # An obligation's word touched by an edit, on either side, is a change of meaning; so is a party's name
    # read as another party's ("ICE" as "LEA"), though not one missing a letter ("ICE" read "CE").
    # (An insertion touches a template word only inside it, not at its edge: "and" read "eande" is "and".)
    touched_a = {op.src_pos for op in edits if op.tag != "insert"}
    inside_a = {op.src_pos for op in edits if op.tag == "insert"}
    touched_b = {op.dest_pos for op in edits}
    for start, stop, word in left:
        if word in _FOLDED_MEANING and any(start <= p < stop for p in touched_a):
            return False
        if word in _FOLDED_MEANING and any(start < p < stop for p in inside_a):
            return False
    for start, stop, word in right:
        if word in _FOLDED_MEANING and any(start <= p < stop for p in touched_b):
            return False
    parties = _FOLDED_PARTIES | {"lea"}
    for start, stop, word in left:
        if word in parties and any(start <= p < stop for p in touched_a):
            read_as = {w for s0, s1, w in right if s0 < _dest(fa, fb, stop) and s1 > _dest(fa, fb, start)}
            if (read_as & parties) - {word}:
                return False
    return True


def _dest(fa: str, fb: str, position: int) -> int:
    """Where a character position of `fa` falls in `fb` under their minimal edit alignment."""
    for op in Levenshtein.opcodes(fa, fb):
        if op.src_start <= position < op.src_end or (position == op.src_end == len(fa)):
            return op.dest_start + min(position - op.src_start, op.dest_end - op.dest_start)
    return len(fb)


def _read_through(template_words: list[str], words: list[str]) -> tuple[int, int] | None:
    """Where in `words` the template clause stands, read through OCR noise: (first, end) word indexes, or
    None when a difference remains that misreading does not explain."""
    if not template_words or not words:
        return None
    folded = [_fold_ocr(w) for w in words]
    found = fuzz.partial_ratio_alignment(" ".join(_fold_ocr(w) for w in template_words), " ".join(folded))
    if found is None or found.score < PAIR:
        return None
    # Character offsets of the match, widened to whole words, and then to a word or a few either side: the
    # word diff decides where the clause starts and ends (a wide window can pair a word with a neighbour's, a
    # narrow one can cut off a first small word, so each is tried).
    starts, position = [], 0
    for word in folded:
        starts.append(position)
        position += len(word) + 1
    low = bisect.bisect_right(starts, found.dest_start) - 1
    high = bisect.bisect_left(starts, found.dest_end)
    spans = []
    for margin in (0, 1, 3):
        first, end = max(0, low - margin), min(len(words), high + margin)
        span = _word_diff_read(template_words, words[first:end])
        if span is not None:
            spans.append((first + span[0], first + span[1]))
    # The widest reading wins: a narrow window can leave out a first or last small word the clause has.
    return max(spans, key=lambda span: span[1] - span[0], default=None)


def _word_diff_read(template_words: list[str], window: list[str]) -> tuple[int, int] | None:
    """Where in `window` the template's words stand, when every difference is a misreading."""
    ops: list[tuple[str, int, int, int, int]] = list(
        difflib.SequenceMatcher(a=template_words, b=window, autojunk=False).get_opcodes()
    )
    # Reading words before the template's first word and after its last belong to the neighbours.
    while ops and ops[0][0] == "insert":
        ops = ops[1:]
    while ops and ops[-1][0] == "insert":
        ops = ops[:-1]
    if not ops:
        return None
    # An edge replacement may have taken a neighbour's words too: keep only as few as the misreading needs.
    tag, i1, i2, j1, j2 = ops[0]
    if tag == "replace":
        fits = (k for k in range(j2 - 1, j1 - 1, -1) if _misread(template_words[i1:i2], window[k:j2]))
        ops[0] = (tag, i1, i2, next(fits, j1), j2)
    tag, i1, i2, j1, j2 = ops[-1]
    if tag == "replace":
        fits = (k for k in range(j1 + 1, j2 + 1) if _misread(template_words[i1:i2], window[j1:k]))
        ops[-1] = (tag, i1, i2, j1, next(fits, j2))
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal" and not _misread(template_words[i1:i2], window[j1:j2]):
            return None
    return ops[0][3], ops[-1][4]


def _is_heading(run: Sequence[str], headings: frozenset[str]) -> bool:
    """A section heading OCR glued to the next sentence ("x costs and expenditures", "vii effective date and
    termination of this moa"): the template's own heading words, with or without its number."""
    if not run or len(run) > 14:
        return False
    text = _fold_ocr(" ".join(run))
    bare = _fold_ocr(" ".join(run[1:])) if len(run) > 1 and len(run[0]) <= 4 else text
    return any(fuzz.ratio(candidate, heading) >= 88 for heading in headings for candidate in (text, bare))


def _keep_whole_clauses(
    read: dict[int, tuple[int, int]],
    steps: Sequence[tuple[int | None, int | None, float]],
    owner: Sequence[int],
    words: Sequence[str],
    headings: frozenset[str] = frozenset(),
) -> None:
    """Undo a reading that leaves words of the document's clauses unaccounted for: a clause read as the
    template's must not hide words the template does not have (an added phrase at a sentence's end). Words
    are accounted for by a template clause read there or aligned to their clause; debris and running
    footers need no account."""
    aligned = {c for t, c, _ in steps if t is not None and c is not None and t not in read}
    changed = True
    while changed:
        changed = False
        accounted = {w for span in read.values() for w in range(*span)}
        for t, (first, end) in list(read.items()):
            for clause in {owner[w] for w in range(first, end)} - aligned:
                run: list[str] = []
                for position, word in enumerate(words):
                    if owner[position] != clause:
                        continue
                    if position in accounted:
                        if run and not (_misread([], run) or _is_heading(run, headings)):
                            break
                        run = []
                    else:
                        run.append(word)
                else:
                    if not run or _misread([], run) or _is_heading(run, headings):
                        continue
                del read[t]
                changed = True
                break
            if changed:
                break


def compare_clauses(sha256: str, template: Template, clauses: Sequence[Clause]) -> Comparison:
    comparison = Comparison(
        sha256=sha256, family=template.family, status="compared", members=template.members
    )
    left = [x.key for x in template.clauses]
    right = [x.key for x in clauses]
    steps = _pair_gaps(align(left, right), left, right)
    # The document as one run of words, each word knowing its clause: a template clause a misreading split
    # or joined differently is looked for across its neighbours.
    words: list[str] = []
    owner: list[int] = []
    for index, clause in enumerate(clauses):
        for word in clause.key.split():
            words.append(word)
            owner.append(index)
    first_word: dict[int, int] = {}
    for position, index in enumerate(owner):
        first_word.setdefault(index, position)
    read: dict[int, tuple[int, int]] = {}  # template clause -> (first, end) words where it was read
    for number, (t, c, _) in enumerate(steps):
        # A clause whose words are the template's needs nothing; one that differs only a little is checked
        # word by word all the same (a ratio of 98 can hide "90-day" become "180-day").
        if t is None or (c is not None and template.clauses[t].key == clauses[c].key):
            continue
        if c is not None and _is_local(template.clauses[t], clauses[c].key):
            continue
        # Where to look: around its partner clause, or between the clauses read before and after it.
        if c is not None:
            lo, hi = c - 1, c + 3
        else:
            lo = max((x for _, x, _ in steps[:number] if x is not None), default=0)
            hi = min((x for _, x, _ in steps[number + 1 :] if x is not None), default=len(clauses) - 1)
        lo, hi = max(lo, 0), min(hi, len(clauses) - 1)
        if lo > hi or hi - lo > 8 or lo not in first_word or hi not in first_word:
            continue
        start, stop = first_word[lo], first_word[hi] + len(clauses[hi].key.split())
        found = _read_through(template.clauses[t].key.split(), words[start:stop])
        if found is not None:
            read[t] = (start + found[0], start + found[1])
    headings = frozenset(
        _fold_ocr(" ".join(re.findall(r"[a-z]+", tc.section.lower())[1:]))
        for tc in template.clauses
        if tc.section
    )
    _keep_whole_clauses(read, steps, owner, words, headings)
    covered = {owner[w] for span in read.values() for w in range(*span)}
    for t, c, score in steps:
        if t is not None and t in read:
            tc = template.clauses[t]
            first, end = read[t]
            shown = [clauses[i] for i in sorted({owner[w] for w in range(first, end)})]
            comparison.diffs.append(
                ClauseDiff(
                    "same",
                    tc.id,
                    tc.section,
                    tc.text,
                    " ".join(x.text for x in shown),
                    max(score, SAME),
                    shown[0].page,
                    shown[0].start,
                    shown[-1].end if shown[-1].page == shown[0].page else None,
                    misread=True,
                )
            )
            if c is not None and c not in covered:
                covered.add(c)  # its own words were read for the template's clause
            continue
        if t is not None and c is not None:
            tc, dc = template.clauses[t], clauses[c]
            if tc.key == dc.key:
                kind = "same"
            elif _is_local(tc, dc.key):
                kind = "local"
            else:
                kind = "changed"  # a difference no misreading explains, however small
            comparison.diffs.append(
                ClauseDiff(kind, tc.id, tc.section, tc.text, dc.text, score, dc.page, dc.start, dc.end)
            )
        elif t is not None:
            tc = template.clauses[t]
            comparison.diffs.append(ClauseDiff("removed", tc.id, tc.section, tc.text, None, 0.0))
        elif c is not None and c not in covered:
            dc = clauses[c]
            comparison.diffs.append(
                ClauseDiff("added", None, dc.section, None, dc.text, 0.0, dc.page, dc.start, dc.end)
            )
    return comparison


def agency_names(extraction: Extraction) -> tuple[str, ...]:
    names = [extraction.agency_name or "", extraction.agency_abbreviation or ""]
    if extraction.agency_name:
        # The bare name without "'s"/"s" and with the apostrophe variants the texts use.
        base = extraction.agency_name
        names += [base.replace("'", ""), base.replace("'s", "s"), base.replace("’", "'")]
    return tuple(n for n in names if n)


def compare_to_template(subject: Extraction | Document, template: Template | None = None) -> Comparison:
    """The agreement (an Extraction, or a Document to extract first) against its family's standard text."""
    from disentangle.extract._pipeline import extract_agreement

    extraction = subject if isinstance(subject, Extraction) else extract_agreement(subject)
    document = subject if isinstance(subject, Document) else extraction.document
    if document is None:
        raise ValueError(
            "compare_to_template needs the document: pass the Document, or an Extraction made from one"
        )
    family = extraction.template.family if extraction.template else None
    if template is None:
        if family is None:
            return Comparison(sha256=extraction.sha256, family=None, status="unknown-family")
        template = load_template(family)
        if template is None:
            return Comparison(sha256=extraction.sha256, family=family, status="no-template")
    return compare_clauses(extraction.sha256, template, split_clauses(document, agency_names(extraction)))
