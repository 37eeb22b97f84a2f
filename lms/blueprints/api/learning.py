"""The caller's own learning: profile, enrolments, progress and marking lessons done."""
from __future__ import annotations

from typing import Literal

from flask import url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.api.errors import ApiError, not_found
from lms.api.spec import Body, PageQuery, Schema, Timestamp, paginate
from lms.blueprints.api import bp
from lms.i18n import translate
from lms.lessons import Completion
from lms.models import Course, CourseVersion, Enrollment, EnrollmentStatus, VersionStatus
from lms.registry import lesson_type_for
from lms.services import certificates, courses, enrollment, progress, quizzes
from lms.services.courses import CourseNotFound

EnrolmentStatusName = Literal["active", "completed", "withdrawn"]


class UnitRef(Schema):
    code: str
    name: str


class Me(Schema):
    id: int
    name: str
    email: str
    nip: str | None = Field(description="18-digit NIP; null for accounts that are not ASN.")
    role: Literal["learner", "author", "unit_admin", "admin"]
    golongan: str | None
    jabatan: str | None
    unit: UnitRef | None
    locale: str | None


class Progress(Schema):
    done: int = Field(description="Required lessons done.")
    total: int = Field(description="Required lessons in the published version.")
    percent: int = Field(ge=0, le=100)


class Enrolment(Schema):
    course: str = Field(description="The course's slug.")
    title: str
    status: EnrolmentStatusName
    source: str = Field(description="self, admin, unit or assignment.")
    enrolled_at: Timestamp
    completed_at: Timestamp | None
    jp_awarded: int | None
    due_on: str | None = Field(description="ISO date an assignment is due, if any.")
    progress: Progress


class LessonState(Schema):
    key: str
    title: str
    type: str
    required: bool
    done: bool
    completion: str = Field(description="manual, view or content: how the lesson completes.")


class QuizState(Schema):
    key: str
    title: str
    required: bool
    pass_mark: float
    score: float | None = Field(description="The score that counts (by the quiz's grading method).")
    passed: bool


class EnrolmentDetail(Enrolment):
    lessons: list[LessonState]
    quizzes: list[QuizState]
    certificate: str | None = Field(description="Number of the valid certificate, if issued.")
    resume_url: str = Field(description="Where the learner continues, for people.")


class EnrolmentQuery(PageQuery):
    status: EnrolmentStatusName | None = None


class NewEnrolment(Body):
    course: str = Field(min_length=1, max_length=120, description="Slug of the course.")
    key: str = Field("", max_length=100, description="Enrolment key, when the course has one.")


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def _enrolment(item: Enrollment, title: str, counts: tuple[int, int]) -> dict:
    return {"course": item.course.slug, "title": title, "status": item.status.value,
            "source": item.source.value, "enrolled_at": item.enrolled_at,
            "completed_at": item.completed_at, "jp_awarded": item.jp_awarded,
            "due_on": item.due_on.isoformat() if item.due_on else None,
            "progress": {"done": counts[0], "total": counts[1], "percent": _percent(*counts)}}


@bp.operation("/me", summary="Who am I", tags=("me",), response=Me)
def me():
    """The caller's profile, as the profile page shows it."""
    return current_user


@bp.operation("/me/enrolments", summary="My enrolments", tags=("me",), query=EnrolmentQuery,
              response=Enrolment, paged=True)
def list_enrolments(query: EnrolmentQuery):
    """Courses the caller is or was enrolled in, newest first, with progress (3 queries)."""
    statement = (select(Enrollment, CourseVersion.title)
                 .join(Course, Course.id == Enrollment.course_id)
                 .outerjoin(CourseVersion, (CourseVersion.course_id == Course.id)
                            & (CourseVersion.status == VersionStatus.PUBLISHED))
                 .options(joinedload(Enrollment.course))
                 .where(Enrollment.user_id == current_user.id)
                 .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()))
    if query.status:
        statement = statement.where(Enrollment.status == EnrollmentStatus(query.status))
    page = paginate(statement, query, scalars=False)
    counts = progress.progress_by_enrollment([item for item, _title in page.items])
    page.items = [_enrolment(item, title or item.course.slug, counts[item.id])
                  for item, title in page.items]
    return page


@bp.operation("/me/enrolments", "POST", summary="Enrol in a course", tags=("me",), auth="write",
              body=NewEnrolment, response=EnrolmentDetail, status=201, errors=(404, 409))
def enrol(body: NewEnrolment):
    """Self-enrolment with the same checks as the course page (key, prerequisites, plugins).
    Enrolling again in a course one is taking answers the existing enrolment."""
    version = _published(body.course)
    try:
        enrollment.enroll_self(current_user, version.course, body.key)
    except enrollment.EnrollmentDenied as exc:
        raise ApiError(409, "enrolment_refused", translate(exc.message)) from None
    return _detail(version)


@bp.operation("/me/enrolments/<slug>", summary="My progress in a course", tags=("me",),
              response=EnrolmentDetail)
def get_enrolment(slug: str):
    """Lessons done, quiz scores, completion and certificate in one course."""
    return _detail(_published(slug))


@bp.operation("/me/enrolments/<slug>", "DELETE", summary="Leave a course", tags=("me",),
              auth="write", status=204, errors=(409,))
def leave(slug: str):
    """Withdraw; progress is kept for a later re-enrolment. Completed courses cannot be left."""
    version = _published(slug, with_lessons=False)
    try:
        enrollment.unenroll(current_user, version.course)
    except enrollment.EnrollmentDenied as exc:
        raise ApiError(409, "cannot_leave", translate(exc.message)) from None
    return None


@bp.operation("/me/enrolments/<slug>/lessons/<key>/complete", "POST", summary="Mark a lesson done",
              tags=("me",), auth="write", response=EnrolmentDetail, errors=(409,))
def complete_lesson(slug: str, key: str):
    """As the lesson page's button; lessons that complete through their content (SCORM) refuse."""
    version = _published(slug)
    mine = _active_enrolment(version)
    lesson = next((item for item in version.lessons if item.key == key), None)
    if lesson is None:
        raise not_found("lesson")
    if lesson_type_for(lesson.type).completion not in (Completion.MANUAL, Completion.VIEW):
        raise ApiError(409, "completed_by_content",
                       "This lesson completes through its own content, not by marking it done.")
    progress.complete_lesson(mine, version, lesson)
    return _detail(version)


def _published(slug: str, with_lessons: bool = True) -> CourseVersion:
    try:
        return courses.published_version(slug, with_lessons=with_lessons)
    except CourseNotFound:
        raise not_found("course") from None


def _active_enrolment(version: CourseVersion) -> Enrollment:
    mine = enrollment.get_enrollment(current_user, version.course)
    if not enrollment.is_active(mine):
        raise ApiError(409, "not_enrolled", "Enrol in the course first.")
    return mine


def _detail(version: CourseVersion) -> dict:
    mine = enrollment.get_enrollment(current_user, version.course)
    if mine is None:
        raise not_found("enrolment")
    done = progress.done_keys(mine)
    required = [lesson for lesson in version.lessons if lesson.required]
    counts = (sum(1 for lesson in required if lesson.key in done), len(required))
    version_quizzes = quizzes.quizzes_of(version)
    scores = quizzes.best_scores(current_user.id, version.course_id, version_quizzes)
    certificate = certificates.valid_certificate(mine.id)
    return {**_enrolment(mine, version.title, counts),
            "lessons": [{"key": lesson.key, "title": lesson.title, "type": lesson.type,
                         "required": lesson.required, "done": lesson.key in done,
                         "completion": lesson_type_for(lesson.type).completion}
                        for lesson in version.lessons],
            "quizzes": [{"key": quiz.key, "title": quiz.title, "required": quiz.required,
                         "pass_mark": quiz.pass_mark, "score": scores.get(quiz.key),
                         "passed": quiz.key in scores and scores[quiz.key] >= quiz.pass_mark}
                        for quiz in version_quizzes],
            "certificate": certificate.number if certificate else None,
            "resume_url": url_for("learn.resume", slug=version.course.slug, _external=True)}
