"""Training history: every approved JP credit of a person, a unit or the agency in a period,
as rows an exporter plugin (``training_history_exporters`` hook) turns into a file.

A record is one approved ledger entry: a completed course (with its certificate's number
and issuer) or approved experiential learning (with the number of its external certificate
and the organiser as issuer). The period filters on the day the training ended. Records are
read with one query (ledger ⋈ people ⋈ units ⟕ certificates), whatever their number.
Scoping is the JP report's (lms.services.jp_reports.Scope): a unit's subtree, or the agency.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms import registry
from lms.database import db
from lms.errors import LmsError
from lms.exporters import ExportInfo, TrainingExporter, TrainingRecord
from lms.models import Certificate, JpEntry, JpSource, JpStatus, Unit, User
from lms.services.jp_reports import FIRST_YEAR, LAST_YEAR, Scope

#: Longest period one export may cover (a typo guard: 100 years of a province is a lot of rows).
MAX_DAYS = 366 * 10


class ExportError(LmsError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class UnknownExporter(ExportError):
    """No installed exporter has this key, or it does not write this format."""


@dataclass(frozen=True)
class Period:
    start_on: dt.date
    end_on: dt.date

    @classmethod
    def year(cls, year: int) -> Period:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ExportError(_l("The year must be between %(first)d and %(last)d.", first=FIRST_YEAR,
                                 last=LAST_YEAR))
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def between(cls, start_on: dt.date, end_on: dt.date) -> Period:
        if end_on < start_on:
            raise ExportError(_l("The period cannot end before it starts."))
        if (end_on - start_on).days > MAX_DAYS:
            raise ExportError(_l("The period can be at most ten years."))
        return cls(start_on, end_on)


def exporters() -> list[TrainingExporter]:
    """The installed exporters, by key."""
    return registry.training_exporters().values()


def exporter(key: str | None, fmt: str | None = None) -> tuple[TrainingExporter, str]:
    """The exporter `key` (default: the first installed) and the format (default: its first)."""
    found = registry.training_exporters()
    if not key:
        if not found.keys():
            raise UnknownExporter(_l("No training-history exporter is installed."))
        key = found.keys()[0]
    if key not in found:
        raise UnknownExporter(_l("Unknown exporter: %(key)s", key=key))
    chosen = found.get(key)
    fmt = (fmt or chosen.formats[0]).lower()
    if fmt not in chosen.formats:
        raise UnknownExporter(_l("%(exporter)s cannot write %(format)s.", exporter=chosen.label, format=fmt))
    return chosen, fmt


def records(period: Period, *, scope: Scope | None = None, user_id: int | None = None) -> list[TrainingRecord]:
    """Approved credits ending in `period`, of one person (`user_id`) or of the people in
    `scope`, ordered by unit, name, NIP and date: one query."""
    query = (select(JpEntry.id, JpEntry.source, JpEntry.kind, JpEntry.title, JpEntry.organiser,
                    JpEntry.competency, JpEntry.jp, JpEntry.start_on, JpEntry.end_on, JpEntry.reference_number,
                    User.nip, User.name, Unit.code, Unit.name.label("unit_name"),
                    Certificate.number, Certificate.issuer_name)
             .join(User, User.id == JpEntry.user_id)
             .outerjoin(Unit, Unit.id == User.unit_id)
             .outerjoin(Certificate, Certificate.id == JpEntry.certificate_id)
             .where(JpEntry.status == JpStatus.APPROVED,
                    JpEntry.end_on >= period.start_on, JpEntry.end_on <= period.end_on)
             .order_by(Unit.code, User.name, User.nip, JpEntry.end_on, JpEntry.id))
    if user_id is not None:
        query = query.where(JpEntry.user_id == user_id)
    if scope is not None:
        query = query.where(scope.condition())
    return [_record(row) for row in db.session.execute(query)]


def _record(row) -> TrainingRecord:
    course = row.source == JpSource.COURSE
    return TrainingRecord(
        entry_id=row.id, nip=row.nip or "", name=row.name, unit_code=row.code or "",
        unit_name=row.unit_name or "", training_name=row.title,
        kind="course" if course else "experiential", experiential_kind="" if course else (row.kind or "pelatihan"),
        competency=row.competency or "", jp=row.jp, start_on=row.start_on, end_on=row.end_on,
        certificate_number=(row.number or "") if course else (row.reference_number or ""),
        issuer=(row.issuer_name or "") if course else (row.organiser or ""))


def export(exporter_key: str | None, fmt: str | None, period: Period, *, scope: Scope | None = None,
           user: User | None = None) -> tuple[bytes, str, str]:
    """Render the records with the chosen exporter: (bytes, media type, file name)."""
    chosen, fmt = exporter(exporter_key, fmt)
    found = records(period, scope=scope, user_id=user.id if user is not None else None)
    unit_code = scope.code if scope is not None else None
    info = ExportInfo(exporter=chosen.key, format=fmt, unit_code=unit_code, start_on=period.start_on,
                      end_on=period.end_on, generated_at=dt.datetime.now(dt.timezone.utc),
                      nip=user.nip if user is not None else None)
    data = chosen.render(found, fmt, info)
    if isinstance(data, str):
        data = data.encode("utf-8")
    who = (user.nip or f"user{user.id}") if user is not None else (unit_code or "semua")
    span = (str(period.start_on.year) if (period.start_on.month, period.start_on.day, period.end_on.month,
                                          period.end_on.day) == (1, 1, 12, 31)
            and period.start_on.year == period.end_on.year
            else f"{period.start_on:%Y%m%d}-{period.end_on:%Y%m%d}")
    name = f"riwayat-diklat-{chosen.key}-{who}-{span}.{fmt}".lower().replace(" ", "-")
    return data, chosen.media_type(fmt), name
