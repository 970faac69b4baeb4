"""Documents: the library of ingested agreements, one page per document, and the upload form."""

from __future__ import annotations

import html
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from disentangle import assess, extract
from disentangle.assess._conflicts import QUOTED
from disentangle.errors import DisentangleError, InputError, NotFoundError
from disentangle.web import _security as security
from disentangle.web import _uploads as uploads
from disentangle.web._act import posted, render
from disentangle.web._downloads import download, download_name
from disentangle.web._i18n import current, gettext_
from disentangle.web._site import Site
from disentangle.workspace import HoldingKind, Workspace
from disentangle.workspace._library import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, JobStatus

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["documents"])

SHA256 = r"^[0-9a-f]{64}$"
JOB_ID = r"^[0-9a-f]{32}$"
Sha256 = Annotated[str, PathParam(pattern=SHA256, description="the document's sha256 (64 hex digits)")]
JobId = Annotated[str, PathParam(pattern=JOB_ID, description="the job's id (32 hex digits)")]
REFRESH_SECONDS = 2  # how often the job page reloads itself while the job runs (without JavaScript)


# How each group of extracted facts is titled on the document page, by the field's first word (in the
# language of the page being rendered: a function, not a constant).
def fact_groups() -> dict[str, str]:
    dates = gettext_("Dates and term")
    return {
        "kind": gettext_("Kind of agreement"),
        "title": gettext_("Title"),
        "template": gettext_("Template"),
        "agency": gettext_("Agency"),
        "signatories": gettext_("Signatories"),
        "signed_date": dates,
        "effective_date": dates,
        "effective_rule": dates,
        "term": dates,
        "review_years": dates,
        "functions": gettext_("Functions delegated"),
        "obligations": gettext_("Obligations"),
        "reimbursement": gettext_("Reimbursement"),
        "termination": gettext_("Termination"),
        "suspension": gettext_("Suspension"),
        "addenda": gettext_("Addenda"),
    }


def _sides() -> dict[str, str]:
    """Who signed, in the language of the page being rendered."""
    return {"lea": gettext_("Local agency"), "ice": "ICE", "other": gettext_("Other")}


def _translated_rows(rows: Sequence[dict[str, Any]], found: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Each row with the translations knowledge gives for it (by its `key`), for `localized`."""
    return [{**row, "translations": found.get(str(row.get(key)), {})} for row in rows]


def quotes_in_english(text: str) -> Markup:
    """A translated text whose quoted phrases are the agreement's own words: each marked lang="en"."""
    parts: list[Markup] = []
    last = 0
    for match in QUOTED.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<span lang="en">{}</span>').format(match.group()))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _english(text: str) -> Markup:
    return Markup('<span lang="en">{}</span>').format(text)


def _lower_first(text: str | None) -> str | None:
    """An office's label inside a sentence ("Administrador municipal" -> "administrador municipal")."""
    return text[:1].lower() + text[1:] if text else text


def _no_authority_words(rule_id: str, values: dict[str, Any]) -> Markup | None:
    """A no-authority flag in the page's language, from its values: the rule's label and note as knowledge
    translates them (else in English, marked so), the signers' titles as the document prints them."""
    language = current()
    if language == "en" or not values.get("rule_label"):
        return None
    rules = {rule.id: rule for rule in assess.load_authority_rules().rules}
    roles = {role.id: role for role in assess.load_authority_rules().roles}
    rule = rules.get(rule_id)  # a per-jurisdiction override is not among them: its words stay English
    found = rule.translations.get(language, {}) if rule else {}
    label = found.get("label") or _english(values["rule_label"])
    note = found.get("note") or (_english(values["rule_note"]) if values.get("rule_note") else "")
    allowed = Markup(", ").join(
        _lower_first(roles[r].translations.get(language, {}).get("label")) or _english(roles[r].label)
        for r in values.get("may_bind") or ()
        if r in roles
    )
    titles = Markup(", ").join(_english(t) if t else "—" for t in values.get("titles") or ())
    words = escape(
        gettext_(
            "Signed for %(agency)s only by %(titles)s; under the rule %(rule)s, only %(allowed)s may bind "
            "%(place)s. A contract not signed by an authorized officer is void."
        )
    ) % {"agency": values.get("agency"), "titles": titles, "rule": label, "allowed": allowed,
         "place": values.get("place")}  # fmt: skip
    return Markup("{} {}").format(words, note) if note else words


def _translated_judgement(judgement: dict[str, Any]) -> dict[str, Any]:
    """The judgement with each conflict's explanation, and each flag worded from its values, in the
    page's language."""
    flags = [
        {**flag, "translations": {current(): {"message": words}}}
        if flag.get("code") == "no-authority"
        and (words := _no_authority_words(str(flag.get("rule")), flag.get("values") or {}))
        else flag
        for flag in judgement.get("flags") or []
    ]
    if flags:
        judgement = {**judgement, "flags": flags}
    if not judgement.get("conflicts"):
        return judgement
    rules = {rule.id: rule.translations for rule in assess.load_conflict_rules()}
    conflicts = [
        {
            **conflict,
            "translations": {
                language: {"explanation": quotes_in_english(given["explanation"])}
                for language, given in rules.get(conflict.get("rule"), {}).items()
                if given.get("explanation")
            },
        }
        for conflict in judgement["conflicts"]
    ]
    return {**judgement, "conflicts": conflicts}


def _kind_label(kind: str) -> str:
    return gettext_("not recognised as an agreement we know") if kind == "unknown" else kind


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


# ---------------------------------------------------------------------- the library and the upload form


@router.get("/documents")
def documents_page(
    request: Request, place: str = "", agreement: str = "", fragment: bool = False
) -> Response:
    """The library; `place` keeps the documents matched to that place's (or agency's) agreements,
    `agreement` those matched to one agreement, and `fragment` gives the table alone (the place and
    agreement pages load it: documents change between visits)."""
    site = site_of(request)
    documents = site.workspace.library()
    scope: dict[str, str] | None = None  # which documents these are (the template words it)
    if place:
        shown = site.workspace.show(place)
        ids = {a["id"] for a in shown["agreements"]}
        documents = [d for d in documents if d["agreement_id"] in ids]
        scope = {"kind": "place", "name": (shown.get("jurisdiction") or shown["agency"])["name"]}
    elif agreement:
        record = site.workspace.agreement(agreement)["agreement"]
        documents = [d for d in documents if d["agreement_id"] == record["id"]]
        scope = {"kind": "agreement", "name": record["agency"]}
    context = {
        "documents": documents,
        "scope": scope,
        "jobs": [] if fragment else site.workspace.ingest_jobs(10),
    }
    response = site.render(request, "documents_table.html" if fragment else "documents.html", context)
    response.headers["cache-control"] = "no-store"  # the person's own documents: never kept by a cache
    return response


@router.get("/documents/upload")
def upload_form(request: Request) -> Response:
    return _upload_page(request, None, 200)


@router.get("/requests/{request_id}/attach")
def attach_form(request: Request, request_id: str) -> Response:
    """The upload form for what an agency released in answer to a records request."""
    return _upload_page(request, None, 200, request_id=request_id)


def _upload_page(
    request: Request, error: str | None, status: int, *, request_id: str | None = None
) -> Response:
    site = site_of(request)
    answering = site.workspace.tracked_request(request_id) if request_id is not None else None
    context = {
        "csrf": security.form_token(request),
        "error": error,
        "max_files": MAX_UPLOAD_FILES,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "answering": answering,
        "action": f"/requests/{quote(request_id)}/attach" if request_id else "/documents/upload",
    }
    response = site.render(request, "upload.html", context, status_code=status)
    security.remember_binding(request, response)
    return response


@router.post("/documents/upload")
async def upload(request: Request) -> Response:
    """Take the files, record a job, read them in the background, and send the browser to the job."""
    return await _receive(request, None)


@router.post("/requests/{request_id}/attach")
async def attach(request: Request, request_id: str) -> Response:
    """Take what an agency released, read it in the background and file each document under the request:
    an agreement read from one is found in answer to the request."""
    site_of(request).workspace.tracked_request(request_id)  # the request must exist (404 otherwise)
    return await _receive(request, request_id)


async def _receive(request: Request, request_id: str | None) -> Response:
    site = site_of(request)

    def page(message: str, status: int) -> Response:
        return _upload_page(request, message, status, request_id=request_id)

    try:
        uploads.check_length(request)
    except uploads.UploadTooLarge as exc:
        return page(exc.problem, 413)
    except InputError as exc:
        return page(exc.problem, 411)
    try:
        # Two more parts than files: an unused file input still sends one, empty (counted after).
        form = await request.form(max_files=MAX_UPLOAD_FILES + 2, max_fields=10)
    except HTTPException as exc:  # the multipart parser's limits: say them in our words
        if "files" in str(exc.detail).lower():
            message = f"too many files: at most {MAX_UPLOAD_FILES} at once; send the rest after"
        else:
            message = f"the upload could not be read: {exc.detail}"
        return page(message, 400)
    try:
        submitted = form.get("csrf_token")
        if not security.csrf_matches(request, submitted if isinstance(submitted, str) else None):
            return page("the form had expired or did not come from this site: choose the files again", 403)
        parts = [
            part
            for part in form.getlist("files")
            if isinstance(part, UploadFile) and part.filename and not uploads.hidden(part.filename)
        ]
        try:
            job = await run_in_threadpool(uploads.save_uploads, site.workspace, parts, request_id)
        except InputError as exc:
            return page(exc.problem, 400)
    finally:
        await form.close()
    if job["status"] != JobStatus.DONE:
        uploads.start_job(site, job["id"])
    return RedirectResponse(f"/jobs/{job['id']}", status_code=303)


# ---------------------------------------------------------------------- jobs


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: JobId) -> Response:
    site = site_of(request)
    job = site.workspace.ingest_job(job_id)
    running = job["status"] in (JobStatus.QUEUED, JobStatus.RUNNING)
    context = {"job": job, "running": running, "refresh": REFRESH_SECONDS}
    return render(request, "job.html", context)


@router.post("/jobs/{job_id}/cancel")
async def job_cancel(request: Request, job_id: JobId) -> Response:
    """Stop a queued or running job: the file being read is stopped, the others are not read."""
    await posted(request)
    await run_in_threadpool(site_of(request).workspace.cancel_ingest_job, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


# ---------------------------------------------------------------------- one document


@router.get("/documents/{sha256}.json")
def document_json(request: Request, sha256: Sha256) -> Response:
    reading = site_of(request).workspace.reading(sha256)
    return download(reading["extraction"], f"{Path(reading['filename']).stem} extraction", "json")


@router.get("/documents/{sha256}/original")
def document_original(request: Request, sha256: Sha256) -> Response:
    """The original bytes, always as an attachment: an uploaded HTML file is never shown as a page."""
    workspace = site_of(request).workspace
    path = workspace.original_file(sha256)
    document = workspace.document(sha256)
    stem, _, suffix = document.filename.rpartition(".")
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:8] or "bin"
    name = download_name(stem or document.filename, suffix)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/documents/{sha256}")
def document_page(request: Request, sha256: Sha256, place: str = "") -> Response:
    """One document as read; `place` judges it for the place the person names (the agreement may not say)."""
    return _document_page(request, sha256, place)


def _document_page(
    request: Request, sha256: str, place: str = "", review_error: tuple[str, str] | None = None
) -> Response:
    site = site_of(request)
    if not site.workspace.reads_original(HoldingKind.DOCUMENT, sha256):
        return _published_page(request, sha256)
    context = document_context(site, sha256, place)
    context["review_error"] = review_error
    return render(request, "document.html", context, status_code=400 if review_error else 200)


def _published_page(request: Request, sha256: str) -> Response:
    """Another organisation's public document: what was read from it, over the text of its redacted copy
    (as a static site shows it); its original, page images and reviews stay with its organisation."""
    site = site_of(request)
    workspace = site.workspace
    workspace.published_copy(sha256)  # NotFoundError unless it is public, with a redacted copy
    with workspace.acting_as(None):  # the reading itself, then only what its published copy shows
        context = document_context(site, sha256, with_reviews=False)
        boxed = published_view(workspace, context, sha256)
    page = site.render_text(
        "document.html",
        {**context, "csrf": "", "published_copy": True, "public_view": True, "page_path": request.url.path},
    )
    return HTMLResponse(blank_boxed(page, boxed), headers={"cache-control": "no-store"})


def published_view(workspace: Workspace, context: dict[str, Any], sha256: str) -> list[str]:
    """The document page's pages made from its redacted copy's text, never the original's; returns the
    words under the boxes, which `blank_boxed` then leaves out of every quote of the reading as well."""
    texts, boxed = workspace.published_pages(sha256)
    context["pages"] = [
        {
            "number": number,
            "method": "ocr",
            "ocr_confidence": None,
            "html": escape(text),
            "empty": not text.strip(),
        }
        for number, text in enumerate(texts, start=1)
    ]
    return boxed


def blank_boxed(page: str, boxed: Sequence[str]) -> str:
    """The page with every boxed word (longest first) blacked out wherever the reading quotes it."""
    for words in sorted(boxed, key=len, reverse=True):
        page = page.replace(str(escape(words)), "█████")
    return page


def document_context(
    site: Site, sha256: str, place: str = "", *, with_reviews: bool = True
) -> dict[str, Any]:
    """What the document page shows; without `with_reviews` (the static site) no person's entry or field
    waiting for one: only what was read from the document."""
    reading = site.workspace.reading(sha256)
    document = site.workspace.document(sha256)
    extraction = reading["extraction"]
    judgement, place_error = reading["judgement"], None
    if not with_reviews and site.workspace.person_entries(sha256):
        # The stored judgement weighed a person's values: judge the machine's reading alone again.
        try:
            judgement = site.workspace.judge_stored(sha256)
        except DisentangleError as exc:
            judgement = {"error": str(exc)}
    if place.strip():
        try:
            judgement = site.workspace.judge_stored(sha256, place=place.strip())
        except DisentangleError as exc:
            place_error = getattr(exc, "problem", str(exc))
    judgement = _translated_judgement(judgement)
    labels, clause_found = extract.function_labels(), extract.clause_translations()
    facts = [{**fact, "number": n} for n, fact in enumerate(extraction["facts"], start=1)]
    by_page: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        by_page[fact["page"]].append(fact)
    pages = [
        {
            "number": page.number,
            "method": page.method.value,
            "ocr_confidence": page.ocr_confidence,
            "html": marked_text(
                page.text, [(f["number"], f["start"], f["end"]) for f in by_page[page.number]]
            ),
            "empty": not page.text.strip(),
        }
        for page in document.pages
    ]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    titles = fact_groups()
    for fact in facts:
        groups[fact_group(fact["field"], titles)].append(fact)
    reviews = (
        _review_context(site.workspace, sha256, document)
        if with_reviews
        else {"reviews": [], "open_reviews": [], "by_field": {}, "entered": []}
    )
    return {
        "reading": reading,
        "x": extraction,
        "judgement": judgement,
        "place": place.strip(),
        "place_error": place_error,
        "match": reading["judgement"].get("registry_match"),
        "comparison": reading["comparison"],
        "redline": Markup(demote_headings(reading["redline"])),  # Comparison escaped every text in it
        "pages": pages,
        "groups": list(groups.items()),
        "sides": _sides(),
        "kind_label": _kind_label(extraction["kind"]),
        "functions": _translated_rows(
            [
                {"code": code, "label": labels.get(code) or code.replace("_", " ")}
                for code in extraction.get("functions") or []
            ],
            extract.function_translations(),
            "code",
        ),
        "obligations": _translated_rows(extraction.get("obligations") or [], clause_found, "rule"),
        "reimbursement": _translated_rows(extraction.get("reimbursement") or [], clause_found, "rule"),
        "notice_terms": [
            term.to_json()
            for term in extract.Termination.from_json(extraction.get("termination") or {}).notice_terms
        ],
        **reviews,
        **(
            _access_context(site.workspace, sha256)
            if with_reviews
            else {"holdings": [], "may_publish": False, "own_access": None, "published": False}
        ),
        "review_error": None,
    }


def _access_context(workspace: Workspace, sha256: str) -> dict[str, Any]:
    """Which organisations hold the document and at which level; whether the viewer may change theirs."""
    viewer = workspace.viewer
    holdings = workspace.holdings_of(HoldingKind.DOCUMENT, sha256)
    own = next((h["access"] for h in holdings if viewer and h["organisation"] == viewer.organisation), None)
    try:
        published = bool(workspace.published_copy(sha256))
    except NotFoundError:
        published = False
    return {
        "holdings": holdings,
        "may_publish": bool(viewer and viewer.may_edit and own),
        "own_access": own,
        "published": published,
    }


def _review_context(workspace: Workspace, sha256: str, document: Any) -> dict[str, Any]:
    """The fields waiting for a person (each with its page region's image when the original has pages to
    draw), and every value a person entered, by field."""
    reviews = [r.to_json() for r in workspace.field_reviews(sha256)]
    drawable = document.media_type in ("application/pdf", "image/png", "image/jpeg", "image/tiff")
    for r in reviews:
        r["crop"] = (
            f"/documents/{sha256}/region.png?field={quote(r['field'])}" if r["region"] and drawable else None
        )
    return {
        "reviews": reviews,
        "open_reviews": [r for r in reviews if r["state"] == "needs-review"],
        "by_field": {r["field"]: r for r in reviews},
        "entered": [r for r in reviews if r["entered_by_person"]],
    }


@router.get("/documents/{sha256}/region.png")
def document_region(request: Request, sha256: Sha256, field: str) -> Response:
    """The page region where a field's value should be, cut from the stored original (cached)."""
    path = site_of(request).workspace.review_region(sha256, field)
    return FileResponse(path, media_type="image/png", headers={"cache-control": "private, max-age=3600"})


@router.post("/documents/{sha256}/review")
async def document_review(request: Request, sha256: Sha256) -> Response:
    """A person confirms the machine's suggestion for a field, types its value, or says the document shows
    none; the entry is kept beside the machine's reading. Back to the page, at the list of reviews."""
    site = site_of(request)
    form = await posted(request)
    field = form.required("field", "The field")
    action = form.text("action") or "enter"
    by = form.text("by") or "a person"
    if action not in ("confirm", "enter", "none"):
        raise InputError(f"unknown action {action!r}: confirm, enter or none")
    value = None if action == "none" else (form.text("value") or None)
    if action == "enter" and value is None:
        return await run_in_threadpool(
            _document_page, request, sha256, "", (field, "type the value, or say the document shows none")
        )
    try:
        await run_in_threadpool(
            lambda: site.workspace.enter_field(sha256, field, value, by=by, confirm=action == "confirm")
        )
    except InputError as exc:
        return await run_in_threadpool(_document_page, request, sha256, "", (field, exc.problem))
    site.memo.clear()
    return RedirectResponse(f"/documents/{sha256}#review-title", status_code=303)


@router.get("/review")
def review_queue_page(request: Request, request_id: Annotated[str, Query(alias="request")] = "") -> Response:
    """Every document with fields waiting for a person, across the library or of one records request."""
    site = site_of(request)
    queue = site.workspace.review_queue(request_id=request_id.strip() or None)
    context = {
        "queue": [q.to_json() for q in queue],
        "request_id": request_id.strip(),
        "total": sum(q.open for q in queue),
    }
    response = site.render(request, "review_queue.html", context)
    response.headers["cache-control"] = "no-store"
    return response


@dataclass(frozen=True, slots=True)
class _Span:
    number: int
    start: int
    end: int


def marked_text(text: str, spans: Sequence[tuple[int, int, int]]) -> Markup:
    """A page's text, escaped, with each fact's span wrapped in <mark>: (fact number, start, end) are
    character offsets into `text`.

    Spans may overlap or nest, and HTML elements may not cross, so the text is cut at every span's start
    and end, and each piece covered by facts becomes one <mark data-facts="3 7">. A fact's first piece
    carries its id (fact-N), the target of the fact list's links; when several facts start at the same
    character, the others get an empty anchor just before it."""
    kept = [
        _Span(n, max(0, s), min(len(text), e))
        for n, s, e in spans
        if isinstance(s, int) and isinstance(e, int) and min(len(text), e) > max(0, s)
    ]
    bounds = sorted({0, len(text)} | {s.start for s in kept} | {s.end for s in kept})
    out: list[str] = []
    for left, right in itertools.pairwise(bounds):
        piece = html.escape(text[left:right], quote=False)
        covering = [s.number for s in kept if s.start <= left and right <= s.end]
        if not covering:
            out.append(piece)
            continue
        starting = [s.number for s in kept if s.start == left]
        for number in starting[1:]:
            out.append(f'<span class="fact-anchor" id="fact-{number}" tabindex="-1"></span>')
        mark_id = f' id="fact-{starting[0]}" tabindex="-1"' if starting else ""
        numbers = " ".join(str(n) for n in covering)
        out.append(f'<mark class="fact" data-facts="{numbers}"{mark_id}>{piece}</mark>')
    return Markup("".join(out))  # every piece of text went through html.escape


def fact_group(field: str, groups: dict[str, str] | None = None) -> str:
    head = re.split(r"[.\[]", field, maxsplit=1)[0]
    return (groups or fact_groups()).get(head, head.replace("_", " ").capitalize())


def demote_headings(redline: str) -> str:
    """The redline's own h1/h2 under the page's h2 "Compared with the template" (h3/h4), so headings stay
    in order. Only tags the comparison wrote are touched: its text is escaped, so holds no '<h1>'."""
    for level in (2, 1):
        for old, new in ((f"<h{level}>", f"<h{level + 2}>"), (f"</h{level}>", f"</h{level + 2}>")):
            redline = redline.replace(old, new)
    # The document's words against the template's, and the comparison's own English: never translated.
    return redline.replace("<article class='redline'>", "<article class='redline' lang=\"en\">", 1)


# ---------------------------------------------------------------------- JSON API


@api.get("/documents", summary="The document library")
def api_documents(request: Request) -> list[dict[str, Any]]:
    """`library()`: every stored document with what was read from it, most recently read first."""
    return site_of(request).workspace.library()


@api.get("/documents/{sha256}", summary="One stored document and what was read from it")
def api_document(request: Request, sha256: Sha256) -> dict[str, Any]:
    """`reading(sha256)` (extraction, registry link, validity flags and conflicts, comparison with the
    template) and the document's pages as stored (`document(sha256)`)."""
    workspace = site_of(request).workspace
    reading = workspace.reading(sha256)
    document = workspace.document(sha256)
    pages = [
        {"number": p.number, "method": p.method.value, "ocr_confidence": p.ocr_confidence, "text": p.text}
        for p in document.pages
    ]
    reviews = [r.to_json() for r in workspace.field_reviews(sha256)]
    return {
        "reading": reading,
        "review": reviews,
        "entered_by_person": {r["field"]: r["entry"] for r in reviews if r["entered_by_person"]},
        "document": {
            "sha256": document.sha256,
            "filename": document.filename,
            "media_type": document.media_type,
            "metadata": document.metadata,
            "pages": pages,
        },
    }


@api.get("/review", summary="Documents with fields waiting for a person")
def api_review_queue(
    request: Request, request_id: Annotated[str, Query(alias="request")] = ""
) -> list[dict[str, Any]]:
    """`review_queue()`: every stored document with fields that need review (or those of one records
    request), with how many wait and how many a person entered."""
    queue = site_of(request).workspace.review_queue(request_id=request_id.strip() or None)
    return [q.to_json() for q in queue]


@api.get("/documents/{sha256}/review", summary="Each field of a document with its review state")
def api_document_review(request: Request, sha256: Sha256) -> list[dict[str, Any]]:
    """`field_reviews(sha256)`: every field with the machine's reading, its state (read, needs-review,
    confirmed, corrected), the reason it waits, its page region, and the person's entry (who, when)."""
    return [r.to_json() for r in site_of(request).workspace.field_reviews(sha256)]


@api.get("/jobs", summary="The latest ingestion jobs")
def api_jobs(request: Request, limit: int = 20) -> list[dict[str, Any]]:
    """`ingest_jobs(limit)`: newest first, without their files."""
    if not 1 <= limit <= 200:
        raise InputError("limit must be between 1 and 200")
    return site_of(request).workspace.ingest_jobs(limit)


@api.post("/jobs/{job_id}/cancel", summary="Stop an ingestion job")
def api_job_cancel(request: Request, job_id: JobId) -> dict[str, Any]:
    """`cancel_ingest_job(id)`: a queued or running job stops within a second or two; the file being read
    is stopped and those not read say so. A finished job is refused (400)."""
    return site_of(request).workspace.cancel_ingest_job(job_id)


@api.get("/jobs/{job_id}", summary="An ingestion job's progress and each file's outcome")
def api_job(request: Request, job_id: JobId) -> dict[str, Any]:
    """`ingest_job(id)`: status (queued, running, done, interrupted), counts, and per file its state
    (waiting, stored, already-stored, failed), its sha256 or its error."""
    return site_of(request).workspace.ingest_job(job_id)
