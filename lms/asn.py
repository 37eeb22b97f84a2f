"""ASN domain rules with no Flask in them: NIP structure and the golongan/pangkat table."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lms.i18n import N_

#: Structure of an 18-digit NIP: birth date, appointment (TMT CPNS) month, gender, sequence.
NIP_PATTERN = re.compile(r"^(?P<birth>\d{8})(?P<appointed>\d{6})(?P<gender>\d)(?P<seq>\d{3})$")
#: CPNS candidates are at least 18; allow a year of slack for records entered late.
MIN_AGE_AT_APPOINTMENT = 17
EARLIEST_BIRTH_YEAR = 1930


class InvalidNIP(ValueError):
    """A NIP that breaks the structure; `message` is an untranslated msgid."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class NIP:
    """A parsed, valid NIP."""

    value: str
    birth_date: dt.date
    appointed: dt.date  # first day of the appointment month
    gender: str  # "L" (laki-laki) or "P" (perempuan)
    sequence: int


def normalise_nip(raw: str) -> str:
    """Drop the spaces and dots people type inside a NIP ("19850312 201001 1 003")."""
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_nip(raw: str, today: dt.date | None = None) -> NIP:
    """Parse and validate a NIP, raising InvalidNIP with a message naming the bad part."""
    value = normalise_nip(raw)
    match = NIP_PATTERN.match(value)
    if not match:
        raise InvalidNIP(N_("NIP must be exactly 18 digits."))
    today = today or dt.date.today()
    birth = _date(match["birth"], N_("The birth date in the NIP (digits 1-8) is not a valid date."))
    if birth.year < EARLIEST_BIRTH_YEAR or birth > today:
        raise InvalidNIP(N_("The birth date in the NIP (digits 1-8) is not plausible."))
    appointed = _date(match["appointed"] + "01",
                      N_("The appointment month in the NIP (digits 9-14) is not a valid month."))
    if appointed > today or appointed.year - birth.year < MIN_AGE_AT_APPOINTMENT:
        raise InvalidNIP(N_("The appointment month in the NIP (digits 9-14) is not plausible "
                            "for the birth date."))
    if match["gender"] not in "12":
        raise InvalidNIP(N_("The gender digit in the NIP (digit 15) must be 1 or 2."))
    if match["seq"] == "000":
        raise InvalidNIP(N_("The sequence number in the NIP (digits 16-18) cannot be 000."))
    gender = "L" if match["gender"] == "1" else "P"
    return NIP(value, birth, appointed, gender, int(match["seq"]))


def _date(digits: str, message: str) -> dt.date:
    try:
        return dt.datetime.strptime(digits, "%Y%m%d").date()
    except ValueError:
        raise InvalidNIP(message) from None


#: Golongan/ruang of PNS with their pangkat (PP 99/2000), then PPPK golongan (I-XVII).
GOLONGAN = {
    "I/a": "Juru Muda", "I/b": "Juru Muda Tingkat I", "I/c": "Juru", "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda", "II/b": "Pengatur Muda Tingkat I", "II/c": "Pengatur",
    "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda", "III/b": "Penata Muda Tingkat I", "III/c": "Penata",
    "III/d": "Penata Tingkat I",
    "IV/a": "Pembina", "IV/b": "Pembina Tingkat I", "IV/c": "Pembina Utama Muda",
    "IV/d": "Pembina Utama Madya", "IV/e": "Pembina Utama",
    **{f"PPPK {roman}": "PPPK" for roman in (
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
        "XIV", "XV", "XVI", "XVII")},
}


def golongan_label(code: str) -> str:
    """Return "III/a - Penata Muda" for display, or the code itself for PPPK."""
    pangkat = GOLONGAN.get(code)
    return f"{code} - {pangkat}" if pangkat and pangkat != "PPPK" else code
