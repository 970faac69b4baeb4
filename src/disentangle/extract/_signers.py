"""Known ICE signers: an OCR-damaged name is read as the ICE official it is; a block one signed is ICE's.

The list is data (knowledge/agreements/ice_signers.yaml: each official's printings, titles, and the published
agreements that print them). Nothing is changed silently: a corrected name keeps its page words as the quote,
its rule gains `+signature.known_ice_signer`, and a warning says what was read as what; the review shows the
field as corrected by rule. The cross-validation passes a list built from its training folds instead
(`KnownSignersExtractor(signers)`), so no document is read with a list that learnt from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from rapidfuzz import fuzz

from disentangle.errors import KnowledgeError
from disentangle.extract._extraction import Extraction
from disentangle.extract._text import DocumentView
from disentangle.knowledge import load_yaml

KNOWN_SIGNER_RULE = "signature.known_ice_signer"
CORRECTED_RULE = "+" + KNOWN_SIGNER_RULE
SIDE_RULE = "+signature.side_of_known_ice_signer"  # a block read as the local agency's is ICE's
_INITIAL = re.compile(r"^[A-Z]\.?$")


@dataclass(frozen=True, slots=True)
class KnownSigner:
    """One ICE official who signs agreements: the name as printed under the signature, and other printings."""

    name: str
    also: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def printings(self) -> tuple[str, ...]:
        return (self.name, *self.also)

    @property
    def surname(self) -> str:
        return signer_key(self.name.split()[-1])

    @property
    def initials(self) -> str:
        """The first letters of the names before the surname, from every printing ("C. M." and "CHRISTOPHER
        M": "cm")."""
        firsts = {
            signer_key("".join(w[0] for w in p.replace(".", ". ").split()[:-1])) for p in self.printings
        }
        return max(firsts, key=len)


@dataclass(frozen=True, slots=True)
class SignerMatch:
    signer: KnownSigner
    how: str  # printing | fuzzy | initials
    score: float


@dataclass(frozen=True, slots=True)
class MatchRule:
    ratio: float = 92.0
    margin: float = 10.0


def signer_key(name: str) -> str:
    """Letters only, lower case: "C.M. Cronen", "C. M. Cronen" and "CMCronen" are one key."""
    return re.sub(r"[^a-z]", "", name.lower())


SIGNERS_FILE = "agreements/ice_signers.yaml"


@cache
def _knowledge() -> tuple[tuple[KnownSigner, ...], MatchRule]:
    return parse_signers(load_yaml(SIGNERS_FILE))


def parse_signers(data: Any, path: str = SIGNERS_FILE) -> tuple[tuple[KnownSigner, ...], MatchRule]:
    """The signers and the match rule of a signer file; KnowledgeError naming the file on a bad entry."""
    signers = []
    for entry in data.get("signers") or ():
        name = str(entry.get("name") or "")
        sources = tuple(str(s) for s in entry.get("sources") or ())
        if len(name.split()) < 2 or not sources or not all(s.startswith("https://") for s in sources):
            raise KnowledgeError(
                f"{path}: each signer needs a name of two words or more and its public sources"
            )
        signers.append(
            KnownSigner(
                name,
                tuple(str(a) for a in entry.get("also") or ()),
                tuple(str(t) for t in entry.get("titles") or ()),
                sources,
            )
        )
    rule = data.get("match") or {}
    return tuple(signers), MatchRule(float(rule.get("ratio", 92)), float(rule.get("margin", 10)))


def known_ice_signers() -> tuple[KnownSigner, ...]:
    """The ICE signers of knowledge/agreements/ice_signers.yaml."""
    return _knowledge()[0]


def match_signer(
    name: str | None, signers: Sequence[KnownSigner], rule: MatchRule | None = None
) -> SignerMatch | None:
    """The known signer a read name is: one of their printings (letters only); a printing within the strict
    ratio, ahead of every other signer by the margin; or initials of their names before their surname (the
    first name under the signature: "M. Lucero"), when no other signer has that surname."""
    if not name or not signers:
        return None
    rule = rule or _knowledge()[1]
    key = signer_key(name)
    if len(key) < 4:
        return None
    for signer in signers:
        if key in {signer_key(p) for p in signer.printings}:
            return SignerMatch(signer, "printing", 100.0)
    scores = sorted(
        ((max(fuzz.ratio(key, signer_key(p)) for p in s.printings), i) for i, s in enumerate(signers)),
        reverse=True,
    )
    best, index = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best >= rule.ratio and best - runner_up >= rule.margin:
        return SignerMatch(signers[index], "fuzzy", round(best, 1))
    words = name.replace(".", ". ").split()
    if len(words) >= 2 and all(_INITIAL.match(w) for w in words[:-1]):
        surname = signer_key(words[-1])
        same = [s for s in signers if s.surname == surname]
        initials = signer_key("".join(w[0] for w in words[:-1]))
        if len(same) == 1 and _subsequence(initials, same[0].initials):
            return SignerMatch(same[0], "initials", 100.0)
    return None


def _subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(c in letters for c in short)


def _titles_of_lea() -> frozenset[str]:
    from disentangle.extract._knowledge import parties

    titles = parties().titles
    ice = {t.lower() for t in titles.get("ice", ())}
    return frozenset(t.lower() for t in titles.get("lea", ()) if t.lower() not in ice)


def apply_known_signers(result: Extraction, signers: Sequence[KnownSigner]) -> None:
    """Side and name of each signature block, checked against the known ICE signers (in place).

    - A block read as the local agency's whose signer is a known ICE official and whose title is no local
      agency's title is ICE's (Floyd County GA: "C. M. Cronen, Assistant Director" beside the sheriff's
      block, read as two local blocks). With a local title ("Sheriff") beside the ICE official's digital
      stamp, the stamp strayed into the local column: its date goes to ICE's block of the same part when that
      block has none, and the name is left for a person (a warning says so; the review flags it).
    - An ICE block's name that matches an official but is not one of their printings (OCR split or damaged
      it: "CHRISTOPHER M CRON EN", "M. Lucero") is read as the official's name as printed.
    """
    if not signers:
        return
    lea_titles = _titles_of_lea()
    for index in range(len(result.signatories)):
        _name_above_title(result, index, signers)
    for index, s in enumerate(result.signatories):
        found = match_signer(s.name, signers)
        if found is None or s.side == "other":
            continue
        if s.side == "lea":
            if s.title and s.title.split(",")[0].strip().lower() in lea_titles:
                _stray_stamp(result, index, found)
                continue
            s.side = "ice"
            evidence = s.evidence.get("name")
            if evidence is not None:  # never silent: the name's fact says why the block is ICE's
                marked = replace(evidence, rule=evidence.rule + SIDE_RULE)
                s.evidence["name"] = marked
                field = f"signatories[{index}].name"
                result.findings = [
                    replace(f, evidence=marked) if f.field == field else f for f in result.findings
                ]
            result.warnings.append(
                f"signature block on page {s.page} read as ICE's: {s.name!r} is the known ICE signer "
                f"{found.signer.name!r}"
            )
        _correct_name(result, index, found)


_NAME_LABEL = re.compile(r"^\s*N\s?a\s?m\s?[ec]\s*[:;.·]?\s*")
_PREFIX_LETTERS = 6  # "C.M.;Cro n" -> "cmcron": the start of one printing only, with the official's title


def _name_above_title(result: Extraction, index: int, signers: Sequence[KnownSigner]) -> None:
    """An ICE block with a title and no name: the words on the line above the title, in its column (or after a
    "Name:" label there) may be a known official's name the name parser could not take as one ("T imothy S.
    Robbins", "Name: To d M. Lyons", "C.M.;Cro n" under a signature). Taken only when they match a printing
    (letters, or the strict ratio), or are the first six letters or more of exactly one official's printing
    and the block's title is that official's."""
    s = result.signatories[index]
    title = s.evidence.get("title")
    if s.side != "ice" or s.name or title is None or result.document is None:
        return
    if title.page > len(result.document.pages):
        return
    text = result.document.pages[title.page - 1].text
    line_start = text.rfind("\n", 0, title.start) + 1
    column = title.start - line_start
    above_end = line_start - 1
    while above_end > 0:
        above_start = text.rfind("\n", 0, above_end) + 1
        if text[above_start:above_end].strip():
            break
        above_end = above_start - 1
    else:
        return
    line = text[above_start:above_end]
    piece = re.match(r"\S+(?:\s{1,2}\S+)*", line[column:]) if len(line) > column else None
    if piece is None or (column > 0 and line[column - 1 : column].strip()):
        return
    start = above_start + column + piece.start()
    words = _NAME_LABEL.sub("", piece.group())
    start += len(piece.group()) - len(words)
    found = match_signer(words, signers)
    if found is not None and found.how == "initials":
        found = None
    key = signer_key(words)
    if found is None and len(key) >= _PREFIX_LETTERS:
        starts = [x for x in signers if any(signer_key(p).startswith(key) for p in x.printings)]
        titled = (s.title or title.quote).split(",")[0].strip().lower()
        if len(starts) == 1 and any(t.split(",")[0].strip().lower() == titled for t in starts[0].titles):
            found = SignerMatch(starts[0], "prefix", 100.0)
    if found is None:
        return
    quote = " ".join(text[start : start + len(words)].split())
    s.name = found.signer.name
    evidence = replace(
        title,
        start=start,
        end=start + len(words),
        quote=quote,
        rule=KNOWN_SIGNER_RULE + "+name_above_title",
        confidence=0.8,
    )
    s.evidence["name"] = evidence
    result.add(f"signatories[{index}].name", s.name, evidence)
    result.warnings.append(
        f"signer's name (ice, page {s.page}) read {quote!r} above the title, as the known ICE signer "
        f"{found.signer.name!r} (printed so in {found.signer.sources[0]})"
    )


def _correct_name(result: Extraction, index: int, found: SignerMatch) -> None:
    s = result.signatories[index]
    read = s.name or ""
    if any(" ".join(read.split()) == p for p in found.signer.printings):
        return  # printed so: nothing to correct
    if found.how == "printing":  # the letters of a printing, spaced otherwise ("C.M.Cronen", "CRON EN")
        printing = next(p for p in found.signer.printings if signer_key(p) == signer_key(read))
        how = f"the letters of the printing {printing!r}, spaced otherwise"
    elif found.how == "fuzzy":
        how = f"{found.score:.0f} % alike"
    else:
        how = "the initials and surname of"
    s.name = found.signer.name
    evidence = s.evidence.get("name")
    if evidence is not None:
        corrected = replace(evidence, rule=evidence.rule + CORRECTED_RULE)
        s.evidence["name"] = corrected
        field = f"signatories[{index}].name"
        result.findings = [
            replace(f, value=s.name, evidence=corrected) if f.field == field else f for f in result.findings
        ]
    result.warnings.append(
        f"signer's name (ice, page {s.page}) read {read!r}, corrected to the known ICE signer "
        f"{found.signer.name!r} ({how}; printed so in {found.signer.sources[0]})"
    )


def _stray_stamp(result: Extraction, index: int, found: SignerMatch) -> None:
    s = result.signatories[index]
    result.warnings.append(
        f"signer's name (lea, page {s.page}) {s.name!r} is the known ICE signer {found.signer.name!r}: "
        "not the local agency's signer"
    )
    date_evidence = s.evidence.get("date")
    if s.date is None or date_evidence is None or "digital" not in date_evidence.rule:
        return
    ice = [
        (i, b)
        for i, b in enumerate(result.signatories)
        if b.side == "ice"
        and b.part == s.part
        and b.date is None
        and i != index
        and (b.name is None or match_signer(b.name, [found.signer]) is not None)
    ]
    if len(ice) != 1:
        return
    target, block = ice[0]
    block.date, block.date_form = s.date, s.date_form
    block.evidence["date"] = date_evidence
    moved_from, moved_to = f"signatories[{index}].date", f"signatories[{target}].date"
    result.findings = [replace(f, field=moved_to) if f.field == moved_from else f for f in result.findings]
    s.date, s.date_form = None, None
    del s.evidence["date"]
    result.warnings.append(
        f"the digital stamp in the local agency's block (page {s.page}) is the known ICE signer's: its date "
        f"{block.date.isoformat() if block.date else ''} read as ICE's"
    )


def stray_ice_name(result: Extraction, index: int) -> bool:
    """The local block's name was found to be a known ICE signer's (see apply_known_signers)."""
    s = result.signatories[index]
    return any(
        w.startswith(f"signer's name (lea, page {s.page}) {s.name!r} is the known ICE signer")
        for w in result.warnings
    )


def signers_from(names: Iterable[tuple[str, str | None]]) -> tuple[KnownSigner, ...]:
    """A signer list from (name, title) pairs read on ICE's side of agreements: printings grouped by surname,
    the most frequent printing as the name (the cross-validation's list, built from its training folds)."""
    groups: dict[str, dict[str, int]] = {}
    titles: dict[str, dict[str, int]] = {}
    for name, title in names:
        words = name.split()
        if len(words) < 2:
            continue
        surname = signer_key(words[-1])
        groups.setdefault(surname, {}).setdefault(name, 0)
        groups[surname][name] += 1
        if title:
            titles.setdefault(surname, {}).setdefault(title, 0)
            titles[surname][title] += 1
    out = []
    for surname, printings in sorted(groups.items()):
        ordered = sorted(printings, key=lambda p: (-printings[p], p))
        main, also = ordered[0], tuple(ordered[1:])
        out.append(KnownSigner(main, also, tuple(sorted(titles.get(surname, {}))), ("training folds",)))
    return tuple(out)


class KnownSignersExtractor:
    """Signature blocks checked against the known ICE signers (after SignaturesExtractor). `signers` None: the
    list of knowledge/agreements/ice_signers.yaml."""

    kinds = frozenset({"287g-jem", "287g-wso", "287g-tfm", "tff-mou", "igsa", "other"})
    fields = ("signatories",)

    def __init__(self, signers: Sequence[KnownSigner] | None = None) -> None:
        self.signers = signers

    def extract(self, view: DocumentView, result: Extraction) -> None:
        apply_known_signers(result, known_ice_signers() if self.signers is None else self.signers)
