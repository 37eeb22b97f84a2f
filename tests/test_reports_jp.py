"""JP compliance report (/admin/reports/jp, exports, `flask lms jp-report`) against hand-counted data.

The fixture (year 2026, target 20 JP):

    PEMKOT (instansi)            gita 19 (unit admin with a NIP: counted)
      DISDIK (opd)               ani 12 teknis + 10 manajerial = 22 (+ pending 30, rejected 15)
        DISDIK-SD (sub-unit)     budi 8 (+ 30 approved in 2025), citra 0
      DINKES (opd)               dedi 40 sosial-kultural; eka 25 but inactive; fajar 20 but no NIP
    LAIN (instansi)              nobody
    (no unit)                    hadi 20
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from lms.database import db
from lms.models import JpEntry, JpSource, JpStatus, User
from lms.reports import xlsx
from lms.services import dashboard, jp_reports, orgs

YEAR = 2026
URL = "/admin/reports/jp"


def credit(app, user, jp: int, *, year: int = YEAR, status: str = "approved", competency: str = "teknis",
           source: str = "external") -> None:
    """Add one JP entry to a user's ledger, straight into the database."""
    with app.app_context():
        db.session.add(JpEntry(user_id=user.id, year=year, source=JpSource(source), status=JpStatus(status),
                               jp=jp, title="Pelatihan", competency=competency,
                               start_on=dt.date(year, 3, 1), end_on=dt.date(year, 3, 2)))
        db.session.commit()


def deactivate(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()


@pytest.fixture
def org(lms_app, lms_user):
    """The units and people of the module docstring, with their ledgers."""
    with lms_app.app_context():
        root = orgs.create_unit(code="PEMKOT", name="Pemerintah Kota", kind="instansi")
        disdik = orgs.create_unit(code="DISDIK", name="Dinas Pendidikan", kind="opd", parent=root)
        sd = orgs.create_unit(code="DISDIK-SD", name="Bidang SD", kind="sub_unit", parent=disdik)
        dinkes = orgs.create_unit(code="DINKES", name="Dinas Kesehatan", kind="opd", parent=root)
        orgs.create_unit(code="LAIN", name="Instansi Lain", kind="instansi")
    people = SimpleNamespace(
        ani=lms_user(name="Ani", unit=disdik), budi=lms_user("author", name="Budi", unit=sd),
        citra=lms_user(name="Citra", unit=sd), dedi=lms_user(name="Dedi", unit=dinkes),
        eka=lms_user(name="Eka", unit=dinkes), fajar=lms_user("author", name="Fajar", unit=dinkes, nip=None),
        gita=lms_user("unit_admin", name="Gita", unit=root), hadi=lms_user(name="Hadi"))
    credit(lms_app, people.ani, 12)
    credit(lms_app, people.ani, 10, competency="manajerial", source="course")
    credit(lms_app, people.ani, 30, status="pending")
    credit(lms_app, people.ani, 15, status="rejected")
    credit(lms_app, people.budi, 8)
    credit(lms_app, people.budi, 30, year=YEAR - 1)
    credit(lms_app, people.dedi, 40, competency="sosial-kultural")
    credit(lms_app, people.eka, 25)
    deactivate(lms_app, people.eka)
    credit(lms_app, people.fajar, 20)
    credit(lms_app, people.gita, 19)
    credit(lms_app, people.hadi, 20)
    return SimpleNamespace(people=people, root=root, disdik=disdik, sd=sd, dinkes=dinkes)


def report_for(app, code: str | None, year: int = YEAR) -> jp_reports.JpReport:
    with app.app_context():
        unit = orgs.get_by_code(code) if code else None
        return jp_reports.report(jp_reports.Scope(unit), year)


def groups(report) -> list[tuple[str, int, int]]:
    return [(g.label, g.people, g.reached) for g in report.groups]


def listed(page: str) -> list[str]:
    """Names in the people table, in order."""
    return re.findall(r'<span class="person-name">([^<]+)</span>', page.split('id="people"', 1)[1])


def admin_login(lms_auth, lms_user):
    lms_auth.login(lms_user("admin", name="Admin", nip=None))


# ----------------------------------------------------------------- the numbers


def test_unit_report_counts_the_subtree_by_the_rules(lms_app, org):
    report = report_for(lms_app, "PEMKOT")
    total = report.total
    assert (total.people, total.reached, total.percent, total.jp) == (5, 2, 40.0, 22 + 8 + 0 + 40 + 19)
    assert total.buckets == [1, 1, 1, 1, 1]  # citra 0, budi 8, gita 19, ani 22, dedi 40
    assert report.target == 20


def test_sub_unit_table_counts_each_child_subtree_worst_first(lms_app, org):
    report = report_for(lms_app, "PEMKOT")
    assert groups(report) == [("Langsung di Pemerintah Kota", 1, 0), ("Dinas Pendidikan", 3, 1),
                              ("Dinas Kesehatan", 1, 1)]
    assert [g.percent for g in report.groups] == [0.0, 33.3, 100.0]
    disdik = report_for(lms_app, "DISDIK")
    assert groups(disdik) == [("Bidang SD", 2, 0), ("Langsung di Dinas Pendidikan", 1, 1)]
    assert disdik.groups[0].buckets == [1, 1, 0, 0, 0]


def test_competency_breakdown_lists_the_three_kinds(lms_app, org):
    rows = [(r.kind, r.jp, r.people) for r in report_for(lms_app, "PEMKOT").competencies]
    assert rows == [("teknis", 12 + 8 + 19, 3), ("manajerial", 10, 1), ("sosial-kultural", 40, 1)]
    rows = [(r.kind, r.jp, r.people) for r in report_for(lms_app, "DISDIK-SD").competencies]
    assert rows == [("teknis", 8, 1), ("manajerial", 0, 0), ("sosial-kultural", 0, 0)]


def test_entries_without_a_known_kind_are_listed_as_unspecified(lms_app, lms_client, lms_auth, lms_user, org):
    credit(lms_app, org.people.citra, 3, competency="")
    rows = [(r.kind, r.jp, r.people) for r in report_for(lms_app, "DISDIK").competencies]
    assert rows == [("teknis", 20, 2), ("manajerial", 10, 1), ("sosial-kultural", 0, 0), ("", 3, 1)]
    admin_login(lms_auth, lms_user)
    page = lms_client.get(f"{URL}?year={YEAR}&unit=DISDIK").get_data(as_text=True)
    table = page.split('id="competency-heading"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr><td>") == 4  # the three kinds and "unspecified"


def test_whole_agency_adds_people_without_a_unit_and_empty_units_last(lms_app, org):
    report = report_for(lms_app, None)
    assert (report.total.people, report.total.reached, report.total.percent) == (6, 3, 50.0)
    assert groups(report) == [("Pemerintah Kota", 5, 2), ("Tanpa unit", 1, 1), ("Instansi Lain", 0, 0)]


def test_other_years_count_only_their_own_entries(lms_app, org):
    report = report_for(lms_app, "PEMKOT", YEAR - 1)
    assert (report.total.people, report.total.reached, report.total.jp) == (5, 1, 30)
    assert report.total.buckets == [4, 0, 0, 1, 0]


def test_target_comes_from_the_configuration(lms_app, org):
    lms_app.config["JP_TARGET"] = 19
    report = report_for(lms_app, "PEMKOT")
    assert report.target == 19 and report.total.reached == 3  # gita's 19 now reaches it
    assert report.total.buckets == [1, 1, 1, 1, 1]  # the buckets do not move with the target


def test_every_persons_jp_agrees_with_their_dashboard(lms_app, org):
    with lms_app.app_context():
        scope = jp_reports.Scope(None)
        rows = list(jp_reports.all_people(scope, YEAR))
        for row in rows:
            assert row.jp == dashboard.jp_for_year(db.session.get(User, row.user_id), YEAR), row.name
    assert sorted(r.name for r in rows) == ["Ani", "Budi", "Citra", "Dedi", "Gita", "Hadi"]


def test_people_page_sorts_fewest_jp_first_and_pages_without_overlap(lms_app, org):
    report = report_for(lms_app, None)
    with lms_app.app_context():
        pages = [jp_reports.people_page(report, page=n, per_page=4) for n in (1, 2)]
        below = jp_reports.people_page(report, below_only=True)
        by_name = jp_reports.people_page(report, sort="name")
        most = jp_reports.people_page(report, sort="-jp")
    names = [p.name for page in pages for p in page.items]
    assert names == ["Citra", "Budi", "Gita", "Hadi", "Ani", "Dedi"]  # Hadi 20 before Ani 22
    assert pages[0].total == 6 and pages[1].page == 2 and pages[0].pages == 2
    assert [p.name for p in below.items] == ["Citra", "Budi", "Gita"] and below.total == 3
    assert [p.name for p in by_name.items] == ["Ani", "Budi", "Citra", "Dedi", "Gita", "Hadi"]
    assert [p.jp for p in most.items] == [40, 22, 20, 19, 8, 0]
    assert [p.reached for p in pages[0].items] == [False, False, False, True]


# ---------------------------------------------------------------------- the page


def test_admin_page_shows_summary_charts_and_people(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    response = lms_client.get(f"{URL}?year={YEAR}&unit=PEMKOT")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert 'id="chart-distribution-title"' in page and 'id="chart-units-desc"' in page
    report = page.split('id="summary-heading"', 1)[1]
    assert "Dinas Kesehatan" in report and "Instansi Lain" not in report
    assert listed(page) == ["Citra", "Budi", "Gita", "Ani", "Dedi"]  # Eka inactive, Fajar without NIP
    # a child unit links to its own report, keeping the year
    assert f'href="/admin/reports/jp?year={YEAR}&amp;unit=DISDIK"' in page


def test_page_sorts_and_filters_below_target(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    page = lms_client.get(f"{URL}?year={YEAR}&unit=PEMKOT&sort=-jp&below=y").get_data(as_text=True)
    assert listed(page) == ["Gita", "Budi", "Citra"]


def test_defaults_to_the_current_year(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    page = lms_client.get(URL).get_data(as_text=True)
    with lms_client.application.app_context():
        year = jp_reports.current_year()
    year_input = re.search(r'<input[^>]*name="year"[^>]*>', page).group(0)
    assert f'value="{year}"' in year_input
    assert f"· {year}</h1>" in page


def test_reports_index_opens_the_jp_report(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    response = lms_client.get("/admin/reports")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/reports/jp")


@pytest.mark.parametrize("query", ["year=1999", "year=abc", "year=2101"])
def test_bad_year_is_a_400_with_the_form(lms_client, lms_auth, lms_user, org, query):
    admin_login(lms_auth, lms_user)
    response = lms_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


def test_unknown_sort_falls_back_to_fewest_jp_first(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    page = lms_client.get(f"{URL}?year={YEAR}&unit=DISDIK&sort=drop table").get_data(as_text=True)
    assert listed(page) == ["Citra", "Budi", "Ani"]


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", [URL, f"{URL}.csv", f"{URL}.xlsx"])
@pytest.mark.parametrize("role, status", [(None, 302), ("learner", 403), ("author", 403)])
def test_non_admins_are_refused(lms_client, lms_auth, lms_user, org, path, role, status):
    if role:
        lms_auth.login(lms_user(role, unit=org.disdik))
    response = lms_client.get(path)
    assert response.status_code == status
    if role is None:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", [URL, f"{URL}.csv", f"{URL}.xlsx"])
@pytest.mark.parametrize("unit, status", [("DISDIK", 200), ("DISDIK-SD", 200), ("", 200),
                                          ("DINKES", 403), ("PEMKOT", 403), ("LAIN", 403), ("NOPE", 404)])
def test_unit_admin_sees_only_their_subtree(lms_client, lms_auth, lms_user, org, path, unit, status):
    lms_auth.login(lms_user("unit_admin", unit=org.disdik, nip=None))
    assert lms_client.get(f"{path}?year={YEAR}&unit={unit}").status_code == status


def test_unit_admin_defaults_to_their_own_unit(lms_client, lms_auth, lms_user, org):
    lms_auth.login(lms_user("unit_admin", unit=org.disdik, nip=None))
    page = lms_client.get(f"{URL}?year={YEAR}").get_data(as_text=True)
    assert "Dinas Pendidikan · 2026" in page
    assert "Dinas Kesehatan" not in page  # neither in the report nor among the unit choices
    assert 'value="">' not in page.split('name="unit"', 1)[1].split("</select>", 1)[0]  # no whole agency


def test_unit_admin_without_a_unit_is_refused(lms_client, lms_auth, lms_user, org):
    lms_auth.login(lms_user("unit_admin", nip=None))
    assert lms_client.get(URL).status_code == 403


@pytest.mark.parametrize("unit", ["", "PEMKOT", "DINKES", "LAIN", "disdik-sd"])
def test_admin_sees_any_unit_or_the_whole_agency(lms_client, lms_auth, lms_user, org, unit):
    admin_login(lms_auth, lms_user)
    assert lms_client.get(f"{URL}?year={YEAR}&unit={unit}").status_code == 200


def test_admin_asking_for_an_unknown_unit_gets_404(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    assert lms_client.get(f"{URL}?unit=TIDAK-ADA").status_code == 404


# -------------------------------------------------------------------------- exports


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_people_csv_lists_everyone_counted(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    response = lms_client.get(f"{URL}.csv?year={YEAR}&unit=PEMKOT")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="jp-pemkot-2026.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == jp_reports.PEOPLE_HEADER
    found = {r[1]: (r[2], r[5], r[7]) for r in rows[1:]}
    assert found == {"Gita": ("PEMKOT", "19", "no"), "Ani": ("DISDIK", "22", "yes"),
                     "Budi": ("DISDIK-SD", "8", "no"), "Citra": ("DISDIK-SD", "0", "no"),
                     "Dedi": ("DINKES", "40", "yes")}
    assert all(re.fullmatch(r"\d{18}", r[0]) for r in rows[1:])


def test_summary_csv_has_a_row_per_sub_unit_and_a_total(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    rows = read_csv(lms_client.get(f"{URL}.csv?year={YEAR}&unit=PEMKOT&part=summary"))
    assert rows[0][:6] == ["unit_code", "unit_name", "asn", "reached", "percent_reached", "jp_total"]
    assert rows[0][6:] == ["jp_0", "jp_1_9", "jp_10_19", "jp_20_39", "jp_40_plus"]
    assert rows[1:] == [["PEMKOT", "Langsung di Pemerintah Kota", "1", "0", "0.0", "19", "0", "0", "1", "0", "0"],
                        ["DISDIK", "Dinas Pendidikan", "3", "1", "33.3", "30", "1", "1", "0", "1", "0"],
                        ["DINKES", "Dinas Kesehatan", "1", "1", "100.0", "40", "0", "0", "0", "0", "1"],
                        ["PEMKOT", "Pemerintah Kota", "5", "2", "40.0", "89", "1", "1", "1", "1", "1"]]


def test_csv_neutralises_formulas_in_names(lms_app, lms_client, lms_auth, lms_user, org):
    lms_user(name="=HYPERLINK(\"http://x\")", unit=org.sd)
    admin_login(lms_auth, lms_user)
    rows = read_csv(lms_client.get(f"{URL}.csv?year={YEAR}&unit=DISDIK-SD"))
    assert "'=HYPERLINK(\"http://x\")" in [r[1] for r in rows]


def test_unknown_csv_part_is_400(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    assert lms_client.get(f"{URL}.csv?part=everything").status_code == 400


def test_xlsx_holds_summary_and_people_with_numbers_as_numbers(lms_client, lms_auth, lms_user, org):
    admin_login(lms_auth, lms_user)
    response = lms_client.get(f"{URL}.xlsx?year={YEAR}&unit=PEMKOT")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    data = response.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():  # every part is well-formed XML
            ElementTree.fromstring(archive.read(name))
    sheets = xlsx.read_rows(data)
    summary, people = list(sheets.values())
    assert ["asn", 5] in summary and ["reached", 2] in summary and ["percent_reached", 40.0] in summary
    assert ["DINKES", "Dinas Kesehatan", 1, 1, 100.0, 40, 0, 0, 0, 0, 1] in summary
    assert ["teknis", 39, 3] in summary
    assert people[0] == jp_reports.PEOPLE_HEADER
    ani = next(r for r in people if r[1] == "Ani")
    assert isinstance(ani[0], str) and len(ani[0]) == 18  # the NIP stays text, all 18 digits
    assert ani[2:] == ["DISDIK", "Dinas Pendidikan", 2026, 22, 20, "yes"]
    assert len(people) == 6


# ------------------------------------------------------------------------------ CLI


def test_cli_table_prints_the_summary(lms_runner, org):
    result = lms_runner.invoke(args=["lms", "jp-report", "--year", str(YEAR), "--unit", "pemkot"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "JP compliance 2026: Pemerintah Kota (PEMKOT), target 20 JP"
    assert lines[1] == "ASN 5, reached 2 (40.0%), approved JP 89"
    assert re.search(r"^Dinas Pendidikan\s+3\s+1\s+33.3$", result.output, re.M)
    assert re.search(r"^teknis\s+39\s+3$", result.output, re.M)


def test_cli_csv_is_the_people_table(lms_runner, org):
    result = lms_runner.invoke(args=["lms", "jp-report", "--year", str(YEAR), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == jp_reports.PEOPLE_HEADER
    assert sorted(r[1] for r in rows[1:]) == ["Ani", "Budi", "Citra", "Dedi", "Gita", "Hadi"]


def test_cli_unknown_unit_fails_with_one_line(lms_runner, org):
    result = lms_runner.invoke(args=["lms", "jp-report", "--year", str(YEAR), "--unit", "nope"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: unknown unit: NOPE"]


# -------------------------------------------------------------------------- queries


@pytest.mark.parametrize("role", ["admin", "unit_admin"])
def test_query_count_does_not_grow_with_people(lms_app, lms_client, lms_auth, lms_user, lms_queries, org, role):
    lms_auth.login(lms_user(role, unit=org.root, nip=None))
    counts = []
    for extra in (0, 20):
        for _ in range(extra):
            credit(lms_app, lms_user(unit=org.sd), 5)
        with lms_queries() as q:
            response = lms_client.get(f"{URL}?year={YEAR}&unit=PEMKOT")
        assert response.status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]
    assert counts[0] <= 10, counts
    with lms_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) > 25


# ------------------------------------------------------------- the XLSX writer itself


def test_xlsx_writer_round_trips_types_and_escapes_text():
    rows = [["name", "count", "share", "ok", "when"],
            ["<Ani & \"Budi\">", 3, 33.3, True, dt.date(2026, 1, 2)],
            ["=SUM(A1:A2)", None, 0, False, "x\x00y"]]
    data = xlsx.workbook([xlsx.Sheet("Ring/kasan: 2026", rows), xlsx.Sheet("Ring/kasan: 2026", [["a"]])])
    sheets = xlsx.read_rows(data)
    assert list(sheets) == ["Ring kasan  2026", "Ring kasan  2026 2"]
    first = sheets["Ring kasan  2026"]
    assert first[1] == ["<Ani & \"Budi\">", 3, 33.3, True, "2026-01-02"]
    assert first[2] == ["=SUM(A1:A2)", None, 0, False, "xy"]  # a formula stays text; NUL dropped
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= names
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet  # no formulas, ever
        assert '<c r="B2"><v>3</v></c>' in sheet  # a number cell, not text
        assert '<c r="A1" s="1" t="inlineStr">' in sheet  # the header row is bold
        types = archive.read("[Content_Types].xml").decode()
        assert types.count("worksheet+xml") == 2


def test_xlsx_column_letters():
    assert [xlsx.column_name(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_xlsx_needs_a_sheet():
    with pytest.raises(ValueError):
        xlsx.workbook([])
