"""Competency catalogue, tags in packages and the editor, positions and the gap views."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import CompetencyEntry, Position, User
from lms.packages.manifest import parse_manifest
from lms.services import competencies, courses, orgs, packages
from lms.services.courses import PackageInvalid
from lms.testing import course_manifest


def tagged_course(app, slug, codes=(), *, lesson_codes=None, spbe=None, jp=2, publish=True, lessons=1):
    """Import (and publish) a course tagged with `codes`; `lesson_codes` tags its first lesson."""
    manifest, bodies = course_manifest(slug, lessons=lessons, jp=jp)
    if codes:
        manifest["competencies"] = list(codes)
    if spbe:
        manifest["spbe_domain"] = spbe
    if lesson_codes:
        manifest["sections"][0]["lessons"][0]["competencies"] = list(lesson_codes)
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    with app.app_context():
        version = courses.import_version(spec, bodies)
        if publish:
            courses.publish(version)
        return version.id


def seed(app) -> None:
    with app.app_context():
        competencies.seed_standard()


def position(app, code, requirements: dict[str, int], *users) -> int:
    """A position requiring {code: level}, held by the given factory users."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin")) or None
        saved = competencies.save_position(admin, None, code=code, name=f"Jabatan {code}",
                                           requirements=requirements)
        for person in users:
            db.session.get(User, person.id).position_id = saved.id
        db.session.commit()
        return saved.id


def complete(client, auth, user, slug) -> None:
    """Finish a one-lesson course through the pages: a valid certificate follows."""
    auth.login(user)
    client.submit(f"/courses/{slug}/enrol", form_page=f"/courses/{slug}")
    client.submit(f"/learn/{slug}/pelajaran-1/complete", form_page=f"/learn/{slug}/pelajaran-1")
    auth.logout()


# ------------------------------------------------------------------------- manifest


def test_manifest_reads_course_and_lesson_tags_and_spbe_domain():
    manifest, _bodies = course_manifest("kursus-spbe", lessons=2)
    manifest.update(competencies=["spbe-tata-kelola", "integritas", "integritas"], spbe_domain="tata-kelola")
    manifest["sections"][0]["lessons"][1].update(competencies=["komunikasi"], spbe_domain="layanan")
    spec, problems = parse_manifest(manifest)
    assert problems == []
    assert spec.competencies == ["spbe-tata-kelola", "integritas"]
    assert spec.spbe_domain == "tata-kelola"
    assert spec.lessons()[1].competencies == ["komunikasi"]
    assert spec.lessons()[1].spbe_domain == "layanan"
    assert spec.lessons()[0].competencies == [] and spec.lessons()[0].spbe_domain is None


@pytest.mark.parametrize("changes, where, words", [
    ({"competencies": "integritas"}, "competencies", "must be a list"),
    ({"competencies": ["Integritas Tinggi"]}, "competencies[0]", "lowercase"),
    ({"competencies": [7]}, "competencies[0]", "lowercase"),
    ({"spbe_domain": "keuangan"}, "spbe_domain", "must be one of kebijakan-internal"),
])
def test_manifest_refuses_malformed_tags(changes, where, words):
    manifest, _bodies = course_manifest("kursus-salah")
    manifest.update(changes)
    spec, problems = parse_manifest(manifest)
    assert spec is None
    assert [(p.file, p.where) for p in problems] == [("course.yaml", where)]
    assert words in problems[0].message


def test_unknown_codes_are_refused_naming_the_file_and_field(lms_app):
    seed(lms_app)
    manifest, bodies = course_manifest("kursus-asing", lessons=2)
    manifest["competencies"] = ["integritas", "tidak-ada"]
    manifest["sections"][0]["lessons"][1]["competencies"] = ["juga-tidak-ada"]
    spec, problems = parse_manifest(manifest)
    assert not problems
    with lms_app.app_context():
        with pytest.raises(PackageInvalid) as refused:
            courses.import_version(spec, bodies)
        db.session.rollback()
        found = [str(p) for p in refused.value.problems]
        assert found == [
            "course.yaml: competencies[1]: unknown competency 'tidak-ada': not in the competency catalogue "
            "(an administrator adds it under Administration > Competencies)",
            "course.yaml: sections[0].lessons[1].competencies[0]: unknown competency 'juga-tidak-ada': not in "
            "the competency catalogue (an administrator adds it under Administration > Competencies)"]
        assert db.session.scalar(select(db.func.count()).select_from(db.text("course_versions"))) == 0


def test_an_empty_catalogue_gets_the_standard_set_on_first_use(lms_app):
    tagged_course(lms_app, "kursus-pertama", ["integritas"])
    with lms_app.app_context():
        codes = set(db.session.scalars(select(CompetencyEntry.code)))
        assert {"integritas", "kerjasama", "perekat-bangsa", "spbe-tata-kelola"} <= codes
        assert len(codes) == len(competencies.STANDARD)


def test_import_export_import_keeps_tags_and_domains(lms_app):
    seed(lms_app)
    tagged_course(lms_app, "kursus-bulat", ["integritas", "spbe-layanan"], lesson_codes=["komunikasi"],
                  spbe="layanan", lessons=2)
    with lms_app.app_context():
        manifest, _files = packages.export_version(packages.find_version("kursus-bulat"))
        assert manifest["competencies"] == ["integritas", "spbe-layanan"]
        assert manifest["spbe_domain"] == "layanan"
        assert manifest["sections"][0]["lessons"][0]["competencies"] == ["komunikasi"]
        assert "competencies" not in manifest["sections"][0]["lessons"][1]
        spec, problems = parse_manifest(manifest)
        assert not problems
        assert spec.competencies == ["integritas", "spbe-layanan"]
        assert spec.lessons()[0].competencies == ["komunikasi"]


def test_the_bundled_spbe_curriculum_declares_its_domain_and_codes(lms_app):
    from pathlib import Path

    import yaml

    root = Path(__file__).parents[1] / "plugins/digital_service/lms_digital_service/curricula"
    for folder in sorted(root.iterdir()):
        data = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
        spec, problems = parse_manifest(data)
        assert not problems, problems
        assert spec.competencies, folder.name
        with lms_app.app_context():
            assert competencies.package_problems(spec) == [], folder.name


# ------------------------------------------------------------------------- catalog


def test_catalog_filters_by_competency_and_spbe_domain(lms_app, lms_client):
    seed(lms_app)
    tagged_course(lms_app, "kursus-integritas", ["integritas"])
    tagged_course(lms_app, "kursus-pelajaran", lesson_codes=["integritas"], spbe="tata-kelola")
    tagged_course(lms_app, "kursus-lain", ["komunikasi"], spbe="layanan")
    page = lms_client.get("/courses?tag=integritas").get_data(as_text=True)
    assert "kursus-integritas" in page and "kursus-pelajaran" in page and "kursus-lain" not in page
    page = lms_client.get("/courses?spbe=layanan").get_data(as_text=True)
    assert "kursus-lain" in page and "kursus-integritas" not in page
    page = lms_client.get("/courses?tag=integritas&spbe=tata-kelola").get_data(as_text=True)
    assert "kursus-pelajaran" in page and "kursus-integritas" not in page
    assert 'value="integritas"' in lms_client.get("/courses").get_data(as_text=True)


def test_a_new_competency_shows_in_the_catalog_filter_at_once(lms_app, lms_client, lms_auth, lms_user):
    lms_client.get("/courses")  # warm cache
    admin = lms_user("admin")
    lms_auth.login(admin)
    lms_client.submit("/admin/competencies/new", {"code": "arsiparis", "name": "Kearsipan Digital",
                                                  "kind": "teknis"})
    assert 'value="arsiparis"' in lms_client.get("/courses").get_data(as_text=True)


# --------------------------------------------------------------------- admin pages


@pytest.mark.parametrize("role, status", [("learner", 403), ("author", 403), ("unit_admin", 403), ("admin", 200)])
def test_only_admins_manage_the_catalogue(lms_client, lms_auth, lms_user, role, status):
    lms_auth.login(lms_user(role))
    assert lms_client.get("/admin/competencies").status_code == status
    assert lms_client.get("/admin/competencies/new").status_code == status
    assert lms_client.get("/admin/positions/new").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(lms_client):
    for url in ("/admin/competencies", "/admin/competency-gap", "/me/competencies"):
        assert lms_client.get(url).status_code == 302


def test_admin_creates_edits_and_deletes_competencies(lms_app, lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user("admin"))
    response = lms_client.submit("/admin/competencies/seed", form_page="/admin/competencies")
    assert response.status_code == 302
    response = lms_client.submit("/admin/competencies/new", {
        "code": "Arsip-Digital", "name": "Kearsipan Digital", "kind": "teknis",
        "spbe_domain": "manajemen", "spbe_aspect": "penerapan-manajemen"})
    assert response.status_code == 302
    with lms_app.app_context():
        entry = db.session.scalar(select(CompetencyEntry).where(CompetencyEntry.code == "arsip-digital"))
        assert entry.spbe_domain.value == "manajemen" and entry.spbe_aspect == "penerapan-manajemen"
        entry_id = entry.id
    # duplicate code, aspect of another domain: one 400 page with both messages
    response = lms_client.submit("/admin/competencies/new", {
        "code": "arsip-digital", "name": "Lagi", "kind": "teknis", "spbe_domain": "layanan",
        "spbe_aspect": "audit-tik"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already exists" in page or "sudah ada" in page
    assert "aspect" in page or "aspek" in page
    response = lms_client.submit(f"/admin/competencies/{entry_id}/edit", {
        "code": "arsip-digital", "name": "Arsip Dinamis", "kind": "teknis"},
        form_page=f"/admin/competencies/{entry_id}/edit")
    assert response.status_code == 302
    tagged_course(lms_app, "kursus-arsip", ["arsip-digital"])
    lms_client.submit(f"/admin/competencies/{entry_id}/delete", form_page="/admin/competencies")
    with lms_app.app_context():
        assert db.session.get(CompetencyEntry, entry_id).name == "Arsip Dinamis"  # in use: kept
    assert lms_client.get("/admin/competencies/999999/edit").status_code == 404


def test_admin_manages_positions_with_levels(lms_app, lms_client, lms_auth, lms_user):
    seed(lms_app)
    lms_auth.login(lms_user("admin"))
    with lms_app.app_context():
        ids = {c.code: c.id for c in competencies.catalogue()}
    response = lms_client.submit("/admin/positions/new", {
        "code": "ANALIS-KEBIJAKAN", "name": "Analis Kebijakan Ahli Pertama",
        f"level_{ids['integritas']}": "3", f"level_{ids['spbe-tata-kelola']}": "2"})
    assert response.status_code == 302
    with lms_app.app_context():
        saved = db.session.scalar(select(Position).where(Position.code == "ANALIS-KEBIJAKAN"))
        assert {r.competency.code: r.level for r in saved.requirements} == {"integritas": 3, "spbe-tata-kelola": 2}
        position_id = saved.id
    response = lms_client.submit("/admin/positions/new", {"code": "x", "name": "Salah",
                                                          f"level_{ids['integritas']}": "9"})
    assert response.status_code == 400
    response = lms_client.submit(f"/admin/positions/{position_id}/edit", {
        "code": "ANALIS-KEBIJAKAN", "name": "Analis Kebijakan", f"level_{ids['komunikasi']}": "1"},
        form_page=f"/admin/positions/{position_id}/edit")
    assert response.status_code == 302
    with lms_app.app_context():
        saved = db.session.get(Position, position_id)
        assert [r.competency.code for r in saved.requirements] == ["komunikasi"]
    lms_client.submit(f"/admin/positions/{position_id}/delete", form_page="/admin/competencies")
    with lms_app.app_context():
        assert db.session.get(Position, position_id) is None


def test_unit_admins_assign_positions_within_their_units_only(lms_app, lms_client, lms_auth, lms_user):
    seed(lms_app)
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
        unit_a = orgs.create_unit(code="ALFA", name="Alfa", kind="opd", parent=root)
        unit_b = orgs.create_unit(code="BETA", name="Beta", kind="opd", parent=root)
        a_id, b_id = unit_a.id, unit_b.id
    learner_a = lms_user("learner", unit=db_unit(lms_app, a_id))
    learner_b = lms_user("learner", unit=db_unit(lms_app, b_id))
    admin_a = lms_user("unit_admin", unit=db_unit(lms_app, a_id))
    position_id = position(lms_app, "PELAKSANA", {"integritas": 1})
    lms_auth.login(admin_a)
    page = f"/admin/users/{learner_a.id}"
    assert "Posisi" in lms_client.get(page).get_data(as_text=True) or "position" in lms_client.get(page).get_data(as_text=True)
    response = lms_client.submit(f"/admin/users/{learner_a.id}/position", {"position_id": str(position_id)},
                                 form_page=page)
    assert response.status_code == 302
    response = lms_client.submit(f"/admin/users/{learner_b.id}/position", {"position_id": str(position_id)},
                                 form_page=page)
    assert response.status_code == 404
    with lms_app.app_context():
        assert db.session.get(User, learner_a.id).position_id == position_id
        assert db.session.get(User, learner_b.id).position_id is None


def db_unit(app, unit_id):
    with app.app_context():
        return orgs.get(unit_id)


# ----------------------------------------------------------------------- learner gap


def test_learner_sees_met_competencies_the_gap_and_ranked_courses(lms_app, lms_client, lms_auth, lms_user):
    seed(lms_app)
    learner = lms_user()
    position(lms_app, "PRANATA", {"integritas": 2, "spbe-tata-kelola": 3, "perekat-bangsa": 1}, learner)
    tagged_course(lms_app, "kursus-integritas", ["integritas"])
    tagged_course(lms_app, "kursus-tk-panjang", ["spbe-tata-kelola"], jp=20)
    tagged_course(lms_app, "kursus-tk-pendek", ["spbe-tata-kelola"], jp=4)
    tagged_course(lms_app, "kursus-tk-sebagian", lesson_codes=["spbe-tata-kelola"], jp=1)
    tagged_course(lms_app, "kursus-ganda", ["spbe-tata-kelola", "perekat-bangsa"], jp=30)
    tagged_course(lms_app, "kursus-draf", ["spbe-tata-kelola"], publish=False)
    complete(lms_client, lms_auth, learner, "kursus-integritas")
    lms_auth.login(learner)
    page = lms_client.get("/me/competencies").get_data(as_text=True)
    met = page.split('id="met"')[1]
    assert 'data-code="integritas"' in met and "Kursus kursus-integritas" in met
    gap = page.split('id="gap"')[1].split('id="met"')[0]
    tata = gap.split('data-code="spbe-tata-kelola"')[1].split("</article>")[0]
    order = [slug for slug in ("kursus-ganda", "kursus-tk-pendek", "kursus-tk-panjang", "kursus-tk-sebagian")
             if slug in tata]
    assert order == ["kursus-ganda", "kursus-tk-pendek", "kursus-tk-panjang"]  # 3 per gap, lessons-only last
    assert tata.index("kursus-ganda") < tata.index("kursus-tk-pendek") < tata.index("kursus-tk-panjang")
    assert "kursus-draf" not in page
    assert "kursus-integritas" not in gap  # completed courses are not recommended again
    assert 'data-code="perekat-bangsa"' in gap


def test_a_learner_without_position_is_told_whom_to_ask(lms_client, lms_auth, lms_user):
    lms_auth.login(lms_user())
    response = lms_client.get("/me/competencies")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kompetensi saya" in page and "Mintalah admin unit Anda" in page


def test_the_gap_page_does_not_grow_with_requirements_or_courses(lms_app, lms_client, lms_auth, lms_user,
                                                                 lms_queries):
    seed(lms_app)
    learner = lms_user()
    position(lms_app, "KECIL", {"integritas": 1}, learner)
    tagged_course(lms_app, "kursus-a", ["integritas"])
    lms_auth.login(learner)
    lms_client.get("/me/competencies")
    with lms_queries() as small:
        assert lms_client.get("/me/competencies").status_code == 200
    with lms_app.app_context():
        codes = [c.code for c in competencies.catalogue()]
        pos = db.session.scalar(select(Position).where(Position.code == "KECIL"))
        competencies.save_position(None, pos, code="KECIL", name="Besar", requirements={c: 2 for c in codes})
    for n, code in enumerate(codes):
        tagged_course(lms_app, f"kursus-besar-{n}", [code], lesson_codes=[codes[-1 - n]])
    with lms_queries() as large:
        assert lms_client.get("/me/competencies").status_code == 200
    assert large.count == small.count


# -------------------------------------------------------------------------- unit gap


@pytest.fixture
def two_units(lms_app, lms_user):
    seed(lms_app)
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
        unit_a = orgs.create_unit(code="ALFA", name="Alfa", kind="opd", parent=root)
        sub_a = orgs.create_unit(code="ALFA-SUB", name="Sub Alfa", kind="sub_unit", parent=unit_a)
        unit_b = orgs.create_unit(code="BETA", name="Beta", kind="opd", parent=root)
        units = {"a": unit_a.id, "sub": sub_a.id, "b": unit_b.id}
    people = {
        "rina": lms_user(name="Rina Alfa", unit=db_unit(lms_app, units["a"])),
        "sari": lms_user(name="Sari Sub", unit=db_unit(lms_app, units["sub"])),
        "tono": lms_user(name="Tono Beta", unit=db_unit(lms_app, units["b"])),
        "umar": lms_user(name="Umar Tanpa Jabatan", unit=db_unit(lms_app, units["a"])),
        "admin_a": lms_user("unit_admin", unit=db_unit(lms_app, units["a"])),
        "admin_b": lms_user("unit_admin", unit=db_unit(lms_app, units["b"])),
        "admin": lms_user("admin"),
    }
    position(lms_app, "PELAKSANA", {"integritas": 2, "komunikasi": 1},
             people["rina"], people["sari"], people["tono"])
    tagged_course(lms_app, "kursus-integritas", ["integritas"])
    return units, people


def test_unit_admin_sees_who_lacks_what_in_their_units(lms_client, lms_auth, lms_app, two_units):
    units, people = two_units
    complete(lms_client, lms_auth, people["rina"], "kursus-integritas")
    lms_auth.login(people["admin_a"])
    page = lms_client.get("/admin/competency-gap").get_data(as_text=True)
    assert "Rina Alfa" in page and "Sari Sub" in page and "Tono Beta" not in page
    counts = page.split('data-code="integritas"')[1].split("</tr>")[0]
    assert "<td>2</td><td>1</td><td><strong>1</strong></td>" in counts  # required, met, gap
    assert "2 tanpa jabatan" in page  # Umar and the unit admin herself (Indonesian by default)
    assert lms_client.get(f"/admin/competency-gap?unit={units['b']}").status_code == 404
    assert lms_client.get(f"/admin/competency-gap.csv?unit={units['b']}").status_code == 404
    response = lms_client.get("/admin/competency-gap.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["nip", "nama", "unit"]
    assert {(r[1], r[5], r[9]) for r in rows[1:]} == {
        ("Rina Alfa", "integritas", "terpenuhi"), ("Rina Alfa", "komunikasi", "kesenjangan"),
        ("Sari Sub", "integritas", "kesenjangan"), ("Sari Sub", "komunikasi", "kesenjangan")}
    assert [r[10] for r in rows[1:] if r[1] == "Rina Alfa" and r[5] == "integritas"] == ["Kursus kursus-integritas"]


def test_admins_see_every_unit_and_learners_none(lms_client, lms_auth, two_units):
    units, people = two_units
    lms_auth.login(people["admin"])
    page = lms_client.get("/admin/competency-gap").get_data(as_text=True)
    assert "Rina Alfa" in page and "Tono Beta" in page
    page = lms_client.get(f"/admin/competency-gap?unit={units['b']}").get_data(as_text=True)
    assert "Tono Beta" in page and "Rina Alfa" not in page
    lms_auth.logout()
    lms_auth.login(people["rina"])
    assert lms_client.get("/admin/competency-gap").status_code == 403
    assert lms_client.get("/admin/competency-gap.csv").status_code == 403


def test_the_unit_gap_does_not_grow_with_people(lms_app, lms_client, lms_auth, lms_user, lms_queries, two_units):
    units, people = two_units
    lms_auth.login(people["admin_a"])
    lms_client.get("/admin/competency-gap")
    with lms_queries() as small:
        assert lms_client.get("/admin/competency-gap").status_code == 200
    more = [lms_user(name=f"Pegawai Tambahan {n}", unit=db_unit(lms_app, units["sub"])) for n in range(8)]
    position(lms_app, "LAIN", {"perekat-bangsa": 1, "integritas": 1}, *more[:4])
    with lms_app.app_context():
        pelaksana = db.session.scalar(select(Position).where(Position.code == "PELAKSANA"))
        for person in more[4:]:
            db.session.get(User, person.id).position_id = pelaksana.id
        db.session.commit()
    lms_auth.logout()
    for person in more[:2]:
        complete(lms_client, lms_auth, person, "kursus-integritas")
    lms_auth.login(people["admin_a"])
    with lms_queries() as large:
        assert lms_client.get("/admin/competency-gap").status_code == 200
    assert large.count == small.count


# --------------------------------------------------------------------------- editor


def test_authors_tag_courses_and_lessons_in_the_editor(lms_app, lms_client, lms_auth, lms_user):
    seed(lms_app)
    author = lms_user("author")
    tagged_course(lms_app, "kursus-editor", ["integritas"], lessons=2)
    with lms_app.app_context():
        from lms.models import Course
        from lms.services import authoring

        authoring.add_author(db.session.scalar(select(Course).where(Course.slug == "kursus-editor")),
                             db.session.get(User, author.id))
    lms_auth.login(author)
    base = "/author/courses/kursus-editor/edit"
    page = lms_client.get(f"{base}/course").get_data(as_text=True)
    assert 'value="integritas" checked' in page or ('value="integritas"' in page and "checked" in page)
    fields = {"title": "Kursus Editor", "summary": "", "language": "id", "jp": "2",
              "competency": "teknis", "category": "", "tags": ["komunikasi", "spbe-layanan"],
              "spbe_domain": "layanan"}
    response = lms_client.submit(f"{base}/course", fields, form_page=f"{base}/course")
    assert response.status_code == 302
    response = lms_client.submit(f"{base}/course", {**fields, "tags": ["tidak-dikenal"]}, form_page=f"{base}/course")
    assert response.status_code == 400
    assert "tidak-dikenal" in response.get_data(as_text=True)
    response = lms_client.submit(f"{base}/lessons/pelajaran-2", {
        "title": "Pelajaran 2", "type": "markdown", "section": "0", "required": "y",
        "body": "Isi baru", "tags": ["perekat-bangsa"], "spbe_domain": "", "save": "Simpan"},
        form_page=f"{base}/lessons/pelajaran-2")
    assert response.status_code == 302
    with lms_app.app_context():
        draft = packages.find_version("kursus-editor", 2)
        assert competencies.version_codes(draft.id) == ["komunikasi", "spbe-layanan"]
        assert draft.spbe_domain.value == "layanan"
        assert competencies.lesson_codes(draft.id) == {"pelajaran-2": ["perekat-bangsa"]}
        published = packages.find_version("kursus-editor", 1)
        assert competencies.version_codes(published.id) == ["integritas"]  # published stays as it was


# ------------------------------------------------------------------------ CSV import


def test_the_user_csv_links_people_to_positions_by_code(lms_app):
    from lms.services import user_import

    seed(lms_app)
    position(lms_app, "PELAKSANA", {"integritas": 1})
    with lms_app.app_context():
        orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
    header = "nip,nama,email,kode_unit,kode_jabatan\n"
    bad = header + "199001012015011001,Ani,ani@example.go.id,PEMKOT,TIDAK-ADA\n"
    with lms_app.app_context():
        plan = user_import.check(bad.encode())
        assert [(p.line, p.column, p.english()) for p in plan.problems] == [
            (2, "kode_jabatan", "No position has the code TIDAK-ADA.")]
        good = header + ("199001012015011001,Ani,ani@example.go.id,PEMKOT,pelaksana\n"
                         "199001012015012002,Budi,budi@example.go.id,PEMKOT,\n")
        user_import.run(good.encode())
        people = {u.name: u.position for u in db.session.scalars(select(User))}
        assert people["Ani"].code == "PELAKSANA" and people["Budi"] is None
