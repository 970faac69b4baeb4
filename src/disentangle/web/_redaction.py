"""Redaction review: a document's pages with the boxes to black out, a person keeps, drops and draws them,
then publishes the flattened copy. Views over the Workspace; every form carries its CSRF token."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response

from disentangle.errors import InputError, NotFoundError
from disentangle.model import page_box
from disentangle.web._act import posted, render
from disentangle.web._downloads import download_name
from disentangle.web._site import Site

router = APIRouter(include_in_schema=False)

Sha256 = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$", description="the document's sha256")]
PAGE_DPI = 110  # the page image a person reviews on: sharp enough to read a booking number


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _page_view(request: Request, sha256: str, error: str | None = None, status_code: int = 200) -> Response:
    workspace = _site(request).workspace
    review = workspace.redactions(sha256)
    try:
        published = workspace.published_copy(sha256)
    except NotFoundError:
        published = None
    pages = [
        {
            "number": number,
            "width": width,
            "height": height,
            "boxes": [(n, r) for n, r in enumerate(review.redactions, start=1) if r.page == number],
        }
        for number, (width, height) in enumerate(review.pages, start=1)
    ]
    context = {
        "review": review,
        "pages": pages,
        "published": published,
        "error": error,
        "kinds": sorted({r.kind.value for r in review.redactions}),
    }
    return render(request, "redact.html", context, status_code=status_code)


@router.get("/documents/{sha256}/redact")
async def redact_page(request: Request, sha256: Sha256) -> Response:
    """The boxes on each page image: the machine's suggestions until a person reviews them."""
    return await run_in_threadpool(_page_view, request, sha256)


@router.get("/documents/{sha256}/pages/{number}.png")
def page_image(request: Request, sha256: Sha256, number: int) -> Response:
    """One page of the stored original as an image, for the person reviewing it (never cached publicly)."""
    from disentangle.publish._flatten import page_images

    workspace = _site(request).workspace
    images = page_images(workspace.original_file(sha256), dpi=PAGE_DPI, pages={number})
    if number not in images:
        raise NotFoundError(f"the document has no page {number}")
    buffer = io.BytesIO()
    images[number].convert("L").save(buffer, "PNG", optimize=True)
    return Response(
        buffer.getvalue(), media_type="image/png", headers={"cache-control": "private, max-age=600"}
    )


@router.post("/documents/{sha256}/redact")
async def redact_review(request: Request, sha256: Sha256) -> Response:
    """Keep the ticked boxes, add the drawn ones (PAGE:x0,y0,x1,y1 in points), and, when asked, publish."""
    site = _site(request)
    form = await posted(request)
    keep = form.every("keep")
    action = form.text("action") or "save"
    if action not in ("save", "publish"):
        raise InputError(f"unknown action {action!r}: save or publish")
    try:
        adds = [page_box(line) for line in form.lines("add")]
        by = form.text("by") or "a person"
        await run_in_threadpool(lambda: site.workspace.review_redactions(sha256, by=by, add=adds, keep=keep))
        if action == "publish":
            await run_in_threadpool(lambda: site.workspace.publish_document(sha256, by=by))
    except InputError as exc:
        return await run_in_threadpool(_page_view, request, sha256, exc.problem, 400)
    site.memo.clear()
    return RedirectResponse(f"/documents/{sha256}/redact#{action}", status_code=303)


@router.get("/documents/{sha256}/published.pdf")
def published_pdf(request: Request, sha256: Sha256) -> Response:
    """The redacted copy of a published document: the only file of it that leaves."""
    workspace = _site(request).workspace
    published = workspace.published_copy(sha256)
    stem = workspace.document_name(sha256).rpartition(".")[0] or "document"
    name = download_name(f"{stem}-redacted", "pdf")
    return FileResponse(
        published.path,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )
