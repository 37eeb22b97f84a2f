"""Read an unpacked lms-course/1 package from a directory (bundled and demo curricula)."""
from __future__ import annotations

from pathlib import Path

import yaml

from lms.packages.manifest import CourseSpec, Problem, parse_manifest


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
