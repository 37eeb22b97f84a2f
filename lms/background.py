"""Draining an outbox from a background thread after a web request (mail, xAPI ...).

The request that queued rows answers at once; one daemon thread per process and app then
sends them. A kick while it runs makes it look once more. Commands never start it (their
process could end, and kill the thread, mid-send): cron commands are the safety net.
With a job queue (LMS_REDIS_URL) the kick queues the same drain for `flask lms worker`
instead (once while one is waiting), so no web process sends anything.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import current_app, has_request_context

from lms import jobs

log = logging.getLogger(__name__)


@dataclass
class _State:
    thread: threading.Thread | None = None
    again: bool = False


class Sender:
    """A background drain: `drain()` runs in an app context while `setting` is on."""

    def __init__(self, name: str, setting: str, drain: str):
        self.name, self.setting, self.drain_path = name, setting, drain
        self.state_key = f"lms.{name}.sender"
        self._lock = threading.Lock()

    def kick(self) -> threading.Thread | None:
        """Start (or re-arm) the thread; never raises and never waits."""
        app = current_app._get_current_object()
        if not app.config.get(self.setting) or not has_request_context():
            return None
        if jobs.backend(app) == "rq":
            jobs.enqueue(self.drain_path, key=f"drain.{self.name}")
            return None
        try:
            with self._lock:
                state = app.extensions.setdefault(self.state_key, _State())
                if state.thread is not None and state.thread.is_alive():
                    state.again = True
                    return state.thread
                state.again = False
                state.thread = threading.Thread(target=self._run, args=(app, state), daemon=True,
                                                name=f"lms-{self.name}")
                state.thread.start()
                return state.thread
        except Exception:
            log.exception("could not start the background %s sender", self.name)
            return None

    def _run(self, app, state: _State) -> None:
        while True:
            try:
                with app.app_context():  # its own session, removed when the context ends
                    jobs.resolve(self.drain_path)()
            except Exception:
                log.exception("background %s sender failed; its cron command will retry", self.name)
            with self._lock:
                if not state.again:
                    state.thread = None
                    return
                state.again = False

    def wait(self, app, timeout: float = 30.0) -> bool:
        """Wait for the thread of `app` (tests, orderly shutdown); True if it ended."""
        with self._lock:
            state = app.extensions.get(self.state_key)
            thread = state.thread if state else None
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True
