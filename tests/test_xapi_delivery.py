"""xAPI delivery end to end: learner journeys through the pages, the outbox, a real HTTP LRS.

The fake LRS is a small HTTP server on 127.0.0.1 that checks Basic auth and the
X-Experience-API-Version header, stores statements like an LRS (409 for an id it already
has, the batch stored whole or not at all), and can be told to answer an error or to hang.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from markupsafe import Markup
from sqlalchemy import func, select, text, update

from lms.database import db
from lms.models import XapiStatement, XapiStatus
from lms.plugin import Completion, LessonType, PreparedLesson, hookimpl
from lms.services import xapi as outbox
from lms.xapi.statements import component_id

sys.path.insert(0, str(Path(__file__).parent / "xapi"))
from xapi_checker import assert_valid  # noqa: E402

USER, PASSWORD = "lms-semarang", "rahasia-lrs"
ADL = "http://adlnet.gov/expapi/verbs/"
QUESTIONS = [
    {"id": "agenda", "type": "single", "text": "Surat masuk dicatat di buku apa?",
     "options": [{"id": "a", "text": "Buku agenda", "fraction": 1}, {"id": "b", "text": "Buku tamu", "fraction": 0}]},
    {"id": "ttd", "type": "truefalse", "text": "TTE sah secara hukum.", "answer": True},
    {"id": "srikandi", "type": "short", "text": "Nama aplikasi e-office nasional?",
     "answers": [{"text": "SRIKANDI", "fraction": 1}]},
]


class FakeLrs:
    """A tiny LRS: POST /xapi/statements with a JSON array, like Learning Locker or SQL LRS."""

    def __init__(self):
        self.stored: list[dict] = []
        self.requests: list[list[dict]] = []
        self.refusals: list[str] = []
        #: Answers for the next requests, oldest first: (status, body, headers).
        self.answers: list[tuple[int, str, dict]] = []
        #: Refuse (400) any batch holding a statement this returns True for.
        self.reject = None
        self.delay = 0.0
        self.hanging = False
        self.release = threading.Event()
        self.lock = threading.Lock()
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                lrs.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"

    def start(self) -> FakeLrs:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        status, answer, headers = self.decide(request, body)
        request.send_response(status)
        for name, value in {"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3",
                            **headers}.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(answer.encode())))
        request.end_headers()
        request.wfile.write(answer.encode())

    def decide(self, request, body: bytes) -> tuple[int, str, dict]:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.path != "/xapi/statements":
            return 404, '{"message": "not found"}', {}
        if request.headers.get("Authorization") != expected:
            self.refusals.append("auth")
            return 401, '{"message": "unauthorised"}', {}
        if request.headers.get("X-Experience-API-Version") != "1.0.3":
            self.refusals.append("version")
            return 400, '{"message": "X-Experience-API-Version header missing"}', {}
        batch = json.loads(body)
        with self.lock:
            self.requests.append(batch)
        if self.hanging:
            self.release.wait(10)
        time.sleep(self.delay)
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            if self.reject and any(self.reject(s) for s in batch):
                return 400, '{"message": "invalid statement: object.definition.name"}', {}
            known = {s["id"] for s in self.stored}
            if any(s["id"] in known for s in batch):
                return 409, '{"message": "statement id conflict"}', {}
            self.stored.extend(batch)
        return 200, json.dumps([s["id"] for s in batch]), {}

    def verbs(self) -> list[str]:
        return [s["verb"]["id"].rsplit("/", 1)[-1] for s in self.stored]


@pytest.fixture
def lrs(request, lms_config):
    """A running fake LRS, and an lms_app configured to send to it (request it first)."""
    server = FakeLrs().start()
    lms_config.update(XAPI_ENDPOINT=server.endpoint, XAPI_USERNAME=USER, XAPI_PASSWORD=PASSWORD,
                      XAPI_TIMEOUT=0.5, XAPI_CLAIM_SECONDS=30, BASE_URL="https://lms.semarangkota.go.id")
    app = request.getfixturevalue("lms_app")
    assert app.config["XAPI_ENDPOINT"] == server.endpoint, "request the lrs fixture before lms_app"
    yield server
    outbox.wait_for_sender(app, timeout=5)
    server.stop()


# ------------------------------------------------------------------ helpers


def send(app, **options) -> outbox.SendTally:
    with app.app_context():
        return outbox.send_due(**options)


def rows(app) -> list[XapiStatement]:
    with app.app_context():
        found = list(db.session.scalars(select(XapiStatement).order_by(XapiStatement.id)))
        db.session.expunge_all()
        return found


def verbs_queued(app) -> list[str]:
    return [row.verb for row in rows(app)]


def enrol(client, slug: str):
    return client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")


def complete(client, slug: str, key: str):
    """Mark a lesson done with a token from the course page (opening the lesson would
    itself be a "launched" statement)."""
    return client.submit(f"/learn/{slug}/{key}/complete", form_page=f"/courses/{slug}")


def take_quiz(client, slug: str, right: bool):
    started = client.submit(f"/learn/{slug}/quiz/kuis/start", form_page=f"/learn/{slug}/quiz/kuis")
    path = started.location
    page = client.get(path).get_data(as_text=True)
    choice = "Buku agenda" if right else "Buku tamu"
    value = re.search(r'<input[^>]*value="([^"]+)"[^>]*>\s*(?:<span[^>]*>)?\s*' + choice, page).group(1)
    answers = {"q0": value, "q1": "true" if right else "false", "q2": "srikandi" if right else "arsip"}
    return client.submit(path + "/submit", answers, form_page=path)


@pytest.fixture
def learner(lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    return user


# ------------------------------------------------------------------ off by default


def test_off_by_default_nothing_is_queued_and_the_command_says_so(lms_app, lms_client, learner,
                                                                  lms_course, lms_runner, lms_queries):
    lms_course("mati", lessons=1, questions=QUESTIONS)
    enrol(lms_client, "mati")
    with lms_queries() as queries:
        assert lms_client.get("/learn/mati/pelajaran-1").status_code == 200
    assert not any("xapi_statements" in sql for sql in queries.statements)
    complete(lms_client, "mati", "pelajaran-1")
    take_quiz(lms_client, "mati", right=True)
    assert rows(lms_app) == []
    result = lms_runner.invoke(args=["lms", "send-xapi"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: xAPI is off: set LMS_XAPI_ENDPOINT to the LRS's xAPI address"


# ------------------------------------------------------------------ journeys


def test_a_learner_journey_reaches_the_lrs_in_order(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("jalan", lessons=2, jp=4, questions=QUESTIONS, quiz={"pass": 70})
    enrol(lms_client, "jalan")
    lms_client.get("/learn/jalan/pelajaran-1")
    complete(lms_client, "jalan", "pelajaran-1")
    lms_client.get("/learn/jalan/pelajaran-2")
    complete(lms_client, "jalan", "pelajaran-2")
    assert lrs.requests == []  # learners' requests only queue (no background thread in tests)
    take_quiz(lms_client, "jalan", right=True)

    tally = send(lms_app)
    assert (tally.sent, tally.retry, tally.failed) == (11, 0, 0)
    assert lrs.verbs() == ["registered", "launched", "completed", "launched", "completed",
                           "answered", "answered", "answered", "passed", "completed", "earned"]
    for statement in lrs.stored:
        assert_valid(statement)
    assert lrs.refusals == []
    site = "https://lms.semarangkota.go.id"
    objects = [s["object"]["id"] for s in lrs.stored]
    assert objects[:3] == [f"{site}/courses/jalan", f"{site}/courses/jalan/lessons/pelajaran-1",
                           f"{site}/courses/jalan/lessons/pelajaran-1"]
    assert objects[5] == f"{site}/courses/jalan/quizzes/kuis/questions/agenda"
    assert objects[8:] == [f"{site}/courses/jalan/quizzes/kuis", f"{site}/courses/jalan",
                           f"{site}/courses/jalan/certificate"]
    assert {s["actor"]["account"]["name"] for s in lrs.stored} == {str(learner.id)}
    assert len({s["context"]["registration"] for s in lrs.stored}) == 1
    assert lrs.stored[5]["result"]["response"] == component_id("Buku agenda")
    assert lrs.stored[8]["result"]["score"] == {"scaled": 1, "raw": 3, "min": 0, "max": 3}
    assert lrs.stored[9]["result"]["extensions"] == {f"{site}/xapi/extensions/jp": 4}
    assert {row.status for row in rows(lms_app)} == {XapiStatus.SENT}


def test_a_failed_quiz_is_failed_and_answers_keep_their_scores(lrs, lms_app, lms_client, learner,
                                                               lms_course):
    lms_course("gagal", lessons=1, questions=QUESTIONS)
    enrol(lms_client, "gagal")
    take_quiz(lms_client, "gagal", right=False)
    send(lms_app)
    assert lrs.verbs() == ["registered", "answered", "answered", "answered", "failed"]
    failed = lrs.stored[-1]
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] == 0
    assert failed["result"]["duration"].startswith("PT")
    assert all(s["result"]["success"] is False for s in lrs.stored[1:4])
    for statement in lrs.stored:
        assert_valid(statement)


def test_an_event_is_queued_once(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("sekali", lessons=2)
    enrol(lms_client, "sekali")
    for _ in range(2):  # a repeated completion is not a new event
        complete(lms_client, "sekali", "pelajaran-1")
    assert verbs_queued(lms_app) == ["registered", "completed"]


def test_revoking_a_certificate_voids_its_statement(lrs, lms_app, lms_client, learner, lms_course,
                                                    lms_user):
    from lms.models import Certificate, User
    from lms.services import certificates

    lms_course("cabut", lessons=1)
    enrol(lms_client, "cabut")
    complete(lms_client, "cabut", "pelajaran-1")
    admin = lms_user("admin", nip=None)
    with lms_app.test_request_context():
        certificate = db.session.scalar(select(Certificate))
        certificates.revoke(certificate, db.session.get(User, admin.id), "salah nama")
    send(lms_app)
    assert lrs.verbs()[-2:] == ["earned", "voided"]
    assert lrs.stored[-1]["object"] == {"objectType": "StatementRef", "id": lrs.stored[-2]["id"]}
    for statement in lrs.stored:
        assert_valid(statement)


# ------------------------------------------------------------------ an LRS that is down


@pytest.mark.lms_config(XAPI_BACKGROUND=True)
def test_a_hanging_lrs_never_slows_the_learner(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("lambat", lessons=3)
    lrs.hanging = True
    enrol(lms_client, "lambat")
    for key in ("pelajaran-1", "pelajaran-2", "pelajaran-3"):
        began = time.monotonic()
        assert lms_client.get(f"/learn/lambat/{key}").status_code == 200
        assert time.monotonic() - began < 0.4  # well under XAPI_TIMEOUT (0.5 s)
    assert outbox.wait_for_sender(lms_app, timeout=10)
    waiting = rows(lms_app)
    assert len(waiting) == 4 and {r.status for r in waiting} == {XapiStatus.PENDING}
    assert all(r.attempts >= 1 and "no answer from the LRS within 0.5 s" in r.last_error for r in waiting)


@pytest.mark.lms_config(XAPI_RETRY_SECONDS=60, XAPI_RETRY_MAX_SECONDS=900)
def test_retries_back_off_then_deliver_when_the_lrs_is_back(lrs, lms_app, lms_client, learner,
                                                             lms_course):
    lms_course("putus", lessons=1)
    enrol(lms_client, "putus")
    lms_client.get("/learn/putus/pelajaran-1")
    start = dt.datetime.now(dt.timezone.utc)
    delays = []
    for attempt in range(1, 6):
        lrs.answers.append((503, '{"message": "maintenance"}', {}))
        moment = start + dt.timedelta(seconds=2000 * attempt)
        tally = send(lms_app, now=moment)
        assert (tally.sent, tally.retry) == (0, 2) and "LRS answered 503" in tally.stopped
        waiting = rows(lms_app)
        assert {r.attempts for r in waiting} == {attempt}
        delays.append(round((_aware(waiting[0].next_attempt_at) - moment).total_seconds()))
        assert send(lms_app, now=moment).attempted == 0  # not due again yet
    assert delays == [60, 120, 240, 480, 900]  # doubling, capped
    tally = send(lms_app, now=start + dt.timedelta(days=1))
    assert (tally.sent, tally.retry, tally.failed) == (2, 0, 0)
    assert lrs.verbs() == ["registered", "launched"]
    assert all(r.last_error is None and r.sent_at is not None for r in rows(lms_app))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def test_retry_after_from_the_lrs_is_respected(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("sibuk", lessons=1)
    enrol(lms_client, "sibuk")
    lrs.answers.append((429, '{"message": "slow down"}', {"Retry-After": "900"}))
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert send(lms_app, now=moment).retry == 1
    assert (_aware(rows(lms_app)[0].next_attempt_at) - moment).total_seconds() == 900


@pytest.mark.lms_config(XAPI_MAX_ATTEMPTS=2)
def test_statements_fail_after_the_last_attempt_and_can_be_requeued(lrs, lms_app, lms_client, learner,
                                                                     lms_course, lms_runner):
    lms_course("habis", lessons=1)
    enrol(lms_client, "habis")
    lrs.answers += [(500, "boom", {})] * 2
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert send(lms_app, now=later).retry == 1
    assert send(lms_app, now=later + dt.timedelta(days=1)).failed == 1
    row = rows(lms_app)[0]
    assert (row.status, row.attempts, row.last_error) == (XapiStatus.FAILED, 2, "LRS answered 500: boom")
    result = lms_runner.invoke(args=["lms", "send-xapi"])  # nothing due: failed rows stay failed
    assert result.exit_code == 0 and "0 sent, 0 to retry, 0 failed; 0 waiting" in result.output
    result = lms_runner.invoke(args=["lms", "send-xapi", "--requeue-failed"])
    assert result.exit_code == 0, result.output
    assert "1 failed statement(s) queued again" in result.output and "1 sent" in result.output
    assert lrs.verbs() == ["registered"]


# ------------------------------------------------------------------ refusals


@pytest.mark.lms_config(XAPI_BATCH_SIZE=8)
def test_a_refused_statement_is_isolated_and_the_rest_go_through(lrs, lms_app, lms_client, learner,
                                                                 lms_course):
    lms_course("tolak", lessons=5)
    enrol(lms_client, "tolak")
    for n in range(1, 6):
        lms_client.get(f"/learn/tolak/pelajaran-{n}")
    bad = "/lessons/pelajaran-3"
    lrs.reject = lambda statement: statement["object"]["id"].endswith(bad)
    tally = send(lms_app)
    assert (tally.sent, tally.retry, tally.failed) == (5, 0, 1)
    assert len(lrs.stored) == 5 and not any(s["object"]["id"].endswith(bad) for s in lrs.stored)
    failed = [r for r in rows(lms_app) if r.status == XapiStatus.FAILED]
    assert len(failed) == 1 and bad in json.loads(failed[0].payload)["object"]["id"]
    assert failed[0].last_error == 'LRS answered 400: {"message": "invalid statement: object.definition.name"}'
    assert len(lrs.requests) <= 1 + 2 * 3  # split in halves: a few requests, not one per statement


def test_statements_the_lrs_already_has_count_as_sent(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("ulang", lessons=2)
    enrol(lms_client, "ulang")
    lms_client.get("/learn/ulang/pelajaran-1")
    send(lms_app)
    lms_client.get("/learn/ulang/pelajaran-2")
    with lms_app.app_context():  # a sender died after the LRS stored the batch: sent again
        db.session.execute(update(XapiStatement).values(
            status=XapiStatus.PENDING, next_attempt_at=dt.datetime.now(dt.timezone.utc)))
        db.session.commit()
    tally = send(lms_app)
    assert (tally.sent, tally.failed) == (3, 0)  # the 409s are split down to the new statement
    assert lrs.verbs() == ["registered", "launched", "launched"]


@pytest.mark.parametrize("status, hint", [(401, "check LMS_XAPI_USERNAME"),
                                          (404, "check LMS_XAPI_ENDPOINT")])
def test_wrong_credentials_or_address_stop_the_run_without_losing_anything(
        lrs, lms_app, lms_client, learner, lms_course, lms_runner, status, hint):
    lms_course("salah", lessons=1)
    enrol(lms_client, "salah")
    lrs.answers.append((status, "{}", {}))
    result = lms_runner.invoke(args=["lms", "send-xapi"])
    assert result.exit_code == 2
    assert "0 sent, 1 to retry, 0 failed; 1 waiting" in result.output
    assert hint in result.output
    assert rows(lms_app)[0].status == XapiStatus.PENDING


def test_the_command_sends_and_reports(lrs, lms_app, lms_client, learner, lms_course, lms_runner):
    lms_course("cron", lessons=2)
    enrol(lms_client, "cron")
    lms_client.get("/learn/cron/pelajaran-1")
    lms_client.get("/learn/cron/pelajaran-2")
    result = lms_runner.invoke(args=["lms", "send-xapi", "--limit", "2"])
    assert result.exit_code == 0 and result.output.strip() == "2 sent, 0 to retry, 0 failed; 1 waiting"
    result = lms_runner.invoke(args=["lms", "send-xapi"])
    assert result.exit_code == 0 and result.output.strip() == "1 sent, 0 to retry, 0 failed; 0 waiting"
    assert lrs.verbs() == ["registered", "launched", "launched"]


def test_an_unreachable_lrs_is_a_retry(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("jauh", lessons=1)
    enrol(lms_client, "jauh")
    lms_app.config["XAPI_ENDPOINT"] = "http://127.0.0.1:9/xapi"  # discard port: nothing listens
    tally = send(lms_app)
    assert tally.retry == 1 and "cannot reach the LRS" in tally.stopped


# ------------------------------------------------------------------ several senders


@pytest.mark.lms_config(XAPI_BATCH_SIZE=3, SQLALCHEMY_ENGINE_OPTIONS={
    "pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, "pool_timeout": 60})
def test_two_senders_never_post_a_statement_twice(lrs, lms_app, lms_client, learner, lms_course):
    lms_course("ramai", lessons=12)
    enrol(lms_client, "ramai")
    for n in range(1, 13):
        for _ in range(3):
            lms_client.get(f"/learn/ramai/pelajaran-{n}")
    lrs.delay = 0.01
    tallies, errors, go = [], [], threading.Barrier(4)

    def sender():
        try:
            go.wait()
            tallies.append(send(lms_app))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    posted = [s["id"] for batch in lrs.requests for s in batch]
    assert len(posted) == len(set(posted)) == 37  # each statement posted exactly once
    assert sum(t.sent for t in tallies) == 37 and lrs.refusals == []
    with lms_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(XapiStatement)
                                 .where(XapiStatement.status != XapiStatus.SENT)) == 0


def test_a_claim_skips_rows_another_sender_holds(lrs, lms_app, lms_client, learner, lms_course):
    """PostgreSQL: while one sender's claim has rows locked, another takes the next ones at
    once instead of waiting (FOR UPDATE SKIP LOCKED)."""
    if not lms_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite serialises writing transactions (BEGIN IMMEDIATE)")
    lms_course("kunci", lessons=3)
    enrol(lms_client, "kunci")
    for n in range(1, 4):
        lms_client.get(f"/learn/kunci/pelajaran-{n}")
    with lms_app.app_context():
        first_ids = list(db.session.scalars(select(XapiStatement.id).order_by(XapiStatement.id)))
        with db.engine.connect() as holder:  # another sender, mid-claim
            holder.execute(text("SET lock_timeout = '5s'"))
            holder.execute(text("SELECT id FROM xapi_statements WHERE id IN (:a, :b) FOR UPDATE")
                           .bindparams(a=first_ids[0], b=first_ids[1]))
            began = time.monotonic()
            claimed = outbox.claim_batch(10, 30)
            assert time.monotonic() - began < 2
            holder.rollback()
        assert sorted(c.id for c in claimed) == first_ids[2:]


# ------------------------------------------------------------------ the lesson_viewed hook


class QuoteLesson(LessonType):
    """A lesson type that completes on opening (Completion.VIEW)."""

    key = "quote-view"
    label = "Quotation"
    completion = Completion.VIEW

    def validate(self, entry):
        return [] if entry.get("text") else ["text: required"]

    def prepare(self, entry, body):
        return PreparedLesson(data={"text": entry["text"]})

    def render(self, lesson):
        return Markup("<blockquote>{}</blockquote>").format(lesson.data["text"])


class QuotePlugin:
    lms_api = "1.2"

    @hookimpl
    def register_lesson_types(self):
        return [QuoteLesson()]


@pytest.mark.lms_config(PLUGIN_OBJECTS={"quote": QuotePlugin()})
def test_opening_a_lesson_is_viewed_then_completed_after_commit(lrs, lms_app, lms_client, learner,
                                                                lms_course, lms_events):
    lms_course("kutip", lessons=1, extra_lessons=[
        {"id": "kutipan", "title": "Kutipan", "type": "quote-view", "text": "Melayani dengan hati."}])
    enrol(lms_client, "kutip")
    lms_client.get("/learn/kutip/pelajaran-1")
    lms_client.get("/learn/kutip/kutipan")
    assert lms_events.names() == ["learner_enrolled", "lesson_viewed", "lesson_viewed",
                                  "lesson_completed"]
    viewed = lms_events.calls[2][1]
    assert viewed["lesson"]["key"] == "kutipan" and viewed["enrollment"]["last_lesson_key"] == "kutipan"
    with lms_app.app_context():  # committed before the hook ran
        from lms.models import Enrollment
        assert db.session.scalar(select(Enrollment.last_lesson_key)) == "kutipan"
    send(lms_app)
    assert lrs.verbs() == ["registered", "launched", "launched", "completed"]
    assert lrs.stored[-1]["object"]["definition"]["name"] == {"id": "Kutipan"}
