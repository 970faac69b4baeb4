"""The "click and arrest" illustration: how many of a place's detainer holds may rest on a wrong database
record, under error rates and shares the user chooses (knowledge/detainers/click_arrest.yaml).

An explicit model for advocacy, computed on counts of detainers. It scores no person and predicts nothing
about anyone: the same numbers come out for any place with the same count.

    wrong = detainers × database_share × ((1 − overstay_share) × status_error_rate
                                          + overstay_share × overstay_error_rate)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.knowledge._translations import translations

KNOWLEDGE = "detainers/click_arrest.yaml"
PARAMETERS = ("status_error_rate", "overstay_error_rate", "database_share", "overstay_share")


@dataclass(frozen=True, slots=True)
class Parameter:
    id: str
    label: str
    measures: str
    default: float
    low: float
    high: float
    basis: str  # cited | assumption
    quote: str | None
    note: str | None
    translations: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # ours: label, measures, note, basis


@dataclass(frozen=True, slots=True)
class ClickArrestKnowledge:
    parameters: dict[str, Parameter]
    article: dict[str, Any]
    records_cited: tuple[dict[str, Any], ...]
    notes: tuple[dict[str, Any], ...]
    assumptions: tuple[str, ...]
    error_rates: tuple[float, ...]
    database_shares: tuple[float, ...]
    assumption_translations: tuple[dict[str, dict[str, str]], ...] = ()  # ours, one per assumption
    counted: dict[str, tuple[str, dict[str, dict[str, str]]]] = field(
        default_factory=dict
    )  # key: (text, ours)

    def counted_text(self, key: str) -> str:
        """What a count counts, in English (`counted` of click_arrest.yaml: detainers | outcomes)."""
        if key not in self.counted:
            raise KnowledgeError(f"{KNOWLEDGE}: no counted text {key!r}")
        return self.counted[key][0]

    def citation(self) -> str:
        a = self.article
        return f"{a['author']}, “{a['title']}”, {a['publisher']} ({a['date']}) <{a['url']}>"


@cache
def click_arrest_knowledge() -> ClickArrestKnowledge:
    doc = load_yaml(KNOWLEDGE)
    parameters = {}
    for key in PARAMETERS:
        entry = (doc.get("parameters") or {}).get(key)
        if not entry:
            raise KnowledgeError(f"{KNOWLEDGE}: parameter {key!r} is missing")
        low, high, default = float(entry["min"]), float(entry["max"]), float(entry["default"])
        if not low <= default <= high:
            raise KnowledgeError(f"{KNOWLEDGE}: {key} default {default} is outside [{low}, {high}]")
        if entry.get("basis") == "cited" and not entry.get("quote"):
            raise KnowledgeError(f"{KNOWLEDGE}: {key} is cited but carries no quote")
        parameters[key] = Parameter(
            key,
            entry["label"],
            entry["measures"],
            default,
            low,
            high,
            entry.get("basis", "assumption"),
            entry.get("quote"),
            entry.get("note"),
            translations(entry, ("label", "measures", "note", "basis"), KNOWLEDGE, f"parameters.{key}"),
        )
    article = doc.get("article") or {}
    if not article.get("url") or not article.get("title"):
        raise KnowledgeError(f"{KNOWLEDGE}: the article needs a title and a url")
    grid = doc.get("sensitivity") or {}
    records = []
    for index, entry in enumerate(doc.get("records_cited") or ()):
        found = translations(entry, ("label",), KNOWLEDGE, f"records_cited[{index}]")
        records.append({**{k: v for k, v in entry.items() if k != "es"}, "translations": found})
    assumptions, assumption_translations = [], []
    for index, entry in enumerate(doc.get("assumptions") or ()):
        text = entry.get("text") if isinstance(entry, dict) else entry
        if not isinstance(text, str) or not text.strip():
            raise KnowledgeError(f"{KNOWLEDGE}: assumptions[{index}] needs a text")
        assumptions.append(text)
        assumption_translations.append(translations(entry, ("text",), KNOWLEDGE, f"assumptions[{index}]"))
    counted = {}
    for key, entry in (doc.get("counted") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or not entry["text"].strip():
            raise KnowledgeError(f"{KNOWLEDGE}: counted.{key} needs a text")
        counted[str(key)] = (entry["text"], translations(entry, ("text",), KNOWLEDGE, f"counted.{key}"))
    return ClickArrestKnowledge(
        parameters,
        article,
        tuple(records),
        tuple(doc.get("notes") or ()),
        tuple(assumptions),
        tuple(float(v) for v in grid.get("error_rates") or ()),
        tuple(float(v) for v in grid.get("database_shares") or ()),
        tuple(assumption_translations),
        counted,
    )


@dataclass(frozen=True, slots=True)
class ClickArrestEstimate:
    """The illustration for one count of detainers, with what it rests on."""

    place: str
    period: str
    detainers: int
    counted: str  # what `detainers` counts: "detainers", or "recorded outcomes" where no total is known
    values: dict[str, float]
    expected_wrong: float
    on_status_check: float
    on_overstay_check: float
    observed_us_citizen: int | None  # "United States Citizen Interviewed" lifts in the same period
    sensitivity: tuple[tuple[float, float, float], ...]  # (error rate, database share, expected wrong)
    knowledge: ClickArrestKnowledge

    def to_dict(self) -> dict[str, Any]:
        k = self.knowledge
        return {
            "what_this_is": "An illustration for advocacy from counts of detainers; it scores no person.",
            "place": self.place,
            "period": self.period,
            "detainers": self.detainers,
            "counted": self.counted,
            "translations": {
                language: {"counted": text["text"]}
                for found in k.counted.values()
                if found[0] == self.counted
                for language, text in found[1].items()
            },
            "parameters": {
                key: {
                    "value": self.values[key],
                    "default": p.default,
                    "label": p.label,
                    "measures": p.measures,
                    "basis": p.basis,
                    "quote": p.quote,
                    "note": p.note,
                    "translations": p.translations,
                }
                for key, p in k.parameters.items()
            },
            "holds_on_status_check": round(self.on_status_check, 1),
            "holds_on_overstay_check": round(self.on_overstay_check, 1),
            "expected_holds_on_a_wrong_record": round(self.expected_wrong, 1),
            "observed_us_citizen_lifts": self.observed_us_citizen,
            "sensitivity": [
                {"error_rate": rate, "database_share": share, "expected_holds_on_a_wrong_record": round(n, 1)}
                for rate, share, n in self.sensitivity
            ],
            "assumptions": list(k.assumptions),
            "assumption_rows": [
                {"text": text, "translations": found}
                for text, found in zip(k.assumptions, k.assumption_translations, strict=True)
            ],
            "source": {"article": k.citation(), "records_cited": list(k.records_cited)},
        }


def click_arrest(
    place: str,
    period: str,
    detainers: int,
    chosen: Mapping[str, Any] | None = None,
    *,
    counted: str = "detainers",
    observed_us_citizen: int | None = None,
) -> ClickArrestEstimate:
    """The expected number of holds resting on a wrong record, for `detainers` under the chosen values
    (defaults from knowledge); a value outside its bounds is an InputError naming it."""
    knowledge = click_arrest_knowledge()
    if detainers < 0:
        raise InputError(f"a count of detainers cannot be negative ({detainers})")
    values = {key: p.default for key, p in knowledge.parameters.items()}
    for key, raw in (chosen or {}).items():
        if raw in (None, ""):
            continue
        if key not in knowledge.parameters:
            raise InputError(f"unknown parameter {key!r}: use {', '.join(PARAMETERS)}")
        parameter = knowledge.parameters[key]
        text = str(raw).strip()
        percent = text.endswith("%")
        try:
            value = float(text.rstrip("%")) / (100 if percent else 1)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{key} must be a share between {parameter.low} and {parameter.high} (or a percentage: 30%)"
            ) from exc
        if not parameter.low <= value <= parameter.high:
            raise InputError(f"{key} must be between {parameter.low} and {parameter.high}, not {raw}")
        values[key] = value
    on_database = detainers * values["database_share"]
    on_overstay = on_database * values["overstay_share"]
    on_status = on_database - on_overstay
    wrong = on_status * values["status_error_rate"] + on_overstay * values["overstay_error_rate"]
    grid = tuple(
        (rate, share, detainers * share * rate)
        for rate in knowledge.error_rates
        for share in knowledge.database_shares
    )
    return ClickArrestEstimate(
        place,
        period,
        detainers,
        counted,
        values,
        wrong,
        on_status,
        on_overstay,
        observed_us_citizen,
        grid,
        knowledge,
    )
