"""Shared rendered fragments (lms/fragments.py): the site header and the catalog's results are
rendered once per process, yet every visitor gets their own menu, CSRF token and badges, and
a publish shows at once (issue #10)."""
from __future__ import annotations

import re

import pytest

from lms import fragments


@pytest.fixture
def catalog(lms_course):
    """Two published courses."""
    return lms_course("kursus-satu", lessons=1, title="Kursus Satu"), \
        lms_course("kursus-dua", lessons=1, title="Kursus Dua")


def _badges(page: str) -> list[str]:
    return re.findall(r'<span class="badge badge-mine">([^<]+)</span>', page)


def test_each_visitor_gets_their_own_badges_from_one_cached_catalog(
        lms_app, lms_client, lms_auth, lms_user, catalog):
    first, _second = catalog
    lms_auth.login(lms_user(email="a@example.test"))
    lms_client.submit(f"/courses/{first.slug}/enrol", form_page=f"/courses/{first.slug}")
    assert _badges(lms_client.get("/courses").get_data(as_text=True)) == ["Terdaftar"]
    lms_auth.logout()
    lms_auth.login(lms_user(email="b@example.test"))
    page = lms_client.get("/courses").get_data(as_text=True)
    assert _badges(page) == [] and "Kursus Satu" in page and "Kursus Dua" in page
    assert "slot:" not in page
    assert sum(1 for key in lms_app.extensions["lms.fragments"].items if key[0] == "catalog") == 1


def test_the_header_is_shared_but_the_csrf_token_and_menu_are_the_visitors(
        lms_app, lms_client, lms_auth, lms_user):
    lms_client.get("/courses")
    anonymous = lms_client.get("/courses").get_data(as_text=True)
    assert "/login" in anonymous and "Keluar" not in anonymous
    lms_auth.login(lms_user(email="pelajar@example.test"))
    page = lms_client.get("/courses").get_data(as_text=True)
    assert "Keluar" in page and "slot:" not in page
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)[:2]
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    token = tokens[0]
    # the token in the cached header is this session's: switching language with it works
    answer = lms_client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/courses"})
    assert answer.status_code == 302
    assert "Sign out" in lms_client.get("/courses").get_data(as_text=True)
    lms_auth.logout()
    lms_auth.login(lms_user(role="admin", email="admin@example.test"))
    assert "/admin" in lms_client.get("/courses").get_data(as_text=True)


def test_a_publish_shows_in_the_cached_catalog_at_once(lms_client, lms_course, catalog):
    assert "Kursus Tiga" not in lms_client.get("/courses").get_data(as_text=True)
    lms_course("kursus-tiga", lessons=1, title="Kursus Tiga")
    assert "Kursus Tiga" in lms_client.get("/courses").get_data(as_text=True)


def test_text_cannot_forge_a_slot(lms_app):
    with lms_app.test_request_context():
        marker = str(fragments.slot("csrf"))
        html = "<p>" + marker.replace("<", "&lt;") + "</p>" + marker
        assert fragments.fill(html, {"csrf": "T"}) == "<p>" + marker.replace("<", "&lt;") + "</p>T"
        assert fragments.fill("<!--slot:0000:csrf-->", {"csrf": "T"}) == "<!--slot:0000:csrf-->"
        assert fragments.fill(marker, {}) == ""
        assert fragments.fill(marker, {"csrf": "<b>"}) == "&lt;b&gt;"  # plain text is escaped
        with pytest.raises(ValueError):
            fragments.slot("a-->b")


@pytest.mark.lms_config(CACHE_BACKEND="null")
def test_the_null_cache_renders_every_request(lms_app, lms_client, lms_course):
    lms_course("kursus-satu", lessons=1, title="Kursus Satu")
    assert "Kursus Satu" in lms_client.get("/courses").get_data(as_text=True)
    assert "lms.fragments" not in lms_app.extensions


def test_each_language_has_its_own_fragment(lms_client, catalog):
    assert "Kursus" in lms_client.get("/courses").get_data(as_text=True)
    token = lms_client.csrf_token("/courses")
    lms_client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/courses"})
    page = lms_client.get("/courses").get_data(as_text=True)
    assert ">Courses</h1>" in page and "Sign in" in page
    token = lms_client.csrf_token("/courses")
    lms_client.post("/language", data={"csrf_token": token, "lang": "id", "next": "/courses"})
    assert ">Kursus</h1>" in lms_client.get("/courses").get_data(as_text=True)


def test_long_query_strings_are_rendered_without_the_cache(lms_app, lms_client, catalog):
    lms_client.get("/courses")
    page = lms_client.get("/courses?q=" + "a" * 400).get_data(as_text=True)
    assert "Kursus Satu" in page  # too long to be a search: the form says so, every course shows
    assert [key[3] for key in lms_app.extensions["lms.fragments"].items if key[0] == "catalog"] == [b""]


def test_every_template_compiles_before_the_workers_fork(lms_app):
    from lms.templating import precompile_templates

    assert precompile_templates(lms_app) >= 90
    assert len(lms_app.jinja_env.cache) >= 90
