"""Two app servers (gunicorn, two workers each) on one database behave as one site.

The servers run the production configuration from ``lms/gunicorn_conf.py`` against the test
database (PostgreSQL in CI's second pass, a SQLite file otherwise) and, when there is one,
a shared Redis. A visitor's cookie moves freely between them; what one server writes the
other shows; publishing on either is seen by both at once (the cache is invalidated
everywhere); and the public verify limit holds across both.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn app server on its own port."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [GUNICORN, "-c", "python:lms.gunicorn_conf", "wsgi:app"], cwd=ROOT,
                env={**env, "LMS_BIND": f"127.0.0.1:{self.port}"}, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        pytest.fail(f"server not ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A visitor with one cookie jar, talking to whichever server it is told to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, url: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(urllib.request.Request(url, data=body), timeout=15) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def csrf(self, url: str) -> str:
        status, page = self.get(url)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert match, f"no CSRF token on {url} ({status})"
        return match.group(1)


@pytest.fixture
def two_servers(lms_app, lms_database_url, tmp_path, request):
    if GUNICORN is None:
        pytest.fail("gunicorn is not installed in this environment")
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    env.update({
        "LMS_CONFIG": "production", "LMS_SECRET_KEY": "two-servers-one-site-secret-key-0123456789",
        "LMS_DATABASE_URL": lms_database_url, "LMS_PLUGINS": "[]", "LMS_WORKERS": "2",
        "LMS_STORAGE_DIR": str(tmp_path / "storage"), "LMS_SESSION_COOKIE_SECURE": "false",
        "LMS_REMEMBER_COOKIE_SECURE": "false", "LMS_VERIFY_RATE_LIMIT": "4 per minute",
        "LMS_CREDENTIAL_KEY": "", "LMS_ACCESS_LOG": "",
    })
    if request.node.get_closest_marker("redis"):
        env.update({"LMS_REDIS_URL": request.getfixturevalue("redis_url"),
                    "LMS_REDIS_PREFIX": request.getfixturevalue("redis_prefix")})
        # this process publishes too: like every process of a site, it shares the Redis
        lms_app.config.update(REDIS_URL=env["LMS_REDIS_URL"], REDIS_PREFIX=env["LMS_REDIS_PREFIX"])
        lms_app.extensions.pop("lms.cache", None)
    servers = [Server(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _scenario(lms_app, lms_user, lms_course, two_servers):
    one, two = two_servers
    learner = lms_user(name="Sri Rahayu", email="sri@example.go.id")
    course = lms_course("kursus-skala", title="Kursus Skala Lama")
    visitor = Browser()

    # signed in on server one, the same cookie is a session on server two (any worker)
    token = visitor.csrf(one.url + "/login")
    assert visitor.post(one.url + "/login", {"csrf_token": token, "login": learner.email,
                                             "password": learner.password}) == 302
    for _ in range(4):  # several requests: both workers of server two answer some
        status, page = visitor.get(two.url + "/profile")
        assert status == 200 and "sri@example.go.id" in page

    # a write on server two (with the CSRF token server one issued) is seen on server one
    token = visitor.csrf(two.url + f"/courses/{course.slug}")
    assert visitor.post(two.url + f"/courses/{course.slug}/enrol", {"csrf_token": token}) == 302
    status, page = visitor.get(one.url + f"/learn/{course.slug}/{course.lesson_keys[0]}")
    assert status == 200 and "Pelajaran 1" in page

    # both catalogs cached the old title; publishing a new version shows on both at once
    for server in (one, two):
        for _ in range(3):
            assert "Kursus Skala Lama" in visitor.get(server.url + "/courses")[1]
    lms_course("kursus-skala", title="Kursus Skala Baru")
    for server in (one, two):
        for _ in range(3):
            page = visitor.get(server.url + "/courses")[1]
            assert "Kursus Skala Baru" in page and "Kursus Skala Lama" not in page
    return visitor


def test_two_servers_behave_as_one_site(lms_app, lms_user, lms_course, two_servers):
    _scenario(lms_app, lms_user, lms_course, two_servers)


@pytest.mark.redis
def test_two_servers_share_rate_limits_and_cache_through_redis(lms_app, lms_user, lms_course,
                                                               two_servers):
    visitor = _scenario(lms_app, lms_user, lms_course, two_servers)
    one, two = two_servers
    codes = [visitor.get(server.url + "/verify/NOPE-0000")[0] for server in (one, two, one, two, one)]
    assert codes == [404, 404, 404, 404, 429]  # 4 per minute for the site, not per server
