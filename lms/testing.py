"""pytest plugin (entry point ``pytest11: lms``): fixtures for the core and for plugin suites.

Every test gets a fresh application and database:

* ``lms_app``: ``create_app("testing")`` on a new SQLite file, or on the PostgreSQL named by
  ``LMS_TEST_DATABASE_URL`` (emptied before each test). Plugins come from the
  ``@pytest.mark.lms_plugins("name", ...)`` marker or the ``lms_plugins`` ini option and
  default to none; ``@pytest.mark.lms_config(KEY=value)`` overrides settings.
* ``lms_client`` (with ``submit()`` that sends the CSRF token like a browser), ``lms_runner``,
  ``lms_user`` and ``lms_course`` (factories), ``lms_auth`` (log in/out), ``lms_queries``
  (count SQL statements), ``lms_plugin`` (register an object
  as a plugin), ``lms_events`` (record react hooks), ``lms_plugin_dist`` (install a fake
  distribution with an entry point, to test real plugin discovery).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from lms.hookspecs import hookimpl

#: Set to a PostgreSQL URL to run the suite there; the suite fails (never skips) if it is down.
TEST_DATABASE_ENV = "LMS_TEST_DATABASE_URL"
#: Password of users made by the lms_user factory.
DEFAULT_PASSWORD = "rahasia-ASN-1"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_prepared_databases: set[str] = set()


def pytest_addoption(parser) -> None:
    parser.addini("lms_plugins", "entry-point plugins enabled in lms_app", type="args", default=[])


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "lms_plugins(*names): enable these entry-point plugins")
    config.addinivalue_line("markers", "lms_config(**settings): override app settings")


def pytest_sessionstart(session) -> None:
    """Fail the whole run at once, with one clear line, when the test PostgreSQL is down."""
    url = os.environ.get(TEST_DATABASE_ENV)
    if not url:
        return
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from lms.settings import normalise_url

    engine = create_engine(normalise_url(url), poolclass=NullPool)  # closed on leaving `with`
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.exit(f"{TEST_DATABASE_ENV} is set but the database is unreachable: "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0]}", returncode=3)
    finally:
        engine.dispose()


# ------------------------------------------------------------------------- the app


@pytest.fixture
def lms_database_url(tmp_path) -> str:
    """The test database: LMS_TEST_DATABASE_URL, else a new SQLite file."""
    return os.environ.get(TEST_DATABASE_ENV) or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def lms_config(request, lms_database_url, tmp_path) -> dict:
    """Settings for lms_app; extend with @pytest.mark.lms_config(...)."""
    marker = request.node.get_closest_marker("lms_plugins")
    plugins = list(marker.args) if marker else list(request.config.getini("lms_plugins"))
    settings = {"DATABASE_URL": lms_database_url, "PLUGINS": plugins,
                "STORAGE_DIR": str(tmp_path / "storage")}
    for mark in reversed(list(request.node.iter_markers("lms_config"))):
        settings.update(mark.kwargs)
    return settings


@pytest.fixture
def lms_app(lms_config):
    """A fresh application with an empty database, disposed after the test."""
    from flask import Flask

    from lms import create_app
    from lms.database import db

    app: Flask = create_app("testing", lms_config)
    app.test_client_class = LmsClient
    with app.app_context():
        reset_database(db)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def reset_database(db) -> None:
    """Give the test an empty schema: create_all on SQLite, truncate on PostgreSQL."""
    url = str(db.engine.url)
    if db.engine.dialect.name != "postgresql":
        db.create_all()
        return
    if url not in _prepared_databases:  # first test in this process: start from nothing
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        _prepared_databases.add(url)
    db.create_all()
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def empty_database(db) -> None:
    """Drop every table, Alembic's too, so a migration test starts from nothing."""
    from sqlalchemy import MetaData

    existing = MetaData()
    existing.reflect(bind=db.engine)
    existing.drop_all(bind=db.engine)


# ---------------------------------------------------------------------- clients


class LmsClient(FlaskClient):
    """Test client that can fill in forms the way a browser does, CSRF token included."""

    def csrf_token(self, page: str = "/") -> str:
        """Fetch a page and return the CSRF token its forms carry."""
        response = self.get(page)
        match = _CSRF.search(response.get_data(as_text=True))
        assert match, f"no csrf_token on {page} (status {response.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, form_page: str | None = None,
               **kwargs):
        """POST `data` to `url` with a CSRF token taken from `form_page` (default: url)."""
        payload = dict(data or {})
        payload["csrf_token"] = self.csrf_token(form_page or url)
        return self.post(url, data=payload, **kwargs)


@pytest.fixture
def lms_client(lms_app) -> LmsClient:
    return lms_app.test_client()


@pytest.fixture
def lms_runner(lms_app):
    return lms_app.test_cli_runner()


# ------------------------------------------------------------------------ users


@dataclass(frozen=True)
class FactoryUser:
    """What a test needs to know about a user the factory made (safe outside a session)."""

    __test__ = False  # not a test class, whatever pytest's name rules say

    id: int
    email: str
    name: str
    nip: str | None
    role: str
    password: str = DEFAULT_PASSWORD


class _Sequence:
    """Unique, valid NIPs and emails for factory users."""

    def __init__(self):
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


@pytest.fixture
def lms_user(lms_app):
    """Factory: ``lms_user(role="author", name=..., email=..., nip=..., password=..., unit=...)``."""
    from lms.models import Role
    from lms.services import accounts

    seq = _Sequence()

    def make(role: str = "learner", **fields) -> FactoryUser:
        n = seq.next()
        fields.setdefault("name", f"Pegawai {n}")
        fields.setdefault("email", f"pegawai{n}@example.go.id")
        fields.setdefault("nip", f"19900101201501{1 + n % 2}{n:03d}")
        fields.setdefault("password", DEFAULT_PASSWORD)
        with lms_app.app_context():
            user = accounts.register_user(role=Role(role), **fields)
            return FactoryUser(user.id, user.email, user.name, user.nip, user.role.value,
                            fields["password"])

    return make


class AuthActions:
    """Log in and out through the real forms (flaskr's AuthActions)."""

    def __init__(self, client: LmsClient):
        self.client = client

    def login(self, user: FactoryUser | str, password: str | None = None):
        login = user if isinstance(user, str) else user.email
        password = password or getattr(user, "password", DEFAULT_PASSWORD)
        return self.client.submit("/login", {"login": login, "password": password})

    def logout(self):
        return self.client.submit("/logout", form_page="/")


@pytest.fixture
def lms_auth(lms_client) -> AuthActions:
    return AuthActions(lms_client)


# ---------------------------------------------------------------------- courses


@dataclass(frozen=True)
class FactoryCourse:
    """A course the lms_course factory published: its slug, ids and lesson keys in order."""

    __test__ = False

    id: int
    slug: str
    version_id: int
    title: str
    jp: int
    lesson_keys: tuple[str, ...]


def course_manifest(slug: str = "kursus-uji", *, title: str | None = None, lessons: int = 3,
                    jp: int = 2, competency: str = "teknis", category: str | None = None,
                    language: str = "id", summary: str = "", optional: tuple[str, ...] = (),
                    extra_lessons: list[dict] | None = None, questions: list[dict] | None = None,
                    quiz: dict | None = None) -> tuple[dict, dict[str, str]]:
    """A course.yaml mapping and file bodies: one section of `lessons` markdown lessons,
    and, with `questions` (definitions), a quiz "kuis" with the `quiz` settings."""
    entries, bodies = [], {}
    for n in range(1, lessons + 1):
        key = f"pelajaran-{n}"
        entries.append({"id": key, "title": f"Pelajaran {n}", "file": f"lessons/{key}.md",
                        "required": key not in optional})
        bodies[f"lessons/{key}.md"] = f"## Bagian {n}\n\nIsi pelajaran {n} untuk {slug}."
    entries += extra_lessons or []
    manifest = {"format": "lms-course/1", "slug": slug, "title": title or f"Kursus {slug}",
                "language": language, "jp": jp, "competency": competency, "summary": summary,
                "sections": [{"title": "Bagian utama", "lessons": entries}]}
    if questions is not None:
        import yaml

        bodies["quizzes/kuis.yaml"] = yaml.safe_dump(questions, allow_unicode=True, sort_keys=False)
        manifest["sections"][0]["quiz"] = {"id": "kuis", "title": "Kuis", "file": "quizzes/kuis.yaml",
                                           **(quiz or {})}
    if category:
        manifest["category"] = category
    return manifest, bodies


@pytest.fixture
def lms_course(lms_app):
    """Factory: ``lms_course("slug", lessons=3, jp=2, publish=True, ...)`` imports a course
    (see course_manifest for the options) and returns a FactoryCourse."""
    from lms.packages.manifest import parse_manifest
    from lms.services import courses

    def make(slug: str = "kursus-uji", *, publish: bool = True, **options) -> FactoryCourse:
        manifest, bodies = course_manifest(slug, **options)
        spec, problems = parse_manifest(manifest)
        assert not problems, problems
        with lms_app.app_context():
            version = courses.import_version(spec, bodies)
            if publish:
                courses.publish(version)
            return FactoryCourse(version.course_id, slug, version.id, version.title, version.jp,
                                 tuple(lesson.key for lesson in version.lessons))

    return make


# ---------------------------------------------------------------------- plugins


@pytest.fixture
def lms_plugin(lms_app):
    """Register an object as a plugin on the test app: ``lms_plugin(obj, name="x")``.

    For per-request and react hooks; startup hooks (blueprints, commands) need the object
    in ``@pytest.mark.lms_config(PLUGIN_OBJECTS={"x": obj})`` instead.
    """
    pm = lms_app.extensions["lms"].pm
    names = []

    def register(obj, name: str | None = None):
        names.append(pm.register(obj, name=name))
        return obj

    yield register
    for name in names:
        pm.unregister(name=name)


class EventRecorder:
    """Implements every react hook and records (hook, snapshot of arguments)."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def names(self) -> list[str]:
        return [hook for hook, _ in self.calls]

    def _record(self, hook: str, **kwargs) -> None:
        self.calls.append((hook, {k: _snapshot(v) for k, v in kwargs.items()}))

    @hookimpl
    def user_registered(self, user):
        self._record("user_registered", user=user)

    @hookimpl
    def learner_enrolled(self, enrollment):
        self._record("learner_enrolled", enrollment=enrollment)

    @hookimpl
    def lesson_viewed(self, enrollment, lesson):
        self._record("lesson_viewed", enrollment=enrollment, lesson=lesson)

    @hookimpl
    def lesson_completed(self, progress):
        self._record("lesson_completed", progress=progress)

    @hookimpl
    def quiz_graded(self, attempt):
        self._record("quiz_graded", attempt=attempt)

    @hookimpl
    def course_completed(self, enrollment):
        self._record("course_completed", enrollment=enrollment)

    @hookimpl
    def certificate_issued(self, certificate):
        self._record("certificate_issued", certificate=certificate)

    @hookimpl
    def certificate_revoked(self, certificate, reason):
        self._record("certificate_revoked", certificate=certificate, reason=reason)


def _snapshot(value):
    """Copy an ORM object's columns into a dict, so tests can read it after the request."""
    state = inspect(value, raiseerr=False)
    if state is None or not hasattr(state, "mapper"):
        return value
    return {attr.key: getattr(value, attr.key) for attr in state.mapper.column_attrs}


@pytest.fixture
def lms_events(lms_app) -> EventRecorder:
    """Record every react hook the app fires during the test."""
    recorder = EventRecorder()
    lms_app.extensions["lms"].pm.register(recorder, name="lms_events")
    return recorder


@pytest.fixture
def lms_plugin_dist(tmp_path, monkeypatch):
    """Install a fake distribution exposing an ``lms.plugins`` entry point.

    ``lms_plugin_dist("example", "lms_example.plugin", version="1.2")``; an optional
    ``source_dir`` is put on sys.path so the module can be imported.
    """
    site = tmp_path / "site-packages"

    def install(name: str, target: str, *, version: str = "0.1", source_dir: Path | None = None):
        info = site / f"lms_{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: lms-{name}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[lms.plugins]\n{name} = {target}\n")
        monkeypatch.syspath_prepend(str(site))
        if source_dir is not None:
            monkeypatch.syspath_prepend(str(source_dir))
        return info

    return install


class QueryCounter:
    """Counts SQL statements sent to the app's engine while active."""

    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@pytest.fixture
def lms_queries(lms_app):
    """``with lms_queries() as q: client.get(...)``; then ``q.count`` is the statements run."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from lms.database import db

    @contextmanager
    def count():
        counter = QueryCounter()
        with lms_app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter._on_execute)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter._on_execute)

    return count
