"""CSV import of ASN accounts: every problem by line in a dry run, then all or nothing."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re

import pytest
from sqlalchemy import func, select

from lms.database import db
from lms.models import Role, User
from lms.models.audit import AuditEntry
from lms.services import orgs, user_import

URL = "/admin/users/import"
HEADER = "nip,nama,email,kode_unit,jabatan,golongan"


def nip(n: int) -> str:
    """A distinct valid NIP for row n (birth dates spread over the years)."""
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=n // 900)
    return f"{birth:%Y%m%d}200501{1 + n % 2}{n % 900 + 1:03d}"


def rows_csv(count: int, *, unit: str = "DISDIK-SD", start: int = 0, sep: str = ",") -> str:
    lines = [HEADER.replace(",", sep)]
    for n in range(start, start + count):
        lines.append(sep.join([nip(n), f"Pegawai Impor {n}", f"impor{n}@example.go.id", unit,
                               "Pengadministrasi Umum", "II/c"]))
    return "\n".join(lines) + "\n"


def problems(text: str | bytes, **kwargs) -> list[tuple[int, str, str]]:
    data = text.encode() if isinstance(text, str) else text
    plan = user_import.check(data, **kwargs)
    return [(p.line, p.column, p.english()) for p in plan.problems]


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(AuditEntry)))


def check_upload(client, text: str | bytes, name: str = "pegawai.csv", **fields):
    data = text.encode() if isinstance(text, str) else text
    return client.post(URL, data={"csrf_token": client.csrf_token("/"), "check": "1",
                                  "unit_default": "", **fields, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def confirm(client, page: str, **fields):
    """Press Import on a preview page: the hidden fields travel back as a browser sends them."""
    hidden = dict(re.findall(r'<input[^>]*name="(digest|filename|unit_default)"[^>]*value="([^"]*)"', page))
    return client.post(URL, data={"csrf_token": client.csrf_token("/"), "confirm": "1", **hidden, **fields},
                       content_type="multipart/form-data")


@pytest.fixture
def english(lms_client):
    lms_client.submit("/language", {"lang": "en", "next": "/"}, form_page="/")


# ------------------------------------------------------------------ reading the file


def test_indonesian_and_english_headers_bom_and_semicolons(lms_app, units):
    good = f"{nip(1)};Siti Rahma;siti@example.go.id;DISDIK-SD;Guru;iii/a\n"
    variants = ["\ufeffnip;nama;email;kode_unit;jabatan;golongan\n" + good,
                "NIP;Name;E-mail;Unit Code;Position;Grade\r\n" + good.replace("\n", "\r\n"),
                ("nip,nama,email,kode_unit,jabatan,golongan\n" + good.replace(";", ","))]
    with lms_app.app_context():
        for text in variants:
            plan = user_import.check(text.encode("utf-8"))
            assert plan.problems == [], text
            [row] = plan.rows
            assert (row.line, row.nip, row.name, row.email, row.unit_code, row.golongan) == (
                2, nip(1), "Siti Rahma", "siti@example.go.id", "DISDIK-SD", "III/a")


def test_quoted_values_may_hold_separators_and_newlines(lms_app, units):
    text = (HEADER + "\n"
            f'{nip(1)},"Dr. Budi, S.Kom., M.T.",budi@example.go.id,DISDIK-SD,"Kepala Seksi, Kurikulum",\n'
            f'{nip(2)},"Ani\nLestari",ani@example.go.id,DISDIK-SD,,\n'
            f'{nip(3)},Citra,citra@example.go.id,DISDIK-SD,,\n')
    with lms_app.app_context():
        plan = user_import.check(text.encode())
    assert plan.problems == []
    assert [r.name for r in plan.rows] == ["Dr. Budi, S.Kom., M.T.", "Ani\nLestari", "Citra"]
    assert plan.rows[0].jabatan == "Kepala Seksi, Kurikulum"
    assert [r.line for r in plan.rows] == [2, 3, 5]  # the line each row starts on


def test_unquoted_separator_inside_a_value_is_caught(lms_app, units):
    text = HEADER + f"\n{nip(1)},Budi, S.Kom,budi@example.go.id,DISDIK-SD,Guru,III/a\n"
    with lms_app.app_context():
        assert problems(text) == [(2, "", "This row has 7 cells but the header has 6: is there an unquoted "
                                          "separator inside a value?")]


def test_blank_lines_and_unknown_columns_are_skipped(lms_app, units):
    text = "No,nip,nama,email,kode_unit,catatan\n1," + f"{nip(1)},Ani,ani@example.go.id,DISDIK-SD,x\n,,,,,\n\n"
    with lms_app.app_context():
        plan = user_import.check(text.encode())
    assert plan.problems == [] and len(plan.rows) == 1 and plan.ignored_columns == ["No", "catatan"]


@pytest.mark.parametrize("data, expected", [
    (b"", [(0, "", "The file is empty.")]),
    (b"\xef\xbb\xbf \r\n", [(0, "", "The file is empty.")]),
    (HEADER.encode() + b"\n", [(0, "", "The file has a header but no rows to import.")]),
    ("nip,nama,email\n".encode("utf-16"), [(0, "", 'The file is not UTF-8 text: in the spreadsheet, save it as "CSV UTF-8".')]),
    ("nama;jabatan\nAni;Guru\n".encode(), [
        (1, "nip", "Missing column nip (accepted names: nip)."),
        (1, "email", "Missing column email (accepted names: email, e_mail, surel).")]),
    (b"nip,nama,name,email\n", [(1, "name", "The column name appears twice.")]),
    (f"nip,nama,email\n{nip(1)},Ani,ani@example.go.id\n".encode(),
     [(2, "kode_unit", "Unit code is required (or choose a default unit).")]),
])
def test_file_level_problems(lms_app, units, data, expected):
    with lms_app.app_context():
        assert problems(data) == expected


@pytest.mark.lms_config(USER_IMPORT_MAX_BYTES=1024 * 1024)
def test_a_huge_file_is_refused_before_reading_it(lms_app, units):
    with lms_app.app_context():
        assert problems(b"x" * (1024 * 1024 + 1)) == [(0, "", "The file is larger than 1 MB.")]


# ------------------------------------------------------------------ row checks


def test_every_row_problem_is_listed_with_its_line(lms_app, lms_user, units):
    lms_user(email="ada@example.go.id", nip="199204202019032011")
    text = "\n".join([
        HEADER,
        f"{nip(1)},Baris Baik,baik@example.go.id,DISDIK-SD,,",                 # 2 fine
        "123,Nip Pendek,pendek@example.go.id,DISDIK-SD,,",                       # 3
        "199213452019032011,Tanggal Salah,tgl@example.go.id,DISDIK-SD,,",        # 4
        "1.99204E+17,Excel,excel@example.go.id,DISDIK-SD,,",                     # 5
        f"{nip(1)},Nip Ganda,ganda@example.go.id,DISDIK-SD,,",                   # 6
        f"{nip(7)},Email Ganda,BAIK@example.go.id,DISDIK-SD,,",                  # 7
        "199204202019032011,Sudah Ada,ada@example.go.id,DISDIK-SD,,",            # 8
        f"{nip(9)},,bukan-email,TIDAK-ADA,,V/z",                                 # 9
        f"'{nip(10)},Apostrof,apostrof@example.go.id,disdik,Guru,PPPK ix",       # 10 fine
        f"{nip(11)},Tanpa Unit,tanpa@example.go.id,,,",                          # 11
    ]) + "\n"
    with lms_app.app_context():
        found = problems(text)
    assert found == [
        (3, "nip", "NIP must be exactly 18 digits."),
        (4, "nip", "The birth date in the NIP (digits 1-8) is not a valid date."),
        (5, "nip", "A spreadsheet turned this NIP into a number: format the NIP column as text and save "
                   "the file again."),
        (6, "nip", "Same value as line 2."),
        (7, "email", "Same value as line 2."),
        (8, "nip", "An account with this NIP already exists."),
        (8, "email", "An account with this email already exists."),
        (9, "nama", "Name is required."),
        (9, "email", "This is not a valid email address."),
        (9, "kode_unit", "Unknown unit code TIDAK-ADA."),
        (9, "golongan", "Unknown golongan V/z."),
        (11, "kode_unit", "Unit code is required (or choose a default unit)."),
    ]


def test_default_unit_fills_empty_unit_codes(lms_app, units):
    text = "nip,nama,email\n" + f"{nip(1)},Ani,ani@example.go.id\n"
    with lms_app.app_context():
        plan = user_import.check(text.encode(), unit_default="dinkes")
        assert plan.problems == [] and plan.rows[0].unit_code == "DINKES"
        assert problems(text, unit_default="NOPE") == [(0, "unit", "Unknown default unit NOPE.")]


def test_unit_admin_may_import_only_into_their_subtree(lms_app, lms_user, units):
    ua = lms_user("unit_admin", unit=units.disdik)
    text = "\n".join([HEADER, f"{nip(1)},Ani,ani@example.go.id,DISDIK-SD,,",
                      f"{nip(2)},Budi,budi@example.go.id,DINKES,,", f"{nip(3)},Citra,citra@example.go.id,,,"])
    with lms_app.app_context():
        actor = db.session.get(User, ua.id)
        assert problems(text, actor=actor, unit_default="DISDIK") == [
            (3, "kode_unit", "Unit DINKES is outside your units.")]
        assert problems(text, actor=actor, unit_default="PEMKOT")[0] == (
            0, "unit", "The default unit is outside your units.")


# ------------------------------------------------------------------ writing


def test_import_creates_learners_with_temporary_passwords(lms_app, lms_user, units, lms_events):
    text = rows_csv(3, sep=";")
    with lms_app.app_context():
        created, plan = user_import.run(text.encode(), source="pegawai.csv")
        assert [c.email for c in created] == [f"impor{n}@example.go.id" for n in range(3)]
        users = list(db.session.scalars(select(User).order_by(User.id)))
        assert [(u.role, u.unit_id, u.golongan, u.must_change_password, u.active) for u in users] == [
            (Role.LEARNER, units.sd.id, "II/c", True, True)] * 3
        assert all(c.password not in u.password_hash for c, u in zip(created, users))
        output = user_import.credentials_csv(created, plan.delimiter)
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert output.startswith("\ufeffnip;nama;email;kode_unit;kata_sandi_sementara")
    parsed = list(csv.reader(io.StringIO(output.lstrip("\ufeff")), delimiter=";"))
    assert parsed[1] == [nip(0), "Pegawai Impor 0", "impor0@example.go.id", "DISDIK-SD", created[0].password]
    assert [e.action for e in entries] == ["user.created"] * 3 + ["user.import"]
    assert entries[0].unit_path == units.sd.path and entries[0].details["source"] == "import"
    assert entries[3].details == {"count": 3} and entries[3].target_id == "pegawai.csv"
    assert sorted(args["user"]["email"] for hook, args in lms_events.calls if hook == "user_registered") == \
        sorted(c.email for c in created)


def test_one_bad_row_means_nothing_is_written(lms_app, units):
    text = rows_csv(50) + "123,Rusak,rusak@example.go.id,DISDIK-SD,,\n"
    before = counts(lms_app)
    with lms_app.app_context():
        with pytest.raises(user_import.ImportRefused) as refused:
            user_import.run(text.encode())
    assert [p.line for p in refused.value.problems] == [52]
    assert counts(lms_app) == before


def test_a_unique_clash_at_insert_time_rolls_the_whole_import_back(lms_app, lms_user, units, monkeypatch):
    """Should another request take an email between the check and the INSERT, nothing is written."""
    lms_user(email="impor19@example.go.id")
    before = counts(lms_app)
    monkeypatch.setattr(user_import, "_taken", lambda nips, emails: (set(), set()))  # the check misses it
    with lms_app.app_context():
        with pytest.raises(user_import.ImportRefused) as refused:
            user_import.run(rows_csv(20).encode())
    assert "nothing was written" in refused.value.problems[0].english()
    assert counts(lms_app) == before


def test_import_runs_a_constant_number_of_queries(lms_app, units, lms_queries):
    statements = []
    for size, start in ((10, 0), (300, 100)):
        with lms_app.app_context():
            with lms_queries() as q:
                created, _ = user_import.run(rows_csv(size, start=start).encode())
            assert len(created) == size
            statements.append(q.count)
    assert statements[0] == statements[1]


def test_imported_learner_signs_in_with_the_temporary_password_then_chooses_one(lms_app, lms_auth, units):
    with lms_app.app_context():
        [created], _ = user_import.run(rows_csv(1).encode())
    response = lms_auth.login(created.nip, created.password)
    assert response.status_code == 302 and response.location.startswith("/password/new")
    response = lms_auth.client.submit("/password/new", {"new_password": "Milik-Saya-2026",
                                                        "confirm": "Milik-Saya-2026"})
    assert response.status_code == 302
    lms_auth.logout()
    assert lms_auth.login(created.nip, created.password).status_code == 401
    assert lms_auth.login(created.nip, "Milik-Saya-2026").status_code == 302


# ------------------------------------------------------------------ the web pages

ROLES = ["anonymous", "learner", "author", "other_unit_admin", "unit_admin", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(lms_app, lms_client, lms_auth, lms_user, units, role):
    if role != "anonymous":
        unit = units.dinkes if role == "other_unit_admin" else units.disdik
        lms_auth.login(lms_user("unit_admin" if role == "other_unit_admin" else role, unit=unit))
    expected = {"anonymous": 302, "learner": 403, "author": 403}.get(role, 200)
    assert lms_client.get(URL).status_code == expected
    before = counts(lms_app)
    checked = check_upload(lms_client, rows_csv(2))
    assert checked.status_code == expected
    page = checked.get_data(as_text=True)
    if role == "other_unit_admin":  # DISDIK-SD is not theirs: every row says so, no Import button
        assert page.count("DISDIK-SD berada di luar unit Anda") == 2 and 'name="confirm"' not in page
    if expected == 200 and role != "other_unit_admin":
        response = confirm(lms_client, page)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert counts(lms_app)[0] == before[0] + 2
    else:
        forged = lms_client.post(URL, data={"csrf_token": lms_client.csrf_token("/"), "confirm": "1",
                                            "digest": "0" * 64}, content_type="multipart/form-data")
        assert forged.status_code in (302, 403, 400)
        assert counts(lms_app) == before


def test_check_then_import_downloads_the_passwords_once(lms_app, lms_client, lms_auth, lms_user, units,
                                                        english):
    admin = lms_user("admin")
    lms_auth.login(admin)
    page = check_upload(lms_client, "\ufeff" + rows_csv(3, sep=";"), name="opd.csv").get_data(as_text=True)
    assert "3 rows are ready to import" in page and "Pegawai Impor 2" in page
    assert counts(lms_app)[0] == 1  # the check wrote nothing
    response = confirm(lms_client, page)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert re.match(r'attachment; filename="akun-baru-\d{8}-\d{4}\.csv"', response.headers["Content-Disposition"])
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeffnip;nama;email;kode_unit;kata_sandi_sementara")
    assert len(body.strip().splitlines()) == 4
    assert "3 accounts created" in lms_client.get("/admin/users").get_data(as_text=True)
    again = confirm(lms_client, page)  # the checked file is gone after the import
    assert again.status_code == 400 and "no longer available" in again.get_data(as_text=True)
    assert counts(lms_app)[0] == 4
    with lms_app.app_context():
        summary = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.import"))
        assert summary.actor_id == admin.id and summary.target_id == "opd.csv"


def test_preview_lists_problems_and_offers_no_import(lms_app, lms_client, lms_auth, lms_user, units, english):
    lms_auth.login(lms_user("admin"))
    text = rows_csv(2) + "123,Rusak,rusak@example.go.id,TIDAK-ADA,,\n"
    response = check_upload(lms_client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 problems: nothing was imported" in page
    assert "NIP must be exactly 18 digits." in page and "Unknown unit code TIDAK-ADA." in page
    assert 'name="confirm"' not in page and 'name="digest"' not in page


def test_the_database_is_checked_again_at_import_time(lms_app, lms_client, lms_auth, lms_user, units,
                                                       english):
    lms_auth.login(lms_user("admin"))
    page = check_upload(lms_client, rows_csv(3)).get_data(as_text=True)
    lms_user(email="impor1@example.go.id")  # someone registers meanwhile
    before = counts(lms_app)
    response = confirm(lms_client, page)
    assert response.status_code == 400
    assert "An account with this email already exists." in response.get_data(as_text=True)
    assert counts(lms_app) == before


def test_a_different_file_than_the_checked_one_is_not_imported(lms_app, lms_client, lms_auth, lms_user,
                                                                units):
    lms_auth.login(lms_user("admin"))
    first = check_upload(lms_client, rows_csv(2)).get_data(as_text=True)
    check_upload(lms_client, rows_csv(5, start=10))  # another tab checks another file
    before = counts(lms_app)
    assert confirm(lms_client, first).status_code == 400
    assert counts(lms_app) == before


@pytest.mark.lms_config(USER_IMPORT_MAX_BYTES=100 * 1024)
def test_upload_without_a_file_or_too_big(lms_app, lms_client, lms_auth, lms_user, units, english):
    lms_auth.login(lms_user("admin"))
    response = lms_client.post(URL, data={"csrf_token": lms_client.csrf_token("/"), "check": "1"},
                               content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file." in response.get_data(as_text=True)
    big = rows_csv(1) + "x" * (100 * 1024)  # kept small: the test client spools big bodies to files
    page = check_upload(lms_client, big).get_data(as_text=True)
    assert "The file is larger than 100 KB." in page and "Largest file: 100 KB." in page
    assert 'name="confirm"' not in page
    assert counts(lms_app)[0] == 1


def test_upload_needs_the_csrf_token(lms_app, lms_client, lms_auth, lms_user, units):
    lms_auth.login(lms_user("admin"))
    response = lms_client.post(URL, data={"check": "1", "file": (io.BytesIO(rows_csv(1).encode()), "a.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 400


# ------------------------------------------------------------------ the command line


def write(tmp_path, text: str, name: str = "pegawai.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_dry_run_writes_nothing(lms_app, lms_runner, units, tmp_path):
    path = write(tmp_path, rows_csv(4))
    result = lms_runner.invoke(args=["lms", "import-users", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "4 row(s) OK in pegawai.csv; nothing written (dry run)"
    assert counts(lms_app) == (0, 0)
    assert not (tmp_path / "pegawai-passwords.csv").exists()


def test_cli_problems_exit_1_with_one_summary_line(lms_app, lms_runner, units, tmp_path):
    path = write(tmp_path, rows_csv(2) + "123,Rusak,,DISDIK-SD,,\n")
    for extra in (["--dry-run"], []):
        result = lms_runner.invoke(args=["lms", "import-users", str(path), *extra])
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert lines[-1] == ("Error: pegawai.csv: 2 problem(s), nothing imported; "
                             "line 4, nip: NIP must be exactly 18 digits.")
        assert lines[0] == "line 4, email: Email is required."
    assert counts(lms_app) == (0, 0)
    assert not (tmp_path / "pegawai-passwords.csv").exists()


def test_cli_imports_and_writes_the_passwords_file(lms_app, lms_runner, units, tmp_path):
    path = write(tmp_path, "nip,nama,email,jabatan\n" + f"{nip(1)},Ani,ani@example.go.id,Guru\n")
    result = lms_runner.invoke(args=["lms", "import-users", str(path), "--unit-default", "dinkes"])
    assert result.exit_code == 0, result.output
    target = tmp_path / "pegawai-passwords.csv"
    assert result.stdout.startswith(f"1 account(s) created; temporary passwords in {target}")
    assert os.stat(target).st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[1][:4] == [nip(1), "Ani", "ani@example.go.id", "DINKES"]
    with lms_app.app_context():
        user = db.session.scalar(select(User).where(User.nip == nip(1)))
        assert user.unit.code == "DINKES" and user.jabatan == "Guru"
        from werkzeug.security import check_password_hash

        assert check_password_hash(user.password_hash, rows[1][4])
    again = lms_runner.invoke(args=["lms", "import-users", str(path), "--unit-default", "dinkes"])
    assert again.exit_code == 1 and "already exists" in again.stderr  # the file is never overwritten


def test_cli_refuses_a_missing_file(lms_runner, tmp_path):
    result = lms_runner.invoke(args=["lms", "import-users", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_default_size_limit_is_5_mb(lms_app, units):
    with lms_app.app_context():
        assert problems(b"x" * (5 * 1024 * 1024 + 1)) == [(0, "", "The file is larger than 5 MB.")]
        assert user_import.check(rows_csv(1).encode() + b" " * 1000).problems == []


def test_the_documented_sample_imports(lms_app):
    """The sample in docs/administration.md is a file the import accepts as it stands."""
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "administration.md").read_text(encoding="utf-8")
    sample = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    with lms_app.app_context():
        root = orgs.create_unit(code="SMG", name="Pemkot Semarang", kind="instansi")
        kominfo = orgs.create_unit(code="SMG-KOMINFO", name="Diskominfo", kind="opd", parent=root)
        orgs.create_unit(code="SMG-KOMINFO-APTIKA", name="Aptika", kind="sub_unit", parent=kominfo)
        orgs.create_unit(code="SMG-DUKCAPIL", name="Disdukcapil", kind="opd", parent=root)
        created, plan = user_import.run(sample.encode())
    assert [c.name for c in created] == ["Rina Wulandari", "Siti Rahmawati", "Budi Santoso, S.E."]
    assert plan.delimiter == ";"
