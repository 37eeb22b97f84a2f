"""Names in any script render on certificates: DejaVu plus the bundled fallback fonts."""
from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from pypdf import PdfReader

from lms.certificates.data import CertificateData
from lms.certificates.pdf import (
    FALLBACK_DIR,
    FALLBACK_FONTS,
    FONT_DIR,
    ClassicTemplate,
    cmap_of,
    fallback_families,
    uncovered,
)

#: script -> (holder name, whether pypdf gives it back in logical order: shaped right-to-left
#: and Indic text comes back in visual order, which is still correct on the page).
NAMES = {
    "chinese": ("王小明", True),
    "japanese": ("山田 花子", True),
    "korean": ("김민준", True),
    "arabic": ("محمد عبد الله", False),
    "hindi": ("अनिल कुमार शर्मा", False),
    "thai": ("สมชาย ใจดี", True),
    "russian": ("Иван Петрович Сидоров", True),
    "greek": ("Γιώργος Παπαδόπουλος", True),
    "hebrew": ("דוד כהן", False),
    "vietnamese": ("Nguyễn Thị Hồng", True),
}


def data(name: str, title: str = "Keamanan Informasi") -> CertificateData:
    return CertificateData(
        number="LMS-2026-000042", code="kode-uji", verify_url="https://lms.example.go.id/verify/kode-uji",
        holder_name=name, holder_nip="199001012015011001", course_title=title, course_version=1, jp=4,
        competency="teknis", competency_label="Teknis", issued_on=dt.date(2026, 11, 24),
        completed_on=dt.date(2026, 11, 24), issuer_name="BKPSDM Kota Semarang", issuer_city="Semarang",
        signer_name="Kepala BKPSDM", signer_title="Kepala Badan")


def test_every_listed_font_and_its_licence_is_bundled():
    for _family, regular, bold in FALLBACK_FONTS:
        assert (FALLBACK_DIR / regular).is_file(), regular
        assert bold is None or (FALLBACK_DIR / bold).is_file(), bold
    for licence in ("OFL.txt", "LICENSE-Apache-2.0.txt", "README.md"):
        assert (FALLBACK_DIR / licence).is_file()
    total = sum(path.stat().st_size for path in FALLBACK_DIR.iterdir())
    assert total < 12 * 1024 * 1024


@pytest.mark.parametrize("script", sorted(NAMES))
def test_every_character_is_covered_by_some_font_in_the_chain(script):
    name, _logical = NAMES[script]
    assert uncovered([name]) == set()
    dejavu = cmap_of(FONT_DIR / "DejaVuSans.ttf")
    if all(ord(ch) in dejavu for ch in name):
        assert fallback_families([name], dejavu) == []  # Latin, Greek, Cyrillic: no extra font
    else:
        assert fallback_families([name], dejavu)


@pytest.mark.parametrize("script", sorted(NAMES))
def test_a_name_in_any_script_renders_without_missing_glyphs(script, caplog):
    name, logical = NAMES[script]
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = ClassicTemplate().render(data(name, title=f"Pelatihan untuk {name}"))
    assert not [r for r in caplog.records if "missing" in r.getMessage()], caplog.text
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    if logical:
        assert name in text
    else:
        assert "LMS-2026-000042" in text  # the rest of the page is intact


def test_rendering_stays_deterministic_with_fallback_fonts():
    sample = data("王小明 · محمد · अनिल")
    assert ClassicTemplate().render(sample) == ClassicTemplate().render(sample)


def test_a_character_no_font_has_is_reported():
    assert uncovered(["\U00013000"]) == {"\U00013000"}  # Egyptian hieroglyph: no bundled font
