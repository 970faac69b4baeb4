"""Act: the records-request and letter wizards, the cost calculator and the request tracker."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["act"])
