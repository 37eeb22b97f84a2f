"""Declaring API operations: one decorator runs a route and describes it in OpenAPI."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import typing
from urllib.parse import urlencode
from dataclasses import dataclass, field

from flask import Blueprint, Response, g, request
from pydantic import (BaseModel, ConfigDict, Field, PlainSerializer, ValidationError,
                      WithJsonSchema)
from sqlalchemy import func, select

from lms.api import auth as caller
from lms.api.errors import ApiError, validation_details
from lms.database import db
from lms.models import Role
# One Page for services and the API: items of one page and the total (``.pages`` too).
from lms.services.courses import Page

#: The most items one page may hold.
MAX_PER_PAGE = 100


def _utc(moment: dt.datetime) -> str:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so (RFC 3339)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.isoformat()


#: A moment in time, always written with its UTC offset.
Timestamp = typing.Annotated[dt.datetime, PlainSerializer(_utc, return_type=str, when_used="json"),
                             WithJsonSchema({"type": "string", "format": "date-time"})]


class Schema(BaseModel):
    """Base of answer models: built from our own objects, read by attribute."""

    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    """Base of request bodies: JSON types exactly as documented, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """Base of query strings: values arrive as text and are converted; others are ignored."""

    model_config = ConfigDict(extra="ignore")


class PageQuery(Query):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Items per page.")


def paginate(statement, query: PageQuery, *, scalars: bool = True) -> Page:
    """One page of a select, plus its total (two queries, whatever the page size)."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.execute(statement.limit(query.per_page).offset((query.page - 1) * query.per_page))
    return Page(list(rows.scalars() if scalars else rows), total or 0, query.page, query.per_page)


@dataclass
class Operation:
    """Everything known about one route, for running it and for the OpenAPI document."""

    endpoint: str
    rule: str
    method: str
    summary: str
    description: str
    tags: tuple[str, ...]
    auth: str
    roles: tuple[Role, ...]
    query: type[Query] | None
    body: type[Body] | None
    response: type[BaseModel] | None
    status: int
    paged: bool
    errors: tuple[int, ...] = field(default_factory=tuple)

    @property
    def statuses(self) -> list[int]:
        """Every status this operation can answer, so clients (and schemathesis) know them all."""
        codes = {self.status, *self.errors, 429}
        if self.method == "GET":
            codes.add(304)
        if self.query is not None or self.body is not None:
            codes.update({400, 422})  # 400: a NUL character in a parameter (lms.errors)
        if self.body is not None:
            codes.update({400, 413})
        if self.auth != "public":
            codes.update({401, 403})
        if "<" in self.rule:
            codes.add(404)
        return sorted(codes)


class ApiBlueprint(Blueprint):
    """A blueprint whose routes are declared with :meth:`operation`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.operations: dict[str, Operation] = {}

    def operation(self, rule: str, method: str = "GET", *, summary: str, tags: tuple[str, ...],
                  auth: str = "read", roles: tuple[Role, ...] = (), query: type[Query] | None = None,
                  body: type[Body] | None = None, response: type[BaseModel] | None = None,
                  status: int = 200, paged: bool = False, errors: tuple[int, ...] = ()):
        """Register `view` at `rule`; it receives path values, plus ``query=``/``body=`` models,
        and returns a model, a :class:`Page` of models, or None (answered 204)."""
        if auth not in ("public", *auth_scopes()):
            raise ValueError(f"auth must be public, read or write, not {auth!r}")

        def decorate(view):
            op = Operation(endpoint=f"{self.name}.{view.__name__}", rule=rule, method=method,
                           summary=summary, description=inspect.getdoc(view) or "", tags=tags,
                           auth=auth, roles=roles, query=query, body=body, response=response,
                           status=status, paged=paged, errors=errors)

            @functools.wraps(view)
            def run(**path):
                g.api_operation = op
                caller.require(op.auth, op.roles)
                if op.query is not None:
                    path["query"] = parse_query(op.query)
                if op.body is not None:
                    path["body"] = parse_body(op.body)
                return respond(op, view(**path))

            self.operations[op.endpoint] = op
            self.add_url_rule(rule, view.__name__, run, methods=[method])
            return run
        return decorate


def auth_scopes() -> tuple[str, ...]:
    return caller.SCOPES


def parse_query(model: type[Query]) -> Query:
    values: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if typing.get_origin(info.annotation) is list or info.annotation is list:
            if name in request.args:
                values[name] = request.args.getlist(name)
        elif name in request.args:
            values[name] = request.args[name]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "Some query parameters are not valid.",
                       validation_details(exc)) from None


def parse_body(model: type[Body]) -> Body:
    if not request.is_json:
        raise ApiError(400, "json_required", "Send a JSON body with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "Some fields are not valid.",
                       validation_details(exc)) from None


def respond(op: Operation, result) -> Response:
    """JSON for `result`; reads carry an ETag and answer 304 to a matching If-None-Match."""
    if result is None:
        return Response(status=204)
    if isinstance(result, Page):
        payload = page_payload(op, result)
    else:
        payload = op.response.model_validate(result).model_dump(mode="json") \
            if not isinstance(result, BaseModel) else result.model_dump(mode="json")
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, status=op.status, mimetype="application/json")
    response.vary.update(("Authorization", "Cookie"))
    if isinstance(result, Page):
        _link_header(response, result)
    if op.method == "GET":
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.set_etag(hashlib.sha256(text.encode()).hexdigest()[:32])
        response.make_conditional(request)
    return response


def page_payload(op: Operation, page: Page) -> dict:
    items = [op.response.model_validate(item).model_dump(mode="json") for item in page.items]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


def _link_header(response: Response, page: Page) -> None:
    links = []
    for rel, number in (("first", 1), ("prev", page.page - 1), ("next", page.page + 1),
                        ("last", page.pages)):
        if 1 <= number <= page.pages and (rel in ("first", "last") or number != page.page):
            args = request.args.to_dict(flat=False)
            args["page"] = [str(number)]
            links.append(f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="{rel}"')
    if links:
        response.headers["Link"] = ", ".join(links)
