"""Turn a bare SCORM 1.2 zip (imsmanifest.xml at its root, no course.yaml) into a
lms-course/1 package, so it is checked and imported like any other package.

The course gets a slug and title from the default organization, a summary from the
manifest's metadata, one section with one ``scorm`` lesson per launchable item (all
sharing the content under ``assets/scorm/<slug>/``), and a default JP from the metadata's
typical learning time (one JP is 45 minutes; 1 when unknown) that the author then edits.
"""
from __future__ import annotations

import math
import re
import unicodedata

import yaml

from lms.packages.manifest import FORMAT, LESSON_ID, SLUG, Problem
from lms.scorm.manifest import MANIFEST, read_manifest

#: Minutes in one jam pelajaran.
JP_MINUTES = 45


def is_scorm_zip(present: set[str]) -> bool:
    """A package without course.yaml whose manifest sits at the root (or in one folder)."""
    return "course.yaml" not in present and _prefix(present) is not None


def _prefix(present: set[str]) -> str | None:
    if MANIFEST in present:
        return ""
    tops = {name.split("/", 1)[0] for name in present}
    if len(tops) == 1 and all("/" in n for n in present):
        prefix = tops.pop() + "/"
        if prefix + MANIFEST in present and prefix + "course.yaml" not in present:
            return prefix
    return None


def convert(files: dict[str, bytes], filename: str = "package.zip") -> tuple[dict[str, bytes] | None, list[Problem]]:
    """The files of an lms-course/1 package made from a SCORM zip's files, or the problems."""
    prefix = _prefix(set(files)) or ""
    inner = {name[len(prefix):]: data for name, data in files.items() if name.startswith(prefix)}
    package, problems = read_manifest(inner[MANIFEST], set(inner), file=MANIFEST)
    if package is None:
        return None, problems
    slug = slugify(package.title or package.identifier or filename.rsplit(".", 1)[0]) or "kursus-scorm"
    folder = f"assets/scorm/{slug}"
    lessons, taken = [], set()
    for sco in package.scos:
        lesson_id = _unique(slugify(sco.identifier, max_length=80) or "sco", taken)
        lessons.append({"id": lesson_id, "title": sco.title, "type": "scorm", "path": folder,
                        "item": sco.identifier})
    manifest = {
        "format": FORMAT, "slug": slug, "title": (package.title or slug)[:200],
        "language": package.language if package.language in ("id", "en") else "id",
        "jp": jp_for(package.learning_minutes), "competency": "teknis",
        "summary": package.description,
        "sections": [{"title": (package.title or slug)[:200], "lessons": lessons}],
    }
    converted = {"course.yaml": yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False).encode("utf-8")}
    converted.update({f"{folder}/{name}": data for name, data in inner.items()})
    return converted, []


def jp_for(minutes: int | None) -> int:
    return min(200, max(1, math.ceil(minutes / JP_MINUTES))) if minutes else 1


def slugify(text: str, max_length: int = 120) -> str:
    """Lowercase ASCII letters, digits and hyphens, as slugs and lesson ids need."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")
    return slug if SLUG.match(slug) and LESSON_ID.match(slug[:80]) else ""


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base[:80], 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = base[:80 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate
