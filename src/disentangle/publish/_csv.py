"""Cells of every CSV the product writes, safe to open in a spreadsheet (OWASP's CSV-injection rule)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

# A cell a spreadsheet would read as a formula or a command: these first characters.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """The text of one CSV cell: dates in ISO form, lists and mappings as JSON, and a leading
    apostrophe before a text a spreadsheet would run (=HYPERLINK(…), +cmd|…, @SUM(…), -2+3).
    Numbers stay numbers: -12.5 is data, not a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = (
        json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) else str(value)
    )
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
