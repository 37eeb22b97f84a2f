"""Uploaded packages are imported by a background job; the author follows its status page."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select, update

from lms import jobs
from lms.database import db
from lms.models import CourseVersion, ImportStatus, PackageImport
from lms.packages.archive import write_package
from lms.services import package_imports
from lms.storage import storage
from lms.testing import course_manifest


def package(slug: str = "impor-latar") -> bytes:
    manifest, bodies = course_manifest(slug, lessons=2)
    return write_package(manifest, bodies, {})


def post(client, data: bytes, name: str = "kursus.zip"):
    token = client.csrf_token("/author/import")
    return client.post("/author/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "package": (io.BytesIO(data), name)})


@pytest.fixture
def held(monkeypatch):
    """Jobs queued during the test, not run: what a worker would find in its queue."""
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, **kw: queued.append((func, args)))
    return queued


def test_an_upload_waits_on_its_status_page_until_the_job_imports_it(lms_app, lms_client, lms_auth,
                                                                      lms_user, held):
    lms_auth.login(lms_user("author"))
    response = post(lms_client, package())
    assert response.status_code == 302 and response.location.startswith("/author/imports/")
    waiting = lms_client.get(response.location)
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 202 and 'http-equiv="refresh"' in page and "kursus.zip" in page
    assert lms_client.get(response.location + "?format=json").json["status"] == "queued"
    with lms_app.app_context():
        record = db.session.scalar(select(PackageImport))
        assert storage().exists(record.blob) and record.size > 0
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0
        blob = record.blob
        [(job, args)] = held
        assert job(*args) == "done"
        db.session.expire_all()
        record = db.session.get(PackageImport, record.id)
        assert record.blob is None and not storage().exists(blob)  # the upload is not kept
        assert record.version.course.slug == "impor-latar" and record.finished_at is not None
    done = lms_client.get(response.location)
    assert done.status_code == 302 and done.location == "/author/courses/impor-latar/"
    assert "diimpor sebagai versi draf 1" in lms_client.get(done.location).get_data(as_text=True)


def test_a_job_delivered_twice_imports_once(lms_app, lms_client, lms_auth, lms_user, held):
    lms_auth.login(lms_user("author"))
    post(lms_client, package())
    with lms_app.app_context():
        [(job, args)] = held
        assert job(*args) == "done" and job(*args) == "skipped"
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 1


def test_a_refused_package_lists_its_problems_and_writes_no_course(lms_app, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    response = post(lms_client, b"bukan zip")  # tests run jobs eagerly, after the request
    refused = lms_client.get(response.location)
    assert refused.status_code == 400 and "Impor ditolak" in refused.get_data(as_text=True)
    status = lms_client.get(response.location + "?format=json").json
    assert status["status"] == "failed" and status["error"] == "invalid" and status["problems"]
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0
        assert db.session.scalar(select(PackageImport.blob)) is None


def test_only_the_uploader_and_admins_see_an_import(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("author"))
    location = post(lms_client, package()).location
    lms_auth.logout()
    lms_auth.login(lms_user("author"))
    assert lms_client.get(location).status_code == 404
    lms_auth.logout()
    lms_auth.login(lms_user())
    assert lms_client.get(location).status_code == 403
    lms_auth.logout()
    assert lms_client.get(location).status_code == 302  # to sign in
    lms_auth.login(lms_user("admin"))
    assert lms_client.get(location).status_code == 302  # done: on to the course
    assert lms_client.get("/author/imports/" + "0" * 32).status_code == 404


def test_lost_jobs_are_queued_again_and_interrupted_imports_fail(lms_app, lms_client, lms_auth, lms_user, held):
    lms_auth.login(lms_user("author"))
    post(lms_client, package("impor-hilang"))
    post(lms_client, package("impor-putus"))
    with lms_app.app_context():
        lost, cut = db.session.scalars(select(PackageImport).order_by(PackageImport.id)).all()
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        db.session.execute(update(PackageImport).values(created_at=old))
        db.session.execute(update(PackageImport).where(PackageImport.id == cut.id)
                           .values(status=ImportStatus.RUNNING, started_at=old))
        db.session.commit()
        held.clear()
        assert package_imports.resume_stale() == 2
        assert [args for _func, args in held] == [(lost.id,)]
        db.session.expire_all()
        cut = db.session.get(PackageImport, cut.id)
        assert cut.status == ImportStatus.FAILED and cut.message == "interrupted" and cut.blob is None
    page = lms_client.get(f"/author/imports/{cut.uid}")
    assert page.status_code == 400 and "Impor ditolak" in page.get_data(as_text=True)


@pytest.mark.redis
def test_with_redis_the_worker_imports_the_upload(lms_app, lms_client, lms_auth, lms_user, redis_url, redis_prefix):
    lms_app.config.update(JOBS_BACKEND="auto", REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix,
                          JOBS_QUEUE=redis_prefix)
    lms_auth.login(lms_user("author"))
    location = post(lms_client, package("impor-pekerja")).location
    assert lms_client.get(location).status_code == 202  # waiting in Redis for a worker
    result = lms_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    done = lms_client.get(location)
    assert done.status_code == 302 and done.location == "/author/courses/impor-pekerja/"
