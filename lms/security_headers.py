"""Security headers on every response: a Content-Security-Policy without 'unsafe-inline'
for the app's pages, framing, sniffing, referrer and opener rules, HSTS when configured.

The app's templates hold no inline script, style attribute or event handler (scripts and
looks live in lms/static), so the page policy allows scripts and styles from the app's own
origin only: an injected ``<script>`` or ``onerror=`` does not run. Responses that set
their own policy keep it: course assets and SCORM content (sandboxed, lms.services.assets
and lms.services.scorm) and PDFs. Plugins' blueprints get the same headers: they are set
once for the whole app, after every request.

Deployments add sources with CSP_EXTRA_SOURCES (["frame-src https://video.example.go.id"]).
docs/content-isolation.md explains each header.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

from lms import content_origin
from lms.errors import StartupError

#: The app's pages: their own scripts and styles, images and media from anywhere over HTTPS
#: (lesson Markdown may show a remote picture or video), YouTube's privacy embed for video
#: lessons, no plugins, forms and the base URL only to the app itself.
BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "media-src": ["'self'", "https:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'", "https://www.youtube-nocookie.com"],
    "frame-ancestors": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
#: Where the content origin is needed: assets shown on pages, SCORM frames, PDF frames.
CONTENT_DIRECTIVES = ("img-src", "media-src", "frame-src")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
#: Paths whose URL is itself a secret-ish value (a certificate's code): never sent onwards.
NO_REFERRER_PREFIXES = ("/verify", "/content/")


def parse_extra(value) -> dict[str, list[str]]:
    """CSP_EXTRA_SOURCES as {directive: [sources]}; StartupError naming a bad entry."""
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",")]
    extra: dict[str, list[str]] = {}
    for entry in value or []:
        words = str(entry).split()
        if not words:
            continue
        directive, sources = words[0].lower(), words[1:]
        if directive not in BASE_POLICY or directive == "frame-ancestors" or not sources:
            raise StartupError(f"LMS_CSP_EXTRA_SOURCES: {entry!r} must be \"<directive> <source>...\" with one of "
                               f"{', '.join(d for d in BASE_POLICY if d != 'frame-ancestors')}")
        if any("'unsafe-" in s or s.strip("'") in ("*", "unsafe-inline") for s in sources):
            raise StartupError(f"LMS_CSP_EXTRA_SOURCES: {entry!r} would undo the policy (no '*' or 'unsafe-…')")
        extra.setdefault(directive, []).extend(sources)
    return extra


def page_policy(app: Flask) -> str:
    """The Content-Security-Policy of the app's HTML pages for this configuration (a few
    string joins: cheaper than keeping it in step with settings changed at run time)."""
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    content = (app.config.get("CONTENT_ORIGIN") or "").strip().rstrip("/")
    if content:
        for name in CONTENT_DIRECTIVES:
            directives[name].append(content)
    for name, sources in parse_extra(app.config.get("CSP_EXTRA_SOURCES")).items():
        directives[name].extend(s for s in sources if s not in directives[name])
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _apply(response: Response) -> Response:
    """Add what the response does not set itself."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer" if request.path.startswith(NO_REFERRER_PREFIXES)
                       else "strict-origin-when-cross-origin")
    if current_app.config.get("SECURITY_HSTS"):
        headers.setdefault("Strict-Transport-Security",
                           f"max-age={int(current_app.config.get('SECURITY_HSTS_MAX_AGE', 31536000))}; includeSubDomains")
    if response.mimetype != "text/html":
        return response
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = page_policy(current_app)
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    return response


def init_app(app: Flask) -> None:
    """Check the page policy's settings (a bad CSP_EXTRA_SOURCES stops start-up), set
    headers after every request, and set up the content origin's routes."""
    page_policy(app)
    content_origin.init_app(app)
    app.after_request(_apply)
