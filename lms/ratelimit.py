"""Rate limits per endpoint, from configuration (RATE_LIMITS), with one limiter per app.

Counters live in Redis when LMS_REDIS_URL is set (every worker and server shares them),
else in process memory (the embedded, single-process mode). RATELIMIT_STORAGE_URI
overrides both. If Redis stops answering, limits fall back to memory rather than failing
the request.
"""
from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def init_app(app: Flask) -> None:
    """Wrap every endpoint named in RATE_LIMITS (after all blueprints are registered)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", (app.config.get("REDIS_URL") or "").strip() or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['REDIS_PREFIX']}:limits")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter = Limiter(key_func=get_remote_address, app=app)
    for endpoint, limit in limits(app).items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(limit)(app.view_functions[endpoint])


def limits(app: Flask) -> dict[str, str]:
    """{endpoint: "N per period"}; the public verification endpoints share VERIFY_RATE_LIMIT."""
    verify = app.config["VERIFY_RATE_LIMIT"]
    login, reset = app.config.get("LOGIN_RATE_LIMIT"), app.config.get("PASSWORD_RESET_RATE_LIMIT")
    auth = {endpoint: limit for endpoint, limit in (
        ("auth.login", login), ("auth.two_factor", login), ("auth.forgot_password", reset),
        ("auth.reset_password", reset)) if limit}  # docs/authentication.md
    return {"certificates.verify": verify, "certificates.verify_credential": verify,
            "certificates.api_verify": verify, "api.verify": verify, **auth, **app.config.get("RATE_LIMITS", {})}
