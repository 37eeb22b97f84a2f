"""Certificate PDFs: the template contract and the core "classic" design. No Flask here.

A certificate template turns a :class:`~lms.certificates.data.CertificateData` into a whole
PDF document. Register instances through the ``register_certificate_templates`` hook; a
course picks one by ``key``. Rendering must be deterministic (the same data gives the same
bytes): the PDF is rendered once, stored, and its SHA-256 published.

The classic design is drawn with fpdf2 and the bundled DejaVu fonts (``fonts/``, see its
LICENSE), which cover Latin with every diacritic, Greek and Cyrillic among others.

Speed: fpdf2 parses a TrueType file for every document and subsets it when writing. Parsing
the full DejaVu files (about 6,000 glyphs each) costs more than drawing the whole
certificate, so each process builds, once, compact copies of the fonts holding only the
common alphabets (:data:`COMPACT_RANGES`) in a private temporary folder. A certificate whose
texts use only those characters is drawn with the compact copies; any other (a name in
Armenian, Georgian, Hebrew, ...) is drawn with the full bundled fonts. Both draw the same
outlines (the copies drop only hinting and OpenType layout tables, which fpdf2 does not use
here), and the choice depends only on the data, so the output stays deterministic. A
certificate renders in about 35 ms; see bench/bench_certificates.py.
"""
from __future__ import annotations

import atexit
import datetime as dt
import functools
import io
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from lms.certificates.data import CertificateData

log = logging.getLogger(__name__)

__all__ = [
    "FONT_DIR",
    "CertificateTemplate",
    "ClassicTemplate",
    "format_date",
    "preload_fonts",
    "qr_png",
]

#: Where the bundled DejaVu fonts live.
FONT_DIR = Path(__file__).resolve().with_name("fonts")


class CertificateTemplate:
    """Base for certificate designs; register instances through the
    ``register_certificate_templates`` hook."""

    #: Unique across plugins, e.g. "classic"; stored on the course that picks the design.
    key: str = ""
    #: Name shown to administrators choosing a design.
    label: str = ""

    def render(self, data: CertificateData) -> bytes:
        """Return a complete PDF document stating `data`.

        Must be deterministic (identical data gives identical bytes: fix the creation date,
        e.g. to ``data.issued_on``, and anything else that would vary) and must print the
        texts in ``data.language`` ("id" or "en"). Runs once per certificate; the result is
        stored, so it may take tens of milliseconds but not seconds.
        """
        raise NotImplementedError


# ----------------------------------------------------------------------- QR code


def qr_png(url: str, scale: int = 8) -> bytes:
    """A PNG of the QR code for `url`: error correction M, with the standard quiet zone."""
    code = segno.make(url, error="m", boost_error=False, micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


# ------------------------------------------------------------------------ dates

_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def format_date(day: dt.date, language: str = "id") -> str:
    """``24 November 2026`` (day, month name, year) in Indonesian or English."""
    months = _MONTHS.get(language, _MONTHS["id"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


# ------------------------------------------------------------------------ fonts

#: Font files per face; the serif face falls back to the sans one if its file is missing.
_FONT_FILES = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf",
               "serif": "DejaVuSerif.ttf"}

#: Code points kept in the compact sans fonts: Latin (Basic, Latin-1, Extended A and B,
#: Extended Additional with Vietnamese, C and D), IPA and modifier letters, combining
#: diacritics, Greek, Cyrillic, punctuation, currency and letterlike symbols.
COMPACT_RANGES = ((0x20, 0x7E), (0xA0, 0x52F), (0x1E00, 0x1EFF), (0x2000, 0x206F),
                  (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2C60, 0x2C7F), (0xA720, 0xA7FF))
#: The serif face only sets headings, so its compact copy keeps Basic Latin alone.
COMPACT_SERIF_RANGES = ((0x20, 0x7E),)


def _codepoints(ranges) -> frozenset[int]:
    return frozenset(c for low, high in ranges for c in range(low, high + 1))


_COMPACT = {"sans": _codepoints(COMPACT_RANGES), "sans-bold": _codepoints(COMPACT_RANGES),
            "serif": _codepoints(COMPACT_SERIF_RANGES)}

_lock = threading.Lock()
_compact_dir: Path | None = None
_compact_failed = False


def _full_paths() -> dict[str, Path]:
    paths = {face: FONT_DIR / name for face, name in _FONT_FILES.items()}
    if not paths["serif"].exists():
        paths["serif"] = paths["sans"]
    return paths


def _compact_name(face: str) -> str:
    return f"{face}.ttf"


def _build_compact(folder: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for face, source in _full_paths().items():
        font = TTFont(source, recalcTimestamp=False)
        options = subset.Options()
        # What fpdf2 drops anyway when it embeds a font (it does no shaping here), plus
        # kerning and hinting: the PDF positions every glyph itself, and viewers rasterise
        # the outlines without the TrueType instructions.
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "FFTM", "MATH"]
        options.layout_features = []
        options.hinting = False
        options.notdef_outline = True
        options.recommended_glyphs = True
        options.glyph_names = True
        options.name_IDs = ["*"]  # keep the copyright and licence texts
        options.name_languages = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(_COMPACT[face]))
        subsetter.subset(font)
        partial = folder / (_compact_name(face) + ".part")
        font.save(partial)
        os.replace(partial, folder / _compact_name(face))


def _remove_compact(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # never from a forked worker: its siblings still use it
        shutil.rmtree(folder, ignore_errors=True)


def _ready(folder: Path | None) -> bool:
    return folder is not None and all((folder / _compact_name(face)).exists() for face in _FONT_FILES)


def _compact_paths() -> dict[str, Path] | None:
    """Paths of this process's compact fonts, built on first use; None if they cannot be."""
    global _compact_dir, _compact_failed
    if not _ready(_compact_dir):
        if _compact_failed:
            return None
        with _lock:
            if not _ready(_compact_dir) and not _compact_failed:
                folder = None
                try:
                    folder = Path(tempfile.mkdtemp(prefix="lms-certificate-fonts-"))
                    _build_compact(folder)
                except Exception:
                    log.warning("cannot build compact certificate fonts; using the full ones",
                                exc_info=True)
                    if folder is not None:
                        shutil.rmtree(folder, ignore_errors=True)
                    _compact_failed = True
                else:
                    atexit.register(_remove_compact, folder, os.getpid())
                    _compact_dir = folder
        if _compact_failed:
            return None
    return {face: _compact_dir / _compact_name(face) for face in _FONT_FILES}


#: Fonts for the scripts DejaVu lacks (``fonts/fallback``, see its README): per family, the
#: regular and bold files. A character takes the first family that has it; only the families
#: a certificate needs are loaded, so a Latin certificate costs nothing more.
FALLBACK_DIR = FONT_DIR / "fallback"
FALLBACK_FONTS = (
    ("arabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    ("hebrew", "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    ("devanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    ("bengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    ("tamil", "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf"),
    ("thai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    ("khmer", "NotoSansKhmer-Regular.ttf", "NotoSansKhmer-Bold.ttf"),
    ("ethiopic", "NotoSansEthiopic-Regular.ttf", None),
    # Chinese, Japanese and Korean (Han, kana, Hangul) in 3.4 MB instead of Noto CJK's
    # hundreds; the "Full" cut adds the rarer Han of Extension A (names do use them).
    ("cjk", "DroidSansFallback.ttf", None),
    ("cjk-extra", "DroidSansFallbackFull.ttf", None),
)
#: Scripts that need OpenType shaping (joining, reordering, conjuncts) to read correctly.
_SHAPED_RANGES = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x1780, 0x17FF),
                  (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


@functools.cache
def cmap_of(path: Path) -> frozenset[int]:
    """Code points a font file has a glyph for (read once per process)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def fallback_families(texts, covered: frozenset[int]) -> list[str]:
    """The fallback families the characters of `texts` missing from `covered` need, in
    FALLBACK_FONTS order (deterministic: it depends on the texts only)."""
    missing = {ord(ch) for text in texts for ch in text if ord(ch) not in covered and ch.isprintable()
               and not ch.isspace()}
    needed = []
    for family, regular, _bold in FALLBACK_FONTS:
        if not missing:
            break
        path = FALLBACK_DIR / regular
        if not path.exists():
            continue
        found = missing & cmap_of(path)
        if found:
            needed.append(family)
            missing -= found
    return needed


def uncovered(texts) -> set[str]:
    """Characters of `texts` that neither DejaVu nor any fallback font can draw."""
    known = cmap_of(FONT_DIR / _FONT_FILES["sans"]).union(
        *(cmap_of(FALLBACK_DIR / regular) for _f, regular, _b in FALLBACK_FONTS
          if (FALLBACK_DIR / regular).exists()))
    return {ch for text in texts for ch in text
            if ord(ch) not in known and ch.isprintable() and not ch.isspace()}


def _needs_shaping(texts) -> bool:
    return any(low <= ord(ch) <= high for text in texts for ch in text for low, high in _SHAPED_RANGES)


def preload_fonts() -> None:
    """Prepare the compact fonts now (about half a second) instead of at the first render."""
    _compact_paths()


def _font_paths(texts_per_face: dict[str, tuple[str, ...]]) -> dict[str, Path]:
    """Per face: the compact font when it covers every character the face sets, else the
    full one."""
    paths = _full_paths()
    compact = None
    for face, texts in texts_per_face.items():
        if all(ord(ch) in _COMPACT[face] for text in texts for ch in text):
            compact = compact or _compact_paths()
            if compact is None:
                break
            paths[face] = compact[face]
    return paths


# ---------------------------------------------------------------- the classic design

GREEN = (11, 93, 75)       # #0b5d4b
GOLD = (244, 197, 66)      # #f4c542
INK = (33, 37, 41)
MUTED = (96, 104, 110)

_TEXTS = {
    "id": {"heading": "SERTIFIKAT", "title": "Sertifikat", "number": "Nomor", "to": "diberikan kepada",
           "done": "telah menyelesaikan pelatihan", "version": "Versi", "completed": "Diselesaikan pada",
           "scan": "Pindai untuk memeriksa keaslian"},
    "en": {"heading": "CERTIFICATE", "title": "Certificate", "number": "Number", "to": "awarded to",
           "done": "has completed the course", "version": "Version", "completed": "Completed on",
           "scan": "Scan to verify"},
}

_PT = 25.4 / 72  # mm per point


def _clean(text: str) -> str:
    """One line of text: runs of whitespace (newlines, tabs) become single spaces."""
    return " ".join((text or "").split())


@dataclass
class _Row:
    """Centred lines of one face and size, `gap` mm below the previous row."""

    lines: list[str]
    face: str
    size: float
    colour: tuple[int, int, int]
    gap: float
    leading: float = 1.2
    rule: bool = False

    @property
    def height(self) -> float:
        return self.gap + len(self.lines) * self.size * _PT * self.leading


class _Pdf(FPDF):
    """fpdf2 with the few helpers the design needs."""

    def add_fallbacks(self, texts) -> None:
        """Load the fallback fonts `texts` need (regular as "fb-<family>", bold as
        "fb-<family>-bold") and turn on text shaping for scripts that need it."""
        covered = cmap_of(FONT_DIR / _FONT_FILES["sans"])
        families = fallback_families(texts, covered)
        if not families:
            return
        self._bold_fallback = {}
        names = []
        for family, regular, bold in FALLBACK_FONTS:
            if family in families:
                self.add_font(f"fb-{family}", "", FALLBACK_DIR / regular)
                names.append(f"fb-{family}")
                if bold and (FALLBACK_DIR / bold).exists():
                    self.add_font(f"fb-{family}-bold", "", FALLBACK_DIR / bold)
                    self._bold_fallback[f"fb-{family}"] = f"fb-{family}-bold"
        self.set_fallback_fonts(names + list(self._bold_fallback.values()), exact_match=False)
        if _needs_shaping(texts):
            self.set_text_shaping(True)

    def get_fallback_font(self, char: str, style: str = ""):
        """The first fallback family with the glyph, in its bold cut under the bold face."""
        regular = next((name for name in self._fallback_font_ids if not name.endswith("-bold")
                        and ord(char) in self.fonts[name].cmap), None)
        if regular is None:
            return None
        if self.font_family == "sans-bold":
            return getattr(self, "_bold_fallback", {}).get(regular, regular)
        return regular

    def fit(self, text: str, face: str, size: float, min_size: float, width: float,
            max_lines: int, max_height: float | None = None, leading: float = 1.2):
        """Choose the largest size (0.5 pt steps, down to `min_size`) at which `text` fits
        in `max_lines` lines of `width` mm (and `max_height` mm); return (size, lines).

        At `min_size`, lines beyond what fits are dropped and the last one ends with "…".
        """
        def limit(at: float) -> int:
            if max_height is None:
                return max_lines
            return max(1, min(max_lines, int(max_height // (at * _PT * leading))))

        def wrap(at: float) -> list[str]:
            self.set_font(face, size=at)
            if self.get_string_width(text) <= width:
                return [text]
            return self.multi_cell(width, text=text, dry_run=True, output="LINES")

        top = size
        self.set_font(face, size=size)
        natural = self.get_string_width(text)
        if natural <= width:
            return size, [text]
        # Start near the size where the text would just fill the allowed lines (widths
        # scale with the size), then step: each wrap is a full line-breaking pass.
        guess = size * limit(size) * width * 0.94 / natural
        size = max(min_size, min(size, int(guess * 2) / 2))
        lines = wrap(size)
        if len(lines) <= limit(size):
            while size + 0.5 <= top:
                bigger = wrap(size + 0.5)
                if len(bigger) > limit(size + 0.5):
                    break
                size, lines = size + 0.5, bigger
        else:
            while size > min_size and len(lines) > limit(size):
                size = max(min_size, size - 0.5)
                lines = wrap(size)
        self.set_font(face, size=size)
        if len(lines) > limit(size):
            lines = lines[:limit(size)]
            last = lines[-1].rstrip()
            while last and self.get_string_width(last + " …") > width:
                last = last[:-1].rstrip()
            lines[-1] = last + " …"
        return size, lines

    def centred(self, lines, face: str, size: float, left: float, width: float, top: float,
                colour=INK, leading: float = 1.2, align: str = "C") -> float:
        """Draw `lines` from `top`; return the y just below the last one."""
        self.set_font(face, size=size)
        self.set_text_color(*colour)
        height = size * _PT * leading
        y = top
        for line in lines:
            self.set_xy(left, y)
            self.cell(width, height, line, align=align)
            y += height
        return y


class ClassicTemplate(CertificateTemplate):
    """The core design: A4 landscape, green and gold frame, QR code to the verify page."""

    key = "classic"
    label = "Klasik"

    #: Page size in mm (A4 landscape).
    WIDTH, HEIGHT = 297.0, 210.0

    def render(self, data: CertificateData) -> bytes:
        words = _TEXTS.get(data.language, _TEXTS["id"])
        lang = data.language if data.language in _TEXTS else "id"
        name, title = _clean(data.holder_name), _clean(data.course_title)
        issuer, signer, signer_title = (_clean(data.issuer_name), _clean(data.signer_name),
                                        _clean(data.signer_title))
        nip = _clean(data.holder_nip)
        details = (f"{data.jp} JP · {_clean(data.competency_label)} · "
                   f"{words['version']} {data.course_version}")
        completed = f"{words['completed']} {format_date(data.completed_on, lang)}"
        place_date = f"{_clean(data.issuer_city)}, {format_date(data.issued_on, lang)}"
        short_url = data.verify_url.split("://", 1)[-1]
        number = f"{words['number']}: {_clean(data.number)}"
        faces = {"serif": (words["heading"],),
                 "sans-bold": (issuer, name, title, words["scan"], signer),
                 "sans": (number, words["to"], nip, words["done"], details, completed,
                          place_date, signer_title, short_url)}

        pdf = _Pdf(orientation="L", unit="mm", format="A4")
        for face, path in _font_paths(faces).items():
            pdf.add_font(face, "", path)
        pdf.add_fallbacks([text for texts in faces.values() for text in texts])
        pdf.set_auto_page_break(False)
        pdf.set_margin(0)
        pdf.c_margin = 0
        self._metadata(pdf, data, words, lang, issuer, title)
        pdf.add_page()
        self._frame(pdf)

        left, width = 28.0, self.WIDTH - 56.0
        # Issuer, heading and number, from the top.
        size, lines = pdf.fit(issuer, "sans-bold", 11, 8, 230, 2)
        y = pdf.centred(lines, "sans-bold", size, left, width, 21, GREEN)
        pdf.set_char_spacing(2.5)
        y = pdf.centred([words["heading"]], "serif", 36, left, width, y + 2.5, GREEN, leading=1.15)
        pdf.set_char_spacing(0)
        y = pdf.centred([number], "sans", 10.5, left, width, y + 0.5, MUTED)

        # Holder and course, centred in the space above the bottom block; the course
        # title gets whatever height the other rows leave (at most 3 lines).
        rows = [_Row([words["to"]], "sans", 12.5, INK, gap=0)]
        size, lines = pdf.fit(name, "sans-bold", 28, 12, 235, 3, leading=1.15)
        rows.append(_Row(lines, "sans-bold", size, GREEN, gap=1.5, leading=1.15))
        if nip:
            rows.append(_Row([f"NIP {nip}"], "sans", 11.5, INK, gap=0.5))
        rows.append(_Row([words["done"]], "sans", 12.5, INK, gap=9, rule=True))
        tail = [_Row([details], "sans", 11, MUTED, gap=2.5),
                _Row([completed], "sans", 11, MUTED, gap=0.5)]
        top, bottom = y + 4, 141.0
        spare = bottom - top - sum(row.height for row in rows + tail) - 1.5
        size, lines = pdf.fit(title, "sans-bold", 19, 8, 235, 3, max_height=spare)
        rows += [_Row(lines, "sans-bold", size, INK, gap=1.5)] + tail
        y = top + max(0.0, (bottom - top - sum(row.height for row in rows)) / 2)
        for row in rows:
            if row.rule:  # a short gold rule halfway through the gap above the row
                pdf.set_draw_color(*GOLD)
                pdf.set_line_width(0.7)
                rule_y = y + row.gap / 2
                pdf.line(self.WIDTH / 2 - 32, rule_y, self.WIDTH / 2 + 32, rule_y)
            y = pdf.centred(row.lines, row.face, row.size, left, width, y + row.gap, row.colour,
                            leading=row.leading)

        self._qr(pdf, data.verify_url, words["scan"], short_url)
        self._signature(pdf, place_date, signer_title, signer)
        return bytes(pdf.output())

    # -- parts

    @staticmethod
    def _metadata(pdf: FPDF, data: CertificateData, words: dict, lang: str, issuer: str,
                  title: str) -> None:
        pdf.set_title(f"{words['title']} {_clean(data.number)}")
        pdf.set_author(issuer)
        pdf.set_subject(title)
        pdf.set_creator("ASN LMS")
        pdf.set_producer("ASN LMS")
        pdf.set_lang(lang)
        # Fixed, not "now": the same data must give the same bytes (the /ID is a hash of
        # the content and this date).
        pdf.set_creation_date(dt.datetime.combine(data.issued_on, dt.time(0, 0),
                                                  tzinfo=dt.UTC))

    def _frame(self, pdf: FPDF) -> None:
        w, h = self.WIDTH, self.HEIGHT
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(2.4)
        pdf.rect(8, 8, w - 16, h - 16)
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.9)
        pdf.rect(12.5, 12.5, w - 25, h - 25)
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(0.2)
        pdf.rect(14.6, 14.6, w - 29.2, h - 29.2)
        # Gold corner squares on the inner frame.
        pdf.set_fill_color(*GOLD)
        for x in (12.5, w - 12.5):
            for y in (12.5, h - 12.5):
                pdf.rect(x - 2.2, y - 2.2, 4.4, 4.4, style="F")

    @staticmethod
    def _qr(pdf: _Pdf, url: str, caption: str, short_url: str) -> None:
        left, top, side, width = 24.0, 146.0, 31.0, 100.0
        png = qr_png(url)
        pdf.image(io.BytesIO(png), x=left - 2.5, y=top, w=side, h=side)
        # Align the texts with the code itself, not with its white quiet zone (4 modules
        # of the scale-8 image, whose width the PNG header gives).
        left += side * 32 / int.from_bytes(png[16:20], "big") - 2.5
        pdf.centred([caption], "sans-bold", 8, left, width, top + side + 0.8, GREEN, align="L")
        size, lines = pdf.fit(short_url, "sans", 7, 5, width, 2)
        pdf.centred(lines, "sans", size, left, width, top + side + 4.6, MUTED, align="L")

    def _signature(self, pdf: _Pdf, place_date: str, signer_title: str, signer: str) -> None:
        left, width = 172.0, 100.0
        y = pdf.centred([place_date], "sans", 11, left, width, 144, INK)
        size, lines = pdf.fit(signer_title, "sans", 11, 8, width, 2)
        pdf.centred(lines, "sans", size, left, width, y + 0.5, INK)
        line_y = 180.0
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.3)
        pdf.line(left + 12, line_y, left + width - 12, line_y)
        size, lines = pdf.fit(signer, "sans-bold", 12, 8, width, 2)
        pdf.centred(lines, "sans-bold", size, left, width, line_y + 1.2, INK)
