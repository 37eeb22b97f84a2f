"""A schemathesis run against the API's own OpenAPI document, as CI runs it.

The test app (demo courses; an administrator, then a learner, with a read-write token) is served over HTTP
on 127.0.0.1 and the schemathesis command line tests every operation with generated input,
valid and invalid, with every check: no server error, every status documented, every body
matching its schema, invalid input refused. The run's own report is shown when it fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

#: Generated calls per operation and phase: enough to reach every parameter, quick in `make test`.
MAX_EXAMPLES = int(os.environ.get("LMS_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(params=["admin", "learner"])
def served_api(request, lms_app, lms_user):
    """(base URL, token of the role) of the test app served on a free loopback port."""
    from werkzeug.serving import make_server

    from lms.database import db
    from lms.models import User
    from lms.services import tokens
    from lms.services.demo import seed_courses

    with lms_app.app_context():
        seed_courses()
        caller = db.session.get(User, lms_user(request.param).id)
        _token, secret = tokens.create(caller, name="schemathesis", write=True, days=7)
    server = make_server("127.0.0.1", 0, lms_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="api-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", secret
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(served_api, tmp_path):
    base_url, token = served_api
    command = [_st(), "run", f"{base_url}/api/v1/openapi.json", "--checks", "all",
               "--header", f"Authorization: Bearer {token}", "--max-examples", str(MAX_EXAMPLES),
               "--seed", "20261124", "--workers", "1", "--request-timeout", "30",
               "--generation-deterministic", "--no-shrink",
               "--report", "junit", "--report-dir", str(tmp_path)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]


def _st() -> str:
    """The schemathesis command installed beside this Python (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("st")
    return str(beside) if beside.exists() else (shutil.which("st") or "st")
