"""Training-history export: records in one query, scoped per person / unit subtree / period,
written by a replaceable exporter plugin (siasn bundled; a dummy one proves replaceability),
from the admin page, the learner's own download and `flask lms export-training-history`."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import JpEntry, User
from lms.plugin import TrainingExporter, hookimpl
from lms.services import jp_ledger, jp_reports, orgs, training_history

PDF = b"%PDF-1.4\n% bukti\n"
YEAR = dt.date.today().year

pytestmark = pytest.mark.lms_plugins("siasn")


class DummyExporter:
    """A second exporter, as a future official-schema plugin would add one."""

    lms_api = "1.3"

    @hookimpl
    def training_history_exporters(self):
        def render(records, fmt, info):
            return "\n".join(f"{r.nip}|{r.training_name}|{r.jp}" for r in records).encode()

        return [TrainingExporter("dummy", "Dummy", ("txt",), render, media_types={"txt": "text/plain"})]


@pytest.fixture
def world(lms_app, lms_user):
    """ALFA > ALFA-SUB and BETA; Laras (ALFA-SUB) with an approved coaching and a pending and
    a last-year entry; Bima (BETA) with an approved one; unit admins of both units."""
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemkot", kind="instansi")
        a = orgs.create_unit(code="ALFA", name="Unit Alfa", kind="opd", parent=root)
        sub = orgs.create_unit(code="ALFA-SUB", name="Sub Alfa", kind="sub_unit", parent=a)
        b = orgs.create_unit(code="BETA", name="Unit Beta", kind="opd", parent=root)
    laras = lms_user(name="Laras", unit=sub, nip="199001012015022001")
    bima = lms_user(name="Bima", unit=b, nip="199001012015011002")
    admin_a = lms_user("unit_admin", unit=a)
    admin_b = lms_user("unit_admin", unit=b)
    admin = lms_user("admin", nip=None)
    day = dt.date(YEAR, 1, 15)
    with lms_app.app_context():
        reviewer = db.session.get(User, admin.id)

        def add(user, title, kind="coaching", measure=3, approve=True, end_on=day):
            entry = jp_ledger.record_experiential(
                db.session.get(User, user.id), kind=kind, title=title, organiser="=HYPERLINK(\"x\")",
                start_on=end_on, end_on=end_on, measure=measure, competency="teknis", evidence=PDF,
                evidence_name="b.pdf", reference_number="SRT-7")
            if approve:
                jp_ledger.decide(entry, reviewer, True)

        add(laras, "Coaching Laras")
        add(laras, "Menunggu Laras", approve=False)
        add(laras, "Lama Laras", kind="pelatihan", measure=5, end_on=dt.date(YEAR - 1, 6, 1))
        add(bima, "Bimtek Bima", kind="pelatihan", measure=8)
    return dict(laras=laras, bima=bima, admin_a=admin_a, admin_b=admin_b, admin=admin)


def selects(counter) -> int:
    """Statements that read (SQLite's BEGIN IMMEDIATE of a new transaction is not a query)."""
    return sum(1 for statement in counter.statements if statement.lstrip().upper().startswith("SELECT"))


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_records_are_read_in_one_query_and_scoped(lms_app, world, lms_queries):
    with lms_app.app_context():
        period = training_history.Period.year(YEAR)
        with lms_queries() as q:
            everyone = training_history.records(period, scope=jp_reports.Scope(None))
        assert selects(q) == 1, q.statements
        assert {r.training_name for r in everyone} == {"Coaching Laras", "Bimtek Bima"}  # approved, this year
        alfa = training_history.records(period, scope=jp_reports.Scope(orgs.get_by_code("ALFA")))
        assert [r.training_name for r in alfa] == ["Coaching Laras"]  # sub-units included
        laras = training_history.records(training_history.Period.between(dt.date(YEAR - 1, 1, 1),
                                                                          dt.date(YEAR, 12, 31)),
                                         user_id=world["laras"].id)
        assert [r.training_name for r in laras] == ["Lama Laras", "Coaching Laras"]
        record = laras[1]
        assert (record.nip, record.kind, record.experiential_kind, record.jp, record.certificate_number,
                record.unit_code) == ("199001012015022001", "experiential", "coaching", 4, "SRT-7", "ALFA-SUB")
        with pytest.raises(training_history.ExportError):
            training_history.Period.between(dt.date(YEAR, 2, 1), dt.date(YEAR, 1, 1))


def test_course_credits_carry_the_certificate_number_and_issuer(lms_app, lms_client, lms_auth, lms_user,
                                                                 lms_course):
    lms_course("kursus-a", lessons=1, jp=6)
    learner = lms_user()
    lms_auth.login(learner)
    lms_client.submit("/courses/kursus-a/enrol", form_page="/courses/kursus-a")
    lms_client.submit("/learn/kursus-a/pelajaran-1/complete", form_page="/learn/kursus-a/pelajaran-1")
    data = json.loads(lms_client.get(f"/me/training-history?format=json&year={YEAR}").data)
    (row,) = data["data"]
    assert row["jenisKursus"] == "course" and row["jumlahJam"] == 6
    assert row["nomorSertipikat"].startswith(lms_app.config["CERT_NUMBER_PREFIX"])
    assert row["institusiPenyelenggara"] == lms_app.config["CERT_ISSUER_NAME"]


def test_admin_downloads_csv_and_json(lms_client, lms_auth, world):
    lms_auth.login(world["admin"])
    page = lms_client.get("/admin/reports/training-history")
    assert page.status_code == 200 and "SIASN" in page.get_data(as_text=True)
    response = lms_client.get(f"/admin/reports/training-history/download?exporter=siasn&format=csv&year={YEAR}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "riwayat-diklat-siasn-semua" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    assert {r["namaKursus"] for r in rows} == {"Coaching Laras", "Bimtek Bima"}
    assert all(r["institusiPenyelenggara"].startswith("'=") for r in rows)  # no formula runs
    document = lms_client.get("/admin/reports/training-history/download?exporter=siasn&format=json"
                              f"&unit=ALFA&year={YEAR}").json
    assert document["unitKerjaKode"] == "ALFA" and [r["nama"] for r in document["data"]] == ["Laras"]
    period = lms_client.get("/admin/reports/training-history/download?format=json"
                            f"&start_on={YEAR - 1}-01-01&end_on={YEAR - 1}-12-31").json
    assert [r["namaKursus"] for r in period["data"]] == ["Lama Laras"]
    assert lms_client.get("/admin/reports/training-history/download?exporter=nope").status_code == 404
    assert lms_client.get("/admin/reports/training-history/download?format=pdf").status_code == 404
    assert lms_client.get("/admin/reports/training-history/download?unit=NOWHERE").status_code == 404
    assert lms_client.get("/admin/reports/training-history/download?year=1800").status_code == 400


def test_unit_admins_stop_at_their_unit(lms_client, lms_auth, world):
    lms_auth.login(world["admin_b"])
    own = csv_rows(lms_client.get("/admin/reports/training-history/download?format=csv").data)
    assert [r["nama"] for r in own] == ["Bima"]
    for unit in ("ALFA", "ALFA-SUB", ""):
        response = lms_client.get(f"/admin/reports/training-history/download?unit={unit}")
        assert response.status_code == (200 if not unit else 403)
        assert b"Laras" not in response.data
    assert lms_client.get("/admin/reports/training-history?unit=ALFA").status_code == 403
    lms_auth.logout()
    lms_auth.login(world["admin_a"])
    assert [r["nama"] for r in csv_rows(lms_client.get(
        "/admin/reports/training-history/download?format=csv&unit=ALFA-SUB").data)] == ["Laras"]


def test_learners_download_only_their_own_history(lms_client, lms_auth, world):
    assert lms_client.get("/me/training-history").status_code == 302
    assert lms_client.get("/admin/reports/training-history").status_code == 302
    lms_auth.login(world["laras"])
    assert lms_client.get("/admin/reports/training-history").status_code == 403
    assert lms_client.get("/admin/reports/training-history/download").status_code == 403
    document = lms_client.get(f"/me/training-history?format=json&year={YEAR}").json
    assert document["nipBaru"] == "199001012015022001"
    assert [r["namaKursus"] for r in document["data"]] == ["Coaching Laras"]
    assert "Bima" not in lms_client.get(f"/me/training-history?year={YEAR}&unit=BETA").get_data(as_text=True)
    assert "SIASN" in lms_client.get("/me/jp").get_data(as_text=True)  # the download links


def test_the_command_exports_a_unit_a_person_and_fails_readably(lms_runner, world, tmp_path):
    result = lms_runner.invoke(args=["lms", "export-training-history", "--exporter", "siasn", "--format", "json",
                                     "--unit", "ALFA", "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    assert [r["namaKursus"] for r in json.loads(result.stdout)["data"]] == ["Coaching Laras"]
    target = tmp_path / "bima.csv"
    result = lms_runner.invoke(args=["lms", "export-training-history", "--nip", "199001012015011002",
                                     "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "-o", str(target)])
    assert result.exit_code == 0 and [r["nama"] for r in csv_rows(target.read_bytes())] == ["Bima"]
    for args, message in [(["--unit", "NOWHERE"], "unknown unit"), (["--exporter", "nope"], "nope"),
                          (["--format", "pdf"], "pdf"), (["--nip", "1"], "no account")]:
        result = lms_runner.invoke(args=["lms", "export-training-history", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)


@pytest.mark.lms_plugins()
def test_without_an_exporter_plugin_nothing_is_offered(lms_client, lms_auth, lms_runner, world):
    lms_auth.login(world["admin"])
    page = lms_client.get("/admin/reports/training-history").get_data(as_text=True)
    assert "No training-history exporter is installed" in page or "Tidak ada" in page
    assert lms_client.get("/admin/reports/training-history/download").status_code == 404
    assert lms_client.get("/me/training-history").status_code == 404
    assert lms_runner.invoke(args=["lms", "export-training-history"]).exit_code != 0


@pytest.mark.lms_config(PLUGIN_OBJECTS={"dummy_exporter": DummyExporter()})
def test_a_second_exporter_is_offered_beside_siasn(lms_app, lms_client, lms_auth, world):
    with lms_app.app_context():
        assert [e.key for e in training_history.exporters()] == ["dummy", "siasn"]
    lms_auth.login(world["admin"])
    assert "Dummy" in lms_client.get("/admin/reports/training-history").get_data(as_text=True)
    response = lms_client.get(f"/admin/reports/training-history/download?exporter=dummy&year={YEAR}")
    assert response.mimetype == "text/plain"
    assert sorted(response.get_data(as_text=True).splitlines()) == [
        "199001012015011002|Bimtek Bima|8", "199001012015022001|Coaching Laras|4"]
    assert lms_client.get("/admin/reports/training-history/download?exporter=dummy&format=csv").status_code == 404


def test_records_need_no_query_per_person(lms_app, world, lms_user, lms_queries):
    people = [lms_user(name=f"Orang {n}").id for n in range(8)]
    with lms_app.app_context():
        reviewer = db.session.scalar(select(User).where(User.role == "admin"))
        for n, person_id in enumerate(people):
            person = db.session.get(User, person_id)
            entry = jp_ledger.record_external(person, title=f"Diklat {n}", organiser="BPSDM",
                                              start_on=dt.date(YEAR, 1, 2), end_on=dt.date(YEAR, 1, 2), jp=2,
                                              competency="teknis", evidence=PDF, evidence_name="b.pdf")
            jp_ledger.decide(db.session.get(JpEntry, entry.id), reviewer, True)
        with lms_queries() as q:
            found = training_history.records(training_history.Period.year(YEAR))
        assert len(found) == 10 and selects(q) == 1
