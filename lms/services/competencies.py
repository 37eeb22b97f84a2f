"""Competencies: the catalogue, tags on courses and lessons, positions, and the gap view.

The gap of a person is what their position (jabatan) requires minus what they have
completed, where "completed" means a *valid certificate* of a course version tagged with
the competency (on the version itself or on one of its lessons): the same evidence the JP
ledger counts, and the version the person actually took, not whatever is published now.
Every list here is built in a fixed number of queries, whatever the number of people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import N_
from lms.models import (Certificate, CertificateStatus, Competency, CompetencyEntry, Course,
                        CourseVersion, Lesson, Position, PositionRequirement, SpbeDomain, Unit,
                        User, VersionStatus, lesson_competencies, version_competencies)
from lms.packages.manifest import COMPETENCY_CODE, Problem
from lms.services import audit

# ----------------------------------------------------------------------- reference data

#: SPBE domains with their names (Perpres 95/2018; evaluation domains of PermenPANRB 59/2020).
SPBE_DOMAINS = {
    "kebijakan-internal": "Kebijakan Internal SPBE",
    "tata-kelola": "Tata Kelola SPBE",
    "manajemen": "Manajemen SPBE",
    "layanan": "Layanan SPBE",
}

#: SPBE evaluation aspects: code -> (domain, name).
SPBE_ASPECTS = {
    "kebijakan-tata-kelola": ("kebijakan-internal", "Kebijakan Internal Tata Kelola SPBE"),
    "perencanaan-strategis": ("tata-kelola", "Perencanaan Strategis SPBE"),
    "tik": ("tata-kelola", "Teknologi Informasi dan Komunikasi"),
    "penyelenggara": ("tata-kelola", "Penyelenggara SPBE"),
    "penerapan-manajemen": ("manajemen", "Penerapan Manajemen SPBE"),
    "audit-tik": ("manajemen", "Audit Teknologi Informasi dan Komunikasi"),
    "layanan-administrasi": ("layanan", "Layanan Administrasi Pemerintahan Berbasis Elektronik"),
    "layanan-publik": ("layanan", "Layanan Publik Berbasis Elektronik"),
}

#: The standard set: (code, name, kind, spbe_domain, spbe_aspect, description).
#: Managerial and socio-cultural: the Permenpan-RB No. 38/2017 competency standard of ASN
#: positions; technical ones for the bundled curricula (e-office, projects, SPBE).
STANDARD = [
    ("integritas", "Integritas", "manajerial", None, None,
     "Konsisten berperilaku selaras dengan nilai, norma dan etika organisasi; jujur dalam hubungan kerja."),
    ("kerjasama", "Kerjasama", "manajerial", None, None,
     "Membangun dan memelihara kerja sama yang produktif di dalam dan antar unit kerja."),
    ("komunikasi", "Komunikasi", "manajerial", None, None,
     "Menyampaikan dan menerima informasi secara lisan dan tertulis dengan jelas dan efektif."),
    ("orientasi-pada-hasil", "Orientasi pada Hasil", "manajerial", None, None,
     "Mempertahankan komitmen untuk menyelesaikan tugas dengan kualitas terbaik."),
    ("pelayanan-publik", "Pelayanan Publik", "manajerial", None, None,
     "Melayani kebutuhan masyarakat secara profesional, transparan dan tidak diskriminatif."),
    ("pengembangan-diri-dan-orang-lain", "Pengembangan Diri dan Orang Lain", "manajerial", None, None,
     "Meningkatkan pengetahuan dan kemampuan diri sendiri dan orang lain."),
    ("mengelola-perubahan", "Mengelola Perubahan", "manajerial", None, None,
     "Menyesuaikan diri dengan perubahan dan mendorong perubahan yang bermanfaat bagi organisasi."),
    ("pengambilan-keputusan", "Pengambilan Keputusan", "manajerial", None, None,
     "Membuat keputusan yang baik dan tepat waktu berdasarkan informasi yang memadai."),
    ("perekat-bangsa", "Perekat Bangsa", "sosial-kultural", None, None,
     "Mempromosikan sikap toleransi, keterbukaan dan peka terhadap perbedaan; menjaga persatuan."),
    ("naskah-dinas-elektronik", "Tata Naskah Dinas Elektronik (e-Office)", "teknis", "layanan",
     "layanan-administrasi", "Membuat, mengelola dan mengarsipkan naskah dinas melalui aplikasi e-office."),
    ("manajemen-proyek", "Manajemen Proyek Pemerintah", "teknis", None, None,
     "Merencanakan, melaksanakan dan mengendalikan kegiatan atau proyek pemerintah."),
    ("literasi-digital", "Literasi Digital dan Keamanan Informasi", "teknis", "manajemen",
     "penerapan-manajemen", "Menggunakan teknologi informasi dengan aman dan bertanggung jawab."),
    ("spbe-kebijakan-internal", "Kebijakan Internal SPBE", "teknis", "kebijakan-internal",
     "kebijakan-tata-kelola", "Menyusun dan menerapkan kebijakan internal SPBE instansi."),
    ("spbe-tata-kelola", "Tata Kelola SPBE", "teknis", "tata-kelola", "perencanaan-strategis",
     "Arsitektur, peta rencana, tim koordinasi dan keterpaduan rencana serta anggaran SPBE."),
    ("spbe-manajemen", "Manajemen SPBE", "teknis", "manajemen", "penerapan-manajemen",
     "Manajemen risiko, keamanan, data, aset, SDM, pengetahuan, perubahan dan layanan SPBE."),
    ("spbe-layanan", "Layanan SPBE", "teknis", "layanan", None,
     "Layanan administrasi pemerintahan dan layanan publik berbasis elektronik yang terpadu."),
    ("desain-layanan-digital", "Desain Layanan Digital", "teknis", "layanan", "layanan-publik",
     "Merancang layanan publik digital yang berpusat pada warga."),
    ("pengelolaan-pengaduan", "Pengelolaan Pengaduan Masyarakat", "teknis", "layanan", "layanan-publik",
     "Menangani pengaduan masyarakat secara responsif melalui berbagai kanal."),
]

POSITION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_LEVEL = 5
#: Courses recommended per missing competency.
RECOMMENDED_PER_GAP = 3


# ---------------------------------------------------------------------------- catalogue


def catalogue() -> list[CompetencyEntry]:
    """Every competency, by kind then name (one query)."""
    return list(db.session.scalars(select(CompetencyEntry).order_by(CompetencyEntry.kind,
                                                                    CompetencyEntry.name)))


def get(competency_id: int) -> CompetencyEntry | None:
    return db.session.get(CompetencyEntry, competency_id)


def seed_standard(actor: User | None = None, *, commit: bool = True) -> int:
    """Add the standard competencies whose codes are missing; returns how many were added."""
    present = set(db.session.scalars(select(CompetencyEntry.code)))
    added = 0
    for code, name, kind, domain, aspect, description in STANDARD:
        if code not in present:
            db.session.add(CompetencyEntry(code=code, name=name, kind=Competency(kind),
                                           spbe_domain=SpbeDomain(domain) if domain else None,
                                           spbe_aspect=aspect, description=description))
            added += 1
    if added:
        _changed()
    if added and actor is not None:
        audit.record(actor, "competency.seeded", "competency", "", added=added)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return added


def save(actor: User, entry: CompetencyEntry | None, *, code: str, name: str, kind: str,
         description: str = "", spbe_domain: str = "", spbe_aspect: str = "") -> CompetencyEntry:
    """Create (entry None) or change a competency; every problem is reported at once."""
    code, name = (code or "").strip().lower(), (name or "").strip()
    problems: dict[str, str] = {}
    if not COMPETENCY_CODE.match(code):
        problems["code"] = N_("A code has up to 40 lowercase letters, digits, dots, dashes or underscores.")
    elif db.session.scalar(select(CompetencyEntry.id).where(
            CompetencyEntry.code == code, CompetencyEntry.id != (entry.id if entry else -1))) is not None:
        problems["code"] = N_("A competency with this code already exists.")
    if not name or len(name) > 200:
        problems["name"] = N_("A name of 1 to 200 characters is required.")
    if kind not in {k.value for k in Competency}:
        problems["kind"] = N_("Unknown kind of competency.")
    if spbe_domain and spbe_domain not in SPBE_DOMAINS:
        problems["spbe_domain"] = N_("Unknown SPBE domain.")
    if spbe_aspect and (spbe_aspect not in SPBE_ASPECTS or SPBE_ASPECTS[spbe_aspect][0] != spbe_domain):
        problems["spbe_aspect"] = N_("Choose an SPBE aspect of the chosen domain.")
    if len(description or "") > 2000:
        problems["description"] = N_("The description is too long (2000 characters at most).")
    if problems:
        raise ValidationFailed(problems)
    new = entry is None
    if new:
        entry = CompetencyEntry(code=code)
        db.session.add(entry)
    entry.code, entry.name, entry.kind = code, name, Competency(kind)
    entry.description = (description or "").strip()
    entry.spbe_domain = SpbeDomain(spbe_domain) if spbe_domain else None
    entry.spbe_aspect = spbe_aspect or None
    db.session.flush()
    audit.record(actor, "competency.created" if new else "competency.updated", "competency", entry.id,
                 code=code)
    _changed()
    _commit_or_taken("code", N_("A competency with this code already exists."))
    return entry


def delete_competency(actor: User, entry: CompetencyEntry) -> None:
    """Remove a competency nobody uses; one that tags a course or a position is refused."""
    used = db.session.scalar(select(func.count()).select_from(union_all(
        select(version_competencies.c.competency_id).where(version_competencies.c.competency_id == entry.id),
        select(lesson_competencies.c.competency_id).where(lesson_competencies.c.competency_id == entry.id),
        select(PositionRequirement.competency_id).where(PositionRequirement.competency_id == entry.id),
    ).subquery()))
    if used:
        raise ValidationFailed({"code": N_("This competency tags courses or positions; remove it there first.")})
    audit.record(actor, "competency.deleted", "competency", entry.id, code=entry.code)
    db.session.delete(entry)
    _changed()
    db.session.commit()


def _commit_or_taken(field_name: str, message: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent save took the code between our check and commit
        db.session.rollback()
        raise ValidationFailed({field_name: message}) from None


def by_codes(codes) -> dict[str, CompetencyEntry]:
    """{code: entry} of the given codes that exist (one query)."""
    codes = set(codes)
    if not codes:
        return {}
    return {c.code: c for c in db.session.scalars(select(CompetencyEntry).where(CompetencyEntry.code.in_(codes)))}


# ------------------------------------------------------------------------------ tagging


def package_problems(spec, file: str = "course.yaml") -> list[Problem]:
    """Competency codes of a course spec (course and lessons) that the catalogue lacks.

    An empty catalogue receives the standard set first, so a fresh installation can import
    the bundled curricula that name standard codes.
    """
    named = [(f"competencies[{i}]", code) for i, code in enumerate(spec.competencies)]
    for s_index, section in enumerate(spec.sections):
        for l_index, lesson in enumerate(section.lessons):
            named += [(f"sections[{s_index}].lessons[{l_index}].competencies[{i}]", code)
                      for i, code in enumerate(lesson.competencies)]
    if not named:
        return []
    if db.session.scalar(select(CompetencyEntry.id).limit(1)) is None:
        seed_standard(commit=False)
    known = by_codes(code for _w, code in named)
    return [Problem(file, where, f"unknown competency {code!r}: not in the competency catalogue "
                                 "(an administrator adds it under Administration > Competencies)")
            for where, code in named if code not in known]


def unknown_codes(codes: list[str], where: str = "competencies") -> list[Problem]:
    """The editor's check: one problem naming every code the catalogue lacks."""
    missing = sorted(set(codes) - set(by_codes(codes)))
    return [Problem("", where, f"unknown competency codes: {', '.join(missing)}")] if missing else []


def tag_version(version: CourseVersion, codes: list[str]) -> None:
    """Replace the version's competency tags (codes must exist; the caller commits)."""
    _replace(version_competencies, "version_id", version.id, codes)


def tag_lesson(lesson: Lesson, codes: list[str]) -> None:
    """Replace a lesson's competency tags (the lesson must be flushed; the caller commits)."""
    _replace(lesson_competencies, "lesson_id", lesson.id, codes)


def _replace(table, column: str, owner_id: int, codes: list[str]) -> None:
    db.session.execute(delete(table).where(table.c[column] == owner_id))
    ids = [entry.id for entry in by_codes(codes).values()]
    if ids:
        db.session.execute(insert(table), [{column: owner_id, "competency_id": cid} for cid in ids])


def tag_imported(version: CourseVersion, spec) -> None:
    """Store the tags of a freshly imported version (its lessons flushed, keys from the spec)."""
    if version.id is None or any(lesson.id is None for lesson in version.lessons):
        db.session.flush()
    if spec.competencies:
        tag_version(version, spec.competencies)
    by_key = {lesson.key: lesson for lesson in version.lessons}
    codes_by_key = {ls.id: ls.competencies for ls in spec.lessons() if ls.competencies}
    if not codes_by_key:
        return
    known = by_codes(code for codes in codes_by_key.values() for code in codes)
    rows = [{"lesson_id": by_key[key].id, "competency_id": known[code].id}
            for key, codes in codes_by_key.items() for code in codes if code in known]
    if rows:
        db.session.execute(insert(lesson_competencies), rows)


def copy_tags(source_id: int, copy: CourseVersion) -> None:
    """Give a draft copy the tags of its source (two statements; lessons matched by key)."""
    db.session.flush()
    codes = [row for row in db.session.scalars(
        select(version_competencies.c.competency_id).where(version_competencies.c.version_id == source_id))]
    if codes:
        db.session.execute(insert(version_competencies),
                           [{"version_id": copy.id, "competency_id": cid} for cid in codes])
    old = db.session.execute(select(Lesson.key, lesson_competencies.c.competency_id)
                             .join(lesson_competencies, lesson_competencies.c.lesson_id == Lesson.id)
                             .where(Lesson.version_id == source_id)).all()
    if old:
        new_ids = dict(db.session.execute(select(Lesson.key, Lesson.id).where(Lesson.version_id == copy.id)).all())
        db.session.execute(insert(lesson_competencies),
                           [{"lesson_id": new_ids[key], "competency_id": cid} for key, cid in old if key in new_ids])


def version_codes(version_id: int) -> list[str]:
    """Codes the version itself is tagged with, sorted."""
    return sorted(db.session.scalars(
        select(CompetencyEntry.code).join(version_competencies,
                                          version_competencies.c.competency_id == CompetencyEntry.id)
        .where(version_competencies.c.version_id == version_id)))


def codes_of_lesson(lesson_id: int) -> list[str]:
    """Codes one lesson is tagged with, sorted."""
    return sorted(db.session.scalars(
        select(CompetencyEntry.code).join(lesson_competencies,
                                          lesson_competencies.c.competency_id == CompetencyEntry.id)
        .where(lesson_competencies.c.lesson_id == lesson_id)))


def lesson_codes(version_id: int) -> dict[str, list[str]]:
    """{lesson key: sorted codes} of the version's lessons (one query)."""
    found: dict[str, list[str]] = {}
    for key, code in db.session.execute(
            select(Lesson.key, CompetencyEntry.code)
            .join(lesson_competencies, lesson_competencies.c.lesson_id == Lesson.id)
            .join(CompetencyEntry, CompetencyEntry.id == lesson_competencies.c.competency_id)
            .where(Lesson.version_id == version_id).order_by(Lesson.key, CompetencyEntry.code)):
        found.setdefault(key, []).append(code)
    return found


def catalog_conditions(code: str = "", spbe_domain: str = "") -> list:
    """WHERE clauses on CourseVersion for the catalog's filters: tagged with `code`, or in
    `spbe_domain`, on the version itself or on one of its lessons (indexed subqueries)."""
    conditions = []
    if code:
        comp = select(CompetencyEntry.id).where(CompetencyEntry.code == code).scalar_subquery()
        conditions.append(or_(
            CourseVersion.id.in_(select(version_competencies.c.version_id)
                                 .where(version_competencies.c.competency_id == comp)),
            CourseVersion.id.in_(select(Lesson.version_id)
                                 .join(lesson_competencies, lesson_competencies.c.lesson_id == Lesson.id)
                                 .where(lesson_competencies.c.competency_id == comp))))
    if spbe_domain:
        conditions.append(or_(CourseVersion.spbe_domain == spbe_domain,
                              CourseVersion.id.in_(select(Lesson.version_id)
                                                   .where(Lesson.spbe_domain == spbe_domain))))
    return conditions


def choices() -> list[tuple[str, str]]:
    """(code, "name (code)") of every competency, for forms."""
    return [(c.code, f"{c.name} ({c.code})") for c in catalogue()]


def fill_tag_fields(tags_field, domain_field=None) -> None:
    """Give an editor's tag checkboxes and SPBE domain select their choices (one query)."""
    tags_field.choices = choices()
    if domain_field is not None:
        domain_field.choices = [("", "—")] + list(SPBE_DOMAINS.items())


def catalog_filter_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(categories, competencies) as (value, name) pairs for the catalog's filters: one
    statement when cold, none while the catalog cache is warm (a warm catalog page stays
    query-free whatever the number of filters)."""
    from lms import cache
    from lms.models import Category
    from lms.services.courses import CATALOG

    def load() -> list:
        rows = db.session.execute(union_all(
            select(literal("c").label("part"), Category.slug.label("value"), Category.name.label("name")),
            select(literal("k"), CompetencyEntry.code, CompetencyEntry.name)).subquery().select()
            .order_by("part", "name")).all()
        return [[value, name] for part, value, name in rows if part == "c"], \
               [[value, name] for part, value, name in rows if part == "k"]

    categories, tags = cache.remember(CATALOG, "filter-choices", None, load)
    return [tuple(p) for p in categories], [tuple(p) for p in tags]


def _changed() -> None:
    """The catalog's filter lists name competencies: renew them with the change's commit."""
    from lms import cache
    from lms.services.courses import CATALOG

    cache.invalidate(CATALOG)


# ---------------------------------------------------------------------------- positions


def positions() -> list[Position]:
    """Every position with its requirements and their competencies (two queries)."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Position).order_by(Position.name).options(
        selectinload(Position.requirements).joinedload(PositionRequirement.competency))))


def get_position(position_id: int) -> Position | None:
    return db.session.get(Position, position_id)


def position_by_code(code: str) -> Position | None:
    return db.session.scalar(select(Position).where(func.lower(Position.code) == (code or "").strip().lower()))


def save_position(actor: User, position: Position | None, *, code: str, name: str,
                  description: str = "", requirements: dict[str, int] | None = None) -> Position:
    """Create or change a position and set its required competencies ({code: level})."""
    code, name = (code or "").strip(), (name or "").strip()
    requirements = requirements or {}
    problems: dict[str, str] = {}
    if not POSITION_CODE.match(code):
        problems["code"] = N_("A code has up to 40 letters, digits, dots, dashes or underscores.")
    else:
        other = position_by_code(code)
        if other is not None and (position is None or other.id != position.id):
            problems["code"] = N_("A position with this code already exists.")
    if not name or len(name) > 200:
        problems["name"] = N_("A name of 1 to 200 characters is required.")
    if len(description or "") > 2000:
        problems["description"] = N_("The description is too long (2000 characters at most).")
    known = by_codes(requirements)
    if set(requirements) - set(known):
        problems["requirements"] = N_("Unknown competency.")
    if any(not isinstance(level, int) or not 1 <= level <= MAX_LEVEL for level in requirements.values()):
        problems["requirements"] = N_("A target level is a whole number from 1 to 5.")
    if problems:
        raise ValidationFailed(problems)
    new = position is None
    if new:
        position = Position(code=code)
        db.session.add(position)
    position.code, position.name, position.description = code, name, (description or "").strip()
    wanted = {known[c].id: level for c, level in requirements.items()}
    for requirement in list(position.requirements):
        if requirement.competency_id not in wanted:
            position.requirements.remove(requirement)
        else:
            requirement.level = wanted.pop(requirement.competency_id)
    for competency_id, level in wanted.items():
        position.requirements.append(PositionRequirement(competency_id=competency_id, level=level))
    db.session.flush()
    audit.record(actor, "position.created" if new else "position.updated", "position", position.id,
                 code=code, requirements=sorted(requirements))
    _commit_or_taken("code", N_("A position with this code already exists."))
    return position


def delete_position(actor: User, position: Position) -> None:
    """Remove a position; its holders keep their free-text jabatan and lose the link."""
    audit.record(actor, "position.deleted", "position", position.id, code=position.code)
    db.session.execute(User.__table__.update().where(User.position_id == position.id).values(position_id=None))
    db.session.delete(position)
    db.session.commit()


def assign_position(actor: User, user: User, position: Position | None) -> None:
    """Link a person to a position (None: no position); the caller checked `actor` may."""
    if user.position_id != (position.id if position else None):
        audit.record(actor, "user.position", "user", user.id, unit=user.unit,
                     position=position.code if position else None)
        user.position = position
    db.session.commit()


# ------------------------------------------------------------------------------ the gap


@dataclass
class Recommendation:
    slug: str
    title: str
    jp: int
    #: How many of the person's missing competencies the course trains.
    closes: int
    #: Only some lessons carry the competency (ranked after whole-course tags).
    partial: bool


@dataclass
class GapLine:
    competency: CompetencyEntry
    level: int
    covered_by: list[str] = field(default_factory=list)
    recommended: list[Recommendation] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)


@dataclass
class Gap:
    position: Position | None
    lines: list[GapLine]

    @property
    def missing(self) -> list[GapLine]:
        return [line for line in self.lines if not line.covered]

    @property
    def met(self) -> list[GapLine]:
        return [line for line in self.lines if line.covered]


def _requirements(position_ids) -> list[PositionRequirement]:
    if not position_ids:
        return []
    return list(db.session.scalars(
        select(PositionRequirement).join(CompetencyEntry)
        .where(PositionRequirement.position_id.in_(position_ids))
        .options(joinedload(PositionRequirement.competency))
        .order_by(CompetencyEntry.kind, CompetencyEntry.name)))


def coverage(user_ids, competency_ids) -> dict[tuple[int, int], list[str]]:
    """{(user id, competency id): titles of the courses certifying it}, one statement.

    `user_ids` may be a list or a select of ids (a whole unit, without loading it first).
    """
    if not competency_ids:
        return {}
    valid = Certificate.status == CertificateStatus.VALID
    whole = (select(Certificate.user_id, version_competencies.c.competency_id, Certificate.course_title)
             .join(version_competencies, version_competencies.c.version_id == Certificate.version_id)
             .where(valid, Certificate.user_id.in_(user_ids),
                    version_competencies.c.competency_id.in_(competency_ids)))
    lessons = (select(Certificate.user_id, lesson_competencies.c.competency_id, Certificate.course_title)
               .join(Lesson, Lesson.version_id == Certificate.version_id)
               .join(lesson_competencies, lesson_competencies.c.lesson_id == Lesson.id)
               .where(valid, Certificate.user_id.in_(user_ids),
                      lesson_competencies.c.competency_id.in_(competency_ids)))
    found: dict[tuple[int, int], list[str]] = {}
    for user_id, competency_id, title in db.session.execute(union_all(whole, lessons)):
        titles = found.setdefault((user_id, competency_id), [])
        if title not in titles:
            titles.append(title)
    return found


def recommendations(user: User, competency_ids: list[int]) -> dict[int, list[Recommendation]]:
    """{competency id: published courses training it, best first}, leaving out the courses
    the person already holds a valid certificate of (one statement).

    Best first: the whole course is tagged before only some lessons, then courses closing
    more of the person's gaps at once, then fewer JP (quicker), then the title.
    """
    if not competency_ids:
        return {}
    done = select(Certificate.course_id).where(Certificate.user_id == user.id,
                                               Certificate.status == CertificateStatus.VALID)
    published = (CourseVersion.status == VersionStatus.PUBLISHED, CourseVersion.course_id.not_in(done))
    columns = (CourseVersion.id, Course.slug, CourseVersion.title, CourseVersion.jp)
    whole = (select(*columns, version_competencies.c.competency_id, literal(0).label("partial"))
             .join(Course, Course.id == CourseVersion.course_id)
             .join(version_competencies, version_competencies.c.version_id == CourseVersion.id)
             .where(*published, version_competencies.c.competency_id.in_(competency_ids)))
    lessons = (select(*columns, lesson_competencies.c.competency_id, literal(1).label("partial"))
               .join(Course, Course.id == CourseVersion.course_id)
               .join(Lesson, Lesson.version_id == CourseVersion.id)
               .join(lesson_competencies, lesson_competencies.c.lesson_id == Lesson.id)
               .where(*published, lesson_competencies.c.competency_id.in_(competency_ids)))
    rows = db.session.execute(union_all(whole, lessons)).all()
    partial: dict[tuple[int, int], bool] = {}
    info: dict[int, tuple[str, str, int]] = {}
    for version_id, slug, title, jp, competency_id, is_partial in rows:
        key = (version_id, competency_id)
        partial[key] = partial.get(key, True) and bool(is_partial)
        info[version_id] = (slug, title, jp)
    closes: dict[int, int] = {}
    for version_id, _cid in partial:
        closes[version_id] = closes.get(version_id, 0) + 1
    result: dict[int, list[Recommendation]] = {}
    for (version_id, competency_id), is_partial in partial.items():
        slug, title, jp = info[version_id]
        result.setdefault(competency_id, []).append(
            Recommendation(slug, title, jp, closes[version_id], is_partial))
    for items in result.values():
        items.sort(key=lambda r: (r.partial, -r.closes, r.jp, r.title.lower()))
        del items[RECOMMENDED_PER_GAP:]
    return result


def gap_for(user: User) -> Gap:
    """A person's required competencies, which are met (by which course), and, for the
    rest, recommended courses: four queries whatever the catalogue's size."""
    position = db.session.get(Position, user.position_id) if user.position_id else None
    if position is None:
        return Gap(None, [])
    requirements = _requirements([position.id])
    ids = [r.competency_id for r in requirements]
    covered = coverage([user.id], ids)
    lines = [GapLine(r.competency, r.level, covered.get((user.id, r.competency_id), []))
             for r in requirements]
    advice = recommendations(user, [line.competency.id for line in lines if not line.covered])
    for line in lines:
        if not line.covered:
            line.recommended = advice.get(line.competency.id, [])
    return Gap(position, lines)


# ------------------------------------------------------------------------- unit summary


@dataclass
class PersonGap:
    user: User
    required: int
    missing: list[CompetencyEntry]


@dataclass
class CompetencyCount:
    competency: CompetencyEntry
    required: int = 0
    met: int = 0

    @property
    def missing(self) -> int:
        return self.required - self.met


@dataclass
class UnitGap:
    scope: Unit | None
    people: list[PersonGap]
    counts: list[CompetencyCount]
    without_position: int
    #: (user, requirement, covered by) for every required competency of every person (CSV).
    rows: list[tuple[User, PositionRequirement, list[str]]]


def unit_gap(scope: Unit | None, actor: User) -> UnitGap:
    """Users x gap of a unit and its sub-units (None: every unit, admins only), in four
    queries: the people, the requirements of their positions, their certificates' tags,
    and the count of people without a position."""
    people_query = (select(User).where(User.active.is_(True))
                    .outerjoin(Unit, Unit.id == User.unit_id)
                    .options(joinedload(User.unit), joinedload(User.position))
                    .order_by(Unit.path, User.name, User.id))
    if scope is not None:
        people_query = people_query.where(Unit.path.startswith(scope.path))
    elif actor.role.value != "admin":
        people_query = people_query.where(Unit.path.startswith(actor.unit.path if actor.unit else "\0"))
    with_position = people_query.where(User.position_id.is_not(None))
    people = list(db.session.scalars(with_position))
    without = db.session.scalar(select(func.count()).select_from(
        people_query.where(User.position_id.is_(None)).with_only_columns(User.id).subquery()))
    requirements = _requirements({p.position_id for p in people})
    by_position: dict[int, list[PositionRequirement]] = {}
    for requirement in requirements:
        by_position.setdefault(requirement.position_id, []).append(requirement)
    competency_ids = {r.competency_id for r in requirements}
    covered = coverage(with_position.with_only_columns(User.id).order_by(None), competency_ids) if people else {}
    counts: dict[int, CompetencyCount] = {}
    result, rows = [], []
    for person in people:
        missing = []
        for requirement in by_position.get(person.position_id, []):
            count = counts.setdefault(requirement.competency_id, CompetencyCount(requirement.competency))
            count.required += 1
            titles = covered.get((person.id, requirement.competency_id), [])
            rows.append((person, requirement, titles))
            if titles:
                count.met += 1
            else:
                missing.append(requirement.competency)
        result.append(PersonGap(person, len(by_position.get(person.position_id, [])), missing))
    ordered = sorted(counts.values(), key=lambda c: (-c.missing, c.competency.name))
    return UnitGap(scope, result, ordered, without or 0, rows)


def csv_rows(report: UnitGap) -> list[list]:
    """One row per person and required competency: who lacks what, and what covers the rest."""
    header = ["nip", "nama", "unit", "kode_jabatan", "jabatan", "kode_kompetensi", "kompetensi",
              "jenis", "level_target", "status", "dipenuhi_oleh"]
    return [header] + [
        [user.nip or "", user.name, user.unit.code if user.unit else "", user.position.code,
         user.position.name, req.competency.code, req.competency.name, req.competency.kind.value,
         req.level, "terpenuhi" if titles else "kesenjangan", "; ".join(titles)]
        for user, req, titles in report.rows]


def spbe_domain_choices() -> list[tuple[str, str]]:
    return list(SPBE_DOMAINS.items())


def domain_names(values) -> list[str]:
    return [SPBE_DOMAINS[v] for v in values if v in SPBE_DOMAINS]

