"""CSV cells a spreadsheet reads as data: every CSV the harvester writes (the API's and
dashboard's export, ``harvester domains --format csv``, ``harvester extract``) goes
through ``cell``, so a comment such as ``=HYPERLINK("http://evil","x")`` stays text."""

from __future__ import annotations

from typing import Any

# OWASP's list: a cell starting with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets (tab and CR included: some strip them, then see "=").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value: Any) -> Any:
    """The value for a CSV cell: dates as ISO text, formula-like text quoted with ``'``."""
    text = value.isoformat() if hasattr(value, "isoformat") else value
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
