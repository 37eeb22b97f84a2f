"""Flask extensions as bare instances; create_app binds them with init_app."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_babel import gettext
from flask_wtf.csrf import CSRFProtect

from lms.database import db
from lms.i18n import N_
from lms.models.users import AnonymousUser

#: Core Alembic environment; plugin version directories are added by the plugin host.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()


@migrate.configure
def add_plugin_version_locations(config):
    """Let Alembic see each plugin's branch beside the core revisions."""
    from flask import current_app

    paths = [str(MIGRATIONS_DIR / "versions")]
    paths += [str(path) for _label, path in plugin_migration_dirs(current_app)]
    config.set_main_option("version_locations", os.pathsep.join(paths))
    return config


def plugin_migration_dirs(app: Flask) -> list[tuple[str, str]]:
    """(branch label, directory) pairs from every plugin's migrations_dirs hook."""
    return [pair for pairs in app.extensions["lms"].call("migrations_dirs") for pair in pairs or []]


def init_app(app: Flask) -> None:
    """Bind migrations, login and CSRF protection to the app."""
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    # Flask-Login's own sentence is English only; ours goes through the catalog.
    login_manager.login_message = N_("Please sign in to open this page.")
    login_manager.localize_callback = gettext
    login_manager.session_protection = "strong"
    login_manager.anonymous_user = AnonymousUser
    from lms.services import accounts

    login_manager.user_loader(accounts.load_user)
