"""The machinery behind the JSON API (/api/v1), kept apart from the routes themselves.

Each route is declared once with ``ApiBlueprint.operation``: its path, method, who may call
it, and the pydantic models of its query, body and answer. That one declaration both runs
the request (authentication, scope and role checks, parsing, error format, pagination,
ETags) and describes it in the OpenAPI document, so the document cannot drift from the code.
"""
