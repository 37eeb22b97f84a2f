"""The certificate PDF: layout facts read back with pypdf, the QR code decoded with zxing."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import PIL.Image
import pypdf
import pytest
import zxingcpp

from lms.certificates import pdf as certificate_pdf
from lms.certificates.data import CertificateData
from lms.certificates.pdf import CertificateTemplate, ClassicTemplate, format_date, qr_png

CODE = "q8Zr3xV1bN0cT5mY7kP2wA9dE4fH6jLs"
SAMPLE = CertificateData(
    number="SMG-2026-000042", code=CODE,
    verify_url=f"https://lms.bkpsdm.semarangkota.go.id/verify/{CODE}",
    holder_name="Siti Rahmawati", holder_nip="199001012015012001",
    course_title="Penyusunan Analisis Jabatan dan Analisis Beban Kerja",
    course_version=2, jp=24, competency="teknis", competency_label="Teknis",
    issued_on=dt.date(2026, 11, 24), completed_on=dt.date(2026, 11, 20),
    issuer_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia Kota Semarang",
    issuer_city="Semarang", signer_name="Dr. Budi Santoso, M.Si.",
    signer_title="Kepala BKPSDM Kota Semarang", language="id")


def sample(**changes) -> CertificateData:
    return dataclasses.replace(SAMPLE, **changes)


def render(data: CertificateData) -> bytes:
    return ClassicTemplate().render(data)


def read(document: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return reader, reader.pages[0].extract_text()


def squeeze(text: str) -> str:
    """Text without any whitespace: line breaks may fall anywhere in wrapped texts."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def indonesian() -> tuple[bytes, pypdf.PdfReader, str]:
    document = render(SAMPLE)
    return (document, *read(document))


def test_one_a4_landscape_page(indonesian):
    document, reader, _ = indonesian
    assert document.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 842) < 1 and abs(float(box.height) - 595) < 1


def test_states_the_certificate_in_indonesian(indonesian):
    _, _, text = indonesian
    for expected in ("SERTIFIKAT", "Nomor: SMG-2026-000042", "diberikan kepada", "Siti Rahmawati",
                     "NIP 199001012015012001", "telah menyelesaikan pelatihan",
                     "24 JP · Teknis · Versi 2", "Diselesaikan pada 20 November 2026",
                     "Semarang, 24 November 2026", "Kepala BKPSDM Kota Semarang",
                     "Dr. Budi Santoso, M.Si.", "Pindai untuk memeriksa keaslian",
                     f"lms.bkpsdm.semarangkota.go.id/verify/{CODE}"):
        assert expected in text, expected
    for expected in (SAMPLE.course_title, SAMPLE.issuer_name):  # may wrap
        assert squeeze(expected) in squeeze(text), expected


def test_metadata_is_fixed_by_the_data(indonesian):
    _, reader, _ = indonesian
    meta = reader.metadata
    assert meta.title == "Sertifikat SMG-2026-000042"
    assert meta.author == SAMPLE.issuer_name
    assert meta.subject == SAMPLE.course_title
    assert meta.creation_date.date() == SAMPLE.issued_on


def test_qr_code_points_at_the_verify_url(indonesian):
    _, reader, _ = indonesian
    decoded = [result.text for image in reader.pages[0].images
               for result in zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(image.data)))]
    assert decoded == [SAMPLE.verify_url]


def test_identical_data_gives_identical_bytes(indonesian):
    document = indonesian[0]
    assert render(SAMPLE) == document
    assert render(sample(number="SMG-2026-000043")) != document


def test_english_variant():
    _, text = read(render(sample(language="en", competency_label="Technical")))
    for expected in ("CERTIFICATE", "Number: SMG-2026-000042", "awarded to",
                     "has completed the course", "24 JP · Technical · Version 2",
                     "Completed on 20 November 2026", "Semarang, 24 November 2026",
                     "Scan to verify"):
        assert expected in text, expected
    assert "SERTIFIKAT" not in text


@pytest.mark.parametrize("name", [
    "Ni Luh Putu Ayu Ṣarasvatī",
    "Nguyễn Thị Ánh",
    "Анна Петрова",
    "ნინო ბერიძე",  # Georgian: outside the compact fonts, drawn with the full ones
])
def test_names_in_any_script_are_embedded(name):
    reader, text = read(render(sample(holder_name=name)))
    assert name in text
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all(font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                         .get_object().get("/FontFile2") for font in fonts)


def test_a_300_character_title_stays_whole_and_inside_the_frame():
    words = ["Pelatihan", "Kepemimpinan", "Administrator", "Transformasi", "Digital",
             "Pelayanan", "Publik", "Terpadu"]
    title = " ".join(words[n % len(words)] for n in range(60))[:300].strip()
    assert len(title) >= 295
    name = "Raden Mas " * 8 + "Prasetyo"
    reader, text = read(render(sample(course_title=title, holder_name=name)))
    assert squeeze(title) in squeeze(text)
    assert squeeze(name) in squeeze(text)
    assert "…" not in text
    positions = []
    reader.pages[0].extract_text(visitor_text=lambda t, cm, tm, *_: t.strip() and positions.append(
        (tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5])))
    inner = 14.6 * 72 / 25.4  # the innermost frame line, in points from the page edge
    assert positions and all(inner < x < 842 - inner and inner < y < 595 - inner
                             for x, y in positions)


def test_no_nip_line_without_a_nip():
    _, text = read(render(sample(holder_nip="")))
    assert "NIP" not in text


def test_renders_with_the_full_fonts_when_compact_ones_cannot_be_built(monkeypatch):
    def broken(folder):
        raise OSError("read-only temporary folder")

    monkeypatch.setattr(certificate_pdf, "_compact_dir", None)
    monkeypatch.setattr(certificate_pdf, "_compact_failed", False)
    monkeypatch.setattr(certificate_pdf, "_build_compact", broken)
    _, text = read(render(SAMPLE))
    assert "Siti Rahmawati" in text


def test_qr_png_is_a_decodable_png():
    png = qr_png("https://lms.example.go.id/verify/abc")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = PIL.Image.open(io.BytesIO(png))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://lms.example.go.id/verify/abc"]


def test_dates_in_words():
    assert format_date(dt.date(2026, 11, 24)) == "24 November 2026"
    assert format_date(dt.date(2026, 3, 1), "id") == "1 Maret 2026"
    assert format_date(dt.date(2026, 8, 17), "id") == "17 Agustus 2026"
    assert format_date(dt.date(2026, 8, 17), "en") == "17 August 2026"
    assert len({format_date(dt.date(2026, m, 1)) for m in range(1, 13)}) == 12


def test_template_contract():
    assert issubclass(ClassicTemplate, CertificateTemplate)
    assert ClassicTemplate.key == "classic" and ClassicTemplate.label
    with pytest.raises(NotImplementedError):
        CertificateTemplate().render(SAMPLE)
