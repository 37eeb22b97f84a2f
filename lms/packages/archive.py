"""Read a lms-course/1 package from a zip archive, safely; write one (for export).

Nothing is extracted to disk. Every member is read into memory by streaming, and the bytes
really produced by decompression are counted against the `Limits` (declared sizes in the
archive are never trusted). Every problem found is reported, each naming the member;
problems with the archive's structure (names, links, sizes, encryption) name the member as
stored, problems with content name its path in the package (after an optional single
top-level folder is stripped). Any problem means the package is refused whole.

Pure Python: no Flask imports here.
"""
from __future__ import annotations

import bisect
import html
import io
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from urllib.parse import unquote

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml

from lms.packages.manifest import CourseSpec, Problem, parse_manifest
from lms.scorm import course as scorm_course
from lms.scorm.files import in_folder, manifest_entries, web_asset_problems, web_folders

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CHUNK = 64 * 1024
#: Ratios are only judged past this many bytes (tiny files compress oddly but cannot bomb);
#: the whole archive's past twice as many, so that a single bomb is named as the member.
RATIO_FLOOR = 1024 * 1024
#: course.yaml is a short text; a larger one is refused before any YAML parsing.
MAX_MANIFEST_BYTES = 1024 * 1024
#: Lesson and quiz files (the GIFT reader's own limit is the same).
MAX_TEXT_BYTES = 2_000_000
#: A file with more Markdown problems reports this many, then a count of the rest.
MAX_PROBLEMS_PER_FILE = 20
#: Deeper YAML nesting is refused before loading (the composer recurses).
MAX_YAML_DEPTH = 50
#: Only Store and Deflate: Deflate output is bounded per read, bzip2/LZMA output is not.
COMPRESSION_METHODS = {zipfile.ZIP_STORED: "store", zipfile.ZIP_DEFLATED: "deflate"}
ROOT_FOLDERS = ("lessons", "quizzes", "assets")
LESSON_EXTENSIONS = (".md",)
QUIZ_EXTENSIONS = (".gift", ".txt", ".yaml", ".yml")
#: Files operating systems add when zipping a folder: skipped (after the safety checks).
OS_JUNK_FOLDERS = ("__MACOSX",)
OS_JUNK_FILES = (".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class Limits:
    max_archive_bytes: int = 50 * 1024 * 1024
    max_members: int = 2000
    max_total_bytes: int = 200 * 1024 * 1024      # uncompressed, counted while reading
    max_member_bytes: int = 50 * 1024 * 1024
    max_ratio: float = 100.0                       # uncompressed/compressed per member and overall
    max_path_length: int = 240


@dataclass
class Package:
    spec: CourseSpec
    bodies: dict[str, str]          # lesson and quiz files named by the manifest (UTF-8 text)
    assets: dict[str, bytes]        # every file under assets/ (path -> bytes), already checked


def read_package(data: bytes, limits: Limits = Limits(), file: str = "package.zip"
                 ) -> tuple[Package | None, list[Problem]]:
    """Return (package, []) for a valid archive, else (None, every problem found); never raises."""
    try:
        return _Reader(bytes(data), limits, file).read()
    except Exception as error:  # a last line of defence: a hostile upload must never crash an import
        return None, [Problem(file, "", f"could not be read (internal error: {type(error).__name__})")]


# --------------------------------------------------------------------------- the archive

#: What zipfile and the decompressors raise on damaged or hostile archives.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
               RuntimeError, struct.error, IndexError, KeyError, OverflowError)


class _Reader:
    def __init__(self, data: bytes, limits: Limits, file: str):
        self.data, self.limits, self.file = data, limits, file
        self.problems: list[Problem] = []
        self.total = 0
        self.aborted = False
        self.package: Package | None = None

    def add(self, file: str, message: str, where: str = "") -> None:
        self.problems.append(Problem(file, where, message))

    def refuse(self, message: str) -> tuple[None, list[Problem]]:
        self.add(self.file, message)
        return None, self.problems

    def read(self) -> tuple[Package | None, list[Problem]]:
        limits = self.limits
        if len(self.data) > limits.max_archive_bytes:
            return self.refuse(f"archive is larger than the limit of {_size(limits.max_archive_bytes)}")
        declared = _declared_entries(self.data)
        if declared and declared[0] > limits.max_members:
            return self.refuse(f"more than {limits.max_members} members ({declared[0]})")
        # The central directory is parsed whole by zipfile: bound it before (46 bytes per entry).
        if declared and declared[1] > limits.max_members * (46 + limits.max_path_length + 1024):
            return self.refuse(f"central directory too large for {limits.max_members} members")
        try:
            archive = zipfile.ZipFile(io.BytesIO(self.data))
            infos = archive.infolist()
        except _ZIP_ERRORS as error:
            return self.refuse(f"not a valid zip archive ({error})")
        if len(infos) > limits.max_members:
            return self.refuse(f"more than {limits.max_members} members ({len(infos)})")
        with archive:
            if not infos:
                return self.refuse("the archive is empty")
            files, names = self._check_entries(infos)
            contents: dict[str, bytes] = {}
            for info, name in files:
                if self.aborted:
                    break
                content = self._read_member(archive, info, name)
                if content is not None:
                    contents[name] = content
        if self.aborted:
            return None, self.problems
        self._check_package(names, contents)
        if self.problems or self.package is None:
            return None, self.problems
        return self.package, []

    def _check_entries(self, infos: list[zipfile.ZipInfo]) -> tuple[list[tuple[zipfile.ZipInfo, str]], list[str]]:
        """Check every member's name and kind; return the files worth reading, and all file names."""
        files, names, seen, folded = [], [], set(), {}
        for info in infos:
            name = info.orig_filename
            shown = _shown(name)
            is_dir = name.endswith("/")
            bad = [*_name_problems(name[:-1] if is_dir else name, self.limits.max_path_length)]
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind == stat.S_IFLNK:
                bad.append("symbolic links are not allowed")
            elif kind not in (0, stat.S_IFREG, stat.S_IFDIR) or (kind == stat.S_IFDIR and not is_dir):
                bad.append("not a regular file (devices, pipes and sockets are not allowed)")
            if name in seen:
                bad.append("duplicate name in the archive")
            seen.add(name)
            if not is_dir:
                key = unicodedata.normalize("NFC", name).casefold()
                if key in folded and folded[key] != name:
                    bad.append(f"name differs only in letter case from {_shown(folded[key])}")
                folded.setdefault(key, name)
            if info.flag_bits & 0x1:
                bad.append("encrypted members are not allowed")
            elif not is_dir and info.compress_type not in COMPRESSION_METHODS:
                bad.append(f"compression method {info.compress_type} is not supported (use Deflate)")
            for message in bad:
                self.add(shown, message)
            if not is_dir:
                names.append(name)
                if not bad:
                    files.append((info, name))
        # A name used both as a file and as a folder ("lessons" and "lessons/a.md").
        folders = {key.rsplit("/", 1)[0] for key in folded if "/" in key}
        folders |= {folder.rsplit("/", i)[0] for folder in folders for i in range(folder.count("/") + 1)}
        for key, name in folded.items():
            if key in folders:
                self.add(_shown(name), "name is used both as a file and as a folder")
        return files, names

    def _read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes | None:
        """Stream one member, counting real bytes; None (with a problem) past any limit."""
        limits, shown = self.limits, _shown(name)
        chunks, size = [], 0
        try:
            with archive.open(info) as stream:
                while True:
                    want = min(CHUNK, limits.max_member_bytes + 1 - size, limits.max_total_bytes + 1 - self.total)
                    chunk = stream.read(want)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                    self.total += len(chunk)
                    if size > limits.max_member_bytes:
                        self.add(shown, f"uncompressed size over the limit of {_size(limits.max_member_bytes)} "
                                        "per file")
                        return None
                    if self.total > limits.max_total_bytes:
                        self.add(shown, f"uncompressed size over the limit of {_size(limits.max_total_bytes)} "
                                        "for the whole archive")
                        self.aborted = True
                        return None
                    ratio = size / max(info.compress_size, 1)
                    if size > RATIO_FLOOR and ratio > limits.max_ratio:
                        self.add(shown, f"compression ratio {ratio:.0f}:1 looks like a zip bomb")
                        return None
                    overall = self.total / max(len(self.data), 1)
                    if self.total > 2 * RATIO_FLOOR and overall > limits.max_ratio:
                        self.add(self.file, f"compression ratio {overall:.0f}:1 of the whole archive "
                                            "looks like a zip bomb")
                        self.aborted = True
                        return None
        except _ZIP_ERRORS as error:
            self.add(shown, f"not a valid zip archive ({error})")
            return None
        return b"".join(chunks)

    # ----------------------------------------------------------------------- the package

    def _check_package(self, names: list[str], contents: dict[str, bytes]) -> None:
        """Layout, encodings, manifest, references, Markdown and assets of the files read."""
        kept = [n for n in names if not _is_os_junk(n)]
        prefix = _root_prefix(kept)
        present = {n[len(prefix):] for n in kept if n.startswith(prefix)}
        files = {n[len(prefix):]: contents[n] for n in kept if n in contents}
        if scorm_course.is_scorm_zip(present):  # a bare SCORM 1.2 zip: made into a package first
            if len(files) < len(present):
                return  # members that could not be read are already reported
            files, problems = scorm_course.convert(files, self.file)
            self.problems += problems
            if files is None:
                return
            present = set(files)
        if "course.yaml" not in present:
            elsewhere = sorted(n for n in kept if n.rsplit("/", 1)[-1].casefold() == "course.yaml")
            hint = f"; found {_shown(elsewhere[0])}" if elsewhere else ""
            self.add("course.yaml", "missing: course.yaml must be at the root of the archive "
                                    f"(or all files inside one top-level folder){hint}")
        texts: dict[str, str] = {}
        assets: dict[str, bytes] = {}
        for path, content in sorted(files.items()):
            kind = _archive_kind(content)
            if kind:
                self.add(path, f"nested archive ({kind}) is not allowed")
                continue
            top = path.split("/", 1)[0]
            if path == "course.yaml":
                if len(content) > MAX_MANIFEST_BYTES:
                    self.add(path, f"larger than {_size(MAX_MANIFEST_BYTES)}")
                    continue
            elif top not in ROOT_FOLDERS or "/" not in path:
                self.add(path, "unexpected file (a package holds course.yaml, lessons/, quizzes/ and assets/)")
                continue
            elif top == "lessons" and not path.lower().endswith(LESSON_EXTENSIONS):
                self.add(path, "lesson files must be Markdown (.md)")
                continue
            elif top == "quizzes" and not path.lower().endswith(QUIZ_EXTENSIONS):
                self.add(path, "quiz files must be .gift, .txt, .yaml or .yml")
                continue
            elif top != "assets" and len(content) > MAX_TEXT_BYTES:
                self.add(path, f"larger than {MAX_TEXT_BYTES:,} bytes")
                continue
            elif top == "assets":
                assets[path] = content  # checked below, once the SCORM folders are known
                continue
            text = self._decode(path, content)
            if text is not None:
                texts[path] = text
        for path, text in texts.items():
            if path.startswith("lessons/"):
                self._check_markdown(path, text, present)
        data = self._load_yaml("course.yaml", texts["course.yaml"]) if "course.yaml" in texts else _INVALID
        folders = web_folders(manifest_entries(data)) if data is not _INVALID else set()
        for path, content in assets.items():
            for message in package_asset_problems(path, content, folders):
                self.add(path, message)
        if data is _INVALID:
            return  # missing, refused above (size, encoding, nested archive), or not valid YAML
        spec, problems = parse_manifest(data, "course.yaml")
        self.problems += problems
        if spec is None:
            return
        bodies = self._check_references(spec, data, present, texts)
        self.package = Package(spec=spec, bodies=bodies, assets=assets)

    def _decode(self, path: str, content: bytes) -> str | None:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            line = content.count(b"\n", 0, error.start) + 1
            self.add(path, f"not UTF-8 text (byte {content[error.start]:#04x}); save the file as UTF-8",
                     f"line {line}")
            return None
        return text.removeprefix("\ufeff")

    def _load_yaml(self, path: str, text: str):
        """safe_load, after refusing anchors/aliases, tags and deep nesting from the event stream."""
        try:
            depth = 0
            for event in yaml.parse(text, Loader=_Loader):
                where = f"line {event.start_mark.line + 1}"
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    self.add(path, "YAML anchors and aliases (&name, *name) are not allowed", where)
                    return _INVALID
                tag = getattr(event, "tag", None)
                if tag:
                    shown = tag.replace("tag:yaml.org,2002:", "!!")
                    self.add(path, f"YAML tags such as {shown} are not allowed", where)
                    return _INVALID
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                    if depth > MAX_YAML_DEPTH:
                        self.add(path, f"YAML nested deeper than {MAX_YAML_DEPTH} levels", where)
                        return _INVALID
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            message = getattr(error, "problem", None) or str(error)
            self.add(path, f"invalid YAML: {message}", f"line {mark.line + 1}" if mark else "")
            return _INVALID

    def _check_references(self, spec: CourseSpec, data: dict, present: set[str],
                          texts: dict[str, str]) -> dict[str, str]:
        """Every lesson/quiz file the manifest names exists (in the right folder); return their texts."""
        bodies: dict[str, str] = {}
        named = []
        for i, section in enumerate(spec.sections):
            raw = data["sections"][i]
            for j, lesson in enumerate(section.lessons):
                named.append((lesson.file, f"sections[{i}].lessons[{j}].file", "lesson", lesson.id))
            for j, quiz in enumerate(section.quizzes):
                where = f"sections[{i}].quiz.file" if "quiz" in raw else f"sections[{i}].quizzes[{j}].file"
                named.append((quiz.file, where, "quiz", quiz.id))
        for file, where, kind, item_id in named:
            if not file:
                continue
            folder = "lessons/" if kind == "lesson" else "quizzes/"
            if file not in present:
                self.add("course.yaml", f"{kind} {item_id!r} names {file}, which is not in the archive", where)
            elif not file.startswith(folder) or (kind == "lesson" and not file.lower().endswith(LESSON_EXTENSIONS)):
                self.add("course.yaml", f"{kind} files must be under {folder}"
                                        + (" and end in .md" if kind == "lesson" else ""), where)
            elif file in texts:
                bodies[file] = texts[file]
        for i, section in enumerate(spec.sections):
            for j, lesson in enumerate(section.lessons):
                target = asset_url(lesson.entry.get("url"))
                if target is not None and target not in present:
                    self.add("course.yaml", f"lesson {lesson.id!r} names {target}, which is not in the archive",
                             f"sections[{i}].lessons[{j}].url")
        if spec.cover and spec.cover.startswith("assets/") and spec.cover not in present:
            self.add("course.yaml", f"cover names {spec.cover}, which is not in the archive", "cover")
        return bodies

    def _check_markdown(self, path: str, text: str, present: set[str]) -> None:
        """Refuse active content in raw HTML and links; every assets/ reference must exist."""
        plain = _blank_code(text)
        found = _markdown_problems(plain)
        for line, target in _asset_refs(plain):
            if target not in present:
                found.append((line, f"refers to {target}, which is not in the archive"))
        for line, message in sorted(found)[:MAX_PROBLEMS_PER_FILE]:
            self.add(path, message, f"line {line}")
        if len(found) > MAX_PROBLEMS_PER_FILE:
            self.add(path, f"... and {len(found) - MAX_PROBLEMS_PER_FILE} more problems in this file")


_INVALID = object()


def asset_references(text: str) -> list[tuple[int, str]]:
    """(line, package path) of every assets/ file a Markdown text refers to, outside code.

    Public so that every import path (zip, folder, a spec built in code) can check that
    what a lesson shows is really shipped, with the very rules the zip reader applies.
    """
    return _asset_refs(_blank_code(text))


def asset_url(value) -> str | None:
    """The package path a lesson's relative ``url: assets/...`` names; None for other URLs."""
    if not isinstance(value, str) or not value.strip().startswith("assets/"):
        return None
    return _asset_target(value.strip())


def _asset_refs(plain: str) -> list[tuple[int, str]]:
    line_of = _line_finder(plain)
    return [(line_of(match.start()), _asset_target(next(g for g in match.groups() if g)))
            for match in _ASSET_REF.finditer(plain)]


def _asset_target(reference: str) -> str:
    """A reference as written (URL-encoded, maybe with #page or ?query) to a package path."""
    return unquote(reference.split("#", 1)[0].split("?", 1)[0])


# --------------------------------------------------------------------------- names

_DRIVE = re.compile(r"^[A-Za-z]:")
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _name_problems(name: str, max_length: int) -> list[str]:
    """What is wrong with a member name (without a directory's trailing slash)."""
    problems = []
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        problems.append("absolute paths are not allowed")
    if "\\" in name:
        problems.append("backslashes are not allowed in names (use /)")
    segments = re.split(r"[/\\]", name)
    if ".." in segments:
        problems.append("'..' in a path is not allowed (it could escape the package)")
    if any(segment in ("", ".") for segment in segments) and not name.startswith(("/", "\\")):
        problems.append("empty or '.' path segments are not allowed")
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in name):
        problems.append("NUL or control characters are not allowed in names")
    if len(name) > max_length:
        problems.append(f"name longer than {max_length} characters")
    return problems


def _shown(name: str) -> str:
    """The name with control characters escaped, fit for messages."""
    return "".join(c if unicodedata.category(c) != "Cc" and c not in _BIDI
                   else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in name)


def _is_os_junk(name: str) -> bool:
    parts = name.split("/")
    return parts[0] in OS_JUNK_FOLDERS or parts[-1] in OS_JUNK_FILES


def _root_prefix(names: list[str]) -> str:
    """'folder/' when every file sits in one top-level folder holding course.yaml, else ''."""
    if not names or "course.yaml" in names or any("/" not in n for n in names):
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        prefix = tops.pop() + "/"
        if prefix + "course.yaml" in names:
            return prefix
    return ""


def _declared_entries(data: bytes) -> tuple[int, int] | None:
    """(entries, central directory size) from the end record, before zipfile parses anything."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        return None
    entries, cd_size = struct.unpack("<HI", data[end + 10:end + 16])
    locator = end - 20
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and locator >= 0 \
            and data[locator:locator + 4] == b"PK\x06\x07":
        offset = struct.unpack("<Q", data[locator + 8:locator + 16])[0]
        if data[offset:offset + 4] == b"PK\x06\x06" and len(data) >= offset + 48:
            entries, cd_size = struct.unpack("<QQ", data[offset + 32:offset + 48])
    return entries, cd_size


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


# --------------------------------------------------------------------------- Markdown

def _spaced(word: str) -> str:
    """A word that browsers still read when tabs, newlines or spaces sit between its letters."""
    return r"[\s\x00-\x1f]*+".join(re.escape(c) for c in word)


_GAP = r"[\s\x00-\x1f]*+"  # possessive: runs of blanks never backtrack
_BAD_SCHEME = (f"(?:{_spaced('javascript')}|{_spaced('vbscript')}){_GAP}:"
               f"|{_spaced('data')}{_GAP}:{_GAP}{_spaced('text/html')}")
#: A dangerous URL where a URL is read: link destination, reference definition, <autolink>, attribute.
_BAD_URL = re.compile(rf"(?:\]\(|\]:|<|=){_GAP}[\"'`]?{_GAP}<?{_GAP}(?:{_BAD_SCHEME})", re.I)
_BAD_VALUE = re.compile(rf"^{_GAP}(?:{_BAD_SCHEME})", re.I)
_BAD_TAG = re.compile(r"<(script|iframe|object|embed|frame|frameset|applet)\b", re.I)
_EVENT_ATTR = re.compile(r"<[a-z][a-z0-9-]*+(?:[\s/][^<>]*?)?[\s/\"'](on[a-z]++)\s*+=", re.I)
_ASSET_REF = re.compile(r"""\]\(\s*<?(assets/[^)\s>]+)"""
                        r"""|\b(?:src|href)\s*=\s*["']?(assets/[^"'\s>]+)"""
                        r"""|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?(assets/[^\s>]+)""", re.I | re.M)
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")


def _blank_code(text: str) -> str:
    """The text with fenced code blocks and `code spans` blanked (they are shown, never run)."""
    lines, fence = [], None
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = None
            lines.append("")
        elif opening and not (opening.group(1)[0] == "`" and "`" in line[opening.end():]):
            fence = opening.group(1)
            lines.append("")
        else:
            lines.append(_blank_code_spans(line) if "`" in line else line)
    return "\n".join(lines)


def _blank_code_spans(line: str) -> str:
    """Blank `code spans`: a run of backticks up to the next run of the same length (linear time)."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)
            if not (m.start() and line[m.start() - 1] == "\\")]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    cursor = {length: 0 for length in by_length}
    spans, index = [], 0
    while index < len(runs):
        start, end = runs[index]
        same, length = by_length[end - start], end - start
        while cursor[length] < len(same) and same[cursor[length]] <= index:
            cursor[length] += 1
        if cursor[length] < len(same):
            closer = same[cursor[length]]
            spans.append((start, runs[closer][1]))
            index = closer + 1
        else:
            index += 1
    parts, done = [], 0
    for start, end in spans:
        parts += [line[done:start], " " * (end - start)]
        done = end
    return "".join(parts) + line[done:]


def _line_finder(text: str):
    """A function from an offset in text to its line number (1-based)."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    return lambda pos: bisect.bisect_left(newlines, pos) + 1


def _markdown_problems(text: str) -> list[tuple[int, str]]:
    """(line, message) for raw active HTML and script URLs in Markdown (code already blanked)."""
    found: list[tuple[int, str]] = []
    line_of = _line_finder(text)
    for match in _BAD_TAG.finditer(text):
        found.append((line_of(match.start()), f"raw <{match.group(1).lower()}> is not allowed"))
    for match in _EVENT_ATTR.finditer(text):
        found.append((line_of(match.start(1)), f"event attribute {match.group(1).lower()}= in raw HTML is not allowed"))
    # Entities decode in URLs and attribute values (java&#115;cript:); newlines they produce are gaps.
    decoded = "\n".join(html.unescape(line).replace("\n", " ").replace("\r", " ") for line in text.split("\n"))
    line_of = _line_finder(decoded)
    for match in _BAD_URL.finditer(decoded):
        scheme = re.sub(r"[\s\x00-\x1f]", "", match.group(0)).lstrip("](:<=\"'`").lower()
        scheme = "data:text/html" if scheme.startswith("data") else scheme.split(":", 1)[0] + ":"
        found.append((line_of(match.start()), f"{scheme} links are not allowed"))
    return found


def markdown_problems(text: str) -> list[tuple[int, str]]:
    """(line, message) for active content in lesson Markdown: the check an import applies
    to lessons/*.md (code blocks and spans skipped), for text that arrives another way."""
    return sorted(_markdown_problems(_blank_code(text)))


# --------------------------------------------------------------------------- assets

def _archive_kind(content: bytes) -> str | None:
    """The archive format a member's bytes start with, if any."""
    head = content[:512]
    for magic, kind in ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PK\x07\x08", "zip"),
                        (b"\x1f\x8b", "gzip"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar"),
                        (b"\xfd7zXZ\x00", "xz"), (b"MSCF", "cab")):
        if head.startswith(magic):
            return kind
    if re.match(rb"BZh[1-9]1AY&SY", head):
        return "bzip2"
    if head[257:262] == b"ustar":
        return "tar"
    return None


_EXECUTABLES = ((b"MZ", "Windows program"), (b"\x7fELF", "Linux program"), (b"#!", "script"),
                (b"\xfe\xed\xfa\xce", "macOS program"), (b"\xfe\xed\xfa\xcf", "macOS program"),
                (b"\xce\xfa\xed\xfe", "macOS program"), (b"\xcf\xfa\xed\xfe", "macOS program"),
                (b"\xca\xfe\xba\xbe", "macOS or Java program"))


def _is_mp3(d: bytes) -> bool:
    return d.startswith(b"ID3") or (len(d) > 2 and d[0] == 0xFF and d[1] & 0xE0 == 0xE0 and d[1] & 0x06 != 0)


#: (type, extensions, test on the content): allowed asset types, told apart by their bytes.
_MEDIA = (
    ("PNG", (".png",), lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ("JPEG", (".jpg", ".jpeg"), lambda d: d.startswith(b"\xff\xd8\xff")),
    ("GIF", (".gif",), lambda d: d.startswith((b"GIF87a", b"GIF89a"))),
    ("WebP", (".webp",), lambda d: d.startswith(b"RIFF") and d[8:12] == b"WEBP"),
    ("PDF", (".pdf",), lambda d: d.startswith(b"%PDF-")),
    ("MP4", (".mp4", ".m4a", ".m4v"), lambda d: d[4:8] == b"ftyp"),
    ("WebM", (".webm",), lambda d: d.startswith(b"\x1a\x45\xdf\xa3")),
    ("OGG", (".ogg", ".oga", ".ogv", ".opus"), lambda d: d.startswith(b"OggS")),
    ("MP3", (".mp3",), _is_mp3),
)
ALLOWED_ASSETS = "PNG, JPEG, GIF, WebP, SVG, PDF, MP3, MP4/M4A, WebM, OGG"
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta", b"<title")


def _asset_problems(path: str, content: bytes) -> list[str]:
    """Check an asset by its bytes: an allowed type, named with a matching extension."""
    base = path.rsplit("/", 1)[-1]
    ext = "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
    for magic, label in _EXECUTABLES:
        if content.startswith(magic):
            return [f"disguised executable ({label}): not an allowed asset type"]
    kind, extensions = None, ()
    for name, exts, test in _MEDIA:
        if test(content):
            kind, extensions = name, exts
            break
    if kind is None:
        head = content[:4096].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
        if head.startswith(_HTML_START):
            return ["HTML document: not an allowed asset type (disguised executable: it could run scripts)"]
        if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in head:
            kind, extensions = "SVG", (".svg",)
        else:
            return [f"not an allowed asset type (allowed: {ALLOWED_ASSETS})"]
    if ext not in extensions:
        return [f"content is {kind} but the name ends in {ext or '(no extension)'}: "
                f"the extension must match the content ({', '.join(extensions)})"]
    return _svg_problems(content) if kind == "SVG" else []


def package_asset_problems(path: str, content: bytes, web_content: set[str] | frozenset = frozenset()) -> list[str]:
    """An asset's problems: web content rules inside the folders SCORM lessons name
    (`web_content`, see lms.scorm.files), the passive media rules everywhere else."""
    if in_folder(path, web_content):
        return web_asset_problems(path, content)
    return _asset_problems(path, content)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


_SAFE_SVG_HREF = re.compile(r"^(?:#|data:image/(?!svg)[a-z0-9.+-]+[;,])", re.I)


def _svg_problems(content: bytes) -> list[str]:
    """Parse with defusedxml (no DTD, entities or external references) and refuse active content."""
    try:
        root = parse_xml(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        return [f"SVG with a DTD, entities or external references is not allowed ({type(error).__name__})"]
    except (ParseError, ValueError, UnicodeError) as error:
        return [f"not a well-formed SVG file ({error})"]
    if _local(root.tag) != "svg":
        return ["not an SVG image (the root element must be <svg>)"]
    problems: list[str] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag.lower() == "script":
            problems.append("SVG with <script> is not allowed")
        elif tag.lower() == "foreignobject":
            problems.append("SVG with <foreignObject> is not allowed")
        for key, value in element.attrib.items():
            attr = _local(key)
            if attr.lower().startswith("on"):
                problems.append(f"SVG event attribute {attr}= is not allowed")
            elif attr.lower() == "href" and not _SAFE_SVG_HREF.match(value.strip()):
                problems.append(f"SVG link {value.strip()[:80]!r} is not allowed "
                                "(only #fragments and data:image/... inside the file)")
            elif _BAD_VALUE.search(html.unescape(value)) or "javascript:" in re.sub(r"\s", "", value.lower()):
                problems.append(f"SVG attribute {attr}= with a script URL is not allowed")
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- writing

class _Dumper(yaml.SafeDumper):
    """safe_dump without anchors/aliases (shared objects are repeated), since the reader refuses them."""

    def ignore_aliases(self, data) -> bool:
        return True


def write_package(spec_dict: dict, bodies: dict[str, str], assets: dict[str, bytes]) -> bytes:
    """A deterministic lms-course/1 zip: sorted names, fixed 1980-01-01 timestamps, Deflate."""
    manifest = yaml.dump(spec_dict, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    files: dict[str, bytes] = {"course.yaml": manifest.encode("utf-8")}
    for name, content in [*((n, t.encode("utf-8")) for n, t in bodies.items()), *assets.items()]:
        problems = _name_problems(name, Limits.max_path_length)
        if name in files or problems:
            raise ValueError(f"cannot write {name!r}: {', '.join(problems) or 'name used twice'}")
        files[name] = bytes(content)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


# --------------------------------------------------------------------------- bare archives

class _FilesReader(_Reader):
    """The archive checks of a package without its layout: every file, by name."""

    def _check_package(self, names: list[str], contents: dict[str, bytes]) -> None:
        self.files: dict[str, bytes] = {}
        for name in names:
            if _is_os_junk(name) or name not in contents:
                continue
            kind = _archive_kind(contents[name])
            if kind:
                self.add(_shown(name), f"nested archive ({kind}) is not allowed")
            self.files[name] = contents[name]
        self.package = True  # type: ignore[assignment]  # read() returns it when all is well


def read_files(data: bytes, limits: Limits = Limits(), file: str = "package.zip"
               ) -> tuple[dict[str, bytes] | None, list[Problem]]:
    """Every file of a zip (name -> bytes) read with a package's safety limits (size, count,
    ratio, names, links, encryption, nested archives), OS junk skipped; or every problem.
    For uploads that are not whole packages, such as a SCORM lesson's zip. Never raises."""
    reader = _FilesReader(bytes(data), limits, file)
    try:
        done, problems = reader.read()
    except Exception as error:
        return None, [Problem(file, "", f"could not be read (internal error: {type(error).__name__})")]
    return (reader.files, []) if done and not problems else (None, problems)
