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

from disentangle.errors import KnowledgeError
from disentangle.extract._clauses import Clause, split_clauses
from disentangle.extract._extraction import Extraction
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

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
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
            "diffs": [d.to_json() for d in self.diffs if d.kind != "same"],
        }

    def to_markdown(self) -> str:
        lines = [f"# Comparison with the {self.family or 'unknown'} template", ""]
        if self.status != "compared":
            return "\n".join([*lines, f"Not compared: {self.status}."])
        counts = self.counts()
        lines.append(
            f"{counts['same']} clauses as in the template, {counts['changed']} changed, "
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
    """A fill-in: the clause varies by design, or the agreement only inserted words into the template's."""
    if template.variable:
        return True
    a, b = template.key.split(), text_key.split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return all(op in ("equal", "insert") for op, *_ in matcher.get_opcodes())


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


def compare_clauses(sha256: str, template: Template, clauses: Sequence[Clause]) -> Comparison:
    comparison = Comparison(
        sha256=sha256, family=template.family, status="compared", members=template.members
    )
    left = [x.key for x in template.clauses]
    right = [x.key for x in clauses]
    for t, c, score in _pair_gaps(align(left, right), left, right):
        if t is not None and c is not None:
            tc, dc = template.clauses[t], clauses[c]
            if score >= SAME:
                kind = "same"
            elif _is_local(tc, dc.key):
                kind = "local"
            else:
                kind = "changed"
            comparison.diffs.append(
                ClauseDiff(kind, tc.id, tc.section, tc.text, dc.text, score, dc.page, dc.start, dc.end)
            )
        elif t is not None:
            tc = template.clauses[t]
            comparison.diffs.append(ClauseDiff("removed", tc.id, tc.section, tc.text, None, 0.0))
        elif c is not None:
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
