"""Administering accounts: who may manage whom, and every change audited.

Admins manage every account, except that nobody changes their own role or deactivates
themself (so the site always keeps the admin who is acting). Unit admins:

* see the accounts whose unit is their unit or one of its sub-units (none without a unit);
* manage (edit, change role, deactivate, reactivate, reset password, move) only the
  learners and authors among them, never another unit admin or an admin;
* grant only the learner and author roles;
* pick units only inside their subtree, so nobody leaves it through them.

Accounts are never deleted: a deactivated account cannot sign in and keeps its history.
Passwords set by someone else (chosen by the admin or generated) must be replaced by the
person at their next sign-in (``User.must_change_password``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from lms import events
from lms.asn import GOLONGAN, InvalidNIP, normalise_nip, parse_nip
from lms.database import db
from lms.errors import LmsError, ValidationFailed
from lms.i18n import N_
from lms.models import Role, Unit, User
from lms.models.audit import AuditEntry
from lms.services import accounts, audit, orgs, tokens
from lms.services.admin_enrolment import manageable_units
from lms.services.courses import Page

PER_PAGE = 50
#: Roles a unit admin may manage and grant.
UNIT_ADMIN_ROLES = (Role.LEARNER, Role.AUTHOR)
#: Most accounts moved to another unit in one request.
MAX_MOVE = 500
#: "iii/a", "III / a" and "III/A" all mean the golongan "III/a".
_GOLONGAN_KEYS = {re.sub(r"\s+", "", code).lower(): code for code in GOLONGAN}


class UserNotFound(LmsError):
    """No such account, or one outside the reader's units: the page answers 404."""


class NotAllowed(LmsError):
    """A visible account the actor may not change (e.g. a unit admin and an admin): 403."""


@dataclass
class UserFilters:
    q: str = ""
    unit_id: int | None = None
    role: str = ""
    status: str = ""  # "", "active" or "inactive"


# ---------------------------------------------------------------------------- scope


def is_admin(actor: User) -> bool:
    return actor.role == Role.ADMIN


def can_see(actor: User, user: User) -> bool:
    """Admins see everyone; unit admins the accounts of their subtree."""
    return is_admin(actor) or orgs.is_within(user.unit, actor.unit)


def can_manage(actor: User, user: User) -> bool:
    """Whether `actor` may change `user` at all (per-operation limits are checked apart)."""
    if is_admin(actor):
        return True
    return user.id != actor.id and user.role in UNIT_ADMIN_ROLES and can_see(actor, user)


def assignable_roles(actor: User) -> list[Role]:
    return list(Role) if is_admin(actor) else list(UNIT_ADMIN_ROLES)


def assignable_units(actor: User) -> list[Unit]:
    """Units the actor may put accounts in: all for admins, their subtree for unit admins."""
    return manageable_units(actor)


def can_see_unit(actor: User, unit: Unit) -> bool:
    return is_admin(actor) or orgs.is_within(unit, actor.unit)


def can_change_unit(actor: User, unit: Unit) -> bool:
    """Rename or move: admins any unit; unit admins only the units below their own."""
    return is_admin(actor) or (orgs.is_within(unit, actor.unit) and unit.id != actor.unit_id)


def may_create_agency(actor: User) -> bool:
    return is_admin(actor)


def unit_member_counts(actor: User) -> dict[int, int]:
    """{unit id: accounts placed directly in it} for the units the actor sees, one query."""
    query = select(User.unit_id, func.count()).join(Unit, Unit.id == User.unit_id)
    rows = db.session.execute(_scoped(query, actor).group_by(User.unit_id))
    return {unit_id: count for unit_id, count in rows}


def _scoped(query, actor: User):
    """Restrict a query joined to Unit to what `actor` sees."""
    if is_admin(actor):
        return query
    if actor.unit is None:  # a unit admin without a unit manages nobody
        return query.where(false())
    return query.where(Unit.path.startswith(actor.unit.path))


def get_visible(actor: User, user_id: int) -> User:
    """The account `user_id` if `actor` may see it, else UserNotFound."""
    user = db.session.get(User, user_id)
    if user is None or not can_see(actor, user):
        raise UserNotFound(user_id)
    return user


def get_manageable(actor: User, user_id: int) -> User:
    """The account if `actor` may change it; UserNotFound (404) or NotAllowed (403) otherwise."""
    user = get_visible(actor, user_id)
    if not can_manage(actor, user):
        raise NotAllowed(user_id)
    return user


# ---------------------------------------------------------------------------- reading


def search(actor: User, filters: UserFilters, page: int = 1, per_page: int = PER_PAGE, *,
           clamp: bool = True) -> Page:
    """Accounts the actor sees, filtered, by name: two queries whatever the page size.

    A page past the end shows the last page to people; the API (clamp=False) answers it empty.
    """
    query = _scoped(select(User).outerjoin(Unit, Unit.id == User.unit_id), actor)
    query = _filtered(query, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(page, 1), max(1, -(-total // per_page))) if clamp else max(page, 1)
    rows = db.session.scalars(query.options(contains_eager(User.unit)).order_by(User.name, User.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows), total, page, per_page)


def _filtered(query, filters: UserFilters):
    text = filters.q.strip()
    if text:
        matches = [User.name.icontains(text, autoescape=True),
                   User.email.icontains(text.lower(), autoescape=True)]
        digits = normalise_nip(text)
        if digits.isdigit():
            matches.append(User.nip.contains(digits, autoescape=True))
        query = query.where(or_(*matches))
    if filters.unit_id is not None:
        unit = db.session.get(Unit, filters.unit_id)
        query = query.where(Unit.path.startswith(unit.path) if unit else false())
    if filters.role in {r.value for r in Role}:
        query = query.where(User.role == Role(filters.role))
    if filters.status in ("active", "inactive"):
        query = query.where(User.active.is_(filters.status == "active"))
    return query


def users_of_unit(actor: User, unit: Unit, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Accounts placed directly in `unit` (not its sub-units), for moving them elsewhere."""
    query = _scoped(select(User).join(Unit, Unit.id == User.unit_id), actor).where(
        User.unit_id == unit.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(page, 1), max(1, -(-total // per_page)))
    rows = db.session.scalars(query.options(contains_eager(User.unit)).order_by(User.name, User.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return Page(list(rows), total, page, per_page)


def history(actor: User, user: User, limit: int = 20) -> list[AuditEntry]:
    """The latest audit entries about `user` that `actor` may read."""
    query = audit.visible_to(actor).where(AuditEntry.target_type == "user",
                                          AuditEntry.target_id == str(user.id))
    return list(db.session.scalars(query.limit(limit)))


# ---------------------------------------------------------------------------- checks


def normalise_golongan(raw: str | None) -> str | None:
    """The canonical golongan code ("III/a") for what people type, None if empty; KeyError if unknown."""
    key = re.sub(r"\s+", "", raw or "").lower()
    return _GOLONGAN_KEYS[key] if key else None


#: The plain ASCII local part (dot-atom) nearly every address has; email_validator accepts it.
_SIMPLE_LOCAL = re.compile(r"^[a-z0-9!#$&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$&'*+/=?^_`{|}~-]+)*$")


def email_problem(email: str) -> str | None:
    """Why an (already lower-cased) email address is unusable, or None."""
    if not email:
        return N_("Email is required.")
    if len(email) > 254:
        return N_("The email address is too long.")
    local, _, domain = email.rpartition("@")
    if len(local) <= 64 and _SIMPLE_LOCAL.match(local) and _domain_ok(domain):
        return None  # the common case, without validating the same domain 10,000 times
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return N_("This is not a valid email address.")
    return None


@functools.lru_cache(maxsize=1024)
def _domain_ok(domain: str) -> bool:
    try:
        validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _profile_problems(*, name: str, email: str, nip: str | None, golongan: str | None,
                      jabatan: str, exclude_id: int | None = None) -> dict[str, str]:
    """Rule violations of the profile fields, including an email or NIP already taken."""
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = N_("Name is required.")
    elif len(name) > 200:
        problems["name"] = N_("The name is too long (200 characters at most).")
    if weak := email_problem(email):
        problems["email"] = weak
    if nip:
        try:
            parse_nip(nip)
        except InvalidNIP as exc:
            problems["nip"] = exc.message
    try:
        normalise_golongan(golongan)
    except KeyError:
        problems["golongan"] = N_("Unknown golongan.")
    if len(jabatan) > 200:
        problems["jabatan"] = N_("The position is too long (200 characters at most).")
    taken = db.session.execute(select(User.email, User.nip).where(
        or_(User.email == email, User.nip == nip) if nip else User.email == email,
        User.id != exclude_id if exclude_id else true())).all()
    if any(row.email == email for row in taken):
        problems["email"] = N_("An account with this email already exists.")
    if nip and any(row.nip == nip for row in taken):
        problems["nip"] = N_("An account with this NIP already exists.")
    return problems


def _unit_choice(actor: User, unit_id: int | None, role: Role) -> Unit | None:
    """The unit for an account, checked against the actor's units and the role's needs."""
    if unit_id is None:
        if not is_admin(actor):
            raise ValidationFailed({"unit_id": N_("Choose a unit within your units.")})
        if role == Role.UNIT_ADMIN:
            raise ValidationFailed({"unit_id": N_("A unit administrator needs a unit.")})
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None or not (is_admin(actor) or orgs.is_within(unit, actor.unit)):
        raise ValidationFailed({"unit_id": N_("Choose a unit within your units.")})
    return unit


#: Passed as ``supervisor`` to leave the supervisor as it is (the API's partial updates).
KEEP = object()


def find_supervisor(actor: User, user: User | None, ref: str) -> User | None:
    """The account named by NIP or email as ``user``'s direct supervisor (atasan).

    Refused: nobody with that NIP/email, an inactive account, the person themself, a loop
    (A supervises B supervises A) and, for a unit admin, anyone outside their subtree and the
    units above it (so the form cannot probe accounts of other agencies).
    """
    ref = (ref or "").strip()
    if not ref:
        return None
    nip = normalise_nip(ref)
    found = db.session.scalar(select(User).where(
        User.nip == nip if nip and nip.isdigit() else User.email == ref.lower()))
    if found is None or not found.active or not _may_name(actor, found):
        raise ValidationFailed({"supervisor": N_("No active account with this NIP or email.")})
    if user is not None:
        if found.id == user.id:
            raise ValidationFailed({"supervisor": N_("A person cannot be their own supervisor.")})
        if user.id in _supervisor_chain(found):
            raise ValidationFailed({"supervisor": N_("This person already supervises that account "
                                                     "(directly or further up).")})
    return found


def _may_name(actor: User, candidate: User) -> bool:
    if is_admin(actor):
        return True
    if candidate.unit is None or actor.unit is None:
        return False
    return (orgs.is_within(candidate.unit, actor.unit)
            or actor.unit.path.startswith(candidate.unit.path))


def _supervisor_chain(user: User, limit: int = 50) -> set[int]:
    """Ids of the person and everyone above them (bounded: a broken chain cannot hang)."""
    seen: set[int] = set()
    current: User | None = user
    while current is not None and current.id not in seen and len(seen) < limit:
        seen.add(current.id)
        current = current.supervisor
    return seen


def subordinates_of(supervisor: User) -> list[User]:
    """The active accounts whose direct supervisor is ``supervisor``, by name (one query)."""
    return list(db.session.scalars(select(User).where(User.supervisor_id == supervisor.id,
                                                      User.active.is_(True))
                                   .order_by(User.name, User.id)))


def supervisor_ref(user: User) -> str:
    """How a supervisor is written in forms and exports: NIP, else email."""
    sup = user.supervisor
    return "" if sup is None else (sup.nip or sup.email)


def _require_manageable(actor: User, user: User) -> None:
    if not can_manage(actor, user):
        raise NotAllowed(user.id)


def _commit_or_taken() -> None:
    """Commit; a concurrent request that took the email or NIP first becomes a form error."""
    try:
        events.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed({"email": N_("An account with this email or NIP already exists.")}) from None


# ---------------------------------------------------------------------------- changes


def create_user(actor: User, *, name: str, email: str, nip: str | None, unit_id: int | None,
                jabatan: str | None, golongan: str | None, role: Role | str,
                password: str | None, supervisor: str | None = None) -> tuple[User, str | None]:
    """Create an account; returns it and the generated password when none was given.

    Either way the person must choose their own password at first sign-in.
    """
    name, email, jabatan = name.strip(), email.strip().lower(), (jabatan or "").strip()
    nip = normalise_nip(nip or "") or None
    role = Role(role)
    if role not in assignable_roles(actor):
        raise ValidationFailed({"role": N_("You cannot grant this role.")})
    unit = _unit_choice(actor, unit_id, role)
    problems = _profile_problems(name=name, email=email, nip=nip, golongan=golongan, jabatan=jabatan)
    try:
        boss = find_supervisor(actor, None, supervisor or "")
    except ValidationFailed as exc:
        problems.update(exc.errors)
        boss = None
    generated = None
    if password:
        if weak := accounts.password_problem(password, email=email, nip=nip or ""):
            problems["password"] = weak
    else:
        generated = accounts.generate_temporary_password()
    if problems:
        raise ValidationFailed(problems)
    user = User(name=name, email=email, nip=nip, role=role, unit=unit, jabatan=jabatan or None,
                golongan=normalise_golongan(golongan), must_change_password=True,
                password_hash=accounts.hash_password(password or generated), supervisor=boss)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, unit=unit, email=email, role=role.value,
                 password_generated=generated is not None)
    events.enqueue("user_registered", user=user)
    _commit_or_taken()
    return user, generated


def update_user(actor: User, user: User, *, name: str, email: str, nip: str | None,
                unit_id: int | None, jabatan: str | None, golongan: str | None,
                supervisor=KEEP) -> dict:
    """Save the profile fields an admin edits; returns {field: [old, new]} of what changed."""
    changes = _apply_profile(actor, user, name=name, email=email, nip=nip, unit_id=unit_id,
                             jabatan=jabatan, golongan=golongan, supervisor=supervisor)
    _commit_or_taken()
    return changes


def patch_user(actor: User, user: User, *, profile: dict | None = None, role: Role | str | None = None,
               active: bool | None = None) -> None:
    """Profile fields, role and active flag changed together, all or nothing (the API's PATCH):
    a refusal of any part leaves the account as it was."""
    try:
        if profile is not None:
            _apply_profile(actor, user, **profile)
        if role is not None:
            _apply_role(actor, user, role)
        if active is not None:
            _apply_active(actor, user, active)
    except LmsError:
        db.session.rollback()
        raise
    _commit_or_taken()


def _apply_profile(actor: User, user: User, *, name: str, email: str, nip: str | None,
                   unit_id: int | None, jabatan: str | None, golongan: str | None,
                   supervisor=KEEP) -> dict:
    _require_manageable(actor, user)
    name, email, jabatan = name.strip(), email.strip().lower(), (jabatan or "").strip()
    nip = normalise_nip(nip or "") or None
    unit = _unit_choice(actor, unit_id, user.role)
    problems = _profile_problems(name=name, email=email, nip=nip, golongan=golongan,
                                 jabatan=jabatan, exclude_id=user.id)
    boss = user.supervisor
    if supervisor is not KEEP:
        try:
            boss = find_supervisor(actor, user, supervisor or "")
        except ValidationFailed as exc:
            problems.update(exc.errors)
    if problems:
        raise ValidationFailed(problems)
    new = {"name": name, "email": email, "nip": nip, "jabatan": jabatan or None,
           "golongan": normalise_golongan(golongan)}
    changes = {field: [getattr(user, field), value] for field, value in new.items()
               if getattr(user, field) != value}
    if user.unit_id != (unit.id if unit else None):
        changes["unit"] = [user.unit.code if user.unit else None, unit.code if unit else None]
    if user.supervisor_id != (boss.id if boss else None):
        changes["supervisor"] = [supervisor_ref(user) or None, (boss.nip or boss.email) if boss else None]
        user.supervisor = boss
    for field, value in new.items():
        setattr(user, field, value)
    user.unit = unit
    if changes:
        audit.record(actor, "user.updated", "user", user.id, unit=unit, changes=changes)
    return changes


def change_role(actor: User, user: User, role: Role | str) -> None:
    """Give the account another role within the actor's rights."""
    _apply_role(actor, user, role)
    db.session.commit()


def _apply_role(actor: User, user: User, role: Role | str) -> None:
    _require_manageable(actor, user)
    role = Role(role)
    if user.id == actor.id:
        raise ValidationFailed({"role": N_("You cannot change your own role.")})
    if role not in assignable_roles(actor):
        raise ValidationFailed({"role": N_("You cannot grant this role.")})
    if role == Role.UNIT_ADMIN and user.unit is None:
        raise ValidationFailed({"role": N_("A unit administrator needs a unit.")})
    if role == user.role:
        return
    audit.record(actor, "user.role_changed", "user", user.id, unit=user.unit,
                 old=user.role.value, new=role.value)
    user.role = role


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (cannot sign in; sessions end at the next request) or reactivate."""
    _apply_active(actor, user, active)
    db.session.commit()


def _apply_active(actor: User, user: User, active: bool) -> None:
    _require_manageable(actor, user)
    if user.id == actor.id:
        raise ValidationFailed({"active": N_("You cannot deactivate your own account.")})
    if user.active == active:
        return
    user.active = active
    audit.record(actor, "user.reactivated" if active else "user.deactivated", "user", user.id,
                 unit=user.unit, email=user.email)


def reset_password(actor: User, user: User) -> str:
    """Give the account a new random password to hand over once; returns it (never stored plain).

    The person must replace it at their next sign-in. The audit entry says who reset it,
    never the password.
    """
    _require_manageable(actor, user)
    password = accounts.generate_temporary_password()
    user.password_hash = accounts.hash_password(password)
    user.must_change_password = True
    tokens.revoke_all(user)  # whoever held the old password may have made tokens with it
    audit.record(actor, "user.password_reset", "user", user.id, unit=user.unit, email=user.email)
    db.session.commit()
    return password


def movable_users(actor: User, user_ids: list[int]) -> list[User]:
    """The listed accounts, each one the actor's to change (see move_users for the errors)."""
    ids = sorted(set(user_ids))[:MAX_MOVE + 1]
    if not ids:
        raise ValidationFailed({"user_ids": N_("Select at least one person.")})
    if len(ids) > MAX_MOVE:
        raise ValidationFailed({"user_ids": N_("Move at most 500 people at a time.")})
    users = list(db.session.scalars(select(User).where(User.id.in_(ids))
                                    .options(selectinload(User.unit))))
    if len(users) != len(ids) or not all(can_see(actor, u) for u in users):
        raise UserNotFound(ids)
    if not all(can_manage(actor, u) for u in users):
        raise NotAllowed(ids)
    return users


def move_users(actor: User, user_ids: list[int], target: Unit | None) -> int:
    """Put the listed accounts in `target`; all must be manageable, or nothing moves.

    UserNotFound if one is unknown or outside the actor's units, NotAllowed if one is
    visible but not the actor's to change (an admin, another unit admin).
    """
    users = movable_users(actor, user_ids)
    if target is None or not (is_admin(actor) or orgs.is_within(target, actor.unit)):
        raise ValidationFailed({"target_unit_id": N_("Choose a unit within your units.")})
    moved = 0
    for user in users:
        if user.unit_id == target.id:
            continue
        audit.record(actor, "user.moved", "user", user.id, unit=target, email=user.email,
                     old=user.unit.code if user.unit else None, new=target.code)
        user.unit = target
        moved += 1
    db.session.commit()
    return moved
