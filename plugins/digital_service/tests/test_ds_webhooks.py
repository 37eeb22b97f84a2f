"""Certificate webhooks end to end: a learner completes a course through the real pages, the
plugin's react hook queues the event, a background thread or the CLI POSTs it to a local
receiver. Timing is never asserted; background attempts are awaited, never slept for."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading

import pytest
from sqlalchemy import select, update

from lms.plugin import db

from lms_digital_service import wait_for_deliveries, webhooks
from lms_digital_service.models import DELIVERED, FAILED, PENDING, WebhookDelivery

pytestmark = pytest.mark.lms_plugins("digital_service")

SECRET = "rahasia-bersama-dengan-bkd"
HOLDER = "Rina Wulandari"
HOLDER_NIP = "199001012015012001"


# --------------------------------------------------------------------------- helpers


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def complete_course(client, auth, make_user, make_course, slug="layanan-digital-uji", **user):
    """Enrol a learner and complete a one-lesson course through the pages.

    Returns the last response (the completion that issued the certificate)."""
    course = make_course(slug, lessons=1, jp=3, title="Layanan Digital Uji")
    auth.login(make_user(name=user.get("name", HOLDER), nip=user.get("nip", HOLDER_NIP)))
    enrolled = client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    assert enrolled.status_code in (200, 302), enrolled.status_code
    for key in course.lesson_keys:
        response = client.submit(f"/learn/{slug}/{key}/complete", form_page=f"/learn/{slug}/{key}")
        assert response.status_code in (200, 302), response.status_code
    return response


def certificates(app) -> list[dict]:
    """The core's certificates, read through the shared metadata (no core model imported)."""
    with app.app_context():
        table = db.metadata.tables["certificates"]
        return [dict(row._mapping) for row in db.session.execute(select(table).order_by(table.c.id))]


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def make_due(app) -> None:
    """Time travel: every pending delivery's next attempt is now in the past."""
    with app.app_context():
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.status == PENDING)
                           .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()


def deliver(runner) -> str:
    result = runner.invoke(args=["lms", "digital-service-deliver"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# ------------------------------------------------------------------ issued, delivered


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_SECRET=SECRET, BASE_URL="https://lms.semarangkota.go.id/")
def test_an_issued_certificate_is_posted_signed(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                                receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert wait_for_deliveries(10)
    [certificate] = certificates(lms_app)
    [sent] = receiver.requests
    body, headers = sent["json"], sent["headers"]

    assert sent["path"] == "/hooks/lms"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-LMS-Event"] == "certificate.issued"
    assert headers["X-LMS-Delivery"] == body["id"] and headers["X-LMS-Attempt"] == "1"
    expected = "sha256=" + hmac.new(SECRET.encode(), sent["body"], hashlib.sha256).hexdigest()
    assert headers["X-LMS-Signature"] == expected
    assert webhooks.signature_matches(sent["body"], SECRET, headers["X-LMS-Signature"])
    assert not webhooks.signature_matches(sent["body"] + b" ", SECRET, headers["X-LMS-Signature"])

    assert body["event"] == "certificate.issued"
    assert dt.datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    data = body["certificate"]
    assert data["number"] == certificate["number"] and data["code"] == certificate["code"]
    assert (data["holder_name"], data["holder_nip"]) == (HOLDER, HOLDER_NIP)
    assert (data["course_slug"], data["course_title"], data["jp"]) == ("layanan-digital-uji", "Layanan Digital Uji", 3)
    assert data["status"] == "valid" and data["course_version"] == 1
    assert data["verify_url"] == f"https://lms.semarangkota.go.id/verify/{certificate['code']}"
    assert dt.date.fromisoformat(data["completed_on"]) == certificate["completed_on"]
    assert as_utc(dt.datetime.fromisoformat(data["issued_at"])) == as_utc(certificate["issued_at"])

    [row] = deliveries(lms_app)
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (DELIVERED, 1, 200, None)
    assert row.delivered_at is not None and row.event_id == body["id"]


def test_unsigned_without_a_secret(lms_app, lms_client, lms_auth, lms_user, lms_course, receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert wait_for_deliveries(10)
    [sent] = receiver.requests
    assert "X-LMS-Signature" not in sent["headers"]
    assert deliveries(lms_app)[0].status == DELIVERED


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_URL="")
def test_nothing_is_written_when_the_url_is_empty(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                                  receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert wait_for_deliveries(10)
    assert len(certificates(lms_app)) == 1
    assert deliveries(lms_app) == [] and receiver.requests == []


# ----------------------------------------------------------- failures never hurt the learner


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKOFF=600)
def test_a_500_schedules_a_retry_with_the_same_event_id(lms_app, lms_client, lms_auth, lms_user,
                                                       lms_course, lms_runner, receiver):
    receiver.answers.append(500)
    before = utcnow()
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert wait_for_deliveries(10)
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts, row.last_status_code) == (PENDING, 1, 500)
    assert row.last_error.startswith("HTTP 500") and "receiver is broken" in row.last_error
    # 600 s × (0.8 .. 1.2) after the attempt: in the future, not due for the CLI yet
    assert before + dt.timedelta(seconds=470) < as_utc(row.next_attempt_at) < utcnow() + dt.timedelta(seconds=730)
    assert deliver(lms_runner).startswith("digital-service webhooks: 0 attempted")

    make_due(lms_app)
    assert "1 attempted, 1 delivered" in deliver(lms_runner)
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same event, byte for byte
    assert first["headers"]["X-LMS-Delivery"] == second["headers"]["X-LMS-Delivery"]
    assert (first["headers"]["X-LMS-Attempt"], second["headers"]["X-LMS-Attempt"]) == ("1", "2")
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts, row.last_error) == (DELIVERED, 2, None)


def test_receiver_down_the_learner_still_gets_the_certificate(lms_app, lms_client, lms_auth, lms_user,
                                                              lms_course, refused_url):
    response = complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert response.status_code in (200, 302)
    assert wait_for_deliveries(10)
    assert len(certificates(lms_app)) == 1
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts, row.last_status_code) == (PENDING, 1, None)
    assert "refused" in row.last_error.lower()
    assert as_utc(row.next_attempt_at) > utcnow()


def test_a_hanging_receiver_times_out_and_is_retried_later(lms_app, lms_client, lms_auth, lms_user,
                                                           lms_course, receiver):
    receiver.default = "hang"  # holds every request longer than the 0.5 s timeout
    response = complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert response.status_code in (200, 302)
    assert len(certificates(lms_app)) == 1
    assert wait_for_deliveries(10)
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert "timed out" in row.last_error.lower()
    assert as_utc(row.next_attempt_at) > utcnow()


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_TIMEOUT=60)
def test_the_learner_is_answered_while_the_receiver_still_holds_the_webhook(
        lms_app, lms_client, lms_auth, lms_user, lms_course, receiver):
    receiver.default = "hang"  # released only below: a request waiting for it could not return
    response = complete_course(lms_client, lms_auth, lms_user, lms_course)
    assert response.status_code in (200, 302)
    assert len(certificates(lms_app)) == 1
    assert [row.status for row in deliveries(lms_app)] == [PENDING]
    receiver.release.set()  # the receiver drops the connection without answering
    assert wait_for_deliveries(20)
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts) == (PENDING, 1) and row.last_error


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS=3, DIGITAL_SERVICE_WEBHOOK_BACKOFF=0,
                        DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_after_max_attempts_the_delivery_fails(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                               lms_runner, receiver):
    receiver.default = 503
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts) == (PENDING, 0)  # background off: the CLI does it all
    assert "1 attempted, 0 delivered, 1 to retry, 0 failed" in deliver(lms_runner)
    assert "1 attempted, 0 delivered, 1 to retry, 0 failed" in deliver(lms_runner)
    assert "1 attempted, 0 delivered, 0 to retry, 1 failed" in deliver(lms_runner)
    assert "0 attempted" in deliver(lms_runner)  # failed is final
    [row] = deliveries(lms_app)
    assert (row.status, row.attempts, row.last_status_code) == (FAILED, 3, 503)
    assert len(receiver.requests) == 3


# ------------------------------------------------------------------------------ the CLI


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_the_cli_delivers_due_rows_only(lms_app, lms_client, lms_auth, lms_user, lms_course,
                                        lms_runner, receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course, slug="kursus-satu")
    lms_auth.logout()
    complete_course(lms_client, lms_auth, lms_user, lms_course, slug="kursus-dua",
                    name="Budi Santoso", nip="198802022014021002")
    first, second = deliveries(lms_app)
    assert receiver.requests == []
    with lms_app.app_context():  # the second is not due for an hour
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == second.id)
                           .values(next_attempt_at=utcnow() + dt.timedelta(hours=1)))
        db.session.commit()
    assert deliver(lms_runner) == ("digital-service webhooks: 1 attempted, 1 delivered, 0 to retry, "
                                   "0 failed, 0 skipped")
    assert [body["certificate"]["course_slug"] for body in receiver.bodies()] == ["kursus-satu"]
    assert [row.status for row in deliveries(lms_app)] == [DELIVERED, PENDING]
    make_due(lms_app)
    assert "1 attempted, 1 delivered" in deliver(lms_runner)
    assert [body["certificate"]["holder_name"] for body in receiver.bodies()] == [HOLDER, "Budi Santoso"]


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_URL="")
def test_the_cli_says_in_one_line_when_webhooks_are_off(lms_runner):
    result = lms_runner.invoke(args=["lms", "digital-service-deliver"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: webhooks are off: set DIGITAL_SERVICE_WEBHOOK_URL (LMS_DIGITAL_SERVICE_WEBHOOK_URL) to deliver"]


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_the_cli_limit(lms_app, lms_runner, receiver):
    with lms_app.app_context():
        for n in range(3):
            webhooks.record(webhooks.ISSUED, {"certificate": {"number": f"UJI-{n}"}})
    result = lms_runner.invoke(args=["lms", "digital-service-deliver", "--limit", "2"])
    assert result.exit_code == 0 and "2 attempted, 2 delivered" in result.output
    assert [body["certificate"]["number"] for body in receiver.bodies()] == ["UJI-0", "UJI-1"]


# ------------------------------------------------------------------------- concurrency


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False, DIGITAL_SERVICE_WEBHOOK_TIMEOUT=5)
def test_two_concurrent_deliverers_never_send_a_row_twice(lms_app, receiver):
    receiver.delay = 0.02  # keep both deliverers busy at the same time
    with lms_app.app_context():
        ids = [webhooks.record(webhooks.ISSUED, {"certificate": {"number": f"UJI-{n:02d}"}})
               for n in range(12)]
    start = threading.Barrier(2)
    tallies, errors = [], []

    def deliverer():
        try:
            with lms_app.app_context():
                start.wait(10)
                tallies.append(webhooks.deliver_due())
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    numbers = [body["certificate"]["number"] for body in receiver.bodies()]
    assert sorted(numbers) == [f"UJI-{n:02d}" for n in range(12)]  # each exactly once
    assert sum(t.delivered for t in tallies) == 12 and sum(t.attempted for t in tallies) == 12
    assert [(row.id, row.status, row.attempts) for row in deliveries(lms_app)] == \
        [(i, DELIVERED, 1) for i in ids]


@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_BACKGROUND=False)
def test_a_claimed_row_cannot_be_claimed_again(lms_app, receiver):
    with lms_app.app_context():
        delivery_id = webhooks.record(webhooks.ISSUED, {"certificate": {"number": "UJI-1"}})
        settings = webhooks.current_settings()
        claimed = webhooks.claim(delivery_id, settings)
        assert claimed is not None and claimed.attempts == 1
        assert webhooks.claim(delivery_id, settings) is None  # leased: not due any more
        assert webhooks.deliver_one(delivery_id).result == "skipped"
    [row] = deliveries(lms_app)
    assert row.attempts == 1 and as_utc(row.next_attempt_at) > utcnow()
    assert receiver.requests == []


# ----------------------------------------------------------------------------- revoked


def revoke(client, auth, make_user, number: str, action: str = "revoke", reason: str = "Data ganda"):
    auth.logout()
    auth.login(make_user("admin", name="Admin BKPSDM"))
    page = f"/admin/certificates/{number}"
    response = client.submit(f"{page}/{action}", {"reason": reason}, form_page=page)
    assert response.status_code == 302, response.status_code


def test_a_revoked_certificate_is_posted(lms_app, lms_client, lms_auth, lms_user, lms_course, receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    [certificate] = certificates(lms_app)
    revoke(lms_client, lms_auth, lms_user, certificate["number"])
    assert wait_for_deliveries(10)
    issued, revoked = sorted(receiver.bodies(), key=lambda body: body["event"])
    assert issued["event"] == "certificate.issued"
    assert revoked["event"] == "certificate.revoked" and revoked["reason"] == "Data ganda"
    data = revoked["certificate"]
    assert (data["number"], data["status"], data["replaced_by"]) == (certificate["number"], "revoked", None)
    assert data["revoked_at"] and data["holder_nip"] == HOLDER_NIP
    assert issued["id"] != revoked["id"]
    assert {row.status for row in deliveries(lms_app)} == {DELIVERED}


def test_a_reissue_posts_the_revocation_and_the_new_certificate(lms_app, lms_client, lms_auth, lms_user,
                                                                 lms_course, receiver):
    complete_course(lms_client, lms_auth, lms_user, lms_course)
    [old] = certificates(lms_app)
    revoke(lms_client, lms_auth, lms_user, old["number"], action="reissue", reason="Nama salah ketik")
    assert wait_for_deliveries(10)
    new = certificates(lms_app)[1]
    events = {(body["event"], body["certificate"]["number"]): body for body in receiver.bodies()}
    assert set(events) == {("certificate.issued", old["number"]), ("certificate.revoked", old["number"]),
                           ("certificate.issued", new["number"])}
    revoked = events[("certificate.revoked", old["number"])]
    assert revoked["certificate"]["replaced_by"] == new["number"]
    assert "Nama salah ketik" in revoked["reason"]


# ---------------------------------------------------------------------------- unit bits


def test_backoff_doubles_with_jitter_and_is_capped():
    settings = webhooks.webhook_settings({"DIGITAL_SERVICE_WEBHOOK_BACKOFF": 30,
                                          "DIGITAL_SERVICE_WEBHOOK_BACKOFF_MAX": 3600})
    for attempt, base in ((1, 30), (2, 60), (3, 120), (7, 1920)):
        for _ in range(20):
            assert 0.8 * base <= webhooks.backoff_seconds(attempt, settings) <= 1.2 * base
    assert webhooks.backoff_seconds(8, settings) <= 3600
    assert webhooks.backoff_seconds(500, settings) == 3600


def test_signature_is_hmac_sha256_of_the_body():
    body = json.dumps({"id": "x"}).encode()
    assert webhooks.signature(body, "key") == \
        "sha256=" + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert not webhooks.signature_matches(body, "key", None)
