"""The core lesson types (markdown, video, file, link), registered through the public hook."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from lms.content import render_markdown
from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.lessons import LessonType, PreparedLesson, require_url

lms_api = LMS_PLUGIN_API

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
VIDEO_EXTENSIONS = (".mp4", ".webm", ".ogg", ".ogv", ".m4v")


class MarkdownLesson(LessonType):
    key = "markdown"
    label = _l("Text (Markdown)")
    needs_body = True

    def prepare(self, entry, body):
        return PreparedLesson(data={}, body_html=render_markdown(body or ""), source=body or "")


class VideoLesson(LessonType):
    """A video file (HTML5 player) or a YouTube link (privacy-enhanced embed)."""

    key = "video"
    label = _l("Video")

    def validate(self, entry):
        problems = require_url_or_asset(entry)
        if not problems and youtube_id(entry["url"].strip()) is None \
                and not urlsplit(entry["url"].strip()).path.lower().endswith(VIDEO_EXTENSIONS):
            problems.append("url: must be a YouTube link or a video file (.mp4, .webm, .ogg)")
        return problems

    def prepare(self, entry, body):
        return PreparedLesson(data={"url": entry["url"].strip(),
                                    "description": str(entry.get("description") or "")})

    def render(self, lesson):
        url = lesson.data["url"]
        vid = youtube_id(url)
        if vid:
            player = Markup(
                '<div class="video"><iframe src="https://www.youtube-nocookie.com/embed/{}" '
                'title="{}" loading="lazy" allowfullscreen referrerpolicy="strict-origin"></iframe></div>'
            ).format(vid, lesson.title)
        else:
            player = Markup('<video class="video" controls preload="metadata" src="{}"></video>').format(url)
        return player + _description(lesson)


class FileLesson(LessonType):
    """A document to download and study (PDF, slides)."""

    key = "file"
    label = _l("File to download")

    def validate(self, entry):
        return require_url_or_asset(entry)

    def prepare(self, entry, body):
        name = str(entry.get("filename") or urlsplit(entry["url"].strip()).path.rsplit("/", 1)[-1])
        return PreparedLesson(data={"url": entry["url"].strip(), "filename": name,
                                    "description": str(entry.get("description") or "")})

    def render(self, lesson):
        return _description(lesson) + Markup(
            '<p><a class="button secondary" href="{}" download>⬇ {}</a></p>'
        ).format(lesson.data["url"], lesson.data["filename"])


class LinkLesson(LessonType):
    """An external resource, opened in a new tab."""

    key = "link"
    label = _l("External link")

    def validate(self, entry):
        return require_url(entry)

    def prepare(self, entry, body):
        return PreparedLesson(data={"url": entry["url"].strip(),
                                    "description": str(entry.get("description") or "")})

    def render(self, lesson):
        return _description(lesson) + Markup(
            '<p><a class="button secondary" href="{0}" target="_blank" rel="noopener noreferrer">'
            '↗ {0}</a></p>').format(lesson.data["url"])


def require_url_or_asset(entry: dict) -> list[str]:
    """An absolute http(s) URL, or a file of the package: ``assets/...``.

    A relative asset path is kept as written; on the lesson page (/learn/<slug>/<key>) it
    resolves to /learn/<slug>/assets/..., the route that serves the version's assets to
    its learners. The import checks separately that the file is in the package.
    """
    value = entry.get("url")
    if isinstance(value, str) and value.strip().startswith("assets/"):
        path = value.strip()
        segments = path.split("?", 1)[0].split("#", 1)[0].split("/")
        if "\\" in path or any(s in ("", ".", "..") for s in segments) \
                or any(ord(c) < 32 or c.isspace() and c != " " for c in path):
            return ["url: assets/ paths must be plain relative paths (no '..', empty parts or backslashes)"]
        return []
    return require_url(entry)


def _description(lesson) -> Markup:
    text = lesson.data.get("description")
    return Markup("<p>{}</p>").format(text) if text else Markup("")


def youtube_id(url: str) -> str | None:
    """The video id of a youtube.com/youtu.be URL, or None."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    if host == "youtu.be":
        candidate = parts.path.strip("/")
    elif host in ("youtube.com", "youtube-nocookie.com"):
        candidate = parse_qs(parts.query).get("v", [""])[0] or parts.path.rsplit("/", 1)[-1]
    else:
        return None
    return candidate if _YOUTUBE_ID.match(candidate or "") else None


@hookimpl
def register_lesson_types():
    return [MarkdownLesson(), VideoLesson(), FileLesson(), LinkLesson()]
