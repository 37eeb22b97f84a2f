"""`flask lms bench-data`: the benchmark data generator, run at a small scale.

The data must be what the core itself would have written (counts, unique enrolments, a JP
rollup equal to the ledger, valid NIPs, lessons rendered like an import), and usable the
way a load test uses it: a bench learner signs in, opens the catalog, the course, a
lesson, /me, starts the quiz; the printed certificate code verifies. A second run refuses.
"""
from __future__ import annotations

import re

from sqlalchemy import case, func, select

from lms.asn import parse_nip
from lms.content import render_markdown
from lms.database import db
from lms.models import (Certificate, CertificateEvent, Course, CourseVersion, Enrollment, JpEntry,
                        JpStatus, JpYearTotal, Lesson, LessonProgress, Question, Quiz, Unit, User)

USERS, COURSES, COMPLETIONS, LEARNERS = 300, 12, 2000, 50
ARGS = ["lms", "bench-data", "--users", str(USERS), "--courses", str(COURSES),
        "--completions", str(COMPLETIONS), "--learners", str(LEARNERS), "--seed", "7"]
LEARNER = "bench-learner-000001@bench.lms.test"
SLUG = "bench-course-00001"


def count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_bench_data_is_complete_consistent_and_usable(lms_app, lms_runner, lms_client):
    refused = lms_runner.invoke(args=[*ARGS[:6], "--completions", str(USERS * COURSES)])
    assert refused.exit_code == 1 and "--completions must be at most" in refused.stderr

    result = lms_runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert re.search(r"^enrolments\s+2,050 rows", result.output, re.MULTILINE), result.output
    code = re.search(r"certificate code of bench-learner-000001: (\S+)", result.output).group(1)

    with lms_app.app_context():
        users = db.session.execute(select(User.email, User.nip, User.role)).all()
        assert len(users) == USERS
        assert all(email.endswith("@bench.lms.test") for email, _, _ in users)
        for _, nip, _ in users:
            parse_nip(nip)  # every NIP passes the registration's own check
        assert {f"bench-learner-{n:06d}@bench.lms.test" for n in range(1, LEARNERS + 1)} <= {u[0] for u in users}
        assert {role.value for _, _, role in users} == {"learner", "author", "admin", "unit_admin"}
        assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id.is_(None))) == 1

        assert db.session.scalar(select(func.count()).select_from(Course)) == COURSES
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)
                                 .where(CourseVersion.status == "published")) == COURSES
        assert db.session.scalar(select(func.count()).select_from(Quiz)) == COURSES
        assert db.session.scalar(select(func.count()).select_from(Question)) == 5 * COURSES
        lesson = db.session.scalars(select(Lesson).limit(1)).one()
        assert lesson.body_html == render_markdown(lesson.source) and "<h2>" in lesson.body_html

        completed = select(Enrollment).where(Enrollment.status == "completed")
        assert count(completed) == COMPLETIONS
        assert count(select(Enrollment.user_id, Enrollment.course_id)
                     .group_by(Enrollment.user_id, Enrollment.course_id).having(func.count() > 1)) == 0
        first = db.session.scalar(select(Course.id).where(Course.slug == SLUG))
        open_ones = db.session.execute(select(User.email).join(Enrollment, Enrollment.user_id == User.id)
                                       .where(Enrollment.course_id == first, Enrollment.status == "active")).scalars().all()
        assert sorted(open_ones) == [f"bench-learner-{n:06d}@bench.lms.test" for n in range(1, LEARNERS + 1)]
        # every lesson of every completed enrolment is done, as the completion rule requires
        lessons_per_completion = (select(func.count(Lesson.id)).join(Enrollment, Enrollment.completed_version_id
                                                                     == Lesson.version_id)
                                  .where(Enrollment.status == "completed"))
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == \
            db.session.scalar(lessons_per_completion)

        # one approved course credit per completion; certificates for a share, each with its event
        assert db.session.scalar(select(func.count()).select_from(JpEntry)
                                 .where(JpEntry.status == JpStatus.APPROVED)) == COMPLETIONS
        certificates = db.session.scalar(select(func.count()).select_from(Certificate))
        assert 0.05 * COMPLETIONS < certificates < 0.2 * COMPLETIONS
        assert db.session.scalar(select(func.count()).select_from(CertificateEvent)) == certificates
        assert db.session.scalar(select(func.count()).select_from(JpEntry)
                                 .where(JpEntry.certificate_id.is_not(None))) == certificates

        # the rollup is exactly the ledger summed per person and year (and kind)
        def kind(name):
            return func.sum(case((JpEntry.competency == name, JpEntry.jp)))

        ledger = {tuple(row[:2]): tuple(row[2:]) for row in db.session.execute(
            select(JpEntry.user_id, JpEntry.year, func.sum(JpEntry.jp), kind("teknis"), kind("manajerial"),
                   kind("sosial-kultural")).where(JpEntry.status == JpStatus.APPROVED)
            .group_by(JpEntry.user_id, JpEntry.year))}
        t = JpYearTotal
        rollup = {(r.user_id, r.year): (r.jp_total, r.jp_teknis, r.jp_manajerial, r.jp_sosial_kultural)
                  for r in db.session.scalars(select(t))}
        assert rollup == ledger and len(rollup) > USERS // 2

    # a load-test learner uses it like a browser
    response = lms_client.submit("/login", {"login": LEARNER, "password": "bench-password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert lms_client.get("/courses").status_code == 200
    assert lms_client.get(f"/courses/{SLUG}").status_code == 200
    resume = lms_client.get(f"/learn/{SLUG}")
    assert resume.status_code == 302 and f"/learn/{SLUG}/" in resume.location
    assert lms_client.get(resume.location).status_code == 200
    me = lms_client.get("/me")
    assert me.status_code == 200
    quiz_page = f"/learn/{SLUG}/quiz/kuis-akhir"
    assert lms_client.get(quiz_page).status_code == 200
    started = lms_client.submit(f"{quiz_page}/start", form_page=quiz_page)
    assert started.status_code == 302 and "/learn/attempts/" in started.location
    assert lms_client.get(started.location).status_code == 200

    verified = lms_client.get(f"/verify/{code}")
    assert verified.status_code == 200
    with lms_app.app_context():
        holder = db.session.scalar(select(Certificate.holder_name).where(Certificate.code == code))
        assert db.session.scalar(select(User.email).join(Certificate, Certificate.user_id == User.id)
                                 .where(Certificate.code == code)) == LEARNER
    assert holder in verified.get_data(as_text=True)

    again = lms_runner.invoke(args=ARGS)
    assert again.exit_code == 1 and "already holds bench data" in again.stderr


def test_refuses_a_production_configuration_without_yes(lms_app, lms_runner, monkeypatch):
    monkeypatch.setattr(lms_app, "testing", False)
    monkeypatch.delenv("LMS_CONFIG", raising=False)
    result = lms_runner.invoke(args=[*ARGS[:2], "--users", "5", "--courses", "1", "--completions", "0",
                                     "--learners", "1"])
    assert result.exit_code == 1 and "production" in result.stderr
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
