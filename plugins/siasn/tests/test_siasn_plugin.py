"""The siasn exporter: its fields and formats, and that enabling or disabling the plugin
adds or removes the exporter (the core keeps working either way)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from lms.plugin import ExportInfo, TrainingRecord

from lms_siasn import exporter

RECORD = TrainingRecord(entry_id=7, nip="199001012015022001", name="Laras", unit_code="ALFA",
                        unit_name="Unit Alfa", training_name="Coaching kinerja", kind="experiential",
                        experiential_kind="coaching", competency="manajerial", jp=4,
                        start_on=dt.date(2026, 3, 2), end_on=dt.date(2026, 3, 4), certificate_number="SRT-7",
                        issuer="=cmd|' /C calc'!A0")
INFO = ExportInfo(exporter="siasn", format="csv", unit_code="ALFA", start_on=dt.date(2026, 1, 1),
                  end_on=dt.date(2026, 12, 31), generated_at=dt.datetime(2026, 11, 24, 8, tzinfo=dt.timezone.utc))


def test_csv_has_the_documented_columns_and_no_formula():
    data = exporter.render([RECORD], "csv", INFO)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == list(exporter.FIELD_NAMES)
    row = rows[0]
    assert (row["nipBaru"], row["namaKursus"], row["jumlahJam"], row["tanggalKursus"],
            row["tanggalSelesaiKursus"], row["tahunKursus"], row["nomorSertipikat"]) == \
        ("199001012015022001", "Coaching kinerja", "4", "02-03-2026", "04-03-2026", "2026", "SRT-7")
    assert row["institusiPenyelenggara"].startswith("'=")


def test_json_document():
    document = json.loads(exporter.render([RECORD, RECORD], "json", INFO, "%Y-%m-%d"))
    assert document["schema"] == exporter.SCHEMA and document["jumlah"] == 2
    assert document["periode"] == {"mulai": "2026-01-01", "selesai": "2026-12-31"}
    assert document["data"][0]["tanggalKursus"] == "2026-03-02"
    assert document["data"][0]["jenisPengembangan"] == "coaching"
    assert set(document["data"][0]) == set(exporter.FIELD_NAMES)
    with pytest.raises(ValueError):
        exporter.render([RECORD], "xml", INFO)


def test_the_readme_documents_every_field():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in exporter.FIELD_NAMES)


@pytest.mark.lms_plugins("siasn")
def test_enabled_it_is_listed_and_offers_the_exporter(lms_app, lms_runner):
    rows = {line.split()[0]: line for line in lms_runner.invoke(args=["lms", "plugins"]).output.splitlines()
            if line.strip()}
    assert "enabled" in rows["siasn"] and "training_history_exporters" in rows["siasn"]
    with lms_app.test_request_context():
        exporters = lms_app.extensions["lms_registries"]["training_exporters"]
        assert exporters.keys() == ["siasn"] and tuple(exporters.get("siasn").formats) == ("csv", "json")


@pytest.mark.lms_plugins("siasn")
@pytest.mark.lms_config(DISABLED_PLUGINS=["siasn"])
def test_disabled_the_exporter_is_gone(lms_app, lms_runner):
    assert lms_app.extensions["lms_registries"]["training_exporters"].keys() == []
    result = lms_runner.invoke(args=["lms", "export-training-history", "--exporter", "siasn"])
    assert result.exit_code != 0 and "siasn" in result.output


@pytest.mark.lms_plugins("siasn")
@pytest.mark.lms_config(SIASN_DATE_FORMAT="%Y-%m-%d")
def test_the_date_format_is_a_setting(lms_app, lms_runner):
    result = lms_runner.invoke(args=["lms", "export-training-history", "--format", "json", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["jumlah"] == 0
    with lms_app.app_context():
        siasn = lms_app.extensions["lms_registries"]["training_exporters"].get("siasn")
        document = json.loads(siasn.render([RECORD], "json", INFO))
    assert document["data"][0]["tanggalSelesaiKursus"] == "2026-03-04"
