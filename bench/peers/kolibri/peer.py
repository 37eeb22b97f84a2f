#!/usr/bin/env python3
"""Kolibri as a peer LMS for the load-test harness (bench/load.py).

Standard library only: this file runs with the project's venv python, while
Kolibri itself lives in its own venv next to this file (``.venv``) with its
own KOLIBRI_HOME (``home``); both are gitignored.

CLI::

    python bench/peers/kolibri/peer.py install
    python bench/peers/kolibri/peer.py start [--port 8090] [--threads N] [--timeout 180]
    python bench/peers/kolibri/peer.py stop
    python bench/peers/kolibri/peer.py status      # exit 0 running, 3 stopped
    python bench/peers/kolibri/peer.py url         # base URL of the running server
    python bench/peers/kolibri/peer.py session     # "Cookie:" value of a logged-in learner

API for the harness::

    from bench.peers.kolibri import peer   # or load it by path
    peer.install()
    base = peer.start(port=8090)            # "http://127.0.0.1:8090"
    cookies = peer.learner_session(base)    # {"kolibri": ..., "kolibri_csrftoken": ..., ...}
    url = base + peer.LEARNER_PATH          # /id/learn/
    peer.stop()

Every failure raises PeerError; the CLI turns it into one line on stderr and
exit status 1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
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

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
KOLIBRI_HOME = HERE / "home"
KOLIBRI_BIN = VENV / "bin" / "kolibri"
VENV_PYTHON = VENV / "bin" / "python"

KOLIBRI_REQUIREMENT = "kolibri>=0.19,<0.20"
HOST = "127.0.0.1"
DEFAULT_PORT = 8090
LANGUAGE = "id"
LEARNER_PATH = "/id/learn/"

FACILITY_NAME = "Bench Facility"
PRESET = "nonformal"  # learners log in with username + password
SUPERUSER = "bench-admin"
SUPERUSER_PASSWORD = "bench-admin-password"
LEARNER = "bench-learner"
LEARNER_PASSWORD = "bench-password"
LEARNER_FULL_NAME = "Bench Learner"

# Nothing may leave the machine: loopback only, no telemetry ping, no zeroconf
# broadcast, and the content/data-portal servers point at a closed local port
# so that anything trying them fails at once instead of hanging.
DEAD_URL = "http://127.0.0.1:9"
KOLIBRI_ENV = {
    "KOLIBRI_HOME": str(KOLIBRI_HOME),
    "KOLIBRI_LISTEN_ADDRESS": HOST,
    "KOLIBRI_DISABLE_PING": "True",
    "KOLIBRI_RUN_MODE": "bench",
    "KOLIBRI_ZEROCONF_ENABLED": "False",
    "KOLIBRI_CENTRAL_CONTENT_BASE_URL": DEAD_URL,
    "KOLIBRI_DATA_PORTAL_SYNCING_BASE_URL": DEAD_URL,
}

OPTIONS_INI = f"""\
# Written by bench/peers/kolibri/peer.py (install); rewritten on every install.
# peer.py also exports the same values as KOLIBRI_* environment variables.
[Deployment]
LISTEN_ADDRESS = {HOST}
HTTP_PORT = {DEFAULT_PORT}
DISABLE_PING = True
RUN_MODE = bench
ZEROCONF_ENABLED = False

[Urls]
CENTRAL_CONTENT_BASE_URL = {DEAD_URL}
DATA_PORTAL_SYNCING_BASE_URL = {DEAD_URL}

[Server]
# CherryPy (cheroot) worker threads of the single Kolibri process. Left at
# Kolibri's default (computed from RAM and the fd limit: 150 on a >= 6 GB
# machine). Override per run with `peer.py start --threads N`
# (KOLIBRI_CHERRYPY_THREAD_POOL).
# CHERRYPY_THREAD_POOL = 150
"""

# (language_id goes through --language_id; giving it here too is a TypeError)
DEVICE_SETTINGS = {
    "allow_guest_access": True,
    "allow_other_browsers_to_connect": True,
    "landing_page": "learn",
}

# Run inside `kolibri manage shell` (Kolibri's Django) by install(): creates or
# resets the learner and re-asserts the device settings. Idempotent.
LEARNER_SCRIPT = f"""
from kolibri.core.auth.models import Facility, FacilityUser
from kolibri.core.device.utils import set_device_settings
facility = Facility.objects.get(name={FACILITY_NAME!r})
user = FacilityUser.objects.filter(username={LEARNER!r}, facility=facility).first()
if user is None:
    user = FacilityUser(username={LEARNER!r}, full_name={LEARNER_FULL_NAME!r}, facility=facility)
user.set_password({LEARNER_PASSWORD!r})
user.save()
set_device_settings(allow_guest_access=True, allow_other_browsers_to_connect=True,
                    landing_page="learn", language_id={LANGUAGE!r})
print("BENCH-LEARNER-OK", facility.id, user.id, user.is_superuser)
"""

PID_FILE = KOLIBRI_HOME / "server.pid"
LOG_FILE = KOLIBRI_HOME / "logs" / "kolibri.txt"
DAEMON_LOG = KOLIBRI_HOME / "logs" / "daemon.txt"
START_LOG = KOLIBRI_HOME / "logs" / "peer-start.txt"
INSTALLED_MARK = KOLIBRI_HOME / ".bench-installed"

# server.pid status codes (kolibri.utils.server)
STATUS_RUNNING = 0
STATUS_STARTING_UP = 4
STATUS_FAILED_TO_START = 6


class PeerError(RuntimeError):
    """A step of the Kolibri peer failed; str() is one readable line."""


# --------------------------------------------------------------------------- helpers


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(text: str, limit: int = 600) -> str:
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _env(threads: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # Do not let the caller's Python/Django environment leak into Kolibri.
    for var in ("PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"):
        env.pop(var, None)
    for var in list(env):
        if var.startswith("KOLIBRI_"):
            del env[var]
    env.update(KOLIBRI_ENV)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    if threads:
        env["KOLIBRI_CHERRYPY_THREAD_POOL"] = str(int(threads))
    return env


def _run(args: list[str], what: str, timeout: float = 900, threads: int | None = None) -> str:
    """Run a command, return its combined output; PeerError on failure."""
    try:
        proc = subprocess.run(
            args,
            check=False,
            env=_env(threads),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise PeerError(f"{what}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise PeerError(f"{what}: timed out after {timeout:.0f}s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        tail = " | ".join(lines[-3:]) if lines else "no output"
        raise PeerError(f"{what} failed (exit {proc.returncode}): {_one_line(tail)}")
    return proc.stdout


def _kolibri(*args: str, what: str | None = None, timeout: float = 900, threads: int | None = None) -> str:
    if not KOLIBRI_BIN.exists():
        raise PeerError(f"Kolibri is not installed in {VENV}; run `peer.py install` first")
    return _run([str(KOLIBRI_BIN), *args], what or f"kolibri {' '.join(args[:2])}", timeout, threads)


def _installed_version() -> str | None:
    if not VENV_PYTHON.exists():
        return None
    try:
        out = subprocess.run(
            [str(VENV_PYTHON), "-c", "import importlib.metadata as m; print(m.version('kolibri'))"],
            check=False, env=_env(), capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _base_python() -> str:
    """python3 used to create the venv (not the project's venv python itself)."""
    base = getattr(sys, "_base_executable", None)
    for cand in (shutil.which("python3"), base, sys.executable):
        if cand and os.path.exists(cand):
            return cand
    raise PeerError("no python3 found to create Kolibri's venv")


def _write_options_ini() -> None:
    KOLIBRI_HOME.mkdir(parents=True, exist_ok=True)
    (KOLIBRI_HOME / "options.ini").write_text(OPTIONS_INI)


def _read_pid_file() -> tuple[int | None, int | None, int | None, int | None]:
    try:
        lines = PID_FILE.read_text().splitlines()
        pid, port, zip_port, status = (ln.strip() for ln in lines[:4])
        return (
            int(pid),
            int(port) if port else None,
            int(zip_port) if zip_port else None,
            int(status),
        )
    except (OSError, ValueError):
        return None, None, None, None


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _our_processes() -> list[int]:
    """PIDs of processes running this venv's `kolibri` script (leftovers)."""
    needle = str(KOLIBRI_BIN).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if needle in argv[:3] and _pid_alive(int(entry)):
            found.append(int(entry))
    return found


def _http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": "bench-peer"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _log_tail(paths: tuple[Path, ...] = (LOG_FILE, DAEMON_LOG), n: int = 6) -> str:
    """Last lines of the first of `paths` that has any, as one line."""
    for path in paths:
        try:
            content = [ln for ln in path.read_text(errors="replace").splitlines()
                       if ln.strip() and "being overridden by environment variable" not in ln]
        except OSError:
            continue
        if content:
            return _one_line(" | ".join([f"[{path.name}]"] + content[-n:]), 900)
    return "(no log written)"


# --------------------------------------------------------------------------- API


def install() -> None:
    """Create the venv, install Kolibri, provision the device and the learner. Idempotent."""
    if not VENV_PYTHON.exists():
        _run([_base_python(), "-m", "venv", str(VENV)], "python3 -m venv", timeout=300)
    version = _installed_version()
    if not version or not version.startswith("0.19."):
        _run(
            [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", KOLIBRI_REQUIREMENT],
            f"pip install {KOLIBRI_REQUIREMENT}",
            timeout=1800,
        )
        version = _installed_version()
        if not version:
            raise PeerError("pip install finished but kolibri is not importable in the venv")
    _write_options_ini()

    if not INSTALLED_MARK.exists():
        settings_file = KOLIBRI_HOME / "bench-device-settings.json"
        settings_file.write_text(json.dumps(DEVICE_SETTINGS))
        # provisiondevice is itself idempotent (existing facility and superuser are kept).
        _kolibri(
            "manage", "provisiondevice",
            "--facility", FACILITY_NAME,
            "--preset", PRESET,
            "--superusername", SUPERUSER,
            "--superuserpassword", SUPERUSER_PASSWORD,
            "--language_id", LANGUAGE,
            "--device_settings", str(settings_file),
            "--noinput",
            what="kolibri manage provisiondevice",
        )
    out = _kolibri("manage", "shell", "-c", LEARNER_SCRIPT, what="creating the learner (kolibri manage shell)")
    if "BENCH-LEARNER-OK" not in out:
        raise PeerError(f"creating the learner printed no confirmation: {_one_line(out[-300:])}")
    INSTALLED_MARK.write_text(f"kolibri {version}\n")


def status() -> dict:
    """{'running': bool, 'pid': int|None, 'port': int|None, 'url': str|None, 'state': int|None}."""
    pid, port, _zip, state = _read_pid_file()
    running = _pid_alive(pid) and state in (STATUS_RUNNING, STATUS_STARTING_UP)
    url = f"http://{HOST}:{port}" if running and port else None
    return {"running": running, "pid": pid if running else None, "port": port if running else None,
            "url": url, "state": state}


def _wait_until_serving(base: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen_pid = False
    while time.monotonic() < deadline:
        pid, _p, _z, state = _read_pid_file()
        if pid:
            seen_pid = True
        if state == STATUS_FAILED_TO_START or (seen_pid and pid and not _pid_alive(pid)):
            raise PeerError(f"Kolibri failed to start on {base}: {_log_tail()}")
        try:
            code, _body = _http_get(base + "/api/public/info/", timeout=5)
            if code == 200 and state == STATUS_RUNNING:
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.5)
    raise PeerError(f"Kolibri did not answer on {base} within {timeout:.0f}s: {_log_tail()}")


def start(port: int = DEFAULT_PORT, threads: int | None = None, timeout: float = 180.0,
          warmup: int = 3) -> str:
    """Start Kolibri's production server (CherryPy) in the background; return the base URL.

    threads: CherryPy thread pool size (KOLIBRI_CHERRYPY_THREAD_POOL); None = Kolibri default.
    warmup: number of anonymous GETs of LEARNER_PATH made after it answers (0 = none).
    """
    port = int(port)
    base = f"http://{HOST}:{port}"
    if not INSTALLED_MARK.exists():
        raise PeerError(f"Kolibri peer is not installed ({INSTALLED_MARK} missing); run `peer.py install` first")
    st = status()
    if st["running"]:
        if st["port"] == port:
            return base
        raise PeerError(f"Kolibri already runs on port {st['port']} (pid {st['pid']}); run `peer.py stop` first")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as cheroot does
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise PeerError(f"port {port} on {HOST} is not free ({exc.strerror}); pick another --port") from None
    _write_options_ini()
    START_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(START_LOG, "w") as log:
        # `kolibri start` (default --background) daemonizes and returns; the
        # server then logs to home/logs/kolibri.txt and daemon.txt.
        proc = subprocess.run(
            [str(KOLIBRI_BIN), "start", "--port", str(port), "--background"],
            check=False, env=_env(threads), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, timeout=300, start_new_session=True,
        )
    try:
        if proc.returncode != 0:
            raise PeerError(f"`kolibri start --port {port}` exited {proc.returncode}: {_log_tail((START_LOG,))}")
        _wait_until_serving(base, timeout)
    except PeerError:
        try:  # do not leave a half-started server behind
            stop()
        except PeerError:
            pass
        raise

    for _ in range(max(0, warmup)):
        try:
            _http_get(base + LEARNER_PATH, timeout=60)
        except (OSError, urllib.error.URLError):
            pass
    return base


def stop(timeout: float = 60.0) -> None:
    """Stop Kolibri (`kolibri stop`), then kill any leftover process of this venv."""
    pid, _port, _zip, _state = _read_pid_file()
    if KOLIBRI_BIN.exists() and (_pid_alive(pid) or PID_FILE.exists()):
        try:
            _kolibri("stop", what="kolibri stop", timeout=timeout)
        except PeerError:
            pass  # fall through to the kill below
    leftovers = set(_our_processes())
    if _pid_alive(pid):
        leftovers.add(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in list(leftovers):
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                leftovers.discard(p)
        end = time.monotonic() + 10
        while leftovers and time.monotonic() < end:
            leftovers = {p for p in leftovers if _pid_alive(p)}
            time.sleep(0.2)
        if not leftovers:
            break
    if leftovers:
        raise PeerError(f"Kolibri processes still alive after SIGKILL: {sorted(leftovers)}")
    if PID_FILE.exists() and not _pid_alive(_read_pid_file()[0]):
        # leave a clean "stopped" state for `kolibri status` and for start()
        try:
            PID_FILE.unlink()
        except OSError:
            pass


def learner_session(base_url: str, username: str = LEARNER, password: str = LEARNER_PASSWORD) -> dict[str, str]:
    """Log the learner in through Kolibri's session API; return its cookies.

    1. GET  /api/public/v1/facility/          -> facility id (by name)
    2. GET  /api/auth/session/current/        -> sets the `kolibri_csrftoken` cookie
    3. POST /api/auth/session/ {username, password, facility}
            with X-CSRFToken + Referer        -> sets the `kolibri` session cookie
    The session expires 1200 s (SESSION_COOKIE_AGE) after login: fetch a new one per run.
    """
    base = base_url.rstrip("/")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    hdrs = {"User-Agent": "bench-peer", "Accept": "application/json"}

    def call(method: str, path: str, body: dict | None = None, extra: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        h = dict(hdrs, **(extra or {}))
        if data is not None:
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(base + path, data=data, headers=h, method=method)
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (OSError, urllib.error.URLError) as exc:
            raise PeerError(f"{method} {base + path}: {exc}") from None

    code, body = call("GET", "/api/public/v1/facility/")
    if code != 200:
        raise PeerError(f"GET /api/public/v1/facility/ answered {code}")
    facilities = json.loads(body)
    facility_id = next((f["id"] for f in facilities if f.get("name") == FACILITY_NAME), None)
    if facility_id is None:
        raise PeerError(f"facility {FACILITY_NAME!r} not found on {base} (got {[f.get('name') for f in facilities]})")

    call("GET", "/api/auth/session/current/?active=false")
    csrf = next((c.value for c in jar if c.name == "kolibri_csrftoken"), None)
    if not csrf:
        raise PeerError("Kolibri set no kolibri_csrftoken cookie on GET /api/auth/session/current/")

    code, body = call(
        "POST", "/api/auth/session/",
        {"username": username, "password": password, "facility": facility_id},
        {"X-CSRFToken": csrf, "Referer": base + "/"},
    )
    if code != 200:
        raise PeerError(f"login of {username!r} failed: POST /api/auth/session/ answered {code}: {_one_line(body.decode(errors='replace'), 200)}")
    session = json.loads(body)
    if session.get("username") != username or "learner" not in (session.get("kind") or []):
        raise PeerError(f"login answered 200 but not as learner {username!r}: kind={session.get('kind')}")
    cookies = {c.name: c.value for c in jar}
    if "kolibri" not in cookies:
        raise PeerError("login answered 200 but set no `kolibri` session cookie")
    return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    """Value for a `Cookie:` request header."""
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peer.py", description="Kolibri peer LMS for bench/load.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="create venv, pip install kolibri, provision device and learner")
    p_start = sub.add_parser("start", help="start Kolibri's production server in the background")
    p_start.add_argument("--port", type=int, default=DEFAULT_PORT)
    p_start.add_argument("--threads", type=int, default=None,
                         help="CherryPy thread pool (default: Kolibri's own, 150 here)")
    p_start.add_argument("--timeout", type=float, default=180.0)
    sub.add_parser("stop", help="stop Kolibri and any leftover process")
    sub.add_parser("status", help="exit 0 if running, 3 if not")
    sub.add_parser("url", help="print the base URL of the running server")
    sub.add_parser("session", help="print the Cookie header value of a logged-in learner")
    args = parser.parse_args(argv)

    try:
        if args.cmd == "install":
            t0 = time.monotonic()
            install()
            print(f"kolibri {_installed_version()} installed in {VENV}, home {KOLIBRI_HOME} "
                  f"({time.monotonic() - t0:.0f}s)")
        elif args.cmd == "start":
            print(start(port=args.port, threads=args.threads, timeout=args.timeout))
        elif args.cmd == "stop":
            stop()
            print("stopped")
        elif args.cmd == "status":
            st = status()
            if st["running"]:
                print(f"running pid={st['pid']} url={st['url']}")
                return 0
            print("stopped")
            return 3
        elif args.cmd == "url":
            st = status()
            if not st["running"]:
                raise PeerError("Kolibri is not running; run `peer.py start` first")
            print(st["url"])
        elif args.cmd == "session":
            st = status()
            if not st["running"]:
                raise PeerError("Kolibri is not running; run `peer.py start` first")
            print(cookie_header(learner_session(st["url"])))
    except PeerError as exc:
        print(f"kolibri peer: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kolibri peer: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
