"""Moodle's Aiken format: multiple-choice questions in plain text, one block per question.

    Apa kepanjangan SPBE?
    A. Sistem Pemerintahan Berbasis Elektronik
    B. Sistem Pelayanan Birokrasi Efektif
    ANSWER: A

The question text comes first (several lines are joined), then the choices, each a capital
letter with "." or ")" and a space, then ``ANSWER: X``; blank lines separate questions. As
extensions, ``JAWABAN:``/``KUNCI:`` may replace ``ANSWER:``, and several letters
(``ANSWER: A, C``) make a `multiple` question. Every problem names its line. Pure Python:
no database; ids come from the question text (unique within the file, stable across
re-imports of the same file, so re-importing updates instead of duplicating).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.i18n import N_
from lms.packages.gift import IdMaker, slug
from lms.services.question_import.common import MAX_CELL_CHARS, MAX_QUESTIONS, answer_letters, choice_options
from lms.services.question_import.problems import ImportProblem, message

_OPTION = re.compile(r"([A-Z])[.)](?:[ \t]+(.*))?")
_ANSWER = re.compile(r"(?:ANSWER|JAWABAN|KUNCI)[ \t]*:(.*)", re.IGNORECASE)


@dataclass
class _Block:
    """The question being read: its first line, text lines and (letter, text, line) choices."""

    line: int
    text: list[str] = field(default_factory=list)
    choices: list[tuple[str, str, int]] = field(default_factory=list)
    #: A problem was reported inside the block: it is checked on, but never kept.
    bad: bool = False


@dataclass
class AikenEntry:
    """One parsed question and the line where it starts (to place the type's own problems)."""

    definition: dict
    line: int


def parse_aiken(text: str, file: str = "questions.txt") -> tuple[list[AikenEntry], list[ImportProblem]]:
    """Read Aiken text: (entries, problems). Never raises for any input."""
    return _Reader(file).read(text)


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.entries: list[AikenEntry] = []
        self.problems: list[ImportProblem] = []
        self.ids = IdMaker()
        self.block: _Block | None = None
        self.too_many = False

    def add(self, line: int, msgid: str, **params) -> None:
        self.problems.append(ImportProblem(self.file, message(msgid, **params), line=line))

    def read(self, text: str) -> tuple[list[AikenEntry], list[ImportProblem]]:
        for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
            self._line(number, raw.strip().lstrip("\ufeff").strip())
            if self.too_many:
                break
        if self.block is not None and self.block.choices:
            self.add(self.block.choices[-1][2], N_("The question that starts on line %(start)d has no "
                                                   "\"ANSWER:\" line after its choices."),
                     start=self.block.line)
        elif self.block is not None:
            self.add(self.block.line, N_("This question has no choices (\"A. ...\") and no \"ANSWER:\" line."))
        if not self.entries and not self.problems:
            self.problems.append(ImportProblem(self.file, N_("The file holds no question.")))
        return self.entries, self.problems

    def _line(self, number: int, line: str) -> None:
        block = self.block
        if not line:
            if block is not None and block.text and not block.choices:
                block.text.append("")  # a paragraph break inside the question text
            return
        if len(line) > MAX_CELL_CHARS:
            self.add(number, N_("The line is longer than %(max)d characters."), max=MAX_CELL_CHARS)
            return
        if answer := _ANSWER.fullmatch(line):
            self._finish(number, answer.group(1))
        elif option := _OPTION.fullmatch(line):
            if block is None:
                self.add(number, N_("A choice comes before any question text: a question's text comes first, "
                                    "then its choices."))
                block = self.block = _Block(number, bad=True)
            self._choice(number, option.group(1), (option.group(2) or "").strip())
        elif block is not None and block.choices:
            self.add(number, N_("Expected a choice such as \"%(letter)s. ...\" or the \"ANSWER:\" line of the "
                                "question that starts on line %(start)d."),
                     letter=_next_letter(block), start=block.line)
            self.block = _Block(number, [line])  # read on as a new question, to report more at once
        elif block is None:
            self.block = _Block(number, [line])
        else:
            block.text.append(line)

    def _choice(self, number: int, letter: str, text: str) -> None:
        block = self.block
        if not text:
            self.add(number, N_("Choice %(letter)s has no text."), letter=letter)
            block.bad = True
        if any(letter == seen for seen, _text, _line in block.choices):
            self.add(number, N_("Choice %(letter)s appears twice."), letter=letter)
            block.bad = True
            return
        block.choices.append((letter, text, number))

    def _finish(self, number: int, value: str) -> None:
        """The ANSWER line closes the question: check it and keep the definition."""
        block, self.block = self.block, None
        if block is None or not block.choices:
            self.add(number, N_("\"ANSWER:\" comes before any choice (\"A. ...\")."))
            return
        letters = [letter for letter, _text, _line in block.choices]
        right = answer_letters(value)
        if right is None:
            self.add(number, N_("Write the letter of the right choice after \"ANSWER:\" (one of %(letters)s)."),
                     letters=", ".join(letters))
            return
        if unknown := [r for r in right if r not in letters]:
            self.add(number, N_("ANSWER names choice %(letter)s, but the question has only %(letters)s."),
                     letter=unknown[0], letters=", ".join(letters))
            return
        if len(block.choices) < 2:
            self.add(block.choices[0][2], N_("A question needs at least two choices."))
            return
        text = "\n".join(block.text).strip()
        if block.bad or not text:
            return  # already reported
        if len(self.entries) >= MAX_QUESTIONS:
            self.add(block.line, N_("More than %(max)d questions in one file."), max=MAX_QUESTIONS)
            self.too_many = True
            return
        choices = [(letter, text) for letter, text, _line in block.choices]
        multiple = len(right) > 1
        definition = {"id": self.ids.make(slug(text)), "type": "multiple" if multiple else "single",
                      "text": text, "options": choice_options(choices, right, multiple)}
        self.entries.append(AikenEntry(definition, block.line))


def _next_letter(block: _Block) -> str:
    last = block.choices[-1][0]
    return chr(ord(last) + 1) if last < "Z" else "Z"


def looks_like_aiken(text: str) -> bool:
    """A .txt upload is Aiken (not GIFT) when it has ANSWER lines and no GIFT answer block."""
    return "{" not in text and re.search(r"(?m)^[ \t]*(?:ANSWER|JAWABAN|KUNCI)[ \t]*:", text) is not None
