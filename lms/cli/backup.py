"""Backups from the shell: `flask lms backup FILE` and `flask lms restore FILE [--force]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from lms.cli import fail


def _size(n: float) -> str:
    """Bytes for people: 512 B, 3.2 MiB."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it already exists.")
def backup(file: Path, force: bool) -> None:
    """Write the database and the stored files to FILE (a signed zip)."""
    from lms.services.backup import BackupRefused, create_backup

    try:
        summary = create_backup(file, overwrite=force)
    except BackupRefused as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror or exc}")
    except SQLAlchemyError as exc:
        fail(f"backup failed, no file written: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    click.echo(f"backup written to {file}: {summary.rows} rows in {len(summary.tables)} tables, "
               f"{summary.files} files ({_size(summary.file_bytes)})")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the rows and files already there (default: the target must be empty).")
def restore(file: Path, force: bool) -> None:
    """Restore a backup made by `flask lms backup`; needs the same LMS_BACKUP_KEY/SECRET_KEY."""
    from lms.services.backup import BackupRefused, restore_backup

    try:
        summary = restore_backup(file, force=force)
    except BackupRefused as exc:
        fail(f"restore refused, nothing written: {exc}")
    except OSError as exc:
        fail(f"restore failed, nothing written: {exc.strerror or exc}")
    except SQLAlchemyError as exc:
        fail(f"restore failed, nothing written: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    click.echo(f"restored {summary.rows} rows in {len(summary.tables)} tables and "
               f"{summary.files} files ({_size(summary.file_bytes)}) from {file}")


COMMANDS = [backup, restore]
