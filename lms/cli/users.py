"""Users in bulk: import from CSV."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.cli import fail


@click.command("import-users")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and list the problems; write nothing.")
@click.option("--unit-default", metavar="CODE", default=None,
              help="Unit for rows whose unit code is empty.")
@click.option("--passwords", "passwords_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write the temporary passwords (default: "
              "<CSV name>-passwords.csv next to the file); must not exist yet.")
@with_appcontext
def import_users(csv_file: Path, dry_run: bool, unit_default: str | None,
                 passwords_path: Path | None) -> None:
    """Create learner accounts from a CSV file: every row or none.

    Columns (header row): nip, nama, email, kode_unit, jabatan, golongan (English names
    also work). Each account gets a temporary password, written once to the passwords
    file, that the person must change at first sign-in.
    """
    from lms.services import user_import

    with csv_file.open("rb") as fh:
        data = fh.read(user_import.max_bytes() + 1)
    if dry_run:
        plan = user_import.check(data, unit_default=unit_default)
        _refuse_if_problems(plan.problems, csv_file)
        click.echo(f"{len(plan.rows)} row(s) OK in {csv_file.name}; nothing written (dry run)")
        return
    target = passwords_path or csv_file.with_name(f"{csv_file.stem}-passwords.csv")
    out = _open_new(target)
    try:
        created, plan = user_import.run(data, unit_default=unit_default, source=csv_file.name)
    except user_import.ImportRefused as exc:
        _discard(out, target)
        _refuse_if_problems(exc.problems, csv_file)
    except BaseException:
        _discard(out, target)
        raise
    with os.fdopen(out, "w", encoding="utf-8", newline="") as fh:
        fh.write(user_import.credentials_csv(created, plan.delimiter))
    click.echo(f"{len(created)} account(s) created; temporary passwords in {target} "
               "(hand each person theirs, then delete the file)")


def _refuse_if_problems(problems, csv_file: Path) -> None:
    """List every problem on stderr, then stop with one summary line (exit code 1)."""
    if not problems:
        return
    for problem in problems[1:]:
        click.echo(_line(problem), err=True)
    fail(f"{csv_file.name}: {len(problems)} problem(s), nothing imported; {_line(problems[0])}")


def _line(problem) -> str:
    where = f"line {problem.line}" if problem.line else "file"
    return f"{where}{', ' + problem.column if problem.column else ''}: {problem.english()}"


def _open_new(path: Path) -> int:
    """Create the passwords file readable by its owner only; refuse to overwrite one."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{path} already exists; move it away or choose another file with --passwords")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")


def _discard(fd: int, path: Path) -> None:
    os.close(fd)
    path.unlink(missing_ok=True)


COMMANDS: list = [import_users]
