"""The OpenAPI 3.1 document, built from the declared operations and their pydantic models."""
from __future__ import annotations

import re

from flask import Flask, current_app
from pydantic.json_schema import models_json_schema

from lms.api.spec import ApiBlueprint, Operation

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CONVERTER_TYPES = {"int": {"type": "integer", "minimum": 0}, "float": {"type": "number"}}
ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string", "description": "Stable snake_case word."},
                       "message": {"type": "string", "description": "One readable sentence."},
                       "details": {"type": "object", "description": "Field -> message, or more."}}}},
}
STATUS_TEXT = {200: "OK", 201: "Created", 204: "No content", 304: "Not modified (ETag matched)",
               400: "Bad request", 401: "Not signed in, or the token is invalid", 403: "Not allowed",
               404: "Not found", 409: "Conflict", 413: "Body too large", 422: "Invalid input",
               429: "Too many requests"}


def document(app: Flask | None = None) -> dict:
    """The whole document (cached per app: it only changes when the code does)."""
    app = app or current_app
    cached = app.extensions.get("lms_openapi")
    if cached is None:
        cached = app.extensions["lms_openapi"] = _build(app)
    return cached


def _build(app: Flask) -> dict:
    blueprint: ApiBlueprint = app.blueprints["api"]
    ops = [(rule, blueprint.operations[rule.endpoint]) for rule in app.url_map.iter_rules()
           if rule.endpoint in blueprint.operations]
    refs, components = _schemas(op for _rule, op in ops)
    paths: dict[str, dict] = {}
    for rule, op in sorted(ops, key=lambda pair: pair[0].rule):
        path = _PATH_PARAM.sub(r"{\2}", rule.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(rule, op, refs, components)
    components["Error"] = ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": "ASN LMS API", "version": "1",
                 "description": "JSON API of ASN LMS. Errors always have the shape "
                                "{\"error\": {\"code\", \"message\", \"details\"}}. Lists are paged "
                                "(page, per_page; Link header). Reads send an ETag; send it back "
                                "in If-None-Match to get 304. See docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())), "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal access token from your profile page."},
            "cookieAuth": {"type": "apiKey", "in": "cookie",
                           "name": app.config.get("SESSION_COOKIE_NAME", "session"),
                           "description": "The browser's session; changes need X-CSRFToken."}}},
        "tags": [{"name": tag} for tag in sorted({t for _r, op in ops for t in op.tags})],
    }


def _schemas(ops) -> tuple[dict, dict]:
    """JSON Schemas of every model, under components; refs maps (model, mode) to its schema."""
    wanted = []
    for op in ops:
        for model, mode in ((op.query, "validation"), (op.body, "validation"),
                            (op.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, top = models_json_schema(wanted, ref_template=REF)
    components = top.get("$defs", {})
    _check_unique_names(wanted)
    return refs, components


def _check_unique_names(wanted) -> None:
    seen: dict[str, type] = {}
    for model, _mode in wanted:
        other = seen.setdefault(model.__name__, model)
        if other is not model:
            raise RuntimeError(f"two API models are named {model.__name__}: "
                               f"{other.__module__} and {model.__module__}")


def _operation(rule, op: Operation, refs: dict, components: dict) -> dict:
    doc: dict = {"operationId": op.endpoint.split(".", 1)[1], "summary": op.summary,
                 "tags": list(op.tags), "parameters": _path_parameters(rule)}
    if op.description:
        doc["description"] = op.description
    if op.query is not None:
        doc["parameters"] += _query_parameters(op.query, components)
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": refs[(op.body, "validation")]}}}
    doc["responses"] = _responses(op, refs, components)
    if op.auth == "public":
        doc["security"] = [{}, {"bearerAuth": []}, {"cookieAuth": []}]
    else:
        doc["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
        doc["x-lms-scope"] = op.auth
        if op.roles:
            doc["x-lms-roles"] = [role.value for role in op.roles]
    return doc


def _path_parameters(rule) -> list[dict]:
    params = []
    for converter, name in _PATH_PARAM.findall(rule.rule):
        schema = dict(_CONVERTER_TYPES.get(converter, {"type": "string", "minLength": 1}))
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


#: No parameter accepts a NUL character (lms.errors answers 400 before any view runs).
NO_NUL = "^[^\\u0000]*$"


def _no_nul(schema: dict) -> dict:
    """Say so in the schema of every string, so clients (and schemathesis) know it."""
    if schema.get("type") == "string":
        if "pattern" in schema:
            return {**schema, "allOf": [{"pattern": NO_NUL}]}
        return {**schema, "pattern": NO_NUL}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            schema = {**schema, key: [_no_nul(dict(s)) for s in schema[key]]}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema = {**schema, "items": _no_nul(dict(schema["items"]))}
    return schema


def _query_parameters(model, components: dict) -> list[dict]:
    schema = components.get(model.__name__) or model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": _no_nul(prop)}
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        if description:
            param["description"] = description
        params.append(param)
    components.pop(model.__name__, None)  # parameters, not a body: no component needed
    return params


def _responses(op: Operation, refs: dict, components: dict) -> dict:
    responses: dict[str, dict] = {}
    for code in op.statuses:
        entry: dict = {"description": STATUS_TEXT.get(code, "")}
        if code == op.status and op.response is not None:
            schema = refs[(op.response, "serialization")]
            if op.paged:
                schema = {"$ref": REF.format(model=_page_component(op.response, schema, components))}
            entry["content"] = {"application/json": {"schema": schema}}
            if op.method == "GET":
                entry["headers"] = {"ETag": {"schema": {"type": "string"}}}
        elif code >= 400:
            entry["content"] = {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}
        responses[str(code)] = entry
    return responses


def _page_component(model, item_schema: dict, components: dict) -> str:
    name = f"{model.__name__}Page"
    components[name] = {
        "type": "object", "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {"items": {"type": "array", "items": item_schema},
                       "page": {"type": "integer", "minimum": 1},
                       "per_page": {"type": "integer", "minimum": 1},
                       "total": {"type": "integer", "minimum": 0},
                       "pages": {"type": "integer", "minimum": 1}}}
    return name


def schema_name(schema: dict | None) -> str:
    """A readable name for a schema in the docs page: its component, or its type."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{schema_name(schema.get('items'))}]"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return schema.get("format") or schema.get("type", "object")
