"""The "siasn" exporter: one row per approved credit, with SIASN-style field names.

The field names follow the naming of SIASN's course history (riwayat kursus/diklat:
``namaKursus``, ``jumlahJam``, ``nomorSertipikat``, ``institusiPenyelenggara`` ...). This is
*SIASN-shaped*, not BKN's official interchange schema: when that schema is published it
becomes another exporter (another plugin, or a second exporter here) without a core change.
Field meanings are listed in FIELDS and in the plugin's README.
"""
from __future__ import annotations

import csv
import io
import json

from lms.plugin import ExportInfo, TrainingExporter, TrainingRecord, safe_cell

#: Version of this file shape; bumped on any change a receiver would notice.
SCHEMA = "lms-siasn-riwayat-kursus/1"

#: (field name, description) in column order.
FIELDS = (
    ("idRiwayat", "LMS ledger entry id (stable; recognises a row sent before)"),
    ("nipBaru", "NIP, 18 digits"),
    ("nama", "Name"),
    ("unitKerjaKode", "Unit code in the LMS"),
    ("unitKerjaNama", "Unit name"),
    ("namaKursus", "Training name (course title or the title recorded)"),
    ("jenisKursus", "course (LMS course with certificate) or experiential"),
    ("jenisPengembangan", "Experiential kind: pelatihan, seminar, coaching, mentoring, magang, komunitas; "
                          "empty for courses"),
    ("rumpunKompetensi", "Competency kind: teknis, manajerial, sosial-kultural"),
    ("jumlahJam", "JP credited (integer)"),
    ("tanggalKursus", "Start date (SIASN_DATE_FORMAT, default dd-mm-yyyy)"),
    ("tanggalSelesaiKursus", "End date (same format)"),
    ("tahunKursus", "Year of the end date"),
    ("nomorSertipikat", "Certificate number (LMS e-certificate, or the external certificate/letter)"),
    ("institusiPenyelenggara", "Issuer: the agency for LMS courses, the organiser/coach/mentor otherwise"),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)


def row(record: TrainingRecord, date_format: str) -> dict:
    """One record as the SIASN-shaped dict (FIELDS order)."""
    return {"idRiwayat": record.entry_id, "nipBaru": record.nip, "nama": record.name,
            "unitKerjaKode": record.unit_code, "unitKerjaNama": record.unit_name,
            "namaKursus": record.training_name, "jenisKursus": record.kind,
            "jenisPengembangan": record.experiential_kind, "rumpunKompetensi": record.competency,
            "jumlahJam": record.jp, "tanggalKursus": record.start_on.strftime(date_format),
            "tanggalSelesaiKursus": record.end_on.strftime(date_format), "tahunKursus": record.end_on.year,
            "nomorSertipikat": record.certificate_number, "institusiPenyelenggara": record.issuer}


def render(records: list[TrainingRecord], fmt: str, info: ExportInfo, date_format: str = "%d-%m-%Y") -> bytes:
    rows = [row(record, date_format) for record in records]
    if fmt == "json":
        document = {"schema": SCHEMA, "generatedAt": info.generated_at.isoformat(timespec="seconds"),
                    "periode": {"mulai": info.start_on.isoformat(), "selesai": info.end_on.isoformat()},
                    "unitKerjaKode": info.unit_code, "nipBaru": info.nip, "jumlah": len(rows), "data": rows}
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(FIELD_NAMES)
        writer.writerows([safe_cell(r[name]) for name in FIELD_NAMES] for r in rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 names right
    raise ValueError(f"siasn cannot write {fmt!r}")


def _render_configured(records: list[TrainingRecord], fmt: str, info: ExportInfo) -> bytes:
    """render() with the site's SIASN_DATE_FORMAT (read when a file is made)."""
    from flask import current_app

    return render(records, fmt, info, current_app.config.get("SIASN_DATE_FORMAT") or "%d-%m-%Y")


def exporter() -> TrainingExporter:
    return TrainingExporter(
        key="siasn", label="SIASN (BKN)", formats=("csv", "json"), render=_render_configured,
        description="Riwayat kursus/diklat dengan nama kolom SIASN (nipBaru, namaKursus, jumlahJam, "
                    "nomorSertipikat, institusiPenyelenggara ...); lihat README lms-siasn.")
