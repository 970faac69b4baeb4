"""The messages the pages translate: every template string (extracted with Babel), and the registry's own
words the pages put through the catalog (statuses, models, events, map layers, kinds of place and agency).

`python -m disentangle.web._catalog` brings each language's .po up to date: new messages are added
untranslated, messages no page uses any more are dropped, translations are kept.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from disentangle.assess._practice import KNOWLEDGE as PRACTICE
from disentangle.assess._practice import Verdict
from disentangle.assess._scorecard import REGISTRY_FILE
from disentangle.costs import input_defaults
from disentangle.knowledge import load_yaml
from disentangle.publish import LAYERS
from disentangle.publish._map import COUNTY_TITLE
from disentangle.web import _i18n, _labels
from disentangle.web._site import TEMPLATES

# The registry's codes shown through the `tr` filter: kinds of place, of agency (as the roster names
# them, "_" read as a space) and the checklist's answers.
LEVELS = ("state", "county", "place", "subdivision")
AGENCY_TYPES = (
    "airport", "attorney_general", "constable", "county_corrections", "county_government", "county_police",
    "detention", "marshal", "metropolitan_police", "other", "police", "prosecutor", "regional", "school",
    "sheriff", "state_agency", "state_attorney", "state_corrections", "state_police", "state_university",
    "task_force", "tribal", "university", "unknown", "ward_marshal",
)  # fmt: skip
ANSWERS = ("Y", "N", "Other", "unknown")
DETAINER_SCOPES = ("facility", "agency", "county", "state", "place", "nation")


def template_messages() -> dict[str, tuple[str, ...]]:
    """Every message of the templates: msgid (a plural as (singular, plural)) and where it is."""
    found: dict[str, tuple[str, ...]] = {}
    method_map = [("**.html", "jinja2"), ("**.atom", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(TEMPLATES), method_map, options_map=options
    ):
        key = message if isinstance(message, str) else message[0]
        found[key] = (message,) if isinstance(message, str) else tuple(message)
        found[key + "\0where"] = (filename,)
    # The feeds' sentences, written by the stages through a `say` they are given (a catalog's gettext).
    package = Path(__file__).parent.parent
    for relative in ("publish/_feeds.py", "workspace/_alerts.py"):
        for _line, message, _comments, _context in extract_from_file(
            "python", str(package / relative), keywords={"say": None, "marked": None}
        ):
            key = message if isinstance(message, str) else message[0]
            found[key] = (message,) if isinstance(message, str) else tuple(message)
            found[key + "\0where"] = (relative,)
    # The web layer's own Python words: gettext_("...") and ngettext_("...", "...", n) with literal text.
    keywords = {"gettext_": None, "ngettext_": (1, 2)}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(Path(__file__).parent), [("*.py", "python")], keywords=keywords
    ):
        key = message if isinstance(message, str) else message[0]
        found[key] = (message,) if isinstance(message, str) else tuple(message)
        found[key + "\0where"] = (filename,)
    return {k: v for k, v in found.items() if not k.endswith("\0where")}


def registry_words() -> Iterator[str]:
    """What the scorecard's registry evidence says through `tr`: each rule's label (knowledge/scorecard/
    registry.yaml) and the statuses of the agreements that answer a criterion."""
    doc = load_yaml(REGISTRY_FILE)
    for section in ("agreements", "agreement_signals", "facts"):
        for entry in doc.get(section) or []:
            yield str(entry["label"])
    for entry in doc.get("agreements") or []:
        yield from (str(status) for status in entry["statuses"])


def vocabulary() -> Iterator[str]:
    """The registry's words the pages translate when they show them."""
    for table in (_labels.MODELS, _labels.STATUSES, _labels.EVENTS, _labels.REVIEWS, _labels.ORIGINS):
        yield from table.values()
    yield from _labels.COUNTY_RULES.values()
    yield from _labels.FACTS.values()
    yield from _labels.EVIDENCE_KINDS.values()
    yield from _labels.MEANINGS.values()
    yield from registry_words()
    yield from _labels.AGENCY_SIZES.values()
    yield from _labels.REDACTION_KINDS.values()
    yield from (item.label for item in input_defaults())  # the cost calculator's inputs
    yield from COUNTY_TITLE.values()
    for layer in LAYERS:
        yield layer.title
        yield layer.description
        yield from (band.label for band in layer.bands)
    yield from LEVELS
    yield from (kind.replace("_", " ") for kind in AGENCY_TYPES)
    yield from ANSWERS
    yield from DETAINER_SCOPES
    yield from (verdict.value for verdict in Verdict)
    yield from (str(words) for words in load_yaml(PRACTICE)["meanings"].values())


def messages() -> dict[str, tuple[str, ...]]:
    found = template_messages()
    for word in vocabulary():
        found.setdefault(word, (word,))
    return found


def read_catalog(language: str) -> Catalog:
    path = _i18n.catalog_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=_i18n.DOMAIN)
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=_i18n.DOMAIN)


def missing(language: str) -> list[str]:
    """The messages the pages use that the language's catalog leaves untranslated (or marks fuzzy)."""
    catalog = read_catalog(language)
    gaps = []
    for key in sorted(messages()):
        entry = catalog.get(key)
        translated = (
            entry is not None
            and not entry.fuzzy
            and (all(entry.string) if isinstance(entry.string, tuple | list) else bool(entry.string))
        )
        if not translated:
            gaps.append(key)
    return gaps


def update_catalog(language: str) -> Path:
    """Write the language's .po with every message the pages use, keeping the translations it has."""
    old = read_catalog(language)
    new = Catalog(locale=language, domain=_i18n.DOMAIN, project="Disentangle", fuzzy=False)
    for key, message in sorted(messages().items()):
        entry = old.get(key)
        msgid: str | tuple[str, ...] = message[0] if len(message) == 1 else message
        string: Any = ("", "") if len(message) > 1 else ""
        if entry is not None and entry.string:
            string = entry.string
        new.add(msgid, string)
    path = _i18n.catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, new, width=110, sort_output=True, omit_header=False)
    return path


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for language in _i18n.LANGUAGES[1:]:
        written = update_catalog(language)
        left = missing(language)
        sys.stderr.write(f"{written}: {len(left)} messages to translate\n")
