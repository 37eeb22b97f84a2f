"""Pages in the browser's terms: language, phone layout, no CDN, health, errors."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import OperationalError

from lms.database import db
from lms.models import User


def test_home_is_indonesian_by_default(lms_client):
    page = lms_client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Belajar, kumpulkan JP, raih sertifikat" in page and "Masuk" in page


def test_language_switch_to_english_and_back(lms_client):
    response = lms_client.submit("/language", {"lang": "en", "next": "/login"}, form_page="/")
    assert response.status_code == 302 and response.location == "/login"
    page = lms_client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Email or NIP" in page
    lms_client.submit("/language", {"lang": "id", "next": "/"}, form_page="/")
    assert "Email atau NIP" in lms_client.get("/login").get_data(as_text=True)


def test_language_choice_is_saved_for_the_user(lms_app, lms_client, lms_auth, lms_user):
    user = lms_user()
    lms_auth.login(user)
    lms_client.submit("/language", {"lang": "en", "next": "//evil.example"}, form_page="/")
    with lms_app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    lms_auth.logout()
    lms_client.submit("/language", {"lang": "id"}, form_page="/")
    lms_auth.login(user)
    assert '<html lang="en">' in lms_client.get("/").get_data(as_text=True)


def test_unknown_language_is_a_bad_request(lms_client):
    assert lms_client.submit("/language", {"lang": "xx"}, form_page="/").status_code == 400


def test_form_errors_are_translated(lms_client):
    page = lms_client.submit("/register", {}).get_data(as_text=True)
    assert "Kolom ini wajib diisi." in page


@pytest.mark.parametrize("url", ["/", "/login", "/register"])
def test_pages_fit_a_phone_and_load_nothing_from_outside(lms_client, url):
    page = lms_client.get(url).get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', page)
    assert external == []


def test_static_assets_are_served(lms_client):
    with lms_client.get("/static/css/lms.css") as css:  # closes the streamed file
        assert css.status_code == 200 and "@media" in css.get_data(as_text=True)


def test_healthz_reports_the_database(lms_client):
    response = lms_client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_is_503_when_the_database_is_down(lms_client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", down)
    response = lms_client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "checks": {"database": "unavailable"}}


def test_not_found_page_is_in_the_layout(lms_client):
    response = lms_client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.get_data(as_text=True)


def test_api_paths_get_json_errors(lms_client):
    response = lms_client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
