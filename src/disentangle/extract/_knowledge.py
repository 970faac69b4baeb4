"""Load and validate knowledge/agreements/*.yaml into compiled patterns; a bad entry is a KnowledgeError."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations

AREA = "agreements"

# How a phrase's characters may appear in real text layers and OCR: letter-spaced ("o f f i c e r s") or run
# together ("ofAgreement"), curly or straight quotes, "m" read as "rn"/"nn" ("tenns", "perfonn").
_CHAR_CLASSES = {
    "'": "['’`´]?",
    '"': '["“”]?',
    "-": "[-‐–—]?",
    "m": "(?:m|rn|nn)",
    "(": r"\(?",
    ")": r"\)?",
    ",": ",?",
    ".": r"\.?",
}


@cache
def _state_alternation() -> str:
    """Every state's name, USPS code and title-cased code ("Fl"), longest first: the {STATE} macro."""
    states = load_yaml("states.yaml")["states"]
    words = set()
    for entry in states:
        words.add(re.escape(entry["name"]).replace(r"\ ", r"\s+"))
        words.add(entry["postal"])
        words.add(entry["postal"].title())
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"


def phrase_regex(phrase: str) -> str:
    """The tolerant regex for a plain-words phrase (see docs/extraction.md, "Phrases")."""
    parts: list[str] = []
    chars = [c for c in phrase.strip() if not c.isspace()]
    index = 0
    while index < len(chars):
        pair = "".join(chars[index : index + 2]).lower()
        if pair == "rm":  # "terms" printed "tenns": the r and the m read together as "nn"
            parts.append(r"(?:r\s*(?:m|rn|nn)|nn)")
            index += 2
            continue
        parts.append(_CHAR_CLASSES.get(chars[index].lower(), re.escape(chars[index])))
        index += 1
    return r"\s*".join(parts)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One knowledge entry that finds text: its id, compiled regex, and where it came from."""

    id: str
    regex: re.Pattern[str]
    label: str = ""
    phrase: str | None = None  # the plain-words form, for the fuzzy fallback
    weight: float = 1.0
    where: str = "any"  # head | any
    confidence: float = 0.9
    source: str = ""
    clause: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # sets, code, payer, kinds ... as the file gives them
    after: re.Pattern[str] | None = None  # read right after a match, for its named groups ("90-day")
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"label": ...}}


def _compile(entry: dict[str, Any], file: str) -> Pattern:
    ident = entry.get("id")
    if not ident:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: an entry has no id: {entry!r}")
    if ("phrase" in entry) == ("regex" in entry):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: give exactly one of phrase or regex")
    text = (
        phrase_regex(entry["phrase"])
        if "phrase" in entry
        else entry["regex"].replace("{STATE}", _state_alternation())
    )
    try:
        regex = re.compile(text, re.IGNORECASE if "phrase" in entry else 0)
    except re.error as exc:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: bad regex: {exc}") from exc
    known = {"id", "phrase", "regex", "label", "weight", "where", "confidence", "source", "clause", "after"}
    known.add("es")  # the label's translations
    cut = [str(k) for k, v in entry.items() if v is None or not re.fullmatch(r"[a-z_]+", str(k))]
    if cut:
        # In a {flow mapping}, an unquoted comma ends the value: the rest of a label becomes a key.
        raise KnowledgeError(
            f"{KNOWLEDGE_DIR / AREA / file}: {ident}: {cut[0]!r} is not a key (a label cut at a comma? "
            "quote the label)"
        )
    try:
        after = re.compile(entry["after"]) if entry.get("after") else None
    except re.error as exc:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: bad after-regex: {exc}") from exc
    source = str(entry.get("source", ""))
    if source and source not in source_documents():
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: unknown source {source!r}")
    if not source:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: every pattern needs a source")
    where = str(entry.get("where", "any"))
    if where not in ("head", "any"):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: {ident}: where must be head or any")
    return Pattern(
        id=str(ident),
        regex=regex,
        label=str(entry.get("label", "")),
        phrase=entry.get("phrase"),
        weight=float(entry.get("weight", 1.0)),
        where=where,
        confidence=float(entry.get("confidence", 0.9)),
        source=source,
        clause=str(entry.get("clause", "")),
        extra={k: v for k, v in entry.items() if k not in known},
        after=after,
        translations=translations(entry, ("label",), str(KNOWLEDGE_DIR / AREA / file), str(ident)),
    )


def _load(file: str) -> dict[str, Any]:
    data = load_yaml(f"{AREA}/{file}")
    if not isinstance(data, dict):
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: expected a mapping at the top")
    for key in ("label", "description"):
        if not data.get(key):
            raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: missing {key}")
    return data


def _section(data: dict[str, Any], key: str, file: str) -> Any:
    if key not in data:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: missing section {key!r}")
    return data[key]


@cache
def source_documents() -> dict[str, dict[str, str]]:
    data = _load("sources.yaml")
    documents = _section(data, "documents", "sources.yaml")
    for key, value in documents.items():
        if not value.get("label") or not value.get("url"):
            raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / 'sources.yaml'}: {key}: needs label and url")
    return dict(documents)


@dataclass(frozen=True, slots=True)
class KindRule:
    kind: str
    label: str
    indicators: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class Families:
    threshold: float
    margin: float
    kinds: tuple[KindRule, ...]
    agreement_markers: tuple[Pattern, ...]


@cache
def families() -> Families:
    file = "families.yaml"
    data = _load(file)
    kinds = []
    for entry in _section(data, "kinds", file):
        indicators = tuple(_compile(i, file) for i in entry.get("indicators", []))
        if not indicators:
            raise KnowledgeError(
                f"{KNOWLEDGE_DIR / AREA / file}: kind {entry.get('kind')!r} has no indicators"
            )
        kinds.append(KindRule(str(entry["kind"]), str(entry.get("label", "")), indicators))
    markers = tuple(_compile(m, file) for m in _section(data, "agreement_markers", file))
    return Families(float(data["threshold"]), float(data["margin"]), tuple(kinds), markers)


@dataclass(frozen=True, slots=True)
class TemplateFamily:
    era: str
    label: str
    kinds: tuple[str, ...]
    indicators: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class Revision:
    revision: str  # ISO date
    printed: tuple[str, ...]
    kinds: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]
    note: str = ""


def _printed_regex(printed: str) -> re.Pattern[str]:
    # "Revised 02/12/2025" as OCR and broken fonts render it: "Revlsed 0211212025", "Rev 2/14125".
    word, _, date = printed.partition(" ")
    head = r"\bRev(?:ised|lsed|fsed|\.)?" if word.lower().startswith("rev") else re.escape(word)
    parts = date.split("/")
    body = r"\s*[/1Il|]?\s*".join(re.escape(p) for p in parts)
    return re.compile(head + r"\s*:?\s*" + body + r"(?!\d)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Unmarked:
    kinds: tuple[str, ...]
    era: str
    confidence: float
    source: str


@dataclass(frozen=True, slots=True)
class Templates:
    threshold: float
    margin: float
    families: tuple[TemplateFamily, ...]
    revisions: tuple[Revision, ...]
    unmarked: tuple[Unmarked, ...]


@cache
def templates() -> Templates:
    file = "templates.yaml"
    data = _load(file)
    fams = []
    for entry in _section(data, "families", file):
        indicators = tuple(_compile(i, file) for i in entry.get("indicators", []))
        fams.append(
            TemplateFamily(str(entry["era"]), str(entry.get("label", "")), tuple(entry["kinds"]), indicators)
        )
    revisions = []
    for entry in _section(data, "revisions", file):
        printed = tuple(entry["printed"])
        revisions.append(
            Revision(
                str(entry["revision"]),
                printed,
                tuple(entry.get("kinds", [])),
                tuple(_printed_regex(p) for p in printed),
                str(entry.get("note", "")),
            )
        )
    unmarked = tuple(
        Unmarked(tuple(e["kinds"]), str(e["era"]), float(e["confidence"]), str(e["source"]))
        for e in data.get("unmarked", [])
    )
    return Templates(float(data["threshold"]), float(data["margin"]), tuple(fams), tuple(revisions), unmarked)


@dataclass(frozen=True, slots=True)
class FunctionRule:
    code: str
    label: str
    phrases: tuple[Pattern, ...]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # {"es": {"label": ..., ...}}


@cache
def functions() -> tuple[FunctionRule, ...]:
    file = "functions.yaml"
    data = _load(file)
    out = []
    for entry in _section(data, "functions", file):
        phrases = tuple(_compile(p, file) for p in entry.get("phrases", []))
        if not phrases:
            raise KnowledgeError(
                f"{KNOWLEDGE_DIR / AREA / file}: function {entry.get('code')!r} has no phrases"
            )
        where = f"function {entry.get('code')}"
        found = translations(entry, ("label", "description"), str(KNOWLEDGE_DIR / AREA / file), where)
        out.append(FunctionRule(str(entry["code"]), str(entry.get("label", "")), phrases, found))
    return tuple(out)


CLAUSE_SECTIONS = (
    "effective",
    "term",
    "termination",
    "suspension",
    "obligations",
    "reimbursement",
    "addenda",
)


@cache
def clauses() -> dict[str, tuple[Pattern, ...]]:
    file = "clauses.yaml"
    data = _load(file)
    return {key: tuple(_compile(e, file) for e in _section(data, key, file)) for key in CLAUSE_SECTIONS}


@dataclass(frozen=True, slots=True)
class Parties:
    agency: tuple[Pattern, ...]
    agency_words: re.Pattern[str]
    agency_vocabulary: tuple[str, ...]
    not_agency: re.Pattern[str]
    vocabulary_ratio: float
    ocr_confusions: dict[str, str]  # letters OCR mistakes for one another -> one letter standing for them all
    confused_ratio: float  # the ratio a word needs against a vocabulary word with those letters folded
    ori: tuple[Pattern, ...]
    ori_as_letter: dict[str, str]  # OCR's digit for a letter of the state code ("0R" -> "OR")
    ori_as_digit: dict[str, str]  # OCR's letter for a digit of the number ("CA01953OO" -> "CA0195300")
    state: tuple[Pattern, ...]  # the agency-suffix rule has no regex of its own: see _fields
    state_suffix: Pattern
    ice_office: tuple[Pattern, ...]
    field_offices: tuple[str, ...]
    signature_start: tuple[Pattern, ...]
    column_heads: dict[str, tuple[re.Pattern[str], ...]]
    labels: dict[str, re.Pattern[str]]
    digital_stamp: Pattern
    digitally_signed_by: Pattern
    ice_markers: re.Pattern[str]
    titles: dict[str, tuple[str, ...]]


@cache
def parties() -> Parties:
    file = "parties.yaml"
    data = _load(file)
    state_entries = _section(data, "state", file)
    suffix = next((e for e in state_entries if e["id"] == "state.agency_name_suffix"), None)
    if suffix is None:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / AREA / file}: state.agency_name_suffix is required")
    suffix_pattern = _compile(
        {**suffix, "regex": r"(?:,|\s-|\s\()\s*(?P<state>[A-Z]{2}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\)?\.?\s*$"},
        file,
    )
    sig = _section(data, "signatures", file)
    stamps = {e["id"]: _compile(e, file) for e in sig["digital_stamp"]}
    return Parties(
        agency=tuple(_compile(e, file) for e in _section(data, "agency", file)),
        agency_words=re.compile(
            r"\b(?:" + "|".join(_section(data, "agency_words", file)) + r")\b", re.IGNORECASE
        ),
        not_agency=re.compile(r"(?:" + "|".join(_section(data, "not_agency", file)) + r")\b", re.IGNORECASE),
        agency_vocabulary=tuple(str(w) for w in _section(data, "agency_vocabulary", file)["words"]),
        vocabulary_ratio=float(_section(data, "agency_vocabulary", file)["min_ratio"]),
        confused_ratio=float(_section(data, "agency_vocabulary", file).get("confused_ratio", 100)),
        ocr_confusions={
            str(k): str(v)
            for k, v in (_section(data, "agency_vocabulary", file).get("ocr_confusions") or {}).items()
        },
        ori=tuple(_compile(e, file) for e in _section(data, "ori", file)),
        ori_as_letter={
            str(k): str(v) for k, v in (data.get("ori_confusions") or {}).get("as_letter", {}).items()
        },
        ori_as_digit={
            str(k): str(v) for k, v in (data.get("ori_confusions") or {}).get("as_digit", {}).items()
        },
        state=tuple(_compile(e, file) for e in state_entries if "regex" in e or "phrase" in e),
        state_suffix=suffix_pattern,
        ice_office=tuple(_compile(e, file) for e in _section(data, "ice_office", file)),
        field_offices=tuple(_section(data, "field_offices", file)["names"]),
        signature_start=tuple(_compile(e, file) for e in sig["start"]),
        column_heads={
            side: tuple(re.compile(p, re.IGNORECASE) for p in pats)
            for side, pats in sig["column_heads"].items()
        },
        labels={k: re.compile(rf"\b(?:{v})\s*[:.;]?", re.IGNORECASE) for k, v in sig["labels"].items()},
        digital_stamp=stamps["signature.digital_stamp"],
        digitally_signed_by=stamps["signature.digitally_signed_by"],
        ice_markers=re.compile("|".join(f"(?:{p})" for p in sig["ice_markers"]), re.IGNORECASE),
        titles={side: tuple(ts) for side, ts in sig["titles"].items()},
    )


def validate_all() -> None:
    """Load every agreements knowledge file; raises KnowledgeError on the first problem."""
    source_documents()
    families()
    templates()
    functions()
    clauses()
    parties()
    from disentangle.extract._places import state_knowledge  # the state rules and their tables

    state_knowledge()
    from disentangle.extract._signers import known_ice_signers  # the ICE officials who sign agreements

    known_ice_signers()
