"""JP (jam pelajaran): the caller's yearly ledger, and the compliance report for admins.

The numbers are the services': lms.services.jp_ledger for the ledger (only approved entries
count towards the target), lms.services.jp_reports for the report (scoped to a unit
admin's subtree; computed by the database, never by walking people in Python).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from lms.api.errors import ApiError, not_found
from lms.api.spec import Page, PageQuery, Query, Schema, Timestamp
from lms.blueprints.api import bp
from lms.database import db
from lms.models import Certificate, JpSource, JpStatus, Role
from lms.services import jp_ledger, jp_reports

TAGS = ("jp",)
Year = Field(None, ge=jp_reports.FIRST_YEAR, le=jp_reports.LAST_YEAR,
             description="Calendar year; default: this year.")


class LedgerQuery(Query):
    year: int | None = Year


class JpEntryOut(Schema):
    id: int
    source: Literal["course", "external"] = Field(description="A course (through its certificate) "
                                                              "or external training.")
    status: Literal["pending", "approved", "rejected"] = Field(
        description="Only approved entries count; experiential learning waits for the "
                    "supervisor, a unit admin or an admin.")
    jp: int
    title: str
    organiser: str
    competency: str = Field(description="teknis, manajerial, sosial-kultural (or empty).")
    start_on: dt.date
    end_on: dt.date
    recorded_at: Timestamp | None
    decided_at: Timestamp | None = Field(description="When external training was approved or rejected.")
    decision_note: str = Field(description="Why it was rejected, or a note on the approval.")
    certificate_number: str | None = Field(description="The certificate behind a course credit.")
    kind: str = Field(description="\"course\" for course credits; for the rest the kind of experiential "
                                  "learning: pelatihan, seminar, coaching, mentoring, magang, komunitas.")
    measure: float | None = Field(description="What the learner recorded, in measure_unit; JP follow "
                                              "from it by the kind's rule (GET /jp/rules page).")
    measure_unit: str = Field(description="hour, day, meeting or jp (empty for course credits).")
    reference_number: str = Field(description="Number of the external certificate or letter.")


class CompetencyTotal(Schema):
    competency: str = Field(description="Competency kind (empty: unspecified).")
    jp: int = Field(description="Approved JP of this kind in the year.")


class LedgerOut(Schema):
    year: int
    target: int = Field(description="JP each ASN should earn per year.")
    approved_jp: int = Field(description="Approved JP of the year: what counts.")
    pending_jp: int = Field(description="JP waiting for approval.")
    reached: bool = Field(description="Whether the approved JP reach the target.")
    by_competency: list[CompetencyTotal] = Field(description="Approved JP per competency kind.")
    entries: list[JpEntryOut] = Field(description="Latest first.")


class ReportQuery(PageQuery):
    year: int | None = Year
    unit: str = Field("", max_length=40, description="Unit code: its people and its sub-units'. "
                                                     "Default: the whole agency (admins) or "
                                                     "the caller's unit (unit admins).")
    sort: Literal[jp_reports.SORTS] = Field("jp", description="jp (fewest first), -jp, name, unit.")
    below: bool = Field(False, description="Only people below the target.")


class PersonJp(Schema):
    user_id: int
    name: str
    nip: str
    unit_code: str | None
    unit_name: str | None
    jp: int = Field(description="Approved JP of the year.")
    reached: bool = Field(description="Whether they reached the target.")


# ------------------------------------------------------------------------ operations


@bp.operation("/me/jp", summary="My JP ledger", tags=TAGS, query=LedgerQuery, response=LedgerOut)
def my_ledger(query: LedgerQuery):
    """The year's entries (courses and external training) and where the caller stands."""
    ledger = jp_ledger.year_of(current_user, query.year or dt.date.today().year)
    numbers = _certificate_numbers([e.certificate_id for e in ledger.entries if e.certificate_id])
    approved = [e for e in ledger.entries if e.status == JpStatus.APPROVED]
    kinds: dict[str, int] = {}
    for entry in approved:
        kinds[entry.competency or ""] = kinds.get(entry.competency or "", 0) + entry.jp
    return {"year": ledger.year, "target": ledger.target, "approved_jp": ledger.approved_jp,
            "pending_jp": sum(e.jp for e in ledger.entries if e.status == JpStatus.PENDING),
            "reached": ledger.approved_jp >= ledger.target,
            "by_competency": [{"competency": k, "jp": jp} for k, jp in sorted(kinds.items())],
            "entries": [_entry(e, numbers) for e in ledger.entries]}


@bp.operation("/reports/jp", summary="JP compliance per person", tags=TAGS,
              roles=(Role.UNIT_ADMIN, Role.ADMIN), query=ReportQuery, response=PersonJp, paged=True,
              errors=(404,))
def jp_report(query: ReportQuery):
    """The people table of /admin/reports/jp: every active ASN (account with a NIP) of the
    unit subtree with the year's approved JP. 404 for an unknown unit, 403 outside the
    caller's units."""
    try:
        scope = jp_reports.scope_for(current_user, query.unit or None)
    except jp_reports.UnitNotFound:
        raise not_found("unit") from None
    except jp_reports.OutOfScope as exc:
        raise ApiError(403, "forbidden", str(exc.message)) from None
    report = jp_reports.report(scope, query.year or jp_reports.current_year())
    found = jp_reports.people_page(report, sort=query.sort, page=query.page, below_only=query.below,
                                   per_page=query.per_page, clamp=False)
    return Page(found.items, found.total, query.page, query.per_page)


def _certificate_numbers(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Certificate.id, Certificate.number).where(Certificate.id.in_(ids)))
    return {row.id: row.number for row in rows}


def _entry(entry, numbers: dict[int, str]) -> dict:
    return {"id": entry.id, "source": entry.source.value, "status": entry.status.value,
            "jp": entry.jp, "title": entry.title, "organiser": entry.organiser or "",
            "competency": entry.competency or "", "start_on": entry.start_on, "end_on": entry.end_on,
            "recorded_at": entry.created_at, "decided_at": entry.decided_at,
            "decision_note": entry.decision_note or "",
            "certificate_number": numbers.get(entry.certificate_id),
            "kind": "course" if entry.source == JpSource.COURSE else (entry.kind or "pelatihan"),
            "measure": float(entry.measure) if entry.measure is not None else None,
            "measure_unit": entry.measure_unit or "", "reference_number": entry.reference_number or ""}
