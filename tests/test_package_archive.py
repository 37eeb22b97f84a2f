"""The zip package reader: real packages read back whole; hostile or broken ones are refused
with a message naming the member; random damage never makes it raise."""
from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.packages.archive import Limits, Package, read_package, write_package
from lms.packages.directory import read_directory
from lms.packages.manifest import Problem

DEMO = Path(__file__).parent.parent / "lms" / "demo" / "courses"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(32)
GIFT = "::q1:: Ibu kota Indonesia adalah {=Jakarta ~Bandung}\n"
LESSON = "# Pelajaran\n\nTeks biasa dengan ![gambar](assets/gambar.png).\n"
MANIFEST = {
    "format": "lms-course/1", "slug": "uji-paket", "title": "Uji Paket", "language": "id", "jp": 2,
    "competency": "teknis", "summary": "Ringkasan.",
    "sections": [{"title": "Bagian 1",
                  "lessons": [{"id": "a", "title": "Pelajaran A", "file": "lessons/a.md"}],
                  "quiz": {"id": "kuis", "title": "Kuis", "file": "quizzes/q.gift", "pass": 70}}],
}
SAFE_SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
            b'xmlns:xlink="http://www.w3.org/1999/xlink"><defs><circle id="c" r="4"/></defs>'
            b'<use xlink:href="#c"/><image href="data:image/png;base64,iVBORw0KGgo="/></svg>')


def zip_of(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name or ZipInfo, content) pairs, written as given (duplicates included)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of one case
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, content in entries:
                archive.writestr(name, content)
    return buffer.getvalue()


def package(manifest=None, **changes) -> bytes:
    """A valid package; keyword arguments (path=content, with '__' for '/') add, replace or drop (None) files."""
    files = {"course.yaml": yaml.safe_dump(manifest or MANIFEST, allow_unicode=True, sort_keys=False),
             "lessons/a.md": LESSON, "quizzes/q.gift": GIFT, "assets/gambar.png": PNG}
    for key, value in changes.items():
        files[key.replace("__", "/")] = value
    return zip_of([(name, content) for name, content in files.items() if content is not None])


def zip_directory(folder: Path, prefix: str = "", junk: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, prefix + path.relative_to(folder).as_posix())
        if junk:
            archive.writestr(prefix + ".DS_Store", b"\x00\x00\x00\x01Bud1")
            archive.writestr("__MACOSX/" + prefix + "._course.yaml", b"\x00\x05\x16\x07")
    return buffer.getvalue()


def with_info(name: str, content: bytes, mode: int) -> bytes:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return zip_of([*_valid_entries(), (info, content)])


def _valid_entries():
    return [("course.yaml", yaml.safe_dump(MANIFEST)), ("lessons/a.md", LESSON),
            ("quizzes/q.gift", GIFT), ("assets/gambar.png", PNG)]


def patched_name(placeholder: bytes, real: bytes) -> bytes:
    """Rewrite a name in both headers (names are not covered by the CRC), e.g. to put a NUL in it."""
    data = zip_of([*_valid_entries(), (placeholder.decode(), b"x")])
    assert len(placeholder) == len(real)
    return data.replace(placeholder, real)


def encrypted() -> bytes:
    """Set the 'encrypted' flag bit of one member in its local and central headers."""
    data = bytearray(zip_of([*_valid_entries(), ("assets/rahasia.png", PNG)]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            header_len = 30 if signature == b"PK\x03\x04" else 46
            name_len = struct.unpack("<H", data[start + header_len - (4 if header_len == 30 else 18):
                                                start + header_len - (2 if header_len == 30 else 16)])[0]
            if data[start + header_len:start + header_len + name_len] == b"assets/rahasia.png":
                data[start + offset] |= 0x1
            start += 4
    return bytes(data)


def manifest_with(**changes) -> dict:
    manifest = yaml.safe_load(yaml.safe_dump(MANIFEST))
    manifest.update(changes)
    return manifest


def svg(body: str) -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>'.encode()


BOMB_YAML = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
             + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
                       f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
                       for i in range(8)))
XXE_SVG = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>')
ZEROS_8M = bytes(8 * 1024 * 1024)
SMALL_RATIO_OFF = Limits(max_member_bytes=1024 * 1024, max_ratio=1e9)

# (id, archive bytes (or a function making them), limits, expected file, expected where or None, message part)
CORPUS = [
    ("traversal-depth-1", lambda: zip_of([*_valid_entries(), ("../x", b"x")]), None, "../x", None, "'..'"),
    ("traversal-depth-3", lambda: zip_of([*_valid_entries(), ("lessons/../../x", b"x")]), None,
     "lessons/../../x", None, "'..'"),
    ("absolute-unix", lambda: zip_of([*_valid_entries(), ("/etc/passwd", b"root:x:0:0")]), None,
     "/etc/passwd", None, "absolute paths are not allowed"),
    ("absolute-windows", lambda: zip_of([*_valid_entries(), ("C:\\x", b"x")]), None, "C:\\x", None,
     "absolute paths are not allowed"),
    ("absolute-drive-slash", lambda: zip_of([*_valid_entries(), ("C:/x", b"x")]), None, "C:/x", None,
     "absolute paths are not allowed"),
    ("backslash", lambda: zip_of([*_valid_entries(), ("lessons\\b.md", b"x")]), None, "lessons\\b.md", None,
     "backslashes are not allowed"),
    ("nul-in-name", lambda: patched_name(b"lessons/bXmd", b"lessons/b\x00md"), None, "lessons/b\\x00md", None,
     "NUL or control characters"),
    ("control-char-in-name", lambda: zip_of([*_valid_entries(), ("lessons/b\x1b.md", b"x")]), None,
     "lessons/b\\x1b.md", None, "NUL or control characters"),
    ("name-too-long", lambda: zip_of([*_valid_entries(), ("assets/" + "a" * 40 + ".png", PNG)]),
     Limits(max_path_length=30), "assets/" + "a" * 40 + ".png", None, "name longer than 30 characters"),
    ("symlink", lambda: with_info("assets/tautan.png", b"/etc/passwd", stat.S_IFLNK | 0o777), None,
     "assets/tautan.png", None, "symbolic links are not allowed"),
    ("fifo", lambda: with_info("assets/pipa.png", b"", stat.S_IFIFO | 0o644), None, "assets/pipa.png", None,
     "not a regular file"),
    ("duplicate-name", lambda: zip_of([*_valid_entries(), ("lessons/a.md", "# lain\n")]), None, "lessons/a.md",
     None, "duplicate name"),
    ("case-collision", lambda: zip_of([*_valid_entries(), ("Lessons/A.md", "# lain\n")]), None, "Lessons/A.md",
     None, "differs only in letter case from lessons/a.md"),
    ("file-and-folder", lambda: zip_of([*_valid_entries(), ("lessons", b"x")]), None, "lessons", None,
     "both as a file and as a folder"),
    ("ratio-bomb", lambda: package(lessons__b=ZEROS_8M), None, "lessons/b", None,
     "looks like a zip bomb"),
    ("member-over-limit", lambda: package(assets__besar=bytes(3 * 1024 * 1024)), SMALL_RATIO_OFF,
     "assets/besar", None, "uncompressed size over the limit of 1 MB per file"),
    ("archive-ratio-bomb", lambda: package(**{f"assets__nol{i}": bytes(100_000) for i in range(30)}), None,
     "package.zip", None, "of the whole archive looks like a zip bomb"),
    ("total-over-limit", lambda: package(assets__a=bytes(800), assets__b=bytes(800)),
     Limits(max_total_bytes=1500), None, None, "uncompressed size over the limit of 1,500 bytes for the whole"),
    ("too-many-members", lambda: package(**{f"assets__{i}.png": PNG for i in range(10)}), Limits(max_members=8),
     "package.zip", None, "more than 8 members"),
    ("archive-over-limit", lambda: package(), Limits(max_archive_bytes=100), "package.zip", None,
     "archive is larger than the limit of 100 bytes"),
    ("nested-zip", lambda: package(assets__dalam=zip_of([("x.txt", b"x")])), None, "assets/dalam", None,
     "nested archive (zip) is not allowed"),
    ("nested-gzip", lambda: package(assets__data=b"\x1f\x8b\x08\x00" + bytes(20)), None, "assets/data", None,
     "nested archive (gzip)"),
    ("truncated", lambda: package()[:-100], None, "package.zip", None, "not a valid zip archive"),
    ("bad-crc", lambda: zip_of(_valid_entries(), zipfile.ZIP_STORED).replace(b"Teks biasa", b"Teks BIASA"),
     None, "lessons/a.md", None, "not a valid zip archive (Bad CRC-32"),
    ("header-name-mismatch", lambda: package().replace(b"course.yaml", b"COURSE.YAML", 1), None, "course.yaml",
     None, "not a valid zip archive (File name in directory"),
    ("lesson-too-large", lambda: package(**{"lessons/a.md": "x" * 2_000_001}), Limits(max_ratio=1e9),
     "lessons/a.md", None,
     "larger than 2,000,000 bytes"),
    ("encrypted-member", encrypted, None, "assets/rahasia.png", None, "encrypted members are not allowed"),
    ("bzip2-member", lambda: zip_of(_valid_entries(), zipfile.ZIP_BZIP2), None, "course.yaml", None,
     "compression method 12 is not supported"),
    ("not-a-zip", lambda: b"Ini bukan arsip zip.\n" * 10, None, "package.zip", None, "not a valid zip archive"),
    ("empty-zip", lambda: zip_of([]), None, "package.zip", None, "the archive is empty"),
    ("missing-course-yaml", lambda: package(**{"course.yaml": None}), None, "course.yaml", None,
     "missing: course.yaml must be at the root"),
    ("two-top-folders", lambda: zip_of([("a/" + n, c) for n, c in _valid_entries()] + [("b/x.md", b"x")]), None,
     "course.yaml", None, "found a/course.yaml"),
    ("unexpected-file", lambda: package(**{"catatan.txt": "x"}), None, "catatan.txt", None, "unexpected file"),
    ("lesson-not-markdown", lambda: package(**{"lessons/b.html": "<p>x</p>"}), None, "lessons/b.html", None,
     "lesson files must be Markdown (.md)"),
    ("yaml-alias-bomb", lambda: package(**{"course.yaml": BOMB_YAML}), None, "course.yaml", "line 1",
     "YAML anchors and aliases (&name, *name) are not allowed"),
    ("yaml-python-tag", lambda: package(**{"course.yaml": "format: lms-course/1\nx: !!python/object/apply:"
                                                          "os.system ['echo pwned']\n"}),
     None, "course.yaml", "line 2", "YAML tags such as !!python/object/apply:os.system are not allowed"),
    ("yaml-custom-tag", lambda: package(**{"course.yaml": "title: !ref x\n"}), None, "course.yaml", "line 1",
     "YAML tags such as !ref"),
    ("yaml-syntax-error", lambda: package(**{"course.yaml": "format: lms-course/1\nslug: [a, b\ntitle: x\n"}),
     None, "course.yaml", "line 3", "invalid YAML"),
    ("yaml-too-deep", lambda: package(**{"course.yaml": "x: " + "[" * 60 + "]" * 60 + "\n"}), None,
     "course.yaml", "line 1", "nested deeper than 50 levels"),
    ("manifest-field", lambda: package(manifest_with(jp=-3)), None, "course.yaml", "jp",
     "must be a whole number of lesson hours"),
    ("dangling-lesson", lambda: package(**{"lessons/a.md": None}), None, "course.yaml",
     "sections[0].lessons[0].file", "lesson 'a' names lessons/a.md, which is not in the archive"),
    ("dangling-quiz", lambda: package(**{"quizzes/q.gift": None}), None, "course.yaml", "sections[0].quiz.file",
     "quiz 'kuis' names quizzes/q.gift, which is not in the archive"),
    ("missing-asset", lambda: package(**{"assets/gambar.png": None}), None, "lessons/a.md", "line 3",
     "refers to assets/gambar.png, which is not in the archive"),
    ("markdown-script", lambda: package(**{"lessons/a.md": LESSON + "\n<SCRIPT>alert(1)</script>\n"}), None,
     "lessons/a.md", "line 5", "raw <script> is not allowed"),
    ("markdown-iframe", lambda: package(**{"lessons/a.md": '<iframe src="https://x.test"></iframe>\n'}), None,
     "lessons/a.md", "line 1", "raw <iframe> is not allowed"),
    ("markdown-javascript-link", lambda: package(**{"lessons/a.md": "Klik [di sini](JavaScript:alert(1)).\n"}),
     None, "lessons/a.md", "line 1", "javascript: links are not allowed"),
    ("markdown-entity-javascript", lambda: package(**{"lessons/a.md": "x\n\n[a](java&#115;cript&#x3A;alert(1))\n"}),
     None, "lessons/a.md", "line 3", "javascript: links are not allowed"),
    ("markdown-tab-javascript", lambda: package(**{"lessons/a.md": '<a href="jav&#x09;ascript:alert(1)">a</a>\n'}),
     None, "lessons/a.md", "line 1", "javascript: links are not allowed"),
    ("markdown-vbscript-ref", lambda: package(**{"lessons/a.md": "[a][r]\n\n[r]: vbscript:msgbox(1)\n"}), None,
     "lessons/a.md", "line 3", "vbscript: links are not allowed"),
    ("markdown-data-html", lambda: package(**{"lessons/a.md": "[a](data:text/html;base64,PHNjcmlwdD4=)\n"}),
     None, "lessons/a.md", "line 1", "data:text/html links are not allowed"),
    ("markdown-event-attribute", lambda: package(**{"lessons/a.md": 'x\n<img src="assets/gambar.png"\n'
                                                                    '  ONERROR="alert(1)">\n'}),
     None, "lessons/a.md", "line 3", "event attribute onerror= in raw HTML is not allowed"),
    ("svg-script", lambda: package(**{"assets/x.svg": svg("<script>alert(1)</script>")}), None, "assets/x.svg",
     None, "SVG with <script> is not allowed"),
    ("svg-onload", lambda: package(**{"assets/x.svg": svg("").replace(b"<svg ", b'<svg onload="alert(1)" ')}),
     None, "assets/x.svg", None, "SVG event attribute onload= is not allowed"),
    ("svg-foreign-object", lambda: package(**{"assets/x.svg": svg("<foreignObject><p>x</p></foreignObject>")}),
     None, "assets/x.svg", None, "SVG with <foreignObject> is not allowed"),
    ("svg-external-href", lambda: package(**{"assets/x.svg": svg('<image href="https://pelacak.test/x.png"/>')}),
     None, "assets/x.svg", None, "SVG link 'https://pelacak.test/x.png' is not allowed"),
    ("svg-xxe", lambda: package(**{"assets/x.svg": XXE_SVG}), None, "assets/x.svg", None,
     "SVG with a DTD, entities or external references is not allowed"),
    ("exe-as-png", lambda: package(**{"assets/gambar.png": b"MZ\x90\x00" + bytes(60)}), None, "assets/gambar.png",
     None, "disguised executable (Windows program): not an allowed asset type"),
    ("elf-as-mp3", lambda: package(**{"assets/lagu.mp3": b"\x7fELF\x02\x01\x01" + bytes(40)}), None,
     "assets/lagu.mp3", None, "disguised executable (Linux program)"),
    ("shebang-as-jpg", lambda: package(**{"assets/foto.jpg": b"#!/bin/sh\nrm -rf /\n"}), None, "assets/foto.jpg",
     None, "disguised executable (script)"),
    ("html-as-png", lambda: package(**{"assets/gambar.png": b"<!DOCTYPE html><html><script>x</script>"}), None,
     "assets/gambar.png", None, "HTML document: not an allowed asset type"),
    ("png-as-pdf", lambda: package(**{"assets/modul.pdf": PNG}), None, "assets/modul.pdf", None,
     "content is PNG but the name ends in .pdf"),
    ("unknown-asset", lambda: package(**{"assets/data.csv": b"a,b\n1,2\n"}), None, "assets/data.csv", None,
     "not an allowed asset type (allowed: PNG"),
    ("non-utf8-lesson", lambda: package(**{"lessons/a.md": "# Judul\n\nKata: caf\xe9\n".encode("latin-1")}), None,
     "lessons/a.md", "line 3", "not UTF-8 text"),
]

@pytest.mark.parametrize(("make", "limits", "file", "where", "message"),
                         [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS])
def test_hostile_or_broken_packages_are_refused_with_a_clear_message(make, limits, file, where, message):
    result, problems = read_package(make(), limits or Limits())
    assert result is None and problems and all(isinstance(p, Problem) for p in problems)
    matching = [p for p in problems if message in p.message and (file is None or p.file == file)
                and (where is None or p.where == where)]
    assert matching, problems


def test_corpus_is_large_and_every_case_has_its_own_message():
    assert len(CORPUS) >= 30
    assert len({case[0] for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("course", sorted(p.name for p in DEMO.iterdir()))
@pytest.mark.parametrize("layout", ["root", "folder"])
def test_demo_courses_zipped_read_back_like_the_directory_reader(course, layout):
    data = zip_directory(DEMO / course, prefix=f"{course}/" if layout == "folder" else "", junk=True)
    result, problems = read_package(data)
    spec, bodies, directory_problems = read_directory(DEMO / course)
    assert problems == [] == directory_problems
    assert isinstance(result, Package) and result.spec == spec and result.bodies == bodies
    assert result.assets == {}


def test_write_package_round_trip_is_deterministic():
    bodies = {"lessons/a.md": LESSON + "\nAksara: ꦲꦏ꧀ꦱꦫ, é\n", "quizzes/q.gift": GIFT}
    assets = {"assets/gambar.png": PNG, "assets/ikon.svg": SAFE_SVG, "assets/suara/salam.mp3": MP3}
    data = write_package(MANIFEST, bodies, assets)
    assert data == write_package(MANIFEST, dict(reversed(bodies.items())), assets)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    result, problems = read_package(data)
    assert problems == [] and result is not None
    assert result.bodies == bodies and result.assets == assets
    assert result.spec.slug == "uji-paket" and result.spec.quizzes()[0].file == "quizzes/q.gift"


def test_write_package_never_writes_aliases_or_unsafe_names():
    review = ["score", "feedback"]
    manifest = yaml.safe_load(yaml.safe_dump(MANIFEST))
    manifest["sections"][0]["quiz"]["review"] = review
    manifest["sections"].append({"title": "Bagian 2", "lessons": [{"id": "b", "title": "B", "file": "lessons/a.md"}],
                                 "quiz": {"id": "kuis-2", "file": "quizzes/q.gift", "review": review}})
    result, problems = read_package(write_package(manifest, {"lessons/a.md": LESSON, "quizzes/q.gift": GIFT},
                                                  {"assets/gambar.png": PNG}))
    assert problems == [] and result.spec.quizzes()[1].review == review
    for name in ("../x.md", "/etc/x", "lessons\\a.md", "course.yaml"):
        with pytest.raises(ValueError):
            write_package(MANIFEST, {name: "x"}, {})


def test_harmless_content_is_not_mistaken_for_an_attack():
    lesson = ("# JavaScript: pengantar\n\nContoh kode berbahaya yang harus dikenali:\n\n"
              "```html\n<script>alert(1)</script>\n<a href=\"javascript:x\">x</a>\n```\n\n"
              "Inline `<iframe src=x onload=y>` juga hanya teks. Kata *online* dan onion=bawang.\n"
              '<span class="catatan">Lihat <a href="https://lapor.go.id/?online=1">LAPOR!</a></span>\n'
              "[Modul](assets/modul%20satu.pdf#hal-2) dan <img src=\"assets/ikon.svg\" alt=\"ikon\">\n")
    data = package(**{"lessons/a.md": lesson, "assets/modul satu.pdf": b"%PDF-1.7\n%%EOF\n",
                      "assets/ikon.svg": SAFE_SVG, "assets/klip.mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(8),
                      "assets/lagu.mp3": b"\xff\xfb\x90\x64" + bytes(20), "assets/v.webm": b"\x1a\x45\xdf\xa3",
                      "assets/s.ogg": b"OggS\x00\x02", "assets/f.jpeg": b"\xff\xd8\xff\xe0",
                      "assets/g.gif": b"GIF89a", "assets/w.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 "})
    result, problems = read_package(data)
    assert problems == [] and result is not None and len(result.assets) == 10


@pytest.mark.parametrize("text", ["=" + " " * 1_900_000, "`a``a```a" * 200_000, "<a " * 600_000,
                                  "".join("`" * i + "a" for i in range(1, 1900)), "<" * 1_900_000,
                                  "](" + "\t" * 1_900_000, "<a o" + "n" * 1_900_000, "&#" * 900_000])
def test_pathological_markdown_is_checked_without_false_alarms(text):
    data = package(**{"lessons/a.md": text})
    _, problems = read_package(data, Limits(max_ratio=1e9))  # the ratio check would stop it early
    assert not any("ratio" in p.message or "larger" in p.message for p in problems)


def test_many_markdown_problems_are_summarised():
    result, problems = read_package(package(**{"lessons/a.md": "[x](javascript:y)\n" * 500}))
    assert result is None and len(problems) == 21
    assert problems[-1].message == "... and 480 more problems in this file"


def test_a_problem_in_one_file_does_not_hide_the_others():
    data = package(**{"assets/gambar.png": b"MZ", "lessons/a.md": LESSON + "<script>x</script>\n",
                      "catatan.txt": "x"}, **{"../keluar": "x"})
    result, problems = read_package(data)
    assert result is None
    assert {p.file for p in problems} >= {"assets/gambar.png", "lessons/a.md", "catatan.txt", "../keluar"}


VALID = write_package(MANIFEST, {"lessons/a.md": LESSON, "quizzes/q.gift": GIFT}, {"assets/gambar.png": PNG})


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8),
       cut=st.one_of(st.none(), st.integers(0, len(VALID))),
       junk=st.binary(max_size=64))
def test_damaged_archives_never_raise(mutations, cut, junk):
    data = bytearray(VALID)
    for position, value in mutations:
        data[position] = value
    data = bytes(data[:cut] if cut is not None else data) + junk
    result, problems = read_package(data)
    if result is None:
        assert problems and all(isinstance(p, Problem) and p.message for p in problems)
        assert not any("internal error" in p.message for p in problems), problems
    else:
        assert isinstance(result, Package) and problems == []
