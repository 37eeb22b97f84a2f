"""Page weight of the main learner pages: bytes of each page and its CSS/JS, raw and as sent.

    .venv/bin/python bench/page_weight.py [--json FILE] [--budget-kb 200]

Builds a throw-away app (temporary SQLite and storage, the `testing` configuration) with
the demo dataset (`lms.services.demo.seed`: units, the four demo accounts, the three demo
courses), signs in the demo learner through the real form, enrols in a demo course, opens
its lessons and its quiz, and is given a certificate of another course (set directly, as a
completion would: passing the quiz is not what is measured). Then, through the Flask test
client, it fetches each learner page with ``Accept-Encoding: gzip`` and every stylesheet and
script the page links to (images and icons are left out: "before images"), and prints per
page the HTML, the CSS/JS and the total, raw (uncompressed) and as sent. Exit status 1 when
a page's raw total is over the budget (200 KB, issue #12).

tests/test_page_weight.py runs the same measurement; docs/poor-connections.md has figures.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_KB = 200
DEMO_LEARNER = "asn@demo.lms.id"
COURSE = "nilai-dasar-berakhlak"       # the learner studies this one (lessons, quiz)
CERTIFIED = "literasi-digital-asn"      # and holds a certificate of this one
_ASSETS = re.compile(r'<(?:link[^>]*\brel="stylesheet"[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"')


@dataclass
class PageWeight:
    """One page: its HTML and its CSS/JS, raw (identity) and as sent (gzip when accepted)."""

    name: str
    path: str
    html_raw: int = 0
    html_sent: int = 0
    assets: dict = field(default_factory=dict)  # path -> [raw, sent]

    @property
    def raw(self) -> int:
        return self.html_raw + sum(raw for raw, _ in self.assets.values())

    @property
    def sent(self) -> int:
        return self.html_sent + sum(sent for _, sent in self.assets.values())


def fetch(client, path: str) -> tuple[int, int, str]:
    """(raw bytes, bytes sent, text) of one GET with Accept-Encoding: gzip."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, f"{path}: {response.status_code}"
    sent = response.get_data()
    response.close()
    raw = gzip.decompress(sent) if response.headers.get("Content-Encoding") == "gzip" else sent
    return len(raw), len(sent), raw.decode("utf-8", "replace")


def weigh(client, name: str, path: str) -> PageWeight:
    page = PageWeight(name, path)
    page.html_raw, page.html_sent, html = fetch(client, path)
    for asset in dict.fromkeys(_ASSETS.findall(html)):
        raw, sent, _text = fetch(client, asset.split("?", 1)[0])
        page.assets[asset] = [raw, sent]
    return page


def learner_pages(app) -> list[tuple[str, str]]:
    """Seed the demo data into `app`'s empty database, sign the demo learner in on a new test
    client, and walk to every page measured; returns (client, [(name, path)])."""
    from sqlalchemy import select

    from lms.database import db
    from lms.models import Course, Enrollment, User
    from lms.services import certificates, courses, demo
    from lms.services.demo import DEMO_PASSWORD
    from lms.testing import LmsClient

    with app.app_context():
        demo.seed()
    app.test_client_class = LmsClient
    client = app.test_client()
    response = client.submit("/login", {"login": DEMO_LEARNER, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "the demo learner could not sign in"
    for slug in (COURSE, CERTIFIED):
        client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    with app.app_context():
        outline = courses.published_outline(COURSE)
        lessons = [lesson.key for lesson in outline.lessons]
        quiz = outline.quizzes[-1].key
    for key in lessons[:2]:  # some progress, so the course page and dashboard show it
        client.submit(f"/learn/{COURSE}/{key}/complete", form_page=f"/learn/{COURSE}/{key}")
    attempt = client.submit(f"/learn/{COURSE}/quiz/{quiz}/start",
                            form_page=f"/learn/{COURSE}/quiz/{quiz}").location
    with app.app_context():
        import datetime as dt

        user = db.session.scalar(select(User).where(User.email == DEMO_LEARNER))
        version = courses.published_version(CERTIFIED, with_lessons=False)
        mine = db.session.scalar(select(Enrollment).join(Course).where(
            Enrollment.user_id == user.id, Course.slug == CERTIFIED))
        mine.completed_at, mine.completed_version_id = dt.datetime.now(dt.timezone.utc), version.id
        mine.jp_awarded = version.jp
        certificate = certificates.issue_for_enrollment(mine)
        db.session.commit()
        code = certificate.verify_code if hasattr(certificate, "verify_code") else certificate.code
    pages = [("catalog", "/courses"), ("course page", f"/courses/{COURSE}")]
    pages += [(f"lesson {key}", f"/learn/{COURSE}/{key}") for key in lessons]
    pages += [("quiz page", f"/learn/{COURSE}/quiz/{quiz}"), ("quiz attempt", attempt),
              ("dashboard /me", "/me"), ("JP ledger", "/me/jp"), ("certificates", "/me/certificates"),
              ("verify", f"/verify/{code}")]
    return client, pages


def measure(app) -> list[PageWeight]:
    client, pages = learner_pages(app)
    return [weigh(client, name, path) for name, path in pages]


def table(results: list[PageWeight]) -> str:
    kb = lambda n: f"{n / 1024:,.1f}"  # noqa: E731 - a formatter
    lines = [f"{'page':<28} {'HTML raw':>9} {'sent':>7} {'CSS/JS raw':>10} {'sent':>7} {'total raw':>9} {'sent':>7}  (KB)"]
    for page in results:
        assets_raw = page.raw - page.html_raw
        assets_sent = page.sent - page.html_sent
        lines.append(f"{page.name[:28]:<28} {kb(page.html_raw):>9} {kb(page.html_sent):>7} {kb(assets_raw):>10} "
                     f"{kb(assets_sent):>7} {kb(page.raw):>9} {kb(page.sent):>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--budget-kb", type=int, default=BUDGET_KB)
    args = parser.parse_args(argv)

    from lms import create_app
    from lms.database import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp}/weight.sqlite3",
                                     "STORAGE_DIR": f"{tmp}/storage", "PLUGINS": []})
        with app.app_context():
            db.create_all()
        results = measure(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(table(results))
    over = [page.name for page in results if page.raw > args.budget_kb * 1024]
    print(f"budget {args.budget_kb} KB raw per page with its CSS/JS: "
          + ("all pages within" if not over else f"OVER: {', '.join(over)}"))
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{**asdict(page), "raw": page.raw, "sent": page.sent} for page in results], indent=2) + "\n")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
