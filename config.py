"""Configuration classes; every setting KEY can be overridden by the environment as LMS_KEY.

Select a class with LMS_CONFIG=development|production|testing (default: production, so a
forgotten setting fails closed). Values in LMS_* variables are parsed as JSON when they
can be (LMS_STRICT_PLUGINS=true, LMS_PLUGINS='["eoffice"]'); comma lists also work.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

#: Smallest secret key production accepts; shorter keys make session cookies forgeable.
MIN_SECRET_KEY_LENGTH = 24


class Config:
    """Settings shared by every environment."""

    SECRET_KEY: str | None = None
    #: SQLAlchemy URL; empty means SQLite in the instance folder (the embedded default).
    DATABASE_URL: str | None = None
    #: No pool_pre_ping: a pooled PostgreSQL connection the server closed is found without a
    #: round trip at checkout (lms.database.check_idle_connection); SQLite is a file.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: PostgreSQL: reads before a request's first write run without BEGIN/COMMIT, two round
    #: trips fewer per page that only reads (lms.database.begin_before_writes).
    DATABASE_DEFERRED_BEGIN = True
    #: Applied to a SQLite connection pool only: writers wait instead of failing "locked".
    SQLITE_BUSY_TIMEOUT_MS = 15000

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ["id", "en"]

    #: Entry-point plugins to load: "*" for all installed, or a list of names.
    PLUGINS: str | list[str] = "*"
    DISABLED_PLUGINS: list[str] = []
    #: Refuse to start when a plugin fails to load (Indico's strict mode).
    STRICT_PLUGINS = False
    #: "log" isolates plugin failures in react/per-request hooks; "raise" re-raises them.
    PLUGIN_ERRORS = "log"
    #: {name: object} registered as plugins without an entry point (tests, embedding).
    PLUGIN_OBJECTS: dict = {}

    ALLOW_REGISTRATION = True
    #: Seconds after a quiz's time limit during which answers are still accepted (slow networks).
    QUIZ_GRACE_SECONDS = 60
    #: Seconds between the attempt page's automatic saves.
    QUIZ_AUTOSAVE_SECONDS = 20
    #: Where uploaded and generated files live (certificate PDFs, evidence, package assets).
    STORAGE_DIR: str | None = None
    #: Most bytes of images and PDFs copied into a course's offline bundle (docs/poor-connections.md).
    OFFLINE_BUNDLE_MAX_BYTES = 50 * 1024 * 1024
    #: Gzip the app's text responses (pages, CSS, JS, JSON) for clients that accept it.
    COMPRESS_RESPONSES = True
    #: With COMPRESS_RESPONSES: gzip HTML pages too (see lms/compression.py on BREACH).
    COMPRESS_HTML = True
    #: Printed on certificates and used as the credential issuer.
    CERT_ISSUER_NAME = "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"
    CERT_ISSUER_CITY = "Semarang"
    CERT_SIGNER_NAME = "Kepala BKPSDM"
    CERT_SIGNER_TITLE = "Kepala Badan Kepegawaian dan Pengembangan SDM"
    #: Prefix of certificate numbers: PREFIX-YEAR-000123.
    CERT_NUMBER_PREFIX = "LMS"
    #: Ed25519 private key (PEM) that signs credentials; empty: kept in instance/credential_key.pem.
    CREDENTIAL_KEY: str | None = None
    #: Public address used in QR codes and credentials, e.g. https://lms.semarangkota.go.id
    BASE_URL = "http://127.0.0.1:5000"
    #: Render each new certificate's PDF in a background job right after issuance (else on
    #: its first download). Either way it is rendered once and kept in storage.
    CERT_PRERENDER = True
    #: Days before a certificate expires on which its holder is reminded (each once), and
    #: once more when it has expired; recertification opens with the first reminder.
    CERT_EXPIRY_REMINDER_DAYS = [60, 14]
    #: Attempts at signing a PDF through the ``sign_certificate_pdf`` hook before giving up.
    CERT_SIGN_MAX_ATTEMPTS = 10
    #: Public verification page and API: requests per client address.
    VERIFY_RATE_LIMIT = "30 per minute"
    #: Evidence files for external training: largest size in bytes.
    EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    #: Post-training evaluation (docs/evaluation.md): weeks after completion for the follow-up
    #: survey (a course may set its own; 0 = none), how long after that a completion is still
    #: asked, and the fewest anonymous responses shown (fewer could identify people).
    EVALUATION_FOLLOWUP_WEEKS = 8
    EVALUATION_FOLLOWUP_WINDOW_WEEKS = 4
    EVALUATION_ANONYMOUS_MIN = 3
    #: Jam pelajaran each ASN must earn per year (competency development obligation).
    JP_TARGET = 20
    #: Experiential learning JP rules, merged over lms.services.jp_rules.DEFAULT_RULES:
    #: {kind: {"jp_per_unit": "4/3", "max_per_entry": 10, "max_per_year": 20, "enabled": true}}.
    EXPERIENTIAL_JP_RULES: dict = {}
    PASSWORD_MIN_LENGTH = 8
    #: Request body limit; uploads larger than this get 413 before any parsing.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    #: Outgoing mail (docs/notifications.md). Messages wait in the `notifications` table and
    #: leave through `flask lms send-notifications` (cron) or a background thread after commit.
    #: "console" only logs them (nothing reaches anyone); "smtp" sends through SMTP_HOST.
    MAIL_BACKEND = "console"
    MAIL_FROM = "ASN LMS <noreply@localhost>"
    SMTP_HOST = "localhost"
    SMTP_PORT = 587
    SMTP_USER: str | None = None
    #: Only from the environment (LMS_SMTP_PASSWORD): never write it into a file.
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True
    #: Implicit TLS from the first byte (usually port 465) instead of STARTTLS.
    SMTP_SSL = False
    SMTP_TIMEOUT = 30
    #: Try each message in the request's process right after commit (never blocks the request).
    MAIL_BACKGROUND = True
    #: Attempts per message before it is marked failed; retries wait RETRY × 2^(n-1) seconds.
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_SECONDS = 300
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    #: How long a sender holds a claimed message; must exceed one SMTP exchange (timeouts).
    MAIL_CLAIM_SECONDS = 300

    #: xAPI statements for learning events (docs/xapi.md). Off while XAPI_ENDPOINT is empty;
    #: otherwise the LRS's xAPI address (statements go to <endpoint>/statements), e.g.
    #: https://lrs.example.go.id/data/xAPI. Statements wait in `xapi_statements` and leave
    #: through `flask lms send-xapi` (cron) or a background thread after the request.
    XAPI_ENDPOINT = ""
    XAPI_USERNAME: str | None = None
    #: Only from the environment (LMS_XAPI_PASSWORD): never write it into a file.
    XAPI_PASSWORD: str | None = None
    #: Seconds to wait for the LRS's answer.
    XAPI_TIMEOUT = 10
    #: How learners are named: "account" (the user id under BASE_URL; pseudonymous),
    #: "nip" (account named by NIP), "mbox" (mailto: e-mail address).
    XAPI_ACTOR = "account"
    #: Statements per POST; a batch the LRS refuses is split to find the statement at fault.
    XAPI_BATCH_SIZE = 50
    #: Attempts before a statement is marked failed; retries wait RETRY × 2^(n-1) seconds.
    XAPI_MAX_ATTEMPTS = 12
    XAPI_RETRY_SECONDS = 60
    XAPI_RETRY_MAX_SECONDS = 6 * 3600
    #: How long a sender holds a claimed batch; must exceed the time to post it (timeouts).
    XAPI_CLAIM_SECONDS = 300
    #: Post statements from a background thread right after the request that queued them.
    XAPI_BACKGROUND = True

    #: Redis for rate limits, the cache and the job queue when several workers or servers
    #: serve one site (docs/deployment.md), e.g. redis://127.0.0.1:6379/0. Empty: the
    #: embedded mode, where each of those lives in the process (one process, or SQLite).
    REDIS_URL = ""
    #: Prefix of every Redis key, so several sites (or test runs) can share one server.
    REDIS_PREFIX = "lms"
    #: Seconds a cached catalog page or course outline may live; publishing invalidates at once.
    CACHE_TTL = 300
    #: "auto": Redis when REDIS_URL is set, else in-process; "null" turns caching off.
    CACHE_BACKEND = "auto"
    #: Background jobs (docs/deployment.md): "auto" queues them in Redis (RQ) for
    #: `flask lms worker` when REDIS_URL is set, else runs them on a thread of the web
    #: process after the response; "eager" runs them at once, inside the caller (tests).
    JOBS_BACKEND = "auto"
    #: Name of the RQ queue (one per site when several share a Redis server).
    JOBS_QUEUE = "lms"
    #: Seconds a queued job may run before the worker stops it.
    JOBS_TIMEOUT = 600
    #: Prometheus text metrics at /metrics (request counts and latencies per endpoint).
    METRICS_ENABLED = False
    #: Client addresses allowed to read /metrics (empty: anyone who can reach it).
    METRICS_ALLOW = ["127.0.0.1", "::1"]
    #: "text" for people, "json" (one object per line, with the request id) for collectors.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    #: Log one line per request (method, path, status, milliseconds, request id).
    LOG_REQUESTS = False

    #: Security headers (docs/content-isolation.md). Extra Content-Security-Policy sources for
    #: the app's pages, each "directive source...", e.g. ["frame-src https://video.example.go.id",
    #: "img-src https://cdn.example.go.id"] (env: a JSON list, or entries separated by commas).
    CSP_EXTRA_SOURCES: list[str] = []
    #: Strict-Transport-Security on every response (production turns it on: HTTPS only).
    SECURITY_HSTS = False
    SECURITY_HSTS_MAX_AGE = 365 * 24 * 3600
    #: Separate origin for author and SCORM content, e.g. https://konten.example.go.id (its own
    #: host name pointing at the same app). Empty: content is served from the app's origin,
    #: under a sandboxing policy. Content URLs carry a signed token valid this many seconds.
    CONTENT_ORIGIN = ""
    CONTENT_TOKEN_SECONDS = 8 * 3600

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Authentication hardening (docs/authentication.md). A session cookie not re-signed for
    #: this long is refused; "Keep me signed in" lasts REMEMBER_COOKIE_DURATION (seconds in env).
    PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = dt.timedelta(days=14)
    #: Failed sign-ins before an account is locked; the lock lasts BASE seconds, doubling with
    #: each further failure up to MAX. Kept on the user row, so every worker and server agrees.
    LOGIN_LOCKOUT_THRESHOLD = 5
    LOGIN_LOCKOUT_BASE_SECONDS = 60
    LOGIN_LOCKOUT_MAX_SECONDS = 3600
    #: Per client address (flask-limiter; page views count too). Offices behind one NAT share it.
    LOGIN_RATE_LIMIT = "60 per minute"
    PASSWORD_RESET_RATE_LIMIT = "10 per minute;40 per hour"
    #: Seconds a password reset link stays valid (it also dies once used or on any password change).
    PASSWORD_RESET_MAX_AGE = 3600
    #: Roles that must use two-factor sign-in (TOTP); "admin,author" or a JSON list in the env.
    TWO_FACTOR_REQUIRED_ROLES: list[str] = []
    #: Name shown in authenticator apps.
    TWO_FACTOR_ISSUER = "ASN LMS"
    #: Key that encrypts TOTP secrets at rest; empty: derived from SECRET_KEY (so changing
    #: SECRET_KEY then means everyone re-enrols; set this to rotate SECRET_KEY freely).
    TWO_FACTOR_ENCRYPTION_KEY: str | None = None
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; a slow learner is no attacker

    @staticmethod
    def prepare(app) -> None:
        """Finish settings that depend on the app (instance path, generated values)."""


class DevelopmentConfig(Config):
    """Laptop and demo use: generates and keeps a secret key in the instance folder."""

    DEBUG = True

    @staticmethod
    def prepare(app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _stored_secret_key(Path(app.instance_path))


class ProductionConfig(Config):
    """Agency deployments: secrets must come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SECURITY_HSTS = True
    PREFERRED_URL_SCHEME = "https"
    #: Administrators must sign in with a second factor (docs/authentication.md).
    TWO_FACTOR_REQUIRED_ROLES: list[str] = ["admin"]

    @staticmethod
    def prepare(app) -> None:
        from lms.errors import StartupError

        key = app.config.get("SECRET_KEY") or ""
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise StartupError(
                "LMS_SECRET_KEY is missing or shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters; production refuses to start without it "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )


class TestingConfig(Config):
    """The test suite: strict plugins, plugin errors raised, no plugins unless asked."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    PLUGINS: str | list[str] = []
    STRICT_PLUGINS = True
    PLUGIN_ERRORS = "raise"
    WTF_CSRF_ENABLED = True
    #: Fast hashing keeps the suite quick; production uses werkzeug's scrypt default.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    #: Tests send the outbox explicitly (no thread outliving the test).
    MAIL_BACKGROUND = False
    XAPI_BACKGROUND = False
    #: Jobs run inside the call that queues them: tests see their effect at once.
    JOBS_BACKEND = "eager"
    #: PDFs are rendered when a test asks for one (rendering every issued one is slow).
    CERT_PRERENDER = False
    #: Many simulated people sign in from 127.0.0.1 in one test; tests of the limit set their own.
    LOGIN_RATE_LIMIT = "1000 per minute"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def _stored_secret_key(instance: Path) -> str:
    """Return the key kept in instance/secret_key, creating it (mode 600) on first use."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
