"""Public-records requests with their deadlines, follow-ups, termination letters and resolutions.

Pure code: every function takes plain inputs (an Addressee, a RecordsLaw, AgreementFacts) and returns
a Letter or a date; rendering to Markdown, HTML, DOCX and PDF is in `to_*` / `write_letter`.
"""

from disentangle.letters._actions import (
    AgreementFacts,
    AskedToEnd,
    GoverningBody,
    StateLawLimit,
    agreement_families,
    draft_invalidity,
    draft_resolution,
    draft_termination,
)
from disentangle.letters._deadlines import (
    Deadline,
    add_days,
    deadline_for,
    due_date,
    is_business_day,
    milestone_dates,
)
from disentangle.letters._ics import to_ics
from disentangle.letters._laws import DayUnit, RecordsLaw, records_law, records_laws
from disentangle.letters._letters import (
    Addressee,
    Letter,
    LetterKind,
    Quote,
    Requester,
    Sender,
    render_template,
    template_specs,
)
from disentangle.letters._render import parse_markdown, to_docx, to_html, to_pdf, write_letter
from disentangle.letters._requests import TOPICS, asks_for, draft_bulk, draft_request
from disentangle.letters._tracking import (
    TRANSITIONS,
    WAITING,
    RequestStatus,
    StatusChange,
    TrackedRequest,
    draft_appeal,
    draft_follow_up,
)
from disentangle.model import ValidityFlag  # the flags assess raises, quoting the agreement

__all__ = [
    "TOPICS",
    "TRANSITIONS",
    "WAITING",
    "Addressee",
    "AgreementFacts",
    "AskedToEnd",
    "DayUnit",
    "Deadline",
    "GoverningBody",
    "Letter",
    "LetterKind",
    "Quote",
    "RecordsLaw",
    "RequestStatus",
    "Requester",
    "Sender",
    "StateLawLimit",
    "StatusChange",
    "TrackedRequest",
    "ValidityFlag",
    "add_days",
    "agreement_families",
    "asks_for",
    "deadline_for",
    "draft_appeal",
    "draft_bulk",
    "draft_follow_up",
    "draft_invalidity",
    "draft_request",
    "draft_resolution",
    "draft_termination",
    "due_date",
    "is_business_day",
    "milestone_dates",
    "parse_markdown",
    "records_law",
    "records_laws",
    "render_template",
    "template_specs",
    "to_docx",
    "to_html",
    "to_ics",
    "to_pdf",
    "write_letter",
]
