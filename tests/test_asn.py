"""NIP structure (DESIGN 6) and the golongan table."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from lms.asn import GOLONGAN, InvalidNIP, golongan_label, parse_nip

TODAY = dt.date(2026, 11, 24)


def test_valid_nip_is_parsed_into_its_parts():
    nip = parse_nip("19850312 201001 2 003", today=TODAY)
    assert nip.value == "198503122010012003"
    assert nip.birth_date == dt.date(1985, 3, 12)
    assert nip.appointed == dt.date(2010, 1, 1)
    assert nip.gender == "P" and nip.sequence == 3


@pytest.mark.parametrize("raw, problem", [
    ("", "exactly 18 digits"),
    ("12345", "exactly 18 digits"),
    ("1985031220100120031", "exactly 18 digits"),
    ("19850312201001200A", "exactly 18 digits"),
    ("198502302010012003", "birth date in the NIP (digits 1-8) is not a valid date"),
    ("192001012010012003", "birth date in the NIP (digits 1-8) is not plausible"),
    ("203001012010012003", "birth date in the NIP (digits 1-8) is not plausible"),
    ("198503122010132003", "appointment month in the NIP (digits 9-14) is not a valid month"),
    ("198503121995012003", "not plausible for the birth date"),
    ("198503122030012003", "not plausible for the birth date"),
    ("198503122010013003", "gender digit"),
    ("198503122010011000", "cannot be 000"),
])
def test_invalid_nip_names_the_broken_part(raw, problem):
    with pytest.raises(InvalidNIP, match=re.escape(problem)):
        parse_nip(raw, today=TODAY)


def test_golongan_table_covers_pns_and_pppk():
    assert golongan_label("III/a") == "III/a - Penata Muda"
    assert golongan_label("IV/e") == "IV/e - Pembina Utama"
    assert golongan_label("PPPK IX") == "PPPK IX"
    assert len([code for code in GOLONGAN if "/" in code]) == 17
