"""Make ``import lms_digital_service`` work from a source checkout, without installing the plugin.

The generic fixtures (``lms_app``, ``lms_runner``, ...) come from ``lms.testing``, the core's
pytest plugin (entry point ``pytest11: lms``). This file adds what the webhook tests need:
a local HTTP receiver, settings pointing at it, the compiled catalog, and a guard that every
background delivery has finished before the test's app and database go away.
"""
from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
from collections import deque
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

#: The course packages (lms-course/1 folders) this plugin ships.
CURRICULA_DIR = PLUGIN_ROOT / "lms_digital_service" / "curricula"
CATALOG = PLUGIN_ROOT / "lms_digital_service" / "translations" / "id" / "LC_MESSAGES" / "lms_digital_service"


@pytest.fixture
def curricula_dir() -> Path:
    return CURRICULA_DIR


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog():
    """``make`` compiles the .mo (gitignored); do it here when missing or older than the .po."""
    po, mo = CATALOG.with_suffix(".po"), CATALOG.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as source:
            catalog = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalog)


@pytest.fixture(autouse=True)
def _finish_background_deliveries(request):
    """Join the delivery threads before lms_app disposes of the engine (set up after it)."""
    if "lms_app" in request.fixturenames:
        request.getfixturevalue("lms_app")
    yield
    from lms_digital_service import wait_for_deliveries

    assert wait_for_deliveries(timeout=30), "a background webhook delivery did not finish"


# --------------------------------------------------------------------------- receiver


class Receiver:
    """A webhook receiver on 127.0.0.1 recording every POST.

    ``answers`` is a queue of what to do with the next requests: an HTTP status code, or
    ``"hang"`` (hold the request until ``release`` is set, then drop the connection);
    when it is empty the receiver answers ``default`` (200).
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: deque = deque()
        self.default: int | str = 200
        self.delay = 0.0
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": self.headers,  # case-insensitive
                                              "body": body, "json": json.loads(body)})
                    answer = receiver.answers.popleft() if receiver.answers else receiver.default
                if answer == "hang":
                    receiver.release.wait(20)
                    self.close_connection = True
                    return
                if receiver.delay:
                    receiver.release.wait(receiver.delay)
                payload = b"ok" if answer < 400 else b"receiver is broken"
                self.send_response(answer)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/lms"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        with self.lock:
            return [entry["json"] for entry in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def refused_url() -> str:
    """An address where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/lms"


@pytest.fixture
def lms_config(lms_config, request):
    """Point the webhook at the test's receiver (if it uses one), with a short timeout.

    Settings from ``@pytest.mark.lms_config`` win over these defaults.
    """
    defaults = {"DIGITAL_SERVICE_WEBHOOK_TIMEOUT": 0.5}
    if "receiver" in request.fixturenames:
        defaults["DIGITAL_SERVICE_WEBHOOK_URL"] = request.getfixturevalue("receiver").url
    elif "refused_url" in request.fixturenames:
        defaults["DIGITAL_SERVICE_WEBHOOK_URL"] = request.getfixturevalue("refused_url")
    for key, value in defaults.items():
        lms_config.setdefault(key, value)
    return lms_config
