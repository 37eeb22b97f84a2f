"""The browser course editor: every change goes to a draft, checked exactly like an import."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Course, CourseVersion, Lesson, Question, Quiz, Section, User, VersionStatus
from lms.services import authoring, drafts

QUESTIONS = [
    {"id": "agenda", "type": "truefalse", "text": "Surat masuk diagendakan.", "answer": True,
     "category": "naskah"},
    {"id": "disposisi", "type": "truefalse", "text": "Disposisi oleh pimpinan.", "answer": True,
     "category": "naskah"},
    {"id": "tte", "type": "truefalse", "text": "TTE sah.", "answer": True, "category": "tte"},
]
SLUG = "sunting"
BASE = f"/author/courses/{SLUG}/edit"


@pytest.fixture
def course(lms_app, lms_course, lms_user):
    """A published course (3 lessons, a quiz over 3 questions) and its author (not logged in)."""
    made = lms_course(SLUG, lessons=3, questions=QUESTIONS)
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, made.id), db.session.get(User, author.id))
    return author


@pytest.fixture
def author(course, lms_auth, lms_client):
    """The course's author, logged in, reading the pages in English (the msgids)."""
    lms_auth.login(course)
    lms_client.submit("/language", {"lang": "en", "next": "/"}, form_page="/")
    return course


def versions(app) -> dict[int, VersionStatus]:
    with app.app_context():
        return dict(db.session.execute(select(CourseVersion.number, CourseVersion.status)).all())


def outline(app, number: int) -> list[tuple[str, list[str], list[str]]]:
    """(section title, lesson keys, quiz keys) of a version, checking positions are contiguous."""
    with app.app_context():
        version = db.session.scalar(select(CourseVersion).where(CourseVersion.number == number))
        sections = list(db.session.scalars(select(Section).where(Section.version_id == version.id)
                                           .order_by(Section.position)))
        assert [s.position for s in sections] == list(range(len(sections)))
        lessons = list(db.session.scalars(select(Lesson).where(Lesson.version_id == version.id)
                                          .order_by(Lesson.position)))
        assert [lesson.position for lesson in lessons] == list(range(len(lessons)))
        quizzes = list(db.session.scalars(select(Quiz).where(Quiz.version_id == version.id).order_by(Quiz.id)))
        result = [(s.title, [lesson.key for lesson in lessons if lesson.section_id == s.id],
                   [q.key for q in quizzes if q.section_id == s.id]) for s in sections]
        # Sections first, then lessons: the global order follows the sections.
        assert [k for _t, keys, _q in result for k in keys] == [lesson.key for lesson in lessons]
        return result


def lesson(app, number: int, key: str) -> dict:
    with app.app_context():
        row = db.session.scalar(select(Lesson).join(CourseVersion).where(
            CourseVersion.number == number, Lesson.key == key))
        return {"title": row.title, "type": row.type, "data": dict(row.data), "source": row.source,
                "body_html": row.body_html, "required": row.required}


def quiz(app, number: int, key: str = "kuis") -> Quiz:
    with app.app_context():
        row = db.session.scalar(select(Quiz).join(CourseVersion).where(
            CourseVersion.number == number, Quiz.key == key))
        db.session.expunge(row)
        return row


def lesson_form(**changes) -> dict:
    data = {"title": "Pelajaran 1", "type": "markdown", "section": "0", "required": "y",
            "body": "## Bagian 1\n\nIsi.", "url": "", "filename": "", "description": "", "save": "Save"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def quiz_form(**changes) -> dict:
    data = {"title": "Kuis", "section": "0", "required": "y", "pass_mark": "70", "time_limit": "",
            "attempts": "", "delay": "0", "grading": "highest", "shuffle_options": "y",
            "questions": ["agenda", "disposisi", "tte"], "category": "", "draw": "",
            "review": ["score", "feedback", "answers"]}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------ drafts


def test_get_pages_show_the_published_version_and_create_no_draft(lms_app, lms_client, author):
    pages = ["/", "/course", "/sections/new", "/sections/0", "/sections/0/delete",
             "/sections/0/lessons/new", "/lessons/pelajaran-1", "/lessons/pelajaran-1/delete",
             "/sections/0/quizzes/new", "/quizzes/kuis", "/quizzes/kuis/delete"]
    for page in pages:
        assert lms_client.get(BASE + page).status_code == 200, page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}
    text = lms_client.get(BASE + "/").get_data(as_text=True)
    assert "draft version 2" in text and "Pelajaran 3" in text and "Kuis" in text


def test_first_save_creates_the_draft_later_saves_reuse_it(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/sections/0", {"title": "Pengantar"})
    assert response.status_code == 302
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT}
    lms_client.submit(BASE + "/sections/0", {"title": "Pengantar baru"})
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT}
    assert outline(lms_app, 2)[0][0] == "Pengantar baru"
    assert outline(lms_app, 1)[0][0] == "Bagian utama"  # learners' version untouched
    assert "editing draft version 2" in lms_client.get(BASE + "/").get_data(as_text=True)


def test_published_version_is_unchanged_by_every_kind_of_edit(lms_app, lms_client, author):
    before = outline(lms_app, 1), lesson(lms_app, 1, "pelajaran-1"), quiz(lms_app, 1).pass_mark
    lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(title="Baru", body="Teks baru"))
    lms_client.submit(BASE + "/lessons/pelajaran-3/move", {"direction": "up"}, form_page=BASE + "/")
    lms_client.submit(BASE + "/quizzes/kuis", quiz_form(pass_mark="90"))
    lms_client.submit(BASE + "/lessons/pelajaran-2/delete")
    assert (outline(lms_app, 1), lesson(lms_app, 1, "pelajaran-1"), quiz(lms_app, 1).pass_mark) == before
    assert outline(lms_app, 2) == [("Bagian utama", ["pelajaran-1", "pelajaran-3"], ["kuis"])]
    assert lesson(lms_app, 2, "pelajaran-1")["title"] == "Baru"
    assert quiz(lms_app, 2).pass_mark == 90


def test_progress_keys_survive_edits_and_publishing(lms_app, lms_client, author, lms_user):
    from lms.services import enrollment, progress

    learner = lms_user()
    with lms_app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        enrolled = enrollment.enroll_self(db.session.get(User, learner.id), course)
        version = drafts.latest_version(course)
        progress.complete_lesson(enrolled, version, version.lessons[0])
    lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(title="Judul baru", key="lain"))
    lms_client.submit(BASE + "/lessons/pelajaran-1/move", {"direction": "down"}, form_page=BASE + "/")
    lms_client.submit(f"/author/courses/{SLUG}/publish", form_page=f"/author/courses/{SLUG}/questions")
    assert versions(lms_app)[2] == VersionStatus.PUBLISHED
    assert outline(lms_app, 2)[0][1] == ["pelajaran-2", "pelajaran-1", "pelajaran-3"]
    with lms_app.app_context():
        enrolled = db.session.merge(enrolled)
        assert progress.done_keys(enrolled) == {"pelajaran-1"}


# ---------------------------------------------------------------- course details


def test_course_details_save(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/course", {
        "title": "Judul Baru", "summary": "Ringkas", "language": "en", "jp": "12",
        "competency": "manajerial", "category": "naskah-dinas"})
    assert response.status_code == 302
    with lms_app.app_context():
        draft = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
        assert (draft.title, draft.summary, draft.language, draft.jp, draft.competency.value,
                draft.category.slug) == ("Judul Baru", "Ringkas", "en", 12, "manajerial", "naskah-dinas")
        assert db.session.scalar(select(CourseVersion.title).where(CourseVersion.number == 1)) != "Judul Baru"


def test_course_details_list_every_problem_and_write_nothing(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/course", {
        "title": "", "summary": "", "language": "fr", "jp": "201", "competency": "lain", "category": "x" * 81})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("required", "must be one of id, en", "from 0 to 200",
                    "must be one of teknis, manajerial, sosial-kultural", "longer than 80 characters"):
        assert message in page, message
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_unreadable_number_is_reported_with_the_other_problems(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/course", {"title": "", "language": "id", "jp": "dua",
                                                    "competency": "teknis"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not a valid integer value" in page
    assert "required" in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


# ---------------------------------------------------------------------- sections


def test_sections_add_rename_move_and_delete(lms_app, lms_client, author):
    assert lms_client.submit(BASE + "/sections/new", {"title": "Penutup"}).status_code == 302
    page = lms_client.get(BASE + "/").get_data(as_text=True)
    assert "Penutup" in page and "needs at least one lesson" in page
    lms_client.submit(BASE + "/sections/1/move", {"direction": "up"}, form_page=BASE + "/")
    assert [s[0] for s in outline(lms_app, 2)] == ["Penutup", "Bagian utama"]
    lms_client.submit(BASE + "/sections/0", {"title": "Akhir"})
    assert [s[0] for s in outline(lms_app, 2)] == ["Akhir", "Bagian utama"]
    assert lms_client.submit(BASE + "/sections/1/delete").status_code == 302
    assert outline(lms_app, 2) == [("Akhir", [], [])]  # its lessons and quiz went with it
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT}


def test_the_only_section_cannot_be_deleted_nor_moved_past_the_end(lms_app, lms_client, author):
    lms_client.submit(BASE + "/sections/0/delete", follow_redirects=True)
    response = lms_client.submit(BASE + "/sections/0/move", {"direction": "down"}, form_page=BASE + "/",
                                 follow_redirects=True)
    assert "cannot move further" in response.get_data(as_text=True)
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_section_title_is_checked_like_the_manifest(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/sections/new", {"title": "x" * 201})
    assert response.status_code == 400 and "longer than 200 characters" in response.get_data(as_text=True)
    assert lms_client.submit(BASE + "/sections/0", {"title": "  "}).status_code == 400
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_unknown_section_is_404(lms_client, author):
    assert lms_client.get(BASE + "/sections/7").status_code == 404
    assert lms_client.get(BASE + "/sections/7/lessons/new").status_code == 404


# ----------------------------------------------------------------------- lessons


def test_add_markdown_lesson_renders_sanitised_html(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(
        key="baru", title="Pelajaran baru", body="# Judul\n\n**tebal** <span style='color: red'>merah</span>"))
    assert response.status_code == 302
    stored = lesson(lms_app, 2, "baru")
    assert "<strong>tebal</strong>" in stored["body_html"] and stored["source"].startswith("# Judul")
    assert "<span>merah</span>" in stored["body_html"]  # sanitised as on import: no style
    assert outline(lms_app, 2)[0][1][-1] == "baru"


def test_lesson_with_script_or_javascript_link_is_refused_like_an_import(lms_app, lms_client, author):
    body = "Halo\n\n<script>alert(1)</script>\n\n[klik](javascript:alert(1))\n\n`<script>` in code is fine"
    response = lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(body=body))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "line 3: raw &lt;script&gt; is not allowed" in page
    assert "line 5: javascript: links are not allowed" in page
    assert "line 7" not in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_lesson_must_not_refer_to_files_the_course_does_not_have(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(body="![Peta](assets/peta.png)"))
    assert response.status_code == 400
    assert "refers to assets/peta.png, which is not in the course" in response.get_data(as_text=True)
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_lesson_ids_follow_the_manifest_rules(lms_app, lms_client, author):
    page = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(key="Bad Id")).get_data(as_text=True)
    assert "use lowercase letters, digits" in page
    for taken in ("pelajaran-2", "kuis"):  # lessons and quizzes share one namespace
        response = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(key=taken))
        assert response.status_code == 400 and "is already used" in response.get_data(as_text=True)
    response = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(key="", title="", type="hologram"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "unknown lesson type" in page and page.count("required") >= 2
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_other_lesson_types_use_their_validate_and_prepare(lms_app, lms_client, author):
    bad = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(key="video", type="video",
                                                                          url="ftp://contoh"))
    assert bad.status_code == 400 and "must be an absolute" in bad.get_data(as_text=True)
    good = lms_client.submit(BASE + "/sections/0/lessons/new", lesson_form(
        key="video", type="video", title="Tur", url=" https://youtu.be/abcdefghijk ", description="Tonton"))
    assert good.status_code == 302
    stored = lesson(lms_app, 2, "video")
    assert stored["type"] == "video" and stored["data"] == {"url": "https://youtu.be/abcdefghijk",
                                                            "description": "Tonton"}
    page = lms_client.get(BASE + "/lessons/video").get_data(as_text=True)
    assert "https://youtu.be/abcdefghijk" in page


def test_lesson_changes_keep_its_id_and_can_change_section(lms_app, lms_client, author):
    lms_client.submit(BASE + "/sections/new", {"title": "Kedua"})
    response = lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(
        title="Dipindah", key="ganti", section="1", required=None))
    assert response.status_code == 302
    assert outline(lms_app, 2) == [("Bagian utama", ["pelajaran-2", "pelajaran-3"], ["kuis"]),
                                   ("Kedua", ["pelajaran-1"], [])]
    assert lesson(lms_app, 2, "pelajaran-1")["required"] is False


def test_moving_lessons_keeps_positions_contiguous_and_crosses_sections(lms_app, lms_client, author):
    def move(key, direction):
        lms_client.submit(f"{BASE}/lessons/{key}/move", {"direction": direction}, form_page=BASE + "/")

    move("pelajaran-1", "up")  # already first: refused, and no draft for nothing
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}
    move("pelajaran-3", "up")
    assert outline(lms_app, 2)[0][1] == ["pelajaran-1", "pelajaran-3", "pelajaran-2"]
    lms_client.submit(BASE + "/sections/new", {"title": "Kedua"})
    move("pelajaran-2", "down")  # last of its section: to the start of the next one
    assert outline(lms_app, 2) == [("Bagian utama", ["pelajaran-1", "pelajaran-3"], ["kuis"]),
                                   ("Kedua", ["pelajaran-2"], [])]
    move("pelajaran-2", "up")
    assert outline(lms_app, 2)[0][1] == ["pelajaran-1", "pelajaran-3", "pelajaran-2"]


def test_delete_lesson_needs_the_confirm_page(lms_app, lms_client, author):
    page = lms_client.get(BASE + "/lessons/pelajaran-2/delete").get_data(as_text=True)
    assert "Pelajaran 2" in page and 'method="post"' in page
    lms_client.submit(BASE + "/lessons/pelajaran-2/delete")
    assert outline(lms_app, 2)[0][1] == ["pelajaran-1", "pelajaran-3"]
    assert lms_client.get(BASE + "/lessons/pelajaran-2").status_code == 404


# ----------------------------------------------------------------------- preview


def test_preview_endpoint_returns_sanitised_html(lms_app, lms_client, author):
    token = lms_client.csrf_token(BASE + "/lessons/pelajaran-1")
    body = "**tebal**\n\n<script>alert(1)</script>\n\n[klik](javascript:alert(1)) <a href='javascript:x'>a</a>"
    response = lms_client.post(BASE + "/preview", data={"body": body, "type": "markdown"},
                               headers={"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>tebal</strong>" in html
    assert "<script" not in html and 'href="javascript' not in html and "href='javascript" not in html
    assert "raw &lt;script&gt; is not allowed" in html  # saving it would be refused: say so now
    assert lms_client.post(BASE + "/preview", data={"body": "x"}).status_code == 400  # no CSRF token
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_preview_button_without_javascript_rerenders_the_form(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/lessons/pelajaran-1", lesson_form(
        body="## Pratinjau\n\n<iframe src=x></iframe>", save=None, preview="Preview"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2>Pratinjau</h2>" in page and "<iframe" not in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}
    assert "js/editor.js" in page


# ----------------------------------------------------------------------- quizzes


def test_quiz_settings_save(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(
        title="Kuis akhir", pass_mark="80", time_limit="15", attempts="3", delay="10", grading="last",
        shuffle="y", shuffle_options=None, questions=["tte", "agenda"], draw="1", review=["score"],
        required=None))
    assert response.status_code == 302
    saved = quiz(lms_app, 2)
    assert (saved.title, saved.pass_mark, saved.time_limit, saved.max_attempts, saved.attempt_delay,
            saved.grading_method.value, saved.shuffle_questions, saved.shuffle_options,
            saved.question_keys, saved.draw_count, saved.review, saved.required) == (
        "Kuis akhir", 80, 15, 3, 10, "last", True, False, ["tte", "agenda"], 1, ["score"], False)
    assert quiz(lms_app, 1).question_keys == ["agenda", "disposisi", "tte"]


def test_quiz_problems_are_the_manifests_and_the_draw_rules(lms_app, lms_client, author):
    response = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(
        pass_mark="150", time_limit="0", attempts="101", grading="best", draw="5"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("number from 0 to 100", "whole number from 1 to 600", "whole number from 1 to 100",
                    "must be one of highest, last, average"):
        assert message in page, message
    page = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(draw="5")).get_data(as_text=True)
    assert "draws 5 questions but only 3 match" in page
    page = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(category="naskah")).get_data(as_text=True)
    assert "choose questions or a category, not both" in page
    page = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(questions=[], category="tidak-ada")).get_data(as_text=True)
    assert "has no questions" in page
    page = lms_client.submit(BASE + "/quizzes/kuis", quiz_form(questions=["hantu"])).get_data(as_text=True)
    assert "no question &#39;hantu&#39; in the bank" in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_add_a_category_quiz_and_delete_it(lms_app, lms_client, author):
    lms_client.submit(BASE + "/sections/new", {"title": "Kedua"})
    response = lms_client.submit(BASE + "/sections/1/quizzes/new", quiz_form(
        key="kuis-2", title="Kuis naskah", section="1", questions=[], category="naskah", draw="2"))
    assert response.status_code == 302
    added = quiz(lms_app, 2, "kuis-2")
    assert (added.question_keys, added.draw_category, added.draw_count) == ([], "naskah", 2)
    assert outline(lms_app, 2)[1] == ("Kedua", [], ["kuis-2"])
    response = lms_client.submit(BASE + "/sections/0/quizzes/new", quiz_form(key="pelajaran-1"))
    assert response.status_code == 400 and "is already used" in response.get_data(as_text=True)
    lms_client.submit(BASE + "/quizzes/kuis-2/delete")
    assert outline(lms_app, 2)[1] == ("Kedua", [], [])
    with lms_app.app_context():  # the questions stay in the bank
        assert len(db.session.scalars(select(Question).join(CourseVersion)
                                      .where(CourseVersion.number == 2)).all()) == 3


def test_quiz_page_links_to_the_question_bank(lms_client, author):
    page = lms_client.get(BASE + "/quizzes/kuis").get_data(as_text=True)
    assert f"/author/courses/{SLUG}/questions" in page and 'value="agenda"' in page


# ------------------------------------------------------------------- authorization


GET_PAGES = ["/", "/course", "/sections/0", "/sections/new", "/sections/0/delete", "/sections/0/lessons/new",
             "/lessons/pelajaran-1", "/lessons/pelajaran-1/delete", "/sections/0/quizzes/new",
             "/quizzes/kuis", "/quizzes/kuis/delete"]
POSTS = [("/course", {"title": "Dibajak", "language": "id", "jp": "1", "competency": "teknis"}),
         ("/sections/new", {"title": "Dibajak"}), ("/sections/0", {"title": "Dibajak"}),
         ("/sections/0/move", {"direction": "down"}), ("/sections/0/delete", {}),
         ("/sections/0/lessons/new", lesson_form(key="dibajak")), ("/lessons/pelajaran-1", lesson_form()),
         ("/lessons/pelajaran-1/move", {"direction": "down"}), ("/lessons/pelajaran-1/delete", {}),
         ("/preview", {"body": "x"}), ("/sections/0/quizzes/new", quiz_form(key="dibajak")),
         ("/quizzes/kuis", quiz_form()), ("/quizzes/kuis/delete", {})]


@pytest.mark.parametrize("role", ["learner", "other-author", "anonymous"])
def test_outsiders_get_404_or_login_and_change_nothing(lms_app, lms_client, lms_auth, lms_user, course, role):
    if role != "anonymous":
        lms_auth.login(lms_user("author" if role == "other-author" else "learner"))
    expected = 302 if role == "anonymous" else 404
    for page in GET_PAGES:
        response = lms_client.get(BASE + page)
        assert response.status_code == expected, page
        if role == "anonymous":
            assert "/login" in response.headers["Location"]
    token = lms_client.csrf_token("/")
    for page, data in POSTS:
        assert lms_client.post(BASE + page, data={**data, "csrf_token": token}).status_code == expected, page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


@pytest.mark.parametrize("role", ["author", "admin"])
def test_the_course_author_and_admins_may_edit(lms_app, lms_client, lms_auth, lms_user, course, role):
    lms_auth.login(course if role == "author" else lms_user("admin"))
    for page in GET_PAGES:
        assert lms_client.get(BASE + page).status_code == 200, page
    assert lms_client.submit(BASE + "/sections/0", {"title": "Boleh"}).status_code == 302
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT}


def test_unknown_course_is_404(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("admin"))
    assert lms_client.get("/author/courses/tidak-ada/edit/").status_code == 404


# ------------------------------------------------------------------- performance


def test_overview_queries_do_not_grow_with_lessons(lms_app, lms_client, lms_auth, lms_course, lms_user,
                                                   lms_queries):
    admin = lms_user("admin")
    lms_course("kecil", lessons=2, questions=QUESTIONS)
    lms_course("besar", lessons=25, questions=QUESTIONS)
    lms_auth.login(admin)
    counts = []
    for slug in ("kecil", "besar"):
        lms_client.get(f"/author/courses/{slug}/edit/")  # warm-up (first-request work)
        with lms_queries() as counter:
            assert lms_client.get(f"/author/courses/{slug}/edit/").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] and counts[0] <= 10, counts
