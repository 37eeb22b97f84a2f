"""Where a learner page spends its time: in-process, one request at a time, no HTTP server.

    LMS_CONFIG=production LMS_SECRET_KEY=... LMS_DATABASE_URL=postgresql+psycopg://.../lms_load \
        .venv/bin/python bench/profile_pages.py [--requests 300] [--profile lesson]

Needs a database filled by ``flask lms bench-data`` (any size). For each learner page it
prints the mean milliseconds of a request through the Flask test client (the WSGI app,
the database and the templates; no gunicorn, no sockets) and the SQL statements it sends.
``--profile NAME`` adds cProfile's top functions for that page. wrk (bench/load.py) gives
the figures that count; this tells what to work on, and the statement count is exact.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

PASSWORD = "bench-password"
LEARNER = "bench-learner-000001@bench.lms.test"
COURSE = "bench-course-00001"


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "login": LEARNER, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in answered {response.status_code}")


def pages(client) -> dict[str, str]:
    """The learner pages to measure, found by following the course page's links."""
    course = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    lesson = re.search(rf'href="(/learn/{COURSE}/[^"/.]+)"', course).group(1)  # no dot: not offline.zip
    quiz = re.search(rf'href="(/learn/{COURSE}/quiz/[^"/]+)"', course)
    found = {"catalog": "/courses", "course": f"/courses/{COURSE}", "lesson": lesson, "dashboard": "/me"}
    if quiz:
        found["quiz_page"] = quiz.group(1)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", default="", help="page to profile with cProfile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)

    from lms import create_app
    from lms.database import db

    app = create_app()
    app.config["PREFERRED_URL_SCHEME"] = "http"  # plain http, as bench/load.py serves it
    client = app.test_client()
    sign_in(client)
    targets = pages(client)
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, sql, *rest: statements.append(sql))
    for name, url in targets.items():
        for _ in range(20):  # warm caches and connections
            assert client.get(url).status_code == 200, (name, url)
        statements.clear()
        client.get(url)
        queries = len(statements)
        profiler = cProfile.Profile() if name == args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.requests):
            client.get(url)
        if profiler:
            profiler.disable()
        mean = (time.perf_counter() - start) / args.requests * 1000
        print(f"{name:10} {mean:7.2f} ms  {queries:2d} queries  {url}")
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    if args.profile == "sql":
        print("\n".join(statements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
