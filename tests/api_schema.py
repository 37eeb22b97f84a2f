"""Check API answers against the app's own OpenAPI document (lms.api.openapi.document).

``assert_matches(document, "/attempts/{uid}", "get", 200, body)`` fails unless the status is
documented for that operation and the body validates against its JSON Schema (Draft
2020-12, ``$ref`` into ``#/components/schemas`` resolved against the document).
``checked(app, response, "/attempts/{uid}")`` does the same for a test client's response
and returns its JSON.

Validation uses ``jsonschema_rs``, which schemathesis (the suite's test dependency) brings,
so no other package is needed.
"""
from __future__ import annotations

import json

import jsonschema_rs

PREFIX = "/api/v1"
_validators: dict[tuple[int, str], jsonschema_rs.Draft202012Validator] = {}


def operation(document: dict, path: str, method: str) -> dict:
    """The operation object of `path` (with or without the /api/v1 prefix) and `method`."""
    paths = document["paths"]
    key = path if path in paths else PREFIX + path
    assert key in paths, f"{path} is not in the OpenAPI document"
    op = paths[key].get(method.lower())
    assert op is not None, f"{method.upper()} {path} is not in the OpenAPI document"
    return op


def response_schema(document: dict, path: str, method: str, status: int) -> dict | None:
    """The JSON Schema of that answer's body; None for a documented answer without one."""
    responses = operation(document, path, method)["responses"]
    assert str(status) in responses, (f"{method.upper()} {path} answered {status}, which is not "
                                      f"documented ({', '.join(responses)})")
    content = responses[str(status)].get("content")
    return content["application/json"]["schema"] if content else None


def assert_matches(document: dict, path: str, method: str, status: int, body) -> None:
    """Fail unless `body` is what the document promises for this operation and status."""
    schema = response_schema(document, path, method, status)
    if schema is None:
        assert body in (None, b"", ""), f"{status} should have no body"
        return
    errors = [f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}"
              for e in _validator(document, schema).iter_errors(body)]
    assert not errors, f"{method.upper()} {path} {status} breaks its schema:\n" + "\n".join(errors)


def checked(app, response, path: str, method: str | None = None):
    """Validate a test client's response against the app's document; return its JSON (or None)."""
    from lms.api import openapi

    with app.app_context():
        document = openapi.document(app)
    method = method or response.request.method
    body = response.get_json(silent=True) if response.data else None
    if response.data and body is None:
        raise AssertionError(f"{method} {path} {response.status_code} answered no JSON: {response.data[:200]!r}")
    assert_matches(document, path, method, response.status_code, body)
    return body


def _validator(document: dict, schema: dict) -> jsonschema_rs.Draft202012Validator:
    """One compiled validator per (document, schema); refs resolve against the document."""
    key = (id(document), json.dumps(schema, sort_keys=True))
    if key not in _validators:
        root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema,
                "components": document["components"]}
        _validators[key] = jsonschema_rs.Draft202012Validator(root)
    return _validators[key]


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def call(app, client, method: str, url: str, template: str, status: int, *, secret: str | None = None,
         body=None, headers: dict | None = None):
    """One request, its status asserted and its body checked against the OpenAPI document;
    an error must have the API's one shape. Returns the JSON body."""
    headers = {**(bearer(secret) if secret else {}), **(headers or {})}
    response = client.open(url, method=method, headers=headers,
                           **({"json": body} if body is not None else {}))
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    data = checked(app, response, template, method)
    if status >= 400:
        assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "details"}
    return data
