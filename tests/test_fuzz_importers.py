"""Fuzzing the three importers with hypothesis: course packages, GIFT question files, CSV users.

Each target is called the way the web or the command line calls it. Whatever the input, the
importer either succeeds or raises its own validation error (never anything else, and never
the archive reader's "internal error" fallback, which would hide a crash), and a rejection
writes nothing: the row count of every table and the storage listing stay the same, and the
session holds no half-built object. Runs are derandomized so CI sees the same cases; the
examples each target ran are printed (``pytest -rP``) and quoted in docs/hostile-input.md.
"""
from __future__ import annotations

import io
import json
import string
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

#: Examples per property; together well under a minute on SQLite (see docs/hostile-input.md).
EXAMPLES = {"package_bytes": 150, "package_manifest": 200, "package_paths": 120, "package_single": 150,
            "gift_parse": 600, "gift_import": 120, "csv_bytes": 150, "csv_rows": 150}
FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large, HealthCheck.filter_too_much])
#: Examples run per target in this session, printed by each test (pytest -rP shows them).
RUN: Counter = Counter()

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
GIFT = "::q1:: Ibu kota Indonesia adalah {=Jakarta ~Bandung}\n"
LESSON = "# Pelajaran\n\nTeks biasa dengan ![gambar](assets/gambar.png).\n"


def manifest(slug: str = "fuzz-paket") -> dict:
    return {"format": "lms-course/1", "slug": slug, "title": "Uji Fuzz", "language": "id", "jp": 2,
            "competency": "teknis", "summary": "Ringkasan.",
            "sections": [{"title": "Bagian 1",
                          "lessons": [{"id": "a", "title": "Pelajaran A", "file": "lessons/a.md"}],
                          "quiz": {"id": "kuis", "title": "Kuis", "file": "quizzes/q.gift", "pass": 70}}]}


def files_of(spec: dict) -> dict[str, bytes]:
    return {"course.yaml": yaml.safe_dump(spec, allow_unicode=True, sort_keys=False).encode(),
            "lessons/a.md": LESSON.encode(), "quizzes/q.gift": GIFT.encode(), "assets/gambar.png": PNG}


def zip_of(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, content) pairs written as given: duplicates, odd names and all."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in entries:
                archive.writestr(zipfile.ZipInfo(name), content)
    return buffer.getvalue()


# ------------------------------------------------------------------------ the state checks


def snapshot(app) -> tuple[dict[str, int], list[str]]:
    """Rows per table and every file in storage: what a rejection must leave untouched."""
    from sqlalchemy import func, select

    from lms.database import db

    counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    root = Path(app.config["STORAGE_DIR"])
    listing = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return counts, listing


def assert_nothing_written(app, before) -> None:
    """The session holds nothing pending and the database and storage look as before."""
    from lms.database import db

    assert not db.session.new and not db.session.dirty and not db.session.deleted
    db.session.rollback()
    assert snapshot(app) == before


def report(target: str, outcomes: Counter) -> None:
    print(f"fuzz {target}: {sum(outcomes.values())} examples "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


# ------------------------------------------------------------------------ package importer


class Importer:
    """Import like the upload page's import job (web) or `flask lms import-course` (file), checking
    that a refusal is a PackageInvalid naming problems and writes nothing."""

    def __init__(self, app, uploader_id: int, tmp: Path):
        self.app, self.uploader_id, self.tmp = app, uploader_id, tmp
        self.outcomes: Counter = Counter()

    def __call__(self, data: bytes, via_file: bool = False) -> None:
        from lms.database import db
        from lms.models import User
        from lms.services import packages
        from lms.services.courses import PackageInvalid

        before = snapshot(self.app)
        try:
            if via_file:
                path = self.tmp / "fuzz.zip"
                path.write_bytes(data)
                packages.import_path(path)
            else:
                packages.import_upload(data, "fuzz.zip", db.session.get(User, self.uploader_id))
        except PackageInvalid as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
            assert not any("internal error" in p.message for p in exc.problems), exc.problems
            assert_nothing_written(self.app, before)
            self.outcomes["rejected"] += 1
        else:
            self.outcomes["imported"] += 1
        finally:
            db.session.remove()


@pytest.fixture
def importer(lms_app, lms_user, tmp_path):
    admin = lms_user("admin")
    with lms_app.app_context():
        yield Importer(lms_app, admin.id, tmp_path)


def yaml_values(max_leaves: int = 12):
    """Any value YAML or JSON can carry: scalars, unicode, huge strings, nested lists and maps."""
    scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
               | st.text(max_size=40) | st.sampled_from(["", "x" * 5000, "lms-course/1", "\x00", "../x",
                                                          "lessons/a.md", "quizzes/q.gift", "🙂" * 300]))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=max_leaves)


#: Paths that a safe reader must refuse or keep inside the package.
BAD_NAMES = ["../course.yaml", "/etc/passwd", "/course.yaml", "lessons\\a.md", "..\\..\\x.md",
             "lessons/../../x.md", "lessons/a\x00.md", "C:/x.md", "C:\\x.md", "lessons//a.md",
             "./course.yaml", "lessons/./a.md", "a/" * 120 + "deep.md", "x" * 300, "LESSONS/A.md",
             "lessons/a.md/", "assets/..", "assets/\u202egnp.exe", "assets/con", "", "/", "."]


def member_names():
    return st.sampled_from(BAD_NAMES + ["course.yaml", "lessons/a.md", "quizzes/q.gift", "assets/gambar.png",
                                        "lessons/b.md", "assets/x.svg", "top/course.yaml", "__MACOSX/x"]) \
        | st.text(alphabet=string.printable + "é\x00\\/.", max_size=30)


def mutate_manifest(draw, spec: dict) -> dict:
    """One change to the manifest: a field replaced by any value, dropped, or added."""
    spec = json.loads(json.dumps(spec))
    paths = list(_fields(spec))
    assume(paths)
    holder, key = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "drop", "add"]))
    if action == "drop" and isinstance(holder, dict):
        holder.pop(key)
    elif action == "add" and isinstance(holder, dict):
        holder[draw(st.text(max_size=20))] = draw(yaml_values())
    else:
        holder[key] = draw(yaml_values())
    return spec


def _fields(value, depth: int = 0):
    """(holder, key) of every field in nested mappings and lists, to mutate one of them."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield value, key
        if depth < 6:
            yield from _fields(inner, depth + 1)


@st.composite
def mutated_manifest_packages(draw) -> bytes:
    """A structurally valid zip whose manifest (or whole manifest text) is mutated."""
    files = files_of(manifest())
    kind = draw(st.sampled_from(["field", "field", "field", "whole", "text", "json"]))
    if kind == "field":
        spec = manifest()
        for _ in range(draw(st.integers(1, 3))):
            spec = mutate_manifest(draw, spec)
        files["course.yaml"] = yaml.safe_dump(spec, allow_unicode=True).encode()
    elif kind == "whole":
        files["course.yaml"] = yaml.safe_dump(draw(yaml_values(30)), allow_unicode=True).encode()
    elif kind == "json":
        files["course.yaml"] = json.dumps(draw(yaml_values(30))).encode()
    else:
        files["course.yaml"] = draw(st.text(max_size=400) | st.sampled_from(
            ["&a [*a, *a]", "a: &a [*a]", "!!python/object:os.system 'id'", "[" * 200, "{a: 1, a: 2}",
             "format: lms-course/1\nslug: x\n" + "sections:\n- " * 60, "\t- x", "%YAML 9.9\n---\n"])
        ).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # and a mutated lesson or quiz file too
        target = draw(st.sampled_from(["lessons/a.md", "quizzes/q.gift"]))
        files[target] = draw(st.binary(max_size=200) | st.text(max_size=300).map(
            lambda t: t.encode("utf-8", "surrogatepass")))
    return zip_of(list(files.items()))


@st.composite
def hostile_layouts(draw) -> bytes:
    """Bad member names, duplicates, deep folders, case clashes, around a valid package."""
    entries = list(files_of(manifest()).items())
    extra = draw(st.lists(st.tuples(member_names(), st.binary(max_size=60)), min_size=1, max_size=6))
    entries += extra
    if draw(st.booleans()):
        entries.append(draw(st.sampled_from(entries)))  # an exact duplicate
    if draw(st.booleans()):
        entries = draw(st.permutations(entries))
    return zip_of(entries)


@st.composite
def single_mutations(draw) -> bytes:
    """A valid package with exactly one thing changed: a byte, a file, a name or a manifest field."""
    data = zip_of(list(files_of(manifest()).items()))
    kind = draw(st.sampled_from(["flip", "truncate", "drop", "rename", "replace", "manifest"]))
    files = files_of(manifest())
    if kind == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "truncate":
        return data[:draw(st.integers(0, len(data) - 1))]
    name = draw(st.sampled_from(sorted(files)))
    if kind == "drop":
        files.pop(name)
    elif kind == "rename":
        files[draw(member_names())] = files.pop(name)
    elif kind == "replace":
        files[name] = draw(st.binary(max_size=300))
    else:
        files["course.yaml"] = yaml.safe_dump(mutate_manifest(draw, manifest()), allow_unicode=True).encode()
    return zip_of(list(files.items()))


def test_the_valid_package_imports(importer):
    """The mutations start from a package that is accepted, through both entry points."""
    importer(zip_of(list(files_of(manifest()).items())))
    importer(zip_of(list(files_of(manifest("fuzz-cli")).items())), via_file=True)
    assert importer.outcomes == {"imported": 2}


def test_fuzz_package_random_bytes(importer):
    @settings(max_examples=EXAMPLES["package_bytes"], **FUZZ)
    @given(st.binary(max_size=3000) | st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b)
           | st.binary(max_size=500).map(lambda b: b + b"PK\x05\x06" + bytes(18)), st.booleans())
    def run(data, via_file):
        RUN["package_bytes"] += 1
        importer(data, via_file)

    run()
    report("package random bytes", importer.outcomes)
    assert importer.outcomes["rejected"] >= EXAMPLES["package_bytes"] // 2


def test_fuzz_package_mutated_manifests(importer):
    @settings(max_examples=EXAMPLES["package_manifest"], **FUZZ)
    @given(mutated_manifest_packages())
    def run(data):
        RUN["package_manifest"] += 1
        importer(data)

    run()
    report("package mutated manifests", importer.outcomes)
    assert importer.outcomes["rejected"] > 0


def test_fuzz_package_hostile_paths(importer):
    @settings(max_examples=EXAMPLES["package_paths"], **FUZZ)
    @given(hostile_layouts(), st.booleans())
    def run(data, via_file):
        RUN["package_paths"] += 1
        importer(data, via_file)

    run()
    report("package hostile paths", importer.outcomes)
    assert importer.outcomes["rejected"] > 0


def test_fuzz_package_single_mutations(importer):
    @settings(max_examples=EXAMPLES["package_single"], **FUZZ)
    @given(single_mutations())
    def run(data):
        RUN["package_single"] += 1
        importer(data)

    run()
    report("package single mutations", importer.outcomes)
    assert importer.outcomes["rejected"] > 0


def test_no_member_escapes_into_storage(importer, lms_app):
    """Assets of an accepted package are stored under the storage root, whatever the names."""
    files = files_of(manifest("fuzz-assets"))
    importer(zip_of([*files.items(), ("assets/../../escape.png", PNG), ("assets/ok.png", PNG)]))
    root = Path(lms_app.config["STORAGE_DIR"])
    assert not (root.parent / "escape.png").exists() and not (root / "escape.png").exists()


# ------------------------------------------------------------------------ GIFT parser

GIFT_TOKENS = ["::", "::t::", "{", "}", "=", "~", "#", "->", "%50%", "%-100%", "%101%", "%x%", "T", "F",
               "TRUE", "FALSE", "#1:2", "#1..2", "#-1e999", "#NaN", "#inf", "..", ":", "$CATEGORY: ",
               "$CATEGORY: a/b", "// ", "// lms-id: x", "// lms-id: ", "\\", "\\{", "\\=", "\\n", "[markdown]",
               "[html]", "[plain]", "[moodle]", "\n", "\n\n", "\r\n", "\r", " ", "\t", "\ufeff", "\x00",
               "é", "日本", "🙂", "1", "0", "-", "9" * 40, "1e308", "Pertanyaan ", "jawaban", "<script>",
               "{=a ~b}", "{#3.14:0.01}", "{=a -> 1 =b -> 2 =c -> 3}", "{T#benar#salah}", "{}", "{{", "}}"]


def gift_texts():
    """Random text, and GIFT-shaped text made from the grammar's tokens and free words."""
    fragment = st.sampled_from(GIFT_TOKENS) | st.text(max_size=8)
    return st.text(max_size=300) | st.lists(fragment, max_size=60).map("".join)


@settings(max_examples=EXAMPLES["gift_parse"], **FUZZ)
@given(gift_texts())
def test_fuzz_gift_parser_returns_questions_or_line_numbered_problems(text):
    from lms.packages.gift import parse_gift

    RUN["gift_parse"] += 1
    questions, problems = parse_gift(text, "fuzz.gift")
    assert isinstance(questions, list) and all(isinstance(q, dict) for q in questions)
    lines = text.count("\n") + text.count("\r") + 2
    for problem in problems:
        assert problem.file == "fuzz.gift" and problem.message
        if problem.where.startswith("line "):
            assert 0 <= int(problem.where[5:]) <= lines, problem
    if not problems:
        assert all(q.get("id") and q.get("type") for q in questions)


def test_fuzz_gift_import_through_the_bank_writes_nothing_on_rejection(lms_app, lms_course):
    """Upload GIFT text to a course's bank as the author pages do: all or nothing."""
    from lms.database import db
    from lms.models import Course
    from lms.services import question_bank
    from lms.services.courses import PackageInvalid

    made = lms_course("bank-fuzz")
    outcomes: Counter = Counter()

    @settings(max_examples=EXAMPLES["gift_import"], **FUZZ)
    @given(gift_texts(), st.sampled_from(["q.gift", "q.txt", "q.GIFT", "q.yaml", "q.exe", "noext", ""]))
    def run(text, filename):
        RUN["gift_import"] += 1
        before = snapshot(lms_app)
        try:
            question_bank.import_file(db.session.get(Course, made.id), filename, text)
        except (PackageInvalid, question_bank.BankError) as exc:
            assert str(exc)
            assert_nothing_written(lms_app, before)
            outcomes["rejected"] += 1
        else:
            outcomes["imported"] += 1
        finally:
            db.session.remove()

    with lms_app.app_context():
        run()
    report("GIFT bank import", outcomes)
    assert outcomes["rejected"] > 0


# ------------------------------------------------------------------------ CSV user importer

HEADERS = ["nip", "nama", "name", "email", "surel", "kode_unit", "unit", "jabatan", "golongan", "NIP ",
           "Nama-Lengkap", "extra", "", "=cmd|' /C calc'!A0", "nip"]
FORMULAS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"klik\")", "+1+1", "-2+3", "@SUM(A1)",
            "\t=1", "\r=1", "=1+1"]


def nips():
    good = st.builds(lambda g, n: f"19900101201501{g}{n:03d}", st.sampled_from("12"), st.integers(1, 999))
    return good | st.sampled_from(["", "1.98503E+17", "'199001012015011001", "1990 0101 2015 01 1 001",
                                   "123", "x" * 5000, "199013012015011001"]) | st.text(max_size=20)


def cells():
    return (st.text(max_size=30) | st.sampled_from(FORMULAS) | st.just("x" * 70_000)
            | st.sampled_from(["Budi Santoso", "Siti Aminah", "\x00", "\"", "\"\"", "a,b", "a;b", "\n"]))


@st.composite
def csv_files(draw) -> bytes:
    """A CSV built from rows: real and odd headers, any delimiter, formulas, NULs, huge fields."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.sampled_from([["nip", "nama", "email", "kode_unit"],
                                   ["nip", "nama", "email", "kode_unit", "jabatan", "golongan"]])
                  | st.lists(st.sampled_from(HEADERS), max_size=7))
    rows = []
    clean = draw(st.integers(0, 2)) == 0  # every row valid but for formula-like names
    if clean:
        header = ["nip", "nama", "email", "kode_unit", "jabatan"]
    for n in range(draw(st.integers(0, 6))):
        if clean:
            seq = draw(st.integers(1, 999))
            row = [f"19900101201501{1 + n % 2}{seq:03d}", draw(st.sampled_from(FORMULAS)) + " Budi",
                   f"c{seq}-{n}@example.go.id", "PEMKOT", draw(st.sampled_from(FORMULAS + ["Staf"]))]
        elif draw(st.integers(0, 3)):
            row = [draw(nips()), draw(st.sampled_from(FORMULAS) | cells()),
                   f"fuzz{draw(st.integers(0, 50))}@example.go.id", draw(st.sampled_from(["PEMKOT", "", "NOPE"]))]
            row += [draw(cells()) for _ in range(max(0, len(header) - 4))]
        else:
            row = draw(st.lists(cells(), max_size=8))
        rows.append(row)
    out = io.StringIO()
    import csv

    writer = csv.writer(out, delimiter=delimiter)
    for row in [header, *rows]:
        writer.writerow(row)
    text = out.getvalue()
    encoding = "utf-8" if clean else draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    data = text.encode(encoding, "replace")
    if not clean and draw(st.integers(0, 5)) == 0:  # a broken byte somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"])) + data[at:]
    return data


class UserImporter:
    """`flask lms import-users` in-process: run() succeeds or raises ImportRefused, atomically."""

    def __init__(self, app):
        self.app = app
        self.outcomes: Counter = Counter()

    def __call__(self, data: bytes) -> None:
        from lms.database import db
        from lms.services import user_import

        before = snapshot(self.app)
        try:
            created, plan = user_import.run(data, source="fuzz.csv")
        except user_import.ImportRefused as exc:
            assert exc.problems and str(exc)
            assert all(p.english() for p in exc.problems)
            assert_nothing_written(self.app, before)
            self.outcomes["rejected"] += 1
        else:
            self.outcomes["imported"] += 1
            assert_csv_is_formula_free(user_import.credentials_csv(created, plan.delimiter), plan.delimiter)
        finally:
            db.session.remove()


def assert_csv_is_formula_free(text: str, delimiter: str = ",") -> None:
    """No cell a spreadsheet would run as a formula (CSV injection)."""
    import csv

    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter):
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row


@pytest.fixture
def user_importer(lms_app, units):
    with lms_app.app_context():
        yield UserImporter(lms_app)


def test_fuzz_user_csv_random_bytes(user_importer):
    @settings(max_examples=EXAMPLES["csv_bytes"], **FUZZ)
    @given(st.binary(max_size=2000) | st.binary(max_size=300).map(lambda b: b"\xef\xbb\xbfnip,nama,email\n" + b)
           | st.text(max_size=300).map(lambda t: ("nip;nama;email;kode_unit\n" + t).encode("utf-8", "surrogatepass")))
    def run(data):
        RUN["csv_bytes"] += 1
        user_importer(data)

    run()
    report("CSV random bytes", user_importer.outcomes)
    assert user_importer.outcomes["rejected"] > 0


def test_fuzz_user_csv_rows(user_importer):
    @settings(max_examples=EXAMPLES["csv_rows"], **FUZZ)
    @given(csv_files())
    def run(data):
        RUN["csv_rows"] += 1
        user_importer(data)

    run()
    report("CSV rows", user_importer.outcomes)
    assert user_importer.outcomes["rejected"] > 0 and user_importer.outcomes["imported"] > 0


def test_formula_names_are_neutralised_in_the_credentials_file(user_importer):
    """A name like =HYPERLINK(...) is imported as text and written back as text."""
    from lms.services import user_import

    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nip", "nama", "email", "kode_unit"])
    writer.writerows([f"19900101201501{1 + n % 2}{n + 1:03d}", f"{formula} Budi", f"f{n}@example.go.id", "PEMKOT"]
                     for n, formula in enumerate(FORMULAS))
    data = out.getvalue().encode()
    created, plan = user_import.run(data)
    assert len(created) == len(FORMULAS)
    assert_csv_is_formula_free(user_import.credentials_csv(created))
    assert_csv_is_formula_free(user_import.credentials_csv(created, ";"), ";")


def test_examples_were_run():
    """Summary of this session's counts (only meaningful when the whole file ran)."""
    print("fuzz examples per target: " + ", ".join(f"{k}={v}" for k, v in sorted(RUN.items())))
