"""Package import benchmark: a course of 200 lessons and 500 questions.

    python bench/bench_import.py [--lessons 200] [--questions 500] [--assets 20]
                                 [--repeat 3] [--database-url URL]

Builds one lms-course/1 zip (Markdown lessons of about 2 KB, questions of every core type
split over YAML and GIFT quiz files, small PNG assets), then times, per repeat:
(1) reading and validating the zip, (2) importing it as a new version in one transaction
(validation included, as an upload does), (3) the diff against the previous version,
(4) exporting the version back to a zip. Prints seconds (median of the repeats) and writes
JSON to bench/results/import-<date>.json. Default database: a temporary SQLite file.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
SLUG = "bench-impor-besar"


def png(seed: int) -> bytes:
    """A tiny valid PNG whose colour depends on `seed` (so each asset has distinct bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes([seed % 256, (seed * 7) % 256, (seed * 13) % 256]) * 8
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * 8)) + chunk(b"IEND", b""))


def lesson_text(n: int, asset: str | None) -> str:
    """About 2 KB of Markdown with the constructs authors use: headings, lists, a table."""
    paragraph = (f"Pelajaran {n} membahas langkah kerja layanan publik di unit kerja. "
                 "Pegawai mencatat permohonan, memeriksa kelengkapan berkas, dan memberi tanda "
                 "terima. Setiap langkah punya standar waktu yang diumumkan kepada warga. ")
    image = f"\n![Diagram alur {n}]({asset})\n" if asset else ""
    return (f"## Tujuan pelajaran {n}\n\n{paragraph * 3}\n{image}\n### Langkah\n\n"
            + "".join(f"{i}. Langkah ke-{i}: periksa dokumen dan catat hasilnya.\n" for i in range(1, 6))
            + "\n| Tahap | Waktu |\n| --- | --- |\n| Verifikasi | 1 hari |\n| Persetujuan | 2 hari |\n\n"
            + f"> Catatan: {paragraph}\n\n**Ringkasan.** {paragraph}\n")


def yaml_question(n: int) -> dict:
    kinds = ("single", "multiple", "truefalse", "short", "numerical", "matching", "ordering", "essay")
    kind = kinds[n % len(kinds)]
    base = {"id": f"s{n:04d}", "type": kind, "text": f"Soal nomor {n}: pilih jawaban yang tepat.",
            "category": f"bab-{n % 10}"}
    if kind == "single":
        base["options"] = [{"id": c, "text": f"Pilihan {c} untuk soal {n}", "fraction": 1 if c == "a" else 0,
                            "feedback": f"Umpan balik {c}"} for c in "abcd"]
    elif kind == "multiple":
        base["options"] = [{"id": c, "text": f"Pilihan {c} untuk soal {n}",
                            "fraction": 0.5 if c in "ab" else -0.5} for c in "abcd"]
    elif kind == "truefalse":
        base["answer"] = n % 2 == 0
    elif kind == "short":
        base["answers"] = [{"text": f"jawaban{n}", "fraction": 1}, {"text": f"jawaban {n}", "fraction": 0.5}]
    elif kind == "numerical":
        base["answers"] = [{"value": n, "tolerance": 0.5, "fraction": 1}]
    elif kind == "matching":
        base["pairs"] = [{"left": f"Istilah {i}", "right": f"Arti {i}"} for i in range(4)]
    elif kind == "ordering":
        base["items"] = [f"Tahap {i}" for i in range(5)]
    else:
        base["min_words"] = 20
    return base


def gift_question(n: int) -> str:
    return (f"::g{n:04d}::Soal GIFT {n}: mana yang benar? {{\n=Jawaban benar {n}#Tepat.\n"
            f"~Jawaban salah A {n}#Kurang tepat.\n~Jawaban salah B {n}\n~Jawaban salah C {n}\n}}\n\n")


def build_package(lessons: int, questions: int, assets: int) -> bytes:
    import yaml

    from lms.packages.archive import write_package

    files, blobs, sections = {}, {}, []
    per_section = 20
    for s in range(0, lessons, per_section):
        entries = []
        for n in range(s, min(lessons, s + per_section)):
            asset = f"assets/diagram-{n % assets}.png" if assets else None
            files[f"lessons/l{n:03d}.md"] = lesson_text(n, asset)
            entries.append({"id": f"l{n:03d}", "title": f"Pelajaran {n}", "file": f"lessons/l{n:03d}.md"})
        sections.append({"title": f"Bagian {s // per_section + 1}", "lessons": entries})
    half = questions // 2
    files["quizzes/bank-yaml.yaml"] = yaml.safe_dump([yaml_question(n) for n in range(half)],
                                                     allow_unicode=True, sort_keys=False)
    files["quizzes/bank-gift.gift"] = "".join(gift_question(n) for n in range(questions - half))
    sections[-1]["quizzes"] = [
        {"id": "kuis-yaml", "title": "Kuis YAML", "file": "quizzes/bank-yaml.yaml", "pass": 70, "draw": 20},
        {"id": "kuis-gift", "title": "Kuis GIFT", "file": "quizzes/bank-gift.gift", "pass": 70, "draw": 20}]
    for n in range(assets):
        blobs[f"assets/diagram-{n}.png"] = png(n)
    manifest = {"format": "lms-course/1", "slug": SLUG, "title": "Kursus Besar untuk Benchmark",
                "language": "id", "jp": 20, "competency": "teknis", "summary": "Benchmark impor.",
                "sections": sections}
    return write_package(manifest, files, blobs)


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def run(data: bytes, repeat: int, database_url: str | None) -> dict:
    from lms import create_app
    from lms.database import db
    from lms.models import Role, User
    from lms.packages.archive import read_package
    from lms.services import packages, versions

    times: dict[str, list[float]] = {"read_and_validate": [], "import": [], "diff": [], "export": []}
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp:
        app = create_app("testing", {"DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.sqlite3",
                                     "STORAGE_DIR": f"{tmp}/storage"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            admin = User(name="Bench", email="bench@example.go.id", role=Role.ADMIN, password_hash="x")
            db.session.add(admin)
            db.session.commit()
            previous = None
            for _ in range(repeat):
                (package, problems), seconds = timed(lambda: read_package(data, file="bench.zip"))
                assert not problems, problems[:3]
                times["read_and_validate"].append(seconds)
                version, seconds = timed(lambda: packages.import_upload(data, "bench.zip", admin))
                times["import"].append(seconds)
                if previous is not None:
                    times["diff"].append(timed(lambda: versions.diff(previous, version))[1])
                exported, seconds = timed(lambda: packages.export_zip(version))
                times["export"].append(seconds)
                previous = version
                db.session.expunge_all()
            counts = {"lessons": len(version.lessons), "export_bytes": len(exported)}
            db.session.remove()  # end the reading transaction: SQLite would lock drop_all
            db.drop_all()
            db.session.remove()
            db.engine.dispose()
    return {"seconds_median": {k: round(statistics.median(v), 3) for k, v in times.items() if v},
            "seconds_all": {k: [round(x, 3) for x in v] for k, v in times.items()}, **counts}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=200)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file (dropped after)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    data, build_s = timed(lambda: build_package(args.lessons, args.questions, args.assets))
    result = run(data, args.repeat, args.database_url)
    median = result["seconds_median"]
    database = "postgresql" if args.database_url and args.database_url.startswith("postgresql") else "sqlite"
    print(f"package: {args.lessons} lessons, {args.questions} questions, {args.assets} assets, "
          f"{len(data) / 1024:.0f} KiB zip (built in {build_s:.2f} s)")
    print(f"{database}: read+validate {median['read_and_validate']} s · import {median['import']} s · "
          f"diff {median.get('diff', '-')} s · export {median['export']} s (median of {args.repeat})")
    record = {"benchmark": "import", "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "arguments": vars(args) | {"results_dir": str(args.results_dir)}, "database": database,
              "zip_bytes": len(data), "machine": {"python": platform.python_version(),
                                                  "platform": platform.platform()}, **result}
    record["arguments"].pop("database_url", None)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"import-{database}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return record


if __name__ == "__main__":
    main()
