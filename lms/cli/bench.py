"""Benchmark data: `flask lms bench-data` fills the database for load tests and reports.

It refuses (exit 1, one line on stderr) when the options cannot work, when the database
already holds bench data (accounts @bench.lms.test, BENCH units, bench-course-* courses), and
on a production configuration (LMS_CONFIG unset or ``production``) unless ``--yes`` is given.
"""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.cli import fail


def is_production() -> bool:
    """The configuration LMS_CONFIG selects (default production), unless the app is a test app.

    (app.debug cannot tell: the flask command resets it from FLASK_DEBUG.)"""
    return not current_app.testing and os.environ.get("LMS_CONFIG", "production") == "production"


@click.command("bench-data")
@click.option("--users", type=int, default=100_000, show_default=True, help="Accounts to create.")
@click.option("--courses", type=int, default=10_000, show_default=True,
              help="Published courses (slugs bench-course-00001 ...).")
@click.option("--completions", type=int, default=1_000_000, show_default=True,
              help="Completed enrolments, distinct (user, course) pairs, dated over the last two years.")
@click.option("--learners", type=int, default=1_000, show_default=True,
              help="Load-test accounts bench-learner-000001@bench.lms.test ..., enrolled (not completed) "
                   "in bench-course-00001.")
@click.option("--password", default="bench-password", show_default=True, help="Password of every account.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the random generator.")
@click.option("--certificates", "certificate_share", type=float, default=0.1, show_default=True,
              help="Share of completions that get a certificate (0..1).")
@click.option("--yes", "confirmed", is_flag=True,
              help="Run even though the configuration is production (it writes a lot of fake people).")
@with_appcontext
def bench_data(users: int, courses: int, completions: int, learners: int, password: str, seed: int,
               certificate_share: float, confirmed: bool) -> None:
    """Fill the database with a large, realistic data set for load tests and reports."""
    from lms.services import bench_data as bench

    if is_production() and not confirmed:
        fail("refusing to write bench data with a production configuration; pass --yes if this "
             "database is really a throw-away one")
    options = bench.Options(users=users, courses=courses, completions=completions, learners=learners,
                            password=password, seed=seed, certificates=certificate_share)
    started = time.perf_counter()
    try:
        result = bench.generate(options, echo=click.echo)
    except (bench.BenchDataRefused, bench.StageFailed) as exc:
        fail(str(exc))
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
    if learners:
        click.echo(f"load-test accounts: bench-learner-000001@{bench.DOMAIN} ... "
                   f"bench-learner-{learners:06d}@{bench.DOMAIN}, enrolled in bench-course-00001")
    if result.admin_email:
        click.echo(f"admin: {result.admin_email}; author: {result.author_email or '-'}; password: {password}")
    if result.learner_code:
        click.echo(f"certificate code of bench-learner-000001: {result.learner_code} (/verify/{result.learner_code})")


COMMANDS = [bench_data]
