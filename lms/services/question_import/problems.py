"""What is wrong with an imported question file, and where: row and column, or line.

Messages are untranslated msgids (or ``lms.i18n.Message`` with parameters), so the web
report shows them in the author's language and the command line in English.
"""
from __future__ import annotations

from dataclasses import dataclass

from lms.i18n import Message


@dataclass(frozen=True)
class ImportProblem:
    """One problem: a spreadsheet ``row`` (1 = header) and ``column`` as the file names it,
    or an Aiken ``line``, or a ``where`` from the GIFT/YAML readers; none = the whole file."""

    file: str
    message: str
    row: int | None = None
    column: str = ""
    line: int | None = None
    where: str = ""

    def english_message(self) -> str:
        params = getattr(self.message, "params", None)
        return str(self.message) % params if params else str(self.message)

    def location(self) -> str:
        """Where, in English: "row 3, column jawaban", "line 7", or the reader's own words."""
        if self.row is not None:
            return f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        if self.line is not None:
            return f"line {self.line}"
        return self.where or (f"column {self.column}" if self.column else "")

    def __str__(self) -> str:
        where = self.location()
        return f"{self.file}: {where}: {self.english_message()}" if where else \
            f"{self.file}: {self.english_message()}"


def message(msgid: str, **params) -> str:
    """A msgid with its parameters, translated where it is shown (see lms.i18n.translate)."""
    return Message(msgid, **params) if params else msgid
