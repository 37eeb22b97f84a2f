"""Load harness: the learner journey against gunicorn, in one command (issue #10).

    python bench/load.py [--smoke] [--database-url URL] [--reuse-data] [--concurrency 20]
                         [--duration 15] [--workers 2] [--burst 500] [--peer kolibri|none] ...

What it does, in order:

1. Builds the data: ``flask db upgrade heads`` then ``flask lms bench-data`` (100,000 users,
   10,000 courses, 1,000,000 completions, the first 1,000 users learners of
   ``bench-course-00001`` with the password ``bench-password``). ``--reuse-data`` keeps the
   data of an earlier run and only deletes the bench learners' quiz attempts.
2. Serves the LMS with the production command (``gunicorn -c python:lms.gunicorn_conf
   wsgi:app``, ``LMS_WORKERS`` workers) and ``bench/hello_app.py`` (Flask's "Hello, World!")
   with the same command, settings and worker count on another port.
3. Signs in ``--sessions`` learners with a small Python client (cookies + CSRF tokens), opens
   one quiz attempt each, and measures every endpoint of the journey with wrk
   (``-t2 -c<concurrency> -d<duration>s``) through a generated Lua script that sends each
   request as the next learner in turn and counts the statuses: a run with any status other
   than 2xx (a redirect to the login page is a failure, not a fast page) fails the harness.
4. The quiz submit burst: ``--burst`` more learners each open an attempt (not timed), then
   all submit at once from Python threads (at most ``--burst-concurrency`` sockets); each
   POST is timed to its response (the redirect is not followed) and the database is asked
   how many of those attempts are now submitted: ``lost = burst - recorded``.
5. The peer: Kolibri's learner page (bench/peers/kolibri/peer.py) with the same wrk settings,
   while our servers are stopped.

Prints a table (endpoint, req/s, p50/p95/p99 ms, errors), the targets with PASS/FAIL and the
ratios, and writes JSON to ``<results-dir>/load-<date>.json`` (``load-smoke-<date>.json`` with
``--smoke``, whose results go to a new temporary directory unless ``--results-dir`` is
given). Exit status: 0 when every request was answered as expected and the burst lost
nothing, 1 otherwise (and with ``--strict`` also when a target is missed).

The database at ``--database-url`` is emptied unless ``--reuse-data`` is given (its schema is
dropped and rebuilt); ``test`` and ``postgres`` are refused. Every process started here (two
gunicorn servers, wrk, the peer) is stopped on the way out, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html.parser
import http.client
import http.cookies
import importlib.util
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
PEER_KOLIBRI = ROOT / "bench" / "peers" / "kolibri" / "peer.py"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_load"
#: The contract of `flask lms bench-data`: these learners, this password, this course.
PASSWORD = "bench-password"
COURSE_SLUG = "bench-course-00001"
LEARNER_EMAIL = "bench-learner-{:06d}@bench.lms.test"
LEARNER_LIKE = "bench-learner-%@bench.lms.test"
#: The public verify page is rate limited per client address; every wrk request comes from
#: 127.0.0.1, so the benchmark lifts the limit (and says so in its output).
VERIFY_RATE_LIMIT = "1000000 per minute"
#: Sent by the Python client and by wrk alike: Flask-Login's "strong" session protection
#: signs the session out when the User-Agent differs from the one that signed in.
USER_AGENT = "lms-bench-load/1"
#: wrk's marker for the JSON line its done() prints.
WRK_MARKER = "WRK_JSON "
#: The endpoints in the order they are measured (the hello app first, as the yardstick).
#: "healthz" is our stack's floor: the same app and hooks, no session, one ``SELECT 1``.
ENDPOINTS = ("healthz", "catalog", "course", "lesson", "dashboard", "verify", "quiz_page", "quiz_save", "journey")

#: Full-size and smoke defaults of every option that differs between the two.
DEFAULTS = {
    "users": (100_000, 200), "courses": (10_000, 10), "completions": (1_000_000, 300),
    "learners": (1000, 30), "concurrency": (20, 4), "duration": (15.0, 1.0), "burst": (500, 20),
    "burst_concurrency": (100, 10), "sessions": (50, 8), "peer": ("kolibri", "none"), "warmup": (3.0, 0.0),
}


# ----------------------------------------------------------------------------- pure helpers


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (0-100) by linear interpolation between closest ranks.

    The same definition as numpy's default, so a p99 of 500 burst latencies sits between the
    495th and 496th values instead of jumping to the worst one."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: list[float]) -> dict:
    """p50/p95/p99/max/mean in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    return {"p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(max(ms), 2),
            "mean_ms": round(sum(ms) / len(ms), 2)}


def lua_string(value: str) -> str:
    """A Lua string literal for any text: cookies, CSRF tokens and form bodies go into the
    generated script verbatim, so every byte that could end or bend the literal is escaped."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")  # Lua's decimal escape: newlines, NUL, UTF-8 bytes
    return '"' + "".join(out) + '"'


@dataclass
class Request:
    """One request wrk may send: the Lua script cycles through a list of them."""

    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: str | None = None


def lua_script(requests: list[Request], label: str = "") -> str:
    """The wrk script for a list of requests.

    wrk 4 has no per-connection hook, so each thread pre-formats every request once
    (``init``) and ``request()`` hands out the next one in turn, starting at a different
    place in each thread: consecutive requests come from different learners (their own
    Cookie header, CSRF token and attempt). ``response()`` counts statuses per class
    (wrk itself only counts >= 400 and ignores redirects), and ``done()`` prints one JSON line
    with the totals and the latency percentiles (wrk's histogram, microseconds)."""
    if not requests:
        raise ValueError("no requests for wrk")
    rows = []
    for req in requests:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in sorted(req.headers.items()))
        body = lua_string(req.body) if req.body is not None else "nil"
        rows.append(f"  {{{lua_string(req.method)}, {lua_string(req.path)}, {{{headers}}}, {body}}},")
    specs = "\n".join(rows)
    return f"""-- Generated by bench/load.py{' for ' + label if label else ''}; do not edit.
local specs = {{
{specs}
}}
local threads = {{}}
local counter = 0
local COUNTERS = {{"s1xx", "s2xx", "s3xx", "s4xx", "s5xx"}}

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {{}}
  for i, s in ipairs(specs) do
    -- wrk.format fills in Host and Content-Length; each table is copied, never shared
    local headers = {{}}
    for k, v in pairs(s[3]) do headers[k] = v end
    if s[4] ~= nil and headers["Content-Type"] == nil then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    reqs[i] = wrk.format(s[1], s[2], headers, s[4])
  end
  n = #reqs
  pos = (thread_id * 7919) % n
  s1xx, s2xx, s3xx, s4xx, s5xx, first_bad = 0, 0, 0, 0, 0, 0
end

function request()
  pos = pos % n + 1
  return reqs[pos]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  else
    if first_bad == 0 then first_bad = status end
    if status < 200 then s1xx = s1xx + 1
    elseif status < 400 then s3xx = s3xx + 1
    elseif status < 500 then s4xx = s4xx + 1
    else s5xx = s5xx + 1 end
  end
end

function done(summary, latency, requests)
  local total = {{s1xx = 0, s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0}}
  local bad = 0
  for _, thread in ipairs(threads) do
    for _, k in ipairs(COUNTERS) do total[k] = total[k] + (thread:get(k) or 0) end
    if bad == 0 then bad = thread:get("first_bad") or 0 end
  end
  local e = summary.errors
  io.write(string.format(
    '{WRK_MARKER}{{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"status_errors": %d, "s1xx": %d, "s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d, ' ..
    '"first_bad_status": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.status, total.s1xx, total.s2xx, total.s3xx, total.s4xx, total.s5xx, bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def parse_wrk(output: str) -> dict:
    """The figures of one wrk run from its stdout (the JSON line our done() prints).

    Adds req/s and milliseconds, and ``errors``: every request not answered 2xx plus every
    socket error and timeout; a run without any answered request is an error too."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER):])
            break
    else:
        raise ValueError("wrk printed no result line (did the Lua script fail?)\n" + output[-2000:])
    seconds = raw["duration_us"] / 1e6
    non_2xx = raw["s1xx"] + raw["s3xx"] + raw["s4xx"] + raw["s5xx"]
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return {
        "requests": raw["requests"],
        "duration_s": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2), "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2), "mean_ms": round(raw["mean_us"] / 1000, 2),
        "statuses": {k: raw[k] for k in ("s1xx", "s2xx", "s3xx", "s4xx", "s5xx")},
        "non_2xx": non_2xx,
        "first_bad_status": raw["first_bad_status"] or None,
        "socket_errors": socket_errors,
        "socket_error_detail": {k: raw[k] for k in ("connect_errors", "read_errors", "write_errors",
                                                     "timeouts")},
        "errors": non_2xx + socket_errors + (0 if raw["s2xx"] else 1),
        "bytes": raw["bytes"],
    }


def evaluate_targets(endpoints: dict, burst: dict | None, hello: dict | None, kolibri: dict | None,
                     concurrency: int) -> list[dict]:
    """The issue's targets, each with its measured value and PASS (True), FAIL (False) or
    None when it could not be measured (a peer that did not start, a failed run).

    The latency targets are stated for 20 concurrent users; at another concurrency the
    comparison is still made but the name says at which."""
    def fig(result, key):
        return result.get(key) if result and not result.get("error") and not result.get("errors") else None

    def check(name, value, limit, op, unit):
        passed = None if value is None else (value < limit if op == "<" else value >= limit)
        return {"target": name, "value": value, "limit": limit, "op": op, "unit": unit, "passed": passed}

    lesson_rps = fig(endpoints.get("lesson"), "rps")
    hello_rps = fig(hello, "rps")
    kolibri_rps = fig(kolibri, "rps")
    lost = burst.get("lost") if burst and "lost" in burst else None
    return [
        check(f"lesson page p95 at {concurrency} concurrent", fig(endpoints.get("lesson"), "p95_ms"), 50, "<", "ms"),
        check(f"catalog p95 at {concurrency} concurrent", fig(endpoints.get("catalog"), "p95_ms"), 50, "<", "ms"),
        check(f"quiz submit p99 in a {burst.get('size') if burst else '?'}-learner burst",
              burst.get("p99_ms") if burst else None, 200, "<", "ms"),
        check("quiz submit burst: attempts lost", lost, 1, "<", "attempts"),
        check("lesson throughput / hello throughput",
              round(lesson_rps / hello_rps, 3) if lesson_rps and hello_rps else None, 0.40, ">=", "ratio"),
        check("lesson throughput / Kolibri learner page",
              round(lesson_rps / kolibri_rps, 2) if lesson_rps and kolibri_rps else None, 5.0, ">=", "ratio"),
    ]


def format_table(rows: list[tuple[str, dict]]) -> str:
    """The stdout table: endpoint, req/s, p50/p95/p99 (ms), errors."""
    lines = [f"{'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"]
    for name, r in rows:
        if r is None:
            continue
        if r.get("error"):
            lines.append(f"{name:<28} {'-':>9} {'-':>8} {'-':>8} {'-':>8}  {r['error'][:60]}")
            continue
        errors = r.get("errors", 0)
        note = f"  (first bad status {r['first_bad_status']})" if r.get("first_bad_status") else ""
        rps = f"{r['rps']:.1f}" if r.get("rps") is not None else "-"
        lines.append(f"{name:<28} {rps:>9} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                     f"{errors:>7}{note}")
    return "\n".join(lines)


def format_targets(targets: list[dict]) -> str:
    lines = []
    for t in targets:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t["passed"]]
        value = "-" if t["value"] is None else t["value"]
        lines.append(f"  {verdict}  {t['target']}: {value} {t['unit']} (target {t['op']} {t['limit']})")
    return "\n".join(lines)


def refuse_protected(url: str | None) -> None:
    """Never empty the test suite's database or the server's maintenance database."""
    if url and url.rsplit("/", 1)[-1].split("?", 1)[0] in ("test", "postgres"):
        sys.exit(f"refusing to use {url}: its schema would be dropped")


def csrf_token(page: str) -> str | None:
    """The session's CSRF token from a page: a form's hidden field or a csrf-token meta tag."""
    for tag in re.findall(r"<(?:input|meta)\b[^>]*>", page):
        if re.search(r'\bname="csrf[_-]token"', tag):
            found = re.search(r'\b(?:value|content)="([^"]+)"', tag)
            if found:
                return found.group(1)
    return None


class _FormFields(html.parser.HTMLParser):
    """Collects what a browser would post from the attempt form (id="attempt"), answered."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._options: list[str] = []
        self._groups: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "attempt"
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and name != "csrf_token":
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                self.fields.setdefault(name, a.get("value", "on"))
            elif kind == "hidden":  # e.g. which item an ordering row holds
                self.fields.setdefault(name, a.get("value", ""))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                numeric = kind == "number" or a.get("inputmode") in ("decimal", "numeric")
                self.fields.setdefault(name, "8" if numeric else "jawaban")
        elif tag == "textarea" and name:
            self.fields.setdefault(name, "Jawaban uraian untuk uji beban.")
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            # the k-th select of a group (q3-0, q3-1, ...) takes the k-th real option, so
            # ordering and matching rows get distinct, complete answers
            choices = [v for v in self._options if v] or self._options or [""]
            group = re.sub(r"-\d+$", "", self._select)
            k = self._groups.get(group, 0)
            self._groups[group] = k + 1
            self.fields.setdefault(self._select, choices[k % len(choices)])
            self._select = None


def answer_fields(page: str) -> dict[str, str]:
    """An answer for every question of an attempt page: the first option of each choice,
    a word in each text field. Right or wrong does not matter; a full form does."""
    parser = _FormFields()
    parser.feed(page)
    return parser.fields


def course_links(page: str, slug: str) -> tuple[list[str], list[str]]:
    """(lesson keys, quiz keys) linked from a course page, in page order.

    A lesson id has no dot (lms/packages/manifest.py LESSON_ID), so ``offline.zip`` (the
    offline bundle, /learn/<slug>/offline.zip) and other files are not lessons."""
    lessons, quizzes = [], []
    for href in re.findall(r'href="/learn/' + re.escape(slug) + r'/([^"?#]+)"', page):
        if href.startswith("quiz/"):
            key = href.split("/")[1]
            if key not in quizzes:
                quizzes.append(key)
        elif "/" not in href and "." not in href and href not in lessons:
            lessons.append(href)
    return lessons, quizzes


# ----------------------------------------------------------------------------- HTTP client


class HttpError(RuntimeError):
    """A journey step got an answer it should not have (wrong status, missing form)."""


class Client:
    """A browser-like client: cookies, no redirect following, one connection per request.

    Stdlib only. gunicorn's sync workers close every connection after the response, so a
    fresh connection per request costs nothing a keep-alive client would have saved."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in sorted(self.cookies.items()))

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        """Send one request; returns (status, lower-cased headers, body text)."""
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for raw in response.headers.get_all("Set-Cookie") or []:
                self._store(raw)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, \
                data.decode("utf-8", "replace")
        finally:
            conn.close()

    def _store(self, raw: str) -> None:
        jar = http.cookies.SimpleCookie()
        jar.load(raw)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or (not morsel.value and morsel["expires"]):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get_ok(self, path: str) -> str:
        status, headers, body = self.request("GET", path)
        if status != 200:
            raise HttpError(f"GET {path} answered {status} {headers.get('location', '')}".strip())
        return body


def log_in(base_url: str, n: int) -> Client:
    """Sign in learner n of bench-data through the login form; raises HttpError if refused."""
    client = Client(base_url)
    token = csrf_token(client.get_ok("/login"))
    if not token:
        raise HttpError("no csrf_token on /login")
    status, headers, _ = client.request("POST", "/login", {
        "login": LEARNER_EMAIL.format(n), "password": PASSWORD, "csrf_token": token})
    location = headers.get("location", "")
    if status != 302 or "/login" in location or "/password/new" in location:
        raise HttpError(f"login of {LEARNER_EMAIL.format(n)} answered {status} {location}".strip())
    return client


@dataclass
class Learner:
    """A signed-in learner with an open attempt, ready to autosave or submit."""

    n: int
    client: Client
    csrf: str
    attempt_uid: str
    answers: dict


def open_attempt(client: Client, n: int, slug: str, quiz_key: str) -> Learner:
    """Start (or resume) the learner's attempt and read its answer fields."""
    token = csrf_token(client.get_ok(f"/learn/{slug}/quiz/{quiz_key}"))
    if not token:
        raise HttpError("no csrf_token on the quiz page")
    status, headers, _ = client.request("POST", f"/learn/{slug}/quiz/{quiz_key}/start", {"csrf_token": token})
    match = re.search(r"/learn/attempts/([0-9a-f]+)$", headers.get("location", ""))
    if status != 302 or not match:
        raise HttpError(f"quiz start for learner {n} answered {status} {headers.get('location', '')} "
                        "(attempts used up? run without --reuse-data)")
    uid = match.group(1)
    page = client.get_ok(f"/learn/attempts/{uid}")
    answers = answer_fields(page)
    if not answers:
        raise HttpError(f"attempt {uid} shows no answer fields")
    return Learner(n, client, csrf_token(page) or token, uid, answers)


def prepare_learners(base_url: str, numbers: list[int], slug: str, quiz_key: str, pool: int = 8) -> list[Learner]:
    """Sign in and open an attempt for each learner, a few at a time (not timed)."""
    def one(n):
        return open_attempt(log_in(base_url, n), n, slug, quiz_key)

    executor = ThreadPoolExecutor(max_workers=pool)
    try:
        return list(executor.map(one, numbers))
    finally:  # on Ctrl-C or a failure, the queued sign-ins are dropped, not waited for
        executor.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- processes


class Processes:
    """Everything this run started, stopped in reverse order whatever happens.

    Servers run in their own session (process group), so stopping one takes its workers
    with it: SIGTERM to the group (gunicorn's graceful stop), SIGKILL after a grace period."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
        with open(log, "ab") as handle:  # the child keeps its own descriptor
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 15.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # workers that outlived their master (they should not) are still in its group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.started = [(n, p) for n, p in self.started if p is not proc]

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.started)):
            self.stop(proc)


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Poll until the server answers at all; a server that died shows its log."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{tail(log)}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", parts.path or "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def gunicorn_argv(app: str) -> list[str]:
    """The production command. The control socket is turned off so two servers (and anyone
    else's gunicorn on this machine) do not fight over ~/.gunicorn/gunicorn.ctl."""
    return [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:lms.gunicorn_conf",
            "--no-control-socket", app]


def run_wrk(url: str, script: Path, concurrency: int, duration: float, threads: int) -> dict:
    """One wrk run; returns parse_wrk's figures plus the command."""
    threads = max(1, min(threads, concurrency))
    argv = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--latency",
            "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=duration + 120)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    result = parse_wrk(done.stdout)
    result["wrk"] = " ".join(argv[:-3] + [script.name, url])
    return result


# ----------------------------------------------------------------------------- data


def flask_argv(app: str, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "flask"), "--app", app, *args]


def reset_database(url: str) -> None:
    """An empty database: PostgreSQL's public schema dropped and rebuilt, a SQLite file removed."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def run_checked(argv: list[str], env: dict, what: str) -> str:
    """Run a setup command; its output on failure, stdout on success."""
    done = subprocess.run(argv, check=False, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


class Database:
    """The harness's own look at the data (SQLAlchemy Core on LMS_DATABASE_URL)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def scalar(self, sql: str, **params):
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params) -> int:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            return conn.execute(text(sql), params).rowcount

    def learners(self) -> int:
        """Bench learners present (0 when the schema is not there yet)."""
        try:
            return self.scalar("SELECT count(*) FROM users WHERE email LIKE :like", like=LEARNER_LIKE) or 0
        except Exception:  # noqa: BLE001 - no table yet: no data
            return 0

    def certificate_code(self) -> str | None:
        """A valid certificate's code, learner 1's when there is one."""
        return self.scalar(
            "SELECT c.code FROM certificates c LEFT JOIN users u ON u.id = c.user_id "
            "WHERE c.status = 'valid' ORDER BY (u.email = :first) DESC, c.id LIMIT 1",
            first=LEARNER_EMAIL.format(1))

    def forget_bench_attempts(self) -> int:
        """Delete the bench learners' quiz attempts (and, by cascade, their questions), so a
        reused dataset lets every learner start an attempt again."""
        self.execute("DELETE FROM attempt_questions WHERE attempt_id IN (SELECT a.id FROM attempts a "
                     "JOIN users u ON u.id = a.user_id WHERE u.email LIKE :like)", like=LEARNER_LIKE)
        return self.execute("DELETE FROM attempts WHERE user_id IN "
                            "(SELECT id FROM users WHERE email LIKE :like)", like=LEARNER_LIKE)

    def submitted(self, uids: list[str]) -> int:
        """How many of these attempts the database holds as submitted by the learner."""
        from sqlalchemy import bindparam, text

        sql = text("SELECT count(*) FROM attempts WHERE uid IN :uids AND state <> 'open' "
                   "AND finished_by = 'submitted' AND submitted_at IS NOT NULL"
                   ).bindparams(bindparam("uids", expanding=True))
        with self.engine.connect() as conn:
            return conn.execute(sql, {"uids": uids}).scalar()

    def counts(self) -> dict:
        out = {}
        for table in ("users", "courses", "enrollments", "certificates", "attempts"):
            try:
                out[table] = self.scalar(f"SELECT count(*) FROM {table}")
            except Exception:  # noqa: BLE001
                out[table] = None
        return out

    def version(self) -> str:
        if self.engine.dialect.name == "postgresql":
            return self.scalar("SHOW server_version")
        return "SQLite " + self.scalar("SELECT sqlite_version()")

    def close(self) -> None:
        self.engine.dispose()


# ----------------------------------------------------------------------------- measuring


def journey_requests(learners: list[Learner], paths: dict) -> dict[str, list[Request]]:
    """Per endpoint, the requests wrk cycles through: one per signed-in learner (the verify
    page is public: no cookie), plus "journey", every learner's steps in a learner's order."""
    per = {name: [] for name in ENDPOINTS}
    for learner in learners:
        cookie = {"Cookie": learner.client.cookie_header(), "User-Agent": USER_AGENT}
        save_body = urllib.parse.urlencode({"csrf_token": learner.csrf, **learner.answers})
        steps = {
            "healthz": Request("GET", paths["healthz"], {"User-Agent": USER_AGENT}),
            "catalog": Request("GET", paths["catalog"], cookie),
            "course": Request("GET", paths["course"], cookie),
            "lesson": Request("GET", paths["lesson"], cookie),
            "dashboard": Request("GET", paths["dashboard"], cookie),
            "verify": Request("GET", paths["verify"], {"User-Agent": USER_AGENT}),
            "quiz_page": Request("GET", paths["quiz_page"], cookie),
            "quiz_save": Request("POST", f"/learn/attempts/{learner.attempt_uid}/save", cookie, save_body),
        }
        for name, req in steps.items():
            per[name].append(req)
        per["journey"] += [steps[k] for k in ("dashboard", "catalog", "course", "lesson", "quiz_page",
                                              "quiz_save", "lesson", "verify")]
    per["verify"], per["healthz"] = per["verify"][:1], per["healthz"][:1]
    return per


def burst_submit(learners: list[Learner], concurrency: int) -> dict:
    """All learners submit at once: one thread per socket, released together by a barrier;
    each times its POSTs from connect to the last byte of the answer (no redirect followed).

    A 302 to the attempt's review page is success; anything else, or no answer, is a
    failure. The client shares the server's 2 cores, so these latencies include its own
    Python overhead."""
    concurrency = max(1, min(concurrency, len(learners)))
    slices = [learners[i::concurrency] for i in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(mine: list[Learner]) -> None:
        barrier.wait()
        for learner in mine:
            form = {"csrf_token": learner.csrf, **learner.answers}
            started = time.perf_counter()
            try:
                status, headers, _ = learner.client.request("POST", f"/learn/attempts/{learner.attempt_uid}/submit",
                                                            form)
                elapsed = time.perf_counter() - started
                ok = status == 302 and headers.get("location", "").endswith(f"/learn/attempts/{learner.attempt_uid}/review")
                problem = None if ok else f"learner {learner.n}: {status} {headers.get('location', '')}"
            except OSError as exc:
                elapsed, problem = time.perf_counter() - started, f"learner {learner.n}: {exc!r}"
            with lock:
                latencies.append(elapsed)
                if problem:
                    failures.append(problem)

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in slices]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"size": len(learners), "concurrency": concurrency, "wall_s": round(wall, 3),
            "submits_per_s": round(len(learners) / wall, 1) if wall else None,
            **latency_summary(latencies), "failed_requests": len(failures), "failures": failures[:20]}


def measure_peer(name: str, args, tmp: Path) -> dict:
    """Kolibri's learner page with our wrk settings; any failure is recorded, not raised."""
    if name != "kolibri":
        return {"error": f"unknown peer {name}"}
    peer = None
    try:
        if not PEER_KOLIBRI.exists():
            raise RuntimeError(f"{PEER_KOLIBRI.relative_to(ROOT)} is not there")
        spec = importlib.util.spec_from_file_location("bench_peer_kolibri", PEER_KOLIBRI)
        peer = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = peer  # dataclasses and pickling look the module up by name
        spec.loader.exec_module(peer)
        print("peer: installing Kolibri (once)...", flush=True)
        peer.install()
        base = peer.start(port=args.peer_port or free_port()).rstrip("/")
        cookies = peer.learner_session(base) or {}
        path = peer.LEARNER_PATH
        headers = {"User-Agent": USER_AGENT}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        script = tmp / "kolibri.lua"
        script.write_text(lua_script([Request("GET", path, headers)], "Kolibri learner page"))
        result = run_wrk(base + path, script, args.concurrency, args.duration, args.wrk_threads)
        installed = getattr(peer, "_installed_version", None)
        result.update(path=path, base_url=base, version=installed() if callable(installed) else None)
        return result
    except Exception as exc:  # noqa: BLE001 - the peer must never cost us the rest of the run
        return {"error": f"{type(exc).__name__}: {exc}"[:1000]}
    finally:
        if peer is not None and hasattr(peer, "stop"):
            with contextlib.suppress(Exception):
                peer.stop()


# ----------------------------------------------------------------------------- the run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true",
                   help="tiny and fast (temporary SQLite, 1 s per endpoint, no peer): checks every "
                        "endpoint and the burst, does not enforce the targets")
    p.add_argument("--database-url", help=f"default {DEFAULT_DATABASE_URL} (smoke: a temporary SQLite "
                                          "file); its schema is dropped unless --reuse-data")
    p.add_argument("--redis-url", default="", help="LMS_REDIS_URL for the app (default: none)")
    p.add_argument("--reuse-data", action="store_true",
                   help="keep the data when the bench learners are there (deletes their attempts)")
    p.add_argument("--users", type=int, help="bench-data --users (100000; smoke 200)")
    p.add_argument("--courses", type=int, help="bench-data --courses (10000; smoke 10)")
    p.add_argument("--completions", type=int, help="bench-data --completions (1000000; smoke 300)")
    p.add_argument("--learners", type=int, help="bench-data --learners (1000; smoke 30)")
    p.add_argument("--concurrency", type=int, help="wrk connections (20; smoke 4)")
    p.add_argument("--duration", type=float, help="seconds per endpoint (15; smoke 1)")
    p.add_argument("--warmup", type=float, help="seconds of unrecorded wrk load before each endpoint (3; smoke 0)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers (2)")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    p.add_argument("--sessions", type=int, help="signed-in learners wrk rotates through (50; smoke 8)")
    p.add_argument("--burst", type=int, help="learners submitting at once (500; smoke 20)")
    p.add_argument("--burst-concurrency", type=int, help="sockets at once in the burst (100; smoke 10)")
    p.add_argument("--peer", choices=("kolibri", "none"), help="peer to measure (kolibri; smoke none)")
    p.add_argument("--peer-port", type=int, default=8090, help="port of the peer (8090)")
    p.add_argument("--results-dir", type=Path,
                   help="where the JSON goes (bench/results; smoke: a new temporary directory)")
    p.add_argument("--only", default="",
                   help="comma-separated subset of the steps to run while iterating on one page: "
                        + ", ".join(ENDPOINTS) + ", burst (default: all; hello always runs)")
    p.add_argument("--strict", action="store_true", help="also exit 1 when a target is missed")
    args = p.parse_args(argv)
    for key, (full, smoke) in DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, smoke if args.smoke else full)
    if args.learners < args.sessions + args.burst:
        p.error(f"--learners ({args.learners}) must cover --sessions + --burst "
                f"({args.sessions} + {args.burst}): each learner holds one open attempt")
    return args


def server_env(args, url: str, tmp: Path) -> dict:
    """The production settings both servers and the setup commands share."""
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("LMS_")]:
        del env[key]  # nothing from the caller's shell leaks into the measured settings
    env.update({
        "LMS_CONFIG": "production",
        "LMS_SECRET_KEY": secrets.token_hex(32),
        "LMS_DATABASE_URL": url,
        "LMS_SESSION_COOKIE_SECURE": "false",
        "LMS_REMEMBER_COOKIE_SECURE": "false",
        "LMS_VERIFY_RATE_LIMIT": VERIFY_RATE_LIMIT,
        "LMS_LOGIN_RATE_LIMIT": VERIFY_RATE_LIMIT,  # every simulated learner signs in from 127.0.0.1
        "LMS_WORKERS": str(args.workers),
        "LMS_STORAGE_DIR": str(tmp / "storage"),
        "LMS_CREDENTIAL_KEY": _credential_key(),
        "LMS_GUNICORN_LOG_LEVEL": "warning",
    })
    if args.redis_url:
        env["LMS_REDIS_URL"] = args.redis_url
    return env


def _credential_key() -> str:
    """A throw-away Ed25519 key, so nothing is written to the instance folder."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def prepare_data(args, url: str, env: dict, db: Database) -> dict:
    """Migrate and build the data (or reuse it); returns what was done and how long it took."""
    info = {}
    present = db.learners() if args.reuse_data else 0
    if args.reuse_data and present >= args.learners:
        started = time.perf_counter()
        run_checked(flask_argv("wsgi", "db", "upgrade", "heads"), env, "db upgrade")
        info.update(reused=True, deleted_attempts=db.forget_bench_attempts(),
                    seconds=round(time.perf_counter() - started, 1))
        return info
    started = time.perf_counter()
    reset_database(url)
    db.engine.dispose()  # a pooled SQLite connection would still see the removed file
    run_checked(flask_argv("wsgi", "db", "upgrade", "heads"), env, "db upgrade")
    print(f"data: flask lms bench-data --users {args.users} --courses {args.courses} "
          f"--completions {args.completions} --learners {args.learners} ...", flush=True)
    out = run_checked(flask_argv("wsgi", "lms", "bench-data", "--users", str(args.users),
                                 "--courses", str(args.courses), "--completions", str(args.completions),
                                 "--learners", str(args.learners), "--password", PASSWORD, "--yes"),
                      env, "flask lms bench-data")
    info.update(reused=False, seconds=round(time.perf_counter() - started, 1),
                bench_data_output=out.strip().splitlines()[-16:])
    code = re.search(r"certificate code of \S+: (\S+)", out)
    if code:
        info["certificate_code"] = code.group(1)
    return info


def discover(base_url: str, client: Client) -> dict:
    """The course's first lesson and its quiz, read from the course page as a learner sees it."""
    lessons, quizzes = course_links(client.get_ok(f"/courses/{COURSE_SLUG}"), COURSE_SLUG)
    if not lessons or not quizzes:
        raise HttpError(f"/courses/{COURSE_SLUG} links no lesson or no quiz (lessons {lessons}, quizzes {quizzes})")
    return {"lesson_key": lessons[0], "quiz_key": quizzes[0]}


def machine() -> dict:
    def version(argv):
        try:
            done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=10)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return None

    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "wrk": version(["wrk", "--version"]),
            "gunicorn": version([gunicorn_argv("x")[0], "--version"]),
            "load_average_at_start": list(os.getloadavg())}


def git_commit() -> str | None:
    """The commit measured (read only)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_burst(args, app_url: str, quiz_key: str, db: "Database", problems: list[str]) -> dict:
    """The quiz submit burst (step 4 of the module docstring); problems get what went wrong."""
    print(f"burst: signing in {args.burst} more learners and opening their attempts (not timed)...",
          flush=True)
    numbers = list(range(args.sessions + 1, args.sessions + args.burst + 1))
    burst_learners = prepare_learners(app_url, numbers, COURSE_SLUG, quiz_key)
    print(f"burst: {args.burst} submits at once ({args.burst_concurrency} sockets)...", flush=True)
    burst = burst_submit(burst_learners, args.burst_concurrency)
    recorded = db.submitted([learner.attempt_uid for learner in burst_learners])
    burst.update(recorded=recorded, lost=args.burst - recorded,
                 note="client threads run on the same cores as the server: their Python overhead "
                      "is inside these latencies")
    if burst["lost"] or burst["failed_requests"]:
        problems.append(f"burst: {burst['lost']} attempts lost, {burst['failed_requests']} failed requests "
                        f"{burst['failures'][:3]}")
    return burst


def selected(args, step: str) -> bool:
    """Whether --only (empty: everything) asks for this step."""
    only = {name.strip() for name in (getattr(args, "only", "") or "").split(",") if name.strip()}
    return not only or step in only


def run(args) -> int:
    """Check the tools, then measure in a scratch directory (Lua scripts, logs, SQLite file,
    storage) that is removed however the run ends."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    refuse_protected(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="lms-load-"))
    try:
        return measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp: Path) -> int:
    """The whole run (see the module docstring); returns the exit status."""
    started = time.perf_counter()
    url = args.database_url or (f"sqlite:///{tmp / 'lms.sqlite3'}" if args.smoke else DEFAULT_DATABASE_URL)
    env = server_env(args, url, tmp)
    procs = Processes()
    db = Database(url)
    report: dict = {
        "benchmark": "load", "date": dt.date.today().isoformat(),
        "command": [Path(sys.executable).name, *sys.argv], "git_commit": git_commit(), "machine": machine(),
        "settings": {
            "smoke": args.smoke, "database": db.engine.dialect.name, "redis": bool(args.redis_url),
            "users": args.users, "courses": args.courses, "completions": args.completions,
            "learners": args.learners, "sessions": args.sessions, "concurrency": args.concurrency,
            "duration_s": args.duration, "warmup_s": args.warmup, "wrk_threads": args.wrk_threads, "burst": args.burst,
            "burst_concurrency": args.burst_concurrency, "peer": args.peer,
            "gunicorn": {"command": "gunicorn -c python:lms.gunicorn_conf --no-control-socket wsgi:app",
                         "workers": args.workers, "threads": 1, "worker_class": "sync",
                         "max_requests": "20000 (+ jitter, lms.gunicorn_conf default)"},
            "verify_rate_limit": VERIFY_RATE_LIMIT,
            "config": "LMS_CONFIG=production, LMS_SESSION_COOKIE_SECURE=false (plain http on loopback)",
        },
    }
    problems: list[str] = []
    try:
        report["settings"]["database_version"] = db.version()
        phases: dict = report.setdefault("phase_seconds", {})
        clock = time.perf_counter()

        def phase(name: str) -> None:
            """Seconds since the previous phase ended: where a long run spends its time."""
            nonlocal clock
            now = time.perf_counter()
            phases[name] = round(now - clock, 1)
            clock = now

        report["data"] = prepare_data(args, url, env, db)
        phase("data")
        report["data"]["counts"] = db.counts()
        code = report["data"].get("certificate_code") or db.certificate_code()
        if not code:
            raise RuntimeError("the data holds no valid certificate: bench-data should issue one")

        app_port, hello_port = free_port(), free_port()
        app_url, hello_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{hello_port}"
        app_log, hello_log = tmp / "gunicorn-app.log", tmp / "gunicorn-hello.log"
        app_proc = procs.start("lms", gunicorn_argv("wsgi:app"), {**env, "LMS_BIND": f"127.0.0.1:{app_port}"},
                               app_log)
        hello_proc = procs.start("hello", gunicorn_argv("bench.hello_app:app"),
                                 {**env, "LMS_BIND": f"127.0.0.1:{hello_port}"}, hello_log)
        wait_until_up(app_url + "/healthz", app_proc, app_log)
        wait_until_up(hello_url + "/", hello_proc, hello_log)
        phase("servers_start")

        print(f"signing in {args.sessions} learners and opening their attempts...", flush=True)
        first = log_in(app_url, 1)
        keys = discover(app_url, first)
        paths = {"healthz": "/healthz", "catalog": "/courses", "course": f"/courses/{COURSE_SLUG}",
                 "lesson": f"/learn/{COURSE_SLUG}/{keys['lesson_key']}", "dashboard": "/me",
                 "verify": f"/verify/{code}", "quiz_page": f"/learn/{COURSE_SLUG}/quiz/{keys['quiz_key']}"}
        report["paths"] = {**paths, "quiz_save": "/learn/attempts/<uid>/save",
                           "quiz_submit": "/learn/attempts/<uid>/submit"}
        sessions = prepare_learners(app_url, list(range(1, args.sessions + 1)), COURSE_SLUG, keys["quiz_key"])
        for name, path in paths.items():  # one careful look before the load: every page 200
            status, headers, _ = (Client(app_url) if name in ("verify", "healthz") else sessions[0].client).request("GET", path)
            if status != 200:
                raise HttpError(f"{name} GET {path} answered {status} {headers.get('location', '')}")

        phase("sessions_sign_in")
        requests_by_endpoint = journey_requests(sessions, paths)
        endpoints: dict = {}
        runs = [("hello", hello_url, [Request("GET", "/", {"User-Agent": USER_AGENT})])] + [
            (name, app_url, requests_by_endpoint[name]) for name in ENDPOINTS if selected(args, name)]
        for name, base, reqs in runs:
            script = tmp / f"{name}.lua"
            script.write_text(lua_script(reqs, name))
            first_path = reqs[0].path if name != "quiz_save" else "/learn/attempts/<uid>/save"
            print(f"wrk {name}: {reqs[0].method} {first_path} ...", flush=True)
            try:
                if args.warmup > 0:  # every worker renders the page once before the clock runs
                    run_wrk(base + reqs[0].path, script, args.concurrency, args.warmup, args.wrk_threads)
                result = run_wrk(base + reqs[0].path, script, args.concurrency, args.duration, args.wrk_threads)
            except (RuntimeError, ValueError, subprocess.SubprocessError) as exc:
                result = {"error": str(exc)[:500]}
            result.update(method=reqs[0].method, path=first_path)
            if name == "journey":
                result["method"] = "mix"
                result["mix"] = "per learner: /me, /courses, course, lesson, quiz page, quiz save, lesson, verify"
            if result.get("error") or result["errors"]:
                problems.append(f"{name}: " + (result.get("error") or
                                              f"{result['non_2xx']} non-2xx (first {result['first_bad_status']}), "
                                              f"{result['socket_errors']} socket errors"))
            endpoints[name] = result
        hello = endpoints.pop("hello")
        report["hello"], report["endpoints"] = hello, endpoints

        phase("wrk_endpoints")
        if selected(args, "burst"):
            report["burst"] = run_burst(args, app_url, keys["quiz_key"], db, problems)
        phase("burst")
        procs.stop_all()  # the peer gets the machine to itself
        report["server_log_tail"] = {"lms": tail(app_log, 15), "hello": tail(hello_log, 5)}
        if args.peer != "none":
            print(f"peer: {args.peer} learner page with the same wrk settings...", flush=True)
            report["kolibri"] = measure_peer(args.peer, args, tmp)
            phase("peer")
        kolibri = report.get("kolibri")

        lesson, floor = endpoints.get("lesson", {}), endpoints.get("healthz", {})
        report["ratios"] = {
            "healthz_over_hello": round(floor["rps"] / hello["rps"], 3)
            if floor.get("rps") and hello.get("rps") else None,
            "lesson_over_hello": round(lesson["rps"] / hello["rps"], 3)
            if lesson.get("rps") and hello.get("rps") else None,
            "lesson_over_kolibri": round(lesson["rps"] / kolibri["rps"], 2)
            if kolibri and lesson.get("rps") and kolibri.get("rps") else None,
        }
        report["targets"] = evaluate_targets(endpoints, report.get("burst"), hello, kolibri, args.concurrency)
    except Exception as exc:  # noqa: BLE001 - report, write the JSON, stop the servers
        problems.append(f"run aborted: {type(exc).__name__}: {exc}")
        report["traceback"] = traceback.format_exc()[-4000:]
        report["server_log_tail"] = {"lms": tail(tmp / "gunicorn-app.log", 40)}
    finally:
        procs.stop_all()
        db.close()
    report["problems"] = problems
    report["ok"] = not problems
    report["seconds"] = round(time.perf_counter() - started, 1)
    # smoke results go to a fresh temporary directory, so CI never dirties the tree
    results_dir = args.results_dir or (Path(tempfile.mkdtemp(prefix="lms-load-results-")) if args.smoke
                                       else RESULTS)
    out = write_results(report, results_dir, args.smoke)
    print_report(report, out)
    missed = any(t["passed"] is False for t in report.get("targets", []))
    return 1 if problems or (args.strict and missed) else 0


def write_results(report: dict, results_dir: Path, smoke: bool) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"load-{'smoke-' if smoke else ''}{report['date']}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return out


def print_report(report: dict, out: Path) -> None:
    s = report["settings"]
    print()
    print(f"ASN LMS load: {s['database']} ({s.get('database_version', '?')}), {s['gunicorn']['workers']} "
          f"sync workers, {s['concurrency']} connections, {s['duration_s']:g} s per endpoint, "
          f"{report['machine']['cores']} cores{' [SMOKE]' if s['smoke'] else ''}")
    print(f"verify rate limit lifted to {s['verify_rate_limit']} for the benchmark")
    rows = [("hello app GET /", report.get("hello"))]
    rows += [(f"{name} {r.get('method', '')} ", r) for name, r in report.get("endpoints", {}).items()]
    if report.get("kolibri"):
        rows.append(("kolibri learner page", report["kolibri"]))
    print(format_table([(n.strip(), r) for n, r in rows]))
    burst = report.get("burst")
    if burst:
        print(f"quiz submit burst: {burst['size']} learners, {burst['concurrency']} sockets: "
              f"p50 {burst['p50_ms']} ms, p95 {burst['p95_ms']} ms, p99 {burst['p99_ms']} ms, max {burst['max_ms']} ms, "
              f"{burst['submits_per_s']} submits/s, recorded {burst['recorded']}, lost {burst['lost']} "
              f"(the Python client shares the server's cores)")
    ratios = report.get("ratios") or {}
    if ratios:
        print(f"healthz (the app's floor) / hello: {ratios.get('healthz_over_hello')}; "
              f"lesson / hello throughput: {ratios.get('lesson_over_hello')}; "
              f"lesson / Kolibri: {ratios.get('lesson_over_kolibri')}")
    if report.get("targets"):
        print("targets" + (" (smoke: printed, not enforced)" if s["smoke"] else "") + ":")
        print(format_targets(report["targets"]))
    for problem in report["problems"]:
        print(f"PROBLEM: {problem}")
    print(f"{'ok' if report['ok'] else 'FAILED'} in {report['seconds']} s; results: {out}")


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C, and SIGTERM (CI cancelling the job), unwind through the finally blocks that stop
    # the servers (SIGINT explicitly: a shell starting us in the background ignores it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: every server this run started is stopped; no results written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
