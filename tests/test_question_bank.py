"""Authors manage question banks in the browser: import, export, edit, delete, publish."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import Course, CourseVersion, Question, Quiz, User, VersionStatus
from lms.packages.gift import dump_gift, parse_gift
from lms.services import authoring

QUESTIONS = [{"id": "agenda", "type": "truefalse", "text": "Surat masuk diagendakan.", "answer": True}]
GIFT = """$CATEGORY: e-office/naskah
::Disposisi:: Siapa yang memberi disposisi? {=Pimpinan ~Staf ~Tamu}

::TTE:: Tanda tangan elektronik sah. {T}
"""


@pytest.fixture
def author_course(lms_app, lms_course, lms_user, lms_auth):
    """A published course with a one-question quiz, and its author logged in."""
    course = lms_course("bank", lessons=1, questions=QUESTIONS)
    author = lms_user("author")
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, course.id), db.session.get(User, author.id))
    lms_auth.login(author)
    return course


def upload(client, text: str, name: str = "soal.gift", quiz: str = ""):
    token = client.csrf_token("/author/courses/bank/questions")
    return client.post("/author/courses/bank/questions/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "quiz": quiz, "file": (io.BytesIO(text.encode()), name)})


def versions(app) -> dict[int, VersionStatus]:
    with app.app_context():
        return dict(db.session.execute(select(CourseVersion.number, CourseVersion.status)).all())


def bank_keys(app, number: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Question.key).join(CourseVersion)
                                         .where(CourseVersion.number == number)))


def test_import_goes_to_a_draft_and_publishing_makes_it_live(lms_app, lms_client, author_course):
    response = upload(lms_client, GIFT, quiz="kuis")
    assert response.status_code == 302
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED, 2: VersionStatus.DRAFT}
    assert bank_keys(lms_app, 1) == ["agenda"]  # learners' version untouched
    assert bank_keys(lms_app, 2) == ["agenda", "disposisi", "tte"]
    with lms_app.app_context():
        quiz = db.session.scalar(select(Quiz).join(CourseVersion).where(CourseVersion.number == 2))
        assert quiz.question_keys == ["agenda", "disposisi", "tte"]
    page = lms_client.get("/author/courses/bank/questions").get_data(as_text=True)
    assert "Disposisi" in page and "e-office/naskah" in page
    lms_client.submit("/author/courses/bank/publish", form_page="/author/courses/bank/questions")
    assert versions(lms_app) == {1: VersionStatus.SUPERSEDED, 2: VersionStatus.PUBLISHED}


def test_bad_gift_is_refused_with_its_line_and_nothing_written(lms_app, lms_client, author_course):
    response = upload(lms_client, "::Rusak:: Pertanyaan tanpa akhir {=a ~b\n\n::Baik:: Oke {T}\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "soal.gift: line 1" in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}  # no draft was created


def test_wrong_file_type_and_invalid_definitions_are_refused(lms_app, lms_client, author_course):
    assert upload(lms_client, "x", name="soal.exe").status_code == 400
    bad_yaml = "- {id: x, type: single, text: Pilih, options: [{id: a, text: A, fraction: 0}]}\n"
    page = upload(lms_client, bad_yaml, name="soal.yaml").get_data(as_text=True)
    assert "question x" in page and "options" in page
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}


def test_export_then_import_round_trips(lms_app, lms_client, author_course):
    upload(lms_client, GIFT)
    exported = lms_client.get("/author/courses/bank/questions/export.gift")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    definitions, problems = parse_gift(exported.get_data(as_text=True))
    assert problems == [] and sorted(d["id"] for d in definitions) == ["agenda", "disposisi", "tte"]
    with lms_app.app_context():
        stored = sorted((q.definition for q in db.session.scalars(
            select(Question).join(CourseVersion).where(CourseVersion.number == 2))), key=lambda d: d["id"])
    # Same questions: exporting what was re-imported writes exactly the same GIFT.
    assert dump_gift(sorted(definitions, key=lambda d: d["id"])) == dump_gift(stored)
    yaml_export = lms_client.get("/author/courses/bank/questions/export.yaml").get_data(as_text=True)
    assert "id: disposisi" in yaml_export


def test_edit_question_validates_and_keeps_the_id(lms_app, lms_client, author_course):
    url = "/author/courses/bank/questions/agenda/edit"
    assert "answer: true" in lms_client.get(url).get_data(as_text=True)
    bad = lms_client.submit(url, {"definition": "id: agenda\ntype: truefalse\ntext: Oke\nanswer: mungkin\n"})
    assert bad.status_code == 400 and "answer" in bad.get_data(as_text=True)
    renamed = lms_client.submit(url, {"definition": "id: lain\ntype: truefalse\ntext: Oke\nanswer: true\n"})
    assert renamed.status_code == 400 and "must stay" in renamed.get_data(as_text=True)
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}
    good = lms_client.submit(url, {"definition": "id: agenda\ntype: truefalse\ntext: Surat dicatat.\nanswer: false\n"})
    assert good.status_code == 302
    with lms_app.app_context():
        question = db.session.scalar(select(Question).join(CourseVersion).where(CourseVersion.number == 2))
        assert (question.definition["answer"], question.text_html) == (False, "<p>Surat dicatat.</p>")


def test_delete_question_but_never_empty_a_quiz(lms_app, lms_client, author_course):
    page = "/author/courses/bank/questions"
    lms_client.submit(page + "/agenda/delete", form_page=page)
    assert versions(lms_app) == {1: VersionStatus.PUBLISHED}  # refused: the quiz would be empty
    upload(lms_client, GIFT, quiz="kuis")
    lms_client.submit(page + "/agenda/delete", form_page=page)
    assert bank_keys(lms_app, 2) == ["disposisi", "tte"]


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 404), ("admin", 200)])
def test_bank_pages_belong_to_the_course_authors(lms_client, lms_auth, lms_user, lms_course, role, status):
    lms_course("bank", lessons=1, questions=QUESTIONS)
    lms_auth.login(lms_user(role))
    assert lms_client.get("/author/courses/bank/questions").status_code == status
    assert lms_client.get("/author/courses/bank/questions/export.gift").status_code == status
