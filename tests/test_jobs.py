"""Background jobs (lms/jobs.py): the same job through each backend, the worker, periodic jobs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from lms import jobs
from lms.database import db
from lms.models import User
from lms.plugin import PeriodicJob, hookimpl


def record(path: str, value: str) -> None:
    """A job: appends what it saw (its app, the users it can read) to a file."""
    users = db.session.scalar(select(func.count()).select_from(User))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"value": value, "app": current_app.config["JOBS_MARK"], "users": users}) + "\n")


def fail_job() -> None:
    raise RuntimeError("job failed on purpose")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _route(app, out: Path, *, key=None, fail=False):
    """A view that queues a job (and optionally fails afterwards)."""

    @app.get("/_queue")
    def _queue():
        jobs.enqueue(record, str(out), "from-request", key=key)
        jobs.enqueue(record, str(out), "from-request", key=key)
        if fail:
            raise RuntimeError("the request failed after queueing")
        return "queued"


def test_path_of_refuses_what_cannot_travel_to_a_worker():
    assert jobs.path_of(record) == f"{__name__}:record"
    with pytest.raises(ValueError):
        jobs.path_of(lambda: None)

    def inner():
        pass

    with pytest.raises(ValueError):
        jobs.path_of(inner)


@pytest.mark.lms_config(JOBS_MARK="eager")
def test_eager_jobs_run_after_the_request_with_their_own_context(lms_app, lms_user, tmp_path):
    out = tmp_path / "jobs.txt"
    _route(lms_app, out, key="once")
    lms_user(email="a@example.go.id")
    assert lms_app.test_client().get("/_queue").status_code == 200
    # the key keeps one of the two identical jobs; the job saw the committed user
    assert lines(out) == [{"value": "from-request", "app": "eager", "users": 1}]


@pytest.mark.lms_config(JOBS_MARK="eager", PROPAGATE_EXCEPTIONS=False)
def test_jobs_of_a_failed_request_are_dropped(lms_app, tmp_path):
    out = tmp_path / "jobs.txt"
    _route(lms_app, out, fail=True)
    assert lms_app.test_client().get("/_queue").status_code == 500
    assert lines(out) == []


@pytest.mark.lms_config(JOBS_MARK="thread", JOBS_BACKEND="thread")
def test_thread_backend_runs_jobs_after_the_response(lms_app, tmp_path):
    out = tmp_path / "jobs.txt"
    _route(lms_app, out)
    assert jobs.backend(lms_app) == "thread"
    assert lms_app.test_client().get("/_queue").status_code == 200
    assert jobs.wait(lms_app, timeout=10)
    assert [line["value"] for line in lines(out)] == ["from-request", "from-request"]


@pytest.mark.lms_config(JOBS_MARK="thread", JOBS_BACKEND="thread")
def test_thread_backend_keeps_running_after_a_job_fails(lms_app, tmp_path, caplog):
    out = tmp_path / "jobs.txt"

    @lms_app.get("/_two")
    def _two():
        jobs.enqueue(fail_job)
        jobs.enqueue(record, str(out), "after")
        return "ok"

    lms_app.test_client().get("/_two")
    assert jobs.wait(lms_app, timeout=10)
    assert [line["value"] for line in lines(out)] == ["after"]
    assert "job failed on purpose" in caplog.text


@pytest.mark.lms_config(JOBS_MARK="cmd", JOBS_BACKEND="thread")
def test_a_command_runs_thread_jobs_at_once(lms_app, tmp_path):
    """A command's process may end before a thread would run: the job runs in the call."""
    out = tmp_path / "jobs.txt"
    with lms_app.app_context():
        jobs.enqueue(record, str(out), "from-command")
    assert [line["value"] for line in lines(out)] == ["from-command"]


def test_unknown_backend_is_refused(lms_app):
    lms_app.config["JOBS_BACKEND"] = "celery"
    with pytest.raises(ValueError, match="JOBS_BACKEND"):
        jobs.backend(lms_app)


def test_auto_backend_follows_redis(lms_app):
    lms_app.config.update(JOBS_BACKEND="auto", REDIS_URL="")
    assert jobs.backend(lms_app) == "thread"
    lms_app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    assert jobs.backend(lms_app) == "rq"


def test_worker_refuses_without_redis(lms_app):
    lms_app.config["JOBS_BACKEND"] = "auto"
    result = lms_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 1
    assert "LMS_REDIS_URL" in result.output


@pytest.fixture
def rq_app(lms_app, redis_url, redis_prefix):
    lms_app.config.update(JOBS_BACKEND="auto", REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix,
                          JOBS_QUEUE=redis_prefix, JOBS_MARK="rq")
    return lms_app


def test_rq_jobs_wait_in_redis_until_a_worker_runs_them(rq_app, lms_user, tmp_path):
    out = tmp_path / "jobs.txt"
    _route(rq_app, out, key="once")
    lms_user(email="a@example.go.id")
    assert rq_app.test_client().get("/_queue").status_code == 200
    assert rq_app.test_client().get("/_queue").status_code == 200
    assert lines(out) == []  # nothing ran in the web process
    assert jobs.rq_queue(rq_app).count == 1  # one waiting copy for the key

    result = rq_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert lines(out) == [{"value": "from-request", "app": "rq", "users": 1}]
    assert jobs.rq_queue(rq_app).count == 0


def test_rq_failed_job_is_kept_for_inspection(rq_app):
    with rq_app.app_context():
        jobs.enqueue(fail_job)
    queue = jobs.rq_queue(rq_app)
    assert rq_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"]).exit_code == 0
    assert queue.failed_job_registry.count == 1


@pytest.mark.lms_config(MAIL_BACKGROUND=True)
def test_mail_drain_goes_to_the_queue_with_redis(rq_app, lms_user):
    """With a queue, the web process never sends mail itself: the worker's drain does."""
    from lms.models import Notification
    from lms.services import notifications

    user = lms_user(email="b@example.go.id")

    @rq_app.get("/_mail")
    def _mail():
        from lms.models import User as U
        notifications.queue(db.session.get(U, user.id), "test", ("Hello", {}), [("Body", {})])
        db.session.commit()
        notifications.kick()
        notifications.kick()
        return "ok"

    assert rq_app.test_client().get("/_mail").status_code == 200
    with rq_app.app_context():
        assert db.session.scalar(select(Notification.status)) == "pending"
    assert jobs.rq_queue(rq_app).count == 1
    assert rq_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"]).exit_code == 0
    with rq_app.app_context():
        assert db.session.scalar(select(Notification.status)) == "sent"


def periodic_record() -> None:
    """A periodic job of the test plugin."""
    record(current_app.config["PERIODIC_OUT"], "periodic")


class PeriodicPlugin:
    @hookimpl
    def periodic_jobs(self):
        return [PeriodicJob(periodic_record, seconds=1)]


def test_worker_queues_core_and_plugin_periodic_jobs(rq_app, lms_plugin, tmp_path):
    import threading

    from lms.cli import worker

    out = tmp_path / "periodic.txt"
    rq_app.config["PERIODIC_OUT"] = str(out)
    lms_plugin(PeriodicPlugin())
    found = worker.periodic_jobs(rq_app)
    assert [job.func.__name__ for job in found] == ["send_due", "resume_stale", "send_expiry_reminders",
                                                    "sign_pending", "render_missing", "periodic_record",
                                                    "send_followups"]

    stop = threading.Event()
    thread = threading.Thread(target=worker._schedule, args=(rq_app, found, stop))
    thread.start()
    try:
        queue = jobs.rq_queue(rq_app)
        import time
        deadline = time.monotonic() + 5
        while queue.count < len(found) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue.count == len(found)  # one waiting copy each, however often the period comes
    finally:
        stop.set()
        thread.join()
    assert rq_app.test_cli_runner().invoke(args=["lms", "worker", "--burst"]).exit_code == 0
    assert [line["value"] for line in lines(out)] == ["periodic"]


@pytest.mark.lms_plugins("digital_service")
@pytest.mark.lms_config(DIGITAL_SERVICE_WEBHOOK_URL="http://127.0.0.1:9/hook")
def test_a_plugin_sends_its_work_to_the_queue_when_there_is_one(rq_app):
    """The bundled webhook plugin (public API only): first attempt and retries in the worker."""
    from lms.cli import worker
    from lms_digital_service import webhooks

    @rq_app.get("/_hook")
    def _hook():
        webhooks.record(webhooks.ISSUED, {"certificate": {"number": "X-1"}})
        return "ok"

    assert rq_app.test_client().get("/_hook").status_code == 200
    waiting = jobs.rq_queue(rq_app).jobs
    assert [job.args[0] for job in waiting] == ["lms_digital_service.webhooks:deliver_one"]
    assert "deliver_due" in [job.func.__name__ for job in worker.periodic_jobs(rq_app)]
