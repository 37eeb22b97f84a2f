"""JP compliance report benchmark: 50,000 ASN and 500,000 approved JP entries.

    python bench/bench_jp_report.py [--people 50000] [--entries 500000] [--opds 40]
                                    [--sub-units 4] [--repeat 7] [--database-url URL] [--explain]

Builds one agency (1 instansi, --opds OPD, --sub-units sub-units under each OPD), bulk-loads
the ASN (a few inactive or without NIP, who are not counted) and their ledgers: --entries
approved entries of the report year plus 10 % noise (pending, rejected, last year), with COPY
on PostgreSQL and executemany on SQLite; the bulk load bypasses the ORM, so the per-person
rollup the report reads (jp_year_totals) is then filled by ``jp_ledger.rebuild_totals``, the
one INSERT ... SELECT ... GROUP BY that ``flask lms rebuild-jp-totals`` runs. Then times,
per scope (the whole agency, the instansi, one OPD, one sub-unit), what /admin/reports/jp runs: the summary (totals,
distribution, per sub-unit) plus the competency breakdown plus the first page of people
sorted by fewest JP (``jp_reports.report`` + ``people_page``), and the full people CSV of the
agency. Prints medians in milliseconds and writes JSON to bench/results/jp-report-<db>-<date>.json.
Default database: a temporary SQLite file. With --database-url the tables there are dropped
and created (never point it at a database you need).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
YEAR = 2026
COMPETENCIES = ("teknis", "manajerial", "sosial-kultural")
JP_VALUES = (1, 2, 2, 3, 4, 4, 6, 8)
ENTRY_COLUMNS = ("user_id", "year", "source", "status", "jp", "title", "organiser", "competency",
                 "start_on", "end_on", "decision_note")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def refuse_protected(url: str | None) -> None:
    """Never drop tables in the test suite's database."""
    if url and url.rsplit("/", 1)[-1].split("?", 1)[0] in ("test", "postgres"):
        sys.exit(f"refusing to use {url}: its tables would be dropped")


# ------------------------------------------------------------------------- data


def build_units(opds: int, sub_units: int):
    """The unit tree through the service (paths included); returns (root, [opd], [sub-unit])."""
    from lms.services import orgs

    root = orgs.create_unit(code="PEMPROV", name="Pemerintah Provinsi", kind="instansi")
    opd_units, subs = [], []
    for o in range(1, opds + 1):
        opd = orgs.create_unit(code=f"OPD{o:02d}", name=f"Organisasi Perangkat Daerah {o}", kind="opd", parent=root)
        opd_units.append(opd)
        for s in range(1, sub_units + 1):
            subs.append(orgs.create_unit(code=f"OPD{o:02d}-{s}", name=f"Bidang {s} OPD {o}", kind="sub_unit",
                                         parent=opd))
    return root, opd_units, subs


def build_users(count: int, opds: list, subs: list, rng: random.Random) -> list[int]:
    """Bulk-insert `count` users: 80 % in sub-units, 20 % directly in an OPD; 2 % inactive, 1 % no NIP."""
    from sqlalchemy import insert, select

    from lms.database import db
    from lms.models import Role, User

    rows = []
    for n in range(1, count + 1):
        unit = rng.choice(subs) if rng.random() < 0.8 else rng.choice(opds)
        rows.append({"email": f"asn{n}@example.go.id", "name": f"ASN {n:06d}",
                     "nip": None if n % 100 == 0 else str(198001012005011000 + n), "password_hash": "x",
                     "role": Role.LEARNER, "active": n % 50 != 0, "unit_id": unit.id})
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(User), rows[start:start + 10_000])
    db.session.commit()
    ids = list(db.session.scalars(select(User.id).order_by(User.id)))
    db.session.commit()  # end the reading transaction: SQLite would lock the bulk load
    return ids


def entry_rows(user_ids: list[int], approved: int, rng: random.Random):
    """`approved` approved entries of YEAR (skewed: some people get many, some none) + 10 % noise."""
    weights = [rng.choice((0, 0.3, 1, 1, 1.5, 2, 3)) for _ in user_ids]
    owners = rng.choices(user_ids, weights=weights, k=approved)
    noise = rng.choices(user_ids, k=approved // 10)
    for n, user_id in enumerate(owners + noise):
        kind = "approved" if n < approved else rng.choice(("pending", "rejected", "approved-last-year"))
        year = YEAR - 1 if kind == "approved-last-year" else YEAR
        status = "approved" if kind.startswith("approved") else kind
        day = dt.date(year, 1, 1) + dt.timedelta(days=n % 360)
        yield (user_id, year, "course" if n % 3 else "external", status, rng.choice(JP_VALUES),
               "Pelatihan", "", rng.choice(COMPETENCIES), day, day, "")


def load_entries(rows, dialect: str) -> float:
    """COPY on PostgreSQL, one executemany on SQLite; returns seconds."""
    from lms.database import db

    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "postgresql":
            with cursor.copy(f"COPY jp_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # the app's SQLite connections autocommit unless told BEGIN (lms.database)
            cursor.execute("BEGIN")
            marks = ", ".join("?" for _ in ENTRY_COLUMNS)
            cursor.executemany(f"INSERT INTO jp_entries ({', '.join(ENTRY_COLUMNS)}, created_at) "
                               f"VALUES ({marks}, CURRENT_TIMESTAMP)",
                               ((*r[:8], r[8].isoformat(), r[9].isoformat(), r[10]) for r in rows))
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def fill_totals() -> float:
    """jp_year_totals from the loaded ledger (as `flask lms rebuild-jp-totals`); returns seconds."""
    from lms.services import jp_ledger

    started = time.perf_counter()
    jp_ledger.rebuild_totals()
    return time.perf_counter() - started


def analyse(dialect: str) -> None:
    """Statistics for the planner, as a running server has them. On PostgreSQL also VACUUM,
    which autovacuum does after a bulk load anyway: it marks pages all-visible, which index-only
    scans need; right after COPY every lookup would visit the table as well."""
    from sqlalchemy import text

    from lms.database import db

    db.session.remove()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"))


def existing_units():
    """(instansi, [OPD], [sub-unit]) of a database a --keep run left."""
    from sqlalchemy import select

    from lms.database import db
    from lms.models import Unit, UnitKind

    units = list(db.session.scalars(select(Unit).order_by(Unit.path)))
    return ([u for u in units if u.kind == UnitKind.INSTANSI][0], [u for u in units if u.kind == UnitKind.OPD],
            [u for u in units if u.kind == UnitKind.SUB_UNIT])


# ----------------------------------------------------------------------- timing


def time_scope(scope, repeat: int) -> dict:
    """Median and worst milliseconds of report + first people page for one scope."""
    from lms.database import db
    from lms.services import jp_reports

    durations, figures = [], None
    for _ in range(repeat + 1):  # the first run warms caches and is not counted
        db.session.expire_all()
        started = time.perf_counter()
        report = jp_reports.report(scope, YEAR)
        page = jp_reports.people_page(report)
        elapsed = time.perf_counter() - started
        durations.append(elapsed)
        figures = {"asn": report.total.people, "reached": report.total.reached, "percent": report.total.percent,
                   "groups": len(report.groups), "first_page": len(page.items)}
        db.session.rollback()
    ms = [d * 1000 for d in durations[1:]]
    return {"median_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1),
            "p90_ms": round(percentile(ms, 0.9), 1), **figures}


def time_export(scope) -> dict:
    from lms.services import jp_reports

    started = time.perf_counter()
    rows = sum(1 for _ in jp_reports.people_rows(scope, YEAR)) - 1
    return {"rows": rows, "ms": round((time.perf_counter() - started) * 1000, 1)}


def explain(scope, dialect: str) -> None:
    """Print the plans of the two heavy statements (the grouped summary and the people page)."""
    from sqlalchemy import text

    from lms.database import db
    from lms.services import jp_reports

    report = jp_reports.report(scope, YEAR)
    statements = {"summary": jp_reports.grouped_statement(scope, YEAR, report.target),
                  "people page": jp_reports.people_select(scope, YEAR, "jp", False, report.target).limit(50)}
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    for name, statement in statements.items():
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        print(f"--- {name} ({scope.code or 'agency'})")
        for row in db.session.execute(text(prefix + str(compiled))):
            print("   ", " | ".join(str(v) for v in row))


# ------------------------------------------------------------------------- main


def run(args) -> dict:
    from lms import create_app
    from lms.database import db
    from lms.services.jp_reports import Scope

    rng = random.Random(20261124)
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app("testing", {"DATABASE_URL": url, "STORAGE_DIR": f"{tmp}/storage"})
        with app.app_context():
            dialect = db.engine.dialect.name
            if args.reuse:  # the data a previous --keep run left
                users_s = entries_s = totals_s = 0.0
                root, opds, subs = existing_units()
            else:
                db.drop_all()
                db.create_all()
                started = time.perf_counter()
                root, opds, subs = build_units(args.opds, args.sub_units)
                user_ids = build_users(args.people, opds, subs, rng)
                users_s = time.perf_counter() - started
                entries_s = load_entries(list(entry_rows(user_ids, args.entries, rng)), dialect)
                totals_s = fill_totals()
                analyse(dialect)
            scopes = {"agency": Scope(None), "instansi": Scope(root), "opd": Scope(opds[0]), "sub_unit": Scope(subs[0])}
            timings = {name: time_scope(scope, args.repeat) for name, scope in scopes.items()}
            export = time_export(Scope(None))
            if args.explain:
                for scope in (scopes["instansi"], scopes["opd"]):
                    explain(scope, dialect)
            db.session.remove()
            if not args.keep:
                db.drop_all()
                db.session.remove()
            db.engine.dispose()
    return {"database": dialect, "setup_s": {"units_and_users": round(users_s, 1), "entries": round(entries_s, 1),
                                                 "totals": round(totals_s, 1)},
            "timings": timings, "export_all_people": export}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=500_000, help="approved entries of the report year")
    parser.add_argument("--opds", type=int, default=40)
    parser.add_argument("--sub-units", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", help="default: a temporary SQLite file; its tables are dropped")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--keep", action="store_true", help="leave the tables and data (with --database-url)")
    parser.add_argument("--reuse", action="store_true", help="time the data a --keep run left, loading nothing")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    refuse_protected(args.database_url)

    result = run(args)
    print(f"{result['database']}: {args.people} people, {args.entries} approved entries "
          f"(+{args.entries // 10} noise); setup {result['setup_s']}")
    for name, t in result["timings"].items():
        print(f"  {name:<9} report + first page: median {t['median_ms']} ms, p90 {t['p90_ms']} ms, "
              f"max {t['max_ms']} ms  ({t['asn']} ASN, {t['reached']} reached, {t['groups']} groups)")
    export = result["export_all_people"]
    print(f"  export of every person (CSV rows): {export['rows']} rows in {export['ms']} ms")
    record = {"benchmark": "jp-report", "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "arguments": {k: v for k, v in vars(args).items() if k not in ("database_url", "results_dir")},
              "machine": {"python": platform.python_version(), "platform": platform.platform()}, **result}
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"jp-report-{result['database']}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return record


if __name__ == "__main__":
    main()
