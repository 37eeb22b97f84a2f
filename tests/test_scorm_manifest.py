"""SCORM 1.2 manifests and content files: good packages read, hostile or wrong ones refused
with the file and line named."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from lms.packages.archive import Limits, read_files, read_package
from lms.scorm import cmi
from lms.scorm.course import convert, slugify
from lms.scorm.files import web_asset_problems
from lms.scorm.manifest import read_manifest

FIXTURE = Path(__file__).parent / "fixtures" / "scorm12"


def fixture_files() -> dict[str, bytes]:
    return {p.relative_to(FIXTURE).as_posix(): p.read_bytes() for p in FIXTURE.rglob("*") if p.is_file()}


def manifest(body: str, resources: str | None = None, head: str = "") -> bytes:
    resources = resources if resources is not None else (
        '<resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="index.html"/>')
    return f"""<?xml version="1.0"?>{head}
<manifest identifier="M" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="O">
    <organization identifier="O"><title>Uji</title>{body}</organization>
  </organizations>
  <resources>{resources}</resources>
</manifest>""".encode()


ITEM = '<item identifier="I1" identifierref="R1"><title>Satu</title></item>'
PRESENT = {"imsmanifest.xml", "index.html"}


def test_fixture_package_reads_every_field():
    package, problems = read_manifest((FIXTURE / "imsmanifest.xml").read_bytes(), fixture_files())
    assert problems == []
    assert package.title == "Keamanan Informasi Dasar"
    assert package.description.startswith("Modul uji SCORM 1.2") and package.learning_minutes == 80
    first, second = package.scos
    assert (first.identifier, first.href, first.query) == ("ITEM-PENGENALAN", "sco/index.html", "?bagian=1")
    assert first.mastery_score == 80 and first.data_from_lms == "mode=uji"
    assert (first.max_time_allowed, first.time_limit_action) == ("0001:00:00", "continue,no message")
    assert (second.scormtype, second.href) == ("asset", "ringkasan.html")
    assert package.sco(None) is first and package.sco("ITEM-RINGKASAN") is second and package.sco("X") is None


def test_nested_items_are_launched_in_document_order():
    body = ('<item identifier="A"><title>Bab</title>'
            '<item identifier="A1" identifierref="R1"><title>Satu</title></item></item>'
            '<item identifier="B" identifierref="R1"><title>Dua</title></item>')
    package, problems = read_manifest(manifest(body), PRESENT)
    assert problems == [] and [s.identifier for s in package.scos] == ["A1", "B"]


@pytest.mark.parametrize("data, expected", [
    (manifest(ITEM, head='<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'),
     "DTD, entities or external references are not allowed"),
    (manifest(ITEM, head='<!DOCTYPE m SYSTEM "http://evil.example/x.dtd">'), "DTD"),
    (b"<manifest><organizations>", "not well-formed XML"),
    (manifest(ITEM).replace(b"</manifest>", b"</manifes>"), "not well-formed XML"),
    (manifest(ITEM, resources='<resource identifier="R1" adlcp:scormtype="sco" href="hilang.html"/>'),
     "names hilang.html, which is not in the package"),
    (manifest(ITEM, resources='<resource identifier="R1" adlcp:scormtype="sco" href="../../etc/passwd"/>'),
     "plain relative path"),
    (manifest(ITEM, resources='<resource identifier="R1" adlcp:scormtype="sco" href="/etc/passwd"/>'),
     "not an address or an absolute path"),
    (manifest(ITEM, resources='<resource identifier="R1" adlcp:scormtype="sco" href="https://evil.example/"/>'),
     "not an address"),
    (manifest(ITEM, resources=""), "identifierref 'R1' names no <resource>"),
    (manifest('<item identifier="I1" identifierref="R1"><adlcp:masteryscore>150</adlcp:masteryscore></item>'),
     "masteryscore '150' must be a number from 0 to 100"),
    (manifest('<item identifier="I1" identifierref="R1"><adlcp:maxtimeallowed>lama</adlcp:maxtimeallowed></item>'),
     "is not a time span"),
    (manifest('<item identifier="I1" identifierref="R1"><adlcp:timelimitaction>stop</adlcp:timelimitaction></item>'),
     "timelimitaction must be one of"),
    (manifest(ITEM + ITEM), "item identifier 'I1' is used twice"),
    (manifest('<item identifier="A"><title>Kosong</title></item>'), "no launchable item"),
    (manifest(ITEM, resources='<resource identifier="R1" href="index.html"/>'), "no resource has adlcp:scormtype"),
    (manifest(ITEM).replace(b'default="O"', b'default="LAIN"'), "names no <organization>"),
])
def test_bad_manifests_are_refused_with_the_line(data, expected):
    package, problems = read_manifest(data, PRESENT)
    assert package is None and problems
    assert any(expected in p.message for p in problems), problems
    assert all(p.file == "imsmanifest.xml" for p in problems)


def test_problems_name_the_line():
    data = manifest(ITEM, resources='<resource identifier="R1" adlcp:scormtype="sco" href="x.html"/>')
    _package, problems = read_manifest(data, PRESENT)
    assert problems[0].where == "line 7"  # the <resources> line


def test_scorm_2004_is_refused_with_a_clear_message():
    data = b"""<?xml version="1.0"?>
<manifest identifier="M" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="O"><organization identifier="O"><title>T</title>
    <item identifier="I" identifierref="R"/></organization></organizations>
  <resources><resource identifier="R" adlcp:scormType="sco" href="index.html"/></resources>
</manifest>"""
    package, problems = read_manifest(data, PRESENT)
    assert package is None and "SCORM 2004 package; only SCORM 1.2 is supported" in problems[0].message


def test_huge_and_deep_manifests_are_refused():
    _p, problems = read_manifest(b"<manifest>" + b" " * (5 * 1024 * 1024) + b"</manifest>", PRESENT)
    assert "larger than" in problems[0].message
    deep = b"<manifest>" + b"<a>" * 100 + b"</a>" * 100 + b"</manifest>"
    _p, problems = read_manifest(deep, PRESENT)
    assert "nested deeper" in problems[0].message


def test_web_content_rules():
    assert web_asset_problems("a/index.html", b"<!doctype html><script>1</script>") == []
    assert web_asset_problems("a/x.js", b"var a = 1;") == []
    assert "disguised executable" in web_asset_problems("a/x.js", b"MZ\x90\x00")[0]
    assert "not allowed in SCORM content" in web_asset_problems("a/x.exe", b"abc")[0]
    assert "not allowed in SCORM content" in web_asset_problems("a/x.php", b"<?php")[0]
    assert "is not image/png" in web_asset_problems("a/x.png", b"GIF89a")[0]
    assert web_asset_problems("a/font.woff2", b"wOF2rest") == []


def test_html_outside_a_scorm_folder_is_still_refused():
    from lms.packages.archive import write_package

    spec = {"format": "lms-course/1", "slug": "campur", "title": "Campur", "jp": 1, "competency": "teknis",
            "sections": [{"title": "A", "lessons": [
                {"id": "modul", "title": "Modul", "type": "scorm", "path": "assets/scorm/modul"}]}]}
    files = {f"assets/scorm/modul/{name}": data for name, data in fixture_files().items()}
    files["assets/lain/halaman.html"] = b"<!doctype html><script>alert(1)</script>"
    _package, problems = read_package(write_package(spec, {}, files))
    assert [(p.file, "HTML document" in p.message) for p in problems] == [("assets/lain/halaman.html", True)]


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_bare_scorm_zip_becomes_a_package():
    package, problems = read_package(zip_of({f"kursus/{n}": d for n, d in fixture_files().items()}), file="k.zip")
    assert problems == []
    spec = package.spec
    assert (spec.slug, spec.title, spec.jp, spec.language) == ("keamanan-informasi-dasar", "Keamanan Informasi Dasar", 2, "id")
    assert [(lesson.id, lesson.type, lesson.entry["item"]) for lesson in spec.lessons()] == [
        ("item-pengenalan", "scorm", "ITEM-PENGENALAN"), ("item-ringkasan", "scorm", "ITEM-RINGKASAN")]
    assert "assets/scorm/keamanan-informasi-dasar/sco/sco.js" in package.assets


def test_a_bare_zip_with_a_broken_manifest_names_it():
    files = fixture_files()
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b'href="sco/index.html"', b'href="sco/hilang.html"')
    package, problems = read_package(zip_of(files))
    assert package is None and problems[0].file == "imsmanifest.xml" and "sco/hilang.html" in problems[0].message


def test_a_bare_zip_keeps_the_archive_limits():
    files = fixture_files()
    files["sco/besar.js"] = b"a" * 3_000_000
    _package, problems = read_package(zip_of(files), Limits(max_member_bytes=1_000_000))
    assert any("over the limit" in p.message for p in problems)
    _files, problems = read_files(zip_of({"../keluar.html": b"x"}))
    assert "'..' in a path is not allowed" in problems[0].message


def test_convert_names_and_ids():
    assert slugify("Pelatihan Dasar CPNS — Angkatan II") == "pelatihan-dasar-cpns-angkatan-ii"
    converted, problems = convert(fixture_files())
    assert problems == [] and b"jp: 2" in converted["course.yaml"]


@pytest.mark.parametrize("element, value, code", [
    ("cmi.core.lesson_status", "selesai", cmi.WRONG_TYPE),
    ("cmi.core.lesson_status", "not attempted", cmi.WRONG_TYPE),
    ("cmi.core.score.raw", "101", cmi.WRONG_TYPE),
    ("cmi.core.score.raw", "abc", cmi.WRONG_TYPE),
    ("cmi.core.student_name", "x", cmi.READ_ONLY),
    ("cmi.core.total_time", "0000:00:01", cmi.READ_ONLY),
    ("cmi.core._children", "x", cmi.KEYWORD),
    ("cmi.interactions._count", "1", cmi.KEYWORD),
    ("cmi.suspend_data", "x" * 4097, cmi.WRONG_TYPE),
    ("cmi.core.session_time", "5 menit", cmi.WRONG_TYPE),
    ("cmi.core.exit", "pergi", cmi.WRONG_TYPE),
    ("cmi.interactions.1.id", "q", cmi.INVALID_ARGUMENT),
    ("cmi.interactions.0.type", "essay", cmi.WRONG_TYPE),
    ("cmi.objectives.0.id", "dua kata", cmi.WRONG_TYPE),
    ("cmi.core.unknown", "x", cmi.NOT_IMPLEMENTED),
    ("cmi.student_preference.text", "2", cmi.WRONG_TYPE),
])
def test_cmi_rules(element, value, code):
    with pytest.raises(cmi.CmiError) as raised:
        cmi.set_value(cmi.Cmi(), element, value)
    assert raised.value.code == code


def test_cmi_arrays_and_times():
    data = cmi.Cmi()
    assert cmi.apply(data, [["cmi.interactions.0.id", "q1"], ["cmi.interactions.0.objectives.0.id", "o1"],
                            ["cmi.interactions.0.correct_responses.0.pattern", "a"],
                            ["cmi.interactions.1.result", "0.5"], ["cmi.objectives.0.score.raw", "40"]]) == []
    assert data.interactions[0]["objectives"] == ["o1"] and data.interactions[1]["result"] == "0.5"
    assert data.objectives[0]["score"]["raw"] == "40"
    assert cmi.centiseconds("0001:02:03.5") == 372350 and cmi.timespan(372350) == "0001:02:03.50"
