"""Curricula: course packages plugins ship, installed and upgraded on an admin's command.

Installing is idempotent. Each installed version remembers the digest of the package it came
from, so an unchanged package is skipped, and a changed one becomes the course's next
version; learners keep progress on every lesson id that survives, as with any new version.
Every package is validated like an upload and imported in its own transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from lms.database import db
from lms.models import Course, CourseVersion, VersionStatus
from lms.packages.archive import read_package
from lms.packages.directory import read_assets, read_directory
from lms.services import courses
from lms.services.courses import PackageInvalid


@dataclass(frozen=True)
class Package:
    """One package a plugin contributes."""

    plugin: str
    path: Path


@dataclass(frozen=True)
class Outcome:
    """What installing one package did: installed, unchanged or refused (with why)."""

    package: Package
    state: str
    slug: str = ""
    number: int | None = None
    problems: tuple[str, ...] = ()


class CurriculaError(Exception):
    """A plugin's register_curricula failed; the message names the plugin."""


def available(plugin: str | None = None) -> list[Package]:
    """Packages of the enabled plugins (or of one), in plugin then path order."""
    host = current_app.extensions["lms"]
    found = []
    for impl in reversed(host.pm.hook.register_curricula.get_hookimpls()):
        if plugin is not None and impl.plugin_name != plugin:
            continue
        try:  # called at the administrator's request: say which plugin failed, refuse nothing
            paths = impl.function()
        except Exception as exc:
            raise CurriculaError(f"plugin {impl.plugin_name!r} failed in register_curricula: "
                                 f"{type(exc).__name__}: {exc}") from exc
        found += [Package(impl.plugin_name, Path(p)) for p in paths or []]
    return sorted(found, key=lambda p: (p.plugin, str(p.path)))


def install_all(plugin: str | None = None, publish: bool = True) -> list[Outcome]:
    """Install or upgrade every contributed package; one failure does not stop the others."""
    return [install(package, publish=publish) for package in available(plugin)]


def install(package: Package, publish: bool = True) -> Outcome:
    """Install one package as its course's next version, unless it is already installed."""
    digest = package_digest(package.path)
    spec, bodies, assets, problems = _read(package.path)
    if problems:
        return Outcome(package, "refused", problems=tuple(str(p) for p in problems))
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is not None:
        installed = _installed_number(course, digest)
        if installed is not None:
            return Outcome(package, "unchanged", spec.slug, installed)
        if _has_draft(course):
            return Outcome(package, "refused", spec.slug, problems=(
                f"{spec.slug}: an author's draft is waiting; publish or discard it, then install again",))
    try:
        version = courses.import_version(spec, bodies, assets, package_digest=digest)
    except PackageInvalid as exc:
        return Outcome(package, "refused", spec.slug, problems=tuple(str(p) for p in exc.problems))
    if publish:
        courses.publish(version)
    return Outcome(package, "installed", spec.slug, version.number)


def package_digest(path: Path) -> str:
    """SHA-256 over the package's files (names and bytes, sorted): its identity."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        name = file.relative_to(path).as_posix()
        if name.startswith(".") or "/." in name or "__pycache__" in name:
            continue
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _read(path: Path):
    """(spec, bodies, assets, problems) of a package folder or zip."""
    if path.is_dir():
        spec, bodies, problems = read_directory(path)
        assets, asset_problems = read_assets(path)
        return spec, bodies, assets, problems + asset_problems
    if not path.is_file():
        from lms.packages.manifest import Problem

        return None, {}, {}, [Problem(str(path), "", "no such package file or folder")]
    package, problems = read_package(path.read_bytes(), file=path.name)
    if package is None:
        return None, {}, {}, problems
    return package.spec, package.bodies, package.assets, problems


def _installed_number(course: Course, digest: str) -> int | None:
    """The number of the version installed from this exact package, if any."""
    return db.session.scalar(select(CourseVersion.number).where(
        CourseVersion.course_id == course.id, CourseVersion.package_digest == digest)
        .order_by(CourseVersion.number.desc()).limit(1))


def _has_draft(course: Course) -> bool:
    return db.session.scalar(select(CourseVersion.id).where(
        CourseVersion.course_id == course.id, CourseVersion.status == VersionStatus.DRAFT).limit(1)) is not None
