"""Taking quizzes: the quiz page, attempts (autosave, submit) and the review."""
from __future__ import annotations

import random

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.database import db
from lms.forms.courses import EnrolForm
from lms.models import Attempt, AttemptState, Quiz
from lms.registry import question_types
from lms.services import attempts, courses, enrollment, quizzes
from lms.services.courses import CourseNotFound

bp = Blueprint("quiz", __name__, url_prefix="/learn")


@bp.get("/<slug>/quiz/<key>")
@login_required
def show(slug: str, key: str):
    version, quiz = _quiz_or_404(slug, key)
    mine = attempts.attempts_of(current_user, version.course, key)
    counted = quizzes.best_scores(current_user.id, version.course_id, [quiz]).get(key)
    return render_template("quiz/show.html", version=version, quiz=quiz, attempts=mine,
                           current=attempts.open_attempt(mine), refusal=attempts.refusal(quiz, mine),
                           counted=counted, form=EnrolForm())


@bp.post("/<slug>/quiz/<key>/start")
@login_required
def start(slug: str, key: str):
    version, quiz = _quiz_or_404(slug, key)
    if not EnrolForm().validate_on_submit():
        abort(400)
    try:
        attempt = attempts.start(current_user, version.course, quiz)
    except attempts.AttemptRefused as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("quiz.show", slug=slug, key=key))
    return redirect(url_for("quiz.attempt", uid=attempt.uid))


@bp.get("/attempts/<uid>")
@login_required
def attempt(uid: str):
    current = _own_attempt(uid)
    if current.state != AttemptState.OPEN:
        return redirect(url_for("quiz.review", uid=uid))
    saved = [attempts.aware(q.saved_at) for q in current.questions if q.saved_at is not None]
    return render_template("quiz/attempt.html", attempt=current, quiz=current.quiz,
                           rendered=[(q, _inputs(current, q)) for q in current.questions],
                           autosave=current_app.config["QUIZ_AUTOSAVE_SECONDS"], form=EnrolForm(),
                           saved_at=int(max(saved).timestamp() * 1000) if saved else 0)


@bp.post("/attempts/<uid>/save")
@login_required
def save(uid: str):
    """Autosave from the attempt page's script: JSON answer, 409 once the attempt is closed."""
    if not EnrolForm().validate_on_submit():
        return jsonify(error={"code": "csrf", "message": "invalid form token", "details": {}}), 400
    current = _own_attempt(uid, lock=True)
    try:
        saved = attempts.save(current, attempts.read_responses(current, request.form))
    except attempts.AttemptClosed:
        return jsonify(error={"code": "attempt_closed", "message": _("This attempt is closed."),
                              "details": {}}), 409
    return jsonify(saved=saved, saved_at=attempts.now().isoformat(),
                   deadline=current.deadline.isoformat() if current.deadline else None)


@bp.post("/attempts/<uid>/submit")
@login_required
def submit(uid: str):
    """Finish the attempt. Idempotent: a retry after a lost response leads to the same review.

    The attempt page's script asks for JSON (``Accept: application/json``) and then goes to
    ``redirect`` itself, so a failed request leaves the learner on the page with the answers.
    """
    if not EnrolForm().validate_on_submit():
        abort(400)
    current = _own_attempt(uid, lock=True)
    was_open = current.state == AttemptState.OPEN
    responses = attempts.read_responses(current, request.form) if was_open else None
    finished = attempts.submit(current, responses)
    if was_open and finished.finished_by == "expired":
        flash(_("Time was up: only the answers saved in time were graded."), "info")
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(redirect=url_for("quiz.review", uid=uid), state=finished.state.value)
    return redirect(url_for("quiz.review", uid=uid))


@bp.get("/attempts/<uid>/review")
@login_required
def review(uid: str):
    current = _own_attempt(uid)
    if current.state == AttemptState.OPEN:
        return redirect(url_for("quiz.attempt", uid=uid))
    registry = question_types()
    answers = {q.slot: registry.get(q.definition["type"]).describe_answer(q.definition)
               for q in current.questions if q.definition.get("type") in registry}
    slug = current.quiz.version.course.slug
    return render_template("quiz/review.html", attempt=current, quiz=current.quiz, answers=answers,
                           slug=slug)


def _inputs(current: Attempt, question):
    """The answer inputs of one question; None when its type is no longer installed."""
    registry = question_types()
    kind = question.definition.get("type")
    if kind not in registry:
        return None
    rng = random.Random(f"{current.seed}:{question.slot}") if current.quiz.shuffle_options else _Unshuffled()
    return registry.get(kind).render(question.definition, attempts.field_name(question),
                                     question.response, rng)


class _Unshuffled(random.Random):
    """An rng whose shuffle keeps the author's order (quizzes with shuffle_options off)."""

    def shuffle(self, x):  # noqa: D102 - keeps order on purpose
        return None


def _quiz_or_404(slug: str, key: str):
    """The quiz of the published version, for an enrolled learner."""
    try:
        version = courses.published_version(slug, with_lessons=False)
    except CourseNotFound:
        abort(404)
    quiz = db.session.scalar(select(Quiz).where(Quiz.version_id == version.id, Quiz.key == key))
    if quiz is None:
        abort(404)
    if not enrollment.is_active(enrollment.get_enrollment(current_user, version.course)):
        abort(403)
    return version, quiz


def _own_attempt(uid: str, lock: bool = False) -> Attempt:
    """The current learner's attempt; anyone else's is a plain 404 (nothing revealed)."""
    found = attempts.load_for_update(uid, current_user) if lock else db.session.scalar(
        select(Attempt).where(Attempt.uid == uid, Attempt.user_id == current_user.id))
    if found is None:
        abort(404)
    return found
