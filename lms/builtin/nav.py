"""The core's own navigation links, contributed through the nav_items hook."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.hookspecs import LMS_PLUGIN_API, hookimpl
from lms.plugin import NavItem

lms_api = LMS_PLUGIN_API


@hookimpl
def nav_items(user):
    items = [NavItem(_l("Home"), "main.index", weight=10),
             NavItem(_l("Courses"), "catalog.index", weight=20)]
    if user.is_authenticated:
        items.append(NavItem(_l("My learning"), "dashboard.index", weight=30))
        items.append(NavItem(_l("Certificates"), "certificates.mine", weight=40))
        items.append(NavItem(_l("Profile"), "profile.edit", weight=80))
    if user.has_role("unit_admin"):
        # One entry for every admin area (users, units, assignments, reports, approvals,
        # certificates, audit): the header stays short on a phone.
        items.append(NavItem(_l("Administration"), "admin.index", weight=65))
    if user.has_role("author"):
        items.append(NavItem(_l("Authoring"), "author.index", weight=60))
    return items
