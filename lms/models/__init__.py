"""All core models, imported here so Alembic and create_all see every table."""
from lms.models.orgs import Unit, UnitKind
from lms.models.users import AnonymousUser, Role, User

__all__ = ["AnonymousUser", "Role", "Unit", "UnitKind", "User"]
