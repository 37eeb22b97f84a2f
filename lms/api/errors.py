"""The API's one error shape: ``{"error": {"code", "message", "details"}}``."""
from __future__ import annotations

from flask import jsonify
from pydantic import ValidationError


class ApiError(Exception):
    """An answer other than success, raised anywhere below a route.

    :param status: the HTTP status.
    :param code: a stable snake_case word clients can branch on.
    :param message: one readable sentence for people.
    :param details: field -> message, or any small JSON object that helps.
    """

    def __init__(self, status: int, code: str, message: str, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def handle_api_error(exc: ApiError):
    response = jsonify(body(exc.code, exc.message, exc.details))
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


def validation_details(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as {"field.path": "message"}; the body root is named "body"."""
    details: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        details.setdefault(where, error["msg"])
    return details
