"""The webhook settings, read from ``app.config`` and checked once at startup.

Every key has a default from the ``config_defaults`` hook and can be set in the environment
with the core's ``LMS_`` prefix (``LMS_DIGITAL_SERVICE_WEBHOOK_URL=https://...``). The core
parses environment values as JSON when it can, so ``"5"`` arrives as the number 5 and
``"false"`` as False; the readers below accept both spellings.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Defaults contributed through the ``config_defaults`` hook.
DEFAULTS = {
    # Where events are POSTed; empty turns the feature off (nothing is recorded).
    "DIGITAL_SERVICE_WEBHOOK_URL": "",
    # HMAC-SHA256 key for the X-LMS-Signature header; empty sends unsigned requests.
    "DIGITAL_SERVICE_WEBHOOK_SECRET": "",
    # Seconds to wait for the receiver (connect and each read).
    "DIGITAL_SERVICE_WEBHOOK_TIMEOUT": 5,
    # Attempts before a delivery is marked failed.
    "DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS": 8,
    # First retry delay in seconds; doubles per attempt, with jitter, up to the cap.
    "DIGITAL_SERVICE_WEBHOOK_BACKOFF": 30,
    "DIGITAL_SERVICE_WEBHOOK_BACKOFF_MAX": 6 * 3600,
    # Try once at once from a background thread of the web process; off = cron only.
    "DIGITAL_SERVICE_WEBHOOK_BACKGROUND": True,
}


class WebhookConfigError(ValueError):
    """The webhook settings are unusable; raised by the ``startup`` hook (the app stops)."""


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str
    timeout: float
    max_attempts: int
    backoff: float
    backoff_max: float
    background: bool

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def lease(self) -> float:
        """Seconds a claimed delivery stays invisible to other deliverers while it is sent.

        Longer than any single attempt can take (the timeout bounds connect and each read);
        should a deliverer die mid-send, the delivery becomes due again once it runs out.
        """
        return max(60.0, 6 * self.timeout)


def webhook_settings(config: Mapping) -> WebhookSettings:
    """Read and check the settings; raise WebhookConfigError naming the key at fault."""
    url = _text(config, "DIGITAL_SERVICE_WEBHOOK_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise WebhookConfigError(
                "lms-digital-service: DIGITAL_SERVICE_WEBHOOK_URL must be an http:// or https:// "
                f"URL with a host (got scheme {parts.scheme or 'none'!r}); fix it, or set it "
                "empty to turn webhooks off")
    return WebhookSettings(
        url=url,
        secret=_text(config, "DIGITAL_SERVICE_WEBHOOK_SECRET"),
        timeout=_number(config, "DIGITAL_SERVICE_WEBHOOK_TIMEOUT", float, minimum=0.001),
        max_attempts=_number(config, "DIGITAL_SERVICE_WEBHOOK_MAX_ATTEMPTS", int, minimum=1),
        backoff=_number(config, "DIGITAL_SERVICE_WEBHOOK_BACKOFF", float, minimum=0),
        backoff_max=_number(config, "DIGITAL_SERVICE_WEBHOOK_BACKOFF_MAX", float, minimum=0),
        background=_flag(config, "DIGITAL_SERVICE_WEBHOOK_BACKGROUND"),
    )


def _text(config: Mapping, key: str) -> str:
    value = config.get(key, DEFAULTS[key])
    return "" if value is None else str(value).strip()


def _number(config: Mapping, key: str, kind: type, *, minimum: float):
    value = config.get(key, DEFAULTS[key])
    try:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value) if kind is float else kind(str(value).strip())
    except (TypeError, ValueError):
        raise WebhookConfigError(f"lms-digital-service: {key} must be a number"
                                 f"{' (whole)' if kind is int else ''}, got {value!r}") from None
    if number < minimum:
        raise WebhookConfigError(f"lms-digital-service: {key} must be at least {minimum:g}, got {value!r}")
    return number


def _flag(config: Mapping, key: str) -> bool:
    value = config.get(key, DEFAULTS[key])
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise WebhookConfigError(f"lms-digital-service: {key} must be true or false, got {value!r}")
    return bool(value)
