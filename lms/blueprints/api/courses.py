"""Courses: the published catalog (search, filters) and one course's outline."""
from __future__ import annotations

from typing import Literal

from flask import url_for
from pydantic import Field

from lms.api.errors import not_found
from lms.api.spec import Page, PageQuery, Schema, Timestamp
from lms.blueprints.api import bp
from lms.services import courses, quizzes
from lms.services.courses import CatalogFilters, CourseNotFound

CompetencyKind = Literal["teknis", "manajerial", "sosial-kultural"]


class CourseQuery(PageQuery):
    q: str = Field("", max_length=100, description="Words in the title or summary.")
    competency: CompetencyKind | None = Field(None, description="Competency kind.")
    category: str = Field("", max_length=80, description="Category slug.")
    language: Literal["id", "en"] | None = None
    jp_min: int | None = Field(None, ge=0, le=1000, description="At least this many JP.")
    jp_max: int | None = Field(None, ge=0, le=1000, description="At most this many JP.")


class CourseSummary(Schema):
    slug: str
    title: str
    summary: str
    language: str
    jp: int = Field(description="Jam pelajaran credited on completion.")
    competency: CompetencyKind
    category: str | None = Field(description="Category slug.")
    version: int = Field(description="Number of the published version.")
    published_at: Timestamp | None
    url: str = Field(description="The course's page for people.")


class LessonOutline(Schema):
    key: str
    title: str
    type: str
    required: bool


class QuizOutline(Schema):
    key: str
    title: str
    required: bool
    pass_mark: float
    time_limit: int | None = Field(description="Minutes; null: no limit.")
    max_attempts: int | None = Field(description="Null: unlimited.")


class SectionOutline(Schema):
    title: str
    lessons: list[LessonOutline]
    quizzes: list[QuizOutline]


class CourseDetail(CourseSummary):
    self_enrolment: bool
    needs_key: bool = Field(description="Self-enrolment asks for an enrolment key.")
    prerequisites: list[str] = Field(description="Slugs of courses to complete first.")
    sections: list[SectionOutline]


def summary_of(version) -> dict:
    return {"slug": version.course.slug, "title": version.title, "summary": version.summary,
            "language": version.language, "jp": version.jp, "competency": version.competency.value,
            "category": version.category.slug if version.category else None,
            "version": version.number, "published_at": version.published_at,
            "url": url_for("catalog.course", slug=version.course.slug, _external=True)}


@bp.operation("/courses", summary="Search the catalog", tags=("courses",), auth="public",
              query=CourseQuery, response=CourseSummary, paged=True)
def list_courses(query: CourseQuery):
    """Published courses, newest first, filtered like the catalog page."""
    filters = CatalogFilters(q=query.q.strip(), competency=query.competency or "",
                             category=query.category, language=query.language or "",
                             jp_min=query.jp_min, jp_max=query.jp_max)
    found = courses.catalog(filters, query.page, query.per_page, clamp=False)
    return Page([summary_of(v) for v in found.items], found.total, query.page, query.per_page)


@bp.operation("/courses/<slug>", summary="A course's outline", tags=("courses",), auth="public",
              response=CourseDetail)
def get_course(slug: str):
    """The published version: sections, lessons and quizzes (never their answers)."""
    try:
        version = courses.published_version(slug)
    except CourseNotFound:
        raise not_found("course") from None
    by_section = quizzes.by_section(version)
    course = version.course
    return {**summary_of(version), "self_enrolment": course.self_enrolment,
            "needs_key": bool(course.enrolment_key),
            "prerequisites": [other.slug for other in course.prerequisites],
            "sections": [{"title": section.title, "lessons": section.lessons,
                          "quizzes": by_section.get(section.id, [])} for section in version.sections]}
