"""The scorecard's knowledge files load, validate, quote their sources verbatim; broken ones fail loudly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from disentangle import knowledge
from disentangle.assess import (
    Answer,
    PolicyText,
    find_provisions,
    load_patterns,
    load_state_laws,
    load_toolkit,
    score_policy_texts,
    word_view,
)
from disentangle.assess._scorecard import REGISTRY_FILE, parse_registry_rules
from disentangle.assess._scoring import aspect_answer, criterion_answer
from disentangle.assess._statelaw import parse_state_laws, state_law_files
from disentangle.assess._toolkit import (
    PATTERNS_FILE,
    TOOLKIT_FILE,
    parse_patterns,
    parse_toolkit,
)
from disentangle.errors import KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "policy"


def _doc(relative: str) -> Any:
    return yaml.safe_load((KNOWLEDGE_DIR / relative).read_text(encoding="utf-8"))


def test_toolkit_has_the_eight_criteria_and_the_best_practices() -> None:
    toolkit = load_toolkit()
    checklist = [c for c in toolkit.criteria if c.kind == "checklist"]
    assert [c.number for c in checklist] == list(range(1, 9))
    assert len([p for p in toolkit.best_practices if p.group == "prohibit"]) == 6
    assert len([p for p in toolkit.best_practices if p.group == "include"]) == 4
    assert [p.id for p in toolkit.best_practices if p.group == "alternative"] == ["local-resources"]
    assert len(toolkit.landscape) == 5
    assert {m.id for m in toolkit.model_policies} == {"cook-county", "santa-clara", "new-york-city"}
    assert toolkit.publisher == "Local Progress Impact Lab"


def test_toolkit_quotes_are_the_toolkits_words(shared_dir: Path) -> None:
    seed = (shared_dir / "seeds" / "003_c80bba22972c6078.txt").read_text(encoding="utf-8")
    flat = " ".join(seed.split())
    toolkit = load_toolkit()
    quoted: list[str] = list(toolkit.landscape)
    for criterion in toolkit.criteria:
        quoted += [criterion.criterion, *criterion.questions, *criterion.where_to_look]
        quoted += [words for _, words in criterion.aspects]
        if criterion.footnote:
            quoted.append(criterion.footnote)
    quoted += [p.text for p in toolkit.best_practices]
    missing = [q for q in quoted if " ".join(q.split()) not in flat]
    assert not missing


def test_every_pattern_is_written_from_a_bundled_text_and_finds_it() -> None:
    texts = [
        PolicyText(p.name, p.read_text(encoding="utf-8"))
        for p in FIXTURES.iterdir()
        if p.name != "PROVENANCE.md"
    ]
    found = {provision.pattern for t in texts for provision in find_provisions(t)}
    for pattern in load_patterns():
        if pattern.id == "pasadena-pd-not-assisting":
            continue  # written from a news report of a department policy (seed 001), tested in test_authority
        assert pattern.id in found, f"pattern {pattern.id} matches none of the bundled texts"
        named = re.findall(r"[A-Z]{2,3}_[\w.-]+?\.(?:txt|md|xml)", pattern.written_from)
        assert named, f"{pattern.id} does not name the text it was written from"
        for name in named:
            assert (FIXTURES / name).exists(), f"{pattern.id} cites missing fixture {name}"


def test_state_law_quotes_are_in_their_bundled_texts() -> None:
    for laws in load_state_laws().values():
        for law in laws:
            if not law.text:
                continue
            source = FIXTURES / law.text
            policy = PolicyText(law.text, source.read_text(encoding="utf-8"))
            words = word_view(policy.text, policy.effective_markup).words.lower()
            for effect in law.effects:
                if effect.quote:
                    assert " ".join(effect.quote.lower().split()) in words, (law.id, effect.provision)


@pytest.mark.parametrize("state", ["CA", "DC", "WA"])
def test_state_law_effects_agree_with_scoring_its_text(state: str) -> None:
    law = next(law for law in load_state_laws()[state] if law.text)
    assert law.text
    policy = PolicyText(law.text, (FIXTURES / law.text).read_text(encoding="utf-8"))
    scored = {a.criterion: a.answer for a in score_policy_texts([policy])}
    toolkit = load_toolkit()
    for criterion in toolkit.criteria:
        effects = [e for e in law.effects if e.criterion == criterion.id]
        by_hand = criterion_answer(
            aspect_answer(e.meaning for e in effects if e.aspect == aspect) for aspect in criterion.aspect_ids
        )
        if by_hand is Answer.UNKNOWN and criterion.derived_from:
            continue
        assert by_hand is scored[criterion.id], criterion.id


def test_every_state_file_names_its_state_and_loads() -> None:
    files = state_law_files()
    assert {p.stem for p in files} >= {"CA", "TX", "WA", "OR", "IL", "NJ", "MD", "DC", "FL"}
    laws = load_state_laws()
    assert all(laws[p.stem] for p in files)
    texas = laws["TX"][0]
    assert texas.direction == "requires" and "752" in texas.citation


# ------------------------------------------------------------------------------------------ broken files
def _break(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["criteria", 0, "questions"], [], "has no questions"),
        (["criteria", 1, "id"], "detainers", "duplicate criterion ids"),
        (["criteria", 2, "where_to_look_from"], "nowhere", "unknown 'nowhere'"),
        (["criteria", 0, "best_practices"], ["no-such-practice"], "unknown best practices"),
        (["model_policies", 0, "covers"], ["no-such-criterion"], "covers unknown criteria"),
    ],
)
def test_broken_toolkit_names_the_file(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(message)) as error:
        parse_toolkit(_break(_doc(TOOLKIT_FILE), path, value), "knowledge/scorecard/toolkit.yaml")
    assert "knowledge/scorecard/toolkit.yaml" in str(error.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["patterns", 0, "regex"], "([unclosed", "not a valid regular expression"),
        (["patterns", 0, "effects", 0, "criterion"], "no-such-row", "unknown criterion"),
        (["patterns", 0, "effects", 0, "meaning"], "maybe", "unknown meaning"),
        (["patterns", 0, "effects", 0, "aspect"], "igsa", "does not have"),
        (["patterns", 1, "id"], "ca-7284.6-a1B-hold-request", "duplicate pattern id"),
        (["patterns", 0, "window"], -5, "positive integer"),
    ],
)
def test_broken_patterns_name_the_file(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(message)) as error:
        parse_patterns(
            _break(_doc(PATTERNS_FILE), path, value), load_toolkit(), "knowledge/scorecard/patterns.yaml"
        )
    assert "patterns.yaml" in str(error.value)


def test_broken_state_law_and_registry_files_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = _doc("statelaw/CA.yaml")
    with pytest.raises(KnowledgeError, match=r"statelaw/CA.yaml.*needs a quote or a summary"):
        effect = ca["laws"][0]["effects"][0]
        effect.pop("quote")
        parse_state_laws(ca, "statelaw/CA.yaml", load_toolkit())
    with pytest.raises(KnowledgeError, match="named for TX but says state CA"):
        parse_state_laws(_doc("statelaw/CA.yaml"), "statelaw/TX.yaml", load_toolkit(), expected_state="TX")
    registry = _doc(REGISTRY_FILE)
    registry["agreements"][0]["aspect"] = "beds"
    with pytest.raises(KnowledgeError, match=r"registry.yaml.*aspect 'beds'"):
        parse_registry_rules(registry, load_toolkit(), "scorecard/registry.yaml")
    # A file that is not YAML at all fails in the shared loader, which names it too.
    monkeypatch.setattr(knowledge, "KNOWLEDGE_DIR", tmp_path)
    (tmp_path / "scorecard").mkdir()
    bad = tmp_path / "scorecard" / "broken-for-test.yaml"
    bad.write_text("criteria: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=re.escape(str(bad))):
        knowledge.load_yaml("scorecard/broken-for-test.yaml")


def test_every_judge_knowledge_file_loads_and_the_public_surface_is_sorted() -> None:
    import disentangle.assess as assess
    import disentangle.costs as costs
    from disentangle.assess import load_authority_rules, load_conflict_rules
    from disentangle.assess._scorecard import _registry_rules
    from disentangle.costs import load_defaults, load_regimes

    assert load_toolkit().criteria and load_patterns()
    assert all(load_state_laws().values())
    agreements, facts = _registry_rules()
    assert agreements and facts
    assert load_conflict_rules() and load_authority_rules().rules and load_authority_rules().roles
    assert load_regimes() and all(load_defaults())
    for module in (assess, costs):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
