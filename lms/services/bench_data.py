"""Benchmark data: a large, realistic data set for load tests and reports (`flask lms bench-data`).

Rows are written in bulk, never one ORM object per row: Core ``insert(table)`` with lists of
rows in batches, and on PostgreSQL ``COPY`` with the very same rows (two to three times
faster, as ``bench/bench_jp_report.py`` does). Ids are assigned here (from the table's
current maximum), so later stages can refer to earlier rows without reading them back;
PostgreSQL sequences are moved past them after each stage.

What the core would have written and this generator writes as well: the unit tree with
materialised paths; users with valid NIPs; published courses whose lessons hold their
Markdown source and the sanitised HTML rendered by :func:`lms.content.render_markdown`
(once per distinct body); quizzes and question banks parsed and validated by the import's
own readers; completed enrolments with their lesson progress, certificates (with the
``issued`` audit event) and course JP credits; and the ``jp_year_totals`` rollup rebuilt
from the ledger by :func:`lms.services.jp_ledger.rebuild_totals`.

What it deliberately leaves out (see ``docs/performance.md``): quiz attempts of completed
enrolments (a million graded attempts with five answered questions each would dominate
the run), plugin hooks and events (nothing is sent, no xAPI statement or e-mail queued),
and certificate PDFs (rendered on first download anyway).

Every stage commits; a stage that fails is rolled back, the earlier ones stay (the run
then refuses to start again on that database: recreate its schema).
"""
from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from flask import current_app
from sqlalchemy import JSON, func, insert, or_, select, text

from lms.database import db, driver_connection_in_transaction
from lms.errors import LmsError
from lms.models import (Category, Certificate, CertificateEvent, Course, CourseVersion, Enrollment,
                        JpEntry, Lesson, LessonProgress, Question, Quiz, Section, Unit, User,
                        course_authors)
from lms.models.orgs import PATH_WIDTH

#: Every bench account's e-mail ends with this: how a run recognises an earlier one.
DOMAIN = "bench.lms.test"
#: Unit codes and course slugs of bench data (refused when already present).
UNIT_PREFIX = "BENCH"
COURSE_SLUG = "bench-course-{:05d}"
LEARNER_EMAIL = "bench-learner-{:06d}@" + DOMAIN
#: The quiz every bench course ends with (the load harness starts it by this key).
QUIZ_KEY = "kuis-akhir"
#: Rows per Core INSERT batch (PostgreSQL COPY streams everything at once).
BATCH = 5000
#: Completions are dated over the last two years; courses published over the last three.
COMPLETION_DAYS = 730
PUBLICATION_DAYS = 3 * 365

DEMO_COURSES = Path(__file__).resolve().parent.parent / "demo" / "courses"


class BenchDataRefused(LmsError):
    """The generator will not run: bad options, or bench data already in the database."""


@dataclass(frozen=True)
class Options:
    users: int = 100_000
    courses: int = 10_000
    completions: int = 1_000_000
    learners: int = 1_000
    password: str = "bench-password"
    seed: int = 1
    #: Share of completions that get a certificate (and a JP credit pointing at it).
    certificates: float = 0.1


@dataclass
class Stage:
    name: str
    rows: int
    seconds: float
    #: Rows per table when a stage writes several ("10,000 courses, 44,993 lessons, ...").
    detail: str = ""


@dataclass
class Result:
    stages: list[Stage] = field(default_factory=list)
    #: Verification code of bench-learner-000001's certificate (None without completions).
    learner_code: str | None = None
    admin_email: str = ""
    author_email: str = ""

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)


class StageFailed(LmsError):
    """A stage raised; its transaction was rolled back, earlier stages are committed."""

    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"stage {stage!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        self.stage = stage


# ------------------------------------------------------------------------ checks


def problems(options: Options) -> list[str]:
    """Why the options cannot work (empty when they can); checked before anything is written."""
    found = []
    if options.users < 1:
        found.append("--users must be at least 1")
    if options.courses < 1:
        found.append("--courses must be at least 1")
    if not 0 <= options.learners <= options.users:
        found.append("--learners must be between 0 and --users")
    if options.completions < 0:
        found.append("--completions cannot be negative")
    elif options.completions > options.users * options.courses - options.learners:
        found.append("--completions must be at most users × courses − learners (each user completes "
                     "a course once; the learners' enrolments in bench-course-00001 stay open)")
    if not 0 <= options.certificates <= 1:
        found.append("--certificates is a share between 0 and 1")
    if not options.password:
        found.append("--password cannot be empty")
    if options.courses > 99_999:
        found.append("--courses is at most 99999 (slugs bench-course-00001 ... bench-course-99999)")
    return found


def existing_bench_data() -> str | None:
    """What bench data the database already holds (a phrase), or None when it has none."""
    checks = (
        ("users", select(func.count()).select_from(User).where(User.email.like(f"%@{DOMAIN}"))),
        ("units", select(func.count()).select_from(Unit).where(
            or_(Unit.code == UNIT_PREFIX, Unit.code.like(f"{UNIT_PREFIX}-%")))),
        ("courses", select(func.count()).select_from(Course).where(Course.slug.like("bench-course-%"))),
    )
    for what, query in checks:
        count = db.session.scalar(query)
        if count:
            return f"{count} bench {what}"
    return None


def check(options: Options) -> None:
    """Raise BenchDataRefused when the options are wrong or bench data exists already."""
    found = problems(options)
    if found:
        raise BenchDataRefused("; ".join(found))
    present = existing_bench_data()
    db.session.rollback()
    if present:
        raise BenchDataRefused(f"the database already holds bench data ({present}, @{DOMAIN}); "
                               "generate into an empty database (recreate its schema, then "
                               "`flask db upgrade heads`)")


# ------------------------------------------------------------------------ writing


class Writer:
    """Bulk rows into tables: Core INSERT batches, or COPY on PostgreSQL (measured here: 100,000
    users in 1.3 s instead of 3.2 s; the full default run would not fit in five minutes).

    Rows are tuples in the order of `columns`; JSON columns take Python values (serialised
    here for COPY). Everything goes through the session's connection, so it belongs to the
    stage's transaction.
    """

    def __init__(self):
        self.postgresql = db.engine.dialect.name == "postgresql"

    def write(self, table, columns: list[str], rows: Iterable[tuple]) -> int:
        if self.postgresql:
            return self._copy(table, columns, rows)
        count = 0
        batch: list[dict] = []
        connection = db.session.connection()
        for row in rows:
            batch.append(dict(zip(columns, row)))
            if len(batch) >= BATCH:
                connection.execute(insert(table), batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)
            count += len(batch)
        return count

    def _copy(self, table, columns: list[str], rows: Iterable[tuple]) -> int:
        json_at = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
        count = 0
        names = ", ".join(f'"{name}"' for name in columns)
        raw = driver_connection_in_transaction()
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)
                count += 1
        return count

    def sync_sequence(self, table) -> None:
        """Move a PostgreSQL id sequence past the ids written here (SQLite needs nothing)."""
        if self.postgresql:
            # bandit B608: a table name from the models' metadata
            db.session.execute(text(  # nosec B608
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # nosec B608
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def next_id(table) -> int:
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


# ---------------------------------------------------------------------- vocabulary

OPDS = [  # (code, name, relative size)
    ("SETDA", "Sekretariat Daerah", 4), ("SETWAN", "Sekretariat DPRD", 2),
    ("INSPEKTORAT", "Inspektorat", 2), ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", 2),
    ("BKD", "Badan Kepegawaian Daerah", 2), ("BPSDMD", "Badan Pengembangan Sumber Daya Manusia Daerah", 1),
    ("BAPENDA", "Badan Pendapatan Daerah", 3), ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah", 2),
    ("KESBANGPOL", "Badan Kesatuan Bangsa dan Politik", 1), ("BPBD", "Badan Penanggulangan Bencana Daerah", 1),
    ("DISDIK", "Dinas Pendidikan dan Kebudayaan", 20), ("DINKES", "Dinas Kesehatan", 8),
    ("RSUD", "Rumah Sakit Umum Daerah", 10), ("DPUBMCK", "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya", 3),
    ("DPUSDA", "Dinas Pekerjaan Umum Sumber Daya Air dan Penataan Ruang", 2),
    ("DISPERKIM", "Dinas Perumahan Rakyat dan Kawasan Permukiman", 1),
    ("SATPOLPP", "Satuan Polisi Pamong Praja", 2), ("DINSOS", "Dinas Sosial", 2),
    ("DISNAKERTRANS", "Dinas Tenaga Kerja dan Transmigrasi", 1),
    ("DP3AP2KB", "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan KB", 1),
    ("DISHANPAN", "Dinas Ketahanan Pangan", 1), ("DLHK", "Dinas Lingkungan Hidup dan Kehutanan", 2),
    ("DISHUB", "Dinas Perhubungan", 2), ("DISKOMINFO", "Dinas Komunikasi dan Informatika", 1),
    ("DINKOPUKM", "Dinas Koperasi, Usaha Kecil dan Menengah", 1),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", 1),
    ("DISPORAPAR", "Dinas Kepemudaan, Olahraga dan Pariwisata", 1),
    ("DISARPUS", "Dinas Kearsipan dan Perpustakaan", 1), ("DKP", "Dinas Kelautan dan Perikanan", 1),
    ("DISTANBUN", "Dinas Pertanian dan Perkebunan", 2),
]
SUB_UNITS = ["Sekretariat", "Bidang Perencanaan dan Evaluasi", "Bidang Pelayanan", "Bidang Pengembangan",
             "Bidang Pengendalian dan Pengawasan", "Bidang Data dan Informasi", "UPT Wilayah I",
             "UPT Wilayah II", "UPT Wilayah III"]

MALE = ["Agus", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Kurniawan", "Ahmad", "Bambang",
        "Dimas", "Gilang", "Hadi", "Imam", "Rudi", "Slamet", "Teguh", "Wahyu", "Yusuf", "Arif", "Bayu",
        "Rizky", "Andi", "Dwi", "Hari", "Iwan", "Nur", "Sigit", "Taufik", "Yoga", "Reza", "Aditya", "Fikri"]
FEMALE = ["Siti", "Dewi", "Sri", "Rina", "Ayu", "Fitri", "Indah", "Lestari", "Maya", "Nurul", "Putri", "Ratna",
          "Sari", "Wulan", "Yuliana", "Anisa", "Citra", "Dian", "Eka", "Fransiska", "Galuh", "Hana", "Intan",
          "Kartika", "Larasati", "Mega", "Novita", "Retno", "Tri", "Utami", "Vina", "Wening", "Yanti"]
FAMILY = ["Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Nugroho", "Rahayu", "Setiawan", "Kusuma",
          "Wibowo", "Susanto", "Purnomo", "Handayani", "Lestari", "Siregar", "Nasution", "Harahap", "Simanjuntak",
          "Sihombing", "Lubis", "Situmorang", "Rahman", "Hakim", "Firmansyah", "Gunawan", "Suryani", "Permana",
          "Maharani", "Ramadhan", "Syahputra", "Utomo", "Sulistyo", "Wardhani", "Prasetyo", "Kurnia", "Anggraini",
          "Febrianti", "Hasibuan", "Pohan", "Tanjung", "Batubara", "Daulay", "Marpaung", "Sembiring", "Ginting"]
DEGREES = ["", "", "", "", "", ", S.E.", ", S.H.", ", S.Kom.", ", S.Sos.", ", S.Pd.", ", S.T.", ", A.Md.",
           ", S.Kep.", ", M.Si.", ", M.M.", ", S.I.P."]
JABATAN = ["Pengadministrasi Perkantoran", "Penata Layanan Operasional", "Analis Kebijakan Ahli Pertama",
           "Analis Kebijakan Ahli Muda", "Pranata Komputer Ahli Pertama", "Pranata Komputer Terampil",
           "Analis Sumber Daya Manusia Aparatur", "Perencana Ahli Muda", "Auditor Ahli Pertama", "Arsiparis Terampil",
           "Guru Ahli Pertama", "Guru Ahli Muda", "Perawat Terampil", "Perawat Ahli Pertama", "Dokter Ahli Pertama",
           "Bidan Terampil", "Penyuluh Pertanian Ahli Pertama", "Pengelola Keuangan", "Pranata Hubungan Masyarakat",
           "Kepala Seksi", "Kepala Subbagian Umum", "Kepala Bidang", "Pengawas Penyelenggaraan Urusan Pemerintahan"]
GOLONGAN = [("II/a", 3), ("II/b", 3), ("II/c", 4), ("II/d", 3), ("III/a", 12), ("III/b", 12), ("III/c", 10),
            ("III/d", 10), ("IV/a", 7), ("IV/b", 4), ("IV/c", 1), ("PPPK IX", 5), ("PPPK VII", 3), ("PPPK V", 2)]

TOPICS = {  # competency -> topics
    "teknis": ["Pengelolaan Arsip Dinamis", "Penyusunan Laporan Keuangan Daerah", "Pengadaan Barang/Jasa Pemerintah",
               "Analisis Jabatan dan Beban Kerja", "Penyusunan SAKIP", "Manajemen Risiko Sektor Publik",
               "Keamanan Informasi di Instansi Pemerintah", "Statistik Sektoral dan Satu Data",
               "Penyusunan Standar Operasional Prosedur", "Perencanaan Pembangunan Daerah",
               "Pengelolaan Barang Milik Daerah", "Tata Naskah Dinas Elektronik", "Pelayanan Perizinan Terpadu",
               "Pengelolaan Pengaduan Masyarakat", "Penganggaran Berbasis Kinerja", "Audit Internal Pemerintah",
               "Tata Kelola SPBE", "Pengelolaan Situs Web Pemerintah", "Analisis Kebijakan Publik",
               "Kehumasan dan Media Sosial Pemerintah", "Penyusunan Produk Hukum Daerah", "Pengelolaan Data Kepegawaian",
               "Survei Kepuasan Masyarakat", "Penilaian Kinerja Pegawai", "Manajemen Proyek Pemerintah"],
    "manajerial": ["Kepemimpinan Pelayanan", "Manajemen Perubahan", "Pengambilan Keputusan Berbasis Data",
                   "Coaching dan Mentoring", "Manajemen Kinerja Tim", "Perencanaan Strategis Unit Kerja",
                   "Pengelolaan Konflik di Tempat Kerja", "Komunikasi Efektif bagi Pimpinan",
                   "Inovasi Pelayanan Publik", "Kolaborasi Lintas Perangkat Daerah"],
    "sosial-kultural": ["Nilai Dasar ASN BerAKHLAK", "Wawasan Kebangsaan", "Etika dan Integritas ASN",
                        "Pelayanan Inklusif bagi Kelompok Rentan", "Pencegahan Gratifikasi", "Moderasi Beragama",
                        "Budaya Kerja Melayani"],
}
LEVELS = ["Dasar", "Lanjutan", "Praktis", "untuk Pejabat Fungsional", "untuk Pejabat Pengawas",
          "untuk Unit Pelayanan", "Studi Kasus Daerah", "Tingkat Mahir"]
CATEGORIES = ["pelayanan-publik", "keuangan-daerah", "kepegawaian", "tata-kelola-pemerintahan", "transformasi-digital",
              "perencanaan-pembangunan", "hukum-dan-perundangan", "kepemimpinan", "nilai-dasar-asn", "kearsipan",
              "pengawasan-internal", "komunikasi-publik"]
SECTION_TITLES = ["Pendahuluan", "Konsep dan Aturan", "Praktik di Unit Kerja", "Studi Kasus", "Penutup dan Evaluasi"]
JP_VALUES = [(2, 20), (3, 15), (4, 20), (6, 12), (8, 10), (10, 6), (12, 6), (16, 4), (20, 4), (24, 2), (32, 1)]
COMPETENCIES = [("teknis", 60), ("manajerial", 25), ("sosial-kultural", 15)]

#: Two core question types the demo quizzes lack; parsed and validated like a package's file.
EXTRA_QUESTIONS = """
- id: hitung-jp-pelatihan
  type: numerical
  text: "Sebuah pelatihan berlangsung 6 jam efektif. Berapa JP yang diakui (1 JP = 45 menit)?"
  answers:
    - {value: 8, tolerance: 0, fraction: 1, feedback: "Benar: 360 menit dibagi 45 menit."}
    - {value: 6, tolerance: 0, fraction: 0, feedback: "Satu JP adalah 45 menit, bukan 60 menit."}
- id: urutan-alur-surat-masuk
  type: ordering
  text: "Urutkan alur penanganan surat masuk di unit kerja."
  items: ["Surat diterima", "Agenda dicatat", "Disposisi pimpinan", "Tindak lanjut", "Arsip"]
- id: persentase-target-jp
  type: numerical
  text: "Setiap ASN wajib memperoleh paling sedikit berapa JP pengembangan kompetensi per tahun?"
  answers:
    - {value: 20, tolerance: 0, fraction: 1}
"""


def weighted(rng: random.Random, pairs: list[tuple[object, int]]):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


# ------------------------------------------------------------------------ the run


@dataclass
class Plan:
    """What earlier stages produced that later stages need (plain lists, no ORM objects)."""

    options: Options
    rng: random.Random
    now: dt.datetime
    zone: ZoneInfo
    writer: Writer
    unit_ids: list[int] = field(default_factory=list)
    unit_weights: list[float] = field(default_factory=list)
    opd_ids: list[tuple[str, int]] = field(default_factory=list)
    admin_ids: list[int] = field(default_factory=list)
    author_ids: list[int] = field(default_factory=list)
    first_user_id: int = 0
    names: list[str] = field(default_factory=list)
    nips: list[str] = field(default_factory=list)
    first_course_id: int = 0
    first_version_id: int = 0
    course_title: list[str] = field(default_factory=list)
    course_jp: list[int] = field(default_factory=list)
    course_competency: list[str] = field(default_factory=list)
    course_language: list[str] = field(default_factory=list)
    course_published_ts: list[int] = field(default_factory=list)
    course_lessons: list[tuple[str, ...]] = field(default_factory=list)
    #: Completed enrolments sorted by enrolment time: (id, user index, course index, enrolled, completed).
    completed: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    certified: dict[int, int] = field(default_factory=dict)  # enrolment id -> certificate id
    learner_code: str | None = None
    admin_email: str = ""
    author_email: str = ""
    detail: str = ""

    def moment(self, ts: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def generate(options: Options, echo: Callable[[str], None] = print) -> Result:
    """Check, then run every stage (each its own transaction); return what was written."""
    check(options)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    plan = Plan(options, random.Random(options.seed), now,
                ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]), Writer())
    result = Result()
    stages: list[tuple[str, Callable[[Plan], int]]] = [
        ("units", write_units), ("users", write_users), ("courses", write_courses),
        ("enrolments", write_enrolments), ("lesson progress", write_progress),
        ("certificates", write_certificates), ("jp ledger", write_jp_entries),
        ("jp_year_totals", rebuild_totals), ("analyze", analyze),
    ]
    for name, run in stages:
        started = time.perf_counter()
        try:
            rows = run(plan)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            raise StageFailed(name, exc) from exc
        stage = Stage(name, rows, time.perf_counter() - started, plan.detail)
        plan.detail = ""
        result.stages.append(stage)
        echo(f"{stage.name:<16} {stage.rows:>10,} rows {stage.seconds:8.1f} s"
             + (f"  ({stage.detail})" if stage.detail else ""))
    result.learner_code, result.admin_email, result.author_email = \
        plan.learner_code, plan.admin_email, plan.author_email
    return result


# ------------------------------------------------------------------------- units


def write_units(plan: Plan) -> int:
    """One agency, 30 OPD, 2-6 sub-units each; paths built from the ids assigned here."""
    rng, table = plan.rng, Unit.__table__
    uid = next_id(table)
    root_id = uid
    rows = [(root_id, UNIT_PREFIX, "Pemerintah Provinsi Nusa Bahari", "instansi", None, f"{root_id:0{PATH_WIDTH}d}/")]
    uid += 1
    for code, name, size in OPDS:
        opd_id, opd_path = uid, f"{root_id:0{PATH_WIDTH}d}/{uid:0{PATH_WIDTH}d}/"
        rows.append((opd_id, f"{UNIT_PREFIX}-{code}", name, "opd", root_id, opd_path))
        plan.opd_ids.append((code, opd_id))
        uid += 1
        plan.unit_ids.append(opd_id)
        plan.unit_weights.append(size * 0.2)  # a fifth of an OPD's people sit in the OPD itself
        subs = rng.sample(SUB_UNITS, rng.randint(2, 6))
        for n, sub in enumerate(subs, 1):
            rows.append((uid, f"{UNIT_PREFIX}-{code}-{n:02d}", f"{sub} ({code.title()})", "sub_unit", opd_id,
                         f"{opd_path}{uid:0{PATH_WIDTH}d}/"))
            plan.unit_ids.append(uid)
            plan.unit_weights.append(size * 0.8 / len(subs))
            uid += 1
    count = plan.writer.write(table, ["id", "code", "name", "kind", "parent_id", "path"], rows)
    plan.writer.sync_sequence(table)
    return count


# ------------------------------------------------------------------------- users


def nip_for(rng: random.Random, today: dt.date) -> tuple[str, str]:
    """A NIP lms.asn.parse_nip accepts (birth date, appointment month, gender, sequence) and
    the gender it encodes, so the name can match it."""
    birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))
    year = min(birth.year + rng.randint(19, 35), today.year - 1)
    gender = rng.choice("12")
    nip = f"{birth:%Y%m%d}{year:04d}{rng.randint(1, 12):02d}{gender}{rng.randint(1, 999):03d}"
    return nip, gender


def write_users(plan: Plan) -> int:
    """All users with one password hash (hashing 100,000 times would take hours with scrypt).

    The first `learners` are bench-learner-NNNNNN; a few admins, authors and one unit admin
    per OPD come from the end of the range (never overlapping the learners)."""
    from lms.services.accounts import hash_password

    options, rng, table = plan.options, plan.rng, User.__table__
    password_hash = hash_password(options.password)
    today = plan.now.date()
    taken = set(db.session.scalars(select(User.nip).where(User.nip.is_not(None))))
    plan.first_user_id = first = next_id(table)
    roles: dict[int, tuple[str, str, int | None]] = {}  # index -> (role, email, unit)
    spare = list(range(options.users - 1, options.learners - 1, -1))  # from the end
    for n in range(min(3, len(spare))):
        roles[spare.pop(0)] = ("admin", f"bench-admin-{n + 1:02d}@{DOMAIN}", plan.opd_ids[4][1])  # BKD
    for n in range(min(max(1, options.courses // 500), len(spare))):
        roles[spare.pop(0)] = ("author", f"bench-author-{n + 1:03d}@{DOMAIN}", plan.opd_ids[5][1])  # BPSDMD
    for code, unit_id in plan.opd_ids[:len(spare)]:
        roles[spare.pop(0)] = ("unit_admin", f"bench-unitadmin-{code.lower()}@{DOMAIN}", unit_id)
    units = rng.choices(plan.unit_ids, weights=plan.unit_weights, k=options.users)
    golongan, golongan_w = zip(*GOLONGAN)
    base = int(plan.now.timestamp()) - PUBLICATION_DAYS * 86400

    def rows() -> Iterator[tuple]:
        for i in range(options.users):
            nip, gender = nip_for(rng, today)
            while nip in taken:
                nip, gender = nip_for(rng, today)
            taken.add(nip)
            first_name = rng.choice(MALE if gender == "1" else FEMALE)
            family = rng.choice(FAMILY)
            name = f"{first_name} {family}{rng.choice(DEGREES)}"
            role, email, unit = roles.get(i, ("learner", None, units[i]))
            if email is None:
                email = LEARNER_EMAIL.format(i + 1) if i < options.learners else \
                    f"{first_name.lower()}.{family.lower()}.{i + 1}@{DOMAIN}"
            created = base - rng.randrange(365 * 86400)
            plan.names.append(name)
            plan.nips.append(nip)
            login = plan.moment(int(plan.now.timestamp()) - rng.randrange(90 * 86400)) if rng.random() < 0.6 else None
            yield (first + i, email, name, nip, password_hash, role,
                   rng.choices(golongan, weights=golongan_w)[0], rng.choice(JABATAN), unit, None, True, False,
                   plan.moment(created), login)

    count = plan.writer.write(table, ["id", "email", "name", "nip", "password_hash", "role", "golongan", "jabatan",
                                      "unit_id", "locale", "active", "must_change_password", "created_at",
                                      "last_login_at"], rows())
    plan.writer.sync_sequence(table)
    by_role = {role: [first + i for i, (r, _, _) in roles.items() if r == role] for role in ("admin", "author")}
    plan.admin_ids, plan.author_ids = by_role["admin"], by_role["author"]
    plan.admin_email = next((e for r, e, _ in roles.values() if r == "admin"), "")
    plan.author_email = next((e for r, e, _ in roles.values() if r == "author"), "")
    return count


# ----------------------------------------------------------------------- courses


@dataclass(frozen=True)
class Content:
    """The pool every course draws from: demo lessons (source and rendered HTML, rendered
    once each) and quiz question definitions (validated, text rendered once each)."""

    lessons: list[tuple[str, str, str, str]]  # key, title, source, body_html
    quizzes: list[list[dict]]  # one list of definitions per demo quiz
    extra: list[dict]
    text_html: dict[str, str]  # question key -> rendered text


def load_content() -> Content:
    from lms.content import render_markdown
    from lms.services.quizzes import parse_question_file

    lessons, quizzes = [], []
    for folder in sorted(p for p in DEMO_COURSES.iterdir() if (p / "course.yaml").is_file()):
        manifest = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
        for section in manifest["sections"]:
            for entry in section.get("lessons", []):
                if entry.get("type", "markdown") == "markdown" and entry.get("file"):
                    source = (folder / entry["file"]).read_text(encoding="utf-8")
                    lessons.append((entry["id"], entry["title"], source, render_markdown(source)))
            for quiz in section.get("quizzes", []) + ([section["quiz"]] if section.get("quiz") else []):
                definitions, found = parse_question_file(quiz["file"], (folder / quiz["file"]).read_text(encoding="utf-8"))
                if found:
                    raise BenchDataRefused(f"demo quiz {folder.name}/{quiz['file']}: {found[0]}")
                quizzes.append([d for d in definitions if d["type"] != "essay"])
    extra, found = parse_question_file("bench.yaml", EXTRA_QUESTIONS)
    if found:
        raise BenchDataRefused(f"bench questions: {found[0]}")
    every = [d for group in quizzes for d in group] + extra
    return Content(lessons, quizzes, extra, {d["id"]: render_markdown(str(d["text"])) for d in every})


def category_ids(plan: Plan) -> list[int]:
    """The bench categories' ids, creating the missing ones (slugs may exist already)."""
    table = Category.__table__
    existing = dict(db.session.execute(select(table.c.slug, table.c.id).where(table.c.slug.in_(CATEGORIES))).all())
    missing = [slug for slug in CATEGORIES if slug not in existing]
    if missing:
        plan.writer.write(table, ["slug", "name"], [(s, s.replace("-", " ").capitalize()) for s in missing])
        existing = dict(db.session.execute(select(table.c.slug, table.c.id).where(table.c.slug.in_(CATEGORIES))).all())
    return [existing[slug] for slug in CATEGORIES]


def write_courses(plan: Plan) -> int:
    """Published courses, one version each: sections, Markdown lessons, one quiz of five
    questions at the end, an author. Returns the rows written over all content tables."""
    options, rng, writer = plan.options, plan.rng, plan.writer
    content = load_content()
    categories = category_ids(plan)
    now_ts = int(plan.now.timestamp())
    course_t, version_t, section_t = Course.__table__, CourseVersion.__table__, Section.__table__
    plan.first_course_id, plan.first_version_id = next_id(course_t), next_id(version_t)
    first_section = next_id(section_t)
    courses, versions, sections, lessons, quizzes, questions, authors = [], [], [], [], [], [], []
    seen: dict[str, int] = {}
    competencies, competency_w = zip(*COMPETENCIES)
    jps, jp_w = zip(*JP_VALUES)
    section_id = first_section
    for c in range(options.courses):
        course_id, version_id = plan.first_course_id + c, plan.first_version_id + c
        competency = rng.choices(competencies, weights=competency_w)[0]
        topic, level = rng.choice(TOPICS[competency]), rng.choice(LEVELS)
        base = f"{topic} {level}" if level[0].islower() else f"{topic}: {level}"
        seen[base] = seen.get(base, 0) + 1
        title = base if seen[base] == 1 else f"{base} (Seri {seen[base]})"
        language = "en" if rng.random() < 0.04 else "id"
        jp = rng.choices(jps, weights=jp_w)[0]
        # Three quarters predate the completions' window, so completions spread evenly over
        # the two years instead of crowding into the months after recent publications.
        published = now_ts - (rng.randrange(COMPLETION_DAYS * 86400, PUBLICATION_DAYS * 86400) if rng.random() < 0.75
                              else rng.randrange(14 * 86400, COMPLETION_DAYS * 86400))
        created = published - rng.randrange(86400, 30 * 86400)
        summary = (f"Kursus {topic.lower()} ({level.lower()}) untuk ASN di lingkungan pemerintah daerah: "
                   f"konsep, aturan yang berlaku, dan praktik di unit kerja, diakhiri kuis. Bobot {jp} JP.")
        courses.append((course_id, COURSE_SLUG.format(c + 1), None, True, None, plan.moment(created)))
        versions.append((version_id, course_id, 1, "published", title, summary, language, jp, competency,
                         rng.choice(categories), None, plan.moment(created), plan.moment(published), None))
        picked = rng.sample(content.lessons, rng.randint(3, 6))
        n_sections = rng.randint(1, min(3, len(picked)))
        cuts = sorted(rng.sample(range(1, len(picked)), n_sections - 1))
        bounds = [0, *cuts, len(picked)]
        for s in range(n_sections):
            title_of_section = ("Materi Pokok" if n_sections == 1 else SECTION_TITLES[-1] if s == n_sections - 1
                                else SECTION_TITLES[s])
            sections.append((section_id, version_id, s, title_of_section))
            for position in range(bounds[s], bounds[s + 1]):
                key, lesson_title, source, html = picked[position]
                lessons.append((version_id, section_id, key, position, lesson_title, "markdown", True, {}, source, html))
            section_id += 1
        bank = rng.sample(rng.choice(content.quizzes), 4) + [rng.choice(content.extra)]
        for d in bank:
            questions.append((version_id, d["id"], d.get("category", ""), d["type"], float(d.get("points", 1)), d,
                              content.text_html[d["id"]]))
        # bench-course-00001 is the load harness's: unlimited attempts, so a harness can run again.
        attempts = None if c == 0 else rng.choice([None, 3, 3, 5])
        quizzes.append((version_id, section_id - 1, QUIZ_KEY, "Kuis Akhir", True, 70.0, rng.choice([None, 15, 20, 30]),
                        attempts, 0, "highest", False, True, None, [d["id"] for d in bank], "",
                        ["score", "feedback", "answers"]))
        if plan.author_ids:
            authors.append((course_id, plan.author_ids[c % len(plan.author_ids)]))
        plan.course_title.append(title)
        plan.course_jp.append(jp)
        plan.course_competency.append(competency)
        plan.course_language.append(language)
        plan.course_published_ts.append(published)
        plan.course_lessons.append(tuple(p[0] for p in picked))
    plan.detail = (f"{len(courses):,} courses and versions, {len(sections):,} sections, {len(lessons):,} lessons, "
                   f"{len(quizzes):,} quizzes, {len(questions):,} questions")
    count = writer.write(course_t, ["id", "slug", "enrolment_key", "self_enrolment", "certificate_template",
                                    "created_at"], courses)
    count += writer.write(version_t, ["id", "course_id", "number", "status", "title", "summary", "language", "jp",
                                      "competency", "category_id", "cover_image", "created_at", "published_at",
                                      "package_digest"], versions)
    count += writer.write(section_t, ["id", "version_id", "position", "title"], sections)
    count += writer.write(Lesson.__table__, ["version_id", "section_id", "key", "position", "title", "type",
                                             "required", "data", "source", "body_html"], lessons)
    count += writer.write(Question.__table__, ["version_id", "key", "category", "type", "points", "definition",
                                               "text_html"], questions)
    count += writer.write(Quiz.__table__, ["version_id", "section_id", "key", "title", "required", "pass_mark",
                                           "time_limit", "max_attempts", "attempt_delay", "grading_method",
                                           "shuffle_questions", "shuffle_options", "draw_count", "question_keys",
                                           "draw_category", "review"], quizzes)
    count += writer.write(course_authors, ["course_id", "user_id"], authors)
    for table in (course_t, version_t, section_t):
        writer.sync_sequence(table)
    invalidate_catalog()
    return count


def invalidate_catalog() -> None:
    """Retire cached catalog pages in this transaction, as publishing does: a server already
    running would otherwise list the old catalog until CACHE_TTL."""
    from lms import cache
    from lms.services.courses import CATALOG

    cache.invalidate(CATALOG)


# -------------------------------------------------------------------- enrolments


def completion_pairs(plan: Plan) -> list[int]:
    """`completions` distinct (user, course) pairs coded user × courses + course.

    Busy people and popular courses: both drawn with skewed weights, duplicates dropped
    and drawn again. When the pairs would fill a third of all possible ones, they are drawn
    uniformly instead (sampling without replacement). The learners' pairs with the first
    course are never drawn (those enrolments stay open for the load harness);
    bench-learner-000001 always completes the second course (for a certificate)."""
    options, rng = plan.options, plan.rng
    users, courses, wanted = options.users, options.courses, options.completions
    excluded = {i * courses for i in range(options.learners)}
    chosen: set[int] = set()
    if options.learners and courses > 1 and wanted:
        chosen.add(1)  # user 0, course 1
    space = users * courses
    if 3 * wanted > space:
        for code in rng.sample(range(space), min(space, wanted + len(excluded) + 1)):
            if len(chosen) >= wanted:
                break
            if code not in excluded:
                chosen.add(code)
        return list(chosen)
    user_w = [rng.lognormvariate(0, 0.6) for _ in range(users)]
    course_rank = list(range(courses))
    rng.shuffle(course_rank)
    course_w = [1 / (rank + 10) ** 0.8 for rank in course_rank]
    user_cum, course_cum = _cumulative(user_w), _cumulative(course_w)
    user_range, course_range = range(users), range(courses)
    while len(chosen) < wanted:
        k = int((wanted - len(chosen)) * 1.02) + 10
        for u, c in zip(rng.choices(user_range, cum_weights=user_cum, k=k),
                        rng.choices(course_range, cum_weights=course_cum, k=k)):
            code = u * courses + c
            if code not in excluded:
                chosen.add(code)
                if len(chosen) >= wanted:
                    break
    return list(chosen)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def write_enrolments(plan: Plan) -> int:
    """Completed enrolments dated over the last two years (never before the course was
    published), ids in enrolment order; then the learners' open enrolments in the first course."""
    options, rng, table = plan.options, plan.rng, Enrollment.__table__
    now_ts = int(plan.now.timestamp())
    window = now_ts - COMPLETION_DAYS * 86400
    courses = options.courses
    completed = []
    for code in completion_pairs(plan):
        u, c = divmod(code, courses)
        start = max(plan.course_published_ts[c], window) + 3600
        done = start + rng.randrange(max(1, now_ts - 3600 - start))
        enrolled = max(plan.course_published_ts[c], done - rng.randrange(3600, 45 * 86400))
        completed.append((enrolled, done, u, c))
    completed.sort()
    first = next_id(table)
    sources = ["self"] * 16 + ["unit"] * 3 + ["admin"]
    admin = plan.admin_ids[0] if plan.admin_ids else None
    plan.completed = [(first + n, u, c, enrolled, done) for n, (enrolled, done, u, c) in enumerate(completed)]

    def rows() -> Iterator[tuple]:
        for eid, u, c, enrolled, done in plan.completed:
            source = rng.choice(sources)
            yield (eid, plan.first_user_id + u, plan.first_course_id + c, "completed", source,
                   admin if source != "self" else None, plan.moment(enrolled), plan.course_lessons[c][-1],
                   plan.moment(done), plan.first_version_id + c, plan.course_jp[c], None, None)
        for i in range(options.learners):
            enrolled = max(plan.course_published_ts[0], now_ts - rng.randrange(3600, 7 * 86400))
            yield (first + len(plan.completed) + i, plan.first_user_id + i, plan.first_course_id, "active", "self",
                   None, plan.moment(enrolled), None, None, None, None, None, None)

    plan.detail = f"{len(plan.completed):,} completed, {options.learners:,} open in bench-course-00001"
    count = plan.writer.write(table, ["id", "user_id", "course_id", "status", "source", "enrolled_by_id",
                                      "enrolled_at", "last_lesson_key", "completed_at", "completed_version_id",
                                      "jp_awarded", "due_on", "assignment_id"], rows())
    plan.writer.sync_sequence(table)
    return count


def write_progress(plan: Plan) -> int:
    """Every lesson of a completed enrolment done, spread between enrolment and completion
    (the core completes a course only once every required lesson is)."""
    moment = plan.moment

    def rows() -> Iterator[tuple]:
        for eid, _u, c, enrolled, done in plan.completed:
            keys = plan.course_lessons[c]
            step = (done - enrolled) // len(keys)
            for n, key in enumerate(keys, 1):
                yield (eid, key, moment(done if n == len(keys) else enrolled + n * step))

    return plan.writer.write(LessonProgress.__table__, ["enrollment_id", "lesson_key", "completed_at"], rows())


# ------------------------------------------------------------ certificates and JP


def local_day(plan: Plan, ts: int) -> dt.date:
    return plan.moment(ts).astimezone(plan.zone).date()


def write_certificates(plan: Plan) -> int:
    """Certificates for a share of the completions, as issue_for_enrollment freezes them
    (number PREFIX-YEAR-id, 192-bit code), each with its "issued" event."""
    options, rng, cfg = plan.options, plan.rng, current_app.config
    table = Certificate.__table__
    first = next_id(table)
    # bench-learner-000001's completion of the second course always gets one (for /verify).
    chosen = [row for row in plan.completed
              if rng.random() < options.certificates or (options.learners and row[1] == 0 and row[2] == 1)]
    issuer = (cfg["CERT_ISSUER_NAME"], cfg["CERT_ISSUER_CITY"], cfg["CERT_SIGNER_NAME"], cfg["CERT_SIGNER_TITLE"])
    prefix = cfg["CERT_NUMBER_PREFIX"]

    def rows() -> Iterator[tuple]:
        for n, (eid, u, c, _enrolled, done) in enumerate(chosen):
            cid = first + n
            plan.certified[eid] = cid
            day = local_day(plan, done)
            code = secrets.token_urlsafe(24)
            if u == 0 and options.learners and plan.learner_code is None:
                plan.learner_code = code
            yield (cid, f"{prefix}-{day.year}-{cid:06d}", code, plan.first_user_id + u, plan.first_course_id + c,
                   plan.first_version_id + c, eid, plan.names[u], plan.nips[u], plan.course_title[c], 1,
                   plan.course_jp[c], plan.course_competency[c], day, plan.moment(done), *issuer, "classic",
                   plan.course_language[c], "valid", None, None, None, None)

    count = plan.writer.write(table, ["id", "number", "code", "user_id", "course_id", "version_id", "enrollment_id",
                                      "holder_name", "holder_nip", "course_title", "course_version", "jp",
                                      "competency", "completed_on", "issued_at", "issuer_name", "issuer_city",
                                      "signer_name", "signer_title", "template", "language", "status", "revoked_at",
                                      "revoked_reason", "replaced_by_id", "pdf_sha256"], rows())
    plan.writer.sync_sequence(table)
    events = ((plan.certified[row[0]], "issued", None, "", plan.moment(row[4])) for row in chosen)
    plan.detail = f"{count:,} certificates, {count:,} issued events"
    return count + plan.writer.write(CertificateEvent.__table__, ["certificate_id", "action", "actor_id", "reason", "at"],
                                     events)


def write_jp_entries(plan: Plan) -> int:
    """One approved course credit per completion, as a certificate's issue writes it (the
    completions without a certificate get the same credit, without the link)."""
    organiser = current_app.config["CERT_ISSUER_NAME"]

    def rows() -> Iterator[tuple]:
        for eid, u, c, enrolled, done in plan.completed:
            end = local_day(plan, done)
            yield (plan.first_user_id + u, end.year, "course", "approved", plan.course_jp[c], plan.course_title[c],
                   organiser, plan.course_competency[c], local_day(plan, enrolled), end, plan.certified.get(eid),
                   None, None, None, None, "", plan.moment(done))

    return plan.writer.write(JpEntry.__table__, ["user_id", "year", "source", "status", "jp", "title", "organiser",
                                                 "competency", "start_on", "end_on", "certificate_id",
                                                 "evidence_path", "evidence_name", "decided_by_id", "decided_at",
                                                 "decision_note", "created_at"], rows())


def rebuild_totals(plan: Plan) -> int:
    """The rollup from the ledger, by the service `flask lms rebuild-jp-totals` runs."""
    from lms.services import jp_ledger

    return jp_ledger.rebuild_totals()


def analyze(plan: Plan) -> int:
    """Planner statistics for the new rows (PostgreSQL), as autovacuum would gather later:
    pages measured right after the run should use the plans a live site gets."""
    if not plan.writer.postgresql:
        return 0
    db.session.execute(text("ANALYZE"))
    return 0
