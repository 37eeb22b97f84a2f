"""The access matrix (docs/access-matrix.md): every route of the app with all bundled plugins,
requested by every role with the objects of someone else, against the status in MATRIX.

One world is built per module (SQLite, whatever LMS_TEST_DATABASE_URL says: the rules are the
same on every database and the runner restores the SQLite file after each write). A route that
is added without a row in MATRIX fails test_every_route_has_a_row.
"""
from __future__ import annotations

import io
import re
import zipfile

import pytest

from access_matrix import (BUNDLED_PLUGINS, KNOWN_BUGS, MATRIX, OBJECT_PARAMETERS, OUTSIDERS, PUBLIC_BY_DESIGN, ROLES,
                           Runner, build, has_object_parameter, url_for_rule)
from lms.testing import LmsClient

#: High limits: the matrix signs in and posts to rate-limited endpoints many times a minute.
CONFIG = {"PLUGINS": list(BUNDLED_PLUGINS), "LOGIN_RATE_LIMIT": "100000 per minute",
          "PASSWORD_RESET_RATE_LIMIT": "100000 per minute", "VERIFY_RATE_LIMIT": "100000 per minute"}
DENIED = (401, 403, 404)
#: Learner routes of a published course (public in the catalog) answer "not enrolled" (403).
CATALOG_PREFIXES = ("/learn/<slug>/", "/api/v1/courses/<slug>/")


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory):
    """The app with every bundled plugin on, on a SQLite file of its own."""
    from lms import create_app
    from lms.database import db
    from lms.testing import reset_database

    folder = tmp_path_factory.mktemp("matrix")
    database = str(folder / "matrix.sqlite3")
    app = create_app("testing", {**CONFIG, "DATABASE_URL": f"sqlite:///{database}",
                                 "STORAGE_DIR": str(folder / "storage")})
    app.test_client_class = LmsClient
    with app.app_context():
        reset_database(db)
    yield app, database
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def runner(matrix_app):
    app, database = matrix_app
    return Runner(app, build(app), database)


def app_rules(app) -> dict[tuple[str, str], object]:
    """(method, rule) -> rule for everything the app routes, static files excepted."""
    return {(method, rule.rule): rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def _rule(app, method: str, path: str):
    return app_rules(app)[method, path]


def body_text(response) -> str:
    """The response as text; a spreadsheet's XML parts joined, so names in cells are found too."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")


def _cases():
    for (method, path), statuses in MATRIX.items():
        for role, status in zip(ROLES, statuses.split()):
            marks = ()
            if (method, path, role) in KNOWN_BUGS:
                marks = pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[method, path, role])
            yield pytest.param(method, path, role, int(status), marks=marks, id=f"{method} {path} [{role}]")


def test_every_route_has_a_row(matrix_app):
    """A new route fails here until MATRIX says who may use it; a removed one until its row goes."""
    app, _ = matrix_app
    routed = set(app_rules(app))
    missing = sorted(routed - set(MATRIX))
    stale = sorted(set(MATRIX) - routed)
    assert not missing, "routes without a row in tests/access_matrix.py MATRIX:\n" + \
        "\n".join(f'    ("{m}", "{r}"): "",' for m, r in missing)
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())


@pytest.mark.parametrize("method, path, role, status", list(_cases()))
def test_access(matrix_app, runner, method, path, role, status):
    app, _ = matrix_app
    rule = _rule(app, method, path)
    url = url_for_rule(rule, runner.world)
    response = runner.call(role, method, url)
    assert response.status_code == status, f"{role} {method} {url}: {response.status_code}"
    if role in OUTSIDERS and (method, path) not in PUBLIC_BY_DESIGN:
        text = body_text(response)
        leaked = [secret for secret in runner.world.secrets if secret in text]
        assert not leaked, f"{role} {method} {url} shows {leaked}"


def _cross_cases():
    """Outsiders' refusals on URLs naming an object; a published course's learner routes aside
    (the course is in the public catalog, so "not enrolled" there reveals nothing)."""
    for (method, path), statuses in MATRIX.items():
        names = set(re.findall(r"<(?:[^:<>]+:)?(\w+)>", path))
        if not names & OBJECT_PARAMETERS or (path.startswith(CATALOG_PREFIXES) and names <= {"slug", "key"}):
            continue
        for role, status in zip(ROLES, statuses.split()):
            if role in OUTSIDERS and int(status) in DENIED:
                yield pytest.param(method, path, role, int(status), id=f"{method} {path} [{role}]")


@pytest.mark.parametrize("method, path, role, status", list(_cross_cases()))
def test_someone_elses_object_looks_like_no_object(matrix_app, runner, method, path, role, status):
    """The refusal for another's id is the answer for an id that does not exist: nothing to probe."""
    app, _ = matrix_app
    rule = _rule(app, method, path)
    response = runner.call(role, method, url_for_rule(rule, runner.world, missing=True))
    assert response.status_code == status


def test_the_guard_names_a_route_without_a_row():
    routed = set(MATRIX) | {("GET", "/baru/<int:thing_id>")}
    assert sorted(routed - set(MATRIX)) == [("GET", "/baru/<int:thing_id>")]


def test_counts(matrix_app, capsys):
    """The numbers quoted in docs/access-matrix.md and docs/security.md."""
    app, _ = matrix_app
    rules = app_rules(app)
    cross = [key for key, rule in rules.items() if has_object_parameter(rule)]
    counts = {"routes": len(rules), "roles": len(ROLES), "checks": len(rules) * len(ROLES),
              "routes with an object id": len(cross), "cross-owner checks": len(cross) * len(OUTSIDERS),
              "not-yours-equals-missing checks": len(list(_cross_cases())),
              "known bugs (xfail)": len(KNOWN_BUGS)}
    with capsys.disabled():
        print("\naccess matrix:", ", ".join(f"{k}={v}" for k, v in counts.items()))
    assert counts["routes"] == len(MATRIX)


#: Lists, reports and exports of people: the admin sees unit A's learner in each (so her absence
#: for the unit admin of B means something), the unit admin of B must not.
PEOPLE_LISTS = ["/admin/users", "/admin/users?q=Laras", "/admin/reports/jp", "/admin/reports/jp.csv",
                "/admin/reports/jp.xlsx", "/admin/courses/kursus-x/enrolments", "/admin/jp",
                "/api/v1/users", "/api/v1/users?q=Laras", "/api/v1/reports/jp",
                "/admin/reports/training-history/download?format=csv",
                "/admin/reports/training-history/download?format=json"]
#: Unit lists: the admin sees unit A there, the unit admin of B only her own subtree.
UNIT_LISTS = ["/admin/units", "/api/v1/units", "/admin/reports/courses", "/admin/reports/courses/kursus-x",
              "/admin/assignments", "/admin/assignments/overdue", "/admin/assignments/new", "/admin/users/new"]


@pytest.mark.parametrize("url", PEOPLE_LISTS + UNIT_LISTS)
def test_reports_and_exports_stop_at_the_unit_boundary(runner, url):
    name, email, nip = runner.world.secrets[:3]
    unit_a = runner.world.secrets[-1]
    expected = [name, nip] if url in PEOPLE_LISTS else [unit_a]
    control = body_text(runner.call("admin", "GET", url))
    assert all(text in control for text in expected), f"the admin should see unit A in {url}"
    response = runner.call("unit_admin_b", "GET", url)
    assert response.status_code == 200
    text = body_text(response)
    assert not [secret for secret in (name, email, nip, unit_a) if secret in text]


@pytest.mark.parametrize("url", ["/api/v1/users?unit=ALFA", "/api/v1/reports/jp?unit=ALFA",
                                 "/api/v1/units/ALFA-SUB"])
def test_a_unit_admin_cannot_filter_into_another_unit(runner, url):
    assert runner.call("admin", "GET", url).status_code == 200
    response = runner.call("unit_admin_b", "GET", url)
    assert response.status_code in (403, 404)
    assert not [secret for secret in runner.world.secrets if secret in body_text(response)]


SELF_PAGES = ["/api/v1/me", "/api/v1/me/enrolments", "/api/v1/me/enrolments/kursus-x",
              "/api/v1/me/certificates", "/api/v1/me/jp", "/api/v1/courses/kursus-x",
              "/api/v1/attempts/{uid}", "/api/v1/courses/kursus-x/quizzes/kuis/attempts",
              "/me", "/profile", "/me/jp", "/me/certificates", "/learn/attempts/{uid}/review"]


@pytest.mark.parametrize("url", SELF_PAGES)
def test_a_learner_sees_her_own_fields_only(runner, url):
    """No password hash anywhere, and no other person's email or NIP on her own pages."""
    from access_matrix import PEOPLE

    response = runner.call("learner", "GET", url.format(**runner.world.values))
    assert response.status_code == 200
    text = body_text(response)
    others = [value for role, (_, _, _, email, nip) in PEOPLE.items() if role != "learner"
              for value in (email, nip)]
    assert "password_hash" not in text and "pbkdf2:" not in text and "scrypt:" not in text
    assert not [value for value in others if value in text]


@pytest.mark.parametrize("url", ["/api/v1/users", "/api/v1/users/{user_id}", "/admin/users/{user_id}",
                                 "/admin/users/{user_id}/edit", "/admin/reports/jp.csv"])
def test_not_even_admins_get_password_hashes(runner, url):
    text = body_text(runner.call("admin", "GET", url.format(**runner.world.values)))
    assert "password_hash" not in text and "pbkdf2:" not in text and "scrypt:" not in text
