"""Posting statements to an LRS: one request per batch, its answer sorted into what to do.

``LrsClient.post(payloads)`` sends ``POST <endpoint>/statements`` with a JSON array,
``X-Experience-API-Version: 1.0.3`` and HTTP Basic auth, always with a timeout, and
raises:

* ``LrsRejected`` when the LRS refused the batch for its content (400, 413, other 4xx) or
  already has a statement id (409): resending the same batch cannot help, but a smaller
  one may (the outbox splits it to find the statement at fault);
* ``LrsUnavailable`` when trying again later may work (network, timeout, 5xx, 429, 408)
  or the settings are wrong (401, 403, 404, a redirect): the run stops, nothing is lost.

Only the standard library is used; proxies from the environment apply (``https_proxy``,
``no_proxy``), redirects are not followed (a POST must not turn into a GET).
"""
from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from lms.xapi.settings import XapiSettings
from lms.xapi.statements import XAPI_VERSION

#: Characters of the LRS's answer kept in an error (it lands in last_error and the log).
ANSWER_LENGTH = 400
#: Statuses after which the same request may succeed later, or that mean wrong settings.
_UNAVAILABLE = {401, 403, 404, 408, 429}


class LrsError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class LrsRejected(LrsError):
    """The LRS refused this batch for what it contains (409: it has one of the ids already)."""

    @property
    def conflict(self) -> bool:
        return self.status == 409


class LrsUnavailable(LrsError):
    """Try again later; `retry_after` seconds when the LRS said so (429, 503)."""

    def __init__(self, message: str, status: int | None = None, retry_after: int | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


@dataclass
class LrsClient:
    settings: XapiSettings

    def __post_init__(self):
        self._opener = urllib.request.build_opener(_NoRedirect())

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Experience-API-Version": XAPI_VERSION}
        if self.settings.username:
            pair = f"{self.settings.username}:{self.settings.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def post(self, payloads: list[str]) -> None:
        """Post serialised statements as one JSON array; returns when the LRS stored them."""
        body = ("[" + ",".join(payloads) + "]").encode("utf-8")
        request = urllib.request.Request(self.settings.statements_url, data=body, method="POST",
                                         headers=self.headers())
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                response.read(ANSWER_LENGTH)
        except urllib.error.HTTPError as exc:
            raise _classify(exc) from None
        except (socket.timeout, TimeoutError):
            raise LrsUnavailable(f"no answer from the LRS within {self.settings.timeout:g} s") from None
        except urllib.error.URLError as exc:
            raise LrsUnavailable(f"cannot reach the LRS: {_reason(exc.reason)}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise LrsUnavailable(f"connection to the LRS failed: {_reason(exc)}") from None


def _classify(exc: urllib.error.HTTPError) -> LrsError:
    answer = _answer(exc)
    message = f"LRS answered {exc.code}" + (f": {answer}" if answer else "")
    if 300 <= exc.code < 400:
        where = exc.headers.get("Location", "") if exc.headers else ""
        return LrsUnavailable(f"LRS redirected ({exc.code}) to {where!r}: set LMS_XAPI_ENDPOINT "
                              "to the final address", exc.code)
    if exc.code in (401, 403):
        return LrsUnavailable(message + " (check LMS_XAPI_USERNAME and LMS_XAPI_PASSWORD)", exc.code)
    if exc.code == 404:
        return LrsUnavailable(message + " (check LMS_XAPI_ENDPOINT: it must end before /statements)",
                              exc.code)
    if exc.code >= 500 or exc.code in _UNAVAILABLE:
        return LrsUnavailable(message, exc.code, _retry_after(exc))
    return LrsRejected(message, exc.code)


def _answer(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(ANSWER_LENGTH * 4)
    except Exception:  # a broken error body must not hide the status
        return ""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if len(text) <= ANSWER_LENGTH else text[:ANSWER_LENGTH - 1] + "…"


def _retry_after(exc: urllib.error.HTTPError) -> int | None:
    value = exc.headers.get("Retry-After", "") if exc.headers else ""
    return int(value) if value.strip().isdigit() else None


def _reason(reason) -> str:
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    text = str(reason)
    return f"{type(reason).__name__}: {text}" if text else type(reason).__name__
