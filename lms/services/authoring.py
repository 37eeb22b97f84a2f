"""Who may author what: admins every course, authors the courses they own or co-author."""
from __future__ import annotations

from sqlalchemy import exists, select

from lms.database import db
from lms.models import Course, CourseVersion, Role, User, VersionStatus, course_authors


def can_author(user: User, course: Course) -> bool:
    """Admins always; authors only for courses they are listed on."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.AUTHOR:
        return False
    return db.session.scalar(select(exists().where(course_authors.c.course_id == course.id,
                                                   course_authors.c.user_id == user.id)))


def add_author(course: Course, user: User) -> None:
    if user not in course.authors:
        course.authors.append(user)
        db.session.commit()


def my_courses(user: User) -> list[tuple[Course, CourseVersion | None]]:
    """Courses the user may author with their published version (if any), by slug."""
    query = (select(Course, CourseVersion)
             .outerjoin(CourseVersion, (CourseVersion.course_id == Course.id)
                        & (CourseVersion.status == VersionStatus.PUBLISHED))
             .order_by(Course.slug))
    if user.role != Role.ADMIN:
        query = query.join(course_authors, course_authors.c.course_id == Course.id).where(
            course_authors.c.user_id == user.id)
    return list(db.session.execute(query).tuples())
