"""Discovery campaigns: what each asks for (knowledge/letters/campaigns.yaml), and its letters bundled for
sending — a ZIP of every letter and a CSV for mail merge or bulk submission."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import KNOWLEDGE_DIR, load_yaml
from disentangle.knowledge._translations import translations
from disentangle.letters._letters import Letter
from disentangle.letters._render import to_docx, to_html, to_pdf
from disentangle.letters._requests import TOPICS
from disentangle.model import AGREEMENT_KINDS, CampaignTopic
from disentangle.publish import csv_cell

CAMPAIGNS_FILE = "letters/campaigns.yaml"


@cache
def campaign_topics() -> dict[str, CampaignTopic]:
    """The campaigns of knowledge/letters/campaigns.yaml by id, checked against the request topics."""
    doc = load_yaml(CAMPAIGNS_FILE)
    path = KNOWLEDGE_DIR / CAMPAIGNS_FILE
    sources = (doc or {}).get("sources") or {}
    out: dict[str, CampaignTopic] = {}
    try:
        for index, entry in enumerate(doc["campaigns"]):
            topic = CampaignTopic(
                id=str(entry["id"]),
                label=str(entry["label"]),
                description=" ".join(str(entry["description"]).split()),
                topics=tuple(entry["topics"]),
                kinds=tuple(entry["kinds"]),
                source="; ".join(
                    " ".join(str(sources[k.strip()]).split()) for k in entry["source"].split(";")
                ),
                translations=translations(
                    entry, ("label", "description"), str(path), f"campaigns[{index}] ({entry.get('id')})"
                ),
            )
            unknown = [t for t in topic.topics if t not in TOPICS] + [
                k for k in topic.kinds if k not in AGREEMENT_KINDS
            ]
            if unknown:
                raise KnowledgeError(f"{path}: campaign {topic.id!r} names unknown topics or kinds {unknown}")
            out[topic.id] = topic
    except (KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(f"{path}: invalid campaign: {exc}") from exc
    return out


def campaign_topic(about: str) -> CampaignTopic:
    found = campaign_topics().get(about)
    if found is None:
        raise InputError(f"unknown campaign {about!r}; expected one of {', '.join(campaign_topics())}")
    return found


@dataclass(frozen=True, slots=True)
class CampaignLetter:
    """One request of a campaign as the bundle writes it."""

    request_id: str
    agency_id: str
    agency: str
    state: str
    ori: str | None
    letter: Letter


BUNDLE_FORMATS = ("docx", "pdf", "html", "md")


@dataclass(frozen=True, slots=True)
class LetterFile:
    """One letter of a campaign rendered as a file of its bundle, and the process that rendered it."""

    request_id: str
    name: str
    data: bytes
    by: str  # host:pid: on a server, the worker that rendered it


def check_bundle_format(fmt: str) -> str:
    if fmt not in BUNDLE_FORMATS:
        raise InputError(f"cannot bundle letters as {fmt!r}: use docx, pdf, html or md")
    return fmt


def letter_file(fmt: str, item: CampaignLetter) -> LetterFile:
    """One letter rendered as the bundle holds it (a task of its own on a server's workers: rendering
    hundreds of PDFs or DOCX files is the costly part of a statewide campaign)."""
    check_bundle_format(fmt)
    if fmt == "md":
        body = item.letter.markdown.encode("utf-8")
    elif fmt == "html":
        body = to_html(item.letter).encode("utf-8")
    else:
        body = (to_docx if fmt == "docx" else to_pdf)(item.letter)
    name = f"{item.request_id}-{_file_name(item.agency)}.{fmt}"
    return LetterFile(item.request_id, name, body, f"{socket.gethostname()}:{os.getpid()}")


def bundle_zip(
    letters: Sequence[CampaignLetter], fmt: str = "docx", files: Sequence[LetterFile] | None = None
) -> bytes:
    """Every letter of a campaign in one ZIP (one file per request, named by its id and agency), with
    the mail-merge CSV beside them. `files` are the letters already rendered (by workers), in any order;
    without them each letter is rendered here."""
    check_bundle_format(fmt)
    rendered = {f.request_id: f for f in files or ()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for item in letters:
            entry = rendered.get(item.request_id) or letter_file(fmt, item)
            bundle.writestr(entry.name, entry.data)
        bundle.writestr("requests.csv", mail_merge_csv(letters))
    return buffer.getvalue()


MAIL_MERGE_COLUMNS = (
    "request_id",
    "agency",
    "ori",
    "state",
    "law",
    "citation",
    "due_if_received_today",
    "subject",
)


def mail_merge_csv(letters: Sequence[CampaignLetter]) -> str:
    """One row per request for a mail merge or a bulk-submission portal; the letter's text in the last
    column. Every cell is neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*MAIL_MERGE_COLUMNS, "letter"])
    for item in letters:
        row: list[Any] = [
            item.request_id,
            item.agency,
            item.ori or "",
            item.state,
            _law_label(item.letter),
            item.letter.citation or "",
            item.letter.due.isoformat() if isinstance(item.letter.due, date) else "",
            item.letter.title,
            item.letter.markdown,
        ]
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def _law_label(letter: Letter) -> str:
    return letter.title.removesuffix(" request")


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "agency"
