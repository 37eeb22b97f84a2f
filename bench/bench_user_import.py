"""User CSV import benchmark: 10,000 ASN accounts in one all-or-nothing transaction.

    python bench/bench_user_import.py [--rows 10000] [--existing 5000] [--units 200]
                                      [--repeat 3] [--database-url URL]

Builds a unit tree (one agency, OPDs and sub-units), inserts `--existing` accounts (not
timed) so the duplicate checks have something to look through, and writes a CSV the way
Excel in Indonesian saves it (UTF-8 with BOM, semicolons, a quoted name with a comma).
Then times, per repeat: (1) the dry run (``lms.services.user_import.check``: parsing, NIP
and email rules, unit lookups, duplicate checks in the file and the database), (2) the
import (``run``: the same checks again, then the accounts and their audit entries in one
transaction, temporary passwords hashed), (3) writing the passwords CSV. Each repeat
imports a fresh file (new NIPs and emails). Prints seconds (median of the repeats) and
writes JSON to bench/results/user-import-<database>-<date>.json.

``--database-url`` names a database whose tables are DROPPED before and after.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"


def nip(n: int) -> str:
    """A distinct valid NIP for person n (900 per birth date)."""
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=n // 900)
    return f"{birth:%Y%m%d}199003{1 + n % 2}{n % 900 + 1:03d}"


def build_csv(rows: int, start: int, unit_codes: list[str]) -> bytes:
    """Rows as Excel in Indonesian saves them: BOM, semicolons, some quoted values."""
    golongan = ["II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "PPPK IX"]
    lines = ["nip;nama;email;kode_unit;jabatan;golongan"]
    for n in range(start, start + rows):
        name = f'"Pegawai {n}, S.Kom."' if n % 10 == 0 else f"Pegawai Nomor {n}"
        lines.append(";".join([nip(n), name, f"pegawai.{n}@kota.example.go.id",
                               unit_codes[n % len(unit_codes)], "Analis Kebijakan Ahli Pertama",
                               golongan[n % len(golongan)]]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def prepare(db, units: int, existing: int) -> list[str]:
    """The unit tree and the accounts already there; returns the unit codes rows may use."""
    from sqlalchemy import insert

    from lms.models import Role, User
    from lms.services import orgs

    agency = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota Benchmark", kind="instansi")
    codes = []
    opds = [orgs.create_unit(code=f"OPD-{i:02d}", name=f"Dinas {i}", kind="opd", parent=agency)
            for i in range(max(1, units // 5))]
    codes += [o.code for o in opds]
    for i in range(units - len(opds)):
        parent = opds[i % len(opds)]
        codes.append(orgs.create_unit(code=f"{parent.code}-{i:03d}", name=f"Bidang {i}", kind="sub_unit",
                                      parent=parent).code)
    if existing:
        db.session.execute(insert(User), [
            {"name": f"Lama {n}", "email": f"lama.{n}@kota.example.go.id", "nip": nip(900_000 + n),
             "role": Role.LEARNER, "password_hash": "x", "active": True, "must_change_password": False}
            for n in range(existing)])
        db.session.commit()
    return codes


def run(rows: int, existing: int, units: int, repeat: int, database_url: str | None) -> dict:
    from lms import create_app
    from lms.database import db
    from lms.services import user_import

    times: dict[str, list[float]] = {"check": [], "import": [], "passwords_csv": []}
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        app = create_app("testing", {"DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.sqlite3",
                                     "STORAGE_DIR": f"{tmp}/storage"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            codes = prepare(db, units, existing)
            sizes = []
            for r in range(repeat):
                data = build_csv(rows, r * rows, codes)
                sizes.append(len(data))
                plan, seconds = timed(lambda: user_import.check(data))
                assert plan.ok, [p.english() for p in plan.problems[:3]]
                times["check"].append(seconds)
                db.session.rollback()  # end the reading transaction, as a request would
                (created, plan), seconds = timed(lambda: user_import.run(data, source="bench.csv"))
                assert len(created) == rows
                times["import"].append(seconds)
                times["passwords_csv"].append(timed(lambda: user_import.credentials_csv(created, ";"))[1])
                db.session.expunge_all()
            db.session.remove()  # SQLite would lock drop_all behind an open transaction
            db.drop_all()
            db.session.remove()
            db.engine.dispose()
    return {"seconds_median": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "seconds_all": {k: [round(x, 3) for x in v] for k, v in times.items()},
            "csv_bytes": statistics.median(sizes)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=5_000, help="accounts already in the database")
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file (tables dropped)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    result = run(args.rows, args.existing, args.units, args.repeat, args.database_url)
    median = result["seconds_median"]
    database = "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite"
    print(f"file: {args.rows} rows, {result['csv_bytes'] / 1024:.0f} KiB; {args.existing} accounts and "
          f"{args.units} units already there")
    print(f"{database}: dry run {median['check']} s · import {median['import']} s · "
          f"passwords CSV {median['passwords_csv']} s (median of {args.repeat})")
    record = {"benchmark": "user-import", "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "arguments": vars(args) | {"results_dir": str(args.results_dir)}, "database": database,
              "machine": {"python": platform.python_version(), "platform": platform.platform()}, **result}
    record["arguments"].pop("database_url", None)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"user-import-{database}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return record


if __name__ == "__main__":
    main()
