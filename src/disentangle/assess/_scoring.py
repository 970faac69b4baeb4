"""Policy texts -> the provisions that answer each toolkit criterion, quoted, and the answer they give."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from disentangle.assess._policytext import ClauseFinder, PolicyText, word_view
from disentangle.assess._toolkit import (
    Answer,
    Criterion,
    Meaning,
    Pattern,
    Toolkit,
    load_patterns,
    load_toolkit,
)
from disentangle.errors import InputError


@dataclass(frozen=True, slots=True)
class Provision:
    """A passage of a policy text that answers a criterion, where it stands, and the pattern that found it."""

    criterion: str
    aspect: str  # "" when the criterion has no parts
    meaning: Meaning
    text_name: str
    start: int  # character offsets of the quoted clause in the text as given
    end: int
    quote: str  # the clause's words (whitespace collapsed, deleted matter left out)
    pattern: str
    written_from: str
    note: str | None = None
    citation: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "criterion": self.criterion,
            "aspect": self.aspect or None,
            "meaning": self.meaning.value,
            "text": self.text_name,
            "citation": self.citation,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "pattern": self.pattern,
            "written_from": self.written_from,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class CriterionAnswer:
    """The answer the given texts give to one criterion, with every provision behind it."""

    criterion: str
    answer: Answer
    aspects: tuple[tuple[str, Answer], ...]  # per part, for criteria with parts
    provisions: tuple[Provision, ...]
    per_text: tuple[tuple[str, Answer], ...]
    explanation: str
    where_to_look: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "criterion": self.criterion,
            "answer": self.answer.value,
            "aspects": {aspect: answer.value for aspect, answer in self.aspects if aspect},
            "per_text": {name: answer.value for name, answer in self.per_text},
            "explanation": self.explanation,
            "where_to_look": list(self.where_to_look),
            "provisions": [provision.to_dict() for provision in self.provisions],
        }


def aspect_answer(meanings: Iterable[Meaning]) -> Answer:
    """The answer one source gives to one criterion part, from the meanings of the provisions found."""
    found = set(meanings)
    if not found:
        return Answer.UNKNOWN
    if Meaning.SATISFIES in found:
        limited = found & {Meaning.EXCEPTION, Meaning.CONTRADICTS}
        return Answer.OTHER if limited else Answer.YES
    if found == {Meaning.CONTRADICTS}:
        return Answer.NO
    return Answer.OTHER


def criterion_answer(aspects: Iterable[Answer]) -> Answer:
    """One answer from the answers to a criterion's parts: Y only when every part is met."""
    answers = list(aspects)
    if all(answer is Answer.UNKNOWN for answer in answers):
        return Answer.UNKNOWN
    if all(answer is Answer.YES for answer in answers):
        return Answer.YES
    if Answer.NO in answers and not ({Answer.YES, Answer.OTHER} & set(answers)):
        return Answer.NO
    return Answer.OTHER


def combine_sources(answers: Iterable[Answer]) -> Answer:
    """One answer from several sources (texts, state law, registry) about the same criterion part.

    The most protective text binds when texts only differ in reach (Y with Other gives Y); a source that
    contradicts another that satisfies gives Other, so the disagreement is shown rather than hidden.
    """
    found = {answer for answer in answers if answer is not Answer.UNKNOWN}
    if not found:
        return Answer.UNKNOWN
    if Answer.YES in found:
        return Answer.OTHER if Answer.NO in found else Answer.YES
    if found == {Answer.NO}:
        return Answer.NO
    return Answer.OTHER


def find_provisions(text: PolicyText, patterns: Sequence[Pattern] | None = None) -> list[Provision]:
    """Every provision of one text that a pattern recognises, quoted as the clause around the match."""
    view = word_view(text.text, text.effective_markup)
    clauses = ClauseFinder(view.words)
    found: dict[tuple[str, str, str, int], Provision] = {}
    for pattern in load_patterns() if patterns is None else patterns:
        for match in pattern.regex.finditer(view.words):
            if not pattern.context_allows(view.words, match.start()):
                continue
            clause_start, clause_end = clauses.clause(match.start(), match.end())
            start, end = view.original_span(clause_start, clause_end)
            quote = view.words[clause_start:clause_end].strip()
            for effect in pattern.effects:
                key = (effect.criterion, effect.aspect, pattern.id, start)
                found.setdefault(
                    key,
                    Provision(
                        criterion=effect.criterion,
                        aspect=effect.aspect,
                        meaning=effect.meaning,
                        text_name=text.name,
                        start=start,
                        end=end,
                        quote=quote,
                        pattern=pattern.id,
                        written_from=pattern.written_from,
                        note=effect.note,
                        citation=text.citation,
                    ),
                )
    return sorted(found.values(), key=lambda p: (p.criterion, p.start, p.pattern))


def _text_answers(
    criterion: Criterion,
    provisions: Sequence[Provision],
    text_answers: dict[str, Answer],
    text_provisions: dict,
) -> tuple[dict[str, Answer], list[Provision]]:
    """Per-part answers one text gives a criterion; derived criteria borrow evidence from their sources."""
    own = [p for p in provisions if p.criterion == criterion.id]
    if criterion.derived_from and not own:
        sources = [c for c in criterion.derived_from if text_answers.get(c) is Answer.YES]
        if not sources:
            return {"": Answer.UNKNOWN}, []
        borrowed = [
            replace(
                p,
                criterion=criterion.id,
                aspect="",
                note=f"restricts '{p.criterion}' with no conviction-based exception found in this text",
            )
            for c in sources
            for p in text_provisions[c]
            if p.meaning is Meaning.SATISFIES
        ]
        return {"": Answer.YES}, borrowed
    per_aspect = {
        aspect: aspect_answer(p.meaning for p in own if p.aspect == aspect) for aspect in criterion.aspect_ids
    }
    return per_aspect, own


def _explain(criterion: Criterion, answer: Answer, provisions: Sequence[Provision], texts: int) -> str:
    if answer is Answer.UNKNOWN:
        return f"No provision answering this was found in the {texts} text(s) given."
    counts: dict[str, int] = {}
    for provision in provisions:
        counts[provision.meaning.value] = counts.get(provision.meaning.value, 0) + 1
    names = sorted({p.text_name for p in provisions})
    summary = ", ".join(f"{n} {meaning}" for meaning, n in sorted(counts.items()))
    return f"{len(provisions)} provision(s) found ({summary}) in: {'; '.join(names)}."


def score_policy_texts(
    texts: Sequence[PolicyText], *, toolkit: Toolkit | None = None, patterns: Sequence[Pattern] | None = None
) -> list[CriterionAnswer]:
    """Answer every toolkit criterion from the given texts, quoting each provision that answers it.

    A criterion no provision answers gets Answer.UNKNOWN with the toolkit's 'where to look', never a default.
    """
    toolkit = toolkit or load_toolkit()
    names = [text.name for text in texts]
    if len(set(names)) != len(names):
        raise InputError(f"policy texts need distinct names; got {names}")
    found = {text.name: find_provisions(text, patterns) for text in texts}

    ordered = sorted(toolkit.criteria, key=lambda c: bool(c.derived_from))  # sources before derived rows
    per_text: dict[str, dict[str, dict[str, Answer]]] = {c.id: {} for c in toolkit.criteria}
    evidence: dict[str, list[Provision]] = {c.id: [] for c in toolkit.criteria}
    for text in texts:
        text_answers: dict[str, Answer] = {}
        text_provisions: dict[str, list[Provision]] = {}
        for criterion in ordered:
            aspects, provisions = _text_answers(criterion, found[text.name], text_answers, text_provisions)
            per_text[criterion.id][text.name] = aspects
            text_answers[criterion.id] = criterion_answer(aspects.values())
            text_provisions[criterion.id] = provisions
            evidence[criterion.id].extend(provisions)

    results = []
    for criterion in toolkit.criteria:
        aspect_answers = tuple(
            (aspect, combine_sources(per_text[criterion.id][name][aspect] for name in names))
            for aspect in criterion.aspect_ids
        )
        answer = criterion_answer(answer for _, answer in aspect_answers)
        results.append(
            CriterionAnswer(
                criterion=criterion.id,
                answer=answer,
                aspects=aspect_answers,
                provisions=tuple(evidence[criterion.id]),
                per_text=tuple(
                    (name, criterion_answer(per_text[criterion.id][name].values())) for name in names
                ),
                explanation=_explain(criterion, answer, evidence[criterion.id], len(texts)),
                where_to_look=criterion.where_to_look,
            )
        )
    return results
