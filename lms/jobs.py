"""Background jobs: work that should not hold up a web request, however the site is deployed.

``enqueue(func, *args, key=None, **kwargs)`` takes a module-level function (it travels by its
dotted name, so a worker on another machine can import it) and JSON-able arguments. The
backend follows ``JOBS_BACKEND``:

- ``rq`` (``auto`` with ``LMS_REDIS_URL``): the job goes to a Redis queue and
  ``flask lms worker`` runs it, on any machine; it survives a web worker's restart.
- ``thread`` (``auto`` without Redis, the embedded default): a daemon thread of the web
  process runs it after the response; commands run it at once (their process may end).
- ``eager``: at once, inside the caller (the test suite).

All three end in :func:`run`, which gives the function an app context and a fresh database
session: one code path, whichever backend carried the job. Jobs queued during a request
leave when the request ends without an error, after its transaction committed, so a worker
never looks for rows that are not there yet. ``key`` drops a job while an identical one is
still waiting (an outbox drain needs to be queued once, not once per event).
"""
from __future__ import annotations

import importlib
import logging
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, g, has_app_context, has_request_context

log = logging.getLogger(__name__)

BACKENDS = ("rq", "thread", "eager")
_THREAD_KEY = "lms.jobs.thread"


@dataclass(frozen=True)
class Job:
    """A function by dotted name ("package.module:function") and its arguments."""

    path: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    key: str | None = None


def path_of(func: Callable) -> str:
    """"module:qualname" of a module-level function; anything else cannot travel to a worker."""
    qualname = getattr(func, "__qualname__", "")
    module = getattr(func, "__module__", None)
    if not module or not qualname or "<" in qualname or "." in qualname:
        raise ValueError(f"{func!r} is not a module-level function; jobs need an importable name")
    return f"{module}:{qualname}"


def resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def backend(app: Flask | None = None) -> str:
    """The backend in use: JOBS_BACKEND, with "auto" read as rq (Redis) or thread."""
    app = app or current_app
    chosen = (app.config.get("JOBS_BACKEND") or "auto").lower()
    if chosen == "auto":
        return "rq" if (app.config.get("REDIS_URL") or "").strip() else "thread"
    if chosen not in BACKENDS:
        raise ValueError(f"JOBS_BACKEND must be auto, {', '.join(BACKENDS)}; not {chosen!r}")
    return chosen


def enqueue(func: Callable | str, *args, key: str | None = None, **kwargs) -> None:
    """Run ``func(*args, **kwargs)`` in the background (see the module docstring)."""
    job = Job(func if isinstance(func, str) else path_of(func), tuple(args), dict(kwargs), key)
    if has_request_context():
        pending = g.setdefault("lms_jobs", [])
        if not any(job.key and queued.key == job.key for queued in pending):
            pending.append(job)
        return
    dispatch(current_app._get_current_object(), [job])


def dispatch(app: Flask, jobs: list[Job]) -> None:
    """Hand jobs to the app's backend now (after the request, or from a command)."""
    kind = backend(app)
    for job in jobs:
        try:
            if kind == "rq":
                _rq_enqueue(app, job)
            elif kind == "thread" and has_request_context():
                _thread_for(app).put(job)
            else:  # eager, or a command with no queue to outlive it
                run(job.path, list(job.args), job.kwargs, app=app)
        except Exception:
            # A broken queue must not fail the request whose work is already committed; the
            # cron commands (send-notifications, send-xapi ...) are the safety net.
            log.exception("could not queue job %s", job.path)


def init_app(app: Flask) -> None:
    """Send the jobs a request queued once it has ended well."""

    @app.teardown_request
    def _send_jobs(exc):
        pending = g.pop("lms_jobs", None)
        if pending and exc is None:
            dispatch(app, pending)


def run(path: str, args: list, kwargs: dict, app: Flask | None = None):
    """Run one job with an app context and its own session (every backend ends here)."""
    from lms.database import db

    app = app or _worker_app()
    func = resolve(path)
    with app.app_context():
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()


# -- thread backend ------------------------------------------------------------------------


class _JobThread:
    """One daemon thread per process and app, working through a queue of jobs."""

    def __init__(self, app: Flask):
        self.app, self.jobs = app, queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="lms-jobs", daemon=True)
        self.waiting: set[str] = set()
        self.lock = threading.Lock()
        self.thread.start()

    def put(self, job: Job) -> None:
        with self.lock:
            if job.key and job.key in self.waiting:
                return
            if job.key:
                self.waiting.add(job.key)
        self.jobs.put(job)

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            with self.lock:
                self.waiting.discard(job.key)
            try:
                run(job.path, list(job.args), job.kwargs, app=self.app)
            except Exception:
                log.exception("background job %s failed", job.path)
            finally:
                self.jobs.task_done()

    def join(self, timeout: float) -> bool:
        """Wait until the queue is empty (tests, orderly shutdown); True if it is."""
        done = threading.Event()
        threading.Thread(target=lambda: (self.jobs.join(), done.set()), daemon=True).start()
        return done.wait(timeout)


_thread_lock = threading.Lock()


def _thread_for(app: Flask) -> _JobThread:
    with _thread_lock:
        runner = app.extensions.get(_THREAD_KEY)
        if runner is None or not runner.thread.is_alive():
            runner = app.extensions[_THREAD_KEY] = _JobThread(app)
        return runner


def wait(app: Flask, timeout: float = 30.0) -> bool:
    """Wait for this process's job thread to go idle; True when nothing is left."""
    runner = app.extensions.get(_THREAD_KEY)
    return True if runner is None else runner.join(timeout)


def after_fork(app: Flask) -> None:
    """A forked worker has no thread: forget the parent's (it would never run)."""
    app.extensions.pop(_THREAD_KEY, None)


# -- rq backend ----------------------------------------------------------------------------


def rq_queue(app: Flask):
    """The RQ queue of this site (JOBS_QUEUE on LMS_REDIS_URL)."""
    from rq import Queue

    from lms.connections import redis_client

    return Queue(app.config["JOBS_QUEUE"], connection=redis_client(app),
                 default_timeout=app.config["JOBS_TIMEOUT"])


def _rq_enqueue(app: Flask, job: Job) -> None:
    from rq.job import Job as RqJob, JobStatus
    from rq.exceptions import NoSuchJobError

    q = rq_queue(app)
    job_id = None
    if job.key:
        job_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"{app.config['REDIS_PREFIX']}-{job.key}")
        try:
            if RqJob.fetch(job_id, connection=q.connection).get_status() == JobStatus.QUEUED:
                return
        except NoSuchJobError:
            pass
    q.enqueue(execute, job.path, list(job.args), job.kwargs, job_id=job_id,
              result_ttl=3600, failure_ttl=7 * 86400, description=job.path)


def execute(path: str, args: list, kwargs: dict):
    """What the RQ worker calls: the job, in the worker's app."""
    return run(path, args, kwargs)


_worker: dict[str, Flask] = {}


def set_worker_app(app: Flask) -> None:
    """The app `flask lms worker` runs jobs in (one per worker process)."""
    _worker["app"] = app


def _worker_app() -> Flask:
    """The worker's app; a plain `rq worker` process builds one from the environment."""
    if "app" not in _worker:
        if has_app_context():
            return current_app._get_current_object()
        from lms import create_app

        _worker["app"] = create_app()
    return _worker["app"]
