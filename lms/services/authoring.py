"""Who may author what: admins every course, authors the courses they own or co-author."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from lms.database import db
from lms.errors import LmsError
from lms.models import Course, CourseVersion, Role, User, VersionStatus, course_authors


class CoAuthorError(LmsError):
    """A co-author change that cannot be made; the message is shown to the author."""


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


def add_co_author(course: Course, login: str) -> User:
    """Add the author found by email or NIP; only accounts with the author role qualify."""
    login = login.strip()
    user = db.session.scalar(select(User).where(or_(User.email == login.lower(), User.nip == login)))
    if user is None:
        raise CoAuthorError(_("No account has the email or NIP %(login)s.", login=login))
    if user.role not in (Role.AUTHOR, Role.ADMIN):
        raise CoAuthorError(_("%(name)s is not an author; an administrator can give them the author role.",
                              name=user.name))
    if user in course.authors:
        raise CoAuthorError(_("%(name)s is already an author of this course.", name=user.name))
    add_author(course, user)
    return user


def remove_co_author(course: Course, user_id: int) -> User:
    """Remove an author; a course keeps at least one, so nobody orphans it by accident."""
    user = next((u for u in course.authors if u.id == user_id), None)
    if user is None:
        raise CoAuthorError(_("That account is not an author of this course."))
    if len(course.authors) == 1:
        raise CoAuthorError(_("A course needs at least one author."))
    course.authors.remove(user)
    db.session.commit()
    return user


def my_courses(user: User) -> list[tuple[Course, CourseVersion | None]]:
    """Courses the user may author with their published version (if any), by slug."""
    query = (select(Course, CourseVersion)
             .outerjoin(CourseVersion, (CourseVersion.course_id == Course.id)
                        & (CourseVersion.status == VersionStatus.PUBLISHED))
             .order_by(Course.slug))
    if user.role != Role.ADMIN:
        query = query.join(course_authors, course_authors.c.course_id == Course.id).where(
            course_authors.c.user_id == user.id)
    return list(db.session.execute(query).all())
