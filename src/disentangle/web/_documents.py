"""Documents: the library of ingested agreements, one page per document, and the upload form."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["documents"])
