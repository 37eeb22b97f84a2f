"""Training-history exporters: the contract between the core and the plugins that write
training histories in an outside system's shape (SIASN today, an official schema tomorrow).

The core gathers :class:`TrainingRecord` rows (lms.services.training_history) and hands them
to an exporter contributed through the ``training_history_exporters`` hook; the exporter
turns them into the bytes of a file. Plugins import these names from ``lms.plugin``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lms.reports.csv_cells import safe_cell, safe_row

__all__ = ["ExportInfo", "TrainingExporter", "TrainingRecord", "safe_cell", "safe_row"]

#: Media types of the usual formats; an exporter may name others in ``media_types``.
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "xml": "application/xml", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class TrainingRecord:
    """One approved credit of one person: a completed course or approved experiential learning."""

    #: Ledger entry id (stable: lets a receiving system recognise a row sent before).
    entry_id: int
    nip: str
    name: str
    unit_code: str
    unit_name: str
    #: Course title or the title the learner gave.
    training_name: str
    #: "course" (an LMS course, through its certificate) or "experiential".
    kind: str
    #: For experiential learning: pelatihan, seminar, coaching, mentoring, magang, komunitas.
    experiential_kind: str
    #: Competency kind: teknis, manajerial, sosial-kultural (or "").
    competency: str
    jp: int
    start_on: dt.date
    end_on: dt.date
    #: The LMS certificate number, or the number on the external certificate/letter ("" if none).
    certificate_number: str
    #: Who issued it: the certificate's issuer (the agency), or the organiser/coach/mentor.
    issuer: str


@dataclass(frozen=True)
class ExportInfo:
    """What was asked for: passed to the exporter with the records (for headers, names)."""

    exporter: str
    format: str
    #: Unit code of the scope (None: the whole agency or one person's own history).
    unit_code: str | None
    start_on: dt.date
    end_on: dt.date
    generated_at: dt.datetime
    #: NIP when the export is one person's history.
    nip: str | None = None


@dataclass(frozen=True)
class TrainingExporter:
    """Returned by the ``training_history_exporters`` hook.

    ``render(records, format, info) -> bytes`` must accept every format in ``formats``
    (lowercase file extensions, "csv", "json") and be deterministic for the same input.
    """

    key: str
    label: str
    formats: Sequence[str]
    render: Callable[[list[TrainingRecord], str, ExportInfo], bytes]
    description: str = ""
    media_types: dict = field(default_factory=dict)

    def media_type(self, fmt: str) -> str:
        return self.media_types.get(fmt) or MEDIA_TYPES.get(fmt, "application/octet-stream")
