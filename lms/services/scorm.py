"""SCORM 1.2 at run time: who may launch a SCO, its content, sessions and commits.

A learner runs the SCO of the published version; their data (``scorm_states``) is keyed by
enrolment and lesson key like lesson progress, so it survives new versions. An author of
the course (or an admin) who is not a learner of it runs any version as a preview: values
are checked exactly the same, but nothing is recorded.

Every commit is re-validated here (lms.scorm.cmi), in one transaction: the state row is
locked, the values applied, the LMS's own rules applied (session time added up, mastery
score deciding passed/failed), and a status of completed or passed completes the lesson
through lms.services.progress, so course completion, JP and certificates follow.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, redirect, request
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from lms import content_origin
from lms.database import db
from lms.errors import LmsError
from lms.models import Course, CourseVersion, Enrollment, Lesson, LessonProgress, ScormState, User, VersionStatus
from lms.scorm import cmi
from lms.scorm.manifest import MANIFEST, Sco, read_manifest
from lms.services import assets, authoring, enrollment as enrolments, progress
from lms.storage import storage

#: Content may run its own scripts and styles and talk to its own origin only: no other
#: origin, no form posts, no plugins, shown only in a frame of the LMS (frame-ancestors is
#: added per response: the app's origin, which is the player's).
CONTENT_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                  "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' data: blob:; "
                  "font-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self' blob:; "
                  "object-src 'none'; base-uri 'self'; form-action 'none'")
#: Without a content origin the files come from the app's origin, so they are sandboxed:
#: an opaque origin, no cookies, no access to the app's pages (or to the player's DOM).
SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"
#: The runtime the server adds to the SCO's HTML documents (lms/static/js/scorm-runtime.js).
RUNTIME_SCRIPT = "js/scorm-runtime.js"
#: Where the runtime's tag goes, first found first: after <head>, else <html>, else the doctype.
_OPENINGS = [re.compile(rb"<head(?:\s[^>]*)?>", re.I), re.compile(rb"<html(?:\s[^>]*)?>", re.I),
             re.compile(rb"<!doctype[^>]*>", re.I)]
#: Titles written before or after Indonesian names, dropped from cmi.core.student_name.
NAME_PREFIXES = {"dr", "dr.", "drs", "drs.", "dra", "dra.", "ir", "ir.", "prof", "prof.", "h", "h.", "hj",
                 "hj.", "kh", "kh.", "r", "r.", "raden"}
COMPLETE = ("completed", "passed")
MAX_COMMIT_BYTES = 1024 * 1024


class Invalid(LmsError):
    """A commit refused: `code` for the JSON error, `details` naming each refused value."""

    def __init__(self, code: str, message: str, details: dict | None = None, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.details, self.status = code, message, details or {}, status


class NotFound(LmsError):
    """No SCORM lesson there for this user (answered 404, never saying which)."""


@dataclass
class Launch:
    """A SCO about to run: for a learner (enrollment set) or an author's preview."""

    course: Course
    version: CourseVersion
    lesson: Lesson
    enrollment: Enrollment | None

    @property
    def preview(self) -> bool:
        return self.enrollment is None


# ------------------------------------------------------------------------- who may launch


def launch_for(user: User, slug: str, number: int, key: str) -> Launch:
    """The learner's launch (the published version's lesson), else an author's preview of
    version `number`; NotFound for anyone else, and for a lesson that is not SCORM."""
    if not user.is_authenticated:
        raise NotFound(slug)
    row = db.session.execute(
        select(Course, CourseVersion, Lesson).join(CourseVersion, CourseVersion.course_id == Course.id)
        .join(Lesson, Lesson.version_id == CourseVersion.id)
        .where(Course.slug == slug, CourseVersion.number == number, Lesson.key == key)).first()
    if row is None or row.Lesson.type != "scorm":
        raise NotFound(slug)
    course, version, lesson = row
    mine = enrolments.get_enrollment(user, course)
    if enrolments.is_active(mine) and version.status != VersionStatus.DRAFT:
        published = version if version.status == VersionStatus.PUBLISHED else _published_lesson(course, key)
        if published is version:
            return Launch(course, version, lesson, mine)
        if published is not None:  # a tab left open across a publication: record on the new version
            return Launch(course, published[0], published[1], mine)
    if authoring.can_author(user, course):
        return Launch(course, version, lesson, None)
    raise NotFound(slug)


def _published_lesson(course: Course, key: str) -> tuple[CourseVersion, Lesson] | None:
    row = db.session.execute(
        select(CourseVersion, Lesson).join(Lesson, Lesson.version_id == CourseVersion.id)
        .where(CourseVersion.course_id == course.id, CourseVersion.status == VersionStatus.PUBLISHED,
               Lesson.key == key, Lesson.type == "scorm")).first()
    return (row.CourseVersion, row.Lesson) if row else None


# ------------------------------------------------------------------------- the SCO

_SCOS: OrderedDict[tuple, object] = OrderedDict()
_SCO_CACHE_SIZE = 256


class _Everything:
    """Stands for a stored version's files: checked at import, so every href is there."""

    def __contains__(self, item) -> bool:
        return True


def sco_of(version: CourseVersion, lesson: Lesson) -> Sco:
    """The lesson's SCO, read from its stored manifest (parsed once per manifest content:
    stored files never change, so the cache needs no invalidation)."""
    folder = lesson.data["path"]
    asset = assets.find(version, f"{folder}/{MANIFEST}")
    if asset is None:
        raise NotFound(f"{folder}/{MANIFEST}")
    cache_key = (asset.sha256, folder)
    package = _SCOS.get(cache_key)
    if package is None:
        package, problems = read_manifest(storage().read(assets.blob_key(asset.sha256)), _Everything(),
                                          base=folder + "/", file=asset.path)
        if package is None:
            raise NotFound("; ".join(str(p) for p in problems))
        _SCOS[cache_key] = package
        while len(_SCOS) > _SCO_CACHE_SIZE:
            _SCOS.popitem(last=False)
    sco = package.sco(lesson.data.get("item"))
    if sco is None:
        raise NotFound(f"item {lesson.data.get('item')}")
    return sco


def content_policy(frame_ancestors: str = "'self'") -> str:
    """The policy of a SCO's files: sandboxed unless they come from the content origin."""
    policy = f"{CONTENT_POLICY}; frame-ancestors {frame_ancestors}"
    return policy if content_origin.origin() else f"{policy}; {SANDBOX}"


def send_content(launch: Launch, number: int, path: str, user: User) -> Response:
    """A file of the SCO's folder, with the content policy (opened with the session cookie:
    previews and old links). Learners only get the published version's files; previews
    any version's. With a content origin the browser is sent there instead."""
    if not launch.preview and launch.version.number != number:
        raise NotFound(path)
    if not path or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        raise NotFound(path)
    if content_origin.origin():
        return redirect(content_url(launch, user, "", path), code=302)
    return _send_file(launch, path, content_policy())


def _send_file(launch: Launch, path: str, policy: str) -> Response:
    response = assets.send(launch.version, f"{launch.lesson.data['path']}/{path}", policy=policy)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# ------------------------------------------------------------------------- token launches


def content_url(launch: Launch, user: User | None, session: str, path: str, entry: str = "") -> str:
    """The URL of a file of the SCO's folder on the content side, with a token for this
    lesson's folder only (relative links inside the package keep working). `session` lets
    the SCO's HTML documents carry the runtime; "" serves the files alone."""
    token = content_origin.sign({
        "k": "s", "c": launch.course.slug, "n": launch.version.number, "l": launch.lesson.key,
        "u": user.id if user is not None else None, "s": session, "e": entry,
        "o": request.host_url.rstrip("/")})
    return content_origin.content_url("scorm.token_file", token=token, path=path)


def launch_for_token(scope: dict) -> Launch:
    """The launch a token names, checked again (the learner may have left the course since)."""
    user = db.session.get(User, scope.get("u")) if scope.get("u") is not None else None
    if user is None or not user.is_active:
        raise NotFound("user")
    launch = launch_for(user, str(scope.get("c")), int(scope.get("n") or 0), str(scope.get("l")))
    if not launch.preview and launch.version.number != scope.get("n"):
        raise NotFound("version")
    return launch


def send_token_file(scope: dict, path: str) -> Response:
    """A file of the SCO's folder opened by a token. The SCO's HTML documents get the runtime
    (window.API) first thing in their head, with the values of the token's session."""
    if not path or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        raise NotFound(path)
    launch = launch_for_token(scope)
    origin = str(scope.get("o") or "")
    policy = content_policy("'self'" + (f" {origin}" if content_origin.origin() and origin else ""))
    response = _send_file(launch, path, policy)
    response.headers["Referrer-Policy"] = "same-origin"
    # The SCO's documents load these from another origin (the opaque one of the sandbox, or
    # the content origin under the app's page): the token, not the origin, is the check.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if response.mimetype == "text/html" and scope.get("s") and response.status_code == 200:
        _inject_runtime(response, launch, scope)
    if content_origin.origin():
        del response.headers["X-Frame-Options"]  # framed by the app's origin: frame-ancestors says so
    return response


def _inject_runtime(response: Response, launch: Launch, scope: dict) -> None:
    """Put the runtime's <script> (with this session's values) before the SCO's own scripts,
    so window.API exists when they look for it. The page then changes with the learner's data:
    never cached."""
    user = db.session.get(User, scope["u"])
    sco = sco_of(launch.version, launch.lesson)
    if sco.scormtype == "asset":  # an asset never talks to the API
        return
    state = None if launch.preview else db.session.scalar(select(ScormState).where(
        ScormState.enrollment_id == launch.enrollment.id, ScormState.lesson_key == launch.lesson.key))
    data = _session_data(launch, sco, user, state, str(scope.get("e") or ""))
    config = {"session": scope["s"], "player": scope.get("o") or "", **data}
    static = content_origin.content_url("static", filename=RUNTIME_SCRIPT)
    tag = (f'<script src="{html.escape(static)}" data-lms-scorm="'
           f'{html.escape(json.dumps(config, separators=(",", ":")), quote=True)}"></script>').encode()
    response.direct_passthrough = False  # send_file's stream, read here to be rewritten
    body = response.get_data()
    at = next((m.end() for m in (p.search(body, 0, 8192) for p in _OPENINGS) if m), 0)
    response.set_data(body[:at] + tag + body[at:])
    response.headers.pop("ETag", None)
    response.headers.pop("Accept-Ranges", None)
    response.cache_control.no_store = True


# ------------------------------------------------------------------------- sessions


def student_name(name: str) -> str:
    """cmi.core.student_name: "Last, First" by SCORM convention. Indonesian names often have
    one part (Sukarno) and no family name, so a single name is given as it is; academic
    degrees after a comma and titles before the name are left out."""
    words = [w for w in (name or "").split(",", 1)[0].split() if w.lower() not in NAME_PREFIXES]
    if len(words) < 2:
        return " ".join(words) or (name or "").strip()
    return f"{words[-1]}, {' '.join(words[:-1])}"[:255]


def student_id(user: User) -> str:
    return user.nip or str(user.id)


def _values(launch: Launch, sco: Sco, user: User, state: ScormState | None, entry: str) -> dict:
    """What LMSGetValue reads at the start of a session (element -> string)."""
    score = {name: _number(getattr(state, f"score_{name}")) if state else "" for name in ("raw", "min", "max")}
    prefs = state.preferences if state else {}
    return {
        "cmi.core.student_id": student_id(user), "cmi.core.student_name": student_name(user.name),
        "cmi.core.lesson_location": state.lesson_location if state else "",
        "cmi.core.credit": "no-credit" if launch.preview else "credit",
        "cmi.core.lesson_status": state.lesson_status if state else "not attempted",
        "cmi.core.entry": entry, "cmi.core.score.raw": score["raw"], "cmi.core.score.min": score["min"],
        "cmi.core.score.max": score["max"],
        "cmi.core.total_time": cmi.timespan(state.total_time_cs if state else 0),
        "cmi.core.lesson_mode": "browse" if launch.preview else "normal",
        "cmi.suspend_data": state.suspend_data if state else "", "cmi.launch_data": sco.data_from_lms,
        "cmi.comments": state.comments if state else "", "cmi.comments_from_lms": "",
        "cmi.student_data.mastery_score": _number(sco.mastery_score),
        "cmi.student_data.max_time_allowed": sco.max_time_allowed,
        "cmi.student_data.time_limit_action": sco.time_limit_action,
        "cmi.student_preference.audio": prefs.get("audio", "0"),
        "cmi.student_preference.language": prefs.get("language", ""),
        "cmi.student_preference.speed": prefs.get("speed", "0"),
        "cmi.student_preference.text": prefs.get("text", "0"),
    }


def _number(value) -> str:
    """A stored decimal as SCORM writes it: "85", "72.5", or blank."""
    if value is None:
        return ""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def start_session(launch: Launch, user: User) -> dict:
    """Open a session: what the runtime starts with. For a learner, the row is created on the
    first launch, and entry says whether the SCO resumes (its last exit was "suspend");
    a session still open elsewhere is replaced (its later commits get 409)."""
    sco = sco_of(launch.version, launch.lesson)
    token, state, entry = "preview", None, "ab-initio"
    if not launch.preview:
        state = _locked_state(launch, create=True)
        entry = "ab-initio" if state.sessions == 0 else "resume" if state.exit == "suspend" else ""
        token = secrets.token_urlsafe(24)
        state.exit, state.session_token, state.sessions = "", token, state.sessions + 1
        state.session_time_cs = 0
        state.updated_at = _now()
        if sco.scormtype == "asset":  # an asset never talks to the API: launching it completes it
            state.lesson_status = "completed" if state.lesson_status not in COMPLETE else state.lesson_status
            progress.complete_lesson(launch.enrollment, launch.version, launch.lesson)
        else:
            db.session.commit()
    return {"session": token, **_session_data(launch, sco, user, state, entry),
            "launch": content_url(launch, user, token, sco.href, entry) + sco.query,
            "preview": launch.preview}


def _session_data(launch: Launch, sco: Sco, user: User, state: ScormState | None, entry: str) -> dict:
    """What the runtime starts with: the CMI values, objectives, and how many interactions."""
    return {"values": _values(launch, sco, user, state, entry),
            "objectives": list(state.objectives) if state else [],
            # Write-only for the SCO: the runtime needs only how many there are (and their lists').
            "interactions": [[len(i.get("objectives", [])), len(i.get("correct_responses", []))]
                             for i in state.interactions] if state else []}


def _locked_state(launch: Launch, create: bool = False) -> ScormState | None:
    """The learner's row, locked for this transaction (created once, even under races)."""
    if create:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(ScormState).values(
            enrollment_id=launch.enrollment.id, lesson_key=launch.lesson.key, lesson_status="not attempted",
            lesson_location="", suspend_data="", comments="", exit="", total_time_cs=0, session_time_cs=0,
            sessions=0, preferences={}, objectives=[], interactions=[])
            .on_conflict_do_nothing(index_elements=["enrollment_id", "lesson_key"]))
    return db.session.scalar(
        select(ScormState).where(ScormState.enrollment_id == launch.enrollment.id,
                                 ScormState.lesson_key == launch.lesson.key)
        .with_for_update().execution_options(populate_existing=True))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ------------------------------------------------------------------------- commits


def read_payload(payload: object) -> tuple[str, list, bool]:
    """(session, values, finish) of a commit body, or Invalid."""
    if not isinstance(payload, dict):
        raise Invalid("invalid_body", "The body must be a JSON object with session, values and finish.")
    session, values, finish = payload.get("session"), payload.get("values", []), payload.get("finish", False)
    if not isinstance(session, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", session):
        raise Invalid("invalid_body", "session: the token the session start returned is required.",
                      {"session": "required"})
    if not isinstance(finish, bool):
        raise Invalid("invalid_body", "finish: must be true or false.", {"finish": "must be true or false"})
    if not isinstance(values, list):
        raise Invalid("invalid_body", "values: must be a list of [element, value] pairs.",
                      {"values": "must be a list"})
    return session, values, finish


def commit(launch: Launch, payload: object) -> dict:
    """Apply a commit (LMSCommit, LMSFinish, or the page being left) in one transaction.

    Commits of the learner's latest session are accepted even after LMSFinish (a SCO's own
    unload handler may finish after the page sent what it had); a session that another
    launch replaced is refused with 409, so two windows never overwrite each other."""
    session, values, _finish = read_payload(payload)
    sco = sco_of(launch.version, launch.lesson)
    state = None if launch.preview else _locked_state(launch)
    if not launch.preview and (state is None or state.session_token != session):
        db.session.rollback()
        raise Invalid("session_closed", "This session has ended (the lesson was opened again, perhaps in "
                      "another window); its values were not saved.", status=409)
    data = _cmi_of(state)
    errors = cmi.apply(data, values)
    if errors:
        db.session.rollback()
        raise Invalid("invalid_value", f"{len(errors)} value(s) refused; nothing was saved.",
                      {"values": [{"element": e.element, "code": e.code, "message": str(e)} for e in errors[:50]]})
    status = _status(data, sco, credit=not launch.preview)
    if launch.preview:
        return {"lesson_status": status, "recorded": False, "completed": False, "course_completed": False}
    _store(state, data, status)
    done = status in COMPLETE
    if done:
        progress.complete_lesson(launch.enrollment, launch.version, launch.lesson)  # commits all
    else:
        db.session.commit()
    return {"lesson_status": status, "recorded": True,
            "completed": done or _lesson_done(launch),
            "course_completed": launch.enrollment.completed_at is not None,
            "total_time": cmi.timespan(state.total_time_cs)}


def _lesson_done(launch: Launch) -> bool:
    return db.session.scalar(select(LessonProgress.id).where(
        LessonProgress.enrollment_id == launch.enrollment.id,
        LessonProgress.lesson_key == launch.lesson.key)) is not None


def _cmi_of(state: ScormState | None) -> cmi.Cmi:
    if state is None:
        return cmi.Cmi()
    return cmi.Cmi(lesson_location=state.lesson_location, lesson_status=state.lesson_status,
                   score_raw=_number(state.score_raw), score_min=_number(state.score_min),
                   score_max=_number(state.score_max), exit="", suspend_data=state.suspend_data,
                   comments=state.comments, preferences=dict(state.preferences),
                   objectives=[dict(o, score=dict(o.get("score", {}))) for o in state.objectives],
                   interactions=[dict(i, objectives=list(i.get("objectives", [])),
                                      correct_responses=list(i.get("correct_responses", [])))
                                 for i in state.interactions])


def _status(data: cmi.Cmi, sco: Sco, credit: bool) -> str:
    """The LMS's own rules on lesson_status: a SCO that ran is at least incomplete; with a
    mastery score and a reported raw score, the score decides passed or failed (credit only)."""
    status = data.lesson_status
    if status == "not attempted":
        status = "incomplete"
    if credit and sco.mastery_score is not None and data.score_raw != "":
        status = "passed" if Decimal(data.score_raw) >= Decimal(str(sco.mastery_score)) else "failed"
    return status


def _store(state: ScormState, data: cmi.Cmi, status: str) -> None:
    state.lesson_location, state.lesson_status = data.lesson_location, status
    for name in ("raw", "min", "max"):
        value = getattr(data, f"score_{name}")
        setattr(state, f"score_{name}", Decimal(value) if value != "" else None)
    state.suspend_data, state.comments = data.suspend_data, data.comments
    state.preferences, state.objectives, state.interactions = data.preferences, data.objectives, data.interactions
    if "cmi.core.exit" in data.touched:
        state.exit = data.exit
    if data.session_time is not None:
        # total_time always holds the earlier sessions plus this one's latest session_time, so
        # repeated commits, a finish, or a late commit after leaving never count time twice.
        reported = cmi.centiseconds(data.session_time)
        state.total_time_cs = max(0, state.total_time_cs - state.session_time_cs + reported)
        state.session_time_cs = reported
    state.updated_at = _now()


def states_of(enrollment: Enrollment) -> dict[str, ScormState]:
    """The learner's SCORM data per lesson key, in one query (course pages, reports)."""
    return {s.lesson_key: s for s in db.session.scalars(
        select(ScormState).where(ScormState.enrollment_id == enrollment.id))}
