"""Load configuration: class defaults, then LMS_* environment, then explicit overrides."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

#: Settings that hold lists; an environment value "a,b" becomes ["a", "b"].
LIST_SETTINGS = ("DISABLED_PLUGINS", "LANGUAGES", "METRICS_ALLOW")


def load(app: Flask, config: str | type | None, overrides: Mapping | None) -> None:
    """Fill app.config in precedence order and derive the database URL."""
    import config as config_module

    cls = _config_class(config, config_module.CONFIGS)
    app.config.from_object(cls)
    app.config.from_prefixed_env("LMS")
    if overrides:
        app.config.update(overrides)
    _normalise_lists(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    cls.prepare(app)


def _config_class(config, configs: Mapping[str, type]) -> type:
    """Resolve a config argument (class, name or None) to a config class."""
    from lms.errors import StartupError

    if isinstance(config, type):
        return config
    name = config or os.environ.get("LMS_CONFIG", "production")
    try:
        return configs[name]
    except KeyError:
        raise StartupError(
            f"unknown LMS_CONFIG {name!r}; choose one of {', '.join(sorted(configs))}"
        ) from None


def _normalise_lists(cfg) -> None:
    """Accept comma-separated strings for list settings and for PLUGINS (unless "*")."""
    for key in LIST_SETTINGS + ("PLUGINS",):
        value = cfg.get(key)
        if isinstance(value, str) and not (key == "PLUGINS" and value.strip() == "*"):
            cfg[key] = [part.strip() for part in value.split(",") if part.strip()]


def database_url(app: Flask) -> str:
    """Return the SQLAlchemy URL: DATABASE_URL, or SQLite in the instance folder."""
    url = app.config.get("DATABASE_URL")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(app.instance_path) / 'lms.sqlite3'}"
    return normalise_url(url)


def normalise_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the driver we ship (not psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
