"""Accounts and organisation units, for admins and unit admins.

Who may see and change what is lms.services.user_admin's (as on /admin/users and
/admin/units): admins everything; unit admins the accounts and units of their subtree, and
change only its learners and authors. Out of scope answers 404 (nothing revealed), also for
a unit named in a filter or a body; in scope but not theirs to change, 403. The services
write the audit entries.

Statuses of refusals: 422 when the request does not match its documented schema; 409
``refused`` when it does but a service rule refuses the values (an email already taken, an
implausible NIP, a role one may not grant), with one English message per field in
``details``. A schema-valid request is never answered 422, so the schemathesis run (which
expects schema-valid input to be accepted or refused with 403/404/409) holds.
"""
from __future__ import annotations

from typing import Literal

from flask import after_this_request
from flask_babel import force_locale
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from lms.api.errors import ApiError, not_found
from lms.api.spec import Body, Page, PageQuery, Schema, Timestamp
from lms.blueprints.api import bp
from lms.database import db
from lms.errors import ValidationFailed
from lms.i18n import translate
from lms.models import Role, Unit, User
from lms.services import orgs, user_admin
from lms.services.user_admin import NotAllowed, UserFilters, UserNotFound

ADMINS = (Role.UNIT_ADMIN, Role.ADMIN)
USERS, UNITS = ("users",), ("units",)
RoleName = Literal["learner", "author", "unit_admin", "admin"]
UnitKindName = Literal["instansi", "opd", "sub_unit"]
#: A unit named by its code, or by its numeric id.
UnitName = int | str
#: Service field names -> the API's.
_FIELDS = {"unit_id": "unit", "parent_id": "parent", "target_unit_id": "unit"}


# ----------------------------------------------------------------------------- models


class UnitRef(Schema):
    id: int
    code: str
    name: str


class UserOut(Schema):
    id: int
    name: str
    email: str
    nip: str | None = Field(description="18-digit NIP; null for accounts that are not ASN.")
    golongan: str | None = Field(description="Golongan/ruang, e.g. III/a.")
    jabatan: str | None = Field(description="Position.")
    role: RoleName
    active: bool = Field(description="False: deactivated, cannot sign in.")
    must_change_password: bool = Field(description="Must replace a password someone else set.")
    unit: UnitRef | None
    supervisor_id: int | None = Field(description="Id of the direct supervisor (atasan), if any.")
    created_at: Timestamp | None
    last_login_at: Timestamp | None
    manageable: bool = Field(description="Whether the caller may change this account.")


class CreatedUser(UserOut):
    temporary_password: str | None = Field(
        description="The generated password, shown this once (null when one was given). The "
                    "person must replace it at first sign-in.")


class UserQuery(PageQuery):
    q: str = Field("", max_length=100, description="Words of the name or email, or NIP digits.")
    unit: str = Field("", max_length=40, description="Unit code or id: its accounts and its "
                                                     "sub-units' accounts.")
    role: RoleName | None = None
    active: bool | None = Field(None, description="true: active accounts only; false: deactivated.")


class UserCreate(Body):
    name: str = Field(max_length=200, pattern=r"\S")
    email: str = Field(max_length=254)
    nip: str | None = Field(None, max_length=40, description="18 digits; spaces and dots are ignored.")
    golongan: str | None = Field(None, max_length=20)
    jabatan: str | None = Field(None, max_length=200)
    unit: UnitName | None = Field(None, description="Unit code or id (unit admins: within their units).")
    role: RoleName = "learner"
    password: str | None = Field(None, max_length=200, description="Omit to have one generated.")
    supervisor: str | None = Field(None, max_length=254,
                                   description="NIP or email of the direct supervisor (atasan).")


class UserPatch(Body):
    name: str = Field(None, max_length=200, pattern=r"\S")
    email: str = Field(None, max_length=254)
    nip: str | None = Field(None, max_length=40)
    golongan: str | None = Field(None, max_length=20)
    jabatan: str | None = Field(None, max_length=200)
    unit: UnitName | None = Field(None, description="Unit code or id; null: no unit (admins).")
    role: RoleName = Field(None, description="Not one's own; unit admins grant learner and author.")
    active: bool = Field(None, description="false deactivates, true reactivates (not oneself).")
    supervisor: str | None = Field(None, max_length=254,
                                   description="NIP or email of the direct supervisor; null: none.")


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: UnitKindName
    parent: str | None = Field(description="Code of the parent unit; null for an agency.")
    depth: int = Field(description="0 for an agency, 1 for its OPD, and so on.")
    path: list[str] = Field(description="Codes from the agency down to this unit.")
    members: int = Field(description="Accounts placed directly in this unit.")
    changeable: bool = Field(description="Whether the caller may rename or move it.")


class UnitDetail(UnitOut):
    children: list[str] = Field(description="Codes of the direct sub-units.")


class UnitCreate(Body):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                      description="Letters, digits, '.', '-', '_'; stored in upper case; unique.")
    name: str = Field(max_length=200, pattern=r"\S")
    kind: UnitKindName
    parent: UnitName | None = Field(None, description="Parent unit code or id; null makes an agency "
                                                      "(admins only).")


# ----------------------------------------------------------------------------- users


@bp.operation("/users", summary="Search accounts", tags=USERS, roles=ADMINS, query=UserQuery,
              response=UserOut, paged=True, errors=(404,))
def list_users(query: UserQuery):
    """By name; unit admins see the accounts of their unit and its sub-units only."""
    unit = _visible_unit(query.unit) if query.unit.strip() else None
    status = "" if query.active is None else "active" if query.active else "inactive"
    filters = UserFilters(q=query.q, unit_id=unit.id if unit else None, role=query.role or "",
                          status=status)
    found = user_admin.search(current_user, filters, query.page, query.per_page, clamp=False)
    return Page([_user(u) for u in found.items], found.total, query.page, query.per_page)


@bp.operation("/users/<int:user_id>", summary="An account", tags=USERS, roles=ADMINS,
              response=UserOut)
def get_user(user_id: int):
    """404 outside the caller's units."""
    return _user(_refused(user_admin.get_visible, current_user, user_id))


@bp.operation("/users", "POST", summary="Create an account", tags=USERS, auth="write",
              roles=ADMINS, body=UserCreate, response=CreatedUser, status=201, errors=(404, 409))
def create_user(body: UserCreate):
    """Without a password one is generated and returned this once (never stored in clear);
    either way the person must choose their own at first sign-in."""
    unit = _unit_for(body.unit)
    user, generated = _refused(
        user_admin.create_user, current_user, name=body.name, email=body.email, nip=body.nip,
        unit_id=unit.id if unit else None, jabatan=body.jabatan, golongan=body.golongan,
        role=body.role, password=body.password, supervisor=body.supervisor)
    _no_store()
    return {**_user(user), "temporary_password": generated}


@bp.operation("/users/<int:user_id>", "PATCH", summary="Change an account", tags=USERS,
              auth="write", roles=ADMINS, body=UserPatch, response=UserOut, errors=(409,))
def update_user(user_id: int, body: UserPatch):
    """Only the fields sent change: profile, role and active flag together, all or nothing
    (a refusal of any part leaves the account as it was)."""
    user = _refused(user_admin.get_manageable, current_user, user_id)
    sent = body.model_fields_set
    profile = None
    if sent & {"name", "email", "nip", "golongan", "jabatan", "unit", "supervisor"}:
        unit_id = user.unit_id
        if "unit" in sent:
            unit = _unit_for(body.unit)
            unit_id = unit.id if unit else None
        profile = {field: getattr(body, field) if field in sent else getattr(user, field)
                   for field in ("name", "email", "nip", "jabatan", "golongan")}
        profile["unit_id"] = unit_id
        if "supervisor" in sent:
            profile["supervisor"] = body.supervisor
    role = _required(body.role, "role") if "role" in sent else None
    active = _required(body.active, "active") if "active" in sent else None
    _refused(user_admin.patch_user, current_user, user, profile=profile, role=role, active=active)
    return _user(user)


def _user(user: User) -> dict:
    unit = user.unit
    return {"id": user.id, "name": user.name, "email": user.email, "nip": user.nip,
            "golongan": user.golongan, "jabatan": user.jabatan, "role": user.role.value,
            "active": user.active, "must_change_password": user.must_change_password,
            "unit": {"id": unit.id, "code": unit.code, "name": unit.name} if unit else None,
            "supervisor_id": user.supervisor_id, "created_at": user.created_at, "last_login_at": user.last_login_at,
            "manageable": user_admin.can_manage(current_user, user)}


def _required(value, field: str):
    """The schema refuses null already; a guard should pydantic ever let one through."""
    if value is None:
        raise ApiError(422, "validation_failed", "Some fields are not valid.",
                       {field: "May not be null."})
    return value


def _no_store() -> None:
    """A one-time password must not stay in a cache."""
    @after_this_request
    def headers(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response


# ----------------------------------------------------------------------------- units


@bp.operation("/units", summary="The organisation tree", tags=UNITS, roles=ADMINS,
              query=PageQuery, response=UnitOut, paged=True)
def list_units(query: PageQuery):
    """Depth first (parents before their children); unit admins get their subtree."""
    units = user_admin.assignable_units(current_user)
    start = (query.page - 1) * query.per_page
    shown = units[start:start + query.per_page]
    return Page(_unit_rows(shown), len(units), query.page, query.per_page)


@bp.operation("/units/<code>", summary="A unit", tags=UNITS, roles=ADMINS, response=UnitDetail)
def get_unit(code: str):
    """404 outside the caller's units."""
    unit = _visible_unit(code)
    children = db.session.scalars(select(Unit.code).where(Unit.parent_id == unit.id).order_by(Unit.path))
    return {**_unit_rows([unit])[0], "children": list(children)}


@bp.operation("/units", "POST", summary="Create a unit", tags=UNITS, auth="write", roles=ADMINS,
              body=UnitCreate, response=UnitOut, status=201, errors=(404, 409))
def create_unit(body: UnitCreate):
    """Admins anywhere (an agency without a parent); unit admins under a unit of their own."""
    parent = None
    if body.parent is not None:
        parent = _visible_unit(body.parent)
    elif not user_admin.may_create_agency(current_user):
        raise ApiError(403, "forbidden", "Only administrators create agencies; give a parent unit.")
    unit = _refused(orgs.create_unit, code=body.code, name=body.name, kind=body.kind,
                    parent=parent, actor=current_user)
    return _unit_rows([unit])[0]


def _unit_rows(units: list[Unit]) -> list[dict]:
    """UnitOut rows for `units`: two queries at most, whatever their number."""
    counts = user_admin.unit_member_counts(current_user) if units else {}
    codes = _codes_by_id(units)
    rows = []
    for unit in units:
        ids = [int(part) for part in unit.path.split("/") if part]
        rows.append({"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind.value,
                     "parent": codes.get(unit.parent_id), "depth": unit.depth,
                     "path": [codes[i] for i in ids if i in codes], "members": counts.get(unit.id, 0),
                     "changeable": user_admin.can_change_unit(current_user, unit)})
    return rows


def _codes_by_id(units: list[Unit]) -> dict[int, str]:
    """Codes of the units and all their ancestors (those not at hand in one query)."""
    codes = {unit.id: unit.code for unit in units}
    wanted = {int(part) for unit in units for part in unit.path.split("/") if part} - set(codes)
    if wanted:
        codes.update((row.id, row.code) for row in db.session.execute(
            select(Unit.id, Unit.code).where(Unit.id.in_(wanted))))
    return codes


def _visible_unit(name: UnitName) -> Unit:
    """The unit named by code or id, if the caller sees it; else 404 (unknown or not theirs)."""
    unit = _lookup_unit(name)
    if unit is None or not user_admin.can_see_unit(current_user, unit):
        raise not_found("unit")
    return unit


def _lookup_unit(name: UnitName) -> Unit | None:
    """An int is an id; text a code, or an id when no code matches digits."""
    if isinstance(name, str):
        unit = orgs.get_by_code(name) if name.strip() else None
        if unit is not None or not name.strip().isdecimal():
            return unit
    number = int(name)
    return orgs.get(number) if 0 < number < 2**31 else None


def _unit_for(name: UnitName | None) -> Unit | None:
    """A body's unit (None: no unit, which the service allows admins only)."""
    return None if name is None else _visible_unit(name)


# ----------------------------------------------------------------------------- refusals


def _refused(action, *args, **kwargs):
    """Run a service call, turning its refusals into the API's errors."""
    try:
        return action(*args, **kwargs)
    except UserNotFound:
        raise not_found("account") from None
    except NotAllowed:
        raise ApiError(403, "forbidden", "You may not change this account.") from None
    except ValidationFailed as exc:
        raise ApiError(409, "refused", "The values were refused; see details.", {
            _FIELDS.get(field, field): _english(message) for field, message in exc.errors.items()}) from None


def _english(message) -> str:
    """Services' messages are msgids (English), some with parameters."""
    with force_locale("en"):
        return translate(message)



