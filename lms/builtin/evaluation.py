"""Post-training evaluation as an internal plugin: its pages, the follow-up job and command,
and the end-of-course invitation when a course completes (docs/evaluation.md)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.hookspecs import LMS_PLUGIN_API, hookimpl

lms_api = LMS_PLUGIN_API


@hookimpl
def register_blueprints(app):
    from lms.blueprints import evaluation

    return [evaluation.bp]


@hookimpl
def periodic_jobs():
    from lms.plugin import PeriodicJob
    from lms.services import evaluation

    return [PeriodicJob(evaluation.send_followups, 3600)]


@hookimpl
def register_commands(cli):
    cli.add_command(send_followups)


@hookimpl
def course_completed(enrollment):
    """Put the feedback form on the learner's to-do list (its own small transaction)."""
    from lms.database import db
    from lms.services import evaluation

    try:
        evaluation.invite_course(enrollment)
    except Exception:
        db.session.rollback()  # leave the request's session usable; the host logs the error
        raise


@click.command("send-followups")
@with_appcontext
def send_followups() -> None:
    """Ask learners and supervisors the follow-up survey N weeks after completion (the
    worker runs this hourly; without a worker run it daily from cron). Re-running asks nobody twice."""
    from lms.services import evaluation

    click.echo(f"{evaluation.send_followups()} follow-up request(s) created")
