"""The outline of a published version as plain, immutable data, built once per process.

A published version never changes (edits go to a draft copy, see services/drafts.py), so
its sections, lessons and quizzes can be read from the database once and kept. The lesson
page then costs no ORM hydration of a dozen rows per request: it looks the outline up by
version id and reads only what is the learner's own (enrolment and completed lessons).

Outlines live in a per-process LRU keyed by version id. Which version is *the published
one* for a slug is not part of it: that is the catalog cache's job (courses.py), which
every publish invalidates, so a new version is seen at once and the old outline just ages
out of the LRU.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.database import db
from lms.models import CourseVersion, Lesson, Quiz, Section

_KEY = "lms.outlines"
#: Versions whose outline a process keeps (each holds its lessons' rendered HTML).
DEFAULT_SIZE = 256


@dataclass(frozen=True, slots=True)
class OutlineLesson:
    """What lesson pages and lesson types read of a lesson.

    Lesson types' ``render(lesson)`` get this object: ``key``, ``title``, ``type``,
    ``required``, ``data`` and ``body_html`` are here; any other attribute (``version``,
    ``section``...) is read from the ``Lesson`` row, loaded then, so plugins written
    against the model keep working.
    """

    id: int
    key: str
    title: str
    type: str
    required: bool
    section_id: int
    index: int
    data: Any
    body_html: str

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.row(), name)

    def row(self) -> Lesson:
        """The ``Lesson`` model of this lesson (from the session's identity map if loaded)."""
        return db.session.get(Lesson, self.id)


@dataclass(frozen=True, slots=True)
class OutlineQuiz:
    key: str
    title: str
    required: bool
    section_id: int
    pass_mark: float
    grading_method: Any


@dataclass(frozen=True, slots=True)
class OutlineSection:
    id: int
    title: str
    lessons: tuple[OutlineLesson, ...]


@dataclass(frozen=True)
class Outline:
    """A published version's structure: the same for every learner."""

    version_id: int
    course_id: int
    slug: str
    number: int
    title: str
    language: str
    jp: int
    sections: tuple[OutlineSection, ...]
    lessons: tuple[OutlineLesson, ...]
    quizzes: tuple[OutlineQuiz, ...]
    by_key: MappingProxyType = field(repr=False)

    def lesson(self, key: str) -> OutlineLesson | None:
        return self.by_key.get(key)

    @property
    def required_keys(self) -> frozenset[str]:
        return frozenset(lesson.key for lesson in self.lessons if lesson.required)

    def neighbours(self, lesson: OutlineLesson) -> tuple[OutlineLesson | None, OutlineLesson | None]:
        """The lessons before and after `lesson` (None at either end)."""
        before = self.lessons[lesson.index - 1] if lesson.index > 0 else None
        after = self.lessons[lesson.index + 1] if lesson.index + 1 < len(self.lessons) else None
        return before, after

    def section_quizzes(self, section_id: int) -> tuple[OutlineQuiz, ...]:
        return tuple(quiz for quiz in self.quizzes if quiz.section_id == section_id)

    def quizzes_after(self, lesson: OutlineLesson) -> tuple[OutlineQuiz, ...]:
        """Quizzes of the lesson's section when it is the section's last lesson (they close it)."""
        after = self.neighbours(lesson)[1]
        if after is not None and after.section_id == lesson.section_id:
            return ()
        return self.section_quizzes(lesson.section_id)

    def resume_key(self, last_key: str | None, done: frozenset[str]) -> str:
        """Where "continue" goes: the last lesson visited if it still exists, else the first
        not done (the first lesson when all are)."""
        if last_key and last_key in self.by_key:
            return last_key
        return next((lesson.key for lesson in self.lessons if lesson.key not in done), self.lessons[0].key)


class _Lru:
    """A small thread-safe LRU: gthread workers share one per process."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _store(app: Flask) -> _Lru:
    store = app.extensions.get(_KEY)
    if store is None:
        store = app.extensions[_KEY] = _Lru(int(app.config.get("OUTLINE_CACHE_SIZE") or DEFAULT_SIZE))
    return store


def of_version(version_id: int) -> Outline | None:
    """The outline of a version (built on first use in this process), or None if it is gone.

    Only published (or superseded) versions are immutable; drafts change under their
    authors, so their outline is built each time and never kept.
    """
    store = _store(current_app)
    found = store.get(version_id)
    if found is None:
        version = _load(version_id)
        if version is None:
            return None
        found = build(version)
        if version.status != "draft":
            store.put(version_id, found)
    return found


def _load(version_id: int) -> CourseVersion | None:
    return db.session.scalar(
        select(CourseVersion).where(CourseVersion.id == version_id)
        .options(joinedload(CourseVersion.course),
                 selectinload(CourseVersion.sections).selectinload(Section.lessons)))


def build(version: CourseVersion) -> Outline:
    """Copy a version's structure out of the ORM (one more query for its quizzes)."""
    lessons: list[OutlineLesson] = []
    sections = []
    for section in version.sections:
        own = []
        for lesson in section.lessons:
            item = OutlineLesson(lesson.id, lesson.key, lesson.title, lesson.type, bool(lesson.required),
                                 section.id, len(lessons), lesson.data, lesson.body_html or "")
            lessons.append(item)
            own.append(item)
        sections.append(OutlineSection(section.id, section.title, tuple(own)))
    quizzes = tuple(OutlineQuiz(quiz.key, quiz.title, bool(quiz.required), quiz.section_id,
                                quiz.pass_mark, quiz.grading_method)
                    for quiz in db.session.scalars(
                        select(Quiz).join(Section, Section.id == Quiz.section_id)
                        .where(Quiz.version_id == version.id).order_by(Section.position, Quiz.id)))
    return Outline(version.id, version.course_id, version.course.slug, version.number, version.title,
                   version.language, version.jp, tuple(sections), tuple(lessons), quizzes,
                   MappingProxyType({lesson.key: lesson for lesson in lessons}))
