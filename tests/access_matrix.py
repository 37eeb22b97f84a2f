"""The access matrix's data: the world it runs in, how a rule becomes a URL, who gets what.

Used by tests/test_access_matrix.py (docs/access-matrix.md). Every (method, rule) of the app
with all bundled plugins enabled has one row in MATRIX: the status each role must get when
it requests the rule filled in with the objects of `learner`, `author` and unit A.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

#: The seven callers, in the order of the status strings in MATRIX.
ROLES = ("anonymous", "learner", "other_learner", "author", "other_author", "unit_admin_b", "admin")
#: The callers who own nothing in the world: every object id in a URL belongs to someone else.
OUTSIDERS = ("other_learner", "other_author", "unit_admin_b")
BUNDLED_PLUGINS = ("digital_service", "eoffice", "project_management", "siasn")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PDF = b"%PDF-1.4\n% bukti pelatihan\n"
ESSAY_ANSWER = "Jawaban esai Laras tentang SRIKANDI-XYZZY"
JP_TITLE = "Diklat Rahasia Laras Kuantum"
COURSE_X_TITLE = "Kursus Xenon Milik Penulis"
QUESTIONS = [{"id": "esai", "type": "essay", "text": "Ceritakan pengalaman Anda."},
             {"id": "tf", "type": "truefalse", "text": "Benar?", "answer": True}]

PEOPLE = {  # role key -> (Role value, unit key, name, email, nip)
    "learner": ("learner", "sub_a", "Laras Wicaksonowati", "laras.rahasia@alfa.go.id", "199001012015012101"),
    "other_learner": ("learner", "b", "Bima Sentosa", "bima@beta.go.id", "199001012015011102"),
    "author": ("author", "a", "Ayu Penulis", "ayu.penulis@alfa.go.id", "199001012015012103"),
    "other_author": ("author", "b", "Oki Penulis", "oki.penulis@beta.go.id", "199001012015011104"),
    "unit_admin_b": ("unit_admin", "b", "Budi Admin Beta", "budi.admin@beta.go.id", "199001012015011105"),
    "admin": ("admin", "root", "Adi Administrator", "adi.admin@pemkot.go.id", "199001012015011106"),
}


@dataclass
class World:
    """Ids and names of what the matrix points at, plus each role's sign-in state."""

    values: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)     # role -> user id
    cookies: dict = field(default_factory=dict)    # role -> session cookie value
    csrf: dict = field(default_factory=dict)       # role -> CSRF token of that session
    tokens: dict = field(default_factory=dict)     # role -> API token secret

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings only the owners (and the admins of their unit) may ever see."""
        name, email, nip = PEOPLE["learner"][2:]
        return (name, email, nip, ESSAY_ANSWER, JP_TITLE, "Unit Alfa Tertutup")


def build(app) -> World:
    """Units A (with sub-unit) and B, one user per role, course X of `author` with an asset,
    an essay quiz attempted by `learner` (awaiting grading), a certificate of `learner` in
    course C, an external JP claim, an assignment, an API token per role; course Y of
    `other_author`."""
    from lms.database import db
    from lms.models import Certificate, Course, JpEntry, Role, User
    from lms.services import accounts, assignments, jp_ledger, orgs, tokens

    world = World()
    with app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        unit_a = orgs.create_unit(code="ALFA", name="Unit Alfa Tertutup", kind="opd", parent=root)
        sub_a = orgs.create_unit(code="ALFA-SUB", name="Sub Alfa", kind="sub_unit", parent=unit_a)
        unit_b = orgs.create_unit(code="BETA", name="Unit Beta", kind="opd", parent=root)
        units = {"root": root, "a": unit_a, "sub_a": sub_a, "b": unit_b}
        for key, (role, unit, name, email, nip) in PEOPLE.items():
            user = accounts.register_user(name=name, email=email, nip=nip, password="rahasia-ASN-1",
                                          role=Role(role), unit=units[unit])
            world.people[key] = user.id
            world.tokens[key] = tokens.create(user, name="matriks", write=True, days=7)[1]
        _course(app, "kursus-x", COURSE_X_TITLE, "author", world, questions=QUESTIONS,
                assets={"assets/img/peta.png": PNG})
        _course(app, "kursus-y", "Kursus Yodium Lain", "other_author", world, questions=QUESTIONS)
        _course(app, "kursus-c", "Kursus Sertifikat", "author", world)
        learner = db.session.get(User, world.people["learner"])
        entry = jp_ledger.record_external(learner, title=JP_TITLE, organiser="BPSDM", jp=8,
                                          start_on=dt.date.today() - dt.timedelta(days=3),
                                          end_on=dt.date.today() - dt.timedelta(days=2),
                                          competency="teknis", evidence=PDF, evidence_name="bukti.pdf")
        admin = db.session.get(User, world.people["admin"])
        course_x = db.session.scalar(db.select(Course).where(Course.slug == "kursus-x"))
        created = assignments.create(admin, course_id=course_x.id, units=orgs.tree(),
                                     due_on=dt.date.today() + dt.timedelta(days=30), unit_id=unit_a.id,
                                     include_subunits=True)
        world.values.update(unit_id=unit_a.id, unit_code=unit_a.code, entry_id=entry.id,
                            assignment_id=getattr(created, "assignment", created).id,
                            user_id=learner.id, token_id=tokens.of_user(learner)[0].id)
        world.values.update(_competency_world(admin, learner))
    _learner_activity(app, world)
    with app.app_context():
        certificate = db.session.scalar(db.select(Certificate))
        assert certificate is not None, "learner should hold a certificate of kursus-c"
        world.values.update(number=certificate.number, code=certificate.code)
        world.values["request_id"] = _followup_request(certificate)
        assert db.session.scalar(db.select(JpEntry).where(JpEntry.id == world.values["entry_id"]))
    for role in ROLES:
        _sign_in(app, world, role)
    return world


def _course(app, slug, title, owner, world, questions=None, assets=None) -> None:
    """Import and publish a one-lesson course and make `owner` its author."""
    from lms.database import db
    from lms.models import Course, User
    from lms.packages.manifest import parse_manifest
    from lms.services import authoring, courses
    from lms.testing import course_manifest

    manifest, bodies = course_manifest(slug, title=title, lessons=1, questions=questions)
    if assets:
        bodies["lessons/pelajaran-1.md"] += "\n\n![Peta](assets/img/peta.png)\n"
    spec, problems = parse_manifest(manifest)
    assert not problems, problems
    version = courses.import_version(spec, bodies, assets)
    courses.publish(version)
    course = db.session.get(Course, version.course_id)
    authoring.add_author(course, db.session.get(User, world.people[owner]))


def _learner_activity(app, world: World) -> None:
    """What a learner does through the site: enrol in X and submit the essay; finish C."""
    client = app.test_client()
    client.submit("/login", {"login": PEOPLE["learner"][3], "password": "rahasia-ASN-1"})
    client.submit("/courses/kursus-x/enrol", form_page="/courses/kursus-x")
    path = client.submit("/learn/kursus-x/quiz/kuis/start", form_page="/learn/kursus-x/quiz/kuis").location
    client.submit(path + "/submit", {"q0": ESSAY_ANSWER}, form_page=path)
    world.values["uid"] = path.rstrip("/").rsplit("/", 1)[-1]
    client.submit("/courses/kursus-c/enrol", form_page="/courses/kursus-c")
    client.submit("/learn/kursus-c/pelajaran-1/complete", form_page="/learn/kursus-c/pelajaran-1")


def _followup_request(certificate) -> int:
    """The evaluation follow-up asking `learner` about course C (the job, run as if 8 weeks
    had passed since she completed it)."""
    from lms.database import db
    from lms.models import Enrollment, EvaluationKind, EvaluationRequest
    from lms.services import evaluation

    enrollment = db.session.scalar(db.select(Enrollment).where(Enrollment.user_id == certificate.user_id,
                                                               Enrollment.completed_at.is_not(None)))
    evaluation.send_followups(now=enrollment.completed_at + dt.timedelta(weeks=8, days=1))
    return db.session.scalar(db.select(EvaluationRequest.id).where(
        EvaluationRequest.kind == EvaluationKind.FOLLOWUP_LEARNER))


def _competency_world(admin, learner) -> dict:
    """The standard competencies and a position `learner` holds (competency_id, position_id)."""
    from lms.database import db
    from lms.services import competencies

    competencies.seed_standard()
    job = competencies.save_position(admin, None, code="PELAKSANA", name="Pelaksana",
                                     requirements={"integritas": 2})
    learner.position_id = job.id
    db.session.commit()
    return {"competency_id": competencies.catalogue()[0].id, "position_id": job.id}


def _sign_in(app, world: World, role: str) -> None:
    """Sign `role` in through the real form once; keep its session cookie and CSRF token."""
    client = app.test_client()
    if role != "anonymous":
        response = client.submit("/login", {"login": PEOPLE[role][3], "password": "rahasia-ASN-1"})
        assert response.status_code == 302, (role, response.status_code)
    world.csrf[role] = client.csrf_token("/login" if role == "anonymous" else "/profile")
    world.cookies[role] = client.get_cookie("session").value


# --------------------------------------------------------------------------- URLs

PLUGIN_STATIC = {"digital_service.static": "digital_service.css", "eoffice.static": "eoffice.css",
                 "project_management.static": "project_management.css"}


#: Values naming nothing at all, to compare "not yours" with "does not exist".
NOWHERE = {"slug": "tidak-ada-xyz", "uid": "0" * 32, "code": "TIDAKADA", "number": "999999",
           "key": "tidak-ada", "entry_id": "999999", "user_id": "999999", "unit_id": "999999",
           "assignment_id": "999999", "token_id": "999999", "delivery_id": "999999",
           "request_id": "999999"}


def url_for_rule(rule, world: World, *, missing: bool = False) -> str:
    """The rule with every parameter set to an object of learner / author / unit A
    (with `missing`, the object parameters set to objects that do not exist)."""
    v = world.values
    text = rule.rule

    def value(match) -> str:
        name = match.group(2)
        converter = match.group(1) or ""
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" '\")")
        if missing and name in NOWHERE:
            return NOWHERE[name]
        if name == "slug":
            return "kursus-x"
        if name == "key":
            if "/questions/" in text:
                return "esai"
            return "kuis" if "quiz" in text else "pelajaran-1"
        if name == "number":
            return v["number"] if "certificates" in text else "1"
        if name == "code":
            return v["unit_code"] if "/units/" in text else v["code"]
        if name == "path":
            return "index.html" if "scorm" in text or "/content/" in text else "img/peta.png"
        if name == "filename":
            return PLUGIN_STATIC[rule.endpoint]
        fixed = {"uid": v["uid"], "slot": 0, "index": 0, "fmt": "gift", "token": "tidak-sah",
                 "delivery_id": 1, "entry_id": v["entry_id"], "user_id": v["user_id"],
                 "unit_id": v["unit_id"], "assignment_id": v["assignment_id"],
                 "token_id": v["token_id"], "request_id": v["request_id"],
                 "competency_id": v["competency_id"], "position_id": v["position_id"], "question": "relevance"}
        return str(fixed[name])

    return re.sub(r"<(?:([^:<>]+):)?(\w+)>", value, text)


#: Parameters naming an object of someone (an id, uid, slug, code, number or key).
OBJECT_PARAMETERS = {"slug", "uid", "code", "number", "entry_id", "user_id", "unit_id", "assignment_id",
                     "token_id", "delivery_id", "key", "request_id"}


def has_object_parameter(rule) -> bool:
    """Whether the URL names an object of someone."""
    return bool(OBJECT_PARAMETERS & set(rule.arguments))


# --------------------------------------------------------------------------- requests

API_PREFIX = "/api/v1/"


class Runner:
    """Sends one role's request on a fresh client; puts the database back after any write.

    The world is built once; a request that may change it (anything but GET) is followed by
    restoring the SQLite file saved after the build, so every row sees the same world.
    """

    def __init__(self, app, world: World, database: str):
        import shutil

        self.app, self.world, self.database = app, world, database
        self.snapshot = database + ".snapshot"
        self._dispose()
        shutil.copyfile(database, self.snapshot)
        self.dirty = False

    def _dispose(self) -> None:
        from lms.database import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def restore(self) -> None:
        import shutil

        if self.dirty:
            self._dispose()
            shutil.copyfile(self.snapshot, self.database)
            self.dirty = False

    def call(self, role: str, method: str, url: str):
        """The response `role` gets; forms carry its CSRF token, the API its bearer token."""
        self.restore()
        client = self.app.test_client()
        client.set_cookie("session", self.world.cookies[role], domain="localhost")
        if method != "GET":
            self.dirty = True
        if url.startswith(API_PREFIX):
            headers = {} if role == "anonymous" else {"Authorization": f"Bearer {self.world.tokens[role]}"}
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = client.open(url, method=method, headers=headers, **body)
        elif method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": self.world.csrf[role]})
        response.get_data()  # buffered, so the file a view streamed can be closed now
        response.close()
        return response


# --------------------------------------------------------------------------- the matrix

#: (method, rule) -> statuses in ROLES order:
#:   anonymous  learner  other_learner  author  other_author  unit_admin_b  admin
#: The URL is url_for_rule(): objects of learner (unit A's sub-unit), author (course X), unit A.
#: Outsiders (other_learner, other_author, unit_admin_b) must get 403/404 wherever the object is
#: not theirs; 200 for them means a page of their own (lists, catalog) or a public page.
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/"): "200 200 200 200 200 200 200",
    ("GET", "/admin/"): "302 403 403 403 403 200 200",
    ("GET", "/admin/assignments"): "302 403 403 403 403 200 200",
    ("GET", "/admin/assignments/<int:assignment_id>"): "302 403 403 403 403 404 200",
    ("GET", "/admin/assignments/new"): "302 403 403 403 403 200 200",
    ("POST", "/admin/assignments/new"): "302 403 403 403 403 400 400",
    ("GET", "/admin/assignments/overdue"): "302 403 403 403 403 200 200",
    ("GET", "/admin/assignments/overdue.csv"): "302 403 403 403 403 200 200",
    ("GET", "/admin/audit"): "302 403 403 403 403 200 200",
    ("GET", "/admin/audit.csv"): "302 403 403 403 403 200 200",
    ("GET", "/admin/certificates"): "302 403 403 403 403 403 200",
    ("GET", "/admin/competencies"): "302 403 403 403 403 403 200",
    ("POST", "/admin/competencies/<int:competency_id>/delete"): "302 403 403 403 403 403 302",
    ("GET", "/admin/competencies/<int:competency_id>/edit"): "302 403 403 403 403 403 200",
    ("POST", "/admin/competencies/<int:competency_id>/edit"): "302 403 403 403 403 403 400",
    ("GET", "/admin/competencies/new"): "302 403 403 403 403 403 200",
    ("POST", "/admin/competencies/new"): "302 403 403 403 403 403 400",
    ("POST", "/admin/competencies/seed"): "302 403 403 403 403 403 302",
    ("GET", "/admin/competency-gap"): "302 403 403 403 403 200 200",
    ("GET", "/admin/competency-gap.csv"): "302 403 403 403 403 200 200",
    ("POST", "/admin/positions/<int:position_id>/delete"): "302 403 403 403 403 403 302",
    ("GET", "/admin/positions/<int:position_id>/edit"): "302 403 403 403 403 403 200",
    ("POST", "/admin/positions/<int:position_id>/edit"): "302 403 403 403 403 403 400",
    ("GET", "/admin/positions/new"): "302 403 403 403 403 403 200",
    ("POST", "/admin/positions/new"): "302 403 403 403 403 403 400",
    ("POST", "/admin/users/<int:user_id>/position"): "302 403 403 403 403 404 302",
    ("GET", "/admin/certificates/<number>"): "302 403 403 403 403 403 200",
    ("POST", "/admin/certificates/<number>/<any(revoke, reissue):action>"): "302 403 403 403 403 403 302",
    ("GET", "/admin/courses/<slug>/enrolments"): "302 403 403 403 403 200 200",
    ("POST", "/admin/courses/<slug>/enrolments"): "302 403 403 403 403 200 200",
    ("GET", "/admin/jp"): "302 403 403 403 403 200 200",
    ("POST", "/admin/jp/<int:entry_id>/<any(approve, reject):decision>"): "302 403 403 403 403 404 302",
    ("GET", "/admin/reports"): "302 403 403 403 403 302 302",
    ("GET", "/admin/reports/courses"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/courses/<slug>"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/evaluations"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/evaluations/<slug>"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/evaluations/<slug>/results.<any(csv, xlsx):fmt>"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/jp"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/jp.csv"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/jp.xlsx"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/training-history"): "302 403 403 403 403 200 200",
    ("GET", "/admin/reports/training-history/download"): "302 403 403 403 403 200 200",
    ("GET", "/admin/units"): "302 403 403 403 403 200 200",
    ("POST", "/admin/units"): "302 403 403 403 403 400 400",
    ("GET", "/admin/units/<int:unit_id>"): "302 403 403 403 403 404 200",
    ("GET", "/admin/units/<int:unit_id>/certificates.zip"): "302 403 403 403 403 404 200",
    ("POST", "/admin/units/<int:unit_id>/move"): "302 403 403 403 403 404 302",
    ("POST", "/admin/units/<int:unit_id>/rename"): "302 403 403 403 403 404 302",
    ("POST", "/admin/units/move-users"): "302 403 403 403 403 302 302",
    ("GET", "/admin/users"): "302 403 403 403 403 200 200",
    ("GET", "/admin/users/<int:user_id>"): "302 403 403 403 403 404 200",
    ("POST", "/admin/users/<int:user_id>/<any(deactivate, reactivate):change>"): "302 403 403 403 403 404 302",
    ("POST", "/admin/users/<int:user_id>/<any(unlock, 'reset-two-factor'):action>"): "302 403 403 403 403 404 302",
    ("GET", "/admin/users/<int:user_id>/edit"): "302 403 403 403 403 404 200",
    ("POST", "/admin/users/<int:user_id>/edit"): "302 403 403 403 403 404 302",
    ("POST", "/admin/users/<int:user_id>/reset-password"): "302 403 403 403 403 404 200",
    ("POST", "/admin/users/<int:user_id>/role"): "302 403 403 403 403 404 302",
    ("GET", "/admin/users/import"): "302 403 403 403 403 200 200",
    ("POST", "/admin/users/import"): "302 403 403 403 403 400 400",
    ("GET", "/admin/users/new"): "302 403 403 403 403 200 200",
    ("POST", "/admin/users/new"): "302 403 403 403 403 400 400",
    ("GET", "/api/v1/attempts/<uid>"): "401 200 404 404 404 404 404",
    ("PUT", "/api/v1/attempts/<uid>/responses"): "401 422 422 422 422 422 422",
    ("POST", "/api/v1/attempts/<uid>/submit"): "401 200 404 404 404 404 404",
    ("GET", "/api/v1/certificates/<code>"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/courses"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/courses/<slug>"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/courses/<slug>/quizzes/<key>/attempts"): "401 200 403 200 403 403 403",
    ("POST", "/api/v1/courses/<slug>/quizzes/<key>/attempts"): "401 201 403 201 403 403 403",
    ("POST", "/api/v1/credentials/verify"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/docs"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/me"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/me/certificates"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/me/enrolments"): "401 200 200 200 200 200 200",
    ("POST", "/api/v1/me/enrolments"): "401 422 422 422 422 422 422",
    ("DELETE", "/api/v1/me/enrolments/<slug>"): "401 204 409 204 409 409 409",
    ("GET", "/api/v1/me/enrolments/<slug>"): "401 200 404 200 404 404 404",
    ("POST", "/api/v1/me/enrolments/<slug>/lessons/<key>/complete"): "401 200 409 200 409 409 409",
    ("GET", "/api/v1/me/jp"): "401 200 200 200 200 200 200",
    ("GET", "/api/v1/openapi.json"): "200 200 200 200 200 200 200",
    ("GET", "/api/v1/reports/jp"): "401 403 403 403 403 200 200",
    ("GET", "/api/v1/units"): "401 403 403 403 403 200 200",
    ("POST", "/api/v1/units"): "401 403 403 403 403 422 422",
    ("GET", "/api/v1/units/<code>"): "401 403 403 403 403 404 200",
    ("GET", "/api/v1/users"): "401 403 403 403 403 200 200",
    ("POST", "/api/v1/users"): "401 403 403 403 403 422 422",
    ("GET", "/api/v1/users/<int:user_id>"): "401 403 403 403 403 404 200",
    ("PATCH", "/api/v1/users/<int:user_id>"): "401 403 403 403 403 404 200",
    ("GET", "/author/"): "302 403 403 200 200 403 200",
    ("GET", "/author/attempts/<uid>/questions/<int:slot>/grade"): "302 403 403 200 404 403 200",
    ("POST", "/author/attempts/<uid>/questions/<int:slot>/grade"): "302 403 403 400 404 403 400",
    ("GET", "/author/courses/<slug>/"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/authors"): "302 403 403 302 404 403 302",
    ("POST", "/author/courses/<slug>/authors/<int:user_id>/remove"): "302 403 403 302 404 403 302",
    ("POST", "/author/courses/<slug>/draft/discard"): "302 403 403 302 404 403 302",
    ("GET", "/author/courses/<slug>/edit/"): "302 404 404 200 404 404 200",
    ("GET", "/author/courses/<slug>/edit/course"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/course"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/lessons/<key>"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/lessons/<key>"): "302 404 404 400 404 404 400",
    ("GET", "/author/courses/<slug>/edit/lessons/<key>/delete"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/lessons/<key>/delete"): "302 404 404 302 404 404 302",
    ("POST", "/author/courses/<slug>/edit/lessons/<key>/move"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/lessons/<key>/scorm"): "302 404 404 404 404 404 404",
    ("POST", "/author/courses/<slug>/edit/lessons/<key>/scorm"): "302 404 404 404 404 404 404",
    ("POST", "/author/courses/<slug>/edit/preview"): "302 404 404 200 404 404 200",
    ("GET", "/author/courses/<slug>/edit/quizzes/<key>"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/quizzes/<key>"): "302 404 404 400 404 404 400",
    ("GET", "/author/courses/<slug>/edit/quizzes/<key>/delete"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/quizzes/<key>/delete"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/sections/<int:index>"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/sections/<int:index>/delete"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>/delete"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/sections/<int:index>/lessons/new"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>/lessons/new"): "302 404 404 400 404 404 400",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>/move"): "302 404 404 302 404 404 302",
    ("GET", "/author/courses/<slug>/edit/sections/<int:index>/quizzes/new"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>/quizzes/new"): "302 404 404 400 404 404 400",
    ("GET", "/author/courses/<slug>/edit/sections/<int:index>/scorm/new"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/<int:index>/scorm/new"): "302 404 404 400 404 404 400",
    ("GET", "/author/courses/<slug>/edit/sections/new"): "302 404 404 200 404 404 200",
    ("POST", "/author/courses/<slug>/edit/sections/new"): "302 404 404 400 404 404 400",
    ("POST", "/author/courses/<slug>/publish"): "302 403 403 302 404 403 302",
    ("GET", "/author/courses/<slug>/evaluation"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/evaluation"): "302 403 403 302 404 403 302",
    ("POST", "/author/courses/<slug>/evaluation/questions"): "302 403 403 400 404 403 400",
    ("POST", "/author/courses/<slug>/evaluation/questions/<question>"): "302 403 403 400 404 403 400",
    ("POST", "/author/courses/<slug>/evaluation/reset"): "302 403 403 302 404 403 302",
    ("GET", "/author/courses/<slug>/evaluation/results"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/evaluation/results.<any(csv, xlsx):fmt>"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/questions"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/questions/<key>/delete"): "302 403 403 302 404 403 302",
    ("GET", "/author/courses/<slug>/questions/<key>/edit"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/questions/<key>/edit"): "302 403 403 400 404 403 400",
    ("GET", "/author/courses/<slug>/questions/export.<fmt>"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/certificates.zip"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/questions/import"): "302 403 403 302 404 403 302",
    ("POST", "/author/courses/<slug>/questions/import/confirm"): "302 403 403 302 404 403 302",
    ("GET", "/author/questions/template.<any(xlsx, csv, txt):fmt>"): "302 403 403 200 200 403 200",
    ("GET", "/author/courses/<slug>/quizzes/<key>"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/quizzes/<key>/attempts.csv"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/versions/<int:number>/"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/versions/<int:number>/<key>"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/versions/<int:number>/assets/<path:path>"): "302 403 403 200 404 403 200",
    ("GET", "/author/courses/<slug>/versions/<int:number>/package.zip"): "302 403 403 200 404 403 200",
    ("POST", "/author/courses/<slug>/versions/<int:number>/restore"): "302 403 403 302 404 403 302",
    ("GET", "/author/import"): "302 403 403 200 200 403 200",
    ("POST", "/author/import"): "302 403 403 400 400 403 400",
    ("GET", "/author/imports/<uid>"): "302 403 403 404 404 403 404",
    ("GET", "/content/a/<token>/<path:path>"): "403 403 403 403 403 403 403",
    ("GET", "/courses"): "200 200 200 200 200 200 200",
    ("GET", "/courses/<slug>"): "200 200 200 200 200 200 200",
    ("GET", "/courses/<slug>/cover"): "404 404 404 404 404 404 404",
    ("POST", "/courses/<slug>/enrol"): "302 302 302 302 302 302 302",
    ("POST", "/courses/<slug>/leave"): "302 302 302 302 302 302 302",
    ("GET", "/evaluation/courses/<slug>"): "302 200 404 200 404 404 404",
    ("POST", "/evaluation/courses/<slug>"): "302 403 404 403 404 404 404",
    ("GET", "/evaluation/follow-ups"): "302 200 200 200 200 200 200",
    ("GET", "/evaluation/follow-ups/<int:request_id>"): "302 200 404 404 404 404 404",
    ("POST", "/evaluation/follow-ups/<int:request_id>"): "302 400 404 404 404 404 404",
    ("GET", "/healthz"): "200 200 200 200 200 200 200",
    ("POST", "/language"): "400 400 400 400 400 400 400",
    ("GET", "/learn/<slug>"): "302 302 302 302 302 302 302",
    ("GET", "/learn/<slug>/<key>"): "302 200 302 200 302 302 302",
    ("POST", "/learn/<slug>/<key>/complete"): "302 302 403 302 403 403 403",
    ("GET", "/learn/<slug>/assets/<path:path>"): "302 200 404 200 404 404 200",
    ("GET", "/learn/<slug>/offline.zip"): "302 200 302 200 302 302 200",
    ("GET", "/learn/<slug>/quiz/<key>"): "302 200 403 200 403 403 403",
    ("POST", "/learn/<slug>/quiz/<key>/start"): "302 302 403 302 403 403 403",
    ("POST", "/learn/<slug>/scorm/<int:number>/<key>/commit"): "401 404 404 404 404 404 404",
    ("GET", "/learn/<slug>/scorm/<int:number>/<key>/content/<path:path>"): "404 404 404 404 404 404 404",
    ("POST", "/learn/<slug>/scorm/<int:number>/<key>/session"): "401 404 404 404 404 404 404",
    ("GET", "/learn/attempts/<uid>"): "302 302 404 404 404 404 404",
    ("GET", "/learn/attempts/<uid>/review"): "302 200 404 404 404 404 404",
    ("POST", "/learn/attempts/<uid>/save"): "302 409 404 404 404 404 404",
    ("POST", "/learn/attempts/<uid>/submit"): "302 302 404 404 404 404 404",
    ("GET", "/learn/content/s/<token>/<path:path>"): "403 403 403 403 403 403 403",
    ("GET", "/login"): "200 302 302 302 302 302 302",
    ("POST", "/login"): "400 302 302 302 302 302 302",
    ("GET", "/login/two-factor"): "302 302 302 302 302 302 302",
    ("POST", "/login/two-factor"): "302 302 302 302 302 302 302",
    ("POST", "/logout"): "302 302 302 302 302 302 302",
    ("GET", "/me"): "302 200 200 200 200 200 200",
    ("GET", "/me/competencies"): "302 200 200 200 200 200 200",
    ("GET", "/me/certificates"): "302 200 200 200 200 200 200",
    ("GET", "/me/certificates/<number>.json"): "302 200 404 404 404 404 200",
    ("GET", "/me/certificates/<number>.pdf"): "302 200 404 404 404 404 200",
    ("POST", "/me/certificates/<number>/renew"): "302 302 404 404 404 404 404",
    ("GET", "/me/jp"): "302 200 200 200 200 200 200",
    ("POST", "/me/jp"): "302 400 400 400 400 400 400",
    ("GET", "/me/jp/<int:entry_id>/evidence"): "302 200 404 404 404 404 200",
    ("GET", "/me/jp/approvals"): "302 200 200 200 200 200 200",
    ("POST", "/me/jp/approvals/<int:entry_id>/<any(approve, reject):decision>"): "302 404 404 404 404 404 302",
    ("GET", "/me/training-history"): "302 200 200 200 200 200 200",
    ("GET", "/jp/rules"): "302 200 200 200 200 200 200",
    ("GET", "/metrics"): "404 404 404 404 404 404 404",
    ("GET", "/p/digital_service/static/<path:filename>"): "302 403 403 403 403 403 200",
    ("GET", "/p/digital_service/webhooks"): "302 403 403 403 403 403 200",
    ("POST", "/p/digital_service/webhooks/<int:delivery_id>/retry"): "302 403 403 403 403 403 302",
    ("GET", "/p/eoffice/static/<path:filename>"): "200 200 200 200 200 200 200",
    ("GET", "/p/project_management/static/<path:filename>"): "200 200 200 200 200 200 200",
    ("GET", "/password/forgot"): "200 200 200 200 200 200 200",
    ("POST", "/password/forgot"): "400 400 400 400 400 400 400",
    ("GET", "/password/new"): "302 302 302 302 302 302 302",
    ("POST", "/password/new"): "302 302 302 302 302 302 302",
    ("GET", "/profile"): "302 200 200 200 200 200 200",
    ("POST", "/profile"): "302 400 400 400 400 400 400",
    ("POST", "/profile/password"): "302 400 400 400 400 400 400",
    ("POST", "/profile/tokens"): "302 400 400 400 400 400 400",
    ("POST", "/profile/tokens/<int:token_id>/revoke"): "302 302 404 404 404 404 404",
    ("GET", "/profile/two-factor"): "302 200 200 200 200 200 200",
    ("POST", "/profile/two-factor"): "302 400 400 400 400 400 400",
    ("POST", "/profile/two-factor/disable"): "302 302 302 302 302 302 302",
    ("GET", "/profile/two-factor/qr.png"): "302 404 404 404 404 404 404",
    ("POST", "/profile/two-factor/recovery-codes"): "302 302 302 302 302 302 302",
    ("GET", "/readyz"): "200 200 200 200 200 200 200",
    ("GET", "/register"): "200 200 200 200 200 200 200",
    ("POST", "/register"): "400 400 400 400 400 400 400",
    ("GET", "/reset/<token>"): "400 400 400 400 400 400 400",
    ("POST", "/reset/<token>"): "400 400 400 400 400 400 400",
    ("GET", "/verify"): "200 200 200 200 200 200 200",
    ("POST", "/verify"): "200 200 200 200 200 200 200",
    ("GET", "/verify/<code>"): "200 200 200 200 200 200 200",
}

#: (method, rule, role) -> reason: a known wrong answer, marked xfail(strict=True).
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}

#: Pages that show a certificate's holder to anyone holding its secret code: that is their job
#: (public verification), so the outsiders' "nothing leaks" check does not apply to them.
PUBLIC_BY_DESIGN = {("GET", "/verify/<code>"), ("GET", "/api/v1/certificates/<code>"),
                    ("POST", "/verify"), ("POST", "/api/v1/credentials/verify")}
