"""The ``XAPI_*`` settings, read and checked once: at startup and by each sender.

Environment values arrive parsed as JSON when they can be (``LMS_XAPI_TIMEOUT=10`` is an
int, ``LMS_XAPI_PASSWORD=123456`` too), so every value is coerced here, and anything
unusable is reported with the variable's name instead of failing mid-send.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

ACTOR_MODES = ("account", "nip", "mbox")


class XapiConfigError(Exception):
    """The xAPI settings are unusable (or xAPI is off and a sender was asked to send)."""


@dataclass(frozen=True)
class XapiSettings:
    endpoint: str
    username: str | None
    password: str | None
    timeout: float
    actor: str
    batch_size: int
    max_attempts: int
    retry_seconds: int
    retry_max_seconds: int
    claim_seconds: int
    base_url: str

    @property
    def enabled(self) -> bool:
        return bool(self.endpoint)

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"

    @classmethod
    def from_config(cls, config: Mapping) -> XapiSettings:
        """Every setting coerced and checked; XapiConfigError names each problem."""
        problems: list[str] = []
        endpoint = _text(config.get("XAPI_ENDPOINT")) or ""
        if endpoint:
            problems += _url_problems("LMS_XAPI_ENDPOINT", endpoint)
        username, password = _text(config.get("XAPI_USERNAME")), _text(config.get("XAPI_PASSWORD"))
        if password and not username:
            problems.append("LMS_XAPI_PASSWORD is set but LMS_XAPI_USERNAME is empty")
        actor = (_text(config.get("XAPI_ACTOR")) or "account").lower()
        if actor not in ACTOR_MODES:
            problems.append(f"LMS_XAPI_ACTOR must be one of {', '.join(ACTOR_MODES)}, not {actor!r}")
        numbers = {key: _positive(config, key, problems) for key in (
            "XAPI_TIMEOUT", "XAPI_BATCH_SIZE", "XAPI_MAX_ATTEMPTS", "XAPI_RETRY_SECONDS",
            "XAPI_RETRY_MAX_SECONDS", "XAPI_CLAIM_SECONDS")}
        base_url = _text(config.get("BASE_URL")) or ""
        if endpoint:
            problems += _url_problems("LMS_BASE_URL (the xAPI actor's home page and activity ids)",
                                      base_url)
        if not problems and numbers["XAPI_CLAIM_SECONDS"] <= numbers["XAPI_TIMEOUT"]:
            problems.append("LMS_XAPI_CLAIM_SECONDS must be longer than LMS_XAPI_TIMEOUT")
        if problems:
            raise XapiConfigError("; ".join(problems))
        return cls(endpoint=endpoint, username=username, password=password,
                   timeout=float(numbers["XAPI_TIMEOUT"]), actor=actor,
                   batch_size=int(numbers["XAPI_BATCH_SIZE"]),
                   max_attempts=int(numbers["XAPI_MAX_ATTEMPTS"]),
                   retry_seconds=int(numbers["XAPI_RETRY_SECONDS"]),
                   retry_max_seconds=int(numbers["XAPI_RETRY_MAX_SECONDS"]),
                   claim_seconds=int(numbers["XAPI_CLAIM_SECONDS"]), base_url=base_url)


def is_enabled(config: Mapping) -> bool:
    """Cheap check for the react hooks: no endpoint, no statements (and no queries)."""
    return bool(_text(config.get("XAPI_ENDPOINT")))


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _url_problems(name: str, url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [f"{name} must be an http(s) URL, not {url!r}"]
    if parts.query or parts.fragment:
        return [f"{name} must not have a query or fragment: {url!r}"]
    return []


#: Whole numbers, except the timeout (fractions of a second are fine).
_FLOAT_KEYS = ("XAPI_TIMEOUT",)


def _positive(config: Mapping, key: str, problems: list[str]) -> float:
    value = config.get(key)
    try:
        number = float(value) if key in _FLOAT_KEYS else int(str(value).strip())
    except (TypeError, ValueError):
        problems.append(f"LMS_{key} must be a {'number' if key in _FLOAT_KEYS else 'whole number'}"
                        f" above 0, not {value!r}")
        return 1
    if isinstance(value, bool) or not number > 0:
        problems.append(f"LMS_{key} must be above 0, not {value!r}")
        return 1
    return number
