"""Experiential learning: its kinds and the rules converting what was done into JP.

Coaching, mentoring, an internship (magang), a community of practice, external training or a
seminar is recorded by the learner with a raw *measure* in the rule's unit (session hours,
days, meetings attended, or the JP printed on a certificate). The JP credited is

    jp = floor(measure x jp_per_unit), then at most ``max_per_entry``,
         then at most what is left of ``max_per_year`` for this kind in the entry's year

so the rule, not the learner, decides the credit. The defaults below follow the usual
"1 JP = 45 minutes" convention; an agency changes any of them with the setting
``EXPERIENTIAL_JP_RULES`` (``LMS_EXPERIENTIAL_JP_RULES`` as JSON), a dict
``{kind: {field: value}}`` merged over the defaults, e.g.
``{"magang": {"jp_per_unit": "4", "max_per_year": 40}, "seminar": {"enabled": false}}``.
``jp_per_unit`` accepts a number or a fraction string ("4/3"). The page /jp/rules shows the
rules in force (docs/experiential-learning.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from flask import current_app
from flask_babel import lazy_gettext as _l

from lms.errors import LmsError

#: The units a measure can be in, with the label shown next to the number.
UNITS = {"hour": _l("hours"), "day": _l("days"), "meeting": _l("meetings"), "jp": _l("JP")}
#: Largest measure accepted for one entry (a typo guard, not a rule).
MAX_MEASURE = Decimal(1000)


class RuleError(LmsError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Rule:
    """How one kind of experiential learning becomes JP."""

    kind: str
    label: str
    unit: str
    jp_per_unit: Fraction
    max_per_entry: int | None = None
    max_per_year: int | None = None
    enabled: bool = True

    @property
    def unit_label(self) -> str:
        return str(UNITS[self.unit])

    def convert(self, measure: Decimal) -> int:
        """JP for this measure before the yearly cap: floored, then capped per entry."""
        jp = math.floor(Fraction(measure) * self.jp_per_unit)
        return jp if self.max_per_entry is None else min(jp, self.max_per_entry)


#: Kind of course credits (the ledger's source "course"); never recorded by hand.
COURSE = "course"
#: Kind given to external training recorded before kinds existed (and by the old API).
EXTERNAL_TRAINING = "pelatihan"

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("pelatihan", _l("External training"), "jp", Fraction(1), max_per_entry=200),
    Rule("seminar", _l("Seminar or workshop"), "hour", Fraction(4, 3), max_per_entry=8, max_per_year=24),
    Rule("coaching", _l("Coaching"), "hour", Fraction(4, 3), max_per_entry=10, max_per_year=20),
    Rule("mentoring", _l("Mentoring"), "hour", Fraction(4, 3), max_per_entry=10, max_per_year=20),
    Rule("magang", _l("Internship (magang)"), "day", Fraction(5), max_per_entry=60, max_per_year=60),
    Rule("komunitas", _l("Community of practice"), "meeting", Fraction(2), max_per_entry=10, max_per_year=12),
)


def _fraction(value) -> Fraction:
    try:
        result = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise RuleError(f"jp_per_unit {value!r} is not a number or fraction") from None
    if result <= 0:
        raise RuleError(f"jp_per_unit {value!r} must be positive")
    return result


def _limit(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or int(value) != value or int(value) < 1:
        raise RuleError(f"limit {value!r} must be a whole number >= 1 or null")
    return int(value)


def build_rules(overrides: dict | None) -> dict[str, Rule]:
    """The defaults with the configured overrides applied; a wrong override raises
    RuleError naming it (checked at startup, so a typo never reaches a learner)."""
    rules = {rule.kind: rule for rule in DEFAULT_RULES}
    for kind, fields in (overrides or {}).items():
        if kind not in rules:
            raise RuleError(f"EXPERIENTIAL_JP_RULES: unknown kind {kind!r} (known: {', '.join(rules)})")
        if not isinstance(fields, dict):
            raise RuleError(f"EXPERIENTIAL_JP_RULES[{kind!r}] must be a dict")
        unknown = set(fields) - {"jp_per_unit", "max_per_entry", "max_per_year", "enabled", "unit"}
        if unknown:
            raise RuleError(f"EXPERIENTIAL_JP_RULES[{kind!r}]: unknown field(s) {', '.join(sorted(unknown))}")
        changes: dict = {}
        if "jp_per_unit" in fields:
            changes["jp_per_unit"] = _fraction(fields["jp_per_unit"])
        for name in ("max_per_entry", "max_per_year"):
            if name in fields:
                changes[name] = _limit(fields[name])
        if "enabled" in fields:
            changes["enabled"] = bool(fields["enabled"])
        if "unit" in fields:
            if fields["unit"] not in UNITS:
                raise RuleError(f"EXPERIENTIAL_JP_RULES[{kind!r}]: unit must be one of {', '.join(UNITS)}")
            changes["unit"] = fields["unit"]
        rules[kind] = replace(rules[kind], **changes)
    return rules


def rules() -> dict[str, Rule]:
    """Every rule in force (enabled or not), by kind, in display order."""
    return build_rules(current_app.config.get("EXPERIENTIAL_JP_RULES"))


def enabled_rules() -> list[Rule]:
    return [rule for rule in rules().values() if rule.enabled]


def rule_for(kind: str) -> Rule:
    """The enabled rule of `kind`; RuleError for an unknown or switched-off kind."""
    rule = rules().get(kind)
    if rule is None or not rule.enabled:
        raise RuleError(_l("Unknown kind of learning."))
    return rule


def kind_label(kind: str) -> str:
    """Label of a ledger entry's kind for tables and exports (course credits included)."""
    if not kind or kind == COURSE:
        return str(_l("Course"))
    rule = rules().get(kind)
    return str(rule.label) if rule else kind


def credit(rule: Rule, measure: Decimal, used_this_year: int) -> int:
    """JP an entry earns: the rule's conversion, then what the yearly cap leaves
    (`used_this_year`: JP of this kind already approved or waiting, other entries)."""
    if not Decimal(0) < measure <= MAX_MEASURE:
        raise RuleError(_l("The amount must be more than 0 and at most %(max)d.", max=int(MAX_MEASURE)))
    jp = rule.convert(measure)
    if rule.max_per_year is not None:
        left = max(0, rule.max_per_year - used_this_year)
        if left == 0:
            raise RuleError(_l("The yearly limit of %(cap)d JP for %(kind)s is reached.",
                               cap=rule.max_per_year, kind=rule.label))
        jp = min(jp, left)
    if jp < 1:
        raise RuleError(_l("This is less than 1 JP under the rule for %(kind)s.", kind=rule.label))
    return jp


def validate_config(app) -> None:
    """Fail the start on a wrong EXPERIENTIAL_JP_RULES setting."""
    build_rules(app.config.get("EXPERIENTIAL_JP_RULES"))
