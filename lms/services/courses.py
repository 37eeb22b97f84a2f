"""Courses: import a version from a spec, publish it atomically, list and load for learners."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms import cache
from lms.database import db
from lms.errors import LmsError
from lms.models import (Category, Competency, Course, CourseVersion, Lesson, Section,
                        VersionStatus)
from lms.packages.manifest import CourseSpec, Problem
from lms.registry import lesson_types


class PackageInvalid(LmsError):
    """A course package or spec that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class CourseNotFound(LmsError):
    """No published course with that slug."""


#: Cache scope of everything that changes when a version is published (lms/cache.py).
CATALOG = "catalog"


# ------------------------------------------------------------------ import and publish


def import_version(spec: CourseSpec, bodies: dict[str, str],
                   assets: dict[str, bytes] | None = None, *, package_digest: str | None = None) -> CourseVersion:
    """Create the next draft version of the course `spec.slug` (the course too, if new).

    Every lesson is validated by its type first; nothing is written if anything is wrong.
    `assets` (package path -> bytes) are stored with the version, in the same transaction:
    their blobs are written first and removed again if the commit fails. Every reference
    to an assets/ file must name one of them (no assets given means none exist).
    `package_digest` records which package the version came from (curricula skip repeats).
    """
    from lms.services import assets as asset_store
    from lms.services import competencies
    from lms.services.quizzes import add_quizzes, quiz_problems

    files = assets or {}
    parsed, quiz_found = quiz_problems(spec.quizzes(), bodies)
    problems = (_lesson_problems(spec, bodies) + quiz_found + asset_store.check(spec, bodies, files)
                + competencies.package_problems(spec))
    if problems:
        raise PackageInvalid(problems)
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug)) or Course(slug=spec.slug)
    if spec.certificate_template:
        course.certificate_template = spec.certificate_template
    if spec.evaluation is not None:
        from lms.services import evaluation

        evaluation.apply_manifest(course, spec.evaluation)
    number = 1 + (db.session.scalar(select(func.max(CourseVersion.number))
                                    .where(CourseVersion.course_id == course.id)) or 0) if course.id else 1
    version = CourseVersion(course=course, number=number, title=spec.title, summary=spec.summary,
                            language=spec.language, jp=spec.jp, competency=Competency(spec.competency),
                            category=category_for(spec.category), cover_image=spec.cover,
                            package_digest=package_digest, spbe_domain=spec.spbe_domain,
                            certificate_validity_months=spec.certificate_validity_months)
    position = 0
    stored_questions: set[str] = set()
    for s_index, section_spec in enumerate(spec.sections):
        section = Section(version=version, position=s_index, title=section_spec.title)
        add_quizzes(version, section, section_spec.quizzes, parsed, stored_questions)
        for lesson_spec in section_spec.lessons:
            lesson_type = lesson_types().get(lesson_spec.type)
            prepared = lesson_type.prepare(lesson_spec.entry, bodies.get(lesson_spec.file or ""))
            db.session.add(Lesson(version=version, section=section, key=lesson_spec.id,
                                  position=position, title=lesson_spec.title, type=lesson_spec.type,
                                  required=lesson_spec.required, data=prepared.data,
                                  source=prepared.source, body_html=prepared.body_html,
                                  spbe_domain=lesson_spec.spbe_domain))
            position += 1
    db.session.add(version)
    if spec.competencies or any(lesson.competencies for lesson in spec.lessons()):
        competencies.tag_imported(version, spec)
    with asset_store.storing(files) as stored:
        asset_store.add_rows(version, stored)
        db.session.commit()
    return version


def _lesson_problems(spec: CourseSpec, bodies: dict[str, str]) -> list[Problem]:
    from lms.registry import certificate_templates

    registry = lesson_types()
    problems = []
    if spec.certificate_template and spec.certificate_template not in certificate_templates():
        problems.append(Problem("course.yaml", "certificate_template",
                                f"unknown template {spec.certificate_template!r}; known: "
                                f"{', '.join(certificate_templates().keys())}"))
    for s_index, section in enumerate(spec.sections):
        for l_index, lesson in enumerate(section.lessons):
            where = f"sections[{s_index}].lessons[{l_index}]"
            if lesson.type not in registry:
                problems.append(Problem("course.yaml", f"{where}.type",
                                        f"unknown lesson type {lesson.type!r}; known: {', '.join(registry.keys())}"))
                continue
            lesson_type = registry.get(lesson.type)
            if lesson_type.needs_body and (not lesson.file or lesson.file not in bodies):
                problems.append(Problem("course.yaml", f"{where}.file", "a file with the lesson text is required"))
            problems += [Problem("course.yaml", where, message) for message in lesson_type.validate(lesson.entry)]
    return problems


def category_for(slug: str | None) -> Category | None:
    """Return the category with this slug, creating it (named after the slug) if new."""
    if not slug:
        return None
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(slug=slug, name=slug.replace("-", " ").capitalize())
        db.session.add(category)
        cache.invalidate(CATALOG)
    return category


def publish(version: CourseVersion) -> None:
    """Make `version` the one learners see, superseding the previous one, in one transaction."""
    db.session.execute(
        update(CourseVersion)
        .where(CourseVersion.course_id == version.course_id,
               CourseVersion.status == VersionStatus.PUBLISHED, CourseVersion.id != version.id)
        .values(status=VersionStatus.SUPERSEDED))
    version.status = VersionStatus.PUBLISHED
    version.published_at = dt.datetime.now(dt.timezone.utc)
    cache.invalidate(CATALOG)  # in this transaction: every worker sees the new version at once
    db.session.commit()


def set_prerequisites(course: Course, required: list[Course]) -> None:
    if course in required:
        raise LmsError("a course cannot require itself")
    course.prerequisites = list(required)
    db.session.commit()


# ------------------------------------------------------------------------ reading


def published_version_id(slug: str) -> int | None:
    """Id of the course's published version, from the catalog cache (a publish renews it)."""
    return cache.remember(CATALOG, "published", slug, lambda: db.session.scalar(
        select(CourseVersion.id).join(Course)
        .where(Course.slug == slug, CourseVersion.status == VersionStatus.PUBLISHED)))


def published_outline(slug: str):
    """The published version's outline (plain data, see services/outline.py); no query
    once this process has seen the version."""
    from lms.services import outline

    version_id = published_version_id(slug)
    found = outline.of_version(version_id) if version_id is not None else None
    if found is None:
        raise CourseNotFound(slug)
    return found


def published_version(slug: str, *, with_lessons: bool = True) -> CourseVersion:
    """The published version of a course with its course, sections and lessons (3 queries)."""
    version_id = published_version_id(slug)
    if version_id is None:
        raise CourseNotFound(slug)
    query = select(CourseVersion).where(CourseVersion.id == version_id)
    if with_lessons:
        query = query.options(selectinload(CourseVersion.sections).selectinload(Section.lessons))
    version = db.session.scalar(query.options(joinedload(CourseVersion.course),
                                              joinedload(CourseVersion.category)))
    if version is None:
        raise CourseNotFound(slug)
    return version


@dataclass
class CatalogFilters:
    """What a learner can filter the catalog by; empty means "any"."""

    q: str = ""
    competency: str = ""
    category: str = ""
    language: str = ""
    jp_min: int | None = None
    jp_max: int | None = None
    #: A competency code of the catalogue (course or lesson tag) and an SPBE domain.
    tag: str = ""
    spbe: str = ""


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def catalog(filters: CatalogFilters, page: int = 1, per_page: int = 12, *, clamp: bool = True) -> Page:
    """Published courses matching the filters, newest first: two queries whatever the size.

    A page past the end shows the last page to people; the API (clamp=False) answers it empty,
    so a client reading "until no items" stops.
    """
    total, page, ids = cache.remember(CATALOG, "catalog", [asdict(filters), page, per_page, clamp],
                                      lambda: _find(filters, page, per_page, clamp))
    return Page(versions_by_id(ids), total, page, per_page)


def _find(filters: CatalogFilters, page: int, per_page: int, clamp: bool) -> list:
    """[total, page shown, ids of that page] (two queries)."""
    query = _catalog_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    shown = min(max(page, 1), max(1, -(-total // per_page))) if clamp else page
    ids = db.session.scalars(
        query.with_only_columns(CourseVersion.id)
        .order_by(CourseVersion.published_at.desc(), CourseVersion.id.desc())
        .limit(per_page).offset((max(shown, 1) - 1) * per_page)).all()
    return [total, shown, list(ids)]


@dataclass(frozen=True, slots=True)
class Card:
    """A course as the catalog page shows it: a published version's own (immutable) data."""

    version_id: int
    course_id: int
    slug: str
    title: str
    summary: str
    jp: int
    competency: str
    category: str
    has_cover: bool


def catalog_cards(filters: CatalogFilters, page: int = 1, per_page: int = 12) -> Page:
    """The catalog page as cards, whole from the cache: no query until the next publish."""
    from lms.services import assets

    def find() -> list:
        total, shown, ids = _find(filters, page, per_page, True)
        versions = versions_by_id(ids)
        covers = assets.stored_covers(versions)
        return [total, shown, [[v.id, v.course_id, v.course.slug, v.title, v.summary, v.jp,
                                getattr(v.competency, "value", v.competency),
                                v.category.name if v.category else "", v.id in covers]
                               for v in versions]]

    total, page, cards = cache.remember(CATALOG, "cards", [asdict(filters), page, per_page], find)
    return Page([Card(*card) for card in cards], total, page, per_page)


def versions_by_id(ids: list[int]) -> list[CourseVersion]:
    """Versions with their course and category, in the order of `ids` (one query)."""
    if not ids:
        return []
    found = {version.id: version for version in db.session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_(ids))
        .options(joinedload(CourseVersion.course), joinedload(CourseVersion.category)))}
    return [found[i] for i in ids if i in found]


def _catalog_query(filters: CatalogFilters):
    query = select(CourseVersion).where(CourseVersion.status == VersionStatus.PUBLISHED)
    if filters.q:
        pattern = f"%{_escape_like(filters.q.strip())}%"
        query = query.where(or_(CourseVersion.title.ilike(pattern, escape="\\"),
                                CourseVersion.summary.ilike(pattern, escape="\\")))
    if filters.competency:
        query = query.where(CourseVersion.competency == filters.competency)
    if filters.language:
        query = query.where(CourseVersion.language == filters.language)
    if filters.category:
        query = query.join(Category).where(Category.slug == filters.category)
    if filters.jp_min is not None:
        query = query.where(CourseVersion.jp >= filters.jp_min)
    if filters.jp_max is not None:
        query = query.where(CourseVersion.jp <= filters.jp_max)
    if filters.tag or filters.spbe:
        from lms.services import competencies

        query = query.where(*competencies.catalog_conditions(filters.tag, filters.spbe))
    return query


def _escape_like(text: str) -> str:
    """Make %, _ and \\ in a search literal, so a search for "50%" means 50%."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def category_choices() -> list[tuple[str, str]]:
    """(slug, name) of every category for the catalog's filter, from the cache."""
    return [tuple(pair) for pair in cache.remember(
        CATALOG, "categories", None, lambda: [[c.slug, c.name] for c in categories()])]
