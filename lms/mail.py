"""Sending e-mail: one small interface, backends chosen by ``MAIL_BACKEND``.

* ``console`` (default): writes each message to the log, so a laptop or a demo never mails
  real people; under ``TESTING`` it also keeps the messages in ``sent_messages(app)``.
* ``smtp``: sends through ``SMTP_HOST``:``SMTP_PORT`` (STARTTLS or implicit TLS, optional
  login). The password is read from the environment only (``LMS_SMTP_PASSWORD``).

Nothing here touches the database: the outbox (lms.services.notifications) decides what to
send and records what happened. A backend is used as ``with backend.connect() as conn:
conn.send(message)`` so one SMTP session carries a whole batch, opened only when a first
message is actually sent.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask

log = logging.getLogger(__name__)

#: app.extensions key of the messages the console backend kept (TESTING only).
SENT_KEY = "lms.mail.sent"


class MailError(Exception):
    """A message could not be sent.

    `permanent`: retrying cannot help (address refused). `connection`: the server could not
    be reached or refused the session, so the next messages would fail the same way.
    """

    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection


class MailConfigError(MailError):
    """The mail settings are unusable (unknown backend, no host): fix them, then retry."""

    def __init__(self, message: str):
        super().__init__(message, connection=True)


@dataclass(frozen=True)
class MailMessage:
    """A plain-text message as the outbox hands it to a backend."""

    to: str
    subject: str
    body: str
    sender: str
    #: Stable across retries, so a receiving server or client can drop a repeat.
    message_id: str | None = None


def build_email(message: MailMessage) -> EmailMessage:
    """The RFC 5322 message: UTF-8 plain text, marked as automatic (no vacation replies)."""
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id or make_msgid(domain=_domain(message.sender))
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


# --------------------------------------------------------------------------- console


class ConsoleBackend:
    """Log every message (and keep it, under TESTING); never fails."""

    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def connect(self):
        yield self

    def send(self, message: MailMessage) -> None:
        log.info("mail to %s: %s\n%s", message.to, message.subject, message.body)
        if self.app.testing:
            self.app.extensions.setdefault(SENT_KEY, []).append(message)


def sent_messages(app: Flask) -> list[MailMessage]:
    """What the console backend sent in this (testing) app, oldest first."""
    return app.extensions.setdefault(SENT_KEY, [])


# ------------------------------------------------------------------------------ smtp


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    ssl: bool
    timeout: float

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        """Read LMS_SMTP_*; values the environment parsed as JSON (a numeric password) become text."""
        host = str(config.get("SMTP_HOST") or "").strip()
        if not host:
            raise MailConfigError("MAIL_BACKEND is smtp but LMS_SMTP_HOST is empty")
        user = config.get("SMTP_USER")
        password = config.get("SMTP_PASSWORD")
        return cls(host=host, port=int(config.get("SMTP_PORT") or 25),
                   user=str(user) if user not in (None, "") else None,
                   password=str(password) if password not in (None, "") else None,
                   starttls=_flag(config.get("SMTP_STARTTLS")), ssl=_flag(config.get("SMTP_SSL")),
                   timeout=float(config.get("SMTP_TIMEOUT") or 30))


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class SmtpBackend:
    """Send through an SMTP server; one session per `connect()`, opened on the first message."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    @contextmanager
    def connect(self):
        connection = _SmtpConnection(self.settings)
        try:
            yield connection
        finally:
            connection.close()


class _SmtpConnection:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: MailMessage) -> None:
        """Send one message; a broken session is dropped so the next message reconnects."""
        if self.smtp is None:
            try:
                self.smtp = self._open()
            except (smtplib.SMTPException, OSError) as exc:
                raise MailError(f"cannot open an SMTP session with {self.settings.host}:"
                                f"{self.settings.port}: {_describe(exc)}", connection=True) from None
        try:
            refused = self.smtp.send_message(build_email(message))
        except smtplib.SMTPRecipientsRefused as exc:  # the session stays usable (RSET)
            raise MailError(_describe(exc), permanent=_all_permanent(exc.recipients)) from None
        except smtplib.SMTPDataError as exc:  # 5xx to this message's content: it will not change
            raise MailError(_describe(exc), permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:  # network, TLS, login, sender refused
            self.close()
            raise MailError(_describe(exc)) from None
        if refused:
            raise MailError(f"refused: {refused}", permanent=_all_permanent(refused))

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.ssl:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls and not s.ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(smtp)


def _quietly_close(smtp) -> None:
    try:
        smtp.close()
    except Exception:  # closing a dead socket must not hide the real error
        pass


def _all_permanent(recipients: dict) -> bool:
    """5xx for every refused recipient: the address is wrong, retrying cannot help."""
    return bool(recipients) and all(code >= 500 for code, _msg in recipients.values())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code} {text}"
    if isinstance(exc, socket.timeout):
        return "timeout talking to the SMTP server"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# ----------------------------------------------------------------------------- choose


def backend_for(app: Flask):
    """The backend the settings ask for; MailConfigError for an unknown one."""
    name = str(app.config.get("MAIL_BACKEND") or "console").strip().lower()
    if name == "console":
        return ConsoleBackend(app)
    if name == "smtp":
        return SmtpBackend(SmtpSettings.from_config(app.config))
    raise MailConfigError(f"unknown MAIL_BACKEND {name!r}; choose console or smtp")
