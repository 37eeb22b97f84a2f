"""Read an unpacked lms-course/1 package from a directory (bundled and demo curricula).

`read_directory` reads the manifest and the lesson and quiz files it names; `read_assets`
reads the assets/ folder with the same checks the zip reader applies to assets.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from lms.packages.archive import (OS_JUNK_FILES, Limits, _archive_kind, _name_problems, _size,
                                  package_asset_problems)
from lms.packages.manifest import CourseSpec, Problem, parse_manifest
from lms.scorm.files import manifest_entries, web_folders


def read_directory(root: Path) -> tuple[CourseSpec | None, dict[str, str], list[Problem]]:
    """Return the spec, the text of every lesson file it names, and all problems found."""
    manifest = root / "course.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, {}, [Problem("course.yaml", "", "missing")]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, {}, [Problem("course.yaml", "", f"not valid YAML: {exc}")]
    spec, problems = parse_manifest(data)
    if spec is None:
        return None, {}, problems
    bodies: dict[str, str] = {}
    named = [(lesson.file, "lesson", lesson.id) for lesson in spec.lessons() if lesson.file]
    named += [(quiz.file, "quiz", quiz.id) for quiz in spec.quizzes() if quiz.file]
    for file, kind, item_id in named:
        path = (root / file).resolve()
        if root.resolve() not in path.parents or not path.is_file():
            problems.append(Problem(file, "", f"missing (named by {kind} {item_id!r})"))
            continue
        bodies[file] = path.read_text(encoding="utf-8")
    return (None if problems else spec), bodies, problems


def read_assets(root: Path, limits: Limits | None = None, web_content: set[str] | None = None
                ) -> tuple[dict[str, bytes], list[Problem]]:
    """Return every file under ``root/assets`` (package path -> bytes) and all problems found.

    A folder gets the checks a zip member gets: plain names, no links or special files, the
    size and count limits, no nested archives, and an allowed type told by its content
    (SVG parsed and refused if active), so importing a folder is no back door. Inside the
    folders of SCORM lessons (`web_content`; by default read from root/course.yaml) web
    content is allowed as in a zip (lms.scorm.files).
    """
    limits = limits or Limits()
    if web_content is None:
        web_content = _web_content(root)
    folder = root / "assets"
    if folder.is_symlink():
        return {}, [Problem("assets", "", "symbolic links are not allowed")]
    if not folder.is_dir():
        return {}, []
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    total = 0
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.name in OS_JUNK_FILES or (path.is_dir() and not path.is_symlink()):
            continue
        messages = _file_problems(path, name, limits)
        if not messages:
            total += path.stat().st_size
            if len(files) >= limits.max_members:
                messages = [f"more than {limits.max_members} asset files"]
            elif total > limits.max_total_bytes:
                messages = [f"assets larger than the limit of {_size(limits.max_total_bytes)} in all"]
        if not messages:
            content = path.read_bytes()
            kind = _archive_kind(content)
            messages = [f"nested archive ({kind}) is not allowed"] if kind \
                else package_asset_problems(name, content, web_content)
            files[name] = content
        problems += [Problem(name, "", message) for message in messages]
    return (files if not problems else {}), problems


def _file_problems(path: Path, name: str, limits: Limits) -> list[str]:
    """What forbids reading this entry of the assets folder (name, kind, size)."""
    messages = _name_problems(name, limits.max_path_length)
    if path.is_symlink():
        messages.append("symbolic links are not allowed")
    elif not path.is_file():
        messages.append("not a regular file (devices, pipes and sockets are not allowed)")
    elif path.stat().st_size > limits.max_member_bytes:
        messages.append(f"larger than the limit of {_size(limits.max_member_bytes)} per file")
    return messages


def _web_content(root: Path) -> set[str]:
    """The folders the SCORM lessons of root/course.yaml name (none if it cannot be read)."""
    try:
        data = yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set()
    return web_folders(manifest_entries(data))
