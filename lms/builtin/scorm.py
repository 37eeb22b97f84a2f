"""SCORM 1.2 lessons: the ``scorm`` lesson type, registered through the public hook.

A lesson names a folder of the package holding a SCORM 1.2 package (``path``) and, for a
manifest with several SCOs, which item it runs (``item``; default: the first launchable
item of the default organization). The import checks the manifest and its files
(``check_files``); what the runtime needs (launch file, mastery score, data from the LMS)
is read from the stored, immutable manifest at launch (lms.services.scorm).
"""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.lessons import Completion, LessonType, PreparedLesson
from lms.scorm.files import folder_of
from lms.scorm.manifest import MANIFEST, read_manifest

lms_api = LMS_PLUGIN_API

MAX_ITEM = 255
MAX_DESCRIPTION = 2000


class ScormLesson(LessonType):
    key = "scorm"
    label = _l("SCORM 1.2 package")
    completion = Completion.CONTENT
    needs_files = True

    def validate(self, entry):
        problems = []
        path = entry.get("path")
        if not isinstance(path, str) or not path.strip():
            problems.append("path: required (the package folder holding imsmanifest.xml, e.g. assets/scorm/modul-1)")
        elif folder_of(path) is None:
            problems.append("path: must be a plain relative folder under assets/ (no '..', empty parts or backslashes)")
        item = entry.get("item")
        if item is not None and (not isinstance(item, str) or not item.strip() or len(item) > MAX_ITEM):
            problems.append(f"item: must be an item identifier of imsmanifest.xml (at most {MAX_ITEM} characters)")
        description = entry.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
            problems.append(f"description: must be text of at most {MAX_DESCRIPTION} characters")
        return problems

    def check_files(self, entry, files):
        folder = folder_of(entry.get("path"))
        manifest = f"{folder}/{MANIFEST}"
        if manifest not in files:
            return [f"path: {folder} holds no {MANIFEST} (the SCORM package's files go in that folder)"]
        package, problems = read_manifest(files[manifest], files, base=folder + "/", file=manifest)
        if package is None:
            return problems
        item = (entry.get("item") or "").strip()
        if item and package.sco(item) is None:
            known = ", ".join(s.identifier for s in package.scos[:20])
            return [f"item: {manifest} has no launchable item {item!r} (launchable: {known})"]
        return []

    def prepare(self, entry, body):
        data = {"path": folder_of(entry["path"])}
        for name in ("item", "description"):
            value = (entry.get(name) or "").strip()
            if value:
                data[name] = value
        return PreparedLesson(data=data)

    def render(self, lesson):
        # bandit B704: an autoescaped template
        return Markup(render_template(  # nosec B704
            "scorm/player.html", lesson=lesson, version=lesson.version, slug=lesson.version.course.slug))


@hookimpl
def register_lesson_types():
    return [ScormLesson()]
