"""Letters as data: who writes to whom, and the templates of knowledge/letters/ with declared variables."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

import jinja2
import jinja2.meta

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml

TEMPLATES_FILE = "letters/templates.yaml"


class LetterKind(StrEnum):
    """What a letter is for."""

    REQUEST = "request"  # a public-records request
    FOLLOW_UP = "follow-up"  # a reminder that a records response is due or overdue
    APPEAL = "appeal"  # an appeal of a denied or unanswered records request
    TERMINATION = "termination"  # notice ending an agreement under its own termination clause
    INVALIDITY = "invalidity"  # notice that an agreement was never validly made
    RESOLUTION = "resolution"  # a draft council or board resolution ending agreements


@dataclass(frozen=True, slots=True)
class Addressee:
    """The agency a letter goes to (or that a letter speaks for): plain facts, the address only if known."""

    name: str
    state: str  # USPS code
    address: tuple[str, ...] = ()
    attention: str | None = None  # "Custodian of Records", "Sheriff", "Field Office Director"
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Requester:
    """The person or organization asking for records."""

    name: str
    organization: str | None = None
    address: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    residence: str | None = (
        None  # e.g. "a citizen of the Commonwealth of Virginia", where a law limits who may ask
    )


@dataclass(frozen=True, slots=True)
class Sender:
    """Who signs an action letter: the official with authority to bind the local government (not an
    agreement's
    signatory: that is model.Signatory)."""

    name: str
    title: str  # "City Manager", "Sheriff", "Chair, Board of Supervisors"
    body: str  # the government or agency they sign for


@dataclass(frozen=True, slots=True)
class Quote:
    """Words quoted from a document, with where they stand so a reader can check them."""

    text: str
    document: str = ""  # the document's URL or title, as a reader would name it (never a file path)
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Letter:
    """A finished letter: its Markdown text plus the facts a tracker or renderer needs."""

    kind: LetterKind
    title: str
    agency: str  # the agency the letter concerns
    state: str
    date: datetime.date
    markdown: str
    citation: str | None = None  # the statute or clause the letter rests on
    due: datetime.date | None = None  # when a response is due, if the law fixes it
    notes: tuple[str, ...] = ()  # warnings for the sender, never printed in the letter
    sources: tuple[str, ...] = field(default_factory=tuple)  # citations of every quoted fact


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A template declared in templates.yaml: its file and the variables it must be given."""

    name: str
    file: str
    label: str
    variables: tuple[str, ...]


@cache
def template_specs() -> dict[str, TemplateSpec]:
    """Every template declared in knowledge/letters/templates.yaml, by name."""
    doc = load_yaml(TEMPLATES_FILE)
    path = KNOWLEDGE_DIR / TEMPLATES_FILE
    if not isinstance(doc, dict) or not isinstance(doc.get("templates"), dict):
        raise KnowledgeError(f"{path}: expected a mapping 'templates'")
    specs = {}
    for name, raw in doc["templates"].items():
        if not isinstance(raw, dict) or not raw.get("file") or not isinstance(raw.get("variables"), list):
            raise KnowledgeError(f"{path}: template {name!r} needs 'file' and a list 'variables'")
        specs[name] = TemplateSpec(name, raw["file"], str(raw.get("label", name)), tuple(raw["variables"]))
    return specs


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(KNOWLEDGE_DIR / "letters")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown out; HTML escaping happens in the renderer
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # A block of lines (an address, a signature) as Markdown hard line breaks.
    env.filters["lines"] = lambda items: "\\\n".join(str(item) for item in items)
    return env


def template_variables(name: str) -> set[str]:
    """The variables a template's source actually uses (to check them against the declaration)."""
    spec = template_specs()[name]
    env = _environment()
    assert env.loader is not None
    source = env.loader.get_source(env, spec.file)[0]
    return set(jinja2.meta.find_undeclared_variables(env.parse(source)))


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Fill a declared template; a variable missing or None is an InputError naming template and variable."""
    specs = template_specs()
    if name not in specs:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / TEMPLATES_FILE}: no template named {name!r}")
    spec = specs[name]
    for variable in spec.variables:
        if context.get(variable) is None:
            raise InputError(
                f"letter template {spec.file!r} needs variable {variable!r}, which was not given"
            )
    try:
        text = _environment().get_template(spec.file).render(**context)
    except jinja2.UndefinedError as exc:
        raise InputError(f"letter template {spec.file!r}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise KnowledgeError(f"{KNOWLEDGE_DIR / 'letters' / spec.file}: {exc}") from exc
    # One blank line between blocks, one newline at the end: stable text for golden comparison.
    lines = [line.rstrip() for line in text.splitlines()]
    collapsed: list[str] = []
    for line in lines:
        if line == "" and (not collapsed or collapsed[-1] == ""):
            continue
        collapsed.append(line)
    while collapsed and collapsed[-1] == "":
        collapsed.pop()
    return "\n".join(collapsed) + "\n"


def long_date(day: date) -> str:
    """A date as a letter writes it: "December 8, 2025"."""
    return f"{day.strftime('%B')} {day.day}, {day.year}"
