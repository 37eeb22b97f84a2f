"""Which files a SCORM lesson's folder may hold, and the type each one is served with.

Outside such a folder a package allows only passive media (lms.packages.archive). A SCORM
package is a small web site, so inside the folder a lesson's ``path`` names, web content is
allowed too: HTML, JavaScript, CSS, XML and its schemas, JSON, fonts, captions, images and
media. Everything else stays refused: programs (checked by their bytes, whatever their
name), nested archives, files without one of these extensions. Binary types must have the
bytes their extension promises; the size, count, ratio and name limits are the package's.
"""
from __future__ import annotations

#: Web text formats: any bytes but a program's (the content's own scripts are trusted).
TEXT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml",
    ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
    ".xml": "application/xml", ".xsd": "application/xml", ".dtd": "application/xml-dtd",
    ".json": "application/json", ".txt": "text/plain", ".vtt": "text/vtt", ".srt": "text/plain",
    ".svg": "image/svg+xml", ".csv": "text/csv",
}
#: Binary formats: (type, test on the first bytes).
BINARY_TYPES = {
    ".png": ("image/png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".gif": ("image/gif", lambda d: d.startswith((b"GIF87a", b"GIF89a"))),
    ".webp": ("image/webp", lambda d: d.startswith(b"RIFF") and d[8:12] == b"WEBP"),
    ".bmp": ("image/bmp", lambda d: d.startswith(b"BM")),
    ".ico": ("image/x-icon", lambda d: d.startswith((b"\x00\x00\x01\x00", b"\x89PNG"))),
    ".pdf": ("application/pdf", lambda d: d.startswith(b"%PDF-")),
    ".mp3": ("audio/mpeg", lambda d: d.startswith(b"ID3") or (len(d) > 1 and d[0] == 0xFF and d[1] & 0xE0 == 0xE0)),
    ".wav": ("audio/wav", lambda d: d.startswith(b"RIFF") and d[8:12] == b"WAVE"),
    ".mp4": ("video/mp4", lambda d: d[4:8] == b"ftyp"),
    ".m4v": ("video/mp4", lambda d: d[4:8] == b"ftyp"),
    ".m4a": ("audio/mp4", lambda d: d[4:8] == b"ftyp"),
    ".webm": ("video/webm", lambda d: d.startswith(b"\x1a\x45\xdf\xa3")),
    ".ogg": ("audio/ogg", lambda d: d.startswith(b"OggS")),
    ".oga": ("audio/ogg", lambda d: d.startswith(b"OggS")),
    ".ogv": ("video/ogg", lambda d: d.startswith(b"OggS")),
    ".woff": ("font/woff", lambda d: d.startswith(b"wOFF")),
    ".woff2": ("font/woff2", lambda d: d.startswith(b"wOF2")),
    ".ttf": ("font/ttf", lambda d: d.startswith((b"\x00\x01\x00\x00", b"true"))),
    ".otf": ("font/otf", lambda d: d.startswith((b"OTTO", b"\x00\x01\x00\x00"))),
    ".eot": ("application/vnd.ms-fontobject", lambda d: len(d) > 35 and d[34:36] == b"LP"),
}
CONTENT_TYPES = {**TEXT_TYPES, **{ext: kind for ext, (kind, _test) in BINARY_TYPES.items()}}
ALLOWED = ", ".join(sorted(CONTENT_TYPES))
#: Programs, told by their first bytes (a web file never starts so).
_PROGRAMS = ((b"MZ", "Windows program"), (b"\x7fELF", "Linux program"), (b"#!", "script"),
             (b"\xfe\xed\xfa\xce", "macOS program"), (b"\xfe\xed\xfa\xcf", "macOS program"),
             (b"\xce\xfa\xed\xfe", "macOS program"), (b"\xcf\xfa\xed\xfe", "macOS program"),
             (b"\xca\xfe\xba\xbe", "macOS or Java program"), (b"\x00asm", "WebAssembly program"))


def extension(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def content_type(path: str) -> str | None:
    """The type a web content file is served with; None for a type the folder may not hold."""
    return CONTENT_TYPES.get(extension(path))


def web_asset_problems(path: str, content: bytes) -> list[str]:
    """Why a file may not be part of a SCORM lesson's folder (empty when it may)."""
    for magic, label in _PROGRAMS:
        if content.startswith(magic):
            return [f"disguised executable ({label}): not allowed in SCORM content"]
    ext = extension(path)
    if ext in TEXT_TYPES:
        return []
    if ext in BINARY_TYPES:
        kind, test = BINARY_TYPES[ext]
        return [] if test(content) else [f"the content is not {kind} although the name ends in {ext}"]
    return [f"file type {ext or '(no extension)'} is not allowed in SCORM content (allowed: {ALLOWED})"]


def in_folder(path: str, folders) -> bool:
    """Whether a package path lies inside one of the folders ("assets/scorm/x")."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)


def folder_of(value) -> str | None:
    """A lesson's ``path`` as a package folder ("assets/scorm/x", no trailing slash); None
    when it is not a plain relative path under assets/."""
    if not isinstance(value, str):
        return None
    folder = value.strip().rstrip("/")
    segments = folder.split("/")
    if not folder.startswith("assets/") or len(segments) < 2 or "\\" in folder \
            or any(s in ("", ".", "..") for s in segments) or any(ord(c) < 32 for c in folder):
        return None
    return folder


def web_folders(entries) -> set[str]:
    """The folders SCORM lessons name, from lesson entries (manifest mappings)."""
    return {folder for entry in entries if isinstance(entry, dict) and entry.get("type") == "scorm"
            for folder in [folder_of(entry.get("path"))] if folder}


def manifest_entries(data) -> list[dict]:
    """Every lesson entry of a raw course.yaml mapping (whatever else is wrong with it)."""
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return []
    return [entry for section in data["sections"] if isinstance(section, dict)
            and isinstance(section.get("lessons"), list) for entry in section["lessons"]]
