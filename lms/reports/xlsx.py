"""A minimal XLSX (Office Open XML spreadsheet) writer on the standard library.

Reports only need rows of text and numbers, so this writes just the parts a spreadsheet
program requires: content types, relationships, a workbook, one worksheet per sheet, and a
style sheet with a bold header. Text goes in as inline strings (never formulas: a name that
starts with "=" stays text, so there is no formula injection) and numbers as numbers, so
sums work; a NIP passed as a string stays text and keeps all 18 digits.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
# bandit B406: escaping output, never parsing
from xml.sax.saxutils import escape  # nosec B406

#: Characters XML 1.0 forbids; they are dropped from text cells.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
{sheets}</Types>"""
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class Sheet:
    """A named sheet; rows are lists of str, int, float, Decimal, bool, date or None (empty).

    The rows listed in `bold_rows` (0-based) are drawn bold, e.g. the header row.
    """

    name: str
    rows: Iterable[Sequence] = ()
    bold_rows: set[int] = field(default_factory=lambda: {0})


def column_name(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": the letters of a cell reference."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(name: str, taken: set[str]) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = _BAD_SHEET_CHARS.sub(" ", name).strip()[:31] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base[:28]} {n}"
    taken.add(candidate.lower())
    return candidate


def _cell(ref: str, value, style: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    text = escape(_ILLEGAL.sub("", str(value)))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _worksheet(sheet: Sheet) -> bytes:
    """One worksheet's XML, with column widths fitted to the longest text (capped)."""
    widths: dict[int, int] = {}
    body = []
    for r, row in enumerate(sheet.rows, start=1):
        style = ' s="1"' if (r - 1) in sheet.bold_rows else ""
        cells = []
        for c, value in enumerate(row):
            cells.append(_cell(f"{column_name(c)}{r}", value, style))
            widths[c] = max(widths.get(c, 0), len(str(value)) if value is not None else 0)
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    cols = "".join(f'<col min="{c + 1}" max="{c + 1}" width="{min(w + 2, MAX_WIDTH)}" customWidth="1"/>'
                   for c, w in sorted(widths.items()))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}">'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData>{"".join(body)}</sheetData></worksheet>').encode("utf-8")


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The bytes of an .xlsx file holding `sheets` in order (at least one)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    taken: set[str] = set()
    names = [sheet_name(s.name, taken) for s in sheets]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook_xml(names))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        archive.writestr("xl/styles.xml", _STYLES)
        for n, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", _worksheet(sheet))
    return out.getvalue()


def _workbook_xml(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, name in enumerate(names, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets></workbook>')


def _workbook_rels(count: int) -> str:
    rels = "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                   for n in range(1, count + 1))
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}{styles}</Relationships>")


def read_rows(data: bytes) -> dict[str, list[list]]:
    """Read back a workbook this module wrote: {sheet name: rows of values}.

    Numbers come back as int or float, booleans as bool, text as str; used by the tests and
    handy to check an export by hand. Not a general XLSX reader.
    """
    from defusedxml import ElementTree  # the workbook may come from anywhere: no entities

    ns = {"m": _MAIN_NS, "r": _REL_NS}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        result = {}
        for n, sheet in enumerate(book.find("m:sheets", ns), start=1):
            root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{n}.xml"))
            result[sheet.get("name")] = [_read_row(row, ns) for row in root.iter(f"{{{_MAIN_NS}}}row")]
    return result


def _read_row(row, ns) -> list:
    values: list = []
    for cell in row.findall("m:c", ns):
        index = _column_index(re.match(r"[A-Z]+", cell.get("r")).group(0))
        values.extend([None] * (index - len(values)))
        kind = cell.get("t")
        if kind == "inlineStr":
            values.append("".join(t.text or "" for t in cell.iter(f"{{{_MAIN_NS}}}t")))
        elif kind == "b":
            values.append(cell.find("m:v", ns).text == "1")
        else:
            text = cell.find("m:v", ns).text
            values.append(float(text) if any(ch in text for ch in ".eE") else int(text))
    return values


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1
