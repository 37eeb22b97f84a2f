"""Certificate benchmark: issuance for many completions, and PDF rendering.

    python bench/bench_certificates.py --count 10000 [--pdf-count 500]

Prints certificates per second for (1) PDF rendering of --pdf-count certificates with
distinct data (no database), and (2) issuance: ``issue_for_enrollment`` for --count completed
enrolments in a throw-away SQLite database, each in its own transaction like a real
completion. Writes the numbers as JSON to bench/results/certificates-<date>.json.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"

FIRST = ["Siti", "Budi", "Ni Luh Putu", "I Gede", "Nguyễn Thị", "Raden Ayu", "Muhammad",
         "Dewi", "Agus", "Anna", "Ṣarasvatī", "Yohanes", "Fransiska", "Ahmad", "Ketut"]
LAST = ["Rahmawati", "Santoso", "Ayu Lestari", "Wibowo", "Ánh", "Kusumawardhani", "Ma'ruf",
        "Prasetyo", "Hutagalung", "Петрова", "Simanjuntak", "Pattiasina", "Nugroho", "Sari"]
TOPICS = ["Analisis Jabatan", "Pelayanan Publik", "Manajemen Risiko", "Pengadaan Barang/Jasa",
          "Kearsipan Digital", "Penyusunan SKP", "Etika ASN", "Keamanan Informasi",
          "Perencanaan Anggaran Berbasis Kinerja", "Transformasi Digital Pemerintah Daerah"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(durations: list[float]) -> dict:
    """Rates and per-certificate times (ms) from per-certificate durations in seconds."""
    total = sum(durations)
    ms = [d * 1000 for d in durations]
    return {"count": len(durations), "total_s": round(total, 3),
            "per_second": round(len(durations) / total, 1) if total else None,
            "mean_ms": round(statistics.mean(ms), 2), "p50_ms": round(percentile(ms, 0.5), 2),
            "p95_ms": round(percentile(ms, 0.95), 2), "max_ms": round(max(ms), 2)}


# ----------------------------------------------------------------- PDF rendering


def sample_data(n: int, rng: random.Random):
    from lms.certificates.data import CertificateData

    code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                   for _ in range(32))
    title = f"Pelatihan {rng.choice(TOPICS)}"
    if n % 7 == 0:  # some long titles, which wrap and shrink
        title += " " + " ".join(rng.sample(TOPICS, 4))
    language = "en" if n % 10 == 0 else "id"
    return CertificateData(
        number=f"SMG-2026-{n:06d}", code=code,
        verify_url=f"https://lms.bkpsdm.semarangkota.go.id/verify/{code}",
        holder_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        holder_nip="" if n % 9 == 0 else f"19{rng.randint(60, 99)}{rng.randint(1, 12):02d}"
                                         f"{rng.randint(1, 28):02d}20{rng.randint(10, 24)}"
                                         f"{rng.randint(1, 12):02d}{rng.randint(1, 2)}{n % 1000:03d}",
        course_title=title, course_version=rng.randint(1, 4), jp=rng.choice([2, 4, 8, 16, 24, 40]),
        competency="teknis", competency_label="Technical" if language == "en" else "Teknis",
        issued_on=dt.date(2026, 11, 24), completed_on=dt.date(2026, 11, rng.randint(1, 24)),
        issuer_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia Kota Semarang",
        issuer_city="Semarang", signer_name="Dr. Budi Santoso, M.Si.",
        signer_title="Kepala Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        language=language)


def bench_pdf(count: int) -> dict:
    """Render `count` certificates with distinct data through the classic template."""
    from lms.certificates.pdf import ClassicTemplate, preload_fonts

    template = ClassicTemplate()
    rng = random.Random(20261124)
    data = [sample_data(n, rng) for n in range(1, count + 1)]
    started = time.perf_counter()
    preload_fonts()
    template.render(sample_data(0, rng))  # the first render also warms fpdf2 and fontTools
    warm_up = time.perf_counter() - started
    durations, sizes = [], []
    for item in data:
        started = time.perf_counter()
        document = template.render(item)
        durations.append(time.perf_counter() - started)
        sizes.append(len(document))
    result = summary(durations)
    result["first_render_ms"] = round(warm_up * 1000, 1)
    result["mean_bytes"] = round(statistics.mean(sizes))
    return result


# ---------------------------------------------------------------------- issuance


def bench_issuance(count: int) -> dict:
    """Issue certificates for `count` completed enrolments in a throw-away database.

    Users and enrolments are bulk-inserted (not timed); then each ``issue_for_enrollment``
    call and the commit of its transaction are timed, one certificate at a time.
    """
    if importlib.util.find_spec("lms.services.certificates") is None:
        return {"skipped": "lms.services.certificates not available"}
    from lms.services import certificates as service

    if not hasattr(service, "issue_for_enrollment"):
        return {"skipped": "lms.services.certificates has no issue_for_enrollment"}

    from sqlalchemy import insert, select

    from lms import create_app, events
    from lms.database import db
    from lms.models import Enrollment, EnrollmentSource, EnrollmentStatus, Role, User
    from lms.packages.manifest import parse_manifest
    from lms.services import courses
    from lms.services.accounts import hash_password
    from lms.testing import course_manifest

    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        app = create_app("testing", {"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                                     "STORAGE_DIR": f"{tmp}/storage"})
        with app.app_context():
            db.create_all()
            manifest, bodies = course_manifest("bench-sertifikat", title="Analisis Jabatan", jp=8)
            spec, problems = parse_manifest(manifest)
            assert not problems, problems
            version = courses.import_version(spec, bodies)
            courses.publish(version)
            course_id, version_id, jp = version.course_id, version.id, version.jp

            prepared = time.perf_counter()
            password = hash_password("rahasia-ASN-1")
            db.session.execute(insert(User), [
                {"email": f"pegawai{n}@example.go.id", "name": f"Pegawai Bench {n}",
                 "nip": f"199001012015{1 + n % 2}{n:05d}", "password_hash": password,
                 "role": Role.LEARNER, "active": True} for n in range(1, count + 1)])
            user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
            completed = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
            db.session.execute(insert(Enrollment), [
                {"user_id": user_id, "course_id": course_id, "status": EnrollmentStatus.COMPLETED,
                 "source": EnrollmentSource.SELF, "completed_at": completed,
                 "completed_version_id": version_id, "jp_awarded": jp} for user_id in user_ids])
            db.session.commit()
            enrollment_ids = db.session.scalars(select(Enrollment.id).order_by(Enrollment.id)).all()
            setup_s = time.perf_counter() - prepared

            durations = []
            for enrollment_id in enrollment_ids:
                enrollment = db.session.get(Enrollment, enrollment_id)
                started = time.perf_counter()
                service.issue_for_enrollment(enrollment)
                events.commit()
                durations.append(time.perf_counter() - started)
                db.session.expunge_all()  # keep the identity map from growing
            db.session.remove()
            db.engine.dispose()
    result = summary(durations)
    result["setup_s"] = round(setup_s, 2)
    result["database"] = "sqlite (temporary file)"
    return result


# -------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000,
                        help="completions to issue certificates for (default 10000)")
    parser.add_argument("--pdf-count", type=int, default=500,
                        help="certificates to render as PDF (default 500)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS,
                        help="where to write certificates-<date>.json")
    args = parser.parse_args(argv)

    pdf = bench_pdf(args.pdf_count)
    print(f"pdf rendering: {pdf['count']} certificates in {pdf['total_s']} s = "
          f"{pdf['per_second']} certificates/s; mean {pdf['mean_ms']} ms, "
          f"p95 {pdf['p95_ms']} ms, max {pdf['max_ms']} ms per PDF "
          f"(first render {pdf['first_render_ms']} ms, target < 50 ms)")
    issuance = bench_issuance(args.count)
    if "skipped" in issuance:
        print(f"issuance: skipped ({issuance['skipped']})")
    else:
        print(f"issuance: {issuance['count']} certificates in {issuance['total_s']} s = "
              f"{issuance['per_second']} certificates/s; mean {issuance['mean_ms']} ms, "
              f"p95 {issuance['p95_ms']} ms (setup {issuance['setup_s']} s)")

    result = {
        "benchmark": "certificates", "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "arguments": {"count": args.count, "pdf_count": args.pdf_count},
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "versions": {name: _version(name) for name in ("fpdf2", "fonttools", "segno", "SQLAlchemy")},
        "pdf": pdf, "issuance": issuance,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"certificates-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return result


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
