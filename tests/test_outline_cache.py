"""Lesson pages read a cached outline of the published version, and only the learner's own
rows per request; cache generations live in Redis when the site has one (issue #10)."""
from __future__ import annotations

import pytest
from markupsafe import Markup

from lms import cache
from lms.database import db
from lms.lessons import LessonType
from lms.plugin import hookimpl
from lms.services import courses, outline, progress


@pytest.fixture
def learner_in(lms_client, lms_auth, lms_user, lms_course):
    """A signed-in learner enrolled in a published course of 4 lessons."""
    course = lms_course("kursus-garis", lessons=4, questions=[
        {"id": "b", "type": "truefalse", "text": "Benar?", "answer": True}])
    lms_auth.login(lms_user())
    lms_client.submit(f"/courses/{course.slug}/enrol", form_page=f"/courses/{course.slug}")
    return course


def test_a_lesson_page_reads_only_the_learners_rows_once_the_outline_is_cached(
        lms_client, learner_in, lms_queries):
    url = f"/learn/{learner_in.slug}/pelajaran-2"
    lms_client.get(f"/learn/{learner_in.slug}/pelajaran-1")
    assert lms_client.get(url).status_code == 200  # the first visit completes and saves the resume point
    with lms_queries() as queries:
        page = lms_client.get(url).get_data(as_text=True)
    assert "Isi pelajaran 2" in page and "Pelajaran 1" in page and "Pelajaran 3" in page
    # the user, the catalog's generation, the enrolment with its completed lessons
    statements = [sql for sql in queries.statements if not sql.startswith("BEGIN")]
    assert len(statements) == 3, statements
    assert not any("FROM lessons" in sql or "FROM sections" in sql for sql in statements)


def test_the_lesson_page_counts_progress_and_links_the_section_quiz(lms_client, learner_in):
    for key in ("pelajaran-1", "pelajaran-2", "pelajaran-3"):
        lms_client.submit(f"/learn/{learner_in.slug}/{key}/complete", form_page=f"/learn/{learner_in.slug}/{key}")
    page = lms_client.get(f"/learn/{learner_in.slug}/pelajaran-4").get_data(as_text=True)
    assert "3 dari 4 pelajaran wajib selesai" in page
    assert f"/learn/{learner_in.slug}/quiz/kuis" in page  # the last lesson closes its section
    page = lms_client.get(f"/learn/{learner_in.slug}/pelajaran-2").get_data(as_text=True)
    assert f"/learn/{learner_in.slug}/quiz/kuis" not in page and "Pelajaran selesai" in page


def test_resume_goes_to_the_last_lesson_visited(lms_client, learner_in):
    assert lms_client.get(f"/learn/{learner_in.slug}").location.endswith("/pelajaran-1")
    lms_client.get(f"/learn/{learner_in.slug}/pelajaran-3")
    assert lms_client.get(f"/learn/{learner_in.slug}").location.endswith("/pelajaran-3")


def test_a_new_version_is_shown_at_once_and_progress_is_kept(lms_app, lms_client, learner_in, lms_course):
    url = f"/learn/{learner_in.slug}/pelajaran-1"
    lms_client.submit(url + "/complete", form_page=url)
    assert "Isi pelajaran 1 untuk kursus-garis" in lms_client.get(url).get_data(as_text=True)
    lms_course("kursus-garis", lessons=5, title="Kursus Garis Baru")
    page = lms_client.get(url).get_data(as_text=True)
    assert "Kursus Garis Baru" in page and "1 dari 5 pelajaran wajib selesai" in page


def test_outlines_of_published_versions_are_kept_and_drafts_are_not(lms_app, lms_course):
    published = lms_course("kursus-tetap", lessons=2)
    draft = lms_course("kursus-draf", lessons=2, publish=False)
    with lms_app.app_context():
        first = outline.of_version(published.version_id)
        assert outline.of_version(published.version_id) is first
        assert [lesson.key for lesson in first.lessons] == ["pelajaran-1", "pelajaran-2"]
        assert first.slug == "kursus-tetap" and first.required_keys == {"pelajaran-1", "pelajaran-2"}
        assert outline.of_version(draft.version_id) is not outline.of_version(draft.version_id)
        assert outline.of_version(10_000) is None


def test_outline_lessons_read_other_attributes_from_the_row(lms_app, lms_course):
    """Lesson types and plugins written against the model keep working (``.version`` ...)."""
    made = lms_course("kursus-baris", lessons=1)
    with lms_app.app_context():
        lesson = outline.of_version(made.version_id).lessons[0]
        assert lesson.version.id == made.version_id and lesson.section.title == "Bagian utama"
        with pytest.raises(AttributeError):
            lesson.no_such_attribute  # noqa: B018


class Versioned(LessonType):
    key = "versioned"

    def render(self, lesson):
        return Markup("<p>versi {} · {}</p>").format(lesson.version.number, lesson.data["note"])

    def prepare(self, entry, body):
        from lms.lessons import PreparedLesson

        return PreparedLesson(data={"note": str(entry.get("note", ""))})


class VersionedPlugin:
    lms_api = "1.0"

    @hookimpl
    def register_lesson_types(self):
        return [Versioned()]


@pytest.mark.lms_config(PLUGIN_OBJECTS={"versioned": VersionedPlugin()})
def test_a_plugin_lesson_type_renders_from_the_outline(lms_client, lms_auth, lms_user, lms_course):
    course = lms_course("kursus-plugin", lessons=1,
                        extra_lessons=[{"id": "khusus", "title": "Khusus", "type": "versioned", "note": "catatan"}])
    lms_auth.login(lms_user())
    lms_client.submit(f"/courses/{course.slug}/enrol", form_page=f"/courses/{course.slug}")
    page = lms_client.get(f"/learn/{course.slug}/khusus").get_data(as_text=True)
    assert "versi 1 · catatan" in page


def test_enrollment_and_done_in_one_query(lms_app, lms_client, learner_in, lms_queries):
    for key in ("pelajaran-1", "pelajaran-3"):
        lms_client.submit(f"/learn/{learner_in.slug}/{key}/complete", form_page=f"/learn/{learner_in.slug}/{key}")
    with lms_app.app_context():
        learner_id = db.session.execute(db.text("SELECT user_id FROM enrollments")).scalar()
        with lms_queries() as queries:
            mine, done = progress.enrollment_and_done(learner_id, learner_in.id)
            none, nothing = progress.enrollment_and_done(learner_id + 999, learner_in.id)
    assert done == {"pelajaran-1", "pelajaran-3"} and mine.course_id == learner_in.id
    assert none is None and nothing == frozenset() and queries.count == 2


# ----------------------------------------------------------------- generations in Redis


@pytest.fixture
def redis_app(lms_app, redis_url, redis_prefix):
    lms_app.config.update(REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix)
    lms_app.extensions.pop("lms.cache", None)
    return lms_app


@pytest.mark.redis
def test_generations_are_read_from_redis_and_follow_each_commit(redis_app, lms_course, lms_queries):
    from lms.connections import redis_client

    lms_course("kursus-merah", lessons=1)
    with redis_app.test_request_context():
        before = cache.generation(courses.CATALOG)
        key = cache._generation_key(courses.CATALOG)
        assert int(redis_client().get(key)) == before
    with redis_app.test_request_context(), lms_queries() as queries:
        assert cache.generation(courses.CATALOG) == before
    assert not any("cache_generations" in sql for sql in queries.statements)
    lms_course("kursus-merah", lessons=2)  # publishing bumps it; the commit tells Redis
    with redis_app.test_request_context():
        assert int(redis_client().get(key)) == before + 1 == cache.generation(courses.CATALOG)
        cache._publish_generation(courses.CATALOG, before)  # a slow reader's older value
        assert int(redis_client().get(key)) == before + 1
        assert 0 < redis_client().ttl(key) <= cache.GENERATION_TTL


@pytest.mark.redis
def test_a_rolled_back_bump_never_reaches_redis(redis_app, lms_course):
    from lms.connections import redis_client

    lms_course("kursus-batal", lessons=1)
    with redis_app.test_request_context():
        before = cache.generation(courses.CATALOG)
        cache.invalidate(courses.CATALOG)
        db.session.rollback()
        assert int(redis_client().get(cache._generation_key(courses.CATALOG))) == before


@pytest.mark.lms_config(REDIS_URL="redis://127.0.0.1:1/0")
def test_without_a_reachable_redis_generations_come_from_the_database(lms_app, lms_client, lms_course):
    lms_course("kursus-tanpa-redis", title="Kursus Pertama", lessons=1)
    assert "Kursus Pertama" in lms_client.get("/courses").get_data(as_text=True)
    lms_course("kursus-tanpa-redis", title="Kursus Kedua", lessons=1)
    page = lms_client.get("/courses").get_data(as_text=True)
    assert "Kursus Kedua" in page and "Kursus Pertama" not in page


# ------------------------------------------------------------------- quiz submit budget

QUIZ = [{"id": "b1", "type": "truefalse", "text": "Benar?", "answer": True},
        {"id": "b2", "type": "truefalse", "text": "Salah?", "answer": False}]


def _submit(lms_client, lms_queries, answers: dict) -> list[str]:
    path = lms_client.submit("/learn/kursus-kuis/quiz/kuis/start", form_page="/learn/kursus-kuis/quiz/kuis").location
    lms_client.get(path)
    with lms_queries() as queries:
        response = lms_client.post(path + "/submit", data=answers)
    assert response.status_code == 302 and response.location.endswith("/review")
    return [sql for sql in queries.statements if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


def test_a_failed_submit_is_five_statements_and_a_pass_completes_the_course(
        lms_app, lms_client, lms_auth, lms_user, lms_course, lms_queries):
    """The user, the attempt with its quiz (locked), its questions, their answers and grades,
    and one guarded UPDATE of the attempt; a failed attempt cannot complete the course."""
    lms_course("kursus-kuis", lessons=1, questions=QUIZ, quiz={"max_attempts": 5})
    lms_auth.login(lms_user())
    lms_client.submit("/courses/kursus-kuis/enrol", form_page="/courses/kursus-kuis")
    lms_client.submit("/learn/kursus-kuis/pelajaran-1/complete", form_page="/learn/kursus-kuis/pelajaran-1")
    token = lms_client.csrf_token("/")
    failed = _submit(lms_client, lms_queries, {"csrf_token": token, "q0": "false", "q1": "true"})
    assert len(failed) == 5, "\n".join(s[:150] for s in failed)
    assert sum(sql.startswith("UPDATE attempts ") for sql in failed) == 1
    assert not any("enrollments" in sql for sql in failed)
    passed = _submit(lms_client, lms_queries, {"csrf_token": token, "q0": "true", "q1": "false"})
    assert any("enrollments" in sql for sql in passed)  # a pass runs the completion rules
    with lms_app.app_context():
        states = db.session.execute(db.text("SELECT status, completed_at IS NOT NULL FROM enrollments")).one()
        scores = db.session.execute(db.text("SELECT score, passed FROM attempts ORDER BY number")).all()
    assert states[1] and [tuple(row) for row in scores] == [(0.0, False), (100.0, True)]
