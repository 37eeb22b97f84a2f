"""Importing ASN accounts from a CSV file: check every row first, then all or nothing.

The file has a header row naming its columns, in Indonesian or English (see COLUMNS), and
is UTF-8 with or without a byte-order mark, separated by commas, semicolons or tabs (what
the header uses). ``check`` lists every problem with its line number without writing;
``run`` checks again and, only when nothing is wrong, creates every account in one
transaction: learners with a generated temporary password each, which they must replace at
first sign-in. The passwords come back once (``credentials_csv``) and are stored only hashed.

Speed: 10,000 rows are read with a handful of queries (units, then existing NIPs and emails
in chunks) and written with two executemany INSERTs (accounts, audit entries). A slow KDF
would take minutes for 10,000 passwords; generated passwords are random enough for a fast
salted hash (see lms.services.accounts.TEMPORARY_HASH_ITERATIONS).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.asn import InvalidNIP, normalise_nip, parse_nip
from lms.database import db
from lms.errors import LmsError
from lms.i18n import N_, Message
from lms.models import Role, Unit, User
from lms.models.audit import AuditEntry
from lms.reports.csv_cells import safe_row
from lms.services import accounts, audit, orgs
from lms.services.user_admin import email_problem, is_admin, normalise_golongan
from lms.storage import storage

#: Largest file accepted (bytes) unless the USER_IMPORT_MAX_BYTES setting says otherwise.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Column -> the header names accepted for it (compared lower-cased, spaces and dashes as "_").
COLUMNS = {
    "nip": ("nip",),
    "name": ("nama", "name", "nama_lengkap", "full_name"),
    "email": ("email", "e_mail", "surel"),
    "unit": ("kode_unit", "unit_code", "unit", "kode_opd"),
    "jabatan": ("jabatan", "position", "job_title"),
    "golongan": ("golongan", "gol", "golongan_ruang", "grade"),
    "supervisor": ("atasan_nip", "nip_atasan", "atasan", "supervisor_nip", "supervisor"),
    #: A position of the competency catalogue (docs/competencies.md), by its code.
    "position_code": ("kode_jabatan", "position_code"),
}
REQUIRED = ("nip", "name", "email")
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_ORDER = {column: n for n, column in enumerate(COLUMNS)}
#: What a spreadsheet makes of an 18-digit NIP kept as a number: 1.98503E+17.
_SCIENTIFIC = re.compile(r"^\d[.,]\d+E\+?\d+$", re.IGNORECASE)
#: NIPs and emails looked up per query (well under every database's parameter limit).
CHUNK = 2000


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: line 0 is the file as a whole, line 1 the header."""

    line: int
    column: str
    message: str  # an untranslated msgid (or lms.i18n.Message)

    def english(self) -> str:
        """The message in English with its parameters (command line output)."""
        params = getattr(self.message, "params", None)
        return str(self.message) % params if params else str(self.message)


@dataclass
class Row:
    line: int
    nip: str
    name: str
    email: str
    unit_code: str
    jabatan: str
    golongan: str
    unit: Unit | None = None
    #: NIP of the direct supervisor (atasan): an existing account or another row of the file.
    supervisor: str = ""
    position_code: str = ""
    position_id: int | None = None


@dataclass
class Plan:
    """The outcome of checking a file: its rows and every problem found."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: Column -> the header the file used for it, so problems name columns as the file does.
    headers: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Created:
    """One imported account and its temporary password (handed out once, never stored)."""

    nip: str
    name: str
    email: str
    unit_code: str
    password: str


class ImportRefused(LmsError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s): {problems[0].english()}")
        self.problems = problems


def max_bytes() -> int:
    return int(current_app.config.get("USER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_size_text() -> str:
    """The size limit for people: "5 MB", or "100 KB" below a megabyte."""
    size = max_bytes()
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


# ---------------------------------------------------------------------------- reading


def read(data: bytes) -> Plan:
    """Decode and split the file into rows; problems of form only (no database)."""
    plan = Plan()
    if len(data) > max_bytes():
        plan.problems.append(Problem(0, "", Message(N_("The file is larger than %(size)s."),
                                                    size=max_size_text())))
        return plan
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        plan.problems.append(Problem(0, "", N_("The file is not UTF-8 text: in the spreadsheet, "
                                               "save it as \"CSV UTF-8\".")))
        return plan
    if not text.strip():
        plan.problems.append(Problem(0, "", N_("The file is empty.")))
        return plan
    if "\x00" in text:  # no cell means anything by one, and PostgreSQL cannot even compare it
        plan.problems.append(Problem(text.count("\n", 0, text.index("\x00")) + 1, "", N_(
            "The file contains a NUL character: is it a spreadsheet saved as CSV text?")))
        return plan
    plan.delimiter = _delimiter(text.split("\n", 1)[0])
    try:
        _read_records(csv.reader(io.StringIO(text, newline=""), delimiter=plan.delimiter), plan)
    except csv.Error as exc:
        plan.problems.append(Problem(0, "", Message(N_("The file is not valid CSV: %(error)s"),
                                                    error=str(exc))))
    return plan


def _delimiter(header: str) -> str:
    """The separator the header uses most: comma, semicolon (Excel in Indonesian) or tab."""
    return max(",;\t", key=header.count)


def _read_records(reader, plan: Plan) -> None:
    header = next(reader)
    columns = _header_columns(header, plan)
    if plan.problems:
        return
    line = reader.line_num
    for record in reader:
        first, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines spreadsheets leave at the end
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            plan.problems.append(Problem(first, "", Message(
                N_("This row has %(cells)d cells but the header has %(columns)d: is there an "
                   "unquoted separator inside a value?"), cells=len(record), columns=len(header))))
            continue
        cells = {name: record[i].strip() if i < len(record) else "" for name, i in columns.items()}
        plan.rows.append(Row(first, cells.get("nip", ""), cells.get("name", ""), cells.get("email", ""),
                             cells.get("unit", ""), cells.get("jabatan", ""), cells.get("golongan", ""),
                             supervisor=cells.get("supervisor", ""),
                             position_code=cells.get("position_code", "")))


def _header_columns(header: list[str], plan: Plan) -> dict[str, int]:
    """Map each known column to its index; header problems go to plan.problems (line 1)."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
        column = _ALIASES.get(key)
        if column is None:
            if raw.strip():
                plan.ignored_columns.append(raw.strip())
        elif column in columns:
            plan.problems.append(Problem(1, raw.strip(), Message(
                N_("The column %(column)s appears twice."), column=raw.strip())))
        else:
            columns[column] = index
            plan.headers[column] = raw.strip()
    for column in REQUIRED:
        if column not in columns:
            plan.problems.append(Problem(1, COLUMNS[column][0], Message(
                N_("Missing column %(column)s (accepted names: %(names)s)."),
                column=COLUMNS[column][0], names=", ".join(COLUMNS[column]))))
    return columns


# ---------------------------------------------------------------------------- checking


def check(data: bytes, *, actor: User | None = None, unit_default: str | None = None) -> Plan:
    """Every problem of the file, by line, without writing: the dry run.

    `actor` None (the command line) may use every unit; a unit admin only their subtree.
    """
    plan = read(data)
    if plan.problems:
        return plan
    units = orgs.by_code()
    default = _default_unit(units, unit_default, actor, plan)
    if not plan.rows and not plan.problems:
        plan.problems.append(Problem(0, "", N_("The file has a header but no rows to import.")))
    taken_nips, taken_emails = _taken({r.nip for r in plan.rows}, {r.email.lower() for r in plan.rows})
    first_nip: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for row in plan.rows:
        row.nip = row.nip if _SCIENTIFIC.match(row.nip) else _clean_nip(row.nip)
        row.supervisor = _clean_nip(row.supervisor)
    supervisors = _existing_supervisors({r.supervisor for r in plan.rows} - {""})
    in_file = {r.nip: r for r in plan.rows}
    positions = _positions({r.position_code for r in plan.rows} - {""})
    for row in plan.rows:
        row.email = row.email.lower()
        found = _row_problems(row, units, default, actor, bool(unit_default))
        found += _position_problems(row, positions)
        found += _duplicates(row, first_nip, first_email, taken_nips, taken_emails)
        found += _supervisor_problems(row, supervisors, in_file, actor)
        found.sort(key=lambda item: _ORDER[item[0]])  # in column order, as the file reads
        plan.problems += [Problem(row.line, plan.headers.get(column, COLUMNS[column][0]), message)
                          for column, message in found]
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _positions(codes: set[str]) -> dict[str, int]:
    """{lower-cased code: id} of the positions the file names (one query)."""
    from sqlalchemy import func

    from lms.models import Position

    if not codes:
        return {}
    lowered = {code.lower() for code in codes}
    return {code.lower(): pid for pid, code in db.session.execute(
        select(Position.id, Position.code).where(func.lower(Position.code).in_(lowered)))}


def _position_problems(row: Row, positions: dict[str, int]) -> list[tuple[str, str]]:
    if not row.position_code:
        return []
    row.position_id = positions.get(row.position_code.lower())
    if row.position_id is None:
        return [("position_code", Message(N_("No position has the code %(code)s."), code=row.position_code))]
    return []


def _existing_supervisors(nips: set[str]) -> dict[str, User]:
    """Active accounts the file names as supervisors, by NIP, with their units (chunked)."""
    nips_sorted = sorted(nips)
    found: dict[str, User] = {}
    for start in range(0, len(nips_sorted), CHUNK):
        found.update((u.nip, u) for u in db.session.scalars(
            select(User).options(joinedload(User.unit))
            .where(User.nip.in_(nips_sorted[start:start + CHUNK]), User.active.is_(True))))
    return found


def _supervisor_problems(row: Row, existing: dict[str, User], in_file: dict[str, Row],
                         actor: User | None) -> list[tuple[str, str]]:
    """The supervisor must be an active account the importer may see, or a row of the file,
    never the person, and rows of the file must not supervise each other in a loop."""
    nip = row.supervisor
    if not nip:
        return []
    if nip == row.nip:
        return [("supervisor", N_("A person cannot be their own supervisor."))]
    boss = existing.get(nip)
    if boss is not None:
        if actor is None or is_admin(actor) or (boss.unit is not None and actor.unit is not None and (
                orgs.is_within(boss.unit, actor.unit) or actor.unit.path.startswith(boss.unit.path))):
            return []
    elif nip in in_file:
        seen, current = {row.nip}, in_file[nip]
        while True:
            if current.nip in seen:
                return [("supervisor", N_("The supervisors in the file form a loop."))]
            seen.add(current.nip)
            if current.supervisor not in in_file:
                break
            current = in_file[current.supervisor]
        return []
    return [("supervisor", Message(N_("No active account or row of the file has the supervisor "
                                      "NIP %(nip)s."), nip=nip))]


def _default_unit(units: dict[str, Unit], code: str | None, actor: User | None, plan: Plan) -> Unit | None:
    if not code:
        return None
    unit = units.get(code.strip().upper())
    if unit is None:
        plan.problems.append(Problem(0, "unit", Message(N_("Unknown default unit %(code)s."),
                                                        code=code.strip().upper())))
    elif not _allowed(unit, actor):
        plan.problems.append(Problem(0, "unit", N_("The default unit is outside your units.")))
        return None
    return unit


def _allowed(unit: Unit, actor: User | None) -> bool:
    return actor is None or is_admin(actor) or orgs.is_within(unit, actor.unit)


def _clean_nip(raw: str) -> str:
    """Drop the apostrophe spreadsheets use to keep a number as text, and spaces or dots."""
    return normalise_nip(raw.lstrip("'"))


def _taken(nips: set[str], emails: set[str]) -> tuple[set[str], set[str]]:
    """NIPs and emails of the file that accounts already use, in a few chunked queries."""
    nips = {_clean_nip(n) for n in nips if n}
    return (_existing(User.nip, nips), _existing(User.email, emails - {""}))


def _existing(column, values: set[str]) -> set[str]:
    values = sorted(values)
    found: set[str] = set()
    for start in range(0, len(values), CHUNK):
        found.update(db.session.scalars(select(column).where(column.in_(values[start:start + CHUNK]))))
    return found


def _row_problems(row: Row, units: dict[str, Unit], default: Unit | None, actor: User | None,
                  default_given: bool) -> list[tuple[str, str]]:
    """(column, message) for each field of one row that breaks a rule."""
    found = []
    if not row.nip:
        found.append(("nip", N_("NIP is required.")))
    elif _SCIENTIFIC.match(row.nip):
        found.append(("nip", N_("A spreadsheet turned this NIP into a number: format the NIP "
                                "column as text and save the file again.")))
    else:
        try:
            parse_nip(row.nip)
        except InvalidNIP as exc:
            found.append(("nip", exc.message))
    if not row.name:
        found.append(("name", N_("Name is required.")))
    elif len(row.name) > 200:
        found.append(("name", N_("The name is too long (200 characters at most).")))
    if weak := email_problem(row.email):
        found.append(("email", weak))
    found += _unit_problems(row, units, default, actor, default_given)
    if len(row.jabatan) > 200:
        found.append(("jabatan", N_("The position is too long (200 characters at most).")))
    try:
        row.golongan = normalise_golongan(row.golongan) or ""
    except KeyError:
        found.append(("golongan", Message(N_("Unknown golongan %(value)s."), value=row.golongan)))
    return found


def _unit_problems(row: Row, units: dict[str, Unit], default: Unit | None, actor: User | None,
                   default_given: bool) -> list[tuple[str, str]]:
    code = row.unit_code.strip().upper()
    if not code:
        if default is None:  # a bad default unit is reported once, for the whole file
            return [] if default_given else [
                ("unit", N_("Unit code is required (or choose a default unit)."))]
        row.unit, row.unit_code = default, default.code
        return []
    row.unit_code = code
    row.unit = units.get(code)
    if row.unit is None:
        return [("unit", Message(N_("Unknown unit code %(code)s."), code=code))]
    if not _allowed(row.unit, actor):
        return [("unit", Message(N_("Unit %(code)s is outside your units."), code=code))]
    return []


def _duplicates(row: Row, first_nip: dict[str, int], first_email: dict[str, int],
                taken_nips: set[str], taken_emails: set[str]) -> list[tuple[str, str]]:
    found = []
    for column, value, first, taken in (("nip", row.nip, first_nip, taken_nips),
                                        ("email", row.email, first_email, taken_emails)):
        if not value:
            continue
        if value in first:
            found.append((column, Message(N_("Same value as line %(line)d."), line=first[value])))
        else:
            first[value] = row.line
        if value in taken:
            found.append((column, N_("An account with this NIP already exists.") if column == "nip"
                          else N_("An account with this email already exists.")))
    return found


# ---------------------------------------------------------------------------- the checked file


def _stash_name(actor_id: int) -> str:
    return f"user-imports/{actor_id}.csv"


def stash(actor: User, data: bytes) -> str:
    """Keep the file an admin just checked (one per admin) until they confirm; returns its digest.

    In storage, not memory or the session, so any worker can finish the import.
    """
    storage().write(_stash_name(actor.id), data)
    return hashlib.sha256(data).hexdigest()


def unstash(actor: User, digest: str) -> bytes | None:
    """The checked file if it is still the one with `digest` (the admin's preview), else None."""
    name = _stash_name(actor.id)
    if not digest or not storage().exists(name):
        return None
    data = storage().read(name)
    return data if hmac.compare_digest(hashlib.sha256(data).hexdigest(), digest) else None


def drop_stash(actor: User) -> None:
    """Forget the checked file (it holds personal data) once imported."""
    storage().delete(_stash_name(actor.id))


# ---------------------------------------------------------------------------- writing


def run(data: bytes, *, actor: User | None = None, unit_default: str | None = None,
        source: str = "") -> tuple[list[Created], Plan]:
    """Check the file and, only if it has no problem, create every account in one transaction.

    Raises ImportRefused (nothing written) when any row has a problem.
    """
    plan = check(data, actor=actor, unit_default=unit_default)
    if plan.problems:
        raise ImportRefused(plan.problems)
    passwords = [accounts.generate_temporary_password() for _ in plan.rows]
    try:
        ids = _insert_users(plan.rows, passwords)
        _link_supervisors(plan.rows, ids)
        _insert_audit(actor, plan.rows, ids, source)
        db.session.commit()
    except IntegrityError:  # another request took a NIP or email since the check
        db.session.rollback()
        raise ImportRefused([Problem(0, "", N_("Some NIPs or emails were taken while importing; "
                                               "nothing was written. Check the file again."))]) from None
    _announce(ids)
    created = [Created(r.nip, r.name, r.email, r.unit_code, p) for r, p in zip(plan.rows, passwords)]
    return created, plan


def _insert_users(rows: list[Row], passwords: list[str]) -> list[int]:
    """One executemany INSERT (Core, no RETURNING: several times faster on PostgreSQL),
    then the new ids read back by email in a few chunked queries, in the rows' order."""
    values = [{"name": r.name, "email": r.email, "nip": r.nip, "role": Role.LEARNER,
               "unit_id": r.unit.id, "jabatan": r.jabatan or None, "golongan": r.golongan or None,
               "position_id": r.position_id,
               "password_hash": accounts.hash_temporary_password(p), "active": True,
               "must_change_password": True}
              for r, p in zip(rows, passwords)]
    db.session.execute(insert(User.__table__), values)
    emails = [r.email for r in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(emails), CHUNK):
        ids.update((email, user_id) for user_id, email in db.session.execute(
            select(User.id, User.email).where(User.email.in_(emails[start:start + CHUNK]))))
    return [ids[email] for email in emails]


def _link_supervisors(rows: list[Row], ids: list[int]) -> None:
    """Set supervisor_id once every row exists, so a row may name a later row as its atasan."""
    wanted = [(i, r.supervisor) for r, i in zip(rows, ids) if r.supervisor]
    if not wanted:
        return
    by_nip = {r.nip: i for r, i in zip(rows, ids)}
    missing = {nip for _, nip in wanted if nip not in by_nip}
    by_nip.update((u.nip, u.id) for u in _existing_supervisors(missing).values())
    db.session.execute(update(User.__table__).where(User.__table__.c.id == bindparam("uid"))
                       .values(supervisor_id=bindparam("sid")),
                       [{"uid": i, "sid": by_nip[nip]} for i, nip in wanted])


def _insert_audit(actor: User | None, rows: list[Row], ids: list[int], source: str) -> None:
    """One entry per account (so each person's history starts here) and one for the file."""
    actor_id = actor.id if actor is not None else None
    db.session.execute(insert(AuditEntry.__table__), [
        {"actor_id": actor_id, "action": "user.created", "target_type": "user", "target_id": str(i),
         "unit_path": r.unit.path, "details": {"email": r.email, "role": "learner", "source": "import"}}
        for r, i in zip(rows, ids)])
    audit.record(actor, "user.import", "file", source[:80], count=len(rows),
                 unit=actor.unit if actor is not None and not is_admin(actor) else None)


def _announce(ids: list[int]) -> None:
    """Fire user_registered for each new account, loading them only if a plugin listens."""
    host = current_app.extensions["lms"]
    if not host.pm.hook.user_registered.get_hookimpls():
        return
    for start in range(0, len(ids), CHUNK):
        for user in db.session.scalars(select(User).where(User.id.in_(ids[start:start + CHUNK]))):
            host.notify("user_registered", user=user)


def credentials_csv(created: list[Created], delimiter: str = ",") -> str:
    """The new accounts with their temporary passwords, to hand each person theirs.

    Same separator as the imported file (so the same spreadsheet opens it) and a byte-order
    mark so spreadsheets read names with diacritics as UTF-8. Names that look like formulas
    are written as text (CSV injection).
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["nip", "nama", "email", "kode_unit", "kata_sandi_sementara"])
    for c in created:
        writer.writerow(safe_row([c.nip, c.name, c.email, c.unit_code, c.password]))
    return out.getvalue()
