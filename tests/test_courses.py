"""Courses: manifest checks, versions that keep progress, the catalog, constant query counts."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from lms import cache
from lms.database import db
from lms.models import Course, CourseVersion, Enrollment, VersionStatus
from lms.packages.manifest import parse_manifest
from lms.services import courses
from lms.services.courses import PackageInvalid
from lms.testing import course_manifest


def titles(page_html: str) -> list[str]:
    return re.findall(r'<h2><a href="/courses/([^"]+)"', page_html)


def new_version(app, slug: str, entries: list[dict], bodies: dict[str, str], jp: int = 2,
                publish: bool = True) -> int:
    """Import (and publish) a version of `slug` with exactly these lesson entries."""
    manifest, _ = course_manifest(slug, lessons=0, jp=jp, extra_lessons=entries)
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with app.app_context():
        version = courses.import_version(spec, bodies)
        if publish:
            courses.publish(version)
        return version.id


def md(key: str) -> dict:
    return {"id": key, "title": key.title(), "file": f"lessons/{key}.md"}


def bodies_for(*keys: str) -> dict[str, str]:
    return {f"lessons/{key}.md": f"Isi {key}." for key in keys}


# ------------------------------------------------------------------ manifest


def test_manifest_reports_every_problem_with_its_field():
    manifest, _ = course_manifest("Bad Slug!", jp=-1, competency="fisik")
    manifest["format"] = "lms-course/9"
    manifest["sections"][0]["lessons"].append({"id": "pelajaran-1", "title": "Lagi"})
    manifest["sections"].append({"title": "", "lessons": []})
    spec, problems = parse_manifest(manifest)
    assert spec is None
    found = {(p.where, p.message.split(" ")[0]) for p in problems}
    assert {("format", "must"), ("slug", "use"), ("jp", "must"), ("competency", "must"),
            ("sections[0].lessons[3].id", "'pelajaran-1'"), ("sections[1].title", "required"),
            ("sections[1].lessons", "needs")} <= found
    assert all(str(p).startswith("course.yaml: ") for p in problems)


def test_invalid_import_writes_nothing(lms_app):
    manifest, bodies = course_manifest("kosong", lessons=2)
    spec, _ = parse_manifest(manifest)
    with lms_app.app_context():
        with pytest.raises(PackageInvalid, match="a file with the lesson text is required"):
            courses.import_version(spec, {})  # lesson files missing
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_draft_is_invisible_until_published(lms_app, lms_client, lms_course):
    course = lms_course("draf", publish=False)
    assert lms_client.get("/courses/draf").status_code == 404
    assert "draf" not in titles(lms_client.get("/courses").get_data(as_text=True))
    with lms_app.app_context():
        courses.publish(db.session.get(CourseVersion, course.version_id))
    assert lms_client.get("/courses/draf").status_code == 200


# ------------------------------------------------------------------ versions


def test_new_version_keeps_progress_of_surviving_lessons(lms_app, lms_client, lms_auth, lms_user):
    new_version(lms_app, "versi", [md("a"), md("b"), md("c")], bodies_for("a", "b", "c"))
    lms_auth.login(lms_user())
    lms_client.submit("/courses/versi/enrol", form_page="/courses/versi")
    for key in ("a", "b"):
        lms_client.submit(f"/learn/versi/{key}/complete", form_page=f"/learn/versi/{key}")
    # Version 2: "b" removed, "d" added, "a" and "c" survive. As a draft nothing changes.
    v2 = new_version(lms_app, "versi", [md("a"), md("c"), md("d")], bodies_for("a", "c", "d"), publish=False)
    assert "2 dari 3 pelajaran wajib selesai" in lms_client.get("/courses/versi").get_data(as_text=True)
    with lms_app.app_context():
        courses.publish(db.session.get(CourseVersion, v2))
    page = lms_client.get("/courses/versi").get_data(as_text=True)
    assert "Versi 2" in page and "1 dari 3 pelajaran wajib selesai" in page
    assert lms_client.get("/learn/versi/b").status_code == 404  # gone with its version
    with lms_app.app_context():
        statuses = dict(db.session.execute(select(CourseVersion.number, CourseVersion.status)).all())
        assert statuses == {1: VersionStatus.SUPERSEDED, 2: VersionStatus.PUBLISHED}


def test_only_one_version_can_be_published(lms_app, lms_course):
    course = lms_course("tunggal")
    new_version(lms_app, "tunggal", [md("x")], bodies_for("x"), publish=False)
    with lms_app.app_context():
        draft = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
        draft.status = VersionStatus.PUBLISHED  # bypassing publish() must still fail
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(CourseVersion, course.version_id).status == VersionStatus.PUBLISHED


def test_completion_is_frozen_when_a_new_version_changes_jp(lms_app, lms_client, lms_auth, lms_user):
    new_version(lms_app, "beku", [md("a")], bodies_for("a"), jp=3)
    user = lms_user()
    lms_auth.login(user)
    lms_client.submit("/courses/beku/enrol", form_page="/courses/beku")
    lms_client.submit("/learn/beku/a/complete", form_page="/learn/beku/a")
    new_version(lms_app, "beku", [md("a"), md("b")], bodies_for("a", "b"), jp=8)
    with lms_app.app_context():
        enrollment = db.session.scalar(select(Enrollment))
        assert (enrollment.jp_awarded, enrollment.completed_version.number) == (3, 1)
    page = lms_client.get("/me").get_data(as_text=True)
    assert "<strong>3</strong> / 20 JP" in page


# ------------------------------------------------------------------ catalog


@pytest.fixture
def catalog(lms_course):
    lms_course("dasar-e-office", title="Dasar E-Office", competency="teknis", category="digital",
               jp=4, summary="Naskah dinas elektronik")
    lms_course("manajemen-proyek", title="Manajemen Proyek Pemerintah", competency="manajerial",
               category="kepemimpinan", jp=12, summary="Jadwal dan anggaran 50% lebih rapi")
    lms_course("pelayanan", title="Pelayanan Prima", competency="sosial-kultural", jp=2,
               language="en", summary="Melayani warga")


@pytest.mark.parametrize("query, expected", [
    ("", {"dasar-e-office", "manajemen-proyek", "pelayanan"}),
    ("q=e-office", {"dasar-e-office"}),
    ("q=NASKAH", {"dasar-e-office"}),  # summary, case-insensitive
    ("q=50%25", {"manajemen-proyek"}),  # "%" is literal, not a wildcard
    ("q=_", set()),
    ("competency=manajerial", {"manajemen-proyek"}),
    ("category=digital", {"dasar-e-office"}),
    ("language=en", {"pelayanan"}),
    ("jp_min=3&jp_max=10", {"dasar-e-office"}),
    ("jp_min=abc", {"dasar-e-office", "manajemen-proyek", "pelayanan"}),  # bad input ignored
    ("competency=fisik", {"dasar-e-office", "manajemen-proyek", "pelayanan"}),
])
def test_catalog_search_and_filters(catalog, lms_client, query, expected):
    response = lms_client.get(f"/courses?{query}")
    assert response.status_code == 200
    assert set(titles(response.get_data(as_text=True))) == expected


def test_catalog_paginates(lms_client, lms_course):
    for n in range(14):
        lms_course(f"kursus-{n:02d}")
    first = lms_client.get("/courses").get_data(as_text=True)
    second = lms_client.get("/courses?page=2").get_data(as_text=True)
    assert len(titles(first)) == 12 and len(titles(second)) == 2
    assert not set(titles(first)) & set(titles(second))
    assert "Halaman 1 dari 2" in first and 'rel="next"' in first
    assert titles(lms_client.get("/courses?page=99").get_data(as_text=True)) == titles(second)


def test_catalog_marks_my_courses(catalog, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    lms_client.submit("/courses/pelayanan/enrol", form_page="/courses/pelayanan")
    page = lms_client.get("/courses").get_data(as_text=True)
    assert page.count('class="badge badge-mine"') == 1


# ------------------------------------------------------------------ query counts


def bulk_courses(app, count: int) -> None:
    """Insert `count` published courses with plain executemany (fast enough for 10,000)."""
    with app.app_context():
        start = db.session.scalar(select(func.count()).select_from(Course))
        db.session.execute(insert(Course), [{"slug": f"massal-{start + n}", "self_enrolment": True}
                                            for n in range(count)])
        ids = db.session.scalars(select(Course.id).where(Course.slug.like("massal-%"))).all()
        db.session.execute(insert(CourseVersion), [
            {"course_id": cid, "number": 1, "status": VersionStatus.PUBLISHED, "title": f"Kursus {cid}",
             "published_at": dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
             "summary": "Ringkasan", "language": "id", "jp": cid % 20, "competency": "teknis"}
            for cid in ids])
        cache.invalidate(courses.CATALOG)  # what publishing does
        db.session.commit()


def count_queries(lms_queries, client, url: str) -> int:
    with lms_queries() as queries:
        assert client.get(url).status_code == 200
    return queries.count


def test_catalog_queries_do_not_grow_with_10000_courses(lms_app, lms_client, lms_auth, lms_user,
                                                        lms_course, lms_queries):
    lms_course("kecil", category="digital")
    lms_auth.login(lms_user())
    small = count_queries(lms_queries, lms_client, "/courses?q=Kursus")
    bulk_courses(lms_app, 10_000)
    large = count_queries(lms_queries, lms_client, "/courses?q=Kursus")
    assert large == small
    # a new search, but the category list is already cached
    assert count_queries(lms_queries, lms_client, "/courses?page=500&competency=teknis") == small - 1


def test_a_warm_catalog_skips_the_search_and_publishing_refreshes_it(lms_client, lms_course, lms_queries):
    """The count and the page of ids come from the cache until something is published."""
    lms_course("pertama", title="Kursus Pertama")
    cold = count_queries(lms_queries, lms_client, "/courses?q=Kursus")
    warm = count_queries(lms_queries, lms_client, "/courses?q=Kursus")
    assert warm == cold - 4  # no count, no search, no cards, no category list
    with lms_queries() as queries:
        lms_client.get("/courses?q=Kursus")
    statements = [sql for sql in queries.statements if not sql.startswith("BEGIN")]
    assert len(statements) == 1 and "FROM cache_generations" in statements[0]  # just the generation
    lms_course("kedua", title="Kursus Kedua")
    with lms_queries() as queries:
        page = lms_client.get("/courses?q=Kursus").get_data(as_text=True)
    assert "Kursus Kedua" in page and "Kursus Pertama" in page
    assert queries.count == cold


@pytest.mark.lms_config(CACHE_BACKEND="null")
def test_the_catalog_works_with_the_cache_off(lms_client, lms_course):
    lms_course("pertama", title="Kursus Pertama")
    assert "Kursus Pertama" in lms_client.get("/courses").get_data(as_text=True)
    lms_course("kedua", title="Kursus Kedua")
    assert "Kursus Kedua" in lms_client.get("/courses").get_data(as_text=True)


@pytest.mark.parametrize("lessons", [2, 40])
def test_course_and_lesson_pages_run_a_fixed_number_of_queries(lms_client, lms_auth, lms_user,
                                                               lms_course, lms_queries, lessons):
    course = lms_course("tetap", lessons=lessons)
    lms_auth.login(lms_user())
    lms_client.submit("/courses/tetap/enrol", form_page="/courses/tetap")
    for key in course.lesson_keys[:lessons // 2]:
        lms_client.submit(f"/learn/tetap/{key}/complete", form_page=f"/learn/tetap/{key}")
    counts = (count_queries(lms_queries, lms_client, "/courses/tetap"),
              count_queries(lms_queries, lms_client, f"/learn/tetap/{course.lesson_keys[-1]}"),
              count_queries(lms_queries, lms_client, "/me"))
    assert counts == EXPECTED_COUNTS.setdefault("pages", counts)


#: Filled by the first parametrisation, compared by the second: equal counts for 2 and 40 lessons.
EXPECTED_COUNTS: dict[str, tuple] = {}


def test_dashboard_queries_do_not_grow_with_enrolments(lms_client, lms_auth, lms_user, lms_course,
                                                       lms_queries):
    lms_auth.login(lms_user())
    slugs = [lms_course(f"dasbor-{n}", lessons=2).slug for n in range(10)]
    lms_client.submit(f"/courses/{slugs[0]}/enrol", form_page=f"/courses/{slugs[0]}")
    one = count_queries(lms_queries, lms_client, "/me")
    for slug in slugs[1:]:
        lms_client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
        lms_client.submit(f"/learn/{slug}/pelajaran-1/complete", form_page=f"/learn/{slug}/pelajaran-1")
    assert count_queries(lms_queries, lms_client, "/me") == one
