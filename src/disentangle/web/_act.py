"""Act: the records-request and letter wizards, the cost calculator and the request tracker.

Every page calls the Workspace; the letters are rendered by the letters stage (Markdown, DOCX, PDF).
Every form that changes something or carries a person's details is a POST with the CSRF token.
The tracker is this workspace's private data: never memoised into a shared page, guarded like the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from disentangle import costs, letters
from disentangle.errors import InputError, KnowledgeError
from disentangle.knowledge import load_yaml
from disentangle.web import _security as security
from disentangle.web._site import Site
from disentangle.web._uploads import check_length, read_one
from disentangle.workspace import Workspace

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["act"])

LETTER_FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
MAX_UPLOAD = 50 * 1024 * 1024  # an agreement PDF, scanned: tens of MB at most


# ------------------------------------------------------------------------------------------ forms, CSRF
def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


class Fields:
    """A submitted form, read the way the wizards need it: trimmed text, lines, lists, dates."""

    def __init__(self, form: FormData | dict[str, Any]) -> None:
        self.form = form

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def required(self, name: str, label: str) -> str:
        value = self.text(name)
        if not value:
            raise InputError(f"{label} is required")
        return value

    def lines(self, name: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.text(name).splitlines() if line.strip())

    def every(self, name: str) -> list[str]:
        if isinstance(self.form, FormData):
            return [v for v in self.form.getlist(name) if isinstance(v, str) and v]
        value = self.form.get(name)
        return list(value) if isinstance(value, list | tuple) else ([value] if value else [])

    def day(self, name: str, label: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(f"{label} is not a date (YYYY-MM-DD): {value!r}") from None

    def hidden(self, *skip: str) -> list[tuple[str, str]]:
        """The fields to carry to the next step, as (name, value) pairs (lists keep every value)."""
        pairs: list[tuple[str, str]] = []
        items = self.form.multi_items() if isinstance(self.form, FormData) else self.form.items()
        for name, value in items:
            if name in skip or name == "csrf_token" or not isinstance(value, str):
                continue
            pairs.append((name, value))
        return pairs


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200, csrf: str | None = None
) -> Response:
    """A page with a form: the form's CSRF token (signed by the server for this browser) in the page."""
    site = site_of(request)
    token = csrf or security.form_token(request)
    response = site.render(request, name, {"csrf": token, **context}, status_code=status_code)
    security.remember_binding(request, response)
    response.headers["cache-control"] = "no-store"  # forms and private requests are never cached
    return response


async def posted(request: Request) -> Fields:
    """The form of a POST, refused unless it carries the token this server made for this browser. Its
    declared size is checked before it is parsed; a file in it is spooled to disk by the parser."""
    check_length(request)
    form = await request.form(max_part_size=MAX_UPLOAD, max_files=2, max_fields=200)
    submitted = form.get("csrf_token")
    security.check_csrf(request, submitted if isinstance(submitted, str) else None)
    return Fields(form)


def letter_body(letter: letters.Letter) -> Markup:
    """The letter as HTML for the preview: the letters stage's own rendering (it escapes every text)."""
    page = letters.to_html(letter)
    body = page.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return Markup(body)  # built by to_html from escaped text only


def letter_file(letter: letters.Letter, fmt: str) -> Response:
    if fmt not in LETTER_FORMATS:
        raise InputError(f"cannot give a letter as {fmt!r}: use md, docx or pdf")
    if fmt == "md":
        content: bytes = letter.markdown.encode("utf-8")
    elif fmt == "docx":
        content = letters.to_docx(letter)
    else:
        content = letters.to_pdf(letter)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{letter.title} {letter.date.isoformat()}").strip("-")[:120]
    return Response(
        content,
        media_type=LETTER_FORMATS[fmt],
        headers={
            "content-disposition": f'attachment; filename="{stem}.{fmt}"',
            "cache-control": "no-store",
        },
    )


def today() -> date:
    return date.today()


# ------------------------------------------------------------------------------------------ index
@router.get("/act")
def act_index(request: Request) -> Response:
    return render(request, "act.html", {"query": ""})


# ------------------------------------------------------------------------------------------ requests
def topic_choices() -> list[dict[str, Any]]:
    """The request topics with their standard asks, as the letters stage's knowledge gives them."""
    topics = load_yaml("letters/asks.yaml")["topics"]
    return [
        {
            "key": key,
            "label": str(topics[key]["label"]),
            "asks": [ask.text for ask in letters.asks_for(key)],
        }
        for key in letters.TOPICS
        if key != "custom"
    ]


def requester_of(form: Fields) -> letters.Requester:
    return letters.Requester(
        name=form.required("name", "The requester's name"),
        organization=form.text("organization") or None,
        address=form.lines("address"),
        email=form.text("email") or None,
        phone=form.text("phone") or None,
        residence=form.text("residence") or None,
    )


def request_topics(form: Fields) -> tuple[list[str], list[str]]:
    topics = form.every("topic")
    custom = list(form.lines("custom"))
    if custom and "custom" not in topics:
        topics.append("custom")
    if not topics:
        raise InputError("choose at least one kind of record to ask for, or write your own")
    return topics, custom


def law_facts(law: letters.RecordsLaw, received: date) -> dict[str, Any]:
    """The law, its deadline for a request received on `received`, and its dated milestones."""
    deadline = letters.deadline_for(law, received)
    return {
        "law": law,
        "deadline": deadline,
        "milestones": [
            {"action": clock.action, "source": clock.source, "date": day, "translations": clock.translations}
            for clock, day in letters.milestone_dates(law, received)
        ],
    }


def agency_record(site: Site, agency_id: str) -> dict[str, Any]:
    result: dict[str, Any] = site.history(agency_id)["agency"]
    return result


@router.get("/act/request")
async def request_wizard(request: Request, q: str = "", agency: str = "") -> Response:
    """Step 1 (find the agency) or, with `agency`, step 2 (who asks and for what)."""
    site = site_of(request)
    if not agency:
        found = await run_in_threadpool(site.workspace.search, q) if q.strip() else []
        return render(
            request,
            "request_find.html",
            {"q": q, "agencies": [r for r in found if r["match"] == "agency"], "searched": bool(q.strip())},
        )
    record = await run_in_threadpool(agency_record, site, agency)
    return render(request, "request_details.html", request_details(record, Fields({"topic": ["agreements"]})))


def request_details(record: dict[str, Any], form: Fields, error: str = "") -> dict[str, Any]:
    law = letters.records_law(record["state"])
    return {
        "agency": record,
        "topics": topic_choices(),
        "chosen": set(form.every("topic")),
        "form": form,
        "error": error,
        **law_facts(law, today()),
    }


@router.post("/act/request")
async def request_edit(request: Request) -> Response:
    """Back to step 2 with what was entered."""
    form = await posted(request)
    record = await run_in_threadpool(agency_record, site_of(request), form.required("agency", "The agency"))
    return render(request, "request_details.html", request_details(record, form))


def request_arguments(form: Fields) -> tuple[tuple[str, list[str], letters.Requester], dict[str, Any]]:
    """The wizard's fields as the arguments of Workspace.preview_request and draft_request."""
    topics, custom = request_topics(form)
    return (
        (form.required("agency", "The agency"), topics, requester_of(form)),
        {"today": today(), "custom": custom, "since": form.day("since", "Since")},
    )


def draft_preview(workspace: Workspace, form: Fields) -> letters.Letter:
    args, options = request_arguments(form)
    return workspace.preview_request(*args, **options)


@router.post("/act/request/preview")
async def request_preview(request: Request) -> Response:
    """Step 3: the letter as it will be sent, the law and the due date; save or download."""
    site = site_of(request)
    form = await posted(request)
    record = await run_in_threadpool(agency_record, site, form.required("agency", "The agency"))
    try:
        letter = await run_in_threadpool(draft_preview, site.workspace, form)
    except InputError as problem:
        return render(
            request, "request_details.html", request_details(record, form, str(problem)), status_code=400
        )
    context = {
        "agency": record,
        "letter": letter,
        "body": letter_body(letter),
        "hidden": form.hidden(),
        **law_facts(letters.records_law(record["state"]), letter.date),
    }
    return render(request, "request_preview.html", context)


@router.post("/act/request/save")
async def request_save(request: Request) -> Response:
    site = site_of(request)
    form = await posted(request)

    def save() -> str:
        args, options = request_arguments(form)
        request_id, _ = site.workspace.draft_request(*args, **options)
        return request_id

    request_id = await run_in_threadpool(save)
    return RedirectResponse(f"/requests?saved={quote(request_id)}#{quote(request_id)}", status_code=303)


@router.post("/act/request/letter.{fmt}")
async def request_download(request: Request, fmt: str) -> Response:
    site = site_of(request)
    form = await posted(request)
    letter = await run_in_threadpool(draft_preview, site.workspace, form)
    return await run_in_threadpool(letter_file, letter, fmt)


# ------------------------------------------------------------------------------------------ action letters
@dataclass(frozen=True, slots=True)
class Field:
    """One input of a letter wizard."""

    name: str
    label: str
    hint: str = ""
    required: bool = True


SIGNER = (
    Field("signer", "Name of the official who signs", "The mayor, city or county manager, or sheriff"),
    Field("title", "Their title", "e.g. City Manager"),
    Field("body", "The government they sign for", "e.g. City of Pasadena"),
)


@dataclass(frozen=True, slots=True)
class LetterWizard:
    """A letter the Act pages draft: what it needs (its subject and fields) and how it is made."""

    kind: str  # the URL segment
    title: str
    intro: str
    subject: str  # what the letter is about: agreement, place or document
    fields: tuple[Field, ...]
    draft: Callable[[Workspace, str, Fields, date], letters.Letter]


def _signatory(form: Fields) -> letters.Sender:
    return letters.Sender(
        name=form.required("signer", "The signer's name"),
        title=form.required("title", "The signer's title"),
        body=form.required("body", "The government they sign for"),
    )


def _termination(workspace: Workspace, subject: str, form: Fields, day: date) -> letters.Letter:
    return workspace.termination_letter(subject, _signatory(form), today=day)


def _resolution(workspace: Workspace, subject: str, form: Fields, day: date) -> letters.Letter:
    body = letters.GoverningBody(
        name=form.required("body_name", "The council or board"),
        jurisdiction=form.required("jurisdiction", "The jurisdiction in words"),
        officer=form.required("officer", "The officer who gives notice"),
    )
    return workspace.resolution(subject, body, today=day)


def _invalidity(workspace: Workspace, subject: str, form: Fields, day: date) -> letters.Letter:
    # The stored document as read, never its file: no server path can reach the letter.
    place = form.text("place") or None
    if re.fullmatch(r"[0-9a-f]{64}", subject):
        return workspace.invalidity_notice_for_document(subject, _signatory(form), today=day, place=place)
    # A registry agreement read from a document (one found in records): judged from that document.
    return workspace.invalidity_notice_of_agreement(subject, _signatory(form), today=day, place=place)


WIZARDS = {
    wizard.kind: wizard
    for wizard in (
        LetterWizard(
            "terminate",
            "Terminate an agreement",
            "A letter ending an agreement the way its own termination clause provides, addressed as the "
            "agreement says notice must be given.",
            "agreement",
            SIGNER,
            _termination,
        ),
        LetterWizard(
            "resolution",
            "Draft a council or board resolution",
            "A resolution ending the active agreements the council or board can bind, asking whoever "
            "binds the others (an elected sheriff, another city) to end theirs, and adopting the checklist's "
            "prohibitions, with a warning where state law penalizes one.",
            "place",
            (
                Field("body_name", "The council or board", "e.g. City Council of the City of Pasadena"),
                Field("jurisdiction", "The jurisdiction in words", "e.g. the City of Pasadena"),
                Field("officer", "Who gives notice", "e.g. City Manager, County Executive"),
            ),
            _resolution,
        ),
        LetterWizard(
            "invalidity",
            "Give notice an agreement is invalid",
            "A notice that an agreement was not validly made: each rule it breaks (who signed, with what "
            "authority), the law, and the words quoted from the agreement. Upload the signed agreement.",
            "document",
            (
                Field(
                    "place",
                    "The jurisdiction it binds (optional)",
                    "County, city or FIPS; else the registry's link for its agency",
                    required=False,
                ),
                *SIGNER,
            ),
            _invalidity,
        ),
    )
}


def wizard_of(kind: str) -> LetterWizard:
    if kind not in WIZARDS:
        raise InputError(f"unknown letter {kind!r}: use {', '.join(WIZARDS)}")
    return WIZARDS[kind]


def subject_context(site: Site, wizard: LetterWizard, subject: str) -> dict[str, Any]:
    """What the letter is about, as the page shows it (the agreement, or the place and its agreements)."""
    workspace = site.workspace
    if wizard.subject == "agreement":
        found = [a for a in workspace.agreements() if a["id"] == subject]
        if not found:
            raise InputError(f"no agreement {subject!r}; find it from its agency")
        return {"agreement": found[0]}
    if wizard.subject == "place":
        shown = site.show(subject)
        if shown["type"] != "jurisdiction":
            raise InputError(f"{subject!r} is an agency: a resolution is adopted by a council or board")
        return {
            "place": shown["jurisdiction"],
            "active": [a for a in shown["agreements"] if a["status"] == "active"],
        }
    if not re.fullmatch(r"[0-9a-f]{64}", subject):  # an agreement read from a document, by its id
        found = [a for a in workspace.agreements() if a["id"] == subject]
        if not found:
            raise InputError(f"no agreement {subject!r}; upload the signed agreement instead")
        return {"agreement": found[0]}
    return {"document": subject}


@router.get("/act/letter/{kind}")
async def letter_wizard(request: Request, kind: str, q: str = "", subject: str = "") -> Response:
    """Step 1 (find what the letter is about) or, with `subject`, step 2 (who signs)."""
    site = site_of(request)
    wizard = wizard_of(kind)
    context: dict[str, Any] = {"wizard": wizard, "q": q, "subject": subject, "form": Fields({})}
    if subject or wizard.subject == "document":
        if subject:
            context.update(await run_in_threadpool(subject_context, site, wizard, subject))
        context["error"] = ""
        return render(request, "letter_details.html", context)
    context["choices"] = await run_in_threadpool(letter_choices, site, wizard, q)
    return render(request, "letter_find.html", context)


def letter_choices(site: Site, wizard: LetterWizard, q: str) -> list[Mapping[str, Any]]:
    """Search results for step 1: agencies with their agreements, or places."""
    if not q.strip():
        return []
    found = site.workspace.search(q)
    if wizard.subject == "place":
        return [r for r in found if r["match"] == "jurisdiction"]
    choices: list[Mapping[str, Any]] = []
    for row in [r for r in found if r["match"] == "agency"][:10]:
        choices.append({**row, "agreements": site.history(row["id"])["agreements"]})
    return choices


async def letter_of(request: Request, kind: str, form: Fields) -> tuple[LetterWizard, str, letters.Letter]:
    site = site_of(request)
    wizard = wizard_of(kind)
    subject = form.required("subject", f"The {wizard.subject}")
    letter = await run_in_threadpool(wizard.draft, site.workspace, subject, form, today())
    return wizard, subject, letter


@router.post("/act/letter/{kind}/preview")
async def letter_preview(request: Request, kind: str) -> Response:
    site = site_of(request)
    form = await posted(request)
    wizard = wizard_of(kind)
    if wizard.subject == "document":
        form = await stored_upload(site, form)
    subject = form.text("subject")
    try:
        wizard, subject, letter = await letter_of(request, kind, form)
    except InputError as problem:
        context: dict[str, Any] = {"wizard": wizard, "q": "", "subject": subject, "form": form}
        if subject:
            context.update(await run_in_threadpool(subject_context, site, wizard, subject))
        context["error"] = str(problem)
        return render(request, "letter_details.html", context, status_code=400)
    context = {
        "wizard": wizard,
        "letter": letter,
        "body": letter_body(letter),
        "hidden": form.hidden(),
        "subject": subject,
        "agreement_id": await run_in_threadpool(site.workspace.letter_agreement, kind, subject),
        "today": today().isoformat(),
    }
    return render(request, "letter_preview.html", context)


async def stored_upload(site: Site, form: Fields) -> Fields:
    """The uploaded agreement, read by a job (worker processes) into the workspace's document store; the
    form then names it by sha256. Its name is only a label: ".", ".." or "/" are names like any other."""
    upload = form.form.get("file") if isinstance(form.form, FormData) else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        if form.text("subject"):  # a stored document's sha256, or an agreement read from one
            return form
        raise InputError("choose the signed agreement to upload (PDF, DOCX or text)")
    sha256 = await run_in_threadpool(read_one, site, upload)
    values = (
        {k: v for k, v in form.form.multi_items() if isinstance(v, str)}
        if isinstance(form.form, FormData)
        else {}
    )
    return Fields({**values, "subject": sha256})


@router.post("/act/letter/{kind}/sent")
async def letter_sent(request: Request, kind: str) -> Response:
    """Record that the letter, as drafted from these fields, was sent on the date given: the agreement's
    page then shows it, the letter as evidence (a termination also shows the end its clause gives)."""
    site = site_of(request)
    form = await posted(request)
    _, subject, letter = await letter_of(request, kind, form)
    on = form.day("on", "The date it was sent") or today()
    agreement_id = await run_in_threadpool(
        site.workspace.record_letter_sent, kind, subject, letter.markdown, on
    )
    site.memo.clear()
    return RedirectResponse(f"/agreement/{quote(agreement_id)}#life-title", status_code=303)


@router.post("/act/letter/{kind}/letter.{fmt}")
async def letter_download(request: Request, kind: str, fmt: str) -> Response:
    form = await posted(request)
    _, _, letter = await letter_of(request, kind, form)
    return await run_in_threadpool(letter_file, letter, fmt)


# ------------------------------------------------------------------------------------------ tracker
@router.get("/requests")
async def tracker(request: Request, place: str = "", saved: str = "", fragment: bool = False) -> Response:
    """The tracked requests with status and due dates; `place` keeps those to a place's agencies."""
    site = site_of(request)
    context = await run_in_threadpool(tracker_context, site, place)
    context["saved"] = saved
    if fragment:
        response = site.render(request, "requests_fragment.html", context)
        response.headers["cache-control"] = "no-store"
        return response
    return render(request, "requests.html", context)


def tracker_context(site: Site, place: str) -> dict[str, Any]:
    workspace = site.workspace
    day = today()
    shown = None
    if place:
        shown = site.show(place)
        agency_ids = [a["agency_id"] for a in shown["agreements"]]
        if shown["type"] == "agency":
            agency_ids.append(shown["agency"]["id"])
        rows = workspace.records_requests_for(agency_ids, today=day)
    else:
        rows = workspace.records_requests(today=day)
    tracked = []
    for row in rows:
        item = workspace.tracked_request(row["id"])
        tracked.append(
            {
                **row,
                "history": item.history,
                "asks": item.asks,
                "next": sorted(s.value for s in letters.TRANSITIONS[item.status]),
                "follow_up": item.may_follow_up(),
                "appeal": item.may_appeal(day),
                "documents": workspace.request_documents(row["id"]),
            }
        )
    return {
        "requests": tracked,
        "place": (shown.get("jurisdiction") or shown.get("agency")) if shown else None,
        "place_q": place,
        "today": day,
    }


@router.post("/requests/{request_id}/status")
async def request_status(request: Request, request_id: str) -> Response:
    site = site_of(request)
    form = await posted(request)

    def advance() -> None:
        site.workspace.advance_request(
            request_id,
            form.required("status", "The new status"),
            form.day("on", "The date") or today(),
            form.text("note"),
            promised=form.day("promised", "The promised date"),
        )

    await run_in_threadpool(advance)
    return RedirectResponse(f"/requests#{quote(request_id)}", status_code=303)


@router.post("/requests/{request_id}/letter.{fmt}")
async def request_follow_up(request: Request, request_id: str, fmt: str) -> Response:
    """A follow-up or an appeal letter, signed by the requester as the request was."""
    site = site_of(request)
    form = await posted(request)
    kind = form.required("kind", "The kind of letter")

    def draft() -> letters.Letter:
        requester = site.workspace.request_requester(request_id)
        return site.workspace.request_letter(request_id, kind, requester, today=today())

    letter = await run_in_threadpool(draft)
    return await run_in_threadpool(letter_file, letter, fmt)


@router.get("/requests.ics")
async def requests_calendar(request: Request) -> Response:
    text = await run_in_threadpool(site_of(request).workspace.requests_calendar)
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="records-requests.ics"',
            "cache-control": "no-store",
        },
    )


@api.get("/requests", summary="This workspace's records requests (private: never exported)")
async def api_requests(request: Request, place: str = "", overdue: bool = False) -> Response:
    """Tracked requests with status, due date and days overdue; `place` keeps those to its agencies."""
    site = site_of(request)
    context = await run_in_threadpool(tracker_context, site, place)
    rows = [
        {
            **{k: v for k, v in row.items() if k not in ("history", "asks")},
            "asks": list(row["asks"]),
            "history": [
                {"status": c.status.value, "on": c.on, "note": c.note, "promised": c.promised}
                for c in row["history"]
            ],
        }
        for row in context["requests"]
        if not overdue or row["overdue_days"] > 0
    ]
    return json_response(rows)


def json_response(data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return Response(body, media_type="application/json", headers={"cache-control": "no-store"})


@api.get("/records-law/{state}", summary="A state's public-records law and today's deadlines")
def api_records_law(state: str, received: date | None = None) -> Response:
    """The law (citation, deadline, extension, who may ask, fees, appeal) and, for a request received on
    `received` (default today), its due date and milestones, each with its source."""
    law = letters.records_law(state)
    facts = law_facts(law, received or today())
    deadline: letters.Deadline = facts["deadline"]
    return json_response(
        {
            "code": law.code,
            "label": law.label,
            "citation": law.citation,
            "url": law.url,
            "received": received or today(),
            "due": deadline.date,
            "deadline": {"reason": deadline.reason, "action": deadline.action, "source": deadline.source},
            "milestones": facts["milestones"],
            "requesters": law.requesters.text if law.requesters else None,
            "fees": law.fees.text if law.fees else None,
            "appeal": law.appeal.text if law.appeal else None,
        }
    )


# ------------------------------------------------------------------------------------------ costs
INPUT_NAMES = tuple(f.name for f in fields(costs.CostInputs))


def cost_result(workspace: Workspace, query: dict[str, str]) -> dict[str, Any]:
    """An estimate from the calculator's query: `agreement` prefills, `regime` plus inputs price. Inputs
    left out take the defaults of costs/ (the agreement's agency's own size, or a `size` agency's)."""
    given = {k: v.strip() for k, v in query.items() if k in INPUT_NAMES and v.strip()}
    agreement = query.get("agreement", "").strip()
    size = query.get("size", "").strip() or None
    if agreement and not query.get("regime"):
        estimate = workspace.cost_of_agreement(agreement, size=size, **given)
    else:
        regime = query.get("regime", "").strip()
        if not regime:
            raise InputError(f"choose a cost regime: {', '.join(costs.load_regimes())}")
        estimate = workspace.cost(regime, given, size=size or "medium")
    table = costs.sensitivity(estimate.regime.id, estimate.inputs) if estimate.inputs.officers else None
    return {
        "estimate": estimate.to_dict(),
        "sensitivity": table.to_dict() if table else None,
        "assumptions": list(estimate.assumptions),
        "agreement": agreement or None,
    }


@router.get("/act/cost")
async def cost_page(request: Request) -> Response:
    """The calculator: a GET form (nothing is stored), results computed here; act.js makes them live."""
    site = site_of(request)
    query = dict(request.query_params)
    error = ""
    result = None
    status = 200
    if any(query.get(k) for k in ("regime", "agreement")):
        try:
            result = await run_in_threadpool(cost_result, site.workspace, query)
        except InputError as problem:
            error, status = str(problem), 400
    values = dict(result["estimate"]["inputs"]) if result else {}
    values.update({k: v for k, v in query.items() if k in INPUT_NAMES})
    regime = result["estimate"]["regime"]["id"] if result else query.get("regime", "")
    context = {
        "regimes": [
            {"id": r.id, "label": r.label, "translations": r.translations}
            for r in costs.load_regimes().values()
        ],
        "regime": regime,
        "inputs": costs.input_defaults(),
        "values": values,
        "result": result,
        "error": error,
        "agreement": query.get("agreement", ""),
    }
    return render(request, "cost.html", context, status_code=status)


def _cost_parameters() -> list[dict[str, Any]]:
    described = {
        "regime": "A regime of knowledge/costs/regimes.yaml: " + ", ".join(costs.load_regimes()),
        "agreement": "An agreement id: its regime, and defaults for its agency's own size, are chosen for it",
        "size": "small, medium or large: the agency size whose defaults fill the inputs left out",
    }
    parameters = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
        for name, text in described.items()
    ]
    parameters += [
        {
            "name": item.name,
            "in": "query",
            "required": False,
            "schema": {"type": "integer" if item.whole else "string"},
            "description": f"{item.label}; default {item.default or 'none'} ({item.source})",
        }
        for item in costs.input_defaults()
    ]
    return parameters


@api.get(
    "/cost",
    summary="Who pays for an agreement: federal and local shares",
    openapi_extra={"parameters": _cost_parameters()},
)
async def api_cost(request: Request) -> Response:
    """The estimate (lines, totals, federal and local shares, per officer, sources of the regime) and the
    local share's sensitivity to benefit load and overtime. Give `regime` and inputs (an input left out
    takes its default, a medium agency's), or `agreement` (its regime and defaults, changed by inputs)."""
    query = dict(request.query_params)
    result = await run_in_threadpool(cost_result, site_of(request).workspace, query)
    return json_response(result)


# ------------------------------------------------------------------------------------------ scorecard
@router.get("/scorecard/{q:path}")
async def scorecard_page(request: Request, q: str, fragment: bool = False) -> Response:
    """A place's policy scorecard: each criterion's answer with its evidence and inherited law."""
    site = site_of(request)
    card = await site.memoised(("scorecard", q), lambda: site.workspace.assess(q).to_dict())
    shown = await run_in_threadpool(site.show, q)
    context = {"card": card, "place": shown["jurisdiction"]}
    return site.render(request, "scorecard_fragment.html" if fragment else "scorecard.html", context)


@api.get("/scorecard/{q:path}", summary="A place's policy scorecard with evidence")
async def api_scorecard(request: Request, q: str) -> Response:
    """The Local Progress checklist for a jurisdiction (FIPS, OCD id or name): every criterion's answer
    (Y, N, partial, unknown), how it was reached, and its evidence (registry, inherited state law)."""
    site = site_of(request)
    return json_response(await site.memoised(("scorecard", q), lambda: site.workspace.assess(q).to_dict()))


def agreement_costs(site: Site, agreements: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The default estimate of each active agreement, for the place page: priced for today with the
    defaults for its agency's own size, each assumption stated (memoised like the pages)."""
    rows = []
    for agreement in agreements:
        if agreement["status"] != "active":
            continue

        def price(agreement_id: str = agreement["id"]) -> dict[str, Any]:
            return site.workspace.cost_of_agreement(agreement_id).to_dict()

        try:
            estimate = site.memo.get(("active-agreement-cost", agreement["id"], today()), price)
        except (InputError, KnowledgeError):
            continue  # a kind no regime covers (the place page shows what can be priced)
        rows.append({"agreement": agreement, "estimate": estimate})
    return rows
