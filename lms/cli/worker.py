"""`flask lms worker`: runs background jobs from the Redis queue (docs/deployment.md).

Start one or more next to the web servers, on any machine that reaches the database,
Redis and the file storage. Each worker also queues the periodic jobs (outbox drains and
the plugins' ``periodic_jobs``), at most one waiting copy of each, so cron is not needed.
Without LMS_REDIS_URL there is no queue: jobs run inside the web process and this command
refuses (exit 1) instead of waiting for work that never comes.
"""
from __future__ import annotations

import logging
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from lms import jobs
from lms.cli import fail

log = logging.getLogger(__name__)


def core_periodic_jobs(app) -> list:
    """The core's own repeated work: the mail and xAPI outboxes (xAPI when in use) and the
    package imports whose job was lost."""
    from lms.plugin import PeriodicJob
    from lms.services import notifications, package_imports, xapi

    found = [PeriodicJob(notifications.send_due, 60), PeriodicJob(package_imports.resume_stale, 60)]
    from lms.services import certificate_lifecycle as certs  # docs/certificates.md, "Lifecycle"

    found += [PeriodicJob(certs.send_expiry_reminders, 3600), PeriodicJob(certs.sign_pending, 300),
              PeriodicJob(certs.render_missing, 600)]
    if (app.config.get("XAPI_ENDPOINT") or "").strip():
        found.append(PeriodicJob(xapi.send_due, 60))
    return found


def periodic_jobs(app) -> list:
    host = app.extensions["lms"]
    return core_periodic_jobs(app) + [job for found in host.call("periodic_jobs") for job in found or []]


def _schedule(app, periodic: list, stop: threading.Event) -> None:
    """Queue each periodic job when it is due, until `stop` is set."""
    import time

    due = {index: 0.0 for index in range(len(periodic))}
    while not stop.is_set():
        now = time.monotonic()
        for index, job in enumerate(periodic):
            if now >= due[index]:
                due[index] = now + max(1, job.seconds)
                try:
                    with app.app_context():
                        path = jobs.path_of(job.func)
                        jobs.enqueue(path, key=f"periodic.{path}")
                except Exception:
                    log.exception("could not queue periodic job %r", job.func)
        stop.wait(1.0)


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit (no periodic jobs).")
@click.option("--no-periodic", is_flag=True, help="Do not queue the periodic jobs from this worker.")
def worker(burst: bool, no_periodic: bool) -> None:
    """Run background jobs from the Redis queue (needs LMS_REDIS_URL)."""
    from rq import SimpleWorker

    app = current_app._get_current_object()
    if jobs.backend(app) != "rq":
        fail("no job queue: set LMS_REDIS_URL (without Redis, jobs run inside the web process "
             "and no worker is needed)")
    jobs.set_worker_app(app)
    queue = jobs.rq_queue(app)
    try:
        queue.connection.ping()
    except Exception as exc:
        fail(f"Redis at LMS_REDIS_URL does not answer: {exc}")
    stop = threading.Event()
    if not burst and not no_periodic:
        periodic = periodic_jobs(app)
        threading.Thread(target=_schedule, args=(app, periodic, stop), daemon=True,
                         name="lms-periodic").start()
        click.echo(f"queueing {len(periodic)} periodic job(s)")
    click.echo(f"worker on queue {queue.name!r}" + (" (burst)" if burst else ""))
    try:
        # SimpleWorker runs jobs in this process (no fork per job): the app, its plugins and
        # templates are loaded once; each job still gets its own app context and session.
        SimpleWorker([queue], connection=queue.connection).work(burst=burst, logging_level="INFO")
    finally:
        stop.set()


COMMANDS = [worker]
