"""CSV cells a spreadsheet will not run: the one place exports neutralise formulas.

A cell starting with = + - @ (or a tab or carriage return before one) is read by Excel,
LibreOffice and Google Sheets as a formula, so a name like ``=HYPERLINK(...)`` typed by a
person would run on the reader's machine (CSV injection). Such text gets a leading
apostrophe, which spreadsheets show as nothing and which keeps the value as text.
"""
from __future__ import annotations

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value itself, or text with an apostrophe in front when it would start a formula."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_row(values) -> list:
    """A row of cells, each made safe (numbers and dates pass unchanged)."""
    return [safe_cell(value) for value in values]
