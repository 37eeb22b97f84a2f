"""The API's conventions: who may call it (tokens, sessions, scopes), the error shape,
paging, ETags, and the OpenAPI document and its reference page."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from lms.database import db
from lms.models import ApiToken, User


@pytest.fixture
def token_for(lms_app):
    """Factory: a token secret for a FactoryUser (write=True gives the write scope)."""
    from lms.services import tokens

    def make(user, *, write: bool = False, days: int = 30) -> str:
        with lms_app.app_context():
            _token, secret = tokens.create(db.session.get(User, user.id), name="test", write=write,
                                           days=days)
        return secret

    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------- error shape


def test_unknown_paths_and_methods_answer_the_error_shape(lms_client):
    assert_error(lms_client.get("/api/v1/nothing-here"), 404, "not_found")
    response = lms_client.put("/api/v1/courses")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_anonymous_callers_are_asked_to_authenticate(lms_client):
    response = lms_client.get("/api/v1/me")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_validation_errors_name_each_field(lms_client):
    error = assert_error(lms_client.get("/api/v1/courses?per_page=0&competency=x"), 422,
                         "validation_failed")
    assert set(error["details"]) == {"per_page", "competency"}


def test_bodies_must_be_json_objects_of_the_documented_types(lms_client, lms_user, token_for):
    secret = token_for(lms_user(), write=True)
    assert_error(lms_client.post("/api/v1/me/enrolments", data="course=x", headers=bearer(secret)),
                 400, "json_required")
    assert_error(lms_client.post("/api/v1/me/enrolments", data="{", headers=bearer(secret),
                                 content_type="application/json"), 400, "invalid_json")
    error = assert_error(lms_client.post("/api/v1/me/enrolments", json={"course": 5, "extra": 1},
                                         headers=bearer(secret)), 422, "validation_failed")
    assert set(error["details"]) == {"course", "extra"}


# ---------------------------------------------------------------- tokens


def test_a_token_made_on_the_profile_page_is_shown_once_and_stored_hashed(lms_app, lms_client, lms_user,
                                                                          lms_auth):
    user = lms_user()
    lms_auth.login(user)
    page = lms_client.submit("/profile/tokens", {"token-name": "SIASN export", "token-days": "30"},
                             form_page="/profile")
    assert page.status_code == 200
    secret = re.search(r"lms_pat_[A-Za-z0-9_-]+", page.get_data(as_text=True)).group(0)
    assert secret not in lms_client.get("/profile").get_data(as_text=True)
    with lms_app.app_context():
        token = db.session.query(ApiToken).one()
        assert token.scopes == "read" and token.token_hash != secret and secret not in token.token_hash
        assert 29 <= (token.expires_at.replace(tzinfo=None) - dt.datetime.utcnow()).days <= 30
    lms_auth.logout()
    assert lms_client.get("/api/v1/me", headers=bearer(secret)).get_json()["email"] == user.email


def test_a_revoked_token_stops_working_at_once(lms_app, lms_client, lms_user, lms_auth, token_for):
    user = lms_user()
    secret = token_for(user)
    assert lms_client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    lms_auth.login(user)
    with lms_app.app_context():
        token_id = db.session.query(ApiToken.id).scalar()
    response = lms_client.submit(f"/profile/tokens/{token_id}/revoke", form_page="/profile")
    assert response.status_code == 302
    lms_auth.logout()
    assert_error(lms_client.get("/api/v1/me", headers=bearer(secret)), 401, "invalid_token")


def test_nobody_revokes_another_persons_token(lms_app, lms_client, lms_user, lms_auth, token_for):
    secret = token_for(lms_user())
    lms_auth.login(lms_user())
    with lms_app.app_context():
        token_id = db.session.query(ApiToken.id).scalar()
    assert lms_client.submit(f"/profile/tokens/{token_id}/revoke", form_page="/profile").status_code == 404
    lms_auth.logout()
    assert lms_client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_token_form_refuses_bad_input(lms_client, lms_user, lms_auth):
    lms_auth.login(lms_user())
    response = lms_client.submit("/profile/tokens", {"token-name": "", "token-days": "5"}, form_page="/profile")
    assert response.status_code == 400


@pytest.mark.parametrize("header", ["Bearer lms_pat_unknown", "Bearer ", "Basic dXNlcjpwdw==",
                                    "Bearer " + "x" * 500])
def test_malformed_or_unknown_tokens_are_refused(lms_client, header):
    assert_error(lms_client.get("/api/v1/courses", headers={"Authorization": header}), 401, "invalid_token")


def test_expired_tokens_and_inactive_owners_are_refused(lms_app, lms_client, lms_user, token_for):
    user = lms_user()
    secret = token_for(user)
    with lms_app.app_context():
        token = db.session.query(ApiToken).one()
        token.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        db.session.commit()
    assert_error(lms_client.get("/api/v1/me", headers=bearer(secret)), 401, "invalid_token")
    other = lms_user()
    secret = token_for(other)
    with lms_app.app_context():
        db.session.get(User, other.id).active = False
        db.session.commit()
    assert_error(lms_client.get("/api/v1/me", headers=bearer(secret)), 401, "invalid_token")


def test_a_read_token_cannot_change_anything(lms_client, lms_user, lms_course, token_for):
    course = lms_course("kursus-baca")
    secret = token_for(lms_user(), write=False)
    response = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=bearer(secret))
    assert_error(response, 403, "insufficient_scope")
    assert 'scope="write"' in response.headers["WWW-Authenticate"]
    assert lms_client.get("/api/v1/me/enrolments", headers=bearer(secret)).get_json()["total"] == 0


def test_an_admin_password_reset_revokes_the_persons_tokens(lms_app, lms_client, lms_user, token_for):
    from lms.services import user_admin

    user, admin = lms_user(), lms_user("admin")
    secret = token_for(user)
    with lms_app.app_context():
        user_admin.reset_password(db.session.get(User, admin.id), db.session.get(User, user.id))
    assert_error(lms_client.get("/api/v1/me", headers=bearer(secret)), 401, "invalid_token")


def test_last_use_is_recorded_without_a_write_per_request(lms_app, lms_client, lms_user, token_for,
                                                          lms_queries):
    secret = token_for(lms_user())
    lms_client.get("/api/v1/me", headers=bearer(secret))
    with lms_app.app_context():
        first = db.session.query(ApiToken.last_used_at).scalar()
    assert first is not None
    with lms_queries() as queries:
        lms_client.get("/api/v1/me", headers=bearer(secret))
    assert not [s for s in queries.statements if s.lstrip().upper().startswith("UPDATE")]
    with lms_app.app_context():
        assert db.session.query(ApiToken.last_used_at).scalar() == first


# ---------------------------------------------------------------- browser session


def test_the_browser_session_reads_and_must_send_its_csrf_token_to_write(lms_client, lms_user, lms_auth,
                                                                         lms_course):
    course = lms_course("kursus-sesi")
    user = lms_user()
    lms_auth.login(user)
    assert lms_client.get("/api/v1/me").get_json()["email"] == user.email
    assert_error(lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}), 403, "csrf_failed")
    token = lms_client.csrf_token("/profile")
    response = lms_client.post("/api/v1/me/enrolments", json={"course": course.slug},
                               headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_a_pending_password_change_blocks_the_api(lms_app, lms_client, lms_user, token_for):
    user = lms_user()
    secret = token_for(user)
    with lms_app.app_context():
        db.session.get(User, user.id).must_change_password = True
        db.session.commit()
    assert_error(lms_client.get("/api/v1/me", headers=bearer(secret)), 403, "password_change_required")


# ---------------------------------------------------------------- paging and ETags


def test_lists_are_paged_with_link_headers(lms_client, lms_course):
    for n in range(3):
        lms_course(f"kursus-{n}")
    first = lms_client.get("/api/v1/courses?per_page=2")
    body = first.get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (3, 2, 2)
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = lms_client.get("/api/v1/courses?per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    assert {i["slug"] for i in body["items"] + second["items"]} == {"kursus-0", "kursus-1", "kursus-2"}
    beyond = lms_client.get("/api/v1/courses?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 3


def test_reads_carry_an_etag_and_answer_304_until_the_data_changes(lms_client, lms_course, lms_user,
                                                                   token_for):
    course = lms_course("kursus-etag")
    secret = token_for(lms_user(), write=True)
    first = lms_client.get("/api/v1/me/enrolments", headers=bearer(secret))
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"] and "private" in first.headers["Cache-Control"]
    again = lms_client.get("/api/v1/me/enrolments", headers={**bearer(secret), "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=bearer(secret))
    changed = lms_client.get("/api/v1/me/enrolments", headers={**bearer(secret), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["total"] == 1


def test_catalog_queries_do_not_grow_with_the_page(lms_client, lms_course, lms_queries):
    for n in range(2):
        lms_course(f"kursus-a{n}")
    with lms_queries() as small:
        lms_client.get("/api/v1/courses")
    for n in range(6):
        lms_course(f"kursus-b{n}")
    with lms_queries() as large:
        lms_client.get("/api/v1/courses")
    assert large.count == small.count


# ---------------------------------------------------------------- the document


def test_every_api_route_is_in_the_openapi_document(lms_app, lms_client):
    spec = lms_client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    undocumented = set()
    for rule in lms_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in ("api.openapi_document", "api.docs"):
            continue
        if rule.endpoint == "certificates.api_verify":
            continue  # takes any signed credential document; see docs/api.md
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                undocumented.add((path, method))
    assert not undocumented


def test_each_operation_documents_its_errors_with_the_error_schema(lms_client):
    spec = lms_client.get("/api/v1/openapi.json").get_json()
    enrol = spec["paths"]["/api/v1/me/enrolments"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(enrol["responses"])
    assert enrol["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert enrol["x-lms-scope"] == "write"
    assert spec["paths"]["/api/v1/courses"]["get"]["security"][0] == {}


def test_the_reference_page_lists_every_operation_without_external_assets(lms_client):
    spec = lms_client.get("/api/v1/openapi.json").get_json()
    page = lms_client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path in spec["paths"]:
        assert path in html
    assert not re.search(r'(src|href)="(https?:)?//(?!localhost)', html)


def test_the_profile_page_has_one_token_section_in_its_content(lms_client, lms_user, lms_auth):
    lms_auth.login(lms_user())
    html = lms_client.get("/profile").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and html.count('id="tokens"') == 1
    assert html.count('id="token-name"') == 1 and html.count('id="name"') == 1


def test_token_pages_need_a_signed_in_person_and_a_csrf_token(lms_app, lms_client, lms_user, lms_auth):
    for url in ("/profile/tokens", "/profile/tokens/1/revoke"):
        response = lms_client.submit(url, {"token-name": "x", "token-days": "7"}, form_page="/login")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    lms_auth.login(lms_user())
    assert lms_client.post("/profile/tokens", data={"token-name": "x", "token-days": "7"}).status_code == 400
    with lms_app.app_context():
        assert db.session.query(ApiToken).count() == 0
