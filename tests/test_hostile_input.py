"""Hostile input through the web and the API: SQL injection, oversized values, invalid UTF-8.

Every request gets a 200 or a clean 4xx page or JSON error, never a 500; searches return
what matches the text taken literally (a "%" search is not "everything"); refused forms
write nothing; and the tables are all still there afterwards. docs/hostile-input.md
lists what is tried and how many.
"""
from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import quote

import pytest

#: Classic injection strings (and LIKE wildcards, quotes, comments, NUL), each < 100 characters.
SQL_PAYLOADS = [
    "' OR 1=1--", "' OR '1'='1", "\" OR \"1\"=\"1", "' OR 1=1#", "' OR 1=1/*", "admin'--",
    "'; DROP TABLE users;--", "\"; DROP TABLE users;--", "1; DROP TABLE courses", "'); DELETE FROM users;--",
    "' UNION SELECT NULL--", "' UNION SELECT email, password_hash FROM users--",
    "1 UNION ALL SELECT 1,2,3--", "' AND 1=CAST((SELECT version()) AS int)--", "' AND SLEEP(5)--",
    "'; SELECT pg_sleep(5);--", "1' WAITFOR DELAY '0:0:5'--", "' OR ''='", "') OR ('1'='1",
    "%", "%%", "_", "__", "%_%", "\\", "\\%", "\\_", "'", "\"", "`", ";", "--", "/*", "*/", "#",
    "' OR 1=1 LIMIT 1 OFFSET 1--", "1' ORDER BY 100--", "${7*7}", "{{7*7}}", "a\x00b", "\x00",
    "' || (SELECT 1) || '", "Etika'; --", "%' AND 1=0 UNION SELECT 1 --", "\u02bc OR 1=1--",
]
#: Every page or API list that takes these as filters: (path, parameters the payload goes in).
ADMIN_TARGETS = [
    ("/courses", ("q", "category", "competency", "language", "jp_min", "jp_max", "page")),
    ("/admin/users", ("q", "role", "status", "unit_id", "page")),
    ("/admin/reports/jp", ("unit", "year", "below")),
    ("/admin/reports/jp.csv", ("unit", "year", "part")),
    ("/admin/reports/courses", ("unit", "q", "page")),
    ("/admin/audit", ("action", "page")),
    ("/api/v1/courses", ("q", "category", "competency", "language", "jp_min", "page", "per_page")),
    ("/api/v1/users", ("q", "unit", "role", "active", "page")),
    ("/api/v1/units", ("page", "per_page")),
    ("/api/v1/reports/jp", ("unit", "sort", "year", "below", "page")),
]
CLEAN = (200, 400, 401, 403, 404, 422, 429)
COURSES = {"dasar-keuangan": "Dasar Keuangan Daerah", "etika": "Etika 100% Integritas",
           "garis-bawah": "Nama_dengan_garis", "kutip": "Kursus O'Reilly \"kutip\""}


@pytest.fixture
def world(lms_app, lms_user, lms_course, units):
    """Courses whose titles hold %, _ and quotes; an admin and some learners with NIPs."""
    from lms.services import orgs

    for slug, title in COURSES.items():
        lms_course(slug, title=title)
    admin = lms_user("admin", name="Admin Utama")
    for name in ("Budi Santoso", "Siti 50% Aminah", "O'Brien_Tes"):
        lms_user("learner", name=name)
    with lms_app.app_context():
        assert orgs.by_code()
    return admin


def table_counts(app) -> dict[str, int]:
    """Rows per table: the injection attempts must not have dropped or changed any."""
    from sqlalchemy import func, select

    from lms.database import db

    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def expected_titles(app, text: str) -> set[str]:
    """Published titles containing `text` literally (case-insensitively), as Python sees it."""
    needle = text.strip().casefold()
    return {title for title in COURSES.values() if needle in title.casefold()} if needle else set(COURSES.values())


def test_sql_injection_payloads_in_every_filter(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world)
    before = table_counts(lms_app)
    requests = 0
    for payload in SQL_PAYLOADS:
        for path, params in ADMIN_TARGETS:
            for param in params:
                response = lms_client.get(path, query_string={param: payload})
                requests += 1
                assert response.status_code in CLEAN, (path, param, payload, response.status_code)
        response = lms_client.get(f"/courses/{quote(payload, safe='')}")
        assert response.status_code in CLEAN + (308,), payload
        requests += 1
    assert table_counts(lms_app) == before
    print(f"hostile SQL: {len(SQL_PAYLOADS)} payloads, {requests} requests")
    assert len(SQL_PAYLOADS) >= 40


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_searches_take_the_text_literally(lms_app, lms_client, lms_auth, world, payload):
    """The API catalog search returns exactly the titles containing the payload."""
    found = lms_client.get("/api/v1/courses", query_string={"q": payload, "per_page": 100})
    assert found.status_code in (200, 400)
    if found.status_code == 200:
        titles = {c["title"] for c in found.get_json()["items"]}
        assert titles == expected_titles(lms_app, payload), payload
    lms_auth.login(world)
    people = lms_client.get("/api/v1/users", query_string={"q": payload, "per_page": 100})
    assert people.status_code in (200, 400)
    if people.status_code == 200:
        digits = re.sub(r"\D", "", payload)
        for user in people.get_json()["items"]:
            text = payload.strip().casefold()
            assert (text in user["name"].casefold() or text in user["email"]
                    or (digits and digits in (user.get("nip") or ""))), (payload, user)


#: Numbers past every column type, negative and not numbers at all, for page, year, jp, ids.
NUMBER_PAYLOADS = ["99999999999999999999", "9223372036854775808", "-9223372036854775809", "2147483648",
                   "-1", "0", "1e9", "NaN", "inf", "0x10", "1_000"]


def test_out_of_range_numbers_in_every_parameter(lms_app, lms_client, lms_auth, world, units):
    """?page=10**20 used to overflow PostgreSQL's OFFSET on the audit log (a 500)."""
    lms_auth.login(world)
    paged = [(path, ("page",)) for path in ("/admin/assignments", "/admin/assignments/overdue",
                                            "/admin/courses/etika/enrolments", f"/admin/units/{units.root.id}")]
    requests = 0
    for value in NUMBER_PAYLOADS:
        for path, params in ADMIN_TARGETS + paged:
            for param in params:
                response = lms_client.get(path, query_string={param: value})
                requests += 1
                assert response.status_code in CLEAN, (path, param, value, response.status_code)
    print(f"hostile numbers: {len(NUMBER_PAYLOADS)} values, {requests} requests")


def test_catalog_page_percent_search_is_not_everything(lms_client, world):
    page = lms_client.get("/courses?q=%25").get_data(as_text=True)
    assert "Etika 100% Integritas" in page and "Dasar Keuangan Daerah" not in page
    page = lms_client.get("/courses?q=_").get_data(as_text=True)
    assert "Nama_dengan_garis" in page and "Dasar Keuangan Daerah" not in page


# ------------------------------------------------------------------------ oversized input

BIG = "A" * (1024 * 1024)           # over MAX_FORM_MEMORY_SIZE: the request is refused (413)
LARGE = "A" * (300 * 1024)          # under it: the form itself must refuse the value


def form_cases(course_slug: str, question_key: str) -> list[tuple[str, dict, str]]:
    """(url, valid form data, page with the form) for the forms people fill in."""
    editor = f"/author/courses/{course_slug}/edit"
    return [
        ("/login", {"login": "x@example.go.id", "password": "rahasia-ASN-1"}, "/login"),
        ("/register", {"name": "Baru", "email": "baru@example.go.id", "nip": "199001012015011999",
                       "password": "rahasia-ASN-1", "confirm": "rahasia-ASN-1"}, "/register"),
        ("/profile", {"name": "Nama Baru", "jabatan": "Staf", "locale": "id", "golongan": ""}, "/profile"),
        (f"{editor}/course", {"title": "Judul", "summary": "Ringkasan", "language": "id", "jp": "2",
                              "competency": "teknis", "category": ""}, f"{editor}/course"),
        (f"/author/courses/{course_slug}/questions/{question_key}/edit",
         {"definition": "id: q1\ntype: truefalse\ntext: Benar?\nanswer: true\n"},
         f"/author/courses/{course_slug}/questions/{question_key}/edit"),
    ]


@pytest.fixture
def author_world(lms_app, lms_user, lms_course):
    from lms.services import authoring
    from lms.database import db
    from lms.models import Course, User

    author = lms_user("author", name="Penulis")
    made = lms_course("besar", questions=[{"id": "q1", "type": "truefalse", "text": "Benar?", "answer": True}])
    with lms_app.app_context():
        authoring.add_author(db.session.get(Course, made.id), db.session.get(User, author.id))
        db.session.commit()
    return author


def fresh_browser(client) -> None:
    """Forget every cookie: signed out, new session (the login form is shown again)."""
    for cookie in list(client._cookies.values()):
        client.delete_cookie(cookie.key, domain=cookie.domain, path=cookie.path)


@pytest.mark.lms_config(ALLOW_REGISTRATION=True)
@pytest.mark.parametrize("size", ["large", "big"])
def test_oversized_values_in_every_form_field(lms_app, lms_client, lms_auth, author_world, size):
    value = LARGE if size == "large" else BIG
    cases = 0
    for url, data, page in form_cases("besar", "q1"):
        for field in data:
            fresh_browser(lms_client)
            if url not in ("/login", "/register"):
                lms_auth.login(author_world)
            before = table_counts(lms_app)
            token = lms_client.csrf_token(page)
            response = lms_client.post(url, data={**data, field: value, "csrf_token": token})
            cases += 1
            assert response.status_code in (200, 400, 413), (url, field, response.status_code)
            if response.status_code == 413:
                assert b"Traceback" not in response.data
            after = table_counts(lms_app)
            after.pop("audit_entries", None), before.pop("audit_entries", None)  # failed logins are audited
            after.pop("login_attempts", None), before.pop("login_attempts", None)
            assert after == before, (url, field)
    print(f"hostile oversized ({size}): {cases} form submissions")


def test_oversized_values_leave_the_profile_unchanged(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user("learner", name="Nama Asli")
    lms_auth.login(user)
    for field in ("name", "jabatan", "locale", "golongan", "unit_id"):
        response = lms_client.submit("/profile", {"name": "Nama Asli", "locale": "id", field: LARGE})
        assert response.status_code in (200, 400, 413), field
    from lms.database import db
    from lms.models import User

    with lms_app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.name == "Nama Asli" and len(stored.jabatan or "") <= 200


@pytest.mark.lms_config(MAX_CONTENT_LENGTH=1024 * 1024)
def test_a_body_over_max_content_length_is_413(lms_app, lms_client, lms_auth, author_world):
    lms_auth.login(author_world)
    token = lms_client.csrf_token("/author/import")
    body, kind = multipart("package", b"besar.zip", b"PK" + bytes(2 * 1024 * 1024), token)
    response = lms_client.post("/author/import", data=body, content_type=kind)
    assert response.status_code == 413
    api = lms_client.get("/api/v1/courses", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert api.status_code in (200, 400, 413)


def test_too_many_form_parts_is_refused(lms_client, lms_auth, author_world):
    lms_auth.login(author_world)
    token = lms_client.csrf_token("/profile")
    fields = {f"f{n}": "x" for n in range(2000)}
    response = lms_client.post("/profile", data={**fields, "csrf_token": token, "name": "X"},
                               content_type="multipart/form-data")
    assert response.status_code in (400, 413)


# ------------------------------------------------------------------------ invalid UTF-8

BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf",
             b"%ff", b"%c3%28", b"%00", b"\x00"]


def test_invalid_utf8_in_query_strings_and_paths(lms_client, lms_auth, world):
    lms_auth.login(world)
    requests = 0
    for raw in BAD_BYTES:
        for path, params in ADMIN_TARGETS:
            for param in params[:3]:
                query = (param.encode() + b"=" + raw).decode("latin-1")  # WSGI carries bytes as latin-1
                response = lms_client.get(path, environ_overrides={"QUERY_STRING": query})
                requests += 1
                assert response.status_code in CLEAN, (path, param, raw, response.status_code)
        for path in ("/courses/", "/api/v1/courses/", "/author/courses/", "/admin/users/"):
            response = lms_client.get(path, environ_overrides={"PATH_INFO": (path.encode() + raw).decode("latin-1")})
            requests += 1
            assert response.status_code in CLEAN + (308, 302, 405), (path, raw, response.status_code)
    print(f"hostile UTF-8 in URLs: {requests} requests")


@pytest.mark.lms_config(ALLOW_REGISTRATION=True)
def test_invalid_utf8_in_form_bodies(lms_app, lms_client, world):
    before = table_counts(lms_app)
    for raw in BAD_BYTES:
        token = lms_client.csrf_token("/register").encode()
        for url in ("/login", "/register", "/password/forgot"):
            body = (b"csrf_token=" + token + b"&login=" + raw + b"&email=" + raw + b"@x.go.id&name=" + raw
                    + b"&nip=" + raw + b"&password=" + raw + b"&confirm=" + raw)
            response = lms_client.post(url, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code in CLEAN + (302,), (url, raw, response.status_code)
    after = table_counts(lms_app)
    for noisy in ("audit_entries", "login_attempts"):
        after.pop(noisy, None), before.pop(noisy, None)
    assert after == before


def test_invalid_utf8_in_json_api_bodies(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world)
    token = lms_client.csrf_token("/profile")
    before = table_counts(lms_app)
    bodies = [b'{"name": "\xff\xfe", "email": "a@b.go.id"}', b"\xff\xfe{}", b'{"name": "\xed\xa0\x80"}',
              b'{"name": "\\ud800", "email": "x@y.go.id", "nip": "199001012015011777"}',
              b"\x00", b"{" * 10000, b'"\xff"',
              b'{"code": "X\xff", "name": "Unit", "kind": "opd"}']
    for body in bodies:
        for url in ("/api/v1/users", "/api/v1/units"):
            response = lms_client.post(url, data=body, content_type="application/json",
                                       headers={"X-CSRFToken": token})
            assert response.status_code in (400, 403, 404, 409, 422), (url, body[:40], response.status_code)
            assert response.is_json, (url, body[:40])
        response = lms_client.patch(f"/api/v1/users/{world.id}", data=body, content_type="application/json",
                                    headers={"X-CSRFToken": token})
        assert response.status_code in (400, 403, 404, 409, 422), (body[:40], response.status_code)
    assert table_counts(lms_app) == before


def multipart(field: str, filename: bytes, content: bytes, token: str, extra: dict | None = None
              ) -> tuple[bytes, str]:
    """A multipart body written by hand, so the file name can hold any bytes."""
    boundary = "----hostile-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode()]
    for name, value in (extra or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="'.encode()
                 + filename + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def package_zip() -> bytes:
    import yaml

    spec = {"format": "lms-course/1", "slug": "nama-aneh", "title": "Nama Aneh", "language": "id", "jp": 1,
            "competency": "teknis", "sections": [{"title": "B", "lessons": [
                {"id": "a", "title": "A", "file": "lessons/a.md"}]}]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yaml", yaml.safe_dump(spec))
        archive.writestr("lessons/a.md", "# A\n")
    return buffer.getvalue()


def test_invalid_utf8_in_upload_file_names(lms_app, lms_client, lms_auth, author_world):
    lms_auth.login(author_world)
    for raw in BAD_BYTES + [b"../../etc/passwd", b"C:\\x.zip", b"\xff.zip", b"a" * 5000 + b".zip"]:
        body, kind = multipart("package", raw, package_zip(), lms_client.csrf_token("/author/import"))
        response = lms_client.post("/author/import", data=body, content_type=kind)
        assert response.status_code in (200, 302, 400, 413), (raw[:20], response.status_code)
        body, kind = multipart("file", raw, b"::q:: Benar? {T}\n", lms_client.csrf_token("/author/courses/besar/questions"))
        response = lms_client.post("/author/courses/besar/questions/import", data=body, content_type=kind)
        assert response.status_code in (200, 302, 400, 413), (raw[:20], response.status_code)


def test_invalid_utf8_and_hostile_csv_uploads(lms_app, lms_client, lms_auth, world):
    lms_auth.login(world)
    before = table_counts(lms_app)
    files = [b"nip,nama,email\n\xff\xfe,Budi,b@x.go.id\n", b"\xff\xfe" + "nip,nama".encode("utf-16-le"),
             b"nip,nama,email,kode_unit\n199001012015011001,\x00,b@x.go.id,PEMKOT\n",
             b"\x00" * 1000, b"nip;nama;email\n" + b'"' * 5000, b"\xef\xbb\xbf\xef\xbb\xbf", b""]
    for content in files:
        for name in (b"users.csv", b"\xff\xfe.csv"):
            token = lms_client.csrf_token("/admin/users/import")
            body, kind = multipart("file", name, content, token, {"check": "1"})
            response = lms_client.post("/admin/users/import", data=body, content_type=kind)
            assert response.status_code in (200, 400), (content[:20], name, response.status_code)
    assert table_counts(lms_app) == before


def test_nul_characters_are_refused_with_a_message(lms_client, world):
    """A NUL means nothing in any field; PostgreSQL cannot even compare it, SQLite cuts at it."""
    assert lms_client.get("/courses?q=%00").status_code == 400
    error = lms_client.get("/api/v1/courses?q=a%00b").get_json()["error"]
    assert error["code"] == "bad_request" and "NUL" in error["message"]
    token = lms_client.csrf_token("/login")
    response = lms_client.post("/login", data={"csrf_token": token, "login": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert lms_client.get("/courses/a%00b").status_code == 404


def test_raw_bytes_in_the_query_string_are_read_like_a_bad_escape(lms_client, world):
    """Werkzeug decodes query strings strictly; raw 0xFF used to be a 500 on every page."""
    response = lms_client.get("/courses", environ_overrides={"QUERY_STRING": "q=\xff\xfe"})
    assert response.status_code == 200
    assert lms_client.get("/api/v1/courses", environ_overrides={"QUERY_STRING": "q=\xff"}).status_code == 200


def test_csv_exports_neutralise_formulas(lms_app, lms_client, lms_auth, world):
    """The audit log CSV: an imported file named like a formula is written as text."""
    import csv

    from lms.database import db
    from lms.services import audit

    with lms_app.app_context():
        audit.record(None, "user.import", "file", "=HYPERLINK(\"http://x\",\"klik\")", count=1)
        audit.record(None, "user.import", "file", "@SUM(A1)", count=1)
        db.session.commit()
    lms_auth.login(world)
    response = lms_client.get("/admin/audit.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://x\",\"klik\")" in cells and "'@SUM(A1)" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)


@pytest.mark.parametrize("depth", [500, 100_000])
@pytest.mark.parametrize("kind", ["list", "object"])
def test_deeply_nested_json_is_a_clean_error(lms_client, lms_auth, world, depth, kind):
    """json's decoder recurses once per level: 100,000 levels used to be a RecursionError (500)."""
    lms_auth.login(world)
    token = lms_client.csrf_token("/profile")
    body = "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth
    for url in ("/api/v1/users", "/api/v1/units"):
        response = lms_client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code in (400, 422) and response.is_json, (url, response.status_code)


def test_nul_in_a_json_body_is_stored_or_refused_never_a_500(lms_app, lms_client, lms_auth, world):
    """A NUL is valid JSON text: SQLite stores it, PostgreSQL refuses it (answered 400)."""
    lms_auth.login(world)
    token = lms_client.csrf_token("/profile")
    for body in (b'{"name": "a\\u0000b", "email": "nul@example.go.id", "nip": "199001012015011777"}',
                 b'{"code": "NUL1", "name": "Unit\\u0000", "kind": "instansi"}'):
        for url in ("/api/v1/users", "/api/v1/units"):
            response = lms_client.post(url, data=body, content_type="application/json",
                                       headers={"X-CSRFToken": token})
            assert response.status_code in (201, 400, 409, 422) and response.is_json, (url, response.status_code)


def test_an_id_no_row_can_have_is_a_plain_404(lms_client, lms_auth, lms_user):
    """Beyond PostgreSQL's INTEGER the URL matches no route: 404, as for any missing id."""
    lms_auth.login(lms_user("admin"))
    for url in ("/admin/users/2147483648", "/api/v1/users/121645100408831999", "/admin/users/99999999999999999999"):
        assert lms_client.get(url).status_code == 404, url
    assert lms_client.get("/admin/users/2147483647").status_code == 404
