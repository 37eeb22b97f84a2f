"""ASN LMS: the application factory."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

__version__ = "1.0.0.dev0"


def create_app(config: str | type | None = None, overrides: Mapping | None = None) -> Flask:
    """Create and configure an instance of the LMS application.

    :param config: a config class or its name (development, production, testing);
        defaults to the LMS_CONFIG environment variable, then "production".
    :param overrides: settings applied last, after the LMS_* environment (tests, embedding).
    """
    from lms import (blueprints, cli, compression, database, errors, extensions, i18n, jobs, observability,
                     plugins, ratelimit, registry, security_headers, settings, templating)

    app = Flask(__name__, instance_relative_config=True)
    settings.load(app, config, overrides)
    compression.init_app(app)  # first registered: its after_request runs last
    observability.init_app(app)
    database.init_app(app)
    jobs.init_app(app)
    extensions.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    host = plugins.PluginHost(app)
    registry.init_app(app, host)
    blueprints.register_all(app, host)
    ratelimit.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app, host)
    host.startup()
    return app
