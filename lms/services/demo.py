"""Demo content for `make run`: a small agency tree and one account per role."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lms.database import db
from lms.models import Course, Role, UnitKind
from lms.packages.directory import read_directory
from lms.services import accounts, authoring, courses, orgs
from lms.services.courses import PackageInvalid

#: Demo courses in lms-course/1 form, imported and published by seed-demo.
COURSES_DIR = Path(__file__).resolve().parent.parent / "demo" / "courses"
#: The demo author writes every demo course.
DEMO_AUTHOR = "penulis@demo.lms.id"
#: (course, the course it requires): shows prerequisites in the demo.
PREREQUISITES = [("pelayanan-publik-prima", "nilai-dasar-berakhlak")]

#: Password of every demo account; printed by seed-demo, never used outside demos.
DEMO_PASSWORD = "demo-asn-2026"

UNITS = [
    # (code, name, kind, parent code)
    ("SMG", "Pemerintah Kota Semarang", UnitKind.INSTANSI, None),
    ("SMG-BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", UnitKind.OPD, "SMG"),
    ("SMG-KOMINFO", "Dinas Komunikasi, Informatika, Statistik dan Persandian", UnitKind.OPD, "SMG"),
    ("SMG-KOMINFO-APTIKA", "Bidang Aplikasi Informatika", UnitKind.SUB_UNIT, "SMG-KOMINFO"),
    ("SMG-DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", UnitKind.OPD, "SMG"),
    ("SMG-DINKES", "Dinas Kesehatan", UnitKind.OPD, "SMG"),
    ("PLG", "Pemerintah Kota Palembang", UnitKind.INSTANSI, None),
    ("PLG-BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", UnitKind.OPD, "PLG"),
    ("SBG", "Pemerintah Kota Sibolga", UnitKind.INSTANSI, None),
    ("SBG-BKPSDM", "Badan Kepegawaian dan Pengembangan SDM", UnitKind.OPD, "SBG"),
]

USERS = [
    # (email, name, nip, role, unit code, golongan, jabatan)
    ("admin@demo.lms.id", "Admin BKPSDM", "198001012005011002", Role.ADMIN, "SMG-BKPSDM",
     "III/d", "Analis SDM Aparatur Ahli Muda"),
    ("penulis@demo.lms.id", "Rina Wulandari", "198503122010012003", Role.AUTHOR,
     "SMG-KOMINFO-APTIKA", "III/c", "Pranata Komputer Ahli Muda"),
    ("adminunit@demo.lms.id", "Budi Santoso", "197907152003121001", Role.UNIT_ADMIN,
     "SMG-DUKCAPIL", "IV/a", "Kepala Subbagian Umum dan Kepegawaian"),
    ("asn@demo.lms.id", "Siti Rahmawati", "199204202019032011", Role.LEARNER, "SMG-DUKCAPIL",
     "III/a", "Pengadministrasi Kependudukan"),
    ("atasan@demo.lms.id", "Dewi Kartika", "197808082005012004", Role.LEARNER, "SMG-DUKCAPIL",
     "IV/b", "Kepala Bidang Pelayanan Pendaftaran Penduduk"),
]
#: person -> direct supervisor (atasan), so approvals and follow-up surveys can be tried.
SUPERVISORS = {"asn@demo.lms.id": "atasan@demo.lms.id"}


def seed() -> list[str]:
    """Create what is missing and report it, one line per thing."""
    lines = []
    for code, name, kind, parent_code in UNITS:
        if orgs.get_by_code(code) is None:
            parent = orgs.get_by_code(parent_code) if parent_code else None
            orgs.create_unit(code=code, name=name, kind=kind, parent=parent)
            lines.append(f"unit {code} created")
    for email, name, nip, role, unit_code, golongan, jabatan in USERS:
        if accounts.find_by_email(email) is None:
            accounts.register_user(name=name, email=email, nip=nip, password=DEMO_PASSWORD, role=role,
                                   unit=orgs.get_by_code(unit_code), golongan=golongan,
                                   jabatan=jabatan)
            lines.append(f"user {email} ({role.value}) created, password {DEMO_PASSWORD}")
    for email, boss_email in SUPERVISORS.items():
        person, boss = accounts.find_by_email(email), accounts.find_by_email(boss_email)
        if person is not None and boss is not None and person.supervisor_id is None:
            person.supervisor = boss
            db.session.commit()
            lines.append(f"user {email} reports to {boss_email}")
    lines += seed_competencies()
    lines += seed_courses()
    return lines or ["demo content already present"]


#: A demo position (jabatan) with required competencies, held by the demo learner, so
#: "Kompetensi saya" and the unit gap view show something (docs/competencies.md).
DEMO_POSITION = ("PENGADMINISTRASI-KEPENDUDUKAN", "Pengadministrasi Kependudukan",
                 {"integritas": 2, "pelayanan-publik": 2, "komunikasi": 1, "literasi-digital": 1,
                  "spbe-layanan": 1})


def seed_competencies() -> list[str]:
    """The standard competency catalogue and the demo position of the demo learner."""
    from lms.services import competencies

    lines = []
    if added := competencies.seed_standard():
        lines.append(f"{added} standard competencies added")
    code, name, requirements = DEMO_POSITION
    position = competencies.position_by_code(code)
    if position is None:
        position = competencies.save_position(None, None, code=code, name=name, requirements=requirements)
        lines.append(f"position {code} created")
    learner = accounts.find_by_email("asn@demo.lms.id")
    if learner is not None and learner.position_id is None:
        competencies.assign_position(None, learner, position)
        lines.append(f"user asn@demo.lms.id holds position {code}")
    return lines


def seed_courses() -> list[str]:
    """Import and publish each demo course that is not there yet."""
    lines = []
    for root in sorted(p for p in COURSES_DIR.iterdir() if (p / "course.yaml").is_file()):
        if db.session.scalar(select(Course.id).where(Course.slug == root.name)) is not None:
            continue
        spec, bodies, problems = read_directory(root)
        if problems:
            raise PackageInvalid(problems)
        version = courses.import_version(spec, bodies)
        courses.publish(version)
        author = accounts.find_by_email(DEMO_AUTHOR)
        if author is not None:
            authoring.add_author(version.course, author)
        lines.append(f"course {spec.slug} published ({len(spec.lessons())} lessons, "
                     f"{len(spec.quizzes())} quiz, {spec.jp} JP)")
    for slug, required in PREREQUISITES:
        course, needed = (db.session.scalar(select(Course).where(Course.slug == s)) for s in (slug, required))
        if course and needed and needed not in course.prerequisites:
            courses.set_prerequisites(course, [*course.prerequisites, needed])
            lines.append(f"course {slug} requires {required}")
    return lines
