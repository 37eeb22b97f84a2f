"""Helpers shared by the Aiken and spreadsheet readers."""
from __future__ import annotations

import re

#: Letters of choices, as authors write them (A..H in spreadsheets; Aiken allows A..Z).
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Between several answer letters: "A,C", "A; C", "A C", "A/C" ("AC" could be a word: refused).
_SEPARATORS = re.compile(r"[\s,;/|&+]+")
#: Largest text of one question, choice or cell (characters): far above any real question.
MAX_CELL_CHARS = 20_000
#: Largest number of questions in one file (the GIFT reader's limit too).
MAX_QUESTIONS = 5_000


def answer_letters(value: str) -> list[str] | None:
    """The upper-case letters of an answer ("a, c" -> ["A", "C"]); None if it is not letters."""
    text = _SEPARATORS.sub(" ", value.strip().upper()).strip()
    if not text:
        return None
    parts = text.split(" ")
    if not all(len(p) == 1 and p in LETTERS for p in parts):
        return None
    return list(dict.fromkeys(parts))  # "A, A" is one letter


def choice_options(choices: list[tuple[str, str]], right: list[str], multiple: bool) -> list[dict]:
    """Options for lettered (letter, text) choices. `single`: the right letter scores 1.
    `multiple`: each right choice earns an equal share and each wrong one takes an equal
    share away, so choosing everything scores 0 (Moodle's usual multi-answer weights)."""
    if not multiple:
        return [{"id": letter.lower(), "text": text, "fraction": 1 if letter in right else 0}
                for letter, text in choices]
    wrong = len(choices) - len(right)
    plus = round(1 / len(right), 5) if right else 0
    minus = -round(1 / wrong, 5) if wrong else 0
    return [{"id": letter.lower(), "text": text, "fraction": plus if letter in right else minus}
            for letter, text in choices]
