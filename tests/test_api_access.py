"""Who may call each API operation: every operation in the document, every role.

The operations are read from the API blueprint, so a new one is in this matrix the day it
is added. Path values point at real data (a course with a quiz, an attempt, a user, a
unit, a certificate), so a refusal here is the access rule, not a missing row.
"""
from __future__ import annotations

import re

import pytest

from api_schema import checked
from lms.database import db
from lms.models import Certificate, Role, User
from lms.services import tokens

ROLES = ("learner", "author", "unit_admin", "admin")
QUESTION = {"id": "q1", "type": "truefalse", "text": "Benar?", "answer": True}


@pytest.fixture
def world(lms_app, lms_client, lms_user, lms_course, units):
    """Tokens per role (read-only and read-write), and a value for every path parameter."""
    course = lms_course("kursus-akses", lessons=1, questions=[QUESTION], quiz={"pass": 50})
    people = {role: lms_user(role, unit=units.disdik) for role in ROLES}
    secrets = {}
    with lms_app.app_context():
        for role, person in people.items():
            user = db.session.get(User, person.id)
            secrets[role] = tokens.create(user, name="rw", write=True, days=7)[1]
            secrets[role + ":read"] = tokens.create(user, name="r", write=False, days=7)[1]
    owner = _bearer(secrets["learner"])
    lms_client.post("/api/v1/me/enrolments", json={"course": course.slug}, headers=owner)
    attempt = lms_client.post(f"/api/v1/courses/{course.slug}/quizzes/kuis/attempts", headers=owner).get_json()
    lms_client.post(f"/api/v1/me/enrolments/{course.slug}/lessons/{course.lesson_keys[0]}/complete",
                    headers=owner)
    lms_client.post(f"/api/v1/attempts/{attempt['uid']}/submit", json={"responses": {"q1": True}},
                    headers=owner)
    with lms_app.app_context():
        code = db.session.query(Certificate.code).scalar()
    assert code, "the learner's course should be complete with a certificate"
    values = {"slug": course.slug, "key": course.lesson_keys[0], "uid": attempt["uid"],
              "user_id": people["learner"].id, "code": code}
    return {"secrets": secrets, "values": values, "units": units}


def operations(app):
    blueprint = app.blueprints["api"]
    return [(rule, blueprint.operations[rule.endpoint]) for rule in app.url_map.iter_rules()
            if rule.endpoint in blueprint.operations]


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _url(rule, op, world) -> str:
    values = dict(world["values"])
    if "quizzes" in rule.rule:
        values["key"] = "kuis"
    if rule.rule.startswith("/api/v1/units/"):
        values["code"] = world["units"].disdik.code
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _call(client, method, url, headers):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.open(url, method=method, headers=headers, **({"json": body} if body is not None else {}))


def test_anonymous_callers_reach_public_operations_only(lms_app, lms_client, world):
    for rule, op in operations(lms_app):
        response = _call(lms_client, op.method, _url(rule, op, world), {})
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        checked(lms_app, response, template, op.method)
        if op.auth == "public":
            assert response.status_code < 400, (rule.rule, response.status_code)
        else:
            assert response.status_code == 401, (rule.rule, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_its_role_allows(lms_app, lms_client, world, role):
    for rule, op in operations(lms_app):
        url = _url(rule, op, world)
        response = _call(lms_client, op.method, url, _bearer(world["secrets"][role]))
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        checked(lms_app, response, template, op.method)
        permitted = not op.roles or Role(role) in op.roles or role == "admin"
        if not permitted:
            assert response.status_code == 403, (role, rule.rule, response.status_code)
            assert response.get_json()["error"]["code"] == "forbidden"
        else:
            code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
            assert response.status_code not in (401, 500), (role, rule.rule, response.status_code)
            assert code not in ("forbidden", "insufficient_scope", "unauthenticated"), (role, rule.rule, code)


@pytest.mark.parametrize("role", ROLES)
def test_read_only_tokens_are_refused_every_write(lms_app, lms_client, world, role):
    for rule, op in operations(lms_app):
        if op.auth != "write":
            continue
        response = _call(lms_client, op.method, _url(rule, op, world), _bearer(world["secrets"][role + ":read"]))
        assert response.status_code == 403, (role, rule.rule)
        assert response.get_json()["error"]["code"] == "insufficient_scope"


def test_other_peoples_attempts_are_invisible(lms_app, lms_client, world):
    uid = world["values"]["uid"]
    for role in ("author", "unit_admin", "admin"):
        response = lms_client.get(f"/api/v1/attempts/{uid}", headers=_bearer(world["secrets"][role]))
        assert response.status_code == 404, role
    assert lms_client.get(f"/api/v1/attempts/{uid}", headers=_bearer(world["secrets"]["learner"])).status_code == 200
