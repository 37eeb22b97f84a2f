"""The LMS plugin API: every hook a plugin may implement, with its contract.

Plugins implement hooks with ``@hookimpl`` (import it from ``lms.plugin``) and declare the
API version they were written for as ``lms_api = "1.0"`` in the module their entry point
names. Hooks are always called with keyword arguments, so an implementation may accept
only the arguments it needs, and new arguments can be added without breaking it.

Families:

* **lifecycle**: the app is being built.
* **contribute (startup)**: called once while the app is built; results are registered.
* **contribute (per request)**: called while a page renders; a failing implementation is
  logged and dropped, the page stays up.
* **react**: called after the database transaction commits; the return value is ignored;
  each implementation is isolated, so a failing plugin never undoes the learner's action.
"""
from __future__ import annotations

import pluggy

#: The version of this API. A plugin declaring a different major, or a newer minor, is refused.
LMS_PLUGIN_API = "1.4"

#: Project name shared by the markers and the PluginManager.
PROJECT = "lms"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Hooks called after commit through PluginHost.notify; each implementation is isolated.
REACT_HOOKS = frozenset({"user_registered", "learner_enrolled", "lesson_viewed", "lesson_completed",
                         "quiz_graded", "course_completed", "certificate_issued",
                         "certificate_revoked"})
#: Hooks called per request through PluginHost.collect; each implementation is isolated.
PER_REQUEST_HOOKS = frozenset({"nav_items"})


# --------------------------------------------------------------------------- lifecycle


@hookspec
def config_defaults():
    """Return default settings for the plugin's own configuration keys.

    **Called:** once per app, after the configuration is loaded and before any other hook.

    **Return:** a dict ``{KEY: default}``; keys should start with the plugin's name in
    capitals (``EOFFICE_SIMULATION_STEPS``). The host applies ``app.config.setdefault``, so
    the environment (``LMS_EOFFICE_...``) and explicit settings win.

    **Errors:** propagated: a plugin that cannot provide its defaults stops the start.

    **Since:** 1.0
    """


@hookspec
def startup(app):
    """Finish set-up once the app is built and every plugin is registered.

    **Called:** once per app, last in ``create_app``, inside no request.

    :param app: the Flask application.

    **Return:** ignored.

    **Errors:** propagated: the app does not start.

    **Since:** 1.0
    """


# --------------------------------------------------------------------- contribute, startup


@hookspec
def register_blueprints(app):
    """Contribute Flask blueprints (pages, API endpoints, static files, templates).

    **Called:** once per app, while ``create_app`` registers the core blueprints.

    :param app: the Flask application (to read configuration).

    **Return:** a list of ``flask.Blueprint``. A plugin's blueprint names must start with the
    plugin's name (``eoffice``, ``eoffice_admin``) and its templates should live under a
    folder of that name, so plugins never shadow each other or the core. Use a
    ``url_prefix`` such as ``/p/<plugin>``.

    **Errors:** a wrong name or a failing implementation refuses the plugin (fatal in strict
    mode).

    **Since:** 1.0
    """


@hookspec
def register_commands(cli):
    """Add click commands to the ``flask lms`` command group.

    **Called:** once per app, when the CLI group is built.

    :param cli: the ``click.Group`` behind ``flask lms``; call ``cli.command()`` or
        ``cli.add_command()``. Name commands after the plugin (``eoffice-sync``).

    **Return:** ignored.

    **Errors:** propagated.

    **Since:** 1.0
    """


@hookspec
def migrations_dirs():
    """Contribute Alembic version directories for the plugin's own tables.

    **Called:** whenever Alembic is configured (``flask db upgrade``, ``flask db revision``).

    **Return:** a list of ``(branch_label, path)``. Revisions in ``path`` form their own
    branch: the first has ``down_revision = None`` and ``branch_labels = ("<label>",)``.
    Tables are prefixed with the plugin's name. Deployments run ``flask db upgrade heads``.

    **Errors:** propagated.

    **Since:** 1.0
    """


@hookspec
def periodic_jobs():
    """Work to repeat in the background every so often (drain an outbox, sync a directory).

    **Called:** by ``flask lms worker`` at start; it then queues each job every ``seconds``
    (at most one waiting copy per job). Without a worker (no Redis), run your own command
    from cron instead: the job is the same function.

    **Return:** a list of ``lms.plugin.PeriodicJob(func, seconds)``; ``func`` is a
    module-level function taking no arguments, run with an app context like any job
    queued with ``lms.plugin.enqueue``.

    **Errors:** propagated when the worker starts; a job that raises is logged by the
    worker and tried again next period.

    **Since:** 1.3
    """


@hookspec
def register_lesson_types():
    """Contribute lesson types (the values of ``type:`` in course.yaml).

    **Called:** once per app, at startup; the results fill the lesson-type registry.

    **Return:** a list of ``lms.plugin.LessonType`` instances. ``key`` must be unique across
    plugins (prefix yours: ``eoffice-simulation``); ``validate(entry)`` checks a manifest
    entry, ``prepare(entry, body)`` runs once at import and returns what is stored, and
    ``render(lesson)`` runs per request. ``completion`` is ``Completion.MANUAL`` (the
    learner marks it done) or ``Completion.VIEW`` (opening it is enough).

    **Errors:** a key already taken, or a failing implementation, refuses the plugin.

    **Since:** 1.0
    """


@hookspec
def register_question_types():
    """Contribute question types (the values of ``"type"`` in question definitions).

    **Called:** once per app, at startup; the results fill the question-type registry.

    **Return:** a list of ``lms.plugin.QuestionType`` instances with a unique ``key``.
    ``validate(definition)`` checks a definition; ``render(definition, name, response, rng)``
    draws the answer inputs without revealing the answer; ``parse_response(definition,
    form, name)`` reads a submitted form defensively; ``grade(definition, response)``
    returns ``Grade(fraction 0..1 or None for manual grading, feedback)``;
    ``correct_response`` and ``describe_answer`` serve review pages and tests. See
    docs/questions.md for the core types' definitions.

    **Errors:** a key already taken, or a failing implementation, refuses the plugin. A
    grader that raises while grading scores that response 0 and is logged.

    **Since:** 1.0
    """


@hookspec
def register_certificate_templates():
    """Contribute certificate designs.

    **Called:** once per app, at startup; the results fill the certificate-template registry.

    **Return:** a list of ``lms.plugin.CertificateTemplate`` instances with a unique ``key``
    and ``render(data) -> bytes`` returning a whole PDF for an
    ``lms.plugin.CertificateData``. Rendering must be deterministic (the same data gives the
    same bytes): the PDF is rendered once, stored, and its SHA-256 published. A course picks
    its design by key (``Course.certificate_template``); the core ships ``classic``.

    **Errors:** a duplicate key refuses the plugin.

    **Since:** 1.0
    """


@hookspec(firstresult=True)
def sign_certificate_pdf(certificate, pdf_bytes):
    """Sign a certificate's PDF electronically (e.g. through a national TTE provider).

    **Called:** by a background job (never in the learner's request) once the issued
    certificate's PDF is rendered and stored; ``firstresult``: the first implementation
    returning bytes signs it, later ones are not called.

    :param certificate: the issued ``Certificate`` (``.number``, ``.code``, ``.holder_nip``,
        ``.pdf_sha256``); read it, do not modify it.
    :param pdf_bytes: the stored PDF, exactly as published by its SHA-256.

    **Return:** the signed PDF (``bytes``), stored beside the original and served to the
    holder from then on (the verify page shows both hashes, and the plugin's name); or
    ``None`` to leave this certificate unsigned.

    **Errors:** logged and recorded on the certificate; the job tries again later, up to
    ``CERT_SIGN_MAX_ATTEMPTS`` times. The certificate and its original PDF are never lost.

    **Since:** 1.4
    """


@hookspec
def training_history_exporters():
    """Contribute training-history exporters (SIASN-shaped files, an official schema later).

    **Called:** once per app, at startup; the results fill the exporter registry offered on
    /admin/reports/training-history, the learner's own download and ``flask lms
    export-training-history``. Disabling the plugin removes its exporters.

    **Return:** a list of ``lms.plugin.TrainingExporter(key, label, formats, render)``;
    ``render(records, format, info)`` gets the approved credits as
    ``lms.plugin.TrainingRecord`` rows (NIP, name, unit, training name, kind, competency,
    JP, dates, certificate number, issuer), one of the exporter's ``formats`` and an
    ``lms.plugin.ExportInfo`` (scope, period), and returns the file's bytes. Records come
    already scoped to what the caller may see; neutralise spreadsheet formulas in CSV with
    ``lms.plugin.safe_cell``.

    **Errors:** a duplicate key or a failing implementation refuses the plugin; a render
    that raises fails that download (500, logged) and nothing else.

    **Since:** 1.4
    """


@hookspec
def register_curricula():
    """Contribute curricula: course packages shipped inside the plugin.

    **Called:** by ``flask lms install-curricula`` (and ``make run``), not at startup: an
    administrator decides when courses arrive or are upgraded.

    **Return:** a list of paths (``pathlib.Path`` or ``str``), each an ``lms-course/1``
    package: an unpacked folder holding ``course.yaml``, or a ``.zip``. Installing is
    idempotent: a package whose content is unchanged since it was last installed is skipped;
    a changed one becomes the course's next version (published, unless ``--draft``), and
    learners keep their progress on every lesson id that survives. Packages are validated
    exactly like uploads; a refused package names its problems and installs nothing.

    **Errors:** a failing implementation is reported by the command, which exits non-zero.

    **Since:** 1.1
    """


@hookspec
def register_completion_rules():
    """Contribute rules a course's completion must satisfy, beside "all required lessons".

    **Called:** once per app, at startup.

    **Return:** a list of ``lms.plugin.CompletionRule`` instances with a unique ``key``, a
    ``label`` shown to learners, and ``is_met(state)`` where ``state`` is a
    ``CompletionState(enrollment, version, done_keys)``. A rule that does not apply to a
    course returns True. A course completes when every rule is met.

    **Errors:** a duplicate key refuses the plugin; a rule raising while evaluated is logged
    and counts as not met (completion is never granted by accident).

    **Since:** 1.0
    """


# ----------------------------------------------------------------- contribute, per request


@hookspec
def nav_items(user):
    """Contribute links to the site's main navigation.

    **Called:** on every page render, for the current visitor.

    :param user: the current user (``flask_login.current_user``; check
        ``user.is_authenticated`` and ``user.has_role(...)`` before offering a link).

    **Return:** a list of ``lms.plugin.NavItem``; items are sorted by ``weight``.

    **Errors:** isolated: the failing implementation (or an item whose endpoint does not
    resolve) is logged and left out; the page still renders.

    **Since:** 1.0
    """


# ---------------------------------------------------------------------------- decide


@hookspec
def check_enrollment(user, course):
    """Decide whether a learner may enrol themself in a course.

    **Called:** before a self-enrolment is written (and to show the course page's button).
    Enrolments made by an administrator for a user or a unit skip this check.

    :param user: the learner.
    :param course: the ``Course`` (its published version is ``course.versions``' published one).

    **Return:** ``None`` to allow, or ``lms.plugin.Denial(message)`` to refuse; any denial
    refuses. The core's own implementation refuses until prerequisites are completed.

    **Errors:** fail closed: an implementation that raises denies the enrolment and is logged.

    **Since:** 1.0
    """


# ---------------------------------------------------------------------------- react


@hookspec
def user_registered(user):
    """React to a new account (self-registration, admin creation, CSV import).

    **Called:** after the transaction creating the user has committed.

    :param user: the new ``User`` (read its attributes; do not modify it here).

    **Return:** ignored.

    **Errors:** isolated: logged as ``plugin <name> failed in user_registered``; the account
    is kept and the request succeeds.

    **Since:** 1.0
    """


@hookspec
def learner_enrolled(enrollment):
    """React to a learner joining a course (self, by an admin, or with a whole unit).

    **Called:** after the enrolment is committed; also when a withdrawn learner re-enrols.

    :param enrollment: the ``Enrollment`` (``.user``, ``.course``, ``.source``).

    **Return:** ignored.

    **Errors:** isolated and logged; the enrolment is kept.

    **Since:** 1.0
    """


@hookspec
def lesson_viewed(enrollment, lesson):
    """React to a learner opening a lesson page (every opening, reloads included).

    **Called:** after the visit is committed (the enrolment's resume point is saved). For a
    lesson type that completes on opening, this comes before ``lesson_completed``.

    :param enrollment: the learner's ``Enrollment`` (``.user``, ``.course``).
    :param lesson: the ``Lesson`` opened (``.key``, ``.title``, ``.type``, ``.version``).

    **Return:** ignored.

    **Errors:** isolated and logged; the page is shown. Keep it cheap: it runs on every
    lesson page (queue work for later rather than calling other systems).

    **Since:** 1.2
    """


@hookspec
def lesson_completed(progress):
    """React to a lesson being completed for the first time within an enrolment.

    **Called:** after the progress row is committed (not again when it is repeated).

    :param progress: the ``LessonProgress`` (``.enrollment``, ``.lesson_key``, ``.completed_at``).

    **Return:** ignored.

    **Errors:** isolated and logged; the progress is kept.

    **Since:** 1.0
    """


@hookspec
def quiz_graded(attempt):
    """React to a quiz attempt being graded (on submission, at its deadline, or when an
    author finishes grading its essays).

    **Called:** after the graded attempt is committed; exactly once per attempt.

    :param attempt: the ``Attempt`` (``.score`` 0-100, ``.passed``, ``.quiz``, ``.user``,
        ``.finished_by`` "submitted" or "expired").

    **Return:** ignored.

    **Errors:** isolated and logged; the grade is kept.

    **Since:** 1.0
    """


@hookspec
def course_completed(enrollment):
    """React to a learner completing a course (exactly once per enrolment).

    **Called:** after the completion is committed; ``enrollment.completed_at``,
    ``.completed_version`` and ``.jp_awarded`` are set.

    :param enrollment: the completed ``Enrollment``.

    **Return:** ignored.

    **Errors:** isolated and logged; the completion is kept.

    **Since:** 1.0
    """


@hookspec
def certificate_issued(certificate):
    """React to a certificate being issued (on course completion, or as a re-issue).

    **Called:** after the certificate (and the completion it belongs to) is committed.

    :param certificate: the ``Certificate`` (``.number``, ``.code``, ``.holder_name``,
        ``.holder_nip``, ``.course_title``, ``.jp``, ``.issued_at``).

    **Return:** ignored.

    **Errors:** isolated and logged; the certificate is kept.

    **Since:** 1.0
    """


@hookspec
def certificate_revoked(certificate, reason):
    """React to a certificate being revoked by an administrator (also when re-issued).

    **Called:** after the revocation is committed.

    :param certificate: the revoked ``Certificate`` (``.revoked_at``, ``.replaced_by_id``).
    :param reason: the reason the administrator gave.

    **Return:** ignored.

    **Errors:** isolated and logged; the revocation is kept.

    **Since:** 1.0
    """
