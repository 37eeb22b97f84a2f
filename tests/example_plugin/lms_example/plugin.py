"""Hook implementations of the example plugin; one per hook in the API."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Blueprint, current_app, render_template
from markupsafe import Markup
from sqlalchemy import func, select

from lms.plugin import (CertificateTemplate, Completion, CompletionRule, Denial, Grade, LessonType,
                        NavItem, PreparedLesson, QuestionType, db, hookimpl)

from lms_example.models import Greeting

lms_api = "1.2"

bp = Blueprint("example", __name__, url_prefix="/p/example", template_folder="templates")


@bp.get("/")
def index():
    count = db.session.scalar(select(func.count()).select_from(Greeting))
    return render_template("example/index.html", count=count,
                           greeting=current_app.config["EXAMPLE_GREETING"])


@hookimpl
def config_defaults():
    return {"EXAMPLE_GREETING": "Selamat datang", "EXAMPLE_CLOSED_COURSES": [],
            "EXAMPLE_HOLD_COMPLETION": False}


@hookimpl
def startup(app):
    app.extensions["example_started"] = True


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def register_commands(cli):
    @cli.command("example-hello")
    @click.argument("name")
    def hello(name):
        """Greet NAME with the configured greeting."""
        click.echo(f"{current_app.config['EXAMPLE_GREETING']}, {name}")


def count_greetings() -> None:
    """The example's periodic job: remembers how many greetings exist (a stand-in for a sync)."""
    from lms.plugin import db

    current_app.config["EXAMPLE_GREETING_COUNT"] = db.session.execute(
        db.text("SELECT COUNT(*) FROM example_greetings")).scalar()


@hookimpl
def periodic_jobs():
    from lms.plugin import PeriodicJob

    return [PeriodicJob(count_greetings, seconds=300)]


@hookimpl
def register_curricula():
    return [Path(__file__).parent / "curricula" / "contoh-kurikulum"]


@hookimpl
def migrations_dirs():
    return [("example", str(Path(__file__).parent / "migrations"))]


@hookimpl
def nav_items(user):
    return [NavItem("Example", "example.index", weight=50)] if user.is_authenticated else []


@hookimpl
def user_registered(user):
    _greet(user.id, f"Halo {user.name}")


class QuoteLesson(LessonType):
    """A lesson type of the plugin's own: a quotation, complete as soon as it is read."""

    key = "example-quote"
    label = "Quotation"
    completion = Completion.VIEW

    def validate(self, entry):
        return [] if isinstance(entry.get("text"), str) and entry["text"].strip() else ["text: required"]

    def prepare(self, entry, body):
        return PreparedLesson(data={"text": entry["text"].strip(), "by": str(entry.get("by", ""))})

    def render(self, lesson):
        return Markup("<blockquote class=\"example-quote\">{}<footer>{}</footer></blockquote>").format(
            lesson.data["text"], lesson.data["by"])


class HoldRule(CompletionRule):
    """Holds every completion while EXAMPLE_HOLD_COMPLETION is on (e.g. pending an evaluation)."""

    key = "example_hold"
    label = "Waiting for the example plugin"

    def is_met(self, state):
        return not current_app.config["EXAMPLE_HOLD_COMPLETION"]


@hookimpl
def register_lesson_types():
    return [QuoteLesson()]


class YesNoQuestion(QuestionType):
    """A question type of the plugin's own: answer "ya" or "tidak"."""

    key = "example-yesno"
    label = "Ya / tidak"

    def validate(self, definition):
        return [] if definition.get("answer") in ("ya", "tidak") else ["answer: must be ya or tidak"]

    def render(self, definition, name, response, rng):
        return Markup("").join(Markup(
            '<label><input type="radio" name="{0}" value="{1}"{2}> {1}</label>').format(
                name, choice, Markup(" checked") if response == choice else "") for choice in ("ya", "tidak"))

    def parse_response(self, definition, form, name):
        value = form.get(name)
        return value if value in ("ya", "tidak") else None

    def grade(self, definition, response):
        right = response == definition["answer"]
        return Grade(1.0 if right else 0.0, "Tepat." if right else "Kurang tepat.")

    def correct_response(self, definition):
        return definition["answer"]

    def describe_answer(self, definition):
        return definition["answer"]


@hookimpl
def register_question_types():
    return [YesNoQuestion()]


class PlainCertificate(CertificateTemplate):
    """A certificate design of the plugin's own: one line of text on A5."""

    key = "example-plain"
    label = "Plain"

    def render(self, data):
        from fpdf import FPDF

        pdf = FPDF(format=(148, 210))  # A5 in millimetres
        pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=f"PLAIN {data.number} {data.jp} JP")
        return bytes(pdf.output())


@hookimpl
def register_certificate_templates():
    return [PlainCertificate()]


@hookimpl
def certificate_issued(certificate):
    _greet(certificate.user_id, f"certificate {certificate.number}")


@hookimpl
def certificate_revoked(certificate, reason):
    _greet(certificate.user_id, f"revoked {certificate.number}: {reason}")


@hookimpl
def sign_certificate_pdf(certificate, pdf_bytes):
    """A pretend electronic signature (EXAMPLE_SIGN on): a PDF comment after the file's end,
    which readers ignore. A real plugin sends the PDF to its TTE provider here."""

    if not current_app.config.get("EXAMPLE_SIGN"):
        return None
    return pdf_bytes + f"\n% signed by lms_example for {certificate.number}\n".encode()


@hookimpl
def quiz_graded(attempt):
    _greet(attempt.user_id, f"quiz {attempt.quiz_key} scored {attempt.score:g}")


@hookimpl
def register_completion_rules():
    return [HoldRule()]


@hookimpl
def check_enrollment(user, course):
    if course.slug in current_app.config["EXAMPLE_CLOSED_COURSES"]:
        return Denial("Kursus ini ditutup oleh plugin contoh.")
    return None


@hookimpl
def learner_enrolled(enrollment):
    _greet(enrollment.user_id, f"enrolled {enrollment.course.slug}")


@hookimpl
def lesson_viewed(enrollment, lesson):
    _greet(enrollment.user_id, f"viewed {lesson.key}")


@hookimpl
def lesson_completed(progress):
    _greet(progress.enrollment.user_id, f"lesson {progress.lesson_key}")


@hookimpl
def course_completed(enrollment):
    _greet(enrollment.user_id, f"completed {enrollment.course.slug} for {enrollment.jp_awarded} JP")


def _greet(user_id: int, message: str) -> None:
    db.session.add(Greeting(user_id=user_id, message=message))
    db.session.commit()


@hookimpl
def training_history_exporters():
    """A one-line-per-credit text file: the smallest exporter."""
    from lms.plugin import TrainingExporter

    def render(records, fmt, info):
        return "".join(f"{r.nip};{r.training_name};{r.jp}\n" for r in records).encode()

    return [TrainingExporter("example-lines", "Example lines", ("txt",), render,
                             media_types={"txt": "text/plain"})]
